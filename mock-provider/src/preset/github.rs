//! GitHub's dialect at its token endpoint (`POST /login/oauth/access_token`).
//!
//! Sources (GitHub Docs): "Authorizing OAuth apps" (the form-encoded default, `Accept` for JSON
//! and XML, comma-joined `scope`, lowercase `bearer`), "Troubleshooting OAuth app access token
//! request errors" (the error codes and descriptions, HTTP 200), "Generating a user access token
//! for a GitHub App" and "Refreshing user access tokens" (`ghu_`/`ghr_`, 8 hours, 6 months,
//! rotation), "About authentication to GitHub" (token prefixes), and "Authorizing OAuth apps:
//! device flow" (`/login/device/code`, 40-character device codes, 15 minutes, the device flow's
//! error codes, `slow_down` with the new `interval`). The device errors' descriptions are as
//! GitHub's answers are quoted in public client code (`incorrect_device_code`,
//! `authorization_pending`, `slow_down`, `expired_token`); `access_denied`'s and
//! `device_flow_disabled`'s follow the documentation's words. The status of an error without the
//! 200 quirk is the RFC's (fauxauth's choice: GitHub always answers 200).

use serde_json::{Map, Value, json};

use crate::error::{Reason, TokenErrorCode};

const TROUBLESHOOTING: &str = "https://docs.github.com/apps/managing-oauth-apps/troubleshooting-oauth-app-access-token-request-errors";
/// Where GitHub documents the device flow's errors.
const DEVICE_ERRORS: &str = "https://docs.github.com/developers/apps/authorizing-oauth-apps#error-codes-for-the-device-flow";

/// A device code: 40 hexadecimal characters, as GitHub's documented sample.
pub const DEVICE_CODE_HEX_DIGITS: usize = 40;

/// An OAuth App's access token: `gho_` and 36 characters (40 in all, as observed).
pub const OAUTH_APP_ACCESS_PREFIX: &str = "gho_";
/// A GitHub App's user access token.
pub const APP_ACCESS_PREFIX: &str = "ghu_";
/// A GitHub App's refresh token: `ghr_` and 76 characters (80 in all, as observed).
pub const APP_REFRESH_PREFIX: &str = "ghr_";
pub const ACCESS_TOKEN_BODY: usize = 36;
pub const REFRESH_TOKEN_BODY: usize = 76;

/// GitHub's error code, description and documentation link for a failed token or device
/// request.
pub fn error(code: TokenErrorCode, reason: Option<Reason>, description: &str) -> Value {
    let troubleshooting = |anchor: &str| format!("{TROUBLESHOOTING}#{anchor}");
    let (error, description, uri) = match reason {
        Some(
            Reason::UnknownClient
            | Reason::BadClientSecret
            | Reason::BadClientAssertion
            | Reason::ClientAssertionReplayed,
        ) => (
            "incorrect_client_credentials",
            "The client_id and/or client_secret passed are incorrect.",
            troubleshooting("incorrect-client-credentials"),
        ),
        Some(Reason::RedirectUriMismatch) => (
            "redirect_uri_mismatch",
            "The redirect_uri MUST match the registered callback URL for this application.",
            troubleshooting("redirect-uri-mismatch"),
        ),
        // One code for a bad, expired, replayed or PKCE-failing code.
        Some(
            Reason::BadCode
            | Reason::CodeReplayed
            | Reason::CodeOfAnotherClient
            | Reason::PkceFailed,
        ) => (
            "bad_verification_code",
            "The code passed is incorrect or expired.",
            troubleshooting("bad-verification-code"),
        ),
        Some(Reason::BadRefreshToken | Reason::RefreshTokenReused) => (
            "bad_refresh_token",
            "The refresh token passed is incorrect or expired.",
            troubleshooting("bad-refresh-token"),
        ),
        Some(Reason::UnknownDeviceCode) => (
            "incorrect_device_code",
            "The device_code provided is not valid.",
            DEVICE_ERRORS.to_owned(),
        ),
        Some(Reason::DeviceGrantNotAllowed) => (
            "device_flow_disabled",
            "Device flow has not been enabled in the app's settings.",
            DEVICE_ERRORS.to_owned(),
        ),
        Some(Reason::PolledTooSoon { interval }) => {
            let mut body = json!({
                "error": "slow_down",
                "error_description": "Too many requests have been made in the same timeframe.",
                "error_uri": DEVICE_ERRORS,
            });
            // GitHub says how long to wait now.
            body["interval"] = interval.into();
            return body;
        }
        None => match code {
            TokenErrorCode::AuthorizationPending => (
                code.as_str(),
                "The authorization request is still pending.",
                DEVICE_ERRORS.to_owned(),
            ),
            TokenErrorCode::ExpiredToken => (
                code.as_str(),
                "The device_code has expired.",
                DEVICE_ERRORS.to_owned(),
            ),
            TokenErrorCode::AccessDenied => (
                code.as_str(),
                "The authorization request was denied.",
                DEVICE_ERRORS.to_owned(),
            ),
            _ => (code.as_str(), description, TROUBLESHOOTING.to_owned()),
        },
    };
    json!({ "error": error, "error_description": description, "error_uri": uri })
}

/// The members of a token response in GitHub's order, as strings (the form and XML encodings
/// have no numbers).
pub fn ordered_members(body: &Map<String, Value>) -> Vec<(String, String)> {
    const ORDER: [&str; 6] = [
        "access_token",
        "expires_in",
        "refresh_token",
        "refresh_token_expires_in",
        "scope",
        "token_type",
    ];
    let text = |v: &Value| match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    let mut members: Vec<(String, String)> = ORDER
        .iter()
        .filter_map(|name| body.get(*name).map(|v| ((*name).to_owned(), text(v))))
        .collect();
    members.extend(
        body.iter()
            .filter(|(k, _)| !ORDER.contains(&k.as_str()))
            .map(|(k, v)| (k.clone(), text(v))),
    );
    members
}

/// `<OAuth><token_type>bearer</token_type>…</OAuth>`, GitHub's answer to `Accept:
/// application/xml`.
pub fn xml(members: &[(String, String)]) -> String {
    let escape = |s: &str| {
        s.replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('>', "&gt;")
    };
    let mut out = String::from("<OAuth>");
    for (name, value) in members {
        out.push_str(&format!("<{name}>{}</{name}>", escape(value)));
    }
    out.push_str("</OAuth>");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_spent_or_wrong_code_is_a_bad_verification_code() {
        for reason in [Reason::BadCode, Reason::CodeReplayed, Reason::PkceFailed] {
            let body = error(TokenErrorCode::InvalidGrant, Some(reason), "x");
            assert_eq!(body["error"], "bad_verification_code");
            assert!(
                body["error_uri"]
                    .as_str()
                    .unwrap()
                    .ends_with("#bad-verification-code")
            );
        }
        let body = error(TokenErrorCode::UnsupportedGrantType, None, "no such grant");
        assert_eq!(body["error"], "unsupported_grant_type");
        assert_eq!(body["error_description"], "no such grant");
    }

    #[test]
    fn xml_escapes_and_keeps_githubs_order() {
        let body = json!({"token_type": "bearer", "scope": "a,b", "access_token": "x<y"});
        let members = ordered_members(body.as_object().unwrap());
        assert_eq!(
            xml(&members),
            "<OAuth><access_token>x&lt;y</access_token><scope>a,b</scope>\
             <token_type>bearer</token_type></OAuth>"
        );
    }
}
