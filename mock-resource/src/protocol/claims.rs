//! Claim checks: the registered claims of a JWT access token (RFC 7519 §4.1, RFC 9068 §4) and the
//! members of an introspection answer (RFC 7662 §2.2), judged against an explicit `now`.

use serde_json::{Map, Value};

use super::invalid::Invalid;

/// What a token must say, and when "now" is.
#[derive(Clone, Copy, Debug)]
pub struct Expected<'a> {
    pub issuer: &'a str,
    pub audience: &'a str,
    /// Seconds of clock skew tolerated on `exp`, `nbf` and `iat`.
    pub leeway: i64,
    /// Seconds since the Unix epoch.
    pub now: i64,
}

/// What a handler needs from a token that passed.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Checked {
    pub sub: Option<String>,
    pub client_id: Option<String>,
    pub scope: Vec<String>,
}

/// RFC 9068 §4: `iss` is the issuer, `aud` names this resource, `exp` is not past; and, as
/// RFC 7519 §4.1.5-4.1.6 allow, `nbf` is not in the future, nor `iat` beyond the leeway.
pub fn check_jwt_claims(
    claims: &Map<String, Value>,
    expected: &Expected,
) -> Result<Checked, Invalid> {
    match claims.get("iss") {
        None => return Err(Invalid::Missing("iss")),
        Some(iss) => check_issuer(iss, expected)?,
    }
    match claims.get("aud") {
        None => return Err(Invalid::Missing("aud")),
        Some(aud) => check_audience(aud, expected)?,
    }
    match numeric_date(claims, "exp")? {
        None => return Err(Invalid::Missing("exp")),
        Some(exp) => check_exp(exp, expected)?,
    }
    check_times(claims, expected)?;
    checked(claims)
}

/// An introspection answer's `active` is `true` and its `token_type`, when present (or always,
/// when `type_required`), is Bearer, or DPoP for a token bound to a key (RFC 9449 §6.2: the
/// binding, `cnf.jkt`, is then checked against the request's proof).
fn active_bearer(answer: &Map<String, Value>, type_required: bool) -> Result<(), Invalid> {
    if answer.get("active") != Some(&Value::Bool(true)) {
        return Err(Invalid::Inactive);
    }
    match answer.get("token_type") {
        None if type_required => Err(Invalid::Missing("token_type")),
        None => Ok(()),
        Some(Value::String(t)) if t.eq_ignore_ascii_case("bearer") => Ok(()),
        Some(Value::String(t)) if t.eq_ignore_ascii_case("dpop") && answer.contains_key("cnf") => {
            Ok(())
        }
        Some(Value::String(t)) => Err(Invalid::TokenType(t.clone())),
        Some(_) => Err(Invalid::WrongType("token_type")),
    }
}

/// RFC 7662 §2.2: `active` must be `true`. Beyond that, the answer is held to what a JWT would
/// be: it must be a bearer token for this audience from this issuer, still within its times.
/// `aud` is required (a refresh token, for one, has none); other members are checked when present.
pub fn check_introspection(
    answer: &Map<String, Value>,
    expected: &Expected,
) -> Result<Checked, Invalid> {
    active_bearer(answer, false)?;
    if let Some(iss) = answer.get("iss") {
        check_issuer(iss, expected)?;
    }
    match answer.get("aud") {
        None => return Err(Invalid::Missing("aud")),
        Some(aud) => check_audience(aud, expected)?,
    }
    if let Some(exp) = numeric_date(answer, "exp")? {
        check_exp(exp, expected)?;
    }
    check_times(answer, expected)?;
    checked(answer)
}

/// With a preset, the provider's introspection endpoint is the judge, as the real APIs take
/// every token their provider issued: `active` must be `true`, and the token a bearer access
/// token (`token_type` is required here: a refresh token is active too, and fauxauth's provider
/// names the type of access tokens only). `iss`, when present, is the provider's base URL or a
/// URL under it (Microsoft's issuers are per tenant: `{base}/{tenant}/v2.0`). `aud` is not
/// checked (each real API takes its provider's tokens whatever their audience); `exp`, `nbf` and
/// `iat` are.
pub fn check_preset_introspection(
    answer: &Map<String, Value>,
    expected: &Expected,
) -> Result<Checked, Invalid> {
    active_bearer(answer, true)?;
    match answer.get("iss") {
        None => {}
        Some(Value::String(iss)) => {
            let base = expected.issuer.trim_end_matches('/');
            let under = iss
                .strip_prefix(base)
                .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'));
            if !under {
                return Err(Invalid::Issuer {
                    found: iss.clone(),
                    expected: expected.issuer.to_owned(),
                });
            }
        }
        Some(_) => return Err(Invalid::WrongType("iss")),
    }
    if let Some(exp) = numeric_date(answer, "exp")? {
        check_exp(exp, expected)?;
    }
    check_times(answer, expected)?;
    checked(answer)
}

fn check_issuer(iss: &Value, expected: &Expected) -> Result<(), Invalid> {
    match iss {
        // RFC 9068 §4: exact match, no normalisation.
        Value::String(iss) if iss == expected.issuer => Ok(()),
        Value::String(iss) => Err(Invalid::Issuer {
            found: iss.clone(),
            expected: expected.issuer.to_owned(),
        }),
        _ => Err(Invalid::WrongType("iss")),
    }
}

/// RFC 7519 §4.1.3: `aud` is a string or an array of strings, and must contain this audience.
fn check_audience(aud: &Value, expected: &Expected) -> Result<(), Invalid> {
    let found = match aud {
        Value::String(a) => vec![a.as_str()],
        Value::Array(items) => items
            .iter()
            .map(|v| v.as_str().ok_or(Invalid::WrongType("aud")))
            .collect::<Result<_, _>>()?,
        _ => return Err(Invalid::WrongType("aud")),
    };
    if found.contains(&expected.audience) {
        Ok(())
    } else {
        Err(Invalid::Audience {
            found: found.join(" "),
            expected: expected.audience.to_owned(),
        })
    }
}

/// RFC 7519 §4.1.4: the current time MUST be before `exp`.
fn check_exp(exp: i64, expected: &Expected) -> Result<(), Invalid> {
    if expected.now >= exp.saturating_add(expected.leeway) {
        return Err(Invalid::Expired {
            exp,
            now: expected.now,
        });
    }
    Ok(())
}

/// `nbf` (RFC 7519 §4.1.5) and `iat` (§4.1.6), when present.
fn check_times(claims: &Map<String, Value>, expected: &Expected) -> Result<(), Invalid> {
    let latest_acceptable = expected.now.saturating_add(expected.leeway);
    if let Some(nbf) = numeric_date(claims, "nbf")?
        && nbf > latest_acceptable
    {
        return Err(Invalid::NotYetValid {
            nbf,
            now: expected.now,
        });
    }
    if let Some(iat) = numeric_date(claims, "iat")?
        && iat > latest_acceptable
    {
        return Err(Invalid::IssuedInFuture {
            iat,
            now: expected.now,
        });
    }
    Ok(())
}

/// A NumericDate (RFC 7519 §2): seconds since the epoch, possibly fractional.
fn numeric_date(claims: &Map<String, Value>, name: &'static str) -> Result<Option<i64>, Invalid> {
    match claims.get(name) {
        None => Ok(None),
        Some(Value::Number(n)) => n
            .as_i64()
            .or_else(|| {
                n.as_f64()
                    .filter(|f| f.is_finite())
                    .map(|f| f.floor() as i64)
            })
            .map(Some)
            .ok_or(Invalid::WrongType(name)),
        Some(_) => Err(Invalid::WrongType(name)),
    }
}

fn optional_string(
    claims: &Map<String, Value>,
    name: &'static str,
) -> Result<Option<String>, Invalid> {
    match claims.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(_) => Err(Invalid::WrongType(name)),
    }
}

fn checked(claims: &Map<String, Value>) -> Result<Checked, Invalid> {
    Ok(Checked {
        sub: optional_string(claims, "sub")?,
        client_id: optional_string(claims, "client_id")?,
        // RFC 9068 §2.2.3 and RFC 7662 §2.2: space-separated scope tokens (RFC 6749 §3.3).
        scope: optional_string(claims, "scope")?
            .map(|s| s.split_ascii_whitespace().map(str::to_owned).collect())
            .unwrap_or_default(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const NOW: i64 = 1_700_000_000;
    const EXPECTED: Expected<'static> = Expected {
        issuer: "http://127.0.0.1:9000",
        audience: "api",
        leeway: 0,
        now: NOW,
    };

    fn claims(extra: Value) -> Map<String, Value> {
        let mut claims = json!({
            "iss": "http://127.0.0.1:9000", "aud": "api", "sub": "alice",
            "client_id": "web", "scope": "openid items:read", "exp": NOW + 60, "iat": NOW,
        });
        claims
            .as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        claims.as_object().unwrap().clone()
    }

    fn without(name: &str) -> Map<String, Value> {
        let mut c = claims(json!({}));
        c.remove(name);
        c
    }

    #[test]
    fn good_claims_give_subject_client_and_scopes() {
        assert_eq!(
            check_jwt_claims(&claims(json!({})), &EXPECTED),
            Ok(Checked {
                sub: Some("alice".into()),
                client_id: Some("web".into()),
                scope: vec!["openid".into(), "items:read".into()],
            })
        );
    }

    #[test]
    fn another_issuer_is_refused_exactly() {
        let err = check_jwt_claims(&claims(json!({"iss": "http://127.0.0.1:9000/"})), &EXPECTED);
        assert!(matches!(err, Err(Invalid::Issuer { .. })), "{err:?}");
        assert_eq!(
            check_jwt_claims(&without("iss"), &EXPECTED),
            Err(Invalid::Missing("iss"))
        );
    }

    #[test]
    fn the_audience_must_be_named_as_a_string_or_in_an_array() {
        assert!(check_jwt_claims(&claims(json!({"aud": ["other", "api"]})), &EXPECTED).is_ok());
        let err = check_jwt_claims(&claims(json!({"aud": ["other", "more"]})), &EXPECTED);
        assert_eq!(
            err,
            Err(Invalid::Audience {
                found: "other more".into(),
                expected: "api".into()
            })
        );
        assert_eq!(
            check_jwt_claims(&without("aud"), &EXPECTED),
            Err(Invalid::Missing("aud"))
        );
        assert_eq!(
            check_jwt_claims(&claims(json!({"aud": 7})), &EXPECTED),
            Err(Invalid::WrongType("aud"))
        );
    }

    #[test]
    fn a_token_is_expired_from_its_exp_second_unless_within_the_leeway() {
        let at_exp = claims(json!({"exp": NOW}));
        assert_eq!(
            check_jwt_claims(&at_exp, &EXPECTED),
            Err(Invalid::Expired { exp: NOW, now: NOW })
        );
        let lenient = Expected {
            leeway: 30,
            ..EXPECTED
        };
        assert!(check_jwt_claims(&claims(json!({"exp": NOW - 29})), &lenient).is_ok());
        assert!(check_jwt_claims(&claims(json!({"exp": NOW - 30})), &lenient).is_err());
        assert_eq!(
            check_jwt_claims(&without("exp"), &EXPECTED),
            Err(Invalid::Missing("exp"))
        );
    }

    #[test]
    fn nbf_and_iat_in_the_future_are_refused_beyond_the_leeway() {
        assert!(check_jwt_claims(&claims(json!({"nbf": NOW})), &EXPECTED).is_ok());
        assert_eq!(
            check_jwt_claims(&claims(json!({"nbf": NOW + 1})), &EXPECTED),
            Err(Invalid::NotYetValid {
                nbf: NOW + 1,
                now: NOW
            })
        );
        assert_eq!(
            check_jwt_claims(&claims(json!({"iat": NOW + 3600})), &EXPECTED),
            Err(Invalid::IssuedInFuture {
                iat: NOW + 3600,
                now: NOW
            })
        );
        let lenient = Expected {
            leeway: 5,
            ..EXPECTED
        };
        assert!(
            check_jwt_claims(&claims(json!({"iat": NOW + 5, "nbf": NOW + 5})), &lenient).is_ok()
        );
    }

    #[test]
    fn times_must_be_numeric_dates() {
        assert_eq!(
            check_jwt_claims(&claims(json!({"exp": "tomorrow"})), &EXPECTED),
            Err(Invalid::WrongType("exp"))
        );
        assert!(
            check_jwt_claims(&claims(json!({"exp": (NOW + 10) as f64 + 0.5})), &EXPECTED).is_ok()
        );
    }

    #[test]
    fn introspection_must_say_active_true() {
        for answer in [
            json!({"active": false}),
            json!({"active": "true"}),
            json!({}),
        ] {
            assert_eq!(
                check_introspection(answer.as_object().unwrap(), &EXPECTED),
                Err(Invalid::Inactive)
            );
        }
    }

    #[test]
    fn introspection_answers_are_checked_like_tokens() {
        let active = |extra: Value| {
            let mut a = claims(extra);
            a.insert("active".into(), json!(true));
            a
        };
        assert!(check_introspection(&active(json!({"token_type": "Bearer"})), &EXPECTED).is_ok());
        assert!(matches!(
            check_introspection(&active(json!({"aud": "other"})), &EXPECTED),
            Err(Invalid::Audience { .. })
        ));
        assert!(matches!(
            check_introspection(&active(json!({"iss": "http://elsewhere"})), &EXPECTED),
            Err(Invalid::Issuer { .. })
        ));
        assert_eq!(
            check_introspection(&active(json!({"token_type": "refresh_token"})), &EXPECTED),
            Err(Invalid::TokenType("refresh_token".into()))
        );
        let mut no_aud = active(json!({}));
        no_aud.remove("aud");
        assert_eq!(
            check_introspection(&no_aud, &EXPECTED),
            Err(Invalid::Missing("aud"))
        );
    }

    #[test]
    fn a_presets_answer_needs_a_bearer_token_from_under_the_base_url_whatever_its_audience() {
        let active = |extra: Value| {
            let mut a = claims(json!({"token_type": "Bearer", "aud": "graph"}));
            a.insert("active".into(), json!(true));
            a.extend(extra.as_object().unwrap().clone());
            a
        };
        let check = |answer| check_preset_introspection(&answer, &EXPECTED);
        assert_eq!(
            check(active(json!({}))).unwrap().sub.as_deref(),
            Some("alice")
        );
        // Microsoft's issuers are per tenant, under the provider's base URL.
        let tenant = json!({"iss": "http://127.0.0.1:9000/9188040d/v2.0"});
        assert!(check(active(tenant)).is_ok());
        for iss in [
            "http://127.0.0.1:90001",
            "http://elsewhere/",
            "http://127.0.0.1:9000x/a",
        ] {
            assert!(
                matches!(
                    check(active(json!({ "iss": iss }))),
                    Err(Invalid::Issuer { .. })
                ),
                "{iss}"
            );
        }
        let mut refresh = active(json!({}));
        refresh.remove("token_type");
        assert_eq!(check(refresh), Err(Invalid::Missing("token_type")));
        assert!(matches!(
            check(active(json!({"exp": NOW - 1}))),
            Err(Invalid::Expired { .. })
        ));
        assert_eq!(
            check(active(json!({"active": false}))),
            Err(Invalid::Inactive)
        );
    }
}
