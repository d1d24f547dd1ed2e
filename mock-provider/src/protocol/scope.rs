//! Scopes (RFC 6749 §3.3): space-delimited, case-sensitive, order-insensitive.

use std::fmt;

/// The OpenID Connect scopes every issuer supports (OIDC Core §5.4, §11).
pub const OIDC_SCOPES: [&str; 6] = [
    "openid",
    "profile",
    "email",
    "address",
    "phone",
    "offline_access",
];

/// `scope-token = 1*NQCHAR`, where NQCHAR is %x21 / %x23-5B / %x5D-7E (RFC 6749 §3.3).
pub fn is_scope_token(s: &str) -> bool {
    !s.is_empty()
        && s.bytes()
            .all(|b| matches!(b, 0x21 | 0x23..=0x5B | 0x5D..=0x7E))
}

/// A set of scope tokens, in the order first given, without repeats.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Scopes(Vec<String>);

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{0:?} is not a valid scope token (RFC 6749 §3.3)")]
pub struct InvalidScopeToken(pub String);

impl Scopes {
    /// Whether it names no scope at all.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Parses a `scope` parameter. Tokens are separated by single spaces in the grammar; runs of
    /// spaces are tolerated, any other character outside NQCHAR is an error.
    pub fn parse(value: &str) -> Result<Self, InvalidScopeToken> {
        let mut out = Vec::new();
        for token in value.split(' ').filter(|t| !t.is_empty()) {
            if !is_scope_token(token) {
                return Err(InvalidScopeToken(token.to_owned()));
            }
            if !out.iter().any(|t: &String| t == token) {
                out.push(token.to_owned());
            }
        }
        Ok(Self(out))
    }

    pub fn contains(&self, token: &str) -> bool {
        self.0.iter().any(|t| t == token)
    }

    pub fn is_subset_of(&self, other: &Scopes) -> bool {
        self.0.iter().all(|t| other.contains(t))
    }

    pub fn iter(&self) -> impl Iterator<Item = &str> {
        self.0.iter().map(String::as_str)
    }

    /// The tokens not in `allowed`.
    pub fn outside<'a>(
        &'a self,
        allowed: impl Fn(&str) -> bool + 'a,
    ) -> impl Iterator<Item = &'a str> {
        self.iter().filter(move |t| !allowed(t))
    }
}

impl fmt::Display for Scopes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, t) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(" ")?;
            }
            f.write_str(t)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn order_does_not_matter_and_repeats_collapse() {
        let a = Scopes::parse("openid profile email").unwrap();
        let b = Scopes::parse("email  profile openid openid").unwrap();
        assert!(a.is_subset_of(&b) && b.is_subset_of(&a));
        assert_eq!(b.to_string(), "email profile openid");
    }

    #[test]
    fn characters_outside_nqchar_are_rejected() {
        assert_eq!(
            Scopes::parse("openid pro\"file"),
            Err(InvalidScopeToken("pro\"file".into()))
        );
        assert!(Scopes::parse("a\\b").is_err());
        assert!(Scopes::parse("items:read https://api.example/x").is_ok());
    }

    #[test]
    fn narrowing_is_a_subset_and_widening_is_not() {
        let granted = Scopes::parse("openid profile items:read").unwrap();
        assert!(Scopes::parse("items:read").unwrap().is_subset_of(&granted));
        assert!(!Scopes::parse("items:write").unwrap().is_subset_of(&granted));
        let extra: Vec<_> = Scopes::parse("openid admin")
            .unwrap()
            .outside(|t| granted.contains(t))
            .map(str::to_owned)
            .collect();
        assert_eq!(extra, ["admin"]);
    }
}
