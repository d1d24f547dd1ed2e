//! Browser sessions, kept server-side: the browser holds only a random id in an `HttpOnly`,
//! `SameSite=Lax` cookie. A session holds at most one login in progress (its `state`, `nonce`
//! and PKCE verifier, RFC 9700 §2.1) and, once logged in, the tokens, which never leave the
//! server.
//!
//! The map sits behind a `std::sync::Mutex` held only for map operations, never across an
//! `.await`. A login's tokens sit behind their own `std::sync::Mutex`; refreshes of one login
//! are serialised by a `tokio::sync::Mutex` that is held across the token request (see
//! `refresh`).

use std::collections::HashMap;
use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use axum_extra::extract::cookie::{Cookie, CookieJar, SameSite};
use openidconnect::core::CoreIdTokenClaims;
use openidconnect::{AccessToken, Nonce, PkceCodeVerifier, RefreshToken};
use serde_json::Value;

use crate::random::fresh_secret;

/// The session cookie. Browsers share cookies across the ports of one host, so the name differs
/// from the provider's.
pub const COOKIE: &str = "fauxauth_client_session";

/// How long a login may take between `/login` and `/callback`.
pub const PENDING_LIFETIME: Duration = Duration::from_secs(600);

/// Sessions without a login are swept every this many new sessions.
const SWEEP_EVERY: u64 = 256;

/// A login in progress: what `/callback` checks the answer against.
pub struct PendingLogin {
    pub state: String,
    /// `None` without OpenID Connect (GitHub).
    pub nonce: Option<Nonce>,
    /// `None` under the `no-pkce` weakness.
    pub verifier: Option<PkceCodeVerifier>,
    pub started: SystemTime,
}

impl fmt::Debug for PendingLogin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PendingLogin")
            .field("pkce", &self.verifier.is_some())
            .field("started", &self.started)
            .finish_non_exhaustive()
    }
}

/// The tokens of a login, as they are now.
#[derive(Clone)]
pub struct Tokens {
    pub access_token: AccessToken,
    pub refresh_token: Option<RefreshToken>,
    /// When the access token expires (from `expires_in`, RFC 6749 §5.1), if said.
    pub expires_at: Option<SystemTime>,
    /// The latest ID token, for `id_token_hint` at logout; `None` without OpenID Connect.
    pub id_token: Option<String>,
    /// Moves on every refresh, so a waiter can tell someone else already refreshed.
    pub generation: u64,
}

impl Tokens {
    pub fn expired(&self, now: SystemTime) -> bool {
        self.expires_at.is_some_and(|at| now >= at)
    }
}

impl fmt::Debug for Tokens {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Tokens")
            .field("refresh_token", &self.refresh_token.is_some())
            .field("expires_at", &self.expires_at)
            .field("generation", &self.generation)
            .finish_non_exhaustive()
    }
}

/// Who logged in, as the pages show them, whichever way the provider said it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Person {
    /// The provider's identifier for them: the ID token's `sub`, GitHub's numeric id.
    pub subject: String,
    /// Who vouched for them: the ID token's `iss`, GitHub's web host.
    pub issuer: String,
    /// The name to greet.
    pub name: String,
    pub email: Option<String>,
    /// The account name, where the provider has one apart from `name` (GitHub's `login`).
    pub login: Option<String>,
}

impl Person {
    /// From the ID token and UserInfo: greeted by `name`, else `preferred_username`, else
    /// `email`, else `sub`.
    pub fn from_id_token(claims: &CoreIdTokenClaims, userinfo: Option<&Value>) -> Self {
        let from_userinfo = |claim: &str| {
            userinfo
                .and_then(|u| u.get(claim))
                .and_then(Value::as_str)
                .map(str::to_owned)
        };
        let email = claims
            .email()
            .map(|e| e.to_string())
            .or_else(|| from_userinfo("email"));
        let name = claims
            .name()
            .and_then(|n| n.get(None))
            .map(|n| n.to_string())
            .or_else(|| from_userinfo("name"))
            .or_else(|| claims.preferred_username().map(|u| u.to_string()))
            .or_else(|| email.clone())
            .unwrap_or_else(|| claims.subject().to_string());
        Self {
            subject: claims.subject().to_string(),
            issuer: claims.issuer().to_string(),
            name,
            email,
            login: None,
        }
    }
}

/// A logged-in user.
#[derive(Debug)]
pub struct Login {
    pub person: Person,
    /// The login's nonce, which a refreshed ID token may repeat (OIDC Core §12.2); `None`
    /// without OpenID Connect.
    pub nonce: Option<Nonce>,
    tokens: Mutex<Tokens>,
    /// Held across a refresh, so one login refreshes once at a time.
    pub refreshing: tokio::sync::Mutex<()>,
}

impl Login {
    pub fn new(person: Person, nonce: Option<Nonce>, tokens: Tokens) -> Self {
        Self {
            person,
            nonce,
            tokens: Mutex::new(tokens),
            refreshing: tokio::sync::Mutex::new(()),
        }
    }

    pub fn tokens(&self) -> Tokens {
        self.tokens
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    pub fn set_tokens(&self, tokens: Tokens) {
        *self.tokens.lock().unwrap_or_else(|p| p.into_inner()) = tokens;
    }
}

#[derive(Debug, Default)]
struct Session {
    created: Option<SystemTime>,
    pending: Option<PendingLogin>,
    login: Option<Arc<Login>>,
}

/// Every session of one client.
#[derive(Default)]
pub struct Sessions {
    map: Mutex<HashMap<String, Session>>,
    created: AtomicU64,
}

impl fmt::Debug for Sessions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Sessions")
            .field("count", &self.lock().len())
            .finish()
    }
}

impl Sessions {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Session>> {
        self.map.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The session id the browser presents, if this client knows it.
    pub fn id_from(&self, jar: &CookieJar) -> Option<String> {
        let id = jar.get(COOKIE)?.value();
        self.lock().contains_key(id).then(|| id.to_owned())
    }

    /// Starts a login in the browser's session (made if it has none); returns the session id.
    /// A login already in progress is replaced: the newest `/login` wins.
    pub fn begin(
        &self,
        existing: Option<String>,
        pending: PendingLogin,
        now: SystemTime,
    ) -> String {
        let mut map = self.lock();
        let id = match existing.filter(|id| map.contains_key(id)) {
            Some(id) => id,
            None => {
                if self.created.fetch_add(1, Ordering::Relaxed) % SWEEP_EVERY == SWEEP_EVERY - 1 {
                    sweep(&mut map, now);
                }
                let id = fresh_secret();
                map.insert(
                    id.clone(),
                    Session {
                        created: Some(now),
                        ..Session::default()
                    },
                );
                id
            }
        };
        if let Some(session) = map.get_mut(&id) {
            session.pending = Some(pending);
        }
        id
    }

    /// Takes the login in progress out of the session: a callback is answered once, whatever
    /// its outcome. `None` when there is none, or it is older than [`PENDING_LIFETIME`].
    pub fn take_pending(&self, id: &str, now: SystemTime) -> Option<PendingLogin> {
        let pending = self.lock().get_mut(id)?.pending.take()?;
        let age = now.duration_since(pending.started).unwrap_or_default();
        (age <= PENDING_LIFETIME).then_some(pending)
    }

    /// Records a login under a fresh session id, retiring `old` (so a session id planted before
    /// login is worth nothing after it); returns the new id.
    /// The login may be shared with another session (only a weakness does that).
    pub fn log_in(&self, old: &str, login: Arc<Login>, now: SystemTime) -> String {
        let mut map = self.lock();
        map.remove(old);
        let id = fresh_secret();
        map.insert(
            id.clone(),
            Session {
                created: Some(now),
                pending: None,
                login: Some(login),
            },
        );
        id
    }

    pub fn login(&self, id: &str) -> Option<Arc<Login>> {
        self.lock().get(id)?.login.clone()
    }

    /// Ends `login` in session `id`, if it is still that session's login.
    pub fn end_login(&self, id: &str, login: &Arc<Login>) {
        let mut map = self.lock();
        if map
            .get(id)
            .and_then(|s| s.login.as_ref())
            .is_some_and(|current| Arc::ptr_eq(current, login))
        {
            map.remove(id);
        }
    }

    /// Forgets the session entirely; returns its login, if it had one.
    pub fn remove(&self, id: &str) -> Option<Arc<Login>> {
        self.lock().remove(id)?.login
    }

    /// Ends every logged-in session whose login `ended` says is over (a back-channel logout);
    /// how many.
    pub fn end_where(&self, ended: impl Fn(&Login) -> bool) -> usize {
        let mut map = self.lock();
        let before = map.len();
        map.retain(|_, s| !s.login.as_deref().is_some_and(&ended));
        before - map.len()
    }
}

/// Drops sessions that never finished logging in.
fn sweep(map: &mut HashMap<String, Session>, now: SystemTime) {
    map.retain(|_, s| {
        s.login.is_some()
            || s.created
                .and_then(|c| now.duration_since(c).ok())
                .is_none_or(|age| age <= PENDING_LIFETIME)
    });
}

/// The session cookie for `id`: `HttpOnly` (no script reads it), `SameSite=Lax` (sent on the
/// top-level navigation back from the provider, not on cross-site subrequests or POSTs),
/// `Secure` when the client is served over https.
pub fn cookie(id: String, secure: bool) -> Cookie<'static> {
    Cookie::build((COOKIE, id))
        .path("/")
        .http_only(true)
        .same_site(SameSite::Lax)
        .secure(secure)
        .build()
}

/// What removes the session cookie: `Max-Age=0` and no `Expires`, because `CookieJar::remove`
/// would stamp `Expires` with the wall clock, which nothing here reads except through `Clock`.
pub fn removal() -> Cookie<'static> {
    Cookie::parse(format!(
        "{COOKIE}=; Path=/; Max-Age=0; HttpOnly; SameSite=Lax"
    ))
    .expect("a well-formed cookie")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pending(started: SystemTime) -> PendingLogin {
        PendingLogin {
            state: "s".into(),
            nonce: Some(Nonce::new("n".into())),
            verifier: None,
            started,
        }
    }

    #[test]
    fn a_pending_login_is_taken_once() {
        let sessions = Sessions::default();
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        let id = sessions.begin(None, pending(now), now);
        assert!(sessions.take_pending(&id, now).is_some());
        assert!(sessions.take_pending(&id, now).is_none());
    }

    #[test]
    fn a_pending_login_expires() {
        let sessions = Sessions::default();
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        let id = sessions.begin(None, pending(now), now);
        let later = now + PENDING_LIFETIME + Duration::from_secs(1);
        assert!(sessions.take_pending(&id, later).is_none());
    }

    #[test]
    fn an_unknown_session_id_is_not_adopted() {
        let sessions = Sessions::default();
        let now = SystemTime::UNIX_EPOCH;
        let id = sessions.begin(Some("planted".into()), pending(now), now);
        assert_ne!(id, "planted");
        assert_eq!(id.len(), 43);
    }

    #[test]
    fn the_cookie_is_http_only_and_lax() {
        let cookie = cookie("id".into(), false).to_string();
        assert!(cookie.contains("HttpOnly"), "{cookie}");
        assert!(cookie.contains("SameSite=Lax"), "{cookie}");
        assert!(cookie.contains("Path=/"), "{cookie}");
        assert!(!cookie.contains("Secure"), "{cookie}");
    }

    #[test]
    fn tokens_never_show_in_debug_output() {
        let tokens = Tokens {
            access_token: AccessToken::new("very-secret-access".into()),
            refresh_token: Some(RefreshToken::new("very-secret-refresh".into())),
            expires_at: None,
            id_token: Some("very.secret.idtoken".into()),
            generation: 1,
        };
        let debug = format!("{tokens:?}");
        assert!(!debug.contains("very"), "{debug}");
    }
}
