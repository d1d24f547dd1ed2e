//! OpenID Connect Back-Channel Logout 1.0: when a login session ends, each client it gave a code
//! to and that registered a `backchannel_logout_uri` is sent a logout token (§2.4) by a POST of
//! its own (§2.5), retried while it fails, each attempt in the journal.
//!
//! A session ends at the end-session endpoint, through the admin API, by a rule
//! (`end_session`), or by the clock. The clock's endings are found by whoever moves a clock
//! ([`end_expired`]: the admin API, a scenario, the Rust API) and, on a running clock, by a task
//! that sleeps until the next one ([`note`] starts it). Each attempt is a request rules see as
//! `endpoint: backchannel_logout`: a rule can change its logout token (`target: logout_token`),
//! delay it, or lose it (an answer or a dropped connection: the client never sees it).

use std::sync::Arc;
use std::time::Duration;

use fauxauth_core::control::Outbound;
use fauxauth_core::rules::{Facts, TokenTarget};
use serde_json::json;

use crate::issuer::Issuer;
use crate::store::Session;

/// The event a logout token carries (§2.4).
pub const EVENT: &str = "http://schemas.openid.net/event/backchannel-logout";

/// A logout token's `typ` (§2.4: explicit typing is RECOMMENDED).
pub const TYP: &str = "logout+jwt";

/// How long a logout token is good for.
const LIFETIME: Duration = Duration::from_secs(120);

/// Waits before each further attempt after the first (real time: the client is a real server).
const RETRIES: [Duration; 2] = [Duration::from_millis(250), Duration::from_secs(1)];

/// The longest the watching task sleeps before it looks again (the clock may have been moved
/// by a caller that did not end what the move ended).
const LONGEST_WATCH: Duration = Duration::from_secs(60);

/// The shortest: each look walks the sessions, so however many end one after another, it walks
/// them at most once a second (and ends all that are due at once).
const SHORTEST_WATCH: Duration = Duration::from_secs(1);

/// Notes that the login session `sid` gave `client_id` a code, when the client is to be told
/// of the session's end; on a running clock, starts the task that watches for sessions to end
/// by it (a frozen clock moves only when told, and whoever moves it calls [`end_expired`]).
pub fn note(issuer: &Issuer, sid: &str, client_id: &str) {
    // The presets' providers send none (their discovery documents offer none).
    if issuer.settings.preset != crate::preset::Preset::Generic
        || issuer
            .client(client_id)
            .is_none_or(|c| c.backchannel_logout_uri.is_none())
    {
        return;
    }
    let start = issuer.store().note_session_client(sid, client_id);
    if start
        && !issuer.clock.is_frozen()
        && let Some(issuer) = issuer.me()
    {
        tokio::spawn(watch(Arc::downgrade(&issuer)));
    }
}

/// Ends the sessions of `issuer` that the clock has ended and tells their clients, each
/// notice's first attempt awaited; how many ended.
pub async fn end_expired(issuer: &Arc<Issuer>) -> usize {
    let _one_at_a_time = issuer.ending.lock().await;
    let ended = issuer.store().take_ended_sessions(issuer.now());
    for session in &ended {
        notify(issuer, session).await;
    }
    ended.len()
}

/// Sleeps until the next session with clients to tell ends (a second at least, a minute at
/// most), ends every one due, and again, until none is left or the issuer is gone.
async fn watch(issuer: std::sync::Weak<Issuer>) {
    loop {
        let wait = {
            let Some(issuer) = issuer.upgrade() else {
                return;
            };
            let Some(next) = issuer.store().next_session_end() else {
                return;
            };
            match next.duration_since(issuer.now()) {
                Ok(wait) if !wait.is_zero() => wait,
                _ => {
                    end_expired(&issuer).await;
                    continue;
                }
            }
        };
        tokio::time::sleep(wait.clamp(SHORTEST_WATCH, LONGEST_WATCH)).await;
    }
}

/// Tells each client `session` gave a code to that it ended. Each notice's first attempt is
/// awaited (the end-session answer comes after them, so the client knows before the person sees
/// "signed out", §2.8 allows it); a notice that fails is tried again on its own task.
pub async fn notify(issuer: &Arc<Issuer>, session: &Session) {
    let clients = issuer.store().take_session_clients(&session.sid);
    let Some(user) = issuer.user(&session.username) else {
        return;
    };
    for client_id in clients {
        let Some(client) = issuer.client(&client_id) else {
            continue;
        };
        let Some(uri) = client.backchannel_logout_uri.clone() else {
            continue;
        };
        let now = issuer.now();
        let iat = fauxauth_core::unix(now);
        // §2.4: iss, aud, iat, exp, jti, events, sub and/or sid; never a nonce.
        let claims = json!({
            "iss": issuer.url,
            "aud": client.client_id,
            "iat": iat,
            "exp": fauxauth_core::unix(now + LIFETIME),
            "jti": issuer.random_id(),
            "sub": user.sub(),
            "sid": session.sid,
            "events": { EVENT: {} },
        });
        let notice = Notice {
            client: &client,
            user: &session.username,
            uri: &uri,
            claims: &claims,
        };
        if !attempt(issuer, &notice).await {
            let issuer = issuer.clone();
            let (username, claims) = (session.username.clone(), claims.clone());
            tokio::spawn(async move {
                let notice = Notice {
                    client: &client,
                    user: &username,
                    uri: &uri,
                    claims: &claims,
                };
                for wait in RETRIES {
                    tokio::time::sleep(wait).await;
                    if attempt(&issuer, &notice).await {
                        return;
                    }
                }
            });
        }
    }
}

/// One client's notice of one session's end.
struct Notice<'a> {
    client: &'a crate::config::ClientConfig,
    user: &'a str,
    uri: &'a str,
    claims: &'a serde_json::Value,
}

/// Signs the notice's logout token as the rules say, posts it once (unless a rule loses it) and
/// journals it; whether it was taken (a 2xx, §2.8).
async fn attempt(issuer: &Issuer, notice: &Notice<'_>) -> bool {
    let client_id = notice.client.client_id.as_str();
    let outcome = issuer.control.rules().evaluate(&Facts {
        endpoint: "backchannel_logout".to_owned(),
        method: "POST".to_owned(),
        path: url::Url::parse(notice.uri)
            .map(|u| u.path().to_owned())
            .unwrap_or_default(),
        issuer: Some(issuer.name.clone()),
        client_id: Some(client_id.to_owned()),
        user: Some(notice.user.to_owned()),
        ..Facts::default()
    });
    if !outcome.delay.is_zero() {
        tokio::time::sleep(outcome.delay).await;
    }
    let key = issuer.id_token_key(notice.client.id_token_alg(issuer.settings.signing_alg));
    let changes: Vec<_> = outcome
        .token_changes
        .iter()
        .filter(|c| c.target == TokenTarget::LogoutToken)
        .collect();
    let token = if changes.is_empty() {
        key.sign(TYP, notice.claims)
    } else {
        let iat = fauxauth_core::unix(issuer.now());
        crate::tokens::sign_changed(
            issuer,
            notice.client,
            &key,
            TYP,
            notice.claims,
            &changes,
            iat,
        )
    };
    let form = form_urlencoded::Serializer::new(String::new())
        .append_pair("logout_token", &token)
        .finish();
    // An answer from a rule loses the notice on its way: the client never sees it (status 0).
    let status = if outcome.answer.is_some() {
        0
    } else {
        let http = match issuer.client_keys.http() {
            Ok(http) => http,
            Err(why) => {
                tracing::warn!(client_id, "back-channel logout not sent: {why}");
                return false;
            }
        };
        let answer = http
            .post(notice.uri)
            .header("content-type", "application/x-www-form-urlencoded")
            .body(form.clone())
            .send()
            .await;
        answer.as_ref().map_or(0, |r| r.status().as_u16())
    };
    issuer.control.record_outbound(&Outbound {
        endpoint: "backchannel_logout",
        url: notice.uri,
        issuer: Some(&issuer.name),
        client_id: Some(client_id),
        form: form.as_bytes(),
        status,
        rules_fired: &outcome.fired,
    });
    let taken = (200..300).contains(&status);
    if !taken {
        tracing::debug!(client_id, status, "back-channel logout not accepted");
    }
    taken
}
