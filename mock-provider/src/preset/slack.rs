//! Slack's dialect at its token endpoints (`openid.connect.token` and `oauth.v2.access`, Web
//! API methods), and its app installation's requests (OAuth v2; the answers are made in
//! `endpoints/slack_install.rs`, which mints the tokens).
//!
//! Sources (fauxauth's provider reference §10): every Web API answer carries `ok`; a failure is
//! HTTP 200 with `{"ok": false, "error": "<code>"}`, whose codes for a token request are
//! `invalid_code`, `code_already_used`, `bad_redirect_uri`, `bad_client_secret`,
//! `invalid_client_id` and `invalid_grant_type` (the `oauth.v2.access` method's list, which
//! `openid.connect.token` shares the handling of). Where no source names Slack's code (a PKCE
//! failure, a refused refresh token), the RFC's code is said in Slack's envelope.

use serde_json::{Value, json};

use crate::error::{Reason, TokenErrorCode};
use crate::protocol::params::Params;

/// The length of the random part of a Slack token (`xoxp-`, `xoxb-`).
pub const TOKEN_SECRET_HEX_DIGITS: usize = 32;

/// Slack's error code for a failed token request.
pub fn error_code(code: TokenErrorCode, reason: Option<Reason>) -> &'static str {
    match (reason, code) {
        (Some(Reason::UnknownClient), _) => "invalid_client_id",
        (Some(Reason::BadClientSecret), _) => "bad_client_secret",
        (Some(Reason::BadCode | Reason::CodeOfAnotherClient), _) => "invalid_code",
        (Some(Reason::CodeReplayed), _) => "code_already_used",
        (Some(Reason::RedirectUriMismatch), _) => "bad_redirect_uri",
        (_, TokenErrorCode::UnsupportedGrantType) => "invalid_grant_type",
        (_, code) => code.as_str(),
    }
}

/// The body of a failed token request in Slack's envelope (answered with HTTP 200).
pub fn error(code: TokenErrorCode, reason: Option<Reason>) -> Value {
    json!({ "ok": false, "error": error_code(code, reason) })
}

/// An app installation's authorization request (`/oauth/v2/authorize`) made into the strict
/// core's: `response_type` is implied, the person consents to `user_scope` (their token's
/// scopes), and `scope` is the bot's, returned with commas made spaces.
pub fn install_request(params: &mut Params) -> Option<String> {
    let text = |name: &str| params.get(name).ok().flatten().map(|s| s.replace(',', " "));
    let bot = text("scope");
    let user = text("user_scope");
    if !params.has("response_type") {
        params.set("response_type", Some("code".to_owned()));
    }
    params.set("scope", user);
    params.set("user_scope", None);
    Some(bot.unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_installation_request_is_the_users_scopes_and_the_bots_apart() {
        let mut params = Params::parse(
            b"client_id=x&scope=commands,chat:write&user_scope=identity.basic,identity.email",
        );
        let bot = install_request(&mut params);
        assert_eq!(bot.as_deref(), Some("commands chat:write"));
        assert_eq!(
            params.get("scope").unwrap(),
            Some("identity.basic identity.email")
        );
        assert_eq!(params.get("response_type").unwrap(), Some("code"));
        assert!(!params.has("user_scope"));
    }

    #[test]
    fn failures_are_slacks_codes_in_its_envelope() {
        let cases = [
            (Reason::CodeReplayed, "code_already_used"),
            (Reason::BadCode, "invalid_code"),
            (Reason::RedirectUriMismatch, "bad_redirect_uri"),
            (Reason::BadClientSecret, "bad_client_secret"),
            (Reason::UnknownClient, "invalid_client_id"),
        ];
        for (reason, said) in cases {
            let body = error(TokenErrorCode::InvalidGrant, Some(reason));
            assert_eq!(body, json!({ "ok": false, "error": said }), "{reason:?}");
        }
        assert_eq!(
            error(TokenErrorCode::UnsupportedGrantType, None)["error"],
            "invalid_grant_type"
        );
        assert_eq!(
            error(TokenErrorCode::InvalidGrant, Some(Reason::PkceFailed))["error"],
            "invalid_grant"
        );
    }
}
