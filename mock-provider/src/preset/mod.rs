//! Presets: the provider made to look and behave like Google, GitHub or Microsoft Entra ID.
//!
//! A preset is three things, each kept apart so that they can be read, tested and switched one at
//! a time:
//! - a [`Layout`]: the paths the real provider serves (from `fauxauth_core::preset`), so an app
//!   changes only its base URLs;
//! - [`Quirks`]: every behaviour of the real provider that departs from strict OpenID Connect, one
//!   named setting each. A preset switches on its own; an issuer's `quirks` block switches any of
//!   them off, or on for another preset;
//! - a dialect (`google`, `github`, `microsoft` modules): how the real provider words its answers
//!   (error codes and descriptions, response media types, extra members).
//!
//! The strict core is never bypassed: a quirk changes what is *said* or *issued*, and only the
//! checks the real provider does not make (GitHub does not require `response_type`, for one).

pub mod github;
pub mod google;
mod layout;
pub mod microsoft;

use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::error::{Error, json_no_store, no_store};
use crate::issuer::Issuer;
use crate::protocol::client_auth::{Presented, presented};
use crate::protocol::params::Params;

pub use fauxauth_core::preset::Preset;
pub use layout::{Endpoint, Layout, Route, Tenant};

/// The quirks of an issuer as configured: unset means "as the preset does".
#[derive(Clone, Debug, Default, Deserialize, PartialEq, Eq, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Quirks {
    /// GitHub: the token endpoint answers `application/x-www-form-urlencoded` unless the request
    /// sends `Accept: application/json` (or XML for `Accept: application/xml`).
    #[serde(default)]
    pub form_encoded_token_response: Option<bool>,
    /// GitHub: token endpoint errors are answered with HTTP 200, in GitHub's vocabulary
    /// (`bad_verification_code`, `incorrect_client_credentials`, `redirect_uri_mismatch`).
    #[serde(default)]
    pub token_errors_with_200: Option<bool>,
    /// GitHub: the granted `scope` is joined with commas in token responses (requests use spaces),
    /// and `token_type` is a lowercase `bearer`.
    #[serde(default)]
    pub comma_separated_scope: Option<bool>,
    /// GitHub: `response_type` may be omitted from the authorization request (it means `code`).
    #[serde(default)]
    pub response_type_optional: Option<bool>,
    /// GitHub: a `redirect_uri` matches a registered one when it is on the same host and port and
    /// its path is the registered path or below it (loopback ports may differ, RFC 8252 §7.3).
    #[serde(default)]
    pub redirect_uri_subdirectories: Option<bool>,
    /// GitHub App user tokens: `ghu_` access tokens expiring in 8 hours, with `ghr_` refresh
    /// tokens (6 months, `refresh_token_expires_in`) that rotate. Off: an OAuth App's `gho_` token
    /// that never expires and comes with no refresh token.
    #[serde(default)]
    pub github_app_tokens: Option<bool>,
    /// Google: a refresh token is issued only with `access_type=offline`, and only on the first
    /// consent of a user to a client, or when `prompt=consent` asks for consent again. Refreshing
    /// returns no new refresh token: the same one keeps working.
    #[serde(default)]
    pub refresh_token_on_first_consent_only: Option<bool>,
    /// Google: the granted `scope` names `profile` and `email` as the URLs
    /// `https://www.googleapis.com/auth/userinfo.profile` and `.../userinfo.email`.
    #[serde(default)]
    pub expanded_scope_urls: Option<bool>,
    /// Google (legacy implementations): ID tokens say `iss` without the scheme
    /// (`accounts.google.com`). Off in the preset too; switch it on to reproduce it.
    #[serde(default)]
    pub issuer_without_scheme: Option<bool>,
    /// Microsoft: for the multi-tenant segments (`common`, `organizations`) discovery names the
    /// issuer with a literal `{tenantid}`; ID tokens name the user's own tenant.
    #[serde(default)]
    pub tenant_issuer_template: Option<bool>,
    /// Microsoft: refreshing issues a new refresh token and the old one stays valid.
    #[serde(default)]
    pub refresh_tokens_stay_valid: Option<bool>,
    /// Opaque access tokens (Google `ya29.`, GitHub `gho_`/`ghu_`) instead of RFC 9068 JWTs;
    /// resources must introspect them.
    #[serde(default)]
    pub opaque_access_tokens: Option<bool>,
}

/// The quirks in force: the preset's, overridden by the configuration's.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Active {
    pub form_encoded_token_response: bool,
    pub token_errors_with_200: bool,
    pub comma_separated_scope: bool,
    pub response_type_optional: bool,
    pub redirect_uri_subdirectories: bool,
    pub github_app_tokens: bool,
    pub refresh_token_on_first_consent_only: bool,
    pub expanded_scope_urls: bool,
    pub issuer_without_scheme: bool,
    pub tenant_issuer_template: bool,
    pub refresh_tokens_stay_valid: bool,
    pub opaque_access_tokens: bool,
}

impl Quirks {
    /// What `preset` does, with the configured settings on top.
    pub fn resolve(&self, preset: Preset) -> Active {
        let github = preset == Preset::Github;
        let google = preset == Preset::Google;
        let microsoft = preset == Preset::Microsoft;
        Active {
            form_encoded_token_response: self.form_encoded_token_response.unwrap_or(github),
            token_errors_with_200: self.token_errors_with_200.unwrap_or(github),
            comma_separated_scope: self.comma_separated_scope.unwrap_or(github),
            response_type_optional: self.response_type_optional.unwrap_or(github),
            redirect_uri_subdirectories: self.redirect_uri_subdirectories.unwrap_or(github),
            github_app_tokens: self.github_app_tokens.unwrap_or(false),
            refresh_token_on_first_consent_only: self
                .refresh_token_on_first_consent_only
                .unwrap_or(google),
            expanded_scope_urls: self.expanded_scope_urls.unwrap_or(google),
            issuer_without_scheme: self.issuer_without_scheme.unwrap_or(false),
            tenant_issuer_template: self.tenant_issuer_template.unwrap_or(microsoft),
            refresh_tokens_stay_valid: self.refresh_tokens_stay_valid.unwrap_or(microsoft),
            opaque_access_tokens: self.opaque_access_tokens.unwrap_or(github || google),
        }
    }
}

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
        Err(Error::Token {
            code,
            description,
            basic_realm,
            reason,
        }) => {
            // What the strict core says may echo the request; the dialects word it as it is.
            let description = crate::error::description_text(&description);
            let (status, body) = match issuer.settings.preset {
                Preset::Github => (code.status(), github::error(code, reason, &description)),
                Preset::Google => {
                    let (status, body) = google::error(code, reason, &description);
                    (StatusCode::from_u16(status).expect("a valid status"), body)
                }
                Preset::Microsoft => {
                    // Some AADSTS messages name the application, however it presented itself.
                    let authorization = headers
                        .get(header::AUTHORIZATION)
                        .and_then(|v| v.to_str().ok());
                    let form = Params::parse(request_body);
                    let client_id = match presented(
                        authorization,
                        form.get("client_id").ok().flatten(),
                        None,
                    ) {
                        Ok(
                            Presented::Basic { client_id, .. }
                            | Presented::IdOnly { client_id }
                            | Presented::Post { client_id, .. },
                        ) => Some(client_id),
                        _ => None,
                    };
                    let client_id = client_id.map(|id| {
                        fauxauth_core::wire::shortened(&id, MAX_ECHOED_CLIENT_ID).into_owned()
                    });
                    let (number, message) = microsoft::aadsts(code, reason, client_id.as_deref());
                    let timestamp = humantime::format_rfc3339_seconds(issuer.now())
                        .to_string()
                        .replace('T', " ");
                    let status = code.status();
                    let body = microsoft::error_body(
                        code.as_str(),
                        number,
                        &message,
                        &timestamp,
                        &issuer.random_guid(),
                        &issuer.random_guid(),
                    );
                    (status, body)
                }
                Preset::Generic => {
                    return Error::Token {
                        code,
                        description,
                        basic_realm,
                        reason,
                    }
                    .into_response();
                }
            };
            let status = if quirks.token_errors_with_200 {
                StatusCode::OK
            } else {
                status
            };
            negotiated(issuer, status, &body, headers)
        }
        Err(other) => other.into_response(),
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_preset_switches_its_quirks_on_and_configuration_switches_any_off() {
        assert_eq!(
            Quirks::default().resolve(Preset::Generic),
            Active::default()
        );
        let github = Quirks::default().resolve(Preset::Github);
        assert!(github.form_encoded_token_response && github.token_errors_with_200);
        assert!(!github.refresh_token_on_first_consent_only);
        let off = Quirks {
            form_encoded_token_response: Some(false),
            ..Quirks::default()
        };
        let github = off.resolve(Preset::Github);
        assert!(!github.form_encoded_token_response && github.token_errors_with_200);
        let on = Quirks {
            comma_separated_scope: Some(true),
            ..Quirks::default()
        };
        assert!(on.resolve(Preset::Generic).comma_separated_scope);
    }
}
