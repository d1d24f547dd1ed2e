//! The JOSE header of a JWT access token, read and judged before any key is looked at
//! (RFC 7515 §4, RFC 8725 §3, RFC 9068 §4).
//!
//! The header is parsed here rather than by `jsonwebtoken` so that each refusal gets its own
//! description: `jsonwebtoken` cannot even represent `alg: none`.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use serde_json::{Map, Value};

use super::invalid::Invalid;
use crate::config::Alg;

/// What the checks need from a header that passed them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct JoseHeader {
    pub alg: Alg,
    pub kid: Option<String>,
}

/// The rules a header must follow.
#[derive(Clone, Copy, Debug)]
pub struct HeaderRules<'a> {
    pub allowed_algs: &'a [Alg],
    pub require_at_jwt: bool,
}

/// Header members that point at a key other than the issuer's JWKS (RFC 7515 §4.1.2-4.1.6).
const KEY_MEMBERS: [&str; 4] = ["jwk", "jku", "x5u", "x5c"];

/// Reads `token`'s JOSE header and checks it: a JWS, an allowed asymmetric `alg`, no key of its
/// own, no `crit`, and `typ: at+jwt` when required.
pub fn check_header(token: &str, rules: HeaderRules<'_>) -> Result<JoseHeader, Invalid> {
    let parts = token.split('.').count();
    if parts == 5 {
        return Err(Invalid::Encrypted);
    }
    if parts != 3 {
        return Err(Invalid::NotJwt);
    }
    let encoded = token.split('.').next().unwrap_or_default();
    let bytes = B64
        .decode(encoded)
        .map_err(|_| Invalid::BadHeader("not base64url"))?;
    let header: Map<String, Value> =
        serde_json::from_slice(&bytes).map_err(|_| Invalid::BadHeader("not a JSON object"))?;

    let alg = match header.get("alg") {
        Some(Value::String(alg)) => alg,
        Some(_) => return Err(Invalid::BadHeader("alg is not a string")),
        None => return Err(Invalid::BadHeader("alg is missing")),
    };
    // Case-insensitive on purpose: "None" and "NONE" are classic bypass attempts.
    if alg.eq_ignore_ascii_case("none") {
        return Err(Invalid::AlgNone);
    }
    if alg.get(..2).is_some_and(|p| p.eq_ignore_ascii_case("HS")) {
        return Err(Invalid::Hmac(alg.clone()));
    }
    let alg = Alg::from_name(alg)
        .filter(|a| rules.allowed_algs.contains(a))
        .ok_or_else(|| Invalid::AlgNotAllowed(alg.clone()))?;

    if let Some(member) = KEY_MEMBERS.into_iter().find(|m| header.contains_key(*m)) {
        return Err(Invalid::KeyInHeader(member));
    }
    if header.contains_key("crit") {
        return Err(Invalid::Crit);
    }
    if rules.require_at_jwt {
        match header.get("typ") {
            Some(Value::String(typ)) if is_at_jwt(typ) => {}
            Some(Value::String(typ)) => return Err(Invalid::Typ(Some(typ.clone()))),
            Some(_) => return Err(Invalid::BadHeader("typ is not a string")),
            None => return Err(Invalid::Typ(None)),
        }
    }
    let kid = match header.get("kid") {
        None => None,
        Some(Value::String(kid)) => Some(kid.clone()),
        Some(_) => return Err(Invalid::BadHeader("kid is not a string")),
    };
    Ok(JoseHeader { alg, kid })
}

/// RFC 9068 §4: `typ` is `at+jwt` or `application/at+jwt`; media types compare without regard to
/// case (RFC 7515 §4.1.9).
fn is_at_jwt(typ: &str) -> bool {
    let typ = typ.strip_prefix("application/").unwrap_or(typ);
    typ.eq_ignore_ascii_case("at+jwt")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const RULES: HeaderRules<'static> = HeaderRules {
        allowed_algs: &[Alg::RS256, Alg::ES256, Alg::EdDSA],
        require_at_jwt: true,
    };

    fn token(header: Value) -> String {
        format!("{}.e30.c2ln", B64.encode(header.to_string()))
    }

    fn check(header: Value) -> Result<JoseHeader, Invalid> {
        check_header(&token(header), RULES)
    }

    #[test]
    fn a_typed_header_with_an_allowed_alg_passes() {
        assert_eq!(
            check(json!({"alg": "ES256", "typ": "at+jwt", "kid": "k1"})),
            Ok(JoseHeader {
                alg: Alg::ES256,
                kid: Some("k1".into())
            })
        );
        assert!(check(json!({"alg": "RS256", "typ": "application/AT+JWT"})).is_ok());
    }

    #[test]
    fn unsigned_tokens_are_refused_however_none_is_spelt() {
        for none in ["none", "None", "NONE"] {
            assert_eq!(
                check(json!({"alg": none, "typ": "at+jwt"})),
                Err(Invalid::AlgNone)
            );
        }
    }

    #[test]
    fn hmac_is_refused_as_algorithm_confusion() {
        for alg in ["HS256", "HS384", "HS512", "hs256"] {
            assert_eq!(
                check(json!({"alg": alg, "typ": "at+jwt"})),
                Err(Invalid::Hmac(alg.into()))
            );
        }
    }

    #[test]
    fn algorithms_outside_the_allow_list_are_refused() {
        assert_eq!(
            check(json!({"alg": "PS256", "typ": "at+jwt"})),
            Err(Invalid::AlgNotAllowed("PS256".into()))
        );
        assert_eq!(
            check(json!({"alg": "es256", "typ": "at+jwt"})),
            Err(Invalid::AlgNotAllowed("es256".into()))
        );
    }

    #[test]
    fn headers_that_bring_their_own_key_are_refused() {
        for member in KEY_MEMBERS {
            let mut header = json!({"alg": "ES256", "typ": "at+jwt"});
            header[member] = json!("https://attacker.example/key");
            assert_eq!(check(header), Err(Invalid::KeyInHeader(member)));
        }
    }

    #[test]
    fn crit_extensions_are_refused() {
        assert_eq!(
            check(json!({"alg": "ES256", "typ": "at+jwt", "crit": ["exp"], "exp": 1})),
            Err(Invalid::Crit)
        );
    }

    #[test]
    fn an_id_token_or_untyped_jwt_is_not_an_access_token() {
        assert_eq!(
            check(json!({"alg": "ES256", "typ": "JWT"})),
            Err(Invalid::Typ(Some("JWT".into())))
        );
        assert_eq!(check(json!({"alg": "ES256"})), Err(Invalid::Typ(None)));
        let lenient = HeaderRules {
            require_at_jwt: false,
            ..RULES
        };
        assert!(check_header(&token(json!({"alg": "ES256", "typ": "JWT"})), lenient).is_ok());
    }

    #[test]
    fn what_is_not_a_jws_is_named() {
        assert_eq!(check_header("opaque", RULES), Err(Invalid::NotJwt));
        assert_eq!(check_header("a.b.c.d.e", RULES), Err(Invalid::Encrypted));
        assert_eq!(
            check_header("!!.e30.c2ln", RULES),
            Err(Invalid::BadHeader("not base64url"))
        );
        assert_eq!(
            check_header(&format!("{}.e30.c2ln", B64.encode("[1]")), RULES),
            Err(Invalid::BadHeader("not a JSON object"))
        );
        assert_eq!(
            check(json!({"typ": "at+jwt"})),
            Err(Invalid::BadHeader("alg is missing"))
        );
    }
}
