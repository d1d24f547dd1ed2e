//! The authorization response as it arrives at `/callback` (RFC 6749 §4.1.2, §4.1.2.1), and the
//! checks made before any code is redeemed: `state` (RFC 6749 §10.12), `iss` (RFC 9207 §2.4),
//! and the error response. Hand-written: `openidconnect` builds the request but has no notion of
//! the response's query, and knows nothing of RFC 9207.

use std::fmt;

use crate::config::{Weakness, Weaknesses};
use crate::error::{Check, Error};

/// The parameters of an authorization response. Empty values count as absent (RFC 6749 §3.1).
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Callback {
    pub code: Option<String>,
    pub state: Option<String>,
    pub iss: Option<String>,
    pub error: Option<String>,
    pub error_description: Option<String>,
    /// Apple's one-time `user`: the person's name and address, as a JSON string.
    pub user: Option<String>,
}

// By hand: the code is a credential until redeemed and never reaches a log line.
impl fmt::Debug for Callback {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Callback")
            .field("code", &self.code.as_ref().map(|_| "[redacted]"))
            .field("state", &self.state.as_ref().map(|_| "[redacted]"))
            .field("iss", &self.iss)
            .field("error", &self.error)
            .field("error_description", &self.error_description)
            .field("user", &self.user.as_ref().map(|_| "[redacted]"))
            .finish()
    }
}

impl Callback {
    /// Reads the query. A repeated response parameter is refused (RFC 6749 §3.1: "MUST NOT be
    /// included more than once"); unknown parameters are ignored (§4.1.2: "MUST ignore").
    pub fn parse(query: &str) -> Result<Self, Error> {
        let mut callback = Self::default();
        for (name, value) in form_urlencoded::parse(query.as_bytes()) {
            let slot = match name.as_ref() {
                "code" => &mut callback.code,
                "state" => &mut callback.state,
                "iss" => &mut callback.iss,
                "error" => &mut callback.error,
                "error_description" => &mut callback.error_description,
                "user" => &mut callback.user,
                _ => continue,
            };
            if value.is_empty() {
                continue;
            }
            if slot.is_some() {
                return Err(Error::new(
                    Check::MalformedCallback,
                    format!("the parameter {name} is repeated"),
                ));
            }
            *slot = Some(value.into_owned());
        }
        Ok(callback)
    }
}

/// What the callback is checked against: what this session sent, and whom it sent it to.
#[derive(Debug)]
pub struct Expected<'a> {
    pub state: &'a str,
    /// The issuer identifier the request went to.
    pub issuer: &'a str,
    /// The provider's `authorization_response_iss_parameter_supported` (RFC 9207 §3).
    pub iss_advertised: bool,
}

/// The authorization code, if the callback passes every check in force, in this order: `state`,
/// `iss`, an error response, the code itself. State comes first so that a forged error response
/// is reported as the forgery it is.
pub fn check(
    callback: &Callback,
    expected: &Expected<'_>,
    weaknesses: Weaknesses,
) -> Result<String, Error> {
    if !weaknesses.has(Weakness::SkipStateCheck) && !weaknesses.has(Weakness::NoState) {
        // RFC 6749 §10.12: the state binds the response to this browser's request.
        match &callback.state {
            None => {
                return Err(Error::new(
                    Check::StateMismatch,
                    "the callback carries no state",
                ));
            }
            Some(state) if !same(state, expected.state) => {
                return Err(Error::new(
                    Check::StateMismatch,
                    "the callback's state is not the one this browser sent",
                ));
            }
            Some(_) => {}
        }
    }
    if !weaknesses.has(Weakness::SkipIssCheck) {
        // RFC 9207 §2.4: compare `iss` when present (simple string comparison, RFC 3986 §6.2.1);
        // refuse its absence when the provider advertises it.
        match &callback.iss {
            Some(iss) if iss != expected.issuer => {
                return Err(Error::new(
                    Check::IssMismatch,
                    format!(
                        "the callback names issuer {iss:?}, but the request went to {:?}",
                        expected.issuer
                    ),
                ));
            }
            None if expected.iss_advertised => {
                return Err(Error::new(
                    Check::IssMismatch,
                    "the provider advertises the iss parameter (RFC 9207), but the callback carries none",
                ));
            }
            _ => {}
        }
    }
    if let Some(error) = &callback.error
        && !weaknesses.has(Weakness::IgnoreErrorResponse)
    {
        let detail = match &callback.error_description {
            Some(description) => format!("{error}: {description}"),
            None => error.clone(),
        };
        return Err(Error::new(Check::AuthorizationError, detail));
    }
    callback
        .code
        .clone()
        .ok_or_else(|| Error::bare(Check::MissingCode))
}

/// Compares two secrets without an early exit on the first differing byte.
fn same(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    const ISSUER: &str = "http://127.0.0.1:9000";

    fn expected() -> Expected<'static> {
        Expected {
            state: "s1",
            issuer: ISSUER,
            iss_advertised: true,
        }
    }

    fn callback(query: &str) -> Callback {
        Callback::parse(query).unwrap()
    }

    fn run(query: &str, weaknesses: &[Weakness]) -> Result<String, Check> {
        check(&callback(query), &expected(), Weaknesses::of(weaknesses)).map_err(|e| e.check)
    }

    const GOOD: &str = "code=c1&state=s1&iss=http%3A%2F%2F127.0.0.1%3A9000";

    #[test]
    fn a_good_callback_yields_its_code() {
        assert_eq!(run(GOOD, &[]), Ok("c1".into()));
    }

    #[test]
    fn state_must_be_present_and_the_one_sent() {
        let tampered = GOOD.replace("state=s1", "state=s2");
        assert_eq!(run(&tampered, &[]), Err(Check::StateMismatch));
        let missing = GOOD.replace("state=s1", "");
        assert_eq!(run(&missing, &[]), Err(Check::StateMismatch));
        let empty = GOOD.replace("state=s1", "state=");
        assert_eq!(run(&empty, &[]), Err(Check::StateMismatch));
    }

    #[test]
    fn skip_state_check_lets_a_wrong_state_through_and_nothing_else() {
        let tampered = GOOD.replace("state=s1", "state=s2");
        assert_eq!(run(&tampered, &[Weakness::SkipStateCheck]), Ok("c1".into()));
        let wrong_iss = "code=c1&state=s2&iss=http%3A%2F%2Fevil";
        assert_eq!(
            run(wrong_iss, &[Weakness::SkipStateCheck]),
            Err(Check::IssMismatch)
        );
    }

    #[test]
    fn iss_must_name_the_issuer_and_be_present_when_advertised() {
        assert_eq!(
            run("code=c1&state=s1&iss=http%3A%2F%2Fevil", &[]),
            Err(Check::IssMismatch)
        );
        assert_eq!(run("code=c1&state=s1", &[]), Err(Check::IssMismatch));
        // Not advertised: absence is fine, a wrong one still is not (RFC 9207 §2.4).
        let quiet = Expected {
            iss_advertised: false,
            ..expected()
        };
        let none = Weaknesses::default();
        assert_eq!(
            check(&callback("code=c1&state=s1"), &quiet, none).unwrap(),
            "c1"
        );
        let wrong = check(&callback("code=c1&state=s1&iss=x"), &quiet, none).unwrap_err();
        assert_eq!(wrong.check, Check::IssMismatch);
    }

    #[test]
    fn iss_is_compared_as_a_plain_string() {
        let trailing = "code=c1&state=s1&iss=http%3A%2F%2F127.0.0.1%3A9000%2F";
        assert_eq!(run(trailing, &[]), Err(Check::IssMismatch));
    }

    #[test]
    fn skip_iss_check_lets_a_wrong_or_missing_iss_through_and_nothing_else() {
        let skip = [Weakness::SkipIssCheck];
        assert_eq!(
            run("code=c1&state=s1&iss=http%3A%2F%2Fevil", &skip),
            Ok("c1".into())
        );
        assert_eq!(run("code=c1&state=s1", &skip), Ok("c1".into()));
        assert_eq!(run("code=c1&state=s2", &skip), Err(Check::StateMismatch));
    }

    #[test]
    fn an_error_response_is_reported_with_its_description() {
        let error = check(
            &callback(
                "error=access_denied&error_description=The+user+said+no&state=s1&iss=http%3A%2F%2F127.0.0.1%3A9000",
            ),
            &expected(),
            Weaknesses::default(),
        )
        .unwrap_err();
        assert_eq!(error.check, Check::AuthorizationError);
        assert_eq!(error.detail, "access_denied: The user said no");
    }

    #[test]
    fn an_error_response_with_a_forged_state_is_reported_as_a_forgery() {
        let forged = "error=access_denied&state=s2&iss=http%3A%2F%2F127.0.0.1%3A9000";
        assert_eq!(run(forged, &[]), Err(Check::StateMismatch));
    }

    #[test]
    fn ignore_error_response_goes_on_as_if_the_login_had_succeeded() {
        let with_code = format!("{GOOD}&error=access_denied");
        assert_eq!(run(&with_code, &[]), Err(Check::AuthorizationError));
        let ignore = [Weakness::IgnoreErrorResponse];
        assert_eq!(run(&with_code, &ignore), Ok("c1".into()));
        let without_code = "error=access_denied&state=s1&iss=http%3A%2F%2F127.0.0.1%3A9000";
        assert_eq!(run(without_code, &ignore), Err(Check::MissingCode));
        assert_eq!(
            run(&with_code.replace("state=s1", "state=s2"), &ignore),
            Err(Check::StateMismatch)
        );
    }

    #[test]
    fn a_callback_without_code_or_error_is_refused() {
        assert_eq!(
            run("state=s1&iss=http%3A%2F%2F127.0.0.1%3A9000", &[]),
            Err(Check::MissingCode)
        );
    }

    #[test]
    fn repeated_parameters_are_refused_and_unknown_ones_ignored() {
        let error = Callback::parse("code=a&code=b&state=s1").unwrap_err();
        assert_eq!(error.check, Check::MalformedCallback);
        assert_eq!(error.detail, "the parameter code is repeated");
        assert_eq!(
            callback("code=a&session_state=x").code.as_deref(),
            Some("a")
        );
    }

    #[test]
    fn the_code_never_shows_in_debug_output() {
        let debug = format!("{:?}", callback("code=very-secret-code&state=s"));
        assert!(!debug.contains("very-secret-code"), "{debug}");
    }
}
