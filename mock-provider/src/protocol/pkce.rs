//! Proof Key for Code Exchange (RFC 7636).

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq as _;

/// `code_challenge_method` (RFC 7636 §4.3).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CodeChallengeMethod {
    S256,
    Plain,
}

impl CodeChallengeMethod {
    /// Parses the parameter; absent means `plain` (RFC 7636 §4.3).
    pub fn parse(value: Option<&str>) -> Option<Self> {
        match value {
            None | Some("plain") => Some(Self::Plain),
            Some("S256") => Some(Self::S256),
            Some(_) => None,
        }
    }
}

/// `code-verifier = 43*128unreserved` (RFC 7636 §4.1); the challenge has the same syntax (§4.2).
pub fn is_well_formed(value: &str) -> bool {
    (43..=128).contains(&value.len())
        && value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~'))
}

/// The challenge a verifier yields under `method` (RFC 7636 §4.2).
pub fn challenge_for(verifier: &str, method: CodeChallengeMethod) -> String {
    match method {
        CodeChallengeMethod::S256 => B64.encode(Sha256::digest(verifier.as_bytes())),
        CodeChallengeMethod::Plain => verifier.to_owned(),
    }
}

/// Whether `verifier` matches `challenge` (RFC 7636 §4.6), in constant time.
pub fn verify(verifier: &str, challenge: &str, method: CodeChallengeMethod) -> bool {
    is_well_formed(verifier)
        && bool::from(
            challenge_for(verifier, method)
                .as_bytes()
                .ct_eq(challenge.as_bytes()),
        )
}

#[cfg(test)]
mod tests {
    use super::*;

    // RFC 7636 Appendix B.
    const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
    const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";

    #[test]
    fn rfc_7636_appendix_b_example_verifies() {
        assert_eq!(
            challenge_for(VERIFIER, CodeChallengeMethod::S256),
            CHALLENGE
        );
        assert!(verify(VERIFIER, CHALLENGE, CodeChallengeMethod::S256));
    }

    #[test]
    fn wrong_or_malformed_verifiers_fail() {
        let other = "x".repeat(43);
        assert!(!verify(&other, CHALLENGE, CodeChallengeMethod::S256));
        assert!(
            !verify(CHALLENGE, CHALLENGE, CodeChallengeMethod::S256),
            "S256 is not plain"
        );
        assert!(!verify("short", "short", CodeChallengeMethod::Plain));
        assert!(!is_well_formed(&"a".repeat(42)));
        assert!(!is_well_formed(&"a".repeat(129)));
        assert!(!is_well_formed(&format!("{}+/=", "a".repeat(43))));
        assert!(is_well_formed(&"a".repeat(128)));
    }

    #[test]
    fn method_defaults_to_plain_and_rejects_unknown() {
        assert_eq!(
            CodeChallengeMethod::parse(None),
            Some(CodeChallengeMethod::Plain)
        );
        assert_eq!(
            CodeChallengeMethod::parse(Some("S256")),
            Some(CodeChallengeMethod::S256)
        );
        assert_eq!(CodeChallengeMethod::parse(Some("S512")), None);
        assert_eq!(CodeChallengeMethod::parse(Some("s256")), None);
    }
}
