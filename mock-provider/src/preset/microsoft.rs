//! Microsoft Entra ID's dialect: AADSTS error bodies, and its discovery document's extras.
//!
//! Sources (Microsoft Learn, identity platform): "OAuth 2.0 authorization code flow" (the error
//! response members), "Microsoft Entra authentication and authorization error codes" (the AADSTS
//! numbers and messages), "OpenID Connect on the Microsoft identity platform" and a captured
//! discovery document (panva/wellknown, 2024-10-26: the `{tenantid}` issuer, the extra members).
//! Where the reference marks an AADSTS code's `error` as unverified, the RFC's code is kept.
//! The device code flow ("OAuth 2.0 device authorization grant"): `/devicecode` under a tenant,
//! 15 minutes, `message`, no `verification_uri_complete`, and the errors
//! `authorization_pending` (AADSTS70016), `authorization_declined`, `bad_verification_code`
//! (AADSTS70018) and `expired_token` (AADSTS70019). The error reference gives no number for a
//! declined device or for `slow_down` (which the flow's page does not list; fauxauth keeps RFC
//! 8628's), so none is made up. The `message` is worded as Entra's is commonly quoted.

use serde_json::{Value, json};

use crate::error::{Reason, TokenErrorCode};

/// The `error` Entra answers with: the RFC's, but `authorization_declined` for a person's
/// refusal and `bad_verification_code` for an unknown device code (the device code flow's
/// "Expected errors").
pub fn error_code(code: TokenErrorCode, reason: Option<Reason>) -> &'static str {
    match (code, reason) {
        (_, Some(Reason::UnknownDeviceCode)) => "bad_verification_code",
        (TokenErrorCode::AccessDenied, _) => "authorization_declined",
        _ => code.as_str(),
    }
}

/// The AADSTS number and message for a failed token request; `client_id` is named in some.
/// No number where the error reference gives none for the case (a declined device, a device
/// polling too fast): the message is then `description`, the strict core's.
pub fn aadsts(
    code: TokenErrorCode,
    reason: Option<Reason>,
    client_id: Option<&str>,
    description: &str,
) -> (Option<u32>, String) {
    let (number, message) = match reason {
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
        Some(Reason::UnknownDeviceCode) => (
            70018,
            "Invalid verification code due to User typing in wrong user code for device code \
             flow. Authorization isn't approved."
                .into(),
        ),
        Some(Reason::PolledTooSoon { .. }) => return (None, description.to_owned()),
        // The reference gives no AADSTS number for a refused client assertion: none is made up.
        Some(
            Reason::CodeOfAnotherClient
            | Reason::BadClientAssertion
            | Reason::ClientAssertionReplayed
            | Reason::DeviceGrantNotAllowed,
        )
        | None => match code {
            TokenErrorCode::InvalidScope => (
                70011,
                "The provided value for the input parameter 'scope' is not valid.".into(),
            ),
            TokenErrorCode::AuthorizationPending => (
                70016,
                "OAuth 2.0 device flow error. Authorization is pending. The device will retry \
                 polling the request."
                    .into(),
            ),
            TokenErrorCode::ExpiredToken => (
                70019,
                "Verification code expired. Have the user retry the sign-in.".into(),
            ),
            TokenErrorCode::AccessDenied => return (None, description.to_owned()),
            _ => (
                9002313,
                "Invalid request. Request is malformed or invalid.".into(),
            ),
        },
    };
    (Some(number), message)
}

/// An Entra error body: the RFC members, and `error_codes`, `timestamp`, `trace_id`,
/// `correlation_id` and `error_uri`, the ids and the time repeated in the description. Without
/// an AADSTS number, neither `error_codes` nor `error_uri`.
pub fn error_body(
    error: &str,
    number: Option<u32>,
    message: &str,
    timestamp: &str,
    trace_id: &str,
    correlation_id: &str,
) -> Value {
    let prefix = number.map(|n| format!("AADSTS{n}: ")).unwrap_or_default();
    let mut body = json!({
        "error": error,
        "error_description": format!(
            "{prefix}{message}\r\nTrace ID: {trace_id}\r\nCorrelation ID: \
             {correlation_id}\r\nTimestamp: {timestamp}"
        ),
        "timestamp": timestamp,
        "trace_id": trace_id,
        "correlation_id": correlation_id,
    });
    if let Some(number) = number {
        body["error_codes"] = json!([number]);
        body["error_uri"] = format!("https://login.microsoftonline.com/error?code={number}").into();
    }
    body
}

/// The `message` of a device authorization response: what the device shows the person.
pub fn device_message(verification_uri: &str, user_code: &str) -> String {
    format!(
        "To sign in, use a web browser to open the page {verification_uri} and enter the code \
         {user_code} to authenticate."
    )
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
            "",
        );
        assert_eq!(number, Some(54005));
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

    #[test]
    fn a_declined_device_has_entras_error_and_no_made_up_number() {
        let denied = TokenErrorCode::AccessDenied;
        assert_eq!(error_code(denied, None), "authorization_declined");
        let (number, message) = aadsts(denied, None, None, "the person denied the device");
        assert_eq!(number, None);
        let body = error_body("authorization_declined", number, &message, "t", "a", "b");
        assert!(body.get("error_codes").is_none() && body.get("error_uri").is_none());
        assert!(
            body["error_description"]
                .as_str()
                .unwrap()
                .starts_with("the person denied the device\r\nTrace ID: a")
        );
        let unknown = Some(Reason::UnknownDeviceCode);
        assert_eq!(
            error_code(TokenErrorCode::InvalidGrant, unknown),
            "bad_verification_code"
        );
        assert_eq!(
            aadsts(TokenErrorCode::InvalidGrant, unknown, None, "").0,
            Some(70018)
        );
    }
}
