//! Client assertions as a `token` (or revocation, introspection) step sends them for
//! `auth: client_secret_jwt` and `auth: private_key_jwt` (RFC 7523 §2.2, OpenID Connect Core §9).

use std::collections::BTreeMap;
use std::sync::LazyLock;
use std::sync::atomic::{AtomicU64, Ordering};

use mock_provider::SigningAlg;
use mock_provider::keys::SigningKey;
use serde_json::{Map, Value, json};

use super::capture::{Memory, interpolate};
use crate::scenario::ecosystem::Ecosystem;
use crate::scenario::model::{AssertionSigner, AssertionSpec, ClientAuth};

/// The scenario client key, published on purpose (`scenarios/keys/README.md`): `private_key_jwt`
/// signs with it by default, and a scenario's client lists its public JWK in `jwks`.
pub const CLIENT_KEY_PEM: &str = include_str!("../../../../scenarios/keys/scenario-client.pem");

/// The `kid` its public JWK has in the scenarios.
pub const CLIENT_KEY_ID: &str = "scenario-client";

static CLIENT_KEY: LazyLock<SigningKey> = LazyLock::new(|| {
    SigningKey::from_pem(CLIENT_KEY_PEM, SigningAlg::ES256).expect("the scenario client key reads")
});

/// A key of the same kind that no scenario registers.
static OTHER_KEY: LazyLock<SigningKey> =
    LazyLock::new(|| SigningKey::derive("fauxauth scenario client", SigningAlg::ES256, 1));

/// Each assertion's `jti`: distinct within a run (a transcript shows it labelled, never its value).
static NEXT_JTI: AtomicU64 = AtomicU64::new(1);

/// Makes the client assertion for `client` with `secret`, as `spec` says.
pub fn make(
    world: &Ecosystem,
    memory: &Memory,
    client: &str,
    secret: Option<&str>,
    auth: ClientAuth,
    spec: Option<&AssertionSpec>,
) -> Result<String, String> {
    let default = AssertionSpec::default();
    let spec = spec.unwrap_or(&default);
    let now = fauxauth_core::unix(world.clock.now()) as i64;
    let audience = world
        .endpoint("token")
        .ok_or("the provider has no token endpoint")?;
    let mut claims: Map<String, Value> = if auth == ClientAuth::SignedSecret {
        // Apple's client secret: from the team, for Apple, no `jti`, living an hour.
        let team = world
            .client(client)
            .and_then(|c| c.team_id.clone())
            .unwrap_or_else(|| client.to_owned());
        json!({
            "iss": team, "sub": client,
            "aud": fauxauth_core::preset::apple::CLIENT_SECRET_AUDIENCE,
            "iat": now, "exp": now + 3600,
        })
    } else {
        let jti = format!("assertion-{}", NEXT_JTI.fetch_add(1, Ordering::Relaxed));
        json!({
            "iss": client, "sub": client, "aud": audience, "jti": jti, "iat": now, "exp": now + 60,
        })
    }
    .as_object()
    .cloned()
    .unwrap_or_default();
    apply(&mut claims, &spec.claims, memory, now)?;
    let signer = spec.sign.unwrap_or(match auth {
        ClientAuth::PrivateKeyJwt | ClientAuth::SignedSecret => AssertionSigner::ClientKey,
        _ => AssertionSigner::Secret,
    });
    Ok(match signer {
        AssertionSigner::ClientKey => {
            let mut header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::ES256);
            header.typ = Some("JWT".to_owned());
            header.kid = Some(CLIENT_KEY_ID.to_owned());
            CLIENT_KEY.sign_with_header(&header, &claims)
        }
        AssertionSigner::OtherKey => OTHER_KEY.sign("JWT", &claims),
        AssertionSigner::None => SigningKey::unsigned("JWT", &claims),
        AssertionSigner::Secret => {
            let alg = match spec.alg.as_deref().unwrap_or("HS256") {
                "HS256" => jsonwebtoken::Algorithm::HS256,
                "HS384" => jsonwebtoken::Algorithm::HS384,
                "HS512" => jsonwebtoken::Algorithm::HS512,
                other => return Err(format!("assertion alg {other:?}: HS256, HS384 or HS512")),
            };
            let mut header = jsonwebtoken::Header::new(alg);
            header.typ = Some("JWT".to_owned());
            jsonwebtoken::encode(
                &header,
                &claims,
                &jsonwebtoken::EncodingKey::from_secret(secret.unwrap_or_default().as_bytes()),
            )
            .map_err(|e| e.to_string())?
        }
    })
}

/// Makes the `assertion` of a JWT authorization grant (RFC 7523 §2.1) as `spec` says: its
/// claims must give `iss` (a trusted issuer) and `sub` (a user's subject); `aud` is the token
/// endpoint, with a new `jti`, `iat` now and `exp` a minute later, unless given. Signed with the
/// scenario client key unless `sign` says otherwise.
pub fn grant(world: &Ecosystem, memory: &Memory, spec: &AssertionSpec) -> Result<String, String> {
    for claim in ["iss", "sub"] {
        if !spec.claims.contains_key(claim) {
            return Err(format!("grant_assertion: give claims.{claim}"));
        }
    }
    make(
        world,
        memory,
        "",
        None,
        ClientAuth::PrivateKeyJwt,
        Some(spec),
    )
}

/// Sets or removes the claims a step gives.
pub(super) fn apply(
    claims: &mut Map<String, Value>,
    changes: &BTreeMap<String, Option<Value>>,
    memory: &Memory,
    now: i64,
) -> Result<(), String> {
    for (name, value) in changes {
        let value = match value {
            None => {
                claims.remove(name);
                continue;
            }
            Some(Value::String(text)) if matches!(name.as_str(), "exp" | "nbf" | "iat") => {
                let offset: i64 = text.trim_start_matches('+').parse().map_err(|_| {
                    format!("assertion claim {name}: {text:?} is not an offset like \"+60\"")
                })?;
                json!(now + offset)
            }
            Some(Value::String(text)) => Value::String(interpolate(text, memory)?),
            Some(other) => other.clone(),
        };
        claims.insert(name.clone(), value);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The published JWK (scenarios/keys/README.md, the scenarios of scenarios/client-auth/) is
    /// the public half of the published key.
    #[test]
    fn the_scenario_client_key_is_the_one_the_scenarios_register() {
        let jwk = serde_json::to_value(CLIENT_KEY.jwk()).unwrap();
        let root = concat!(env!("CARGO_MANIFEST_DIR"), "/../scenarios/");
        for file in ["keys/README.md", "client-auth/private-key-jwt.yaml"] {
            let text = std::fs::read_to_string(format!("{root}{file}")).unwrap();
            for member in ["x", "y"] {
                let value = jwk[member].as_str().unwrap();
                assert!(text.contains(value), "{member} {value} not in {file}");
            }
            assert!(text.contains(&format!("kid: {CLIENT_KEY_ID}")), "{file}");
        }
        // The demo provider's confidential client has it too.
        let demo = mock_provider::demo_client_jwk();
        for member in ["x", "y", "crv", "kty"] {
            assert_eq!(demo[member], jwk[member], "{member}");
        }
        assert_eq!(demo["kid"], CLIENT_KEY_ID);
    }
}
