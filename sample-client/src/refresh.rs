//! Refreshing a login's tokens (RFC 6749 §6), once at a time per login.
//!
//! Hand-written: the crate sends the refresh request, but keeping one login's refreshes in single
//! file is the application's job. Concurrent requests that find the access token expired (or
//! refused) all call [`refresh`] with the generation they saw; the first takes the login's
//! `tokio::sync::Mutex` and refreshes, the others wait for it and then find the generation moved,
//! and use the new tokens without asking the provider again. This matters because refresh tokens
//! rotate: a second request with the same (now spent) refresh token would be taken for a replay
//! and revoke the whole grant (RFC 9700 §4.14.2). GitHub Apps' refresh tokens (`ghr_`) are
//! single-use the same way; Microsoft's are not revoked on use, but the newest is kept all the
//! same.

use std::sync::Arc;

use fauxauth_core::preset::Preset;
use openidconnect::OAuth2TokenResponse as _;

use crate::config::Weakness;
use crate::error::{Check, Error};
use crate::protocol::id_token::{Expect, NonceRule};
use crate::session::{Login, Tokens};
use crate::{ClientState, verify};

/// The login's tokens after a refresh, by this call or by one that ran while it waited.
pub async fn refresh(
    state: &ClientState,
    session_id: &str,
    login: &Arc<Login>,
    seen_generation: u64,
) -> Result<Tokens, Error> {
    let _turn = login.refreshing.lock().await;
    let current = login.tokens();
    if current.generation != seen_generation {
        return Ok(current);
    }
    let Some(refresh_token) = current.refresh_token.clone() else {
        return Err(Error::new(
            Check::RefreshFailed,
            match state.preset() {
                Preset::Github => {
                    "the provider issued no refresh token (its access tokens do not expire)"
                }
                Preset::Discord => "the provider issued no refresh token",
                _ => "the provider issued no refresh token (ask for offline_access)",
            },
        ));
    };
    let (discovered, refreshed) = match state.plain() {
        Some(plain) => (None, plain.endpoints().refresh(&refresh_token).await),
        None => {
            let provider = state.provider();
            let discovered = provider.discovered().await?;
            let refreshed = provider.refresh(&discovered, &refresh_token).await;
            (Some(discovered), refreshed)
        }
    };
    let response = match refreshed {
        Ok(response) => response,
        Err(refused) => {
            if refused.grant_is_dead {
                state.sessions().end_login(session_id, login);
            }
            return Err(refused.error);
        }
    };
    let now = state.clock().now();
    let id_token = match (&response.extra_fields().id_token, &discovered) {
        (Some(token), Some(discovered)) => {
            // OIDC Core §12.2: validated like the first, same subject, nonce absent or the same.
            let checked = verify::id_token(
                state,
                discovered,
                token,
                &Expect {
                    issuer: discovered.issuer(),
                    client_id: state.provider().client_id(),
                    client_secret: state.provider().client_secret(),
                    nonce: NonceRule::AbsentOr(login.nonce.as_ref()),
                    access_token: response.access_token(),
                    now,
                    leeway: state.config().leeway,
                    weaknesses: state.weakness_set(),
                },
            )
            .await
            .and_then(|claims| {
                if claims.subject().as_str() == login.person.subject {
                    Ok(())
                } else {
                    Err(Error::new(
                        Check::IdTokenChanged,
                        "the refreshed ID token names another subject",
                    ))
                }
            });
            if let Err(error) = checked {
                state.sessions().end_login(session_id, login);
                return Err(error);
            }
            Some(token.clone())
        }
        // No new ID token (GitHub never has one): the last one stays the hint for logout.
        _ => current.id_token.clone(),
    };
    let refresh_token = if state.has(Weakness::ReuseRefreshToken) {
        current.refresh_token
    } else {
        // RFC 6749 §6: a new refresh token replaces the old; none issued keeps the old.
        response.refresh_token().cloned().or(current.refresh_token)
    };
    let tokens = Tokens {
        access_token: response.access_token().clone(),
        refresh_token,
        expires_at: response.expires_in().map(|lifetime| now + lifetime),
        id_token,
        generation: current.generation + 1,
    };
    login.set_tokens(tokens.clone());
    tracing::info!("tokens refreshed");
    Ok(tokens)
}
