//! The UserInfo endpoint (OIDC Core §5.3), a protected resource answering as RFC 6750 says.

use std::sync::Arc;

use axum::Extension;
use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use fauxauth_core::control::Injected;
use fauxauth_core::rules::TokenTarget;
use serde_json::{Value, json};

use crate::error::{BearerErrorCode, Error, json_no_store};
use crate::issuer::Issuer;
use crate::preset::Preset;
use crate::protocol::params::Params;
use crate::protocol::scope::Scopes;
use crate::tokens::{released_claims, verify_access_token};

pub(super) async fn userinfo(
    State(issuer): State<Arc<Issuer>>,
    injected: Option<Extension<Arc<Injected>>>,
    method: Method,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    match handle(&issuer, &method, query.as_deref(), &headers, &body) {
        Ok(mut claims) => {
            // Rules that change what UserInfo says (a `sub` other than the ID token's, say).
            let changes = injected.iter().flat_map(|Extension(i)| &i.token_changes);
            for change in changes.filter(|c| c.target == TokenTarget::Userinfo) {
                let object = claims.as_object_mut().expect("claims are an object");
                for (name, value) in &change.set_claims {
                    object.insert(name.clone(), value.clone());
                }
                for name in &change.remove_claims {
                    object.remove(name);
                }
            }
            if issuer.quirks.ok_envelope {
                let object = claims.as_object_mut().expect("claims are an object");
                object.insert("ok".into(), true.into());
            }
            json_no_store(StatusCode::OK, &claims)
        }
        // Slack's Web API refuses with HTTP 200: `not_authed` without a token, `invalid_auth`
        // with one it does not take.
        Err(Error::Bearer { code, .. }) if issuer.quirks.ok_envelope => {
            let error = if code.is_some() {
                "invalid_auth"
            } else {
                "not_authed"
            };
            json_no_store(StatusCode::OK, &json!({ "ok": false, "error": error }))
        }
        Err(e) => e.into_response(),
    }
}

fn handle(
    issuer: &Issuer,
    method: &Method,
    query: Option<&str>,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<Value, Error> {
    let realm = issuer.url.as_str();
    // The presets' providers have no DPoP; fauxauth's own takes its scheme (RFC 9449 §7.1).
    let dpop = issuer.settings.preset == Preset::Generic;
    let token = bearer_token(headers, query, body, dpop)
        .map_err(|m| Error::bearer(BearerErrorCode::InvalidRequest, m, realm))?;
    let Some((token, as_dpop)) = token else {
        return Err(Error::Bearer {
            code: None,
            description: "an access token is required".into(),
            realm: realm.to_owned(),
            scope: None,
        });
    };
    let claims = verify_access_token(issuer, &token)
        .map_err(|why| Error::bearer(BearerErrorCode::InvalidToken, why.describe(), realm))?;
    check_binding(issuer, method, headers, &token, as_dpop, &claims)?;
    let scope = Scopes::parse(&claims.scope).unwrap_or_default();
    if !scope.contains("openid") {
        return Err(Error::Bearer {
            code: Some(BearerErrorCode::InsufficientScope),
            description: "userinfo needs a token with the openid scope".into(),
            realm: realm.to_owned(),
            scope: Some("openid"),
        });
    }
    let user = issuer.user_by_sub(claims.user_sub()).ok_or_else(|| {
        Error::bearer(
            BearerErrorCode::InvalidToken,
            "the token's user no longer exists",
            realm,
        )
    })?;
    let mut released = released_claims(&user, &scope);
    if issuer.settings.preset == Preset::Keycloak {
        crate::tokens::without_roles(&mut released);
    }
    // The claims the authorization asked for at UserInfo (OpenID Connect Core §5.5).
    let key = if crate::tokens::is_opaque(issuer, &token) {
        token.as_str()
    } else {
        claims.jti.as_str()
    };
    if let Some(requested) = issuer
        .store()
        .grant_of_access_token(key)
        .map(|g| g.claims.clone())
    {
        crate::protocol::claims_request::add_requested(
            &mut released,
            &user.claims,
            &requested.userinfo,
        );
    }
    let mut out = json!({ "sub": user.sub() });
    out.as_object_mut().expect("an object").extend(released);
    Ok(out)
}

/// RFC 9449 §7: a token bound to a key comes with the DPoP scheme and a proof for this request
/// and this token by that key, each proof once; an unbound one as Bearer.
fn check_binding(
    issuer: &Issuer,
    method: &Method,
    headers: &HeaderMap,
    token: &str,
    as_dpop: bool,
    claims: &crate::tokens::AccessTokenClaims,
) -> Result<(), Error> {
    use fauxauth_core::dpop;
    let realm = issuer.url.as_str();
    let refused = |code: &'static str, description: String| Error::Dpop {
        code,
        description,
        realm: realm.to_owned(),
    };
    let bound = claims
        .cnf
        .as_ref()
        .and_then(|cnf| cnf.get("jkt"))
        .and_then(Value::as_str);
    let url = issuer
        .endpoint_url(crate::preset::Endpoint::Userinfo, None)
        .unwrap_or_default();
    let now = issuer.now();
    let expected = dpop::Expected {
        method: method.as_str(),
        url: &url,
        now: fauxauth_core::unix(now),
        access_token: Some(token),
        nonces: None,
    };
    let proof = dpop::check_presented(headers.get_all("dpop").iter(), as_dpop, bound, &expected)
        .map_err(|r| refused(r.code, r.description))?;
    if let Some(proof) = proof
        && !issuer.store().spend_dpop_proof(&proof, now)
    {
        return Err(refused(
            "invalid_dpop_proof",
            "the DPoP proof's jti was used before: a proof is good for one request (RFC 9449 \
             §11.1)"
                .into(),
        ));
    }
    Ok(())
}

/// The access token, from the `Authorization` header (RFC 6750 §2.1, scheme case-insensitive;
/// `DPoP` too when `dpop`, RFC 9449 §7.1, said by the flag) or a form body (§2.2). Sending it
/// more than one way is an error (§2), and so is the query (§2.3 is not supported: URLs end up in
/// logs).
pub fn bearer_token(
    headers: &HeaderMap,
    query: Option<&str>,
    body: &[u8],
    dpop: bool,
) -> Result<Option<(String, bool)>, &'static str> {
    if query.is_some_and(|q| Params::parse(q.as_bytes()).has("access_token")) {
        return Err("access tokens are not accepted in the URL query (RFC 6750 §2.3)");
    }
    let from_header = match headers.get(header::AUTHORIZATION) {
        None => None,
        Some(value) => {
            let value = value
                .to_str()
                .map_err(|_| "the Authorization header is not ASCII")?;
            match value.split_once(' ') {
                Some((scheme, token))
                    if scheme.eq_ignore_ascii_case("bearer")
                        || (dpop && scheme.eq_ignore_ascii_case("dpop")) =>
                {
                    let token = token.trim();
                    if token.is_empty() || !token.bytes().all(is_b64token_char) {
                        return Err("the bearer token is malformed (RFC 6750 §2.1)");
                    }
                    Some((token.to_owned(), scheme.eq_ignore_ascii_case("dpop")))
                }
                _ if value.eq_ignore_ascii_case("bearer") => {
                    return Err("the Authorization header has no token");
                }
                _ => None,
            }
        }
    };
    let from_body = if fauxauth_core::wire::is_form(headers) {
        Params::parse(body)
            .get("access_token")
            .map_err(|_| "access_token is repeated")?
            .map(|token| (token.to_owned(), false))
    } else {
        None
    };
    match (from_header, from_body) {
        (Some(_), Some(_)) => Err("the token was sent more than one way (RFC 6750 §2)"),
        (token, None) | (None, token) => Ok(token),
    }
}

/// `b64token = 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"="` (RFC 6750 §2.1).
fn is_b64token_char(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~' | b'+' | b'/' | b'=')
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn headers(auth: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(header::AUTHORIZATION, HeaderValue::from_str(auth).unwrap());
        h
    }

    #[test]
    fn scheme_is_case_insensitive() {
        assert_eq!(
            bearer_token(&headers("bearer abc"), None, b"", true),
            Ok(Some(("abc".into(), false)))
        );
        assert_eq!(
            bearer_token(&headers("BEARER abc"), None, b"", true),
            Ok(Some(("abc".into(), false)))
        );
    }

    #[test]
    fn malformed_and_duplicated_tokens_are_errors() {
        assert!(bearer_token(&headers("Bearer"), None, b"", true).is_err());
        assert!(bearer_token(&headers("Bearer a b"), None, b"", true).is_err());
        let mut both = headers("Bearer abc");
        both.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/x-www-form-urlencoded"),
        );
        assert!(bearer_token(&both, None, b"access_token=abc", true).is_err());
        assert!(bearer_token(&HeaderMap::new(), Some("access_token=abc"), b"", true).is_err());
        assert_eq!(bearer_token(&HeaderMap::new(), None, b"", true), Ok(None));
    }
}
