//! Why a token is refused: every reason an `invalid_token` answer can give (RFC 6750 §3.1).

use std::fmt;

use fauxauth_core::jose::{Alg, Refusal, shown};

/// Why a token is not accepted. Its `Display` is the `error_description` sent back.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Invalid {
    /// Not a JWS in compact serialization (RFC 7515 §7.1).
    NotJwt,
    /// A JWE (five parts): encrypted access tokens are not supported.
    Encrypted,
    /// The JOSE header is not base64url-encoded JSON, or a member has the wrong type.
    BadHeader(&'static str),
    /// `alg: none` (RFC 8725 §3.1: never accept unsigned tokens).
    AlgNone,
    /// An HMAC `alg`: a resource holds public keys only, and a public key used as an HMAC secret
    /// lets anyone forge tokens (RFC 8725 §2.1).
    Hmac(String),
    /// An `alg` not in the allow-list.
    AlgNotAllowed(String),
    /// The header names its own key (`jwk`, `jku`, `x5u`, `x5c`): only the issuer's JWKS is
    /// trusted (RFC 8725 §3.10).
    KeyInHeader(&'static str),
    /// `crit` names extensions this resource does not understand (RFC 7515 §4.1.11).
    Crit,
    /// `typ` is not `at+jwt` (RFC 9068 §4): e.g. an ID token presented as an access token.
    Typ(Option<String>),
    /// No key of the issuer's JWKS has this `kid` (even after refetching, when allowed).
    UnknownKid(String),
    /// The token names no `kid` and the JWKS does not have exactly one key for its `alg`.
    NoKid { alg: Alg, candidates: usize },
    /// The key named by `kid` is pinned to another algorithm (RFC 8725 §3.1).
    AlgMismatch { token: Alg, key: Alg },
    /// The signature does not verify with the issuer's key.
    BadSignature,
    /// The payload is not a JSON object.
    BadPayload,
    /// A required claim is absent.
    Missing(&'static str),
    /// A claim has the wrong JSON type.
    WrongType(&'static str),
    /// `iss` is not this resource's issuer.
    Issuer { found: String, expected: String },
    /// `aud` does not name this resource.
    Audience { found: String, expected: String },
    /// `exp` is past (beyond the leeway).
    Expired { exp: i64, now: i64 },
    /// `nbf` is in the future (beyond the leeway).
    NotYetValid { nbf: i64, now: i64 },
    /// `iat` is in the future (beyond the leeway): the issuer's clock or the token is wrong.
    IssuedInFuture { iat: i64, now: i64 },
    /// Introspection answered `active: false` (RFC 7662 §2.2): revoked, expired or unknown.
    Inactive,
    /// Introspection described a token that is not a bearer access token.
    TokenType(String),
}

impl fmt::Display for Invalid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NotJwt => f.write_str("the access token is not a JWT (RFC 7519)"),
            Self::Encrypted => f.write_str("encrypted (JWE) access tokens are not supported"),
            Self::BadHeader(what) => write!(f, "the token's JOSE header is malformed: {what}"),
            Self::AlgNone => {
                f.write_str("unsigned tokens (alg none) are never accepted (RFC 8725 §3.1)")
            }
            Self::Hmac(alg) => write!(
                f,
                "alg {} is refused: HMAC would take a public key as a shared secret \
                 (RFC 8725 §2.1)",
                shown(alg)
            ),
            Self::AlgNotAllowed(alg) => write!(f, "alg {} is not allowed here", shown(alg)),
            Self::KeyInHeader(member) => write!(
                f,
                "the token's header carries {member}: keys come from the issuer's JWKS only \
                 (RFC 8725 §3.10)"
            ),
            Self::Crit => f.write_str(
                "the token's header has crit extensions this resource does not understand \
                 (RFC 7515 §4.1.11)",
            ),
            Self::Typ(Some(typ)) => write!(
                f,
                "the token's typ is {}, not at+jwt: it is not an access token (RFC 9068 §4)",
                shown(typ)
            ),
            Self::Typ(None) => {
                f.write_str("the token has no typ; access tokens are typed at+jwt (RFC 9068 §4)")
            }
            Self::UnknownKid(kid) => {
                write!(f, "no key in the issuer's JWKS has kid {}", shown(kid))
            }
            Self::NoKid { alg, candidates } => write!(
                f,
                "the token names no kid and the issuer's JWKS has {candidates} keys for {alg}"
            ),
            Self::AlgMismatch { token, key } => write!(
                f,
                "the token says alg {token} but its key is for {key} (RFC 8725 §3.1)"
            ),
            Self::BadSignature => {
                f.write_str("the signature does not verify with the issuer's key")
            }
            Self::BadPayload => f.write_str("the token's claims are not a JSON object"),
            Self::Missing(claim) => write!(f, "the token has no {claim} claim"),
            Self::WrongType(claim) => write!(f, "the token's {claim} claim has the wrong type"),
            Self::Issuer { found, expected } => write!(
                f,
                "the token was issued by {}, not by {}",
                shown(found),
                shown(expected)
            ),
            Self::Audience { found, expected } => write!(
                f,
                "the token is for audience {}, not {}",
                shown(found),
                shown(expected)
            ),
            Self::Expired { exp, now } => write!(
                f,
                "the token expired {}s ago (exp {exp})",
                now.saturating_sub(*exp)
            ),
            Self::NotYetValid { nbf, now } => write!(
                f,
                "the token is not valid for another {}s (nbf {nbf})",
                nbf.saturating_sub(*now)
            ),
            Self::IssuedInFuture { iat, now } => write!(
                f,
                "the token claims to be issued {}s in the future (iat {iat})",
                iat.saturating_sub(*now)
            ),
            Self::Inactive => f.write_str(
                "the issuer says the token is not active: revoked, expired or unknown \
                 (RFC 7662 §2.2)",
            ),
            Self::TokenType(t) => {
                write!(
                    f,
                    "the token is a {} token, not a bearer access token",
                    shown(t)
                )
            }
        }
    }
}

/// A value taken from the token, quoted and cut short: it is the sender's text.
/// A refusal of the shared JOSE checks, in the resource's words.
impl From<Refusal> for Invalid {
    fn from(refusal: Refusal) -> Self {
        match refusal {
            Refusal::NotJwt => Self::NotJwt,
            Refusal::Encrypted => Self::Encrypted,
            Refusal::BadHeader(what) => Self::BadHeader(what),
            Refusal::AlgNone => Self::AlgNone,
            Refusal::Hmac(alg) => Self::Hmac(alg),
            Refusal::AlgNotAllowed(alg) => Self::AlgNotAllowed(alg),
            Refusal::KeyInHeader(member) => Self::KeyInHeader(member),
            Refusal::Crit => Self::Crit,
            Refusal::Typ(typ) => Self::Typ(typ),
            Refusal::NoKid { alg, candidates } => Self::NoKid { alg, candidates },
            Refusal::AlgMismatch { token, key } => Self::AlgMismatch { token, key },
            Refusal::BadSignature => Self::BadSignature,
            Refusal::BadPayload => Self::BadPayload,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn descriptions_quote_what_the_token_said_and_cut_it_short() {
        let text = Invalid::AlgNotAllowed("X".repeat(500)).to_string();
        assert!(text.len() < 120, "{text}");
        assert_eq!(
            Invalid::Typ(Some("JWT".into())).to_string(),
            "the token's typ is \"JWT\", not at+jwt: it is not an access token (RFC 9068 §4)"
        );
    }
}
