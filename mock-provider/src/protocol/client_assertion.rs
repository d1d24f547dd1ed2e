//! Client assertions: a JWT a client signs to authenticate itself, with its private key
//! (`private_key_jwt`) or with its secret as an HMAC key (`client_secret_jwt`) (RFC 7521 §4.2,
//! RFC 7523 §2.2 and §3, OpenID Connect Core §9). The signature is checked by the caller, with
//! the client's key; what is here judges the claims of an assertion whose signature verified.

use serde_json::{Map, Value};

use fauxauth_core::jose::shown;

/// The one `client_assertion_type` there is (RFC 7523 §2.2).
pub const JWT_BEARER: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

/// How far in the future an assertion's `nbf` or `iat` may be: a client's clock a little ahead
/// is accepted, one a minute ahead is not.
pub const FUTURE_SKEW: i64 = 60;

/// What `aud` must name (RFC 7523 §3 point 3; OpenID Connect Core §9).
#[derive(
    Clone,
    Copy,
    Debug,
    Default,
    PartialEq,
    Eq,
    serde::Deserialize,
    serde::Serialize,
    schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum AudienceRule {
    /// The issuer identifier, the token endpoint's URL or the URL of the endpoint called, alone
    /// or among other values: what RFC 7523 and OpenID Connect Core accept.
    #[default]
    IssuerOrEndpoint,
    /// The issuer identifier alone, as one string (draft-ietf-oauth-rfc7523bis, which closes
    /// the audience injection found in 2024 against clients sending several values).
    Issuer,
}

/// What the claims are judged against.
#[derive(Debug)]
pub struct Expected<'a> {
    pub client_id: &'a str,
    pub issuer: &'a str,
    /// The other URLs an `aud` may name under [`AudienceRule::IssuerOrEndpoint`].
    pub endpoints: &'a [String],
    pub rule: AudienceRule,
    /// The provider's clock, in seconds since the epoch.
    pub now: i64,
}

/// An assertion whose claims passed: what replay detection needs.
#[derive(Debug, PartialEq, Eq)]
pub struct Accepted {
    pub jti: String,
    pub exp: i64,
}

/// Why an assertion's claims are refused. Its `Display` is the `error_description`.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Refused {
    #[error("the client assertion has no {0} claim (RFC 7523 §3)")]
    Missing(&'static str),
    #[error("the client assertion's {0} claim has the wrong type")]
    WrongType(&'static str),
    #[error(
        "the client assertion's {claim} is {}, not the client_id {}",
        shown(found),
        shown(expected)
    )]
    NotTheClient {
        claim: &'static str,
        found: String,
        expected: String,
    },
    #[error("the client assertion's aud {found} does not name this server: {wanted}")]
    Audience { found: String, wanted: String },
    #[error("the client assertion expired at {exp}; it is now {now} (RFC 7523 §3)")]
    Expired { exp: i64, now: i64 },
    #[error("the client assertion is not valid before {nbf}; it is now {now}")]
    NotYetValid { nbf: i64, now: i64 },
    #[error("the client assertion was issued in the future ({iat}; it is now {now})")]
    IssuedInFuture { iat: i64, now: i64 },
}

/// Judges an assertion's claims (RFC 7523 §3): `iss` and `sub` are the client, `aud` names this
/// server, `exp` is to come, `nbf` and `iat` not beyond [`FUTURE_SKEW`] ahead, and a `jti` is
/// there to be spent (OpenID Connect Core §9 makes it REQUIRED).
pub fn check(claims: &Map<String, Value>, expected: &Expected<'_>) -> Result<Accepted, Refused> {
    for claim in ["iss", "sub"] {
        let found = string(claims, claim)?.ok_or(Refused::Missing(claim))?;
        if found != expected.client_id {
            return Err(Refused::NotTheClient {
                claim,
                found: found.to_owned(),
                expected: expected.client_id.to_owned(),
            });
        }
    }
    audience(claims.get("aud"), expected)?;
    let now = expected.now;
    let exp = number(claims, "exp")?.ok_or(Refused::Missing("exp"))?;
    if exp <= now {
        return Err(Refused::Expired { exp, now });
    }
    if let Some(nbf) = number(claims, "nbf")?
        && nbf > now + FUTURE_SKEW
    {
        return Err(Refused::NotYetValid { nbf, now });
    }
    if let Some(iat) = number(claims, "iat")?
        && iat > now + FUTURE_SKEW
    {
        return Err(Refused::IssuedInFuture { iat, now });
    }
    let jti = string(claims, "jti")?
        .filter(|j| !j.is_empty())
        .ok_or(Refused::Missing("jti"))?;
    Ok(Accepted {
        jti: jti.to_owned(),
        exp,
    })
}

fn audience(aud: Option<&Value>, expected: &Expected<'_>) -> Result<(), Refused> {
    let refused = |wanted: String| Refused::Audience {
        found: aud.map_or_else(|| "(none)".to_owned(), Value::to_string),
        wanted,
    };
    match expected.rule {
        AudienceRule::Issuer => match aud {
            Some(Value::String(one)) if one == expected.issuer => Ok(()),
            None => Err(Refused::Missing("aud")),
            _ => Err(refused(format!(
                "the issuer identifier {} alone, as a string",
                shown(expected.issuer)
            ))),
        },
        AudienceRule::IssuerOrEndpoint => {
            let values: Vec<&str> = match aud {
                None => return Err(Refused::Missing("aud")),
                Some(Value::String(one)) => vec![one.as_str()],
                Some(Value::Array(many)) => many
                    .iter()
                    .map(|v| v.as_str().ok_or(Refused::WrongType("aud")))
                    .collect::<Result<_, _>>()?,
                Some(_) => return Err(Refused::WrongType("aud")),
            };
            let accepted =
                |v: &&str| *v == expected.issuer || expected.endpoints.iter().any(|e| e == v);
            if values.iter().any(accepted) {
                Ok(())
            } else {
                Err(refused(format!(
                    "the issuer identifier {} or the endpoint's URL",
                    shown(expected.issuer)
                )))
            }
        }
    }
}

fn string<'a>(
    claims: &'a Map<String, Value>,
    name: &'static str,
) -> Result<Option<&'a str>, Refused> {
    match claims.get(name) {
        None => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(_) => Err(Refused::WrongType(name)),
    }
}

/// A NumericDate (RFC 7519 §2): a JSON number, possibly with a fraction (cut off here).
fn number(claims: &Map<String, Value>, name: &'static str) -> Result<Option<i64>, Refused> {
    match claims.get(name) {
        None => Ok(None),
        Some(Value::Number(n)) => n
            .as_i64()
            .or_else(|| n.as_f64().filter(|f| f.is_finite()).map(|f| f as i64))
            .map(Some)
            .ok_or(Refused::WrongType(name)),
        Some(_) => Err(Refused::WrongType(name)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const NOW: i64 = 1_700_000_000;
    const ISSUER: &str = "http://127.0.0.1:9000";
    const TOKEN: &str = "http://127.0.0.1:9000/token";

    fn expected(rule: AudienceRule) -> Expected<'static> {
        static ENDPOINTS: std::sync::LazyLock<Vec<String>> =
            std::sync::LazyLock::new(|| vec![TOKEN.to_owned()]);
        Expected {
            client_id: "svc",
            issuer: ISSUER,
            endpoints: &ENDPOINTS,
            rule,
            now: NOW,
        }
    }

    fn good() -> Value {
        json!({"iss": "svc", "sub": "svc", "aud": TOKEN, "exp": NOW + 60, "iat": NOW, "jti": "j1"})
    }

    fn with(change: Value) -> Map<String, Value> {
        let mut claims = good();
        for (k, v) in change.as_object().unwrap() {
            if v.is_null() {
                claims.as_object_mut().unwrap().remove(k);
            } else {
                claims[k] = v.clone();
            }
        }
        claims.as_object().unwrap().clone()
    }

    fn judge(change: Value) -> Result<Accepted, Refused> {
        check(&with(change), &expected(AudienceRule::IssuerOrEndpoint))
    }

    #[test]
    fn a_good_assertion_gives_its_jti_and_exp() {
        assert_eq!(
            judge(json!({})),
            Ok(Accepted {
                jti: "j1".into(),
                exp: NOW + 60
            })
        );
    }

    #[test]
    fn the_issuer_the_token_endpoint_or_a_list_naming_one_is_an_audience() {
        for aud in [json!(ISSUER), json!(TOKEN), json!(["https://other", TOKEN])] {
            assert!(judge(json!({ "aud": aud })).is_ok(), "{aud}");
        }
        assert!(matches!(
            judge(json!({"aud": "https://other"})),
            Err(Refused::Audience { .. })
        ));
        assert_eq!(judge(json!({"aud": null})), Err(Refused::Missing("aud")));
        assert_eq!(judge(json!({"aud": [1]})), Err(Refused::WrongType("aud")));
    }

    #[test]
    fn the_strict_rule_takes_the_issuer_alone_as_a_string() {
        let strict = expected(AudienceRule::Issuer);
        assert!(check(&with(json!({"aud": ISSUER})), &strict).is_ok());
        for aud in [json!(TOKEN), json!([ISSUER]), json!([ISSUER, TOKEN])] {
            assert!(
                matches!(
                    check(&with(json!({ "aud": aud })), &strict),
                    Err(Refused::Audience { .. })
                ),
                "{aud}"
            );
        }
    }

    #[test]
    fn iss_and_sub_must_both_be_the_client() {
        for claim in ["iss", "sub"] {
            assert!(matches!(
                judge(json!({ claim: "other" })),
                Err(Refused::NotTheClient { claim: c, .. }) if c == claim
            ));
            assert_eq!(judge(json!({ claim: null })), Err(Refused::Missing(claim)));
        }
    }

    #[test]
    fn time_is_judged_against_the_providers_clock() {
        assert_eq!(
            judge(json!({"exp": NOW})),
            Err(Refused::Expired { exp: NOW, now: NOW })
        );
        assert_eq!(
            judge(json!({"exp": NOW - 300})),
            Err(Refused::Expired {
                exp: NOW - 300,
                now: NOW
            })
        );
        assert_eq!(judge(json!({"exp": null})), Err(Refused::Missing("exp")));
        assert!(judge(json!({"nbf": NOW + 8, "iat": NOW + 8})).is_ok());
        assert!(matches!(
            judge(json!({"nbf": NOW + 61})),
            Err(Refused::NotYetValid { .. })
        ));
        assert!(matches!(
            judge(json!({"iat": NOW + 61})),
            Err(Refused::IssuedInFuture { .. })
        ));
        assert!(judge(json!({"exp": (NOW + 60) as f64 + 0.5})).is_ok());
        assert_eq!(
            judge(json!({"exp": "soon"})),
            Err(Refused::WrongType("exp"))
        );
    }

    #[test]
    fn a_jti_is_required() {
        assert_eq!(judge(json!({"jti": null})), Err(Refused::Missing("jti")));
        assert_eq!(judge(json!({"jti": ""})), Err(Refused::Missing("jti")));
        assert_eq!(judge(json!({"jti": 7})), Err(Refused::WrongType("jti")));
    }
}
