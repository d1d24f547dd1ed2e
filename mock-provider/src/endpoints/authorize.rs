//! The authorization endpoint (RFC 6749 §4.1.1–4.1.2, OIDC Core §3.1.2), the login page and
//! the consent page.
//!
//! Validation runs in the order RFC 6749 §4.1.2.1 demands: first what decides whether the
//! client's redirect URI can be trusted (`client_id`, `redirect_uri`); failures there are shown as
//! a page and never redirected. Every later failure is redirected to the client with `error`,
//! `error_description`, the original `state` and `iss` (RFC 9207).

use std::sync::Arc;

use axum::Extension;
use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum_extra::extract::cookie::{Cookie, CookieJar, SameSite};
use fauxauth_core::control::Injected;
use subtle::ConstantTimeEq as _;

use crate::config::{ClientConfig, GrantType, LoginMode, UserConfig};
use crate::error::{AuthorizeErrorCode, Error, ErrorRedirect, redirect};
use crate::html::{self, Login, UserChoice};
use crate::issuer::Issuer;
use crate::paths;
use crate::preset::Preset;
use crate::protocol::params::Params;
use crate::protocol::pkce::{self, CodeChallengeMethod};
use crate::protocol::redirect::{matches, matches_subdirectory, with_query};
use crate::protocol::scope::Scopes;
use crate::store::{Code, Session, Transaction};
use crate::tokens::unix;

pub(super) const SESSION_COOKIE: &str = "fauxauth_session";

/// Binds a login page to the browser it was shown to (login CSRF, RFC 6749 §10.12 and
/// RFC 9700 §4.4.1.8 in the provider's own forms): the login form's submission must come with
/// the same value, so a page cannot post a login it did not start into someone else's browser.
pub(super) const BROWSER_COOKIE: &str = "fauxauth_browser";

/// Parameters this endpoint understands; none may be repeated (RFC 6749 §3.1).
const KNOWN: &[&str] = &[
    "access_type",
    "response_type",
    "client_id",
    "redirect_uri",
    "scope",
    "state",
    "nonce",
    "prompt",
    "max_age",
    "login_hint",
    "id_token_hint",
    "code_challenge",
    "code_challenge_method",
    "response_mode",
    "request",
    "request_uri",
    "display",
    "ui_locales",
    "claims_locales",
    "acr_values",
    "claims",
];

/// A validated authorization request.
#[derive(Clone, Debug)]
pub struct AuthorizationRequest {
    pub client_id: String,
    pub redirect_uri: String,
    pub redirect_uri_in_request: bool,
    pub scope: Scopes,
    pub state: Option<String>,
    pub nonce: Option<String>,
    pub prompt: Prompt,
    pub max_age: Option<u64>,
    pub login_hint: Option<String>,
    /// The `sub` of a valid `id_token_hint`.
    pub hinted_sub: Option<String>,
    pub challenge: Option<(String, CodeChallengeMethod)>,
    /// Whether the request came as a POST: redirects are then 303 (RFC 9700 §4.12).
    pub via_post: bool,
    /// Google's `access_type=offline`.
    pub offline: bool,
}

/// The `prompt` values (OIDC Core §3.1.2.1).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Prompt {
    pub none: bool,
    pub login: bool,
    pub consent: bool,
    pub select_account: bool,
}

pub(super) async fn authorize_get(
    State(issuer): State<Arc<Issuer>>,
    injected: Option<Extension<Arc<Injected>>>,
    jar: CookieJar,
    RawQuery(query): RawQuery,
) -> Response {
    let params = Params::parse(query.unwrap_or_default().as_bytes());
    authorize(&issuer, injected, jar, &params, false)
}

/// OIDC Core §3.1.2.1: the OP MUST support POST (form-encoded) as well as GET.
pub(super) async fn authorize_post(
    State(issuer): State<Arc<Issuer>>,
    injected: Option<Extension<Arc<Injected>>>,
    jar: CookieJar,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    match super::form_body(&headers, &body) {
        Ok(params) => authorize(&issuer, injected, jar, &params, true),
        Err(_) => Error::page(
            StatusCode::BAD_REQUEST,
            "Invalid request",
            "An authorization request sent by POST must be form-encoded.",
        )
        .into_response(),
    }
}

fn authorize(
    issuer: &Issuer,
    injected: Option<Extension<Arc<Injected>>>,
    jar: CookieJar,
    params: &Params,
    via_post: bool,
) -> Response {
    let request = match AuthorizationRequest::parse(issuer, params, via_post) {
        Ok(request) => request,
        Err(e) => return e.into_response(),
    };
    // A rule's error is delivered as the endpoint delivers its own: redirected to the client,
    // once the client and redirect URI are known to be good.
    if let Some(error) = injected.as_ref().and_then(|Extension(i)| i.error.as_ref()) {
        let description = error.description.as_deref().unwrap_or("injected by a rule");
        return request
            .error_code(issuer, error.error.clone().into(), description)
            .into_response();
    }
    proceed(issuer, jar, request).unwrap_or_else(IntoResponse::into_response)
}

impl AuthorizationRequest {
    pub fn parse(issuer: &Issuer, params: &Params, via_post: bool) -> Result<Self, Error> {
        let page = |title, detail: String| Error::page(StatusCode::BAD_REQUEST, title, detail);

        // 1. What decides whether redirecting is safe. Failures are pages (RFC 6749 §4.1.2.1).
        if let Some(name) = params.first_repeated(&["client_id", "redirect_uri"]) {
            return Err(page(
                "Invalid request",
                format!("The parameter {name} is repeated."),
            ));
        }
        let Some(client_id) = params.get("client_id").ok().flatten() else {
            return Err(page(
                "Invalid request",
                "The request has no client_id.".into(),
            ));
        };
        let Some(client) = issuer.client(client_id) else {
            return Err(page(
                "Unknown client",
                format!("No client is registered as {client_id:?} at this provider."),
            ));
        };
        let openid = params
            .get("scope")
            .ok()
            .flatten()
            .is_some_and(|s| s.split(' ').any(|t| t == "openid"));
        let (redirect_uri, redirect_uri_in_request) = match params
            .get("redirect_uri")
            .ok()
            .flatten()
        {
            Some(uri)
                if client.redirect_uris.iter().any(|r| {
                    if issuer.quirks.redirect_uri_subdirectories {
                        matches_subdirectory(r, uri)
                    } else {
                        matches(r, uri)
                    }
                }) =>
            {
                (uri.to_owned(), true)
            }
            Some(uri) => {
                return Err(page(
                    "Invalid redirect URI",
                    format!(
                        "{uri:?} is not a redirect URI registered for client {client_id:?}. \
                         Registered URIs must match exactly (RFC 6749 §3.1.2.4, RFC 9700 §2.1)."
                    ),
                ));
            }
            None => match client.redirect_uris.as_slice() {
                [only] if !openid => (only.clone(), false),
                // GitHub: without redirect_uri, the app's (first) callback URL.
                [first, ..] if issuer.settings.preset == Preset::Github => (first.clone(), false),
                [_] => {
                    return Err(page(
                        "Invalid request",
                        "redirect_uri is required in an OpenID Connect request (OIDC Core §3.1.2.1)."
                            .into(),
                    ));
                }
                _ => {
                    return Err(page(
                        "Invalid request",
                        format!(
                            "redirect_uri is required: client {client_id:?} has several \
                             registered (RFC 6749 §3.1.2.3)."
                        ),
                    ));
                }
            },
        };

        // OIDC Core §3.1.2.6 / Multiple Response Types §5: an unknown response_mode cannot be
        // honoured, so there is no safe way to respond through the redirect.
        if let Ok(Some(mode)) = params.get("response_mode")
            && mode != "query"
        {
            return Err(page(
                "Unsupported response mode",
                format!("response_mode {mode:?} is not supported; this provider uses query."),
            ));
        }

        // 2. From here on, errors go back to the client.
        let state = params.get("state").ok().flatten().map(str::to_owned);
        let fail = |code, description: &str| {
            Error::Redirect(Box::new(ErrorRedirect {
                redirect_uri: redirect_uri.clone(),
                error: AuthorizeErrorCode::as_str(code).into(),
                description: description.to_owned(),
                state: state.clone(),
                iss: issuer.response_iss(),
                see_other: via_post,
            }))
        };
        use AuthorizeErrorCode::*;

        if let Some(name) = params.first_repeated(KNOWN) {
            return Err(fail(
                InvalidRequest,
                &format!("parameter {name} must not be repeated (RFC 6749 §3.1)"),
            ));
        }
        let get = |name| params.get(name).ok().flatten();
        if get("request").is_some() {
            return Err(fail(
                RequestNotSupported,
                "request objects are not supported",
            ));
        }
        if get("request_uri").is_some() {
            return Err(fail(RequestUriNotSupported, "request_uri is not supported"));
        }
        match get("response_type") {
            None if issuer.quirks.response_type_optional => {}
            None => return Err(fail(InvalidRequest, "response_type is required")),
            Some("code") => {}
            Some(other) => {
                return Err(fail(
                    UnsupportedResponseType,
                    &format!("response_type {other:?} is not supported; use code"),
                ));
            }
        }
        if !client.allows_grant(GrantType::AuthorizationCode) {
            return Err(fail(
                UnauthorizedClient,
                "this client is not allowed the authorization_code grant",
            ));
        }

        let scope = Scopes::parse(get("scope").unwrap_or_default())
            .map_err(|e| fail(InvalidScope, &e.to_string()))?;
        if let Some(problem) = issuer.scope_problem(&client, &scope) {
            return Err(fail(InvalidScope, &problem));
        }

        let challenge =
            pkce_challenge(&client, get("code_challenge"), get("code_challenge_method"))
                .map_err(|m| fail(InvalidRequest, m))?;

        let prompt = Prompt::parse(get("prompt")).map_err(|m| fail(InvalidRequest, &m))?;
        let max_age = get("max_age")
            .map(|v| v.parse::<u64>())
            .transpose()
            .map_err(|_| fail(InvalidRequest, "max_age must be a non-negative integer"))?;

        let hinted_sub = match get("id_token_hint") {
            None => None,
            Some(hint) => Some(hinted_subject(issuer, hint).ok_or_else(|| {
                fail(
                    InvalidRequest,
                    "id_token_hint was not issued by this provider",
                )
            })?),
        };

        // Google: `access_type=offline` asks for a refresh token.
        let offline = match get("access_type") {
            Some("offline") => true,
            None | Some("online") => false,
            Some(other) if issuer.settings.preset == Preset::Google => {
                return Err(fail(
                    InvalidRequest,
                    &format!("Invalid access_type: {other}"),
                ));
            }
            Some(_) => false,
        };

        Ok(Self {
            client_id: client.client_id.clone(),
            offline,
            redirect_uri: redirect_uri.clone(),
            redirect_uri_in_request,
            scope,
            state: state.clone(),
            nonce: get("nonce").map(str::to_owned),
            prompt,
            max_age,
            // GitHub names the suggested account `login`.
            login_hint: get("login_hint")
                .or_else(|| {
                    (issuer.settings.preset == Preset::Github)
                        .then(|| get("login"))
                        .flatten()
                })
                .map(str::to_owned),
            hinted_sub,
            challenge,
            via_post,
        })
    }

    /// An error response to this request's redirect URI.
    fn error(&self, issuer: &Issuer, code: AuthorizeErrorCode, description: &str) -> Error {
        self.error_code(issuer, code.as_str().into(), description)
    }

    fn error_code(
        &self,
        issuer: &Issuer,
        error: std::borrow::Cow<'static, str>,
        description: &str,
    ) -> Error {
        Error::Redirect(Box::new(ErrorRedirect {
            redirect_uri: self.redirect_uri.clone(),
            error,
            description: description.to_owned(),
            state: self.state.clone(),
            iss: issuer.response_iss(),
            see_other: self.via_post,
        }))
    }
}

impl Prompt {
    fn parse(value: Option<&str>) -> Result<Self, String> {
        let mut prompt = Self::default();
        let Some(value) = value else {
            return Ok(prompt);
        };
        for token in value.split(' ').filter(|t| !t.is_empty()) {
            match token {
                "none" => prompt.none = true,
                "login" => prompt.login = true,
                "consent" => prompt.consent = true,
                "select_account" => prompt.select_account = true,
                other => return Err(format!("prompt value {other:?} is not supported")),
            }
        }
        if prompt.none && (prompt.login || prompt.consent || prompt.select_account) {
            return Err(
                "prompt=none cannot be combined with other values (OIDC Core §3.1.2.1)".into(),
            );
        }
        Ok(prompt)
    }
}

/// RFC 7636 §4.3–4.4.1 and RFC 9700 §2.1.1.
fn pkce_challenge(
    client: &ClientConfig,
    challenge: Option<&str>,
    method: Option<&str>,
) -> Result<Option<(String, CodeChallengeMethod)>, &'static str> {
    let Some(challenge) = challenge else {
        if method.is_some() {
            return Err("code_challenge_method was sent without code_challenge");
        }
        if client.pkce_required() {
            return Err("code_challenge is required for this client (RFC 9700 §2.1.1)");
        }
        return Ok(None);
    };
    let parsed = CodeChallengeMethod::parse(method)
        .ok_or("transform algorithm not supported; use S256 (RFC 7636 §4.4.1)")?;
    if parsed == CodeChallengeMethod::Plain && !client.allow_plain_pkce {
        return Err(if method.is_none() {
            "code_challenge_method is missing, which means plain (RFC 7636 §4.3); \
             this client must use S256"
        } else {
            "code_challenge_method plain is not allowed; use S256 (RFC 7636 §7.2)"
        });
    }
    if !pkce::is_well_formed(challenge) {
        return Err("code_challenge must be 43 to 128 unreserved characters (RFC 7636 §4.2)");
    }
    Ok(Some((challenge.to_owned(), parsed)))
}

/// The subject of an ID token this issuer signed. Expiry does not matter for a hint.
fn hinted_subject(issuer: &Issuer, token: &str) -> Option<String> {
    #[derive(serde::Deserialize)]
    struct Hint {
        iss: String,
        sub: String,
    }
    let (hint, header) = issuer.verify_jwt::<Hint>(token)?;
    (hint.iss == issuer.url && header.typ.as_deref() != Some(crate::tokens::ACCESS_TOKEN_TYP))
        .then_some(hint.sub)
}

/// Authenticates the user (or shows the page that will), then issues the code.
fn proceed(
    issuer: &Issuer,
    jar: CookieJar,
    request: AuthorizationRequest,
) -> Result<Response, Error> {
    let now = issuer.now();
    let now_secs = unix(now);
    let session_id = jar.get(SESSION_COOKIE).map(|c| c.value().to_owned());
    let session = session_id.as_deref().and_then(|id| {
        issuer
            .store()
            .session(id, now)
            .cloned()
            .map(|s| (id.to_owned(), s))
    });

    // OIDC Core §3.1.2.1: re-authenticate once more than max_age seconds have passed; and
    // max_age=0 is prompt=login (errata set 2), even within the second of the last login.
    let stale = |s: &Session| {
        request
            .max_age
            .is_some_and(|max| max == 0 || now_secs.saturating_sub(s.auth_time) > max)
    };
    let other_user = |s: &Session| {
        request
            .hinted_sub
            .as_deref()
            .is_some_and(|sub| issuer.user(&s.username).is_none_or(|u| u.sub() != sub))
    };
    let needs_login = match &session {
        None => true,
        Some((_, s)) => {
            request.prompt.login || request.prompt.select_account || stale(s) || other_user(s)
        }
    };
    let page_mode = issuer.settings.login == LoginMode::Page;
    let needs_consent = |s: Option<&Session>| {
        page_mode
            && (request.prompt.consent
                || (issuer.settings.consent
                    && s.is_none_or(|s| !s.consented.contains(&request.client_id))))
    };

    if request.prompt.none {
        // OIDC Core §3.1.2.1: no UI at all; say what would have been needed.
        if needs_login {
            return Err(request.error(
                issuer,
                AuthorizeErrorCode::LoginRequired,
                "the user is not logged in, or must log in again",
            ));
        }
        if needs_consent(session.as_ref().map(|(_, s)| s)) {
            return Err(request.error(
                issuer,
                AuthorizeErrorCode::ConsentRequired,
                "the user has not consented",
            ));
        }
    }

    if !needs_login {
        let (id, s) = session.expect("no login needed means a session");
        if needs_consent(Some(&s)) {
            return Ok(show_consent(issuer, jar, request, s.username, id));
        }
        return Ok(issue_code(
            issuer,
            jar,
            &request,
            &s.username,
            s.auth_time,
            &s.sid,
        ));
    }

    if page_mode {
        let tx = issuer.random_token();
        let (jar, browser) = browser_binding(issuer, jar);
        let page = login_page(issuer, &request, &tx, None, StatusCode::OK);
        issuer.store().insert_transaction(
            tx,
            Transaction {
                request,
                browser: Some(browser),
                logged_in: None,
                expires_at: now
                    + issuer
                        .settings
                        .lifetimes
                        .session
                        .min(std::time::Duration::from_secs(3600)),
            },
            now,
        );
        return Ok((jar, page).into_response());
    }

    // Headless: log in at once as the hinted user or the default one.
    let user = match &request.login_hint {
        Some(hint) => issuer.user(hint).ok_or_else(|| {
            request.error(
                issuer,
                AuthorizeErrorCode::AccessDenied,
                &format!("login_hint {hint:?} names no user of this provider"),
            )
        })?,
        None => issuer.default_user().ok_or_else(|| {
            request.error(
                issuer,
                AuthorizeErrorCode::AccessDenied,
                "this provider has no users",
            )
        })?,
    };
    let (jar, started) = start_session(issuer, jar, &user.username, now);
    Ok(issue_code(
        issuer,
        jar,
        &request,
        &user.username,
        now_secs,
        &started.sid,
    ))
}

/// A login session just started: the cookie's value (a credential) and its `sid` (a name).
struct Started {
    id: String,
    sid: String,
}

fn start_session(
    issuer: &Issuer,
    jar: CookieJar,
    username: &str,
    now: std::time::SystemTime,
) -> (CookieJar, Started) {
    let id = issuer.random_token();
    let sid = issuer.random_id();
    issuer.store().insert_session(
        id.clone(),
        Session {
            sid: sid.clone(),
            csrf: issuer.random_id(),
            username: username.to_owned(),
            auth_time: unix(now),
            expires_at: now + issuer.settings.lifetimes.session,
            consented: Default::default(),
        },
        now,
    );
    let jar = jar.add(cookie(issuer, SESSION_COOKIE, id.clone()));
    (jar, Started { id, sid })
}

/// An HttpOnly, SameSite=Lax cookie scoped to the issuer's path.
pub(super) fn cookie(issuer: &Issuer, name: &'static str, value: String) -> Cookie<'static> {
    Cookie::build((name, value))
        .path(if issuer.path.is_empty() {
            "/".to_owned()
        } else {
            issuer.path.clone()
        })
        .http_only(true)
        .same_site(SameSite::Lax)
        .build()
}

/// The value that binds a login page to this browser: its cookie's, or a new one.
fn browser_binding(issuer: &Issuer, jar: CookieJar) -> (CookieJar, String) {
    match jar.get(BROWSER_COOKIE) {
        Some(c) if !c.value().is_empty() => {
            let value = c.value().to_owned();
            (jar, value)
        }
        _ => {
            let value = issuer.random_token();
            (
                jar.add(cookie(issuer, BROWSER_COOKIE, value.clone())),
                value,
            )
        }
    }
}

/// Whether the request carries cookie `name` with exactly `expected` (compared in constant time).
pub(super) fn carries_cookie(jar: &CookieJar, name: &str, expected: &str) -> bool {
    jar.get(name)
        .is_some_and(|c| bool::from(c.value().as_bytes().ct_eq(expected.as_bytes())))
}

/// Issues a code and redirects to the client (RFC 6749 §4.1.2), with `iss` (RFC 9207 §2).
fn issue_code(
    issuer: &Issuer,
    jar: CookieJar,
    request: &AuthorizationRequest,
    username: &str,
    auth_time: u64,
    sid: &str,
) -> Response {
    let now = issuer.now();
    let code = issuer.random_token();
    issuer.store().insert_code(
        code.clone(),
        Code {
            client_id: request.client_id.clone(),
            redirect_uri: request.redirect_uri.clone(),
            redirect_uri_in_request: request.redirect_uri_in_request,
            scope: request.scope.clone(),
            nonce: request.nonce.clone(),
            challenge: request.challenge.clone(),
            username: username.to_owned(),
            auth_time,
            sid: Some(sid.to_owned()),
            expires_at: now + issuer.settings.lifetimes.code,
            offline: request.offline,
            consent_prompted: request.prompt.consent,
        },
        now,
    );
    let mut params = vec![("code", code.as_str())];
    if let Some(state) = &request.state {
        params.push(("state", state));
    }
    if issuer.sends_iss() {
        params.push(("iss", &issuer.url));
    }
    (
        jar,
        redirect(
            &with_query(&request.redirect_uri, &params),
            request.via_post,
        ),
    )
        .into_response()
}

fn login_page(
    issuer: &Issuer,
    request: &AuthorizationRequest,
    tx: &str,
    error: Option<&str>,
    status: StatusCode,
) -> Response {
    let users = issuer.users();
    let action = issuer.local_path(paths::LOGIN);
    html::login_page(
        status,
        Login {
            issuer: &issuer.name,
            client_id: &request.client_id,
            action: &action,
            tx,
            login_hint: request.login_hint.as_deref().unwrap_or_default(),
            error,
            users: users
                .iter()
                .map(|u| UserChoice {
                    username: &u.username,
                    display_name: display_name(u),
                    needs_password: u.password.is_some(),
                })
                .collect(),
        },
    )
}

fn display_name(user: &UserConfig) -> &str {
    user.claims
        .get("name")
        .and_then(|v| v.as_str())
        .unwrap_or(&user.username)
}

fn show_consent(
    issuer: &Issuer,
    jar: CookieJar,
    request: AuthorizationRequest,
    username: String,
    session_id: String,
) -> Response {
    let now = issuer.now();
    let tx = issuer.random_token();
    let action = issuer.local_path(paths::CONSENT);
    let page = html::consent_page(
        &issuer.name,
        &request.client_id,
        &username,
        &action,
        &tx,
        request.scope.iter().collect(),
    );
    issuer.store().insert_transaction(
        tx,
        Transaction {
            request,
            browser: None,
            logged_in: Some((username, session_id)),
            expires_at: now + std::time::Duration::from_secs(3600),
        },
        now,
    );
    (jar, page).into_response()
}

fn expired_page() -> Response {
    Error::page(
        StatusCode::BAD_REQUEST,
        "This sign-in has expired",
        "Start again from the application.",
    )
    .into_response()
}

/// The login form's submission: a user picked or typed (with a password when they have one).
pub(super) async fn login(
    State(issuer): State<Arc<Issuer>>,
    jar: CookieJar,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if let Err(refused) = super::same_origin(&headers, &uri) {
        return refused.into_response();
    }
    let Ok(params) = super::form_body(&headers, &body) else {
        return expired_page();
    };
    let get = |name| params.get(name).ok().flatten();
    let now = issuer.now();
    let Some(tx_id) = get("tx") else {
        return expired_page();
    };
    let Some(tx) = issuer
        .store()
        .transaction_mut(tx_id, now)
        .map(|t| t.clone())
    else {
        return expired_page();
    };
    if !tx
        .browser
        .as_deref()
        .is_some_and(|b| carries_cookie(&jar, BROWSER_COOKIE, b))
    {
        return other_browser_page();
    }
    // Whatever this POST leads to is answered with 303 (RFC 9700 §4.12).
    let mut request = tx.request;
    request.via_post = true;
    let request = &request;
    if get("action") == Some("cancel") {
        issuer.store().take_transaction(tx_id, now);
        return request
            .error(
                &issuer,
                AuthorizeErrorCode::AccessDenied,
                "the user cancelled the login",
            )
            .into_response();
    }
    let user = get("username").and_then(|name| issuer.user(name));
    let user = match (user, get("password")) {
        (None, _) => {
            return login_page(
                &issuer,
                request,
                tx_id,
                Some("No such user."),
                StatusCode::UNAUTHORIZED,
            );
        }
        (Some(user), given) => match (&user.password, given) {
            (None, _) => user,
            (Some(expected), Some(given))
                if bool::from(expected.as_bytes().ct_eq(given.as_bytes())) =>
            {
                user
            }
            (Some(_), _) => {
                return login_page(
                    &issuer,
                    request,
                    tx_id,
                    Some("Wrong password."),
                    StatusCode::UNAUTHORIZED,
                );
            }
        },
    };
    if issuer.store().take_transaction(tx_id, now).is_none() {
        return expired_page();
    }
    let (jar, started) = start_session(&issuer, jar, &user.username, now);
    let request = request.clone();
    if request.prompt.consent || issuer.settings.consent {
        return show_consent(&issuer, jar, request, user.username.clone(), started.id);
    }
    issue_code(
        &issuer,
        jar,
        &request,
        &user.username,
        unix(now),
        &started.sid,
    )
}

/// A login or consent form submitted from a browser other than the one it was shown to.
fn other_browser_page() -> Response {
    Error::page(
        StatusCode::FORBIDDEN,
        "This sign-in belongs to another browser",
        "The form was not shown to this browser. Start again from the application.",
    )
    .into_response()
}

/// The consent form's submission: allow or deny.
pub(super) async fn consent(
    State(issuer): State<Arc<Issuer>>,
    jar: CookieJar,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if let Err(refused) = super::same_origin(&headers, &uri) {
        return refused.into_response();
    }
    let Ok(params) = super::form_body(&headers, &body) else {
        return expired_page();
    };
    let now = issuer.now();
    let Some(tx_id) = params.get("tx").ok().flatten() else {
        return expired_page();
    };
    // The consent page was shown to the browser holding this login session.
    let taken = issuer.store().take_transaction_if(tx_id, now, |tx| {
        tx.logged_in
            .as_ref()
            .is_some_and(|(_, session_id)| carries_cookie(&jar, SESSION_COOKIE, session_id))
    });
    let (mut request, username, session_id) = match taken {
        Ok(Transaction {
            request,
            logged_in: Some((username, session_id)),
            ..
        }) => (request, username, session_id),
        Err(true) => return other_browser_page(),
        _ => return expired_page(),
    };
    request.via_post = true;
    if params.get("decision").ok().flatten() != Some("allow") {
        return request
            .error(
                &issuer,
                AuthorizeErrorCode::AccessDenied,
                "the user denied the request",
            )
            .into_response();
    }
    let (auth_time, sid) = {
        let mut store = issuer.store();
        match store.session_mut(&session_id) {
            Some(session) => {
                session.consented.insert(request.client_id.clone());
                (session.auth_time, session.sid.clone())
            }
            None => return expired_page(),
        }
    };
    issue_code(&issuer, jar, &request, &username, auth_time, &sid)
}

#[cfg(test)]
pub(crate) mod tests_support {
    use super::*;

    /// A plain authorization request, for tests of what holds one.
    pub fn request() -> AuthorizationRequest {
        AuthorizationRequest {
            client_id: "web".into(),
            redirect_uri: "https://rp/cb".into(),
            redirect_uri_in_request: true,
            scope: Scopes::parse("openid").unwrap(),
            state: Some("s".into()),
            nonce: None,
            prompt: Prompt::default(),
            max_age: None,
            login_hint: None,
            hinted_sub: None,
            challenge: None,
            via_post: false,
            offline: false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prompt_none_stands_alone() {
        assert!(Prompt::parse(Some("none")).unwrap().none);
        assert!(Prompt::parse(Some("none login")).is_err());
        assert!(Prompt::parse(Some("bogus")).is_err());
        let p = Prompt::parse(Some("login consent")).unwrap();
        assert!(p.login && p.consent && !p.none);
    }

    #[test]
    fn pkce_policy() {
        let public = ClientConfig::public("spa", "http://127.0.0.1/cb");
        let confidential = ClientConfig::confidential("web", "s", "http://127.0.0.1/cb");
        let good = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
        assert!(
            pkce_challenge(&public, None, None)
                .unwrap_err()
                .contains("required")
        );
        assert_eq!(pkce_challenge(&confidential, None, None), Ok(None));
        assert!(
            pkce_challenge(&public, Some(good), None)
                .unwrap_err()
                .contains("means plain")
        );
        assert!(
            pkce_challenge(&public, Some(good), Some("plain"))
                .unwrap_err()
                .contains("not allowed")
        );
        assert!(
            pkce_challenge(&public, Some(good), Some("S512"))
                .unwrap_err()
                .contains("transform")
        );
        assert!(pkce_challenge(&public, Some("short"), Some("S256")).is_err());
        assert!(pkce_challenge(&public, None, Some("S256")).is_err());
        assert_eq!(
            pkce_challenge(&public, Some(good), Some("S256")),
            Ok(Some((good.to_owned(), CodeChallengeMethod::S256)))
        );
        let mut lenient = public.clone();
        lenient.allow_plain_pkce = true;
        assert!(pkce_challenge(&lenient, Some(good), None).is_ok());
    }
}
