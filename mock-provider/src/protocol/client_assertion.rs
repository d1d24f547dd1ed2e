//! JWT assertions (RFC 7521, RFC 7523 §3): a client assertion, which a client signs to
//! authenticate itself with its private key (`private_key_jwt`) or with its secret as an HMAC
//! key (`client_secret_jwt`) (RFC 7523 §2.2, OpenID Connect Core §9); and an authorization grant,
//! which a trusted issuer signs about a user (RFC 7523 §2.1). The signature is checked by the
//! caller; what is here judges the claims of an assertion whose signature verified.

use serde_json::{Map, Value};

use fauxauth_core::jose::shown;

/// The one `client_assertion_type` there is (RFC 7523 §2.2).
pub const JWT_BEARER: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

/// The `grant_type` of a JWT authorization grant (RFC 7523 §2.1).
pub const JWT_BEARER_GRANT: &str = "urn:ietf:params:oauth:grant-type:jwt-bearer";

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

/// Who an assertion must be from and about.
#[derive(Clone, Copy, Debug)]
pub enum Parties<'a> {
    /// A client assertion: `iss` and `sub` both the client id, and a `jti` (Core §9).
    Client(&'a str),
    /// An authorization grant from `iss`, about any `sub`; a `jti` is optional (RFC 7523 §3).
    Grant { iss: &'a str },
}

/// What the claims are judged against.
#[derive(Debug)]
pub struct Expected<'a> {
    pub parties: Parties<'a>,
    /// This issuer's identifier (an audience).
    pub issuer: &'a str,
    /// The other URLs an `aud` may name under [`AudienceRule::IssuerOrEndpoint`].
    pub endpoints: &'a [String],
    pub rule: AudienceRule,
    /// The provider's clock, in seconds since the epoch.
    pub now: i64,
}

/// An assertion whose claims passed: its subject, and what replay detection needs.
#[derive(Debug, PartialEq, Eq)]
pub struct Accepted {
    pub sub: String,
    /// Always there for a client assertion; for a grant, when it has one.
    pub jti: Option<String>,
    pub exp: i64,
}

/// Why an assertion's claims are refused. Its `Display` says what is wrong with "it", for the
/// caller to name ("the client assertion is refused: ...").
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Refused {
    #[error("it has no {0} claim (RFC 7523 §3)")]
    Missing(&'static str),
    #[error("its {0} claim has the wrong type")]
    WrongType(&'static str),
    #[error("its {claim} is {}, not {}", shown(found), shown(expected))]
    NotTheClient {
        claim: &'static str,
        found: String,
        expected: String,
    },
    #[error("its aud {found} does not name this server: {wanted}")]
    Audience { found: String, wanted: String },
    #[error("it expired at {exp}; it is now {now} (RFC 7523 §3)")]
    Expired { exp: i64, now: i64 },
    #[error("it is not valid before {nbf}; it is now {now}")]
    NotYetValid { nbf: i64, now: i64 },
    #[error("it was issued in the future ({iat}; it is now {now})")]
    IssuedInFuture { iat: i64, now: i64 },
}

/// Judges an assertion's claims (RFC 7523 §3): `iss` and `sub` as [`Parties`] says, `aud` names
/// this server, `exp` is to come, `nbf` and `iat` not beyond [`FUTURE_SKEW`] ahead, and a `jti`
/// to spend where one is required.
pub fn check(claims: &Map<String, Value>, expected: &Expected<'_>) -> Result<Accepted, Refused> {
    let iss = string(claims, "iss")?.ok_or(Refused::Missing("iss"))?;
    let sub = string(claims, "sub")?
        .filter(|s| !s.is_empty())
        .ok_or(Refused::Missing("sub"))?;
    let (wanted_iss, wanted_sub) = match expected.parties {
        Parties::Client(id) => (id, Some(id)),
        Parties::Grant { iss } => (iss, None),
    };
    for (claim, found, wanted) in [("iss", iss, Some(wanted_iss)), ("sub", sub, wanted_sub)] {
        if let Some(wanted) = wanted
            && found != wanted
        {
            return Err(Refused::NotTheClient {
                claim,
                found: found.to_owned(),
                expected: wanted.to_owned(),
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
    let jti = string(claims, "jti")?.filter(|j| !j.is_empty());
    if jti.is_none() && matches!(expected.parties, Parties::Client(_)) {
        return Err(Refused::Missing("jti"));
    }
    Ok(Accepted {
        sub: sub.to_owned(),
        jti: jti.map(str::to_owned),
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
            parties: Parties::Client("svc"),
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
                sub: "svc".into(),
                jti: Some("j1".into()),
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
    fn a_grant_is_from_its_issuer_about_anyone_and_may_leave_out_jti() {
        let grant = Expected {
            parties: Parties::Grant {
                iss: "https://idp.example",
            },
            ..expected(AudienceRule::IssuerOrEndpoint)
        };
        let claims =
            with(json!({"iss": "https://idp.example", "sub": "248289761001", "jti": null}));
        assert_eq!(
            check(&claims, &grant),
            Ok(Accepted {
                sub: "248289761001".into(),
                jti: None,
                exp: NOW + 60
            })
        );
        assert!(matches!(
            check(&with(json!({"sub": "u"})), &grant),
            Err(Refused::NotTheClient { claim: "iss", .. })
        ));
        let no_sub = with(json!({"iss": "https://idp.example", "sub": null}));
        assert_eq!(check(&no_sub, &grant), Err(Refused::Missing("sub")));
    }

    #[test]
    fn a_jti_is_required() {
        assert_eq!(judge(json!({"jti": null})), Err(Refused::Missing("jti")));
        assert_eq!(judge(json!({"jti": ""})), Err(Refused::Missing("jti")));
        assert_eq!(judge(json!({"jti": 7})), Err(Refused::WrongType("jti")));
    }
}
