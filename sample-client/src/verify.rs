//! ID token verification against the provider's keys, fetching them once more when the token
//! names a key the set lacks (the provider may have rotated, OIDC Core §10.1.1).

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use openidconnect::core::CoreIdTokenClaims;

use crate::ClientState;
use crate::config::Weakness;
use crate::error::{Check, Error};
use crate::protocol::id_token::{self, Expect, Refusal};
use crate::provider::Discovered;

pub async fn id_token(
    state: &ClientState,
    discovered: &Discovered,
    token: &str,
    expect: &Expect<'_>,
) -> Result<CoreIdTokenClaims, Error> {
    let (generation, keys) = discovered.keys();
    // A weakness: the first key, whatever the token names.
    let first_only = |keys: std::sync::Arc<openidconnect::core::CoreJsonWebKeySet>| {
        if state.has(Weakness::FirstKeyOnly) {
            let first = keys.keys().first().cloned().into_iter().collect();
            std::sync::Arc::new(openidconnect::core::CoreJsonWebKeySet::new(first))
        } else {
            keys
        }
    };
    let keys = first_only(keys);
    match id_token::verify(token, &keys, expect) {
        Ok(claims) => return Ok(claims),
        Err(Refusal::Failed(error)) => return Err(error),
        // A weakness: the keys first fetched are all there will ever be.
        Err(Refusal::UnknownKey) if state.has(Weakness::NoJwksRefetch) => {
            return Err(Error::new(
                Check::IdTokenSignatureInvalid,
                "no key of the JWKS fetched at start fits the ID token",
            ));
        }
        Err(Refusal::UnknownKey) => {}
    }
    let keys = first_only(
        state
            .provider()
            .refetch_keys(discovered, generation)
            .await?,
    );
    match id_token::verify(token, &keys, expect) {
        Ok(claims) => Ok(claims),
        Err(Refusal::Failed(error)) => Err(error),
        Err(Refusal::UnknownKey) => Err(Error::new(
            Check::IdTokenSignatureInvalid,
            match kid(token) {
                Some(kid) => {
                    format!("no published key has kid {kid:?} (the JWKS was fetched again)")
                }
                None => "no published key fits the ID token's header (the JWKS was fetched again)"
                    .to_owned(),
            },
        )),
    }
}

/// The `kid` of a JWS's header, for messages only.
fn kid(jws: &str) -> Option<String> {
    let header = URL_SAFE_NO_PAD.decode(jws.split('.').next()?).ok()?;
    let header: serde_json::Value = serde_json::from_slice(&header).ok()?;
    header.get("kid")?.as_str().map(str::to_owned)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_kid_is_read_from_the_header() {
        let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"RS256","kid":"k-1"}"#);
        assert_eq!(kid(&format!("{header}.e30.sig")).as_deref(), Some("k-1"));
        assert_eq!(kid("garbage"), None);
    }
}
