//! The client's one source of randomness. Every `state`, `nonce`, PKCE verifier and session id
//! is drawn here, so a harness that wants reproducible runs has one function to replace.

use openidconnect::CsrfToken;

/// A fresh secret: 256 bits from the operating system, base64url without padding (43 characters,
/// which is also a valid PKCE verifier, RFC 7636 §4.1).
pub fn fresh_secret() -> String {
    CsrfToken::new_random_len(32).into_secret()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_43_unreserved_characters_and_differ() {
        let a = fresh_secret();
        let b = fresh_secret();
        assert_eq!(a.len(), 43);
        assert!(
            a.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        );
        assert_ne!(a, b);
    }
}
