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

/// The seed of the scenario client keys: fixed, so that the public JWK a scenario registers for
/// its client stays the same.
const SEED: &str = "fauxauth scenario client";

/// The key `private_key_jwt` signs with by default; its public JWK is what a scenario's client
/// lists in `jwks`.
pub static CLIENT_KEY: LazyLock<SigningKey> =
    LazyLock::new(|| SigningKey::derive(SEED, SigningAlg::ES256, 0));

/// A key of the same kind that no scenario registers.
static OTHER_KEY: LazyLock<SigningKey> =
    LazyLock::new(|| SigningKey::derive(SEED, SigningAlg::ES256, 1));

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
    let jti = format!("assertion-{}", NEXT_JTI.fetch_add(1, Ordering::Relaxed));
    let mut claims: Map<String, Value> = json!({
        "iss": client, "sub": client, "aud": audience, "jti": jti, "iat": now, "exp": now + 60,
    })
    .as_object()
    .cloned()
    .unwrap_or_default();
    apply(&mut claims, &spec.claims, memory, now)?;
    let signer = spec.sign.unwrap_or(match auth {
        ClientAuth::PrivateKeyJwt => AssertionSigner::ClientKey,
        _ => AssertionSigner::Secret,
    });
    Ok(match signer {
        AssertionSigner::ClientKey => CLIENT_KEY.sign("JWT", &claims),
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

/// Sets or removes the claims a step gives.
fn apply(
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

    /// The scenarios of `scenarios/client-auth/` register this key for their clients: if the
    /// derivation ever changed, they would say so by failing, and this says why.
    #[test]
    fn the_scenario_client_key_is_the_one_the_scenarios_register() {
        let jwk = serde_json::to_value(CLIENT_KEY.jwk()).unwrap();
        let text = std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../scenarios/client-auth/private-key-jwt.yaml"
        ))
        .unwrap();
        for member in ["x", "y", "kid"] {
            let value = jwk[member].as_str().unwrap();
            assert!(text.contains(value), "{member} {value} not in the scenario");
        }
    }
}
