//! The issuer's JWK Set (RFC 7517 §5), parsed once into verification keys, each pinned to the one
//! algorithm it may be used with (RFC 8725 §3.1).
//!
//! A key is kept only if it is a signing key of an allowed asymmetric algorithm. Its algorithm is
//! its `alg`; a key without `alg` gets the only allowed algorithm its type and curve fit, and is
//! skipped when several fit (an RSA key with both RS256 and PS256 allowed). Symmetric (`oct`) keys
//! are never kept: a JWKS is public.

use std::fmt;
use std::sync::Arc;

use jsonwebtoken::jwk::Jwk;
use jsonwebtoken::{DecodingKey, Validation};
use serde_json::{Map, Value};

use super::invalid::Invalid;
use super::jose::JoseHeader;
use crate::config::Alg;

/// A public key, parsed, with the one algorithm it verifies.
pub struct PinnedKey {
    kid: Option<String>,
    alg: Alg,
    decoding: DecodingKey,
    validation: Validation,
}

impl fmt::Debug for PinnedKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PinnedKey")
            .field("kid", &self.kid)
            .field("alg", &self.alg)
            .finish_non_exhaustive()
    }
}

impl PinnedKey {
    #[cfg(test)]
    fn alg(&self) -> Alg {
        self.alg
    }

    /// Verifies `token`'s signature with this key and algorithm, and returns its claims
    /// unjudged: registered claims are checked against the virtual clock by `claims`, which
    /// `jsonwebtoken` cannot see.
    pub fn verify(&self, token: &str) -> Result<Map<String, Value>, Invalid> {
        use jsonwebtoken::errors::ErrorKind;
        jsonwebtoken::decode::<Map<String, Value>>(token, &self.decoding, &self.validation)
            .map(|data| data.claims)
            .map_err(|e| match e.kind() {
                ErrorKind::Json(_) | ErrorKind::Utf8(_) => Invalid::BadPayload,
                _ => Invalid::BadSignature,
            })
    }
}

/// What a lookup found.
#[derive(Debug)]
pub enum Selection {
    Found(Arc<PinnedKey>),
    /// No key fits: the set may be out of date.
    Unknown,
    /// A key fits the `kid` but not the token: refetching would not help.
    Refused(Invalid),
}

/// The usable keys of one JWKS.
#[derive(Debug, Default)]
pub struct KeySet {
    keys: Vec<Arc<PinnedKey>>,
}

impl KeySet {
    /// Parses a JWKS document. Keys that cannot be used are skipped, each with the reason.
    pub fn parse(json: &[u8], allowed: &[Alg]) -> Result<(Self, Vec<String>), String> {
        let document: Value =
            serde_json::from_slice(json).map_err(|e| format!("the JWKS is not JSON ({e})"))?;
        let Some(Value::Array(entries)) = document.get("keys") else {
            return Err("the JWKS has no \"keys\" array (RFC 7517 §5)".to_owned());
        };
        let mut keys = Vec::with_capacity(entries.len());
        let mut skipped = Vec::new();
        for (i, entry) in entries.iter().enumerate() {
            match pin(entry, allowed) {
                Ok(key) => keys.push(Arc::new(key)),
                Err(why) => {
                    let kid = entry.get("kid").and_then(Value::as_str).unwrap_or("");
                    skipped.push(format!("keys[{i}] (kid {kid:?}): {why}"));
                }
            }
        }
        Ok((Self { keys }, skipped))
    }

    pub fn len(&self) -> usize {
        self.keys.len()
    }

    /// The key for a token with this header. With a `kid`, the key of that id whose algorithm
    /// is the token's; without one, the only key for the token's algorithm.
    pub fn select(&self, header: &JoseHeader) -> Selection {
        match &header.kid {
            Some(kid) => {
                let mut named = self
                    .keys
                    .iter()
                    .filter(|k| k.kid.as_deref() == Some(kid.as_str()))
                    .peekable();
                let Some(first) = named.peek().map(|k| k.alg) else {
                    return Selection::Unknown;
                };
                match named.find(|k| k.alg == header.alg) {
                    Some(key) => Selection::Found(key.clone()),
                    None => Selection::Refused(Invalid::AlgMismatch {
                        token: header.alg,
                        key: first,
                    }),
                }
            }
            None => {
                let fitting: Vec<_> = self.keys.iter().filter(|k| k.alg == header.alg).collect();
                match fitting.as_slice() {
                    [] => Selection::Unknown,
                    [key] => Selection::Found((*key).clone()),
                    several => Selection::Refused(Invalid::NoKid {
                        alg: header.alg,
                        candidates: several.len(),
                    }),
                }
            }
        }
    }
}

fn pin(entry: &Value, allowed: &[Alg]) -> Result<PinnedKey, String> {
    let member = |name: &str| entry.get(name).and_then(Value::as_str);
    let kty = member("kty").ok_or("no kty")?;
    if let Some(usage) = member("use")
        && usage != "sig"
    {
        return Err(format!("use is {usage:?}, not \"sig\""));
    }
    if kty == "oct" {
        return Err("symmetric keys are never used".to_owned());
    }
    let fits = |alg: &Alg| fits(*alg, kty, member("crv"));
    let alg = match member("alg") {
        Some(name) => {
            let alg = Alg::from_name(name)
                .filter(|a| allowed.contains(a))
                .ok_or_else(|| format!("alg {name} is not allowed"))?;
            if !fits(&alg) {
                return Err(format!("alg {name} does not fit a {kty} key"));
            }
            alg
        }
        None => {
            let candidates: Vec<Alg> = allowed.iter().copied().filter(fits).collect();
            match candidates.as_slice() {
                [alg] => *alg,
                [] => return Err(format!("no allowed algorithm fits this {kty} key")),
                _ => {
                    return Err(format!(
                        "no alg, and several allowed algorithms fit this {kty} key"
                    ));
                }
            }
        }
    };
    let jwk: Jwk = serde_json::from_value(entry.clone()).map_err(|e| e.to_string())?;
    let decoding = DecodingKey::from_jwk(&jwk).map_err(|e| e.to_string())?;
    let mut validation = Validation::new(alg.jwt());
    validation.required_spec_claims.clear();
    validation.validate_exp = false;
    validation.validate_nbf = false;
    validation.validate_aud = false;
    Ok(PinnedKey {
        kid: member("kid").map(str::to_owned),
        alg,
        decoding,
        validation,
    })
}

/// Whether `alg` can be used with a key of type `kty` on curve `crv` (RFC 7518 §6, RFC 8037 §2).
fn fits(alg: Alg, kty: &str, crv: Option<&str>) -> bool {
    match alg {
        Alg::RS256 | Alg::RS384 | Alg::RS512 | Alg::PS256 | Alg::PS384 | Alg::PS512 => kty == "RSA",
        Alg::ES256 => kty == "EC" && crv == Some("P-256"),
        Alg::ES384 => kty == "EC" && crv == Some("P-384"),
        Alg::EdDSA => kty == "OKP" && crv == Some("Ed25519"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const ALLOWED: &[Alg] = &[Alg::RS256, Alg::ES256, Alg::EdDSA];
    // Well-formed public key material (values need not match any private key here).
    const EC_X: &str = "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU";
    const EC_Y: &str = "x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0";
    const ED_X: &str = "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo";

    fn ec(kid: &str, alg: Option<&str>) -> Value {
        let mut key = json!({"kty": "EC", "crv": "P-256", "x": EC_X, "y": EC_Y, "kid": kid});
        if let Some(alg) = alg {
            key["alg"] = json!(alg);
        }
        key
    }

    fn parse(keys: Vec<Value>) -> (KeySet, Vec<String>) {
        KeySet::parse(json!({ "keys": keys }).to_string().as_bytes(), ALLOWED).unwrap()
    }

    fn header(alg: Alg, kid: Option<&str>) -> JoseHeader {
        JoseHeader {
            alg,
            kid: kid.map(str::to_owned),
        }
    }

    #[test]
    fn keys_are_pinned_to_their_alg_or_the_one_their_curve_fits() {
        let (set, skipped) = parse(vec![
            ec("a", Some("ES256")),
            ec("b", None),
            json!({"kty": "OKP", "crv": "Ed25519", "x": ED_X, "kid": "c"}),
        ]);
        assert!(skipped.is_empty(), "{skipped:?}");
        assert_eq!(set.len(), 3);
        for kid in ["a", "b"] {
            assert!(matches!(
                set.select(&header(Alg::ES256, Some(kid))),
                Selection::Found(k) if k.alg() == Alg::ES256
            ));
        }
        assert!(matches!(
            set.select(&header(Alg::EdDSA, Some("c"))),
            Selection::Found(_)
        ));
    }

    #[test]
    fn a_token_whose_alg_differs_from_its_keys_is_refused_without_refetching() {
        let (set, _) = parse(vec![ec("a", Some("ES256"))]);
        assert!(matches!(
            set.select(&header(Alg::EdDSA, Some("a"))),
            Selection::Refused(Invalid::AlgMismatch {
                token: Alg::EdDSA,
                key: Alg::ES256
            })
        ));
        assert!(matches!(
            set.select(&header(Alg::ES256, Some("zzz"))),
            Selection::Unknown
        ));
    }

    #[test]
    fn symmetric_encryption_and_disallowed_keys_are_skipped_with_reasons() {
        let (set, skipped) = parse(vec![
            json!({"kty": "oct", "k": "c2VjcmV0", "kid": "h", "alg": "HS256"}),
            {
                let mut k = ec("enc", Some("ES256"));
                k["use"] = json!("enc");
                k
            },
            ec("es384", Some("ES384")),
            ec("liar", Some("RS256")),
        ]);
        assert_eq!(set.len(), 0);
        assert_eq!(skipped.len(), 4, "{skipped:#?}");
        assert!(skipped[0].contains("symmetric"), "{}", skipped[0]);
        assert!(skipped[1].contains("use"), "{}", skipped[1]);
        assert!(skipped[2].contains("not allowed"), "{}", skipped[2]);
        assert!(skipped[3].contains("does not fit"), "{}", skipped[3]);
    }

    #[test]
    fn an_rsa_key_without_alg_is_skipped_when_several_rsa_algorithms_are_allowed() {
        let key = json!({"kty": "RSA", "n": "AQAB", "e": "AQAB", "kid": "r"});
        let doc = json!({ "keys": [key] }).to_string();
        let (set, _) = KeySet::parse(doc.as_bytes(), &[Alg::RS256, Alg::PS256]).unwrap();
        assert_eq!(set.len(), 0);
        let (set, _) = KeySet::parse(doc.as_bytes(), &[Alg::RS256]).unwrap();
        assert_eq!(set.len(), 1);
    }

    #[test]
    fn a_token_without_kid_uses_the_only_key_for_its_alg() {
        let (one, _) = parse(vec![ec("a", Some("ES256"))]);
        assert!(matches!(
            one.select(&header(Alg::ES256, None)),
            Selection::Found(_)
        ));
        let (two, _) = parse(vec![ec("a", Some("ES256")), ec("b", Some("ES256"))]);
        assert!(matches!(
            two.select(&header(Alg::ES256, None)),
            Selection::Refused(Invalid::NoKid { candidates: 2, .. })
        ));
    }

    #[test]
    fn a_document_without_keys_is_an_error() {
        assert!(KeySet::parse(b"{}", ALLOWED).is_err());
        assert!(KeySet::parse(b"<html>", ALLOWED).is_err());
    }
}
