//! Signing keys: deterministic derivation, loading from PEM, JWKS, signing and verification.
//!
//! A key loaded from a file is parsed once, when its issuer is built (so a bad file stops the
//! start), into an `aws-lc-rs` key pair kept ready to sign. A derived key is made on its first
//! use (its `kid`, its JWK, a signature), once: a provider that has signed nothing holds no key
//! material, and neither its start nor its idle memory pays for keys before they are needed. `jsonwebtoken` parses the private key again on every `encode`, which would put an RSA key
//! parse on every token; so JWS compact serialization (three base64url parts) is done here, and
//! `jsonwebtoken` serves for verification and the JWK types.
//!
//! Determinism: with no key files, key `i` of an issuer is derived from the server's seed, the
//! algorithm and `i`. ES256 and EdDSA keys derive in microseconds. RSA-2048 generation takes a
//! noticeable fraction of a second, so the RSA keys of the default seed are shipped precomputed in
//! `keys/` (a test checks that they are exactly what the derivation gives); other seeds pay the
//! generation cost once, on the key's first use.
//!
//! RS256 companions: OpenID Connect Discovery 1.0 §3 requires every provider to support RS256 for
//! ID tokens, so an issuer whose own algorithm is ES256 or EdDSA also holds an RS256 key, for the
//! clients that ask for RS256 ID tokens. Its companion keys are numbered like its own keys (see
//! [`key_index`]) but derive under a label of their own ([`SigningKey::derive_rs256_companion`]),
//! so no companion is ever any issuer's own RS256 key or rogue key, whatever the numbers.

use std::fmt;
use std::sync::OnceLock;

use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{self as sig, KeyPair as _};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use jsonwebtoken::jwk::{
    AlgorithmParameters, CommonParameters, EllipticCurve, EllipticCurveKeyParameters,
    EllipticCurveKeyType, Jwk, KeyAlgorithm, OctetKeyPairParameters, OctetKeyPairType,
    PublicKeyUse, RSAKeyParameters, RSAKeyType, ThumbprintHash,
};
use jsonwebtoken::{Algorithm, DecodingKey, Header, Validation};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// The seed used when the configuration names none.
pub const DEFAULT_SEED: &str = fauxauth_core::DEFAULT_SEED;

/// A seed no one can guess: 256 bits from the operating system, for a provider that must not
/// share its keys, codes and tokens with every other fauxauth (one reachable beyond loopback).
pub fn random_seed() -> String {
    use aws_lc_rs::rand::SecureRandom as _;
    let mut bytes = [0u8; 32];
    aws_lc_rs::rand::SystemRandom::new()
        .fill(&mut bytes)
        .expect("the system's random generator works");
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// RSA keys of [`DEFAULT_SEED`] by index, precomputed (see the module docs): the first four
/// generations of the first issuer and the first key of the next three (see [`key_index`]). These
/// are public test keys: anyone can derive them, so they protect nothing and must never guard
/// anything real.
const PRECOMPUTED_RSA: [(u32, &str); 7] = [
    (0, include_str!("../keys/rsa-0.pem")),
    (1, include_str!("../keys/rsa-1.pem")),
    (2, include_str!("../keys/rsa-2.pem")),
    (3, include_str!("../keys/rsa-3.pem")),
    (1000, include_str!("../keys/rsa-1000.pem")),
    (2000, include_str!("../keys/rsa-2000.pem")),
    (3000, include_str!("../keys/rsa-3000.pem")),
];

/// RS256 companion keys of [`DEFAULT_SEED`] by index, precomputed for the same numbers as
/// [`PRECOMPUTED_RSA`]: an ES256 or EdDSA issuer among the first four, rotated up to three times
/// at the first, starts and rotates without generating an RSA key. Public test keys too.
const PRECOMPUTED_RS256_COMPANION: [(u32, &str); 7] = [
    (0, include_str!("../keys/rs256-companion-0.pem")),
    (1, include_str!("../keys/rs256-companion-1.pem")),
    (2, include_str!("../keys/rs256-companion-2.pem")),
    (3, include_str!("../keys/rs256-companion-3.pem")),
    (1000, include_str!("../keys/rs256-companion-1000.pem")),
    (2000, include_str!("../keys/rs256-companion-2000.pem")),
    (3000, include_str!("../keys/rs256-companion-3000.pem")),
];

/// The label of an issuer's own keys in the derivation.
const OWN_LABEL: &[u8] = b"fauxauth/key/v1\0";
/// The label of RS256 companion keys: a derivation of their own, apart from every own key.
const RS256_COMPANION_LABEL: &[u8] = b"fauxauth/rs256-companion/v1\0";

/// The derivation index of generation `generation` of the issuer at `position` in the
/// configuration: each issuer has its own thousand. Generation 999 is the issuer's rogue key.
pub fn key_index(position: usize, generation: u32) -> u32 {
    u32::try_from(position)
        .unwrap_or(u32::MAX / 1000)
        .saturating_mul(1000)
        .saturating_add(generation.min(999))
}

/// The generation of an issuer's rogue key: derived like the others, never published.
pub const ROGUE_GENERATION: u32 = 999;

/// A JWS algorithm an issuer can sign with.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, Default, schemars::JsonSchema,
)]
pub enum SigningAlg {
    /// RSASSA-PKCS1-v1_5 with SHA-256 (RFC 7518 §3.3); the OpenID Connect default.
    #[default]
    RS256,
    /// ECDSA P-256 with SHA-256 (RFC 7518 §3.4).
    ES256,
    /// Ed25519 (RFC 8037).
    EdDSA,
}

impl SigningAlg {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::RS256 => "RS256",
            Self::ES256 => "ES256",
            Self::EdDSA => "EdDSA",
        }
    }

    pub fn jwt_algorithm(self) -> Algorithm {
        match self {
            Self::RS256 => Algorithm::RS256,
            Self::ES256 => Algorithm::ES256,
            Self::EdDSA => Algorithm::EdDSA,
        }
    }
}

impl fmt::Display for SigningAlg {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why a key could not be made or loaded.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error("not a PEM file: {0}")]
    Pem(#[from] pem::PemError),
    #[error("the PEM block is a {0:?}; expected PRIVATE KEY, RSA PRIVATE KEY or EC PRIVATE KEY")]
    PemTag(String),
    #[error("the key does not fit {alg}: {reason}")]
    Rejected { alg: SigningAlg, reason: String },
}

enum Pair {
    Rsa(sig::RsaKeyPair),
    Ec(sig::EcdsaKeyPair),
    Ed(sig::Ed25519KeyPair),
}

/// A private key with its public JWK and a verifier: parsed once, and for a derived key made on
/// first use.
pub struct SigningKey {
    alg: SigningAlg,
    /// How a derived key is made; `None` for a key loaded from a file, made at once.
    recipe: Option<Recipe>,
    material: OnceLock<Material>,
}

/// The inputs of a derived key.
struct Recipe {
    label: &'static [u8],
    precomputed_rsa: &'static [(u32, &'static str)],
    seed: String,
    index: u32,
}

/// What a key is once made.
struct Material {
    kid: String,
    pair: Pair,
    jwk: Jwk,
    decoding: DecodingKey,
}

impl fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SigningKey")
            .field("alg", &self.alg)
            .field("kid", &self.material.get().map(|m| m.kid.as_str()))
            .finish_non_exhaustive()
    }
}

impl SigningKey {
    /// Key number `index` for `alg`, derived from `seed`: the same inputs give the same key,
    /// on every machine, forever. Made on first use.
    pub fn derive(seed: &str, alg: SigningAlg, index: u32) -> Self {
        Self::derived(OWN_LABEL, &PRECOMPUTED_RSA, seed, alg, index)
    }

    /// RS256 companion key number `index`, derived from `seed` like [`Self::derive`] but under a
    /// label of its own: never equal to a key `derive` gives, whatever the index.
    pub fn derive_rs256_companion(seed: &str, index: u32) -> Self {
        Self::derived(
            RS256_COMPANION_LABEL,
            &PRECOMPUTED_RS256_COMPANION,
            seed,
            SigningAlg::RS256,
            index,
        )
    }

    fn derived(
        label: &'static [u8],
        precomputed_rsa: &'static [(u32, &'static str)],
        seed: &str,
        alg: SigningAlg,
        index: u32,
    ) -> Self {
        Self {
            alg,
            recipe: Some(Recipe {
                label,
                precomputed_rsa,
                seed: seed.to_owned(),
                index,
            }),
            material: OnceLock::new(),
        }
    }

    /// The key itself, made now if it is a derived key used for the first time.
    fn material(&self) -> &Material {
        self.material.get_or_init(|| {
            let recipe = self
                .recipe
                .as_ref()
                .expect("a key without a recipe is made when it is loaded");
            make(recipe, self.alg)
        })
    }

    /// Loads a private key from PEM: PKCS#8 (`PRIVATE KEY`) for any algorithm, PKCS#1
    /// (`RSA PRIVATE KEY`) for RS256, SEC1 (`EC PRIVATE KEY`) for ES256.
    pub fn from_pem(text: &str, alg: SigningAlg) -> Result<Self, KeyError> {
        let material = material_from_pem(text, alg)?;
        Ok(Self {
            alg,
            recipe: None,
            material: OnceLock::from(material),
        })
    }

    fn from_pkcs8_or_der(der: &[u8], alg: SigningAlg) -> Result<Material, KeyError> {
        let pair = match alg {
            SigningAlg::RS256 => sig::RsaKeyPair::from_pkcs8(der)
                .or_else(|_| sig::RsaKeyPair::from_der(der))
                .map(Pair::Rsa)
                .map_err(|e| rejected(alg, e))?,
            SigningAlg::ES256 => {
                let a = &sig::ECDSA_P256_SHA256_FIXED_SIGNING;
                sig::EcdsaKeyPair::from_pkcs8(a, der)
                    .or_else(|_| sig::EcdsaKeyPair::from_private_key_der(a, der))
                    .map(Pair::Ec)
                    .map_err(|e| rejected(alg, e))?
            }
            SigningAlg::EdDSA => sig::Ed25519KeyPair::from_pkcs8_maybe_unchecked(der)
                .map(Pair::Ed)
                .map_err(|e| rejected(alg, e))?,
        };
        Self::from_pair(pair, alg)
    }

    fn from_pair(pair: Pair, alg: SigningAlg) -> Result<Material, KeyError> {
        let algorithm = match &pair {
            Pair::Rsa(p) => {
                if p.public_modulus_len() < 256 {
                    return Err(KeyError::Rejected {
                        alg,
                        reason: "RSA keys must have at least 2048 bits".into(),
                    });
                }
                let public = p.public_key();
                AlgorithmParameters::RSA(RSAKeyParameters {
                    key_type: RSAKeyType::RSA,
                    n: B64.encode(public.modulus().big_endian_without_leading_zero()),
                    e: B64.encode(public.exponent().big_endian_without_leading_zero()),
                })
            }
            Pair::Ec(p) => {
                // Uncompressed SEC1 point: 0x04 || x (32 bytes) || y (32 bytes).
                let point = p.public_key().as_ref();
                AlgorithmParameters::EllipticCurve(EllipticCurveKeyParameters {
                    key_type: EllipticCurveKeyType::EC,
                    curve: EllipticCurve::P256,
                    x: B64.encode(&point[1..33]),
                    y: B64.encode(&point[33..65]),
                })
            }
            Pair::Ed(p) => AlgorithmParameters::OctetKeyPair(OctetKeyPairParameters {
                key_type: OctetKeyPairType::OctetKeyPair,
                curve: EllipticCurve::Ed25519,
                x: B64.encode(p.public_key().as_ref()),
            }),
        };
        let mut jwk = Jwk {
            common: CommonParameters {
                public_key_use: Some(PublicKeyUse::Signature),
                key_algorithm: Some(match alg {
                    SigningAlg::RS256 => KeyAlgorithm::RS256,
                    SigningAlg::ES256 => KeyAlgorithm::ES256,
                    SigningAlg::EdDSA => KeyAlgorithm::EdDSA,
                }),
                ..CommonParameters::default()
            },
            algorithm,
        };
        // RFC 7638 thumbprint: stable for as long as the key is, and the same on every run.
        let kid = jwk.thumbprint(ThumbprintHash::SHA256);
        jwk.common.key_id = Some(kid.clone());
        let decoding = DecodingKey::from_jwk(&jwk).map_err(|e| rejected(alg, e))?;
        Ok(Material {
            kid,
            pair,
            jwk,
            decoding,
        })
    }

    pub fn kid(&self) -> &str {
        &self.material().kid
    }

    pub fn alg(&self) -> SigningAlg {
        self.alg
    }

    /// The public key as published in the JWKS.
    pub fn jwk(&self) -> &Jwk {
        &self.material().jwk
    }

    /// Signs `claims` as a compact JWS (RFC 7515 §7.1) with header `typ` and this key's `kid`.
    pub fn sign<T: Serialize>(&self, typ: &str, claims: &T) -> String {
        let mut header = Header::new(self.alg.jwt_algorithm());
        header.typ = Some(typ.to_owned());
        header.kid = Some(self.kid().to_owned());
        self.sign_with_header(&header, claims)
    }

    /// Signs with a header given whole (its `alg` must be this key's).
    pub fn sign_with_header<T: Serialize>(&self, header: &Header, claims: &T) -> String {
        let mut out = String::with_capacity(1024);
        B64.encode_string(json(header), &mut out);
        out.push('.');
        B64.encode_string(json(claims), &mut out);
        let signature = self.sign_bytes(out.as_bytes());
        out.push('.');
        B64.encode_string(signature, &mut out);
        out
    }

    /// An unsecured JWS (RFC 7515 §A.5, `alg: none`): what a verifier must refuse.
    pub fn unsigned<T: Serialize>(typ: &str, claims: &T) -> String {
        let header = serde_json::json!({ "alg": "none", "typ": typ });
        let mut out = String::with_capacity(512);
        B64.encode_string(json(&header), &mut out);
        out.push('.');
        B64.encode_string(json(claims), &mut out);
        out.push('.');
        out
    }

    fn sign_bytes(&self, message: &[u8]) -> Vec<u8> {
        let rng = SystemRandom::new();
        match &self.material().pair {
            Pair::Rsa(p) => {
                let mut signature = vec![0; p.public_modulus_len()];
                p.sign(&sig::RSA_PKCS1_SHA256, &rng, message, &mut signature)
                    .expect("RSA signing with a validated key cannot fail");
                signature
            }
            Pair::Ec(p) => p
                .sign(&rng, message)
                .expect("ECDSA signing with a validated key cannot fail")
                .as_ref()
                .to_vec(),
            Pair::Ed(p) => p.sign(message).as_ref().to_vec(),
        }
    }

    /// Verifies `token`'s signature with this key, pinning the algorithm to this key's (RFC 8725
    /// §3.1), and returns its claims. Registered claims are the caller's to check: `exp` and `nbf`
    /// must be judged against the virtual clock, which `jsonwebtoken` cannot see.
    pub fn verify<T: serde::de::DeserializeOwned>(&self, token: &str) -> Option<T> {
        let mut validation = Validation::new(self.alg.jwt_algorithm());
        validation.required_spec_claims.clear();
        validation.validate_exp = false;
        validation.validate_nbf = false;
        validation.validate_aud = false;
        jsonwebtoken::decode(token, &self.material().decoding, &validation)
            .ok()
            .map(|data| data.claims)
    }
}

/// Makes a derived key from its recipe.
fn make(recipe: &Recipe, alg: SigningAlg) -> Material {
    let Recipe {
        label,
        precomputed_rsa,
        seed,
        index,
    } = recipe;
    let material = derivation_material(label, seed, alg, *index);
    let result = match alg {
        SigningAlg::RS256 => {
            let precomputed = precomputed_rsa.iter().find(|(i, _)| i == index);
            let pem = match precomputed {
                Some((_, pem)) if seed == DEFAULT_SEED => (*pem).to_owned(),
                _ => derive_rsa_pem(material),
            };
            material_from_pem(&pem, alg)
        }
        SigningAlg::ES256 => {
            derive_p256_pkcs8(material).and_then(|der| SigningKey::from_pkcs8_or_der(&der, alg))
        }
        SigningAlg::EdDSA => sig::Ed25519KeyPair::from_seed_unchecked(&material)
            .map_err(|e| rejected(alg, e))
            .and_then(|pair| SigningKey::from_pair(Pair::Ed(pair), alg)),
    };
    // Derivation feeds well-formed material to well-tested constructors; failure here is a bug
    // in this module, not something a user can cause.
    result.unwrap_or_else(|e| panic!("deriving {alg} key {index} failed: {e}"))
}

/// PKCS#8 (`PRIVATE KEY`) for any algorithm, PKCS#1 (`RSA PRIVATE KEY`) for RS256, SEC1
/// (`EC PRIVATE KEY`) for ES256.
fn material_from_pem(text: &str, alg: SigningAlg) -> Result<Material, KeyError> {
    let block = pem::parse(text)?;
    match block.tag() {
        "PRIVATE KEY" | "RSA PRIVATE KEY" | "EC PRIVATE KEY" => {
            SigningKey::from_pkcs8_or_der(block.contents(), alg)
        }
        other => Err(KeyError::PemTag(other.to_owned())),
    }
}

fn json<T: Serialize + ?Sized>(value: &T) -> Vec<u8> {
    serde_json::to_vec(value).expect("JWT headers and claims serialize to JSON")
}

fn rejected(alg: SigningAlg, e: impl fmt::Display) -> KeyError {
    KeyError::Rejected {
        alg,
        reason: e.to_string(),
    }
}

fn derivation_material(label: &[u8], seed: &str, alg: SigningAlg, index: u32) -> [u8; 32] {
    let mut hash = Sha256::new();
    hash.update(label);
    hash.update(seed.as_bytes());
    hash.update(b"\0");
    hash.update(alg.as_str().as_bytes());
    hash.update(index.to_be_bytes());
    hash.finalize().into()
}

fn derive_rsa_pem(material: [u8; 32]) -> String {
    use rand_chacha_rsa::rand_core::SeedableRng as _;
    use rsa::pkcs1::{EncodeRsaPrivateKey as _, LineEnding};

    let mut rng = rand_chacha_rsa::ChaCha20Rng::from_seed(material);
    let key = rsa::RsaPrivateKey::new(&mut rng, 2048).expect("RSA-2048 generation");
    key.to_pkcs1_pem(LineEnding::LF)
        .expect("PKCS#1 encoding")
        .to_string()
}

fn derive_p256_pkcs8(material: [u8; 32]) -> Result<Vec<u8>, KeyError> {
    use p256::pkcs8::EncodePrivateKey as _;

    // A 32-byte hash is a valid P-256 scalar except with negligible probability (zero or ≥ n);
    // rehash until it is one, so derivation never fails.
    let mut bytes = material;
    loop {
        if let Ok(secret) = p256::SecretKey::from_slice(&bytes) {
            let der = secret
                .to_pkcs8_der()
                .map_err(|e| rejected(SigningAlg::ES256, e))?;
            return Ok(der.as_bytes().to_vec());
        }
        bytes = Sha256::digest(bytes).into();
    }
}

/// `at_hash` / `c_hash` (OIDC Core §3.1.3.6): base64url of the left half of the hash that the
/// ID token's algorithm uses: SHA-256 for RS256 and ES256, SHA-512 for EdDSA with Ed25519 (the
/// OpenID Foundation's resolution for EdDSA, which `openidconnect` and others follow).
pub fn half_hash(alg: SigningAlg, value: &str) -> String {
    match alg {
        SigningAlg::RS256 | SigningAlg::ES256 => {
            B64.encode(&Sha256::digest(value.as_bytes())[..16])
        }
        SigningAlg::EdDSA => B64.encode(&sha2::Sha512::digest(value.as_bytes())[..32]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{Value, json};

    #[test]
    fn a_derived_key_is_made_on_first_use_and_a_loaded_one_at_once() {
        let derived = SigningKey::derive(DEFAULT_SEED, SigningAlg::RS256, 0);
        assert!(derived.material.get().is_none(), "nothing made before use");
        let kid = derived.kid().to_owned();
        assert!(derived.material.get().is_some());
        // Made once: the same key afterwards, and the same as a fresh derivation.
        assert_eq!(derived.kid(), kid);
        assert_eq!(
            SigningKey::derive(DEFAULT_SEED, SigningAlg::RS256, 0).kid(),
            kid
        );
        let loaded = SigningKey::from_pem(PRECOMPUTED_RSA[0].1, SigningAlg::RS256).unwrap();
        assert!(
            loaded.material.get().is_some(),
            "a file's key is checked when loaded"
        );
        assert_eq!(loaded.kid(), kid);
        assert!(SigningKey::from_pem("not pem", SigningAlg::RS256).is_err());
    }

    #[test]
    fn derived_keys_are_stable_and_distinct() {
        for alg in [SigningAlg::ES256, SigningAlg::EdDSA] {
            let a = SigningKey::derive("seed", alg, 0);
            let again = SigningKey::derive("seed", alg, 0);
            let b = SigningKey::derive("seed", alg, 1);
            let other_seed = SigningKey::derive("other", alg, 0);
            assert_eq!(a.kid(), again.kid(), "{alg}");
            assert_ne!(a.kid(), b.kid(), "{alg}");
            assert_ne!(a.kid(), other_seed.kid(), "{alg}");
        }
    }

    #[test]
    fn precomputed_rsa_keys_are_what_derivation_gives() {
        for (label, file, table) in [
            (OWN_LABEL, "rsa", &PRECOMPUTED_RSA),
            (
                RS256_COMPANION_LABEL,
                "rs256-companion",
                &PRECOMPUTED_RS256_COMPANION,
            ),
        ] {
            for (index, shipped) in table {
                let material = derivation_material(label, DEFAULT_SEED, SigningAlg::RS256, *index);
                assert_eq!(
                    derive_rsa_pem(material),
                    *shipped,
                    "keys/{file}-{index}.pem is not the derivation of the default seed"
                );
            }
        }
    }

    #[test]
    fn companion_keys_derive_apart_from_own_keys() {
        // Own and companion keys share their numbers; the label keeps every one distinct, the
        // rogue key's number included.
        for index in [0, 1, 999, 1000, 1999] {
            assert_ne!(
                derivation_material(RS256_COMPANION_LABEL, "seed", SigningAlg::RS256, index),
                derivation_material(OWN_LABEL, "seed", SigningAlg::RS256, index),
                "{index}"
            );
        }
        let own = SigningKey::derive(DEFAULT_SEED, SigningAlg::RS256, 0);
        let companion = SigningKey::derive_rs256_companion(DEFAULT_SEED, 0);
        assert_eq!(companion.alg(), SigningAlg::RS256);
        assert_ne!(companion.kid(), own.kid());
        assert_ne!(
            companion.kid(),
            SigningKey::derive_rs256_companion(DEFAULT_SEED, 1).kid()
        );
    }

    #[test]
    fn signatures_verify_with_the_published_key_only() {
        for alg in [SigningAlg::RS256, SigningAlg::ES256, SigningAlg::EdDSA] {
            let key = SigningKey::derive(DEFAULT_SEED, alg, 0);
            let token = key.sign("JWT", &json!({"sub": "alice"}));
            let claims: Value = key.verify(&token).expect("own signature verifies");
            assert_eq!(claims["sub"], "alice");

            let header = jsonwebtoken::decode_header(&token).unwrap();
            assert_eq!(header.kid.as_deref(), Some(key.kid()));
            assert_eq!(header.alg, alg.jwt_algorithm());

            let other = SigningKey::derive(DEFAULT_SEED, alg, 1);
            assert!(
                other.verify::<Value>(&token).is_none(),
                "{alg}: foreign key"
            );
            let mut tampered = token.clone();
            tampered.replace_range(
                token.find('.').unwrap() + 2..token.find('.').unwrap() + 3,
                "A",
            );
            assert!(key.verify::<Value>(&tampered).is_none(), "{alg}: tampered");
        }
    }

    #[test]
    fn pem_round_trip_keeps_the_kid() {
        let derived = SigningKey::derive(DEFAULT_SEED, SigningAlg::RS256, 0);
        let loaded = SigningKey::from_pem(PRECOMPUTED_RSA[0].1, SigningAlg::RS256).unwrap();
        assert_eq!(derived.kid(), loaded.kid());
    }

    #[test]
    fn wrong_pem_is_a_clear_error() {
        let err = SigningKey::from_pem(PRECOMPUTED_RSA[0].1, SigningAlg::ES256).unwrap_err();
        assert!(err.to_string().contains("does not fit ES256"), "{err}");
        let err = SigningKey::from_pem("nonsense", SigningAlg::RS256).unwrap_err();
        assert!(matches!(err, KeyError::Pem(_)), "{err}");
    }

    #[test]
    fn at_hash_matches_oidc_core_example() {
        // OIDC Core §A.3 example: access token "jHkWEdUXMU1BwAsC4vtUsZwnNvTIxEl0z9K3vx5KF0Y"
        // has at_hash "77QmUPtjPfzWtF2AnpK9RQ".
        assert_eq!(
            half_hash(
                SigningAlg::RS256,
                "jHkWEdUXMU1BwAsC4vtUsZwnNvTIxEl0z9K3vx5KF0Y"
            ),
            "77QmUPtjPfzWtF2AnpK9RQ"
        );
    }
}
