//! Protocol errors, and the one place that turns them into HTTP: status codes, JSON bodies,
//! `WWW-Authenticate` challenges, and the choice between an error page and a redirect.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use crate::html;
use crate::protocol::redirect::with_query;

/// Error codes of the authorization endpoint (RFC 6749 §4.1.2.1; OIDC Core §3.1.2.6).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AuthorizeErrorCode {
    /// RFC 6749 §4.1.2.1: a parameter is missing, invalid, repeated, or otherwise malformed.
    InvalidRequest,
    /// RFC 6749 §4.1.2.1: the client may not use this method to obtain a code.
    UnauthorizedClient,
    /// RFC 6749 §4.1.2.1: the user or the server denied the request.
    AccessDenied,
    /// RFC 6749 §4.1.2.1: this `response_type` is not supported.
    UnsupportedResponseType,
    /// RFC 6749 §4.1.2.1: the scope is invalid, unknown or malformed.
    InvalidScope,
    /// OIDC Core §3.1.2.6: `prompt=none`, but the user must log in.
    LoginRequired,
    /// OIDC Core §3.1.2.6: `prompt=none`, but the user must consent.
    ConsentRequired,
    /// OIDC Core §3.1.2.6: the `request` parameter is not supported.
    RequestNotSupported,
    /// OIDC Core §3.1.2.6: the `request_uri` parameter is not supported.
    RequestUriNotSupported,
}

impl AuthorizeErrorCode {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::InvalidRequest => "invalid_request",
            Self::UnauthorizedClient => "unauthorized_client",
            Self::AccessDenied => "access_denied",
            Self::UnsupportedResponseType => "unsupported_response_type",
            Self::InvalidScope => "invalid_scope",
            Self::LoginRequired => "login_required",
            Self::ConsentRequired => "consent_required",
            Self::RequestNotSupported => "request_not_supported",
            Self::RequestUriNotSupported => "request_uri_not_supported",
        }
    }
}

/// Error codes of the token endpoint (RFC 6749 §5.2), also used by revocation (RFC 7009 §2.2.1)
/// and introspection (RFC 7662 §2.3).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TokenErrorCode {
    /// RFC 6749 §5.2: missing, repeated or malformed parameter; several auth methods.
    InvalidRequest,
    /// RFC 6749 §5.2: client authentication failed. Always HTTP 401 here.
    InvalidClient,
    /// RFC 6749 §5.2: the code or refresh token is invalid, expired, revoked, or was issued to
    /// another client or for another redirect URI.
    InvalidGrant,
    /// RFC 6749 §5.2: the client may not use this grant type.
    UnauthorizedClient,
    /// RFC 6749 §5.2: the grant type is not supported.
    UnsupportedGrantType,
    /// RFC 6749 §5.2: the scope is invalid, unknown, or exceeds the grant.
    InvalidScope,
    /// RFC 8693 §2.2.2: no token will be issued for the `audience` or `resource` asked for.
    InvalidTarget,
    /// RFC 8628 §3.5: the person has not answered yet; poll again.
    AuthorizationPending,
    /// RFC 8628 §3.5: polling too fast; the interval is now 5 s longer.
    SlowDown,
    /// RFC 8628 §3.5: the person denied the device.
    AccessDenied,
    /// RFC 8628 §3.5: the device code expired; start again.
    ExpiredToken,
    /// RFC 9449 §5: the DPoP proof is missing where required, malformed, or not for this request.
    InvalidDpopProof,
    /// RFC 9449 §8: the proof must carry the server's nonce, given in `DPoP-Nonce`.
    UseDpopNonce,
    // RFC 7009 §2.2.1 `unsupported_token_type` is never needed: every token type is revocable.
}

impl TokenErrorCode {
    /// RFC 6749 §5.2: 400, but 401 for a failed client authentication.
    pub fn status(self) -> StatusCode {
        match self {
            Self::InvalidClient => StatusCode::UNAUTHORIZED,
            _ => StatusCode::BAD_REQUEST,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::InvalidRequest => "invalid_request",
            Self::InvalidClient => "invalid_client",
            Self::InvalidGrant => "invalid_grant",
            Self::UnauthorizedClient => "unauthorized_client",
            Self::UnsupportedGrantType => "unsupported_grant_type",
            Self::InvalidScope => "invalid_scope",
            Self::InvalidTarget => "invalid_target",
            Self::AuthorizationPending => "authorization_pending",
            Self::SlowDown => "slow_down",
            Self::AccessDenied => "access_denied",
            Self::ExpiredToken => "expired_token",
            Self::InvalidDpopProof => "invalid_dpop_proof",
            Self::UseDpopNonce => "use_dpop_nonce",
        }
    }
}

pub use fauxauth_core::wire::BearerErrorCode;

/// What exactly made a token request fail, beyond its RFC 6749 §5.2 code.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reason {
    /// No client has this id.
    UnknownClient,
    /// The client exists; the secret is wrong or missing.
    BadClientSecret,
    /// The code is unknown or expired.
    BadCode,
    /// The code was redeemed before.
    CodeReplayed,
    /// The code was issued to another client.
    CodeOfAnotherClient,
    /// `redirect_uri` differs from the authorization request's.
    RedirectUriMismatch,
    /// The PKCE verifier is missing, unexpected or wrong.
    PkceFailed,
    /// The refresh token is unknown, expired or revoked.
    BadRefreshToken,
    /// The refresh token was used before (rotation).
    RefreshTokenReused,
    /// A client assertion is malformed, badly signed, or its claims do not hold.
    BadClientAssertion,
    /// A client assertion's `jti` was used before.
    ClientAssertionReplayed,
    /// The device code is unknown, was redeemed already, or is another client's.
    UnknownDeviceCode,
    /// The client may not use the device authorization grant.
    DeviceGrantNotAllowed,
    /// A device polled sooner than its interval allows; the interval is now `interval` seconds.
    PolledTooSoon { interval: u64 },
}

impl Reason {
    /// Whether the client could not be authenticated: unknown, or its secret or assertion bad.
    pub fn is_client_authentication(self) -> bool {
        matches!(
            self,
            Self::UnknownClient
                | Self::BadClientSecret
                | Self::BadClientAssertion
                | Self::ClientAssertionReplayed
        )
    }
}

/// Everything that can go wrong while answering a request.
#[derive(Debug)]
pub enum Error {
    /// Shown to the person at the browser and never redirected: the client or redirect URI could
    /// not be trusted (RFC 6749 §4.1.2.1), or a logout request could not be honoured.
    Page {
        status: StatusCode,
        title: &'static str,
        detail: String,
    },
    /// An authorization error response, sent to the client's redirect URI with `state` and
    /// `iss` (RFC 6749 §4.1.2.1, RFC 9207 §2).
    Redirect(Box<ErrorRedirect>),
    /// A token, revocation or introspection error (RFC 6749 §5.2): JSON, `no-store`.
    Token {
        code: TokenErrorCode,
        description: String,
        /// Set when the failed client authentication used HTTP Basic, whose challenge must then
        /// be repeated (RFC 6749 §5.2); holds the realm.
        basic_realm: Option<String>,
        /// What exactly went wrong, where presets word it differently (GitHub's
        /// `bad_verification_code`, Entra's AADSTS numbers).
        reason: Option<Reason>,
    },
    /// A bearer-token error (RFC 6750 §3): a challenge in `WWW-Authenticate`.
    Bearer {
        /// `None` when the request carried no token at all (RFC 6750 §3.1: no error code then).
        code: Option<BearerErrorCode>,
        description: String,
        realm: String,
        scope: Option<&'static str>,
    },
    /// A DPoP refusal at a protected resource (RFC 9449 §7.1): 401 with a `DPoP` challenge.
    Dpop {
        code: &'static str,
        description: String,
        realm: String,
    },
    /// An error with any RFC 6749 §4.1.2.1 code, answered as JSON with status 400 where the
    /// authorization endpoint would have redirected it (RFC 9126 §2.3, the PAR endpoint).
    Json {
        error: std::borrow::Cow<'static, str>,
        description: String,
    },
    /// The endpoint exists but not for this method.
    MethodNotAllowed { allow: &'static str },
}

/// Where and what to redirect for an authorization error.
#[derive(Debug)]
pub struct ErrorRedirect {
    pub redirect_uri: String,
    /// An [`AuthorizeErrorCode`], or whatever code a rule injected.
    pub error: std::borrow::Cow<'static, str>,
    pub description: String,
    pub state: Option<String>,
    /// Empty when the preset sends none (GitHub, Entra).
    pub iss: String,
    /// 303 after a POST (RFC 9700 §4.12), 302 otherwise.
    pub see_other: bool,
    /// Posted by a page instead (`response_mode=form_post`).
    pub form_post: bool,
}

impl Error {
    /// A page for the person at the browser. The detail may echo what the request sent, so it
    /// is cut to a length no message of the provider's own reaches.
    pub fn page(status: StatusCode, title: &'static str, detail: impl Into<String>) -> Self {
        let detail = detail.into();
        Self::Page {
            status,
            title,
            detail: fauxauth_core::wire::shortened(&detail, 1024).into_owned(),
        }
    }

    pub fn token(code: TokenErrorCode, description: impl Into<String>) -> Self {
        Self::Token {
            code,
            description: description.into(),
            basic_realm: None,
            reason: None,
        }
    }

    /// The same error, with what exactly went wrong.
    pub fn because(mut self, why: Reason) -> Self {
        if let Self::Token { reason, .. } = &mut self {
            *reason = Some(why);
        }
        self
    }

    pub fn invalid_request(description: impl Into<String>) -> Self {
        Self::token(TokenErrorCode::InvalidRequest, description)
    }

    pub fn invalid_grant(description: impl Into<String>) -> Self {
        Self::token(TokenErrorCode::InvalidGrant, description)
    }

    pub fn bearer(code: BearerErrorCode, description: impl Into<String>, realm: &str) -> Self {
        Self::Bearer {
            code: Some(code),
            description: description.into(),
            realm: realm.to_owned(),
            scope: None,
        }
    }
}

impl IntoResponse for Error {
    fn into_response(self) -> Response {
        match self {
            Self::Page {
                status,
                title,
                detail,
            } => (status, html::error_page(title, &detail)).into_response(),
            Self::Redirect(r) => {
                let description = description_text(&r.description);
                let mut params = vec![
                    ("error", r.error.as_ref()),
                    ("error_description", description.as_str()),
                ];
                if let Some(state) = &r.state {
                    params.push(("state", state));
                }
                if !r.iss.is_empty() {
                    params.push(("iss", &r.iss));
                }
                respond(&r.redirect_uri, &params, r.see_other, r.form_post)
            }
            Self::Token {
                code,
                description,
                basic_realm,
                reason: _,
            } => {
                let status = code.status();
                let body = json!({ "error": code.as_str(), "error_description": description_text(&description) });
                let mut response = json_no_store(status, &body);
                if code == TokenErrorCode::InvalidClient {
                    // RFC 9110 §15.5.2: a 401 carries a challenge. RFC 6749 §5.2 requires the
                    // Basic one when Basic was used; it is the scheme offered otherwise too.
                    let realm = basic_realm.unwrap_or_else(|| "token".to_owned());
                    set_header(
                        &mut response,
                        header::WWW_AUTHENTICATE,
                        &basic_challenge(&realm),
                    );
                }
                response
            }
            Self::Json { error, description } => json_no_store(
                StatusCode::BAD_REQUEST,
                &json!({ "error": error, "error_description": description_text(&description) }),
            ),
            Self::Dpop {
                code,
                description,
                realm,
            } => {
                let body =
                    json!({ "error": code, "error_description": description_text(&description) });
                let mut response = json_no_store(StatusCode::UNAUTHORIZED, &body);
                let challenge =
                    fauxauth_core::wire::dpop_challenge(&realm, Some((code, &description)));
                set_header(&mut response, header::WWW_AUTHENTICATE, &challenge);
                response
            }
            Self::Bearer {
                code,
                description,
                realm,
                scope,
            } => {
                let (challenge, status) = match code {
                    Some(code) => (
                        bearer_challenge(&realm, Some(code.as_str()), Some(&description), scope),
                        code.status(),
                    ),
                    None => (
                        bearer_challenge(&realm, None, None, None),
                        StatusCode::UNAUTHORIZED,
                    ),
                };
                let body = match code {
                    Some(code) => {
                        json!({ "error": code.as_str(), "error_description": description_text(&description) })
                    }
                    None => json!({ "error_description": description_text(&description) }),
                };
                let mut response = json_no_store(status, &body);
                set_header(&mut response, header::WWW_AUTHENTICATE, &challenge);
                response
            }
            Self::MethodNotAllowed { allow } => {
                let body = json!({
                    "error": "invalid_request",
                    "error_description": format!("this endpoint accepts {allow} only"),
                });
                let mut response = json_no_store(StatusCode::METHOD_NOT_ALLOWED, &body);
                set_header(&mut response, header::ALLOW, allow);
                response
            }
        }
    }
}

/// A JSON response that must not be cached (RFC 6749 §5.1: `Cache-Control: no-store`;
/// `Pragma: no-cache` for HTTP/1.0 caches, as RFC 6749's examples show).
pub fn json_no_store(status: StatusCode, body: &serde_json::Value) -> Response {
    let mut response = (status, axum::Json(body)).into_response();
    no_store(&mut response);
    response
}

pub fn no_store(response: &mut Response) {
    let headers = response.headers_mut();
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
}

/// An authorization response to `redirect_uri`: in its query (a redirect), or posted by a page
/// with `form_post` (OAuth 2.0 Form Post Response Mode §2).
pub fn respond(
    redirect_uri: &str,
    params: &[(&str, &str)],
    see_other: bool,
    form_post: bool,
) -> Response {
    if form_post {
        html::form_post(redirect_uri, params)
    } else {
        redirect(&with_query(redirect_uri, params), see_other)
    }
}

/// A redirect: 303 See Other after a POST (RFC 9700 §4.12 forbids 307), 302 Found otherwise.
pub fn redirect(location: &str, see_other: bool) -> Response {
    let status = if see_other {
        StatusCode::SEE_OTHER
    } else {
        StatusCode::FOUND
    };
    let mut response = status.into_response();
    set_header(&mut response, header::LOCATION, location);
    no_store(&mut response);
    response
}

pub(crate) fn set_header(response: &mut Response, name: header::HeaderName, value: &str) {
    if let Ok(value) = HeaderValue::from_str(value) {
        response.headers_mut().insert(name, value);
    }
}

pub use fauxauth_core::wire::{basic_challenge, bearer_challenge, description_text};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invalid_client_is_401_with_a_basic_challenge() {
        let response = Error::Token {
            code: TokenErrorCode::InvalidClient,
            description: "bad secret".into(),
            basic_realm: Some("http://127.0.0.1:1".into()),
            reason: None,
        }
        .into_response();
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
        assert_eq!(
            response.headers()[header::WWW_AUTHENTICATE],
            "Basic realm=\"http://127.0.0.1:1\""
        );
        assert_eq!(response.headers()[header::CACHE_CONTROL], "no-store");
    }

    #[test]
    fn missing_bearer_token_challenge_has_no_error_code() {
        let response = Error::Bearer {
            code: None,
            description: "no token".into(),
            realm: "r".into(),
            scope: None,
        }
        .into_response();
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
        assert_eq!(
            response.headers()[header::WWW_AUTHENTICATE],
            "Bearer realm=\"r\""
        );
    }

    #[test]
    fn error_redirect_carries_state_and_iss() {
        let response = Error::Redirect(Box::new(ErrorRedirect {
            redirect_uri: "https://rp/cb?keep=1".into(),
            error: AuthorizeErrorCode::AccessDenied.as_str().into(),
            description: "denied".into(),
            state: Some("s 1".into()),
            iss: "http://127.0.0.1:9".into(),
            see_other: true,
            form_post: false,
        }))
        .into_response();
        assert_eq!(response.status(), StatusCode::SEE_OTHER);
        assert_eq!(
            response.headers()[header::LOCATION],
            "https://rp/cb?keep=1&error=access_denied&error_description=denied&state=s+1&iss=http%3A%2F%2F127.0.0.1%3A9"
        );
    }
}
