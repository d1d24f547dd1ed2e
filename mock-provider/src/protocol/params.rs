//! Request parameters as RFC 6749 §3.1 and §3.2 define them.
//!
//! - Parameters sent without a value MUST be treated as if they were omitted (§3.1).
//! - Request and response parameters MUST NOT be included more than once (§3.1, §3.2).
//!
//! axum's `Form` and `Query` keep the last of repeated keys and turn empty values into
//! `Some("")`; both would hide exactly the mistakes this provider exists to catch.

use std::collections::HashMap;

/// Decoded `application/x-www-form-urlencoded` parameters, repeated ones remembered.
#[derive(Clone, Debug, Default)]
pub struct Params {
    values: HashMap<String, Vec<String>>,
}

/// A parameter that appeared more than once.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("parameter {0} must not be included more than once (RFC 6749 §3.1)")]
pub struct Repeated(pub String);

impl Params {
    pub fn parse(encoded: &[u8]) -> Self {
        let mut values: HashMap<String, Vec<String>> = HashMap::new();
        for (name, value) in form_urlencoded::parse(encoded) {
            values
                .entry(name.into_owned())
                .or_default()
                .push(value.into_owned());
        }
        Self { values }
    }

    /// Replaces every value of `name` with `value`, or removes it (`None`).
    pub fn set(&mut self, name: &str, value: Option<String>) {
        match value {
            Some(value) => {
                self.values.insert(name.to_owned(), vec![value]);
            }
            None => {
                self.values.remove(name);
            }
        }
    }

    /// The parameter's value; `None` when absent or empty; an error when repeated.
    pub fn get(&self, name: &str) -> Result<Option<&str>, Repeated> {
        match self.values.get(name).map(Vec::as_slice) {
            None | Some([]) => Ok(None),
            Some([one]) => Ok(Some(one.as_str()).filter(|v| !v.is_empty())),
            Some(_) => Err(Repeated(name.to_owned())),
        }
    }

    /// Every non-empty value of a parameter that may repeat (RFC 8693 §2.1: `resource`,
    /// `audience`).
    pub fn all(&self, name: &str) -> Vec<&str> {
        self.values
            .get(name)
            .into_iter()
            .flatten()
            .map(String::as_str)
            .filter(|v| !v.is_empty())
            .collect()
    }

    /// Whether the parameter was sent with a value.
    pub fn has(&self, name: &str) -> bool {
        self.values
            .get(name)
            .is_some_and(|v| v.iter().any(|v| !v.is_empty()))
    }

    /// The first parameter of `names` that is repeated, if any.
    pub fn first_repeated<'a>(&self, names: &[&'a str]) -> Option<&'a str> {
        names
            .iter()
            .copied()
            .find(|n| self.values.get(*n).is_some_and(|v| v.len() > 1))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_values_count_as_omitted() {
        let p = Params::parse(b"state=&nonce=n&scope=openid+profile");
        assert_eq!(p.get("state"), Ok(None));
        assert!(!p.has("state"));
        assert_eq!(p.get("scope"), Ok(Some("openid profile")));
        assert_eq!(p.get("missing"), Ok(None));
    }

    #[test]
    fn repeated_parameters_are_an_error() {
        let p = Params::parse(b"code=a&code=b&x=1");
        assert_eq!(p.get("code"), Err(Repeated("code".into())));
        assert_eq!(p.first_repeated(&["x", "code"]), Some("code"));
        assert_eq!(p.first_repeated(&["x"]), None);
    }

    #[test]
    fn percent_and_plus_are_decoded() {
        let p = Params::parse(b"redirect_uri=http%3A%2F%2F127.0.0.1%2Fcb%3Fa%3Db&s=a+b%2B");
        assert_eq!(p.get("redirect_uri"), Ok(Some("http://127.0.0.1/cb?a=b")));
        assert_eq!(p.get("s"), Ok(Some("a b+")));
    }
}
