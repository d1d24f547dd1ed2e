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

use crate::config::{ClientConfig, LoginMode, UserConfig};
use crate::error::{AuthorizeErrorCode, Error};
use crate::html::{self, Login, UserChoice};
use crate::issuer::Issuer;
use crate::paths;
use crate::preset::{Install, Preset};
use crate::protocol::authorize::{AuthorizationRequest, IssuerView};
use crate::protocol::params::Params;
use crate::protocol::scope::Scopes;
use crate::store::{Code, Session, Transaction};
use fauxauth_core::unix;

pub(super) const SESSION_COOKIE: &str = "fauxauth_session";

/// Binds a login page to the browser it was shown to (login CSRF, RFC 6749 §10.12 and
/// RFC 9700 §4.4.1.8 in the provider's own forms): the login form's submission must come with
/// the same value, so a page cannot post a login it did not start into someone else's browser.
pub(super) const BROWSER_COOKIE: &str = "fauxauth_browser";

pub(super) async fn authorize_get(
    State(issuer): State<Arc<Issuer>>,
    injected: Option<Extension<Arc<Injected>>>,
    install: Option<Extension<Install>>,
    jar: CookieJar,
    RawQuery(query): RawQuery,
) -> Response {
    let params = Params::parse(query.unwrap_or_default().as_bytes());
    authorize(&issuer, injected, install.is_some(), jar, params, false)
}

/// OIDC Core §3.1.2.1: the OP MUST support POST (form-encoded) as well as GET.
pub(super) async fn authorize_post(
    State(issuer): State<Arc<Issuer>>,
    injected: Option<Extension<Arc<Injected>>>,
    install: Option<Extension<Install>>,
    jar: CookieJar,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    match super::form_body(&headers, &body) {
        Ok(params) => authorize(&issuer, injected, install.is_some(), jar, params, true),
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
    install: bool,
    jar: CookieJar,
    mut params: Params,
    via_post: bool,
) -> Response {
    // RFC 9126 §4: a pushed request stands for the whole request; nothing else sent counts.
    let pushed = match pushed_request(issuer, &params) {
        Ok(pushed) => pushed,
        Err(e) => return e.into_response(),
    };
    if let Some(form) = &pushed {
        params = Params::parse(form.as_bytes());
    }
    // Slack's app installation: the user's scopes are `user_scope`, the bot's `scope`.
    let bot_scope = if install {
        crate::preset::slack::install_request(&mut params)
    } else {
        None
    };
    let mut request = match AuthorizationRequest::parse(issuer, &params, via_post) {
        Ok(request) => request,
        Err(e) => return e.into_response(),
    };
    if let Some(bot_scope) = bot_scope {
        match super::slack_install::bot_scope(issuer, &request, &bot_scope) {
            Ok(scope) => request.bot_scope = Some(scope),
            Err(e) => return e.into_response(),
        }
    }
    // RFC 9126 §5, §6: an issuer or a client that requires pushed requests takes no other.
    let required = issuer.settings.require_pushed_authorization_requests
        || issuer
            .client(&request.client_id)
            .is_some_and(|c| c.require_pushed_authorization_requests);
    if required && pushed.is_none() {
        return request
            .error(
                AuthorizeErrorCode::InvalidRequest,
                "this client must push its authorization requests to the PAR endpoint (RFC 9126 \
                 §5)",
            )
            .into_response();
    }
    // A rule's error is delivered as the endpoint delivers its own: redirected to the client,
    // once the client and redirect URI are known to be good.
    if let Some(error) = injected.as_ref().and_then(|Extension(i)| i.error.as_ref()) {
        let description = error.description.as_deref().unwrap_or("injected by a rule");
        return request
            .error_code(error.error.clone().into(), description)
            .into_response();
    }
    proceed(issuer, jar, request).unwrap_or_else(IntoResponse::into_response)
}

/// The pushed request a `request_uri` from the PAR endpoint stands for (its form), used once;
/// `None` for a request without one. Unknown, spent, expired or another client's, it is refused
/// with a page: without the pushed request there is no redirect URI to trust.
fn pushed_request(issuer: &Issuer, params: &Params) -> Result<Option<String>, Error> {
    let Some(request_uri) = params
        .get("request_uri")
        .ok()
        .flatten()
        .filter(|uri| uri.starts_with(super::par::REQUEST_URI_PREFIX))
    else {
        return Ok(None);
    };
    let page = |detail: &str| {
        Error::page(
            StatusCode::BAD_REQUEST,
            "Invalid request_uri",
            detail.to_owned(),
        )
    };
    let Some(client_id) = params.get("client_id").ok().flatten() else {
        return Err(page(
            "The request has a request_uri but no client_id (RFC 9126 §4).",
        ));
    };
    match issuer
        .store()
        .take_pushed(request_uri, client_id, issuer.now())
    {
        Ok(pushed) => Ok(Some(pushed.form)),
        Err(crate::store::PushedError::OtherClient) => Err(page(
            "The request_uri was pushed by another client than the one this request names (RFC \
             9126 §4).",
        )),
        Err(crate::store::PushedError::Unknown) => Err(page(
            "The request_uri is unknown, expired, or was used already: push the request again \
             (RFC 9126 §4).",
        )),
    }
}

/// What parsing an authorization request needs of the issuer, answered by the issuer.
impl IssuerView for Issuer {
    fn client(&self, client_id: &str) -> Option<Arc<ClientConfig>> {
        Issuer::client(self, client_id)
    }

    fn quirks(&self) -> &crate::preset::Active {
        &self.quirks
    }

    fn preset(&self) -> Preset {
        self.settings.preset
    }

    fn scope_problem(&self, client: &ClientConfig, scope: &Scopes) -> Option<String> {
        Issuer::scope_problem(self, client, scope)
    }

    fn hinted_subject(&self, id_token_hint: &str) -> Option<String> {
        hinted_subject(self, id_token_hint)
    }

    fn response_iss(&self) -> String {
        Issuer::response_iss(self)
    }
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
                AuthorizeErrorCode::LoginRequired,
                "the user is not logged in, or must log in again",
            ));
        }
        if needs_consent(session.as_ref().map(|(_, s)| s)) {
            return Err(request.error(
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
                AuthorizeErrorCode::AccessDenied,
                &format!("login_hint {hint:?} names no user of this provider"),
            )
        })?,
        None => issuer.default_user().ok_or_else(|| {
            request.error(
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
    crate::backchannel::note(issuer, sid, &request.client_id);
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
            bot_scope: request.bot_scope.clone(),
            consent_prompted: request.prompt.consent,
            claims: request.claims.clone(),
            dpop_jkt: request.dpop_jkt.clone(),
            audience: request.audience.clone(),
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
    // Apple: the person's name and address, on their first authorization of this client only.
    let user = if issuer.quirks.user_on_first_authorization
        && issuer
            .store()
            .first_authorization(username, &request.client_id)
    {
        issuer
            .user(username)
            .and_then(|u| crate::preset::apple::user_field(&u, &request.scope))
    } else {
        None
    };
    if let Some(user) = &user {
        params.push(("user", user));
    }
    (
        jar,
        crate::error::respond(
            &request.redirect_uri,
            &params,
            request.via_post,
            request.form_post,
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
            claims_field: issuer.settings.login_claims,
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

/// A user made at the login page (`login_claims`): `name`, with the claims typed as a JSON
/// object (a `sub` among them is the subject), checked as the configuration checks users.
fn typed_user(name: &str, claims: &str) -> Result<UserConfig, String> {
    let mut claims: serde_json::Map<String, serde_json::Value> = serde_json::from_str(claims)
        .map_err(|e| format!("The claims are not a JSON object: {e}."))?;
    let sub = match claims.remove("sub") {
        None => None,
        Some(serde_json::Value::String(sub)) => Some(sub),
        Some(_) => return Err("The claim sub must be a string.".to_owned()),
    };
    let user = UserConfig {
        username: name.to_owned(),
        password: None,
        sub,
        claims,
    };
    match user.problems().into_iter().next() {
        Some((field, message)) => Err(format!("{field}: {message}.")),
        None => Ok(user),
    }
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
                AuthorizeErrorCode::AccessDenied,
                "the user cancelled the login",
            )
            .into_response();
    }
    let typed = get("claims");
    let user = get("username").and_then(|name| issuer.user(name));
    let user = match (user, get("username"), typed) {
        // A configured user's claims are the configuration's.
        (Some(_), _, Some(_)) => {
            return login_page(
                &issuer,
                request,
                tx_id,
                Some(
                    "This user is configured: its claims come from the configuration. Type claims for a new username.",
                ),
                StatusCode::BAD_REQUEST,
            );
        }
        (None, Some(name), _) if issuer.settings.login_claims => {
            match typed_user(name, typed.unwrap_or("{}")) {
                Ok(user) if issuer.user_by_sub(user.sub()).is_some() => {
                    return login_page(
                        &issuer,
                        request,
                        tx_id,
                        Some("Another user has that subject (sub)."),
                        StatusCode::BAD_REQUEST,
                    );
                }
                Ok(user) => {
                    issuer.put_user(user);
                    issuer.user(name)
                }
                Err(why) => {
                    return login_page(
                        &issuer,
                        request,
                        tx_id,
                        Some(&why),
                        StatusCode::BAD_REQUEST,
                    );
                }
            }
        }
        (user, _, _) => user,
    };
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
