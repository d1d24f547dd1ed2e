//! The dialect of the token endpoint: the strict core's result, said as the real provider says
//! it (error codes and descriptions, media types, extra members). Needs the running issuer.

use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::Value;

use super::{
    Preset, apple, auth0, discord, github, gitlab, google, keycloak, microsoft, okta, slack,
};
use crate::error::{Error, json_no_store, no_store};
use crate::issuer::Issuer;
use crate::protocol::client_auth::{Presented, presented};
use crate::protocol::params::Params;

/// How the token endpoint answers: the strict core's result, said as the preset says it.
pub fn token_answer(
    issuer: &Issuer,
    result: Result<Value, Error>,
    headers: &HeaderMap,
    request_body: &[u8],
) -> Response {
    let quirks = &issuer.quirks;
    match result {
        Ok(mut body) => {
            if let Some(scope) = body.get("scope").and_then(Value::as_str) {
                let scope = if quirks.expanded_scope_urls {
                    google::expand_scope(scope)
                } else if quirks.comma_separated_scope {
                    scope.replace(' ', ",")
                } else {
                    scope.to_owned()
                };
                body["scope"] = Value::String(scope);
            }
            if quirks.comma_separated_scope {
                body["token_type"] = "bearer".into();
            }
            if issuer.settings.preset == Preset::Microsoft
                && let Some(expires_in) = body.get("expires_in").cloned()
            {
                body["ext_expires_in"] = expires_in;
            }
            if quirks.token_created_at {
                let created = fauxauth_core::unix(issuer.now());
                body["created_at"] = created.into();
            }
            if quirks.refresh_expires_in {
                let object = body.as_object_mut().expect("token responses are objects");
                if object.contains_key("refresh_token") {
                    let lifetime = issuer.settings.lifetimes.refresh_token.as_secs();
                    object.insert("refresh_expires_in".into(), lifetime.into());
                }
                object.insert("not-before-policy".into(), 0.into());
            }
            if quirks.ok_envelope {
                let object = body.as_object_mut().expect("token responses are objects");
                object.insert("ok".into(), true.into());
            }
            if issuer.settings.preset == Preset::Slack {
                // A user token without token rotation (Slack's default) never expires.
                let object = body.as_object_mut().expect("token responses are objects");
                object.remove("expires_in");
            }
            if issuer.settings.preset == Preset::Github {
                let object = body.as_object_mut().expect("token responses are objects");
                if quirks.github_app_tokens {
                    if object.contains_key("refresh_token") {
                        let lifetime = issuer.settings.lifetimes.refresh_token.as_secs();
                        object.insert("refresh_token_expires_in".into(), lifetime.into());
                    }
                } else {
                    // An OAuth App's token never expires.
                    object.remove("expires_in");
                }
            }
            negotiated(issuer, StatusCode::OK, &body, headers)
        }
        Err(error) => error_answer(issuer, error, headers, request_body),
    }
}

/// How the device authorization endpoint answers (RFC 8628 §3.2): the strict core's answer in
/// the preset's words. GitHub: its media types and no `verification_uri_complete`; Google:
/// `verification_url`, no `verification_uri_complete`; Microsoft: a `message` for the person, no
/// `verification_uri_complete`. Errors as at the token endpoint.
pub fn device_answer(
    issuer: &Issuer,
    result: Result<Value, Error>,
    headers: &HeaderMap,
    request_body: &[u8],
) -> Response {
    let mut body = match result {
        Ok(body) => body,
        Err(error) => return error_answer(issuer, error, headers, request_body),
    };
    let preset = issuer.settings.preset;
    let object = body.as_object_mut().expect("device responses are objects");
    // Keycloak's and GitLab's device authorization answer as the RFC does.
    if !matches!(
        preset,
        Preset::Generic | Preset::Keycloak | Preset::Gitlab | Preset::Auth0
    ) {
        object.remove("verification_uri_complete");
    }
    match preset {
        Preset::Google => {
            if let Some(uri) = object.remove("verification_uri") {
                object.insert("verification_url".into(), uri);
            }
        }
        Preset::Microsoft => {
            let text = |name| object.get(name).and_then(Value::as_str).unwrap_or_default();
            let message = microsoft::device_message(text("verification_uri"), text("user_code"));
            object.insert("message".into(), message.into());
        }
        Preset::Generic
        | Preset::Github
        | Preset::Keycloak
        | Preset::Gitlab
        | Preset::Auth0
        | Preset::Okta
        | Preset::Discord
        | Preset::Slack
        | Preset::Apple => {}
    }
    negotiated(issuer, StatusCode::OK, &body, headers)
}

/// A device code as the preset makes them: GitHub's are 40 hexadecimal characters.
pub fn device_code(issuer: &Issuer) -> String {
    match issuer.settings.preset {
        Preset::Github => issuer.random_chars(b"0123456789abcdef", github::DEVICE_CODE_HEX_DIGITS),
        _ => issuer.random_token(),
    }
}

/// A failed token or device request, said as the preset says it.
fn error_answer(
    issuer: &Issuer,
    error: Error,
    headers: &HeaderMap,
    request_body: &[u8],
) -> Response {
    let Error::Token {
        code,
        description,
        basic_realm,
        reason,
    } = error
    else {
        return error.into_response();
    };
    if issuer.quirks.ok_envelope {
        return json_no_store(StatusCode::OK, &slack::error(code, reason));
    }
    // What the strict core says may echo the request; the dialects word it as it is.
    let text = crate::error::description_text(&description);
    let (status, body) = match issuer.settings.preset {
        Preset::Github => (code.status(), github::error(code, reason, &text)),
        Preset::Google => {
            let (status, body) = google::error(code, reason, &text);
            (StatusCode::from_u16(status).expect("a valid status"), body)
        }
        Preset::Microsoft => {
            // Some AADSTS messages name the application, however it presented itself.
            let authorization = headers
                .get(header::AUTHORIZATION)
                .and_then(|v| v.to_str().ok());
            let form = Params::parse(request_body);
            let client_id =
                match presented(authorization, form.get("client_id").ok().flatten(), None) {
                    Ok(
                        Presented::Basic { client_id, .. }
                        | Presented::IdOnly { client_id }
                        | Presented::Post { client_id, .. },
                    ) => Some(client_id),
                    _ => None,
                };
            let client_id = client_id
                .map(|id| fauxauth_core::wire::shortened(&id, MAX_ECHOED_CLIENT_ID).into_owned());
            let (number, message) = microsoft::aadsts(code, reason, client_id.as_deref(), &text);
            let timestamp = humantime::format_rfc3339_seconds(issuer.now())
                .to_string()
                .replace('T', " ");
            let body = microsoft::error_body(
                microsoft::error_code(code, reason),
                number,
                &message,
                &timestamp,
                &issuer.random_guid(),
                &issuer.random_guid(),
            );
            (code.status(), body)
        }
        preset @ (Preset::Keycloak
        | Preset::Gitlab
        | Preset::Auth0
        | Preset::Okta
        | Preset::Discord
        | Preset::Apple) => {
            let (status, body) = match preset {
                Preset::Keycloak => keycloak::error(code, reason, &text),
                Preset::Gitlab => gitlab::error(code, reason, &text),
                Preset::Okta => okta::error(code, reason, &text),
                Preset::Discord => discord::error(code, reason, &text),
                Preset::Apple => apple::error(code, reason, &text),
                _ => auth0::error(code, reason, &text),
            };
            let mut response = negotiated(
                issuer,
                StatusCode::from_u16(status).expect("a valid status"),
                &body,
                headers,
            );
            if status == 401 {
                // RFC 9110 §15.5.2 and RFC 6749 §5.2, as the strict core says it.
                let realm = basic_realm.unwrap_or_else(|| "token".to_owned());
                crate::error::set_header(
                    &mut response,
                    header::WWW_AUTHENTICATE,
                    &fauxauth_core::wire::basic_challenge(&realm),
                );
            }
            return response;
        }
        Preset::Generic | Preset::Slack => {
            return Error::Token {
                code,
                description,
                basic_realm,
                reason,
            }
            .into_response();
        }
    };
    let status = if issuer.quirks.token_errors_with_200 {
        StatusCode::OK
    } else {
        status
    };
    negotiated(issuer, status, &body, headers)
}

/// The most of a presented `client_id` an AADSTS message repeats (real ones are GUIDs).
const MAX_ECHOED_CLIENT_ID: usize = 64;

/// The body in the media type the preset answers with: JSON, or GitHub's form encoding unless
/// `Accept` asks for JSON (or XML). Never cached (RFC 6749 §5.1).
fn negotiated(issuer: &Issuer, status: StatusCode, body: &Value, headers: &HeaderMap) -> Response {
    if !issuer.quirks.form_encoded_token_response {
        return json_no_store(status, body);
    }
    let accept = headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_ascii_lowercase();
    let members = github::ordered_members(body.as_object().expect("an object"));
    let (media_type, text) = if accept.contains("application/json") {
        return json_no_store(status, body);
    } else if accept.contains("application/xml") {
        ("application/xml; charset=utf-8", github::xml(&members))
    } else {
        (
            "application/x-www-form-urlencoded; charset=utf-8",
            form_urlencoded::Serializer::new(String::new())
                .extend_pairs(&members)
                .finish(),
        )
    };
    let mut response = (status, [(header::CONTENT_TYPE, media_type)], text).into_response();
    no_store(&mut response);
    response
}
