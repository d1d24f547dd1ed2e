//! OpenID Connect Back-Channel Logout 1.0: when a login session ends, each client it gave a code
//! to and that registered a `backchannel_logout_uri` is sent a logout token (§2.4) by a POST of
//! its own (§2.5), retried while it fails, each attempt in the journal.

use std::sync::Arc;
use std::time::Duration;

use fauxauth_core::control::Outbound;
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

/// Tells each client `session` gave a code to that it ended. Each notice's first attempt is
/// awaited (the end-session answer comes after them, so the client knows before the person sees
/// "signed out", §2.8 allows it); a notice that fails is tried again on its own task.
pub async fn notify(issuer: &Arc<Issuer>, session: &Session) {
    let clients = issuer.store().take_session_clients(&session.sid);
    // The presets' providers send none (their discovery documents offer none).
    if issuer.settings.preset != crate::preset::Preset::Generic {
        return;
    }
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
        let key = issuer.id_token_key(client.id_token_alg(issuer.settings.signing_alg));
        let token = key.sign(TYP, &claims);
        if !attempt(issuer, &client.client_id, &uri, &token).await {
            let issuer = issuer.clone();
            tokio::spawn(async move {
                for wait in RETRIES {
                    tokio::time::sleep(wait).await;
                    if attempt(&issuer, &client.client_id, &uri, &token).await {
                        return;
                    }
                }
            });
        }
    }
}

/// Posts `logout_token` to `uri` once and journals it; whether it was taken (a 2xx, §2.8).
async fn attempt(issuer: &Issuer, client_id: &str, uri: &str, token: &str) -> bool {
    let form = form_urlencoded::Serializer::new(String::new())
        .append_pair("logout_token", token)
        .finish();
    let http = match issuer.client_keys.http() {
        Ok(http) => http,
        Err(why) => {
            tracing::warn!(client_id, "back-channel logout not sent: {why}");
            return false;
        }
    };
    let answer = http
        .post(uri)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(form.clone())
        .send()
        .await;
    let status = answer.as_ref().map_or(0, |r| r.status().as_u16());
    issuer.control.record_outbound(&Outbound {
        endpoint: "backchannel_logout",
        url: uri,
        issuer: Some(&issuer.name),
        client_id: Some(client_id),
        form: form.as_bytes(),
        status,
    });
    let taken = (200..300).contains(&status);
    if !taken {
        tracing::debug!(client_id, status, "back-channel logout not accepted");
    }
    taken
}
