//! `private_key_jwt` (RFC 7523 §2.2, OpenID Connect Core §9): the client proves itself at the
//! token endpoint with a JWT it signs with its own private key, so no shared secret exists.
//!
//! Each assertion is made for one request: `iss` and `sub` the client id, `aud` the token
//! endpoint's URL (what Core §9 says it SHOULD be), a fresh `jti`, `iat` now and `exp` a minute
//! later, on the client's clock.

use std::fmt;

use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::json;

use fauxauth_core::Clock;

/// The one `client_assertion_type` (RFC 7523 §2.2).
pub const JWT_BEARER: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

/// How long an assertion is valid: long enough for one request.
const LIFETIME: u64 = 60;

/// How long an Apple client secret lives: 180 days, within Apple's 15,777,000 s.
const APPLE_SECRET_LIFETIME: u64 = 180 * 24 * 3600;

/// How a PEM private key of one type is read.
type ReadPem = fn(&[u8]) -> jsonwebtoken::errors::Result<EncodingKey>;

/// A private key the client signs its assertions with.
pub struct ClientKey {
    key: EncodingKey,
    alg: Algorithm,
    kid: Option<String>,
}

impl fmt::Debug for ClientKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientKey")
            .field("alg", &self.alg)
            .field("kid", &self.kid)
            .finish_non_exhaustive()
    }
}

impl ClientKey {
    /// Reads a PKCS#8 (or PKCS#1, SEC1) PEM private key: P-256 signs ES256, P-384 ES384, RSA
    /// RS256, Ed25519 EdDSA. `kid` names it in the header, as the provider's JWKS for the client
    /// does.
    pub fn from_pem(pem: &str, kid: Option<String>) -> Result<Self, String> {
        let candidates: [(Algorithm, ReadPem); 4] = [
            (Algorithm::ES256, EncodingKey::from_ec_pem),
            (Algorithm::ES384, EncodingKey::from_ec_pem),
            (Algorithm::RS256, EncodingKey::from_rsa_pem),
            (Algorithm::EdDSA, EncodingKey::from_ed_pem),
        ];
        for (alg, read) in candidates {
            let Ok(key) = read(pem.as_bytes()) else {
                continue;
            };
            // A key of another curve reads as EC but cannot sign with this algorithm.
            if jsonwebtoken::encode(&Header::new(alg), &json!({}), &key).is_ok() {
                return Ok(Self { key, alg, kid });
            }
        }
        Err("not a PEM private key of P-256, P-384, RSA or Ed25519".to_owned())
    }

    /// An HMAC key made of a client secret, for `client_secret_jwt` (HS256).
    pub fn from_secret(secret: &str) -> Self {
        Self {
            key: EncodingKey::from_secret(secret.as_bytes()),
            alg: Algorithm::HS256,
            kid: None,
        }
    }

    /// A client assertion for `client_id` at `audience` (the token endpoint's URL).
    pub fn assertion(&self, client_id: &str, audience: &str, clock: &Clock) -> String {
        self.signed(client_id, client_id, audience, clock)
    }

    /// An authorization grant (RFC 7523 §2.1): from `issuer`, about `subject`.
    pub fn grant_assertion(
        &self,
        issuer: &str,
        subject: &str,
        audience: &str,
        clock: &Clock,
    ) -> String {
        self.signed(issuer, subject, audience, clock)
    }

    /// Sign in with Apple's client secret, as Apple's "Creating a client secret" has apps make
    /// it: ES256 with the key's `kid`, from `team_id`, about `client_id`, for
    /// `https://appleid.apple.com`, living 180 days (Apple allows up to 15,777,000 s). Only a
    /// P-256 key makes one.
    pub fn apple_client_secret(
        &self,
        team_id: &str,
        client_id: &str,
        clock: &Clock,
    ) -> Result<String, String> {
        if self.alg != Algorithm::ES256 {
            return Err("the key signing an Apple client secret must be P-256 (ES256)".to_owned());
        }
        let now = fauxauth_core::unix(clock.now());
        let mut header = Header::new(Algorithm::ES256);
        header.kid = self.kid.clone();
        let claims = json!({
            "iss": team_id,
            "iat": now,
            "exp": now + APPLE_SECRET_LIFETIME,
            "aud": fauxauth_core::preset::apple::CLIENT_SECRET_AUDIENCE,
            "sub": client_id,
        });
        jsonwebtoken::encode(&header, &claims, &self.key).map_err(|e| e.to_string())
    }

    fn signed(&self, iss: &str, sub: &str, audience: &str, clock: &Clock) -> String {
        let now = fauxauth_core::unix(clock.now());
        let mut header = Header::new(self.alg);
        header.typ = Some("JWT".to_owned());
        header.kid = self.kid.clone();
        let claims = json!({
            "iss": iss,
            "sub": sub,
            "aud": audience,
            "jti": crate::random::fresh_secret(),
            "iat": now,
            "exp": now + LIFETIME,
        });
        jsonwebtoken::encode(&header, &claims, &self.key)
            .expect("a key that signed at load signs again")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const P256: &str = include_str!("../../scenarios/keys/scenario-client.pem");

    #[test]
    fn a_p256_key_signs_es256_assertions_naming_the_client_and_the_endpoint() {
        let key = ClientKey::from_pem(P256, Some("k1".into())).unwrap();
        let clock = Clock::frozen(std::time::UNIX_EPOCH + std::time::Duration::from_secs(1_000));
        let assertion = key.assertion("app", "https://op.example/token", &clock);
        let mut parts = assertion.split('.');
        let decode = |part: &str| -> serde_json::Value {
            use base64::Engine as _;
            let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
                .decode(part)
                .unwrap();
            serde_json::from_slice(&bytes).unwrap()
        };
        let header = decode(parts.next().unwrap());
        let claims = decode(parts.next().unwrap());
        assert_eq!(header["alg"], "ES256");
        assert_eq!(header["kid"], "k1");
        assert_eq!(claims["iss"], "app");
        assert_eq!(claims["sub"], "app");
        assert_eq!(claims["aud"], "https://op.example/token");
        assert_eq!(claims["iat"], 1_000);
        assert_eq!(claims["exp"], 1_060);
        assert_eq!(claims["jti"].as_str().unwrap().len(), 43);
        let other = key.assertion("app", "https://op.example/token", &clock);
        assert_ne!(assertion, other, "a fresh jti each time");
    }

    #[test]
    fn an_apple_client_secret_is_made_as_apple_says() {
        let key = ClientKey::from_pem(P256, Some("ABC123DEFG".into())).unwrap();
        let clock = Clock::frozen(std::time::UNIX_EPOCH + std::time::Duration::from_secs(1_000));
        let secret = key
            .apple_client_secret("TEAM123456", "com.example.web", &clock)
            .unwrap();
        let decode = |part: &str| -> serde_json::Value {
            use base64::Engine as _;
            let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
                .decode(part)
                .unwrap();
            serde_json::from_slice(&bytes).unwrap()
        };
        let mut parts = secret.split('.');
        let header = decode(parts.next().unwrap());
        let claims = decode(parts.next().unwrap());
        assert_eq!(
            (header["alg"].as_str(), header["kid"].as_str()),
            (Some("ES256"), Some("ABC123DEFG"))
        );
        assert_eq!(claims["iss"], "TEAM123456");
        assert_eq!(claims["sub"], "com.example.web");
        assert_eq!(claims["aud"], "https://appleid.apple.com");
        assert_eq!(claims["exp"], 1_000 + APPLE_SECRET_LIFETIME);
        let rsa = ClientKey::from_secret("not a P-256 key");
        assert!(rsa.apple_client_secret("T", "c", &clock).is_err());
    }

    #[test]
    fn what_is_not_a_private_key_is_refused() {
        assert!(ClientKey::from_pem("not a key", None).is_err());
        let public = "-----BEGIN PUBLIC KEY-----\nMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE\n-----END PUBLIC KEY-----\n";
        assert!(ClientKey::from_pem(public, None).is_err());
    }
}
