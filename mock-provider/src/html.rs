//! The provider's pages: login, consent, and messages. Self-contained HTML and CSS (no external
//! assets), rendered by askama, which escapes every value.

use askama::Template;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::Response;

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage<'a> {
    issuer: &'a str,
    client_id: &'a str,
    action: &'a str,
    tx: &'a str,
    login_hint: &'a str,
    error: Option<&'a str>,
    users: Vec<UserChoice<'a>>,
    claims_field: bool,
}

/// A user as the login page lists them.
#[derive(Debug)]
pub struct UserChoice<'a> {
    pub username: &'a str,
    pub display_name: &'a str,
    pub needs_password: bool,
}

#[derive(Template)]
#[template(path = "consent.html")]
struct ConsentPage<'a> {
    issuer: &'a str,
    client_id: &'a str,
    username: &'a str,
    action: &'a str,
    tx: &'a str,
    scopes: Vec<&'a str>,
}

#[derive(Template)]
#[template(path = "logout.html")]
struct LogoutPage<'a> {
    issuer: &'a str,
    username: &'a str,
    action: &'a str,
    confirm: &'a str,
    carried: Vec<(&'a str, &'a str)>,
}

#[derive(Template)]
#[template(path = "device.html")]
struct DevicePage<'a> {
    issuer: &'a str,
    action: &'a str,
    user_code: &'a str,
    error: Option<&'a str>,
    users: Vec<&'a str>,
}

/// The device verification page (RFC 8628 §3.3): the code, who signs in, allow or deny.
pub fn device_page(
    status: StatusCode,
    issuer: &str,
    action: &str,
    user_code: &str,
    error: Option<&str>,
    users: Vec<&str>,
) -> Response {
    page_response(
        status,
        DevicePage {
            issuer,
            action,
            user_code,
            error,
            users,
        }
        .render(),
    )
}

#[derive(Template)]
#[template(path = "message.html")]
struct MessagePage<'a> {
    issuer: &'a str,
    title: &'a str,
    detail: &'a str,
    is_error: bool,
}

/// What the login page shows.
#[derive(Debug)]
pub struct Login<'a> {
    pub issuer: &'a str,
    pub client_id: &'a str,
    pub action: &'a str,
    pub tx: &'a str,
    pub login_hint: &'a str,
    pub error: Option<&'a str>,
    pub users: Vec<UserChoice<'a>>,
    /// Whether a username not configured may be typed, with its claims as JSON.
    pub claims_field: bool,
}

pub fn login_page(status: StatusCode, page: Login<'_>) -> Response {
    page_response(
        status,
        LoginPage {
            issuer: page.issuer,
            client_id: page.client_id,
            action: page.action,
            tx: page.tx,
            login_hint: page.login_hint,
            error: page.error,
            users: page.users,
            claims_field: page.claims_field,
        }
        .render(),
    )
}

pub fn consent_page(
    issuer: &str,
    client_id: &str,
    username: &str,
    action: &str,
    tx: &str,
    scopes: Vec<&str>,
) -> Response {
    page_response(
        StatusCode::OK,
        ConsentPage {
            issuer,
            client_id,
            username,
            action,
            tx,
            scopes,
        }
        .render(),
    )
}

/// "Sign out?": the logout confirmation (RP-Initiated Logout 1.0 §2), posting `carried` back
/// with the session's anti-forgery value.
pub fn logout_page(
    issuer: &str,
    username: &str,
    action: &str,
    confirm: &str,
    carried: Vec<(&str, &str)>,
) -> Response {
    page_response(
        StatusCode::OK,
        LogoutPage {
            issuer,
            username,
            action,
            confirm,
            carried,
        }
        .render(),
    )
}

/// A page that only says something, for the person at the browser.
pub fn message_page(status: StatusCode, issuer: &str, title: &str, detail: &str) -> Response {
    page_response(
        status,
        MessagePage {
            issuer,
            title,
            detail,
            is_error: status.is_client_error() || status.is_server_error(),
        }
        .render(),
    )
}

/// The script of the form post page: it submits the form, and does nothing else.
const SUBMIT: &str = "document.forms[0].submit()";

#[derive(Template)]
#[template(path = "form_post.html")]
struct FormPostPage<'a> {
    action: &'a str,
    fields: &'a [(&'a str, &'a str)],
    script: &'a str,
}

/// OAuth 2.0 Form Post Response Mode §2: the authorization response as a page that posts it to
/// the client's `redirect_uri` by itself. Nothing else loads: its one script is allowed by its
/// hash, its form may go to the redirect URI's origin only, and it cannot be framed.
pub fn form_post(redirect_uri: &str, fields: &[(&str, &str)]) -> Response {
    use base64::Engine as _;
    use sha2::Digest as _;
    let mut response = page_response(
        StatusCode::OK,
        FormPostPage {
            action: redirect_uri,
            fields,
            script: SUBMIT,
        }
        .render(),
    );
    let hash = base64::engine::general_purpose::STANDARD.encode(sha2::Sha256::digest(SUBMIT));
    let origin = url::Url::parse(redirect_uri)
        .map(|u| u.origin().ascii_serialization())
        .unwrap_or_default();
    let policy = format!(
        "default-src 'none'; script-src 'sha256-{hash}'; form-action {origin}; base-uri 'none'; \
         frame-ancestors 'none'"
    );
    if let Ok(value) = HeaderValue::from_str(&policy) {
        response
            .headers_mut()
            .insert(header::CONTENT_SECURITY_POLICY, value);
    }
    response
}

pub fn error_page(title: &str, detail: &str) -> Response {
    message_page(StatusCode::BAD_REQUEST, "", title, detail)
}

fn page_response(status: StatusCode, rendered: askama::Result<String>) -> Response {
    let mut response = fauxauth_core::wire::page(status, rendered);
    let headers = response.headers_mut();
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_are_escaped() {
        let response = message_page(StatusCode::BAD_REQUEST, "i", "Oops", "<script>x</script>");
        assert_eq!(response.status(), StatusCode::BAD_REQUEST);
        assert_eq!(response.headers()[header::X_FRAME_OPTIONS], "DENY");
        let body = futures_body(response);
        assert!(
            body.contains("&#60;script&#62;") || body.contains("&lt;script&gt;"),
            "{body}"
        );
        assert!(!body.contains("<script>"));
    }

    fn futures_body(response: Response) -> String {
        let rt = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        let bytes = rt
            .block_on(axum::body::to_bytes(response.into_body(), usize::MAX))
            .unwrap();
        String::from_utf8(bytes.to_vec()).unwrap()
    }
}
