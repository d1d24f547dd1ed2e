//! Microsoft Entra ID's dialect: AADSTS error bodies, and its discovery document's extras.
//!
//! Sources (Microsoft Learn, identity platform): "OAuth 2.0 authorization code flow" (the error
//! response members), "Microsoft Entra authentication and authorization error codes" (the AADSTS
//! numbers and messages), "OpenID Connect on the Microsoft identity platform" and a captured
//! discovery document (panva/wellknown, 2024-10-26: the `{tenantid}` issuer, the extra members).
//! Where the reference marks an AADSTS code's `error` as unverified, the RFC's code is kept.

use serde_json::{Value, json};

use crate::error::{Reason, TokenErrorCode};

/// The AADSTS number and message for a failed token request; `client_id` is named in some.
pub fn aadsts(
    code: TokenErrorCode,
    reason: Option<Reason>,
    client_id: Option<&str>,
) -> (u32, String) {
    match reason {
        Some(Reason::CodeReplayed) => (
            54005,
            "OAuth2 Authorization code was already redeemed, please retry with a new valid code \
             or use an existing refresh token."
                .into(),
        ),
        Some(Reason::BadCode | Reason::BadRefreshToken | Reason::RefreshTokenReused) => (
            70008,
            "The provided authorization code or refresh token has expired due to inactivity. \
             Send a new interactive authorization request for this user and resource."
                .into(),
        ),
        Some(Reason::PkceFailed) => (
            501481,
            "The Code_Verifier does not match the code_challenge supplied in the authorization \
             request."
                .into(),
        ),
        Some(Reason::BadClientSecret) => (
            7000215,
            format!(
                "Invalid client secret provided. Ensure the secret being sent in the request is \
                 the client secret value, not the client secret ID, for a secret added to app \
                 '{}'.",
                client_id.unwrap_or_default()
            ),
        ),
        Some(Reason::UnknownClient) => (
            700016,
            format!(
                "Application with identifier '{}' was not found in the directory. This can happen \
                 if the application has not been installed by the administrator of the tenant or \
                 consented to by any user in the tenant. You may have sent your authentication \
                 request to the wrong tenant.",
                client_id.unwrap_or_default()
            ),
        ),
        Some(Reason::RedirectUriMismatch) => (
            50011,
            "The redirect URI specified in the request does not match the redirect URIs \
             configured for the application."
                .into(),
        ),
        // The reference gives no AADSTS number for a refused client assertion: none is made up.
        Some(
            Reason::CodeOfAnotherClient
            | Reason::BadClientAssertion
            | Reason::ClientAssertionReplayed,
        )
        | None => match code {
            TokenErrorCode::InvalidScope => (
                70011,
                "The provided value for the input parameter 'scope' is not valid.".into(),
            ),
            _ => (
                9002313,
                "Invalid request. Request is malformed or invalid.".into(),
            ),
        },
    }
}

/// An Entra error body: the RFC members, and `error_codes`, `timestamp`, `trace_id`,
/// `correlation_id` and `error_uri`, the ids and the time repeated in the description.
pub fn error_body(
    error: &str,
    number: u32,
    message: &str,
    timestamp: &str,
    trace_id: &str,
    correlation_id: &str,
) -> Value {
    json!({
        "error": error,
        "error_description": format!(
            "AADSTS{number}: {message}\r\nTrace ID: {trace_id}\r\nCorrelation ID: \
             {correlation_id}\r\nTimestamp: {timestamp}"
        ),
        "error_codes": [number],
        "timestamp": timestamp,
        "trace_id": trace_id,
        "correlation_id": correlation_id,
        "error_uri": format!("https://login.microsoftonline.com/error?code={number}"),
    })
}

/// The issuer named by discovery reached through a multi-tenant segment.
pub fn issuer_template(base: &str) -> String {
    format!("{base}/{{tenantid}}/v2.0")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_replayed_code_is_aadsts54005_with_the_ids_in_the_description() {
        let (number, message) = aadsts(
            TokenErrorCode::InvalidGrant,
            Some(Reason::CodeReplayed),
            None,
        );
        assert_eq!(number, 54005);
        let body = error_body(
            "invalid_grant",
            number,
            &message,
            "2030-01-01 00:00:00Z",
            "t",
            "c",
        );
        assert_eq!(body["error_codes"], json!([54005]));
        let description = body["error_description"].as_str().unwrap();
        assert!(description.starts_with("AADSTS54005: OAuth2 Authorization code was already"));
        assert!(
            description.ends_with(
                "\r\nTrace ID: t\r\nCorrelation ID: c\r\nTimestamp: 2030-01-01 00:00:00Z"
            )
        );
        assert_eq!(
            body["error_uri"],
            "https://login.microsoftonline.com/error?code=54005"
        );
    }
}
