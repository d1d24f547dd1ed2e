//! The authorization request (RFC 6749 §4.1.1, OIDC Core §3.1.2.1), parsed and checked in the
//! order RFC 6749 §4.1.2.1 demands: first what decides whether the client's redirect URI can be
//! trusted (`client_id`, `redirect_uri`), whose failures are pages and never redirects; then
//! everything else, whose failures go back to the client with `error`, the original `state` and
//! `iss` (RFC 9207).
//!
//! Over plain inputs: the client's registration, the quirks in force and the few answers only
//! the issuer has ([`IssuerView`]), never the running issuer itself, so the store can hold a
//! request and the endpoint can parse one without either reaching the other.

use std::sync::Arc;

use axum::http::StatusCode;

use crate::config::{ClientConfig, GrantType};
use crate::error::{AuthorizeErrorCode, Error, ErrorRedirect};
use crate::preset::{Active, Preset};
use crate::protocol::params::Params;
use crate::protocol::pkce::{self, CodeChallengeMethod};
use crate::protocol::redirect::{matches, matches_subdirectory};
use crate::protocol::scope::Scopes;

/// What parsing an authorization request needs from the issuer it came to.
pub trait IssuerView {
    /// The registered client with this id.
    fn client(&self, client_id: &str) -> Option<Arc<ClientConfig>>;
    /// The quirks in force.
    fn quirks(&self) -> &Active;
    /// The preset it plays.
    fn preset(&self) -> Preset;
    /// Why this client may not ask for this scope, if it may not.
    fn scope_problem(&self, client: &ClientConfig, scope: &Scopes) -> Option<String>;
    /// The `sub` of an ID token this issuer signed (an `id_token_hint`), if it is one.
    fn hinted_subject(&self, id_token_hint: &str) -> Option<String>;
    /// The `iss` its authorization responses carry (RFC 9207); empty when it sends none.
    fn response_iss(&self) -> String;
}

/// Parameters this endpoint understands; none may be repeated (RFC 6749 §3.1).
const KNOWN: &[&str] = &[
    "access_type",
    "response_type",
    "client_id",
    "redirect_uri",
    "scope",
    "state",
    "nonce",
    "prompt",
    "max_age",
    "login_hint",
    "id_token_hint",
    "code_challenge",
    "code_challenge_method",
    "response_mode",
    "request",
    "request_uri",
    "display",
    "ui_locales",
    "claims_locales",
    "acr_values",
    "claims",
    "dpop_jkt",
    "audience",
];

/// A validated authorization request.
#[derive(Clone, Debug)]
pub struct AuthorizationRequest {
    pub client_id: String,
    /// Slack's app installation (`/oauth/v2/authorize`): the bot scopes, beside the user's.
    pub bot_scope: Option<Scopes>,
    pub redirect_uri: String,
    pub redirect_uri_in_request: bool,
    pub scope: Scopes,
    pub state: Option<String>,
    pub nonce: Option<String>,
    pub prompt: Prompt,
    pub max_age: Option<u64>,
    pub login_hint: Option<String>,
    /// The `sub` of a valid `id_token_hint`.
    pub hinted_sub: Option<String>,
    pub challenge: Option<(String, CodeChallengeMethod)>,
    /// Whether the request came as a POST: redirects are then 303 (RFC 9700 §4.12).
    pub via_post: bool,
    /// Google's `access_type=offline`.
    pub offline: bool,
    /// The `iss` its responses carry (RFC 9207); empty when the issuer sends none.
    pub iss: String,
    /// What the `claims` parameter asks for (OpenID Connect Core §5.5).
    pub claims: super::claims_request::ClaimsRequest,
    /// The thumbprint of the key the code is bound to (RFC 9449 §10): the code is redeemed only
    /// with a DPoP proof by that key.
    pub dpop_jkt: Option<String>,
    /// Auth0's `audience`: the API the access token is for (read with its preset's
    /// `opaque_without_audience`).
    pub audience: Option<String>,
    /// `response_mode=form_post`: the response is posted to the redirect URI by a page.
    pub form_post: bool,
}

/// The `prompt` values (OIDC Core §3.1.2.1).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Prompt {
    pub none: bool,
    pub login: bool,
    pub consent: bool,
    pub select_account: bool,
}

impl AuthorizationRequest {
    pub fn parse(issuer: &impl IssuerView, params: &Params, via_post: bool) -> Result<Self, Error> {
        let page = |title, detail: String| Error::page(StatusCode::BAD_REQUEST, title, detail);

        // 1. What decides whether redirecting is safe. Failures are pages (RFC 6749 §4.1.2.1).
        if let Some(name) = params.first_repeated(&["client_id", "redirect_uri"]) {
            return Err(page(
                "Invalid request",
                format!("The parameter {name} is repeated."),
            ));
        }
        let Some(client_id) = params.get("client_id").ok().flatten() else {
            return Err(page(
                "Invalid request",
                "The request has no client_id.".into(),
            ));
        };
        let Some(client) = issuer.client(client_id) else {
            return Err(page(
                "Unknown client",
                format!("No client is registered as {client_id:?} at this provider."),
            ));
        };
        // Slack also takes scopes separated by commas (its SDKs send them so).
        let commas = issuer.quirks().comma_separated_scope_request;
        let scope_text = |text: &str| -> String {
            if commas {
                text.replace(',', " ")
            } else {
                text.to_owned()
            }
        };
        let openid = params
            .get("scope")
            .ok()
            .flatten()
            .is_some_and(|s| scope_text(s).split(' ').any(|t| t == "openid"));
        let (redirect_uri, redirect_uri_in_request) = match params
            .get("redirect_uri")
            .ok()
            .flatten()
        {
            Some(uri)
                if client.redirect_uris.iter().any(|r| {
                    if issuer.quirks().redirect_uri_subdirectories {
                        matches_subdirectory(r, uri)
                    } else {
                        matches(r, uri)
                    }
                }) =>
            {
                (uri.to_owned(), true)
            }
            Some(uri) => {
                return Err(page(
                    "Invalid redirect URI",
                    format!(
                        "{uri:?} is not a redirect URI registered for client {client_id:?}. \
                         Registered URIs must match exactly (RFC 6749 §3.1.2.4, RFC 9700 §2.1)."
                    ),
                ));
            }
            None => match client.redirect_uris.as_slice() {
                [only] if !openid => (only.clone(), false),
                // GitHub: without redirect_uri, the app's (first) callback URL.
                [first, ..] if issuer.preset() == Preset::Github => (first.clone(), false),
                [_] => {
                    return Err(page(
                        "Invalid request",
                        "redirect_uri is required in an OpenID Connect request (OIDC Core §3.1.2.1)."
                            .into(),
                    ));
                }
                _ => {
                    return Err(page(
                        "Invalid request",
                        format!(
                            "redirect_uri is required: client {client_id:?} has several \
                             registered (RFC 6749 §3.1.2.3)."
                        ),
                    ));
                }
            },
        };

        // OIDC Core §3.1.2.6 / Multiple Response Types §5: an unknown response_mode cannot be
        // honoured, so there is no safe way to respond through the redirect. `form_post` (OAuth
        // 2.0 Form Post Response Mode) where the provider has it: fauxauth's own, Entra and Apple.
        let form_post_served = matches!(
            issuer.preset(),
            Preset::Generic | Preset::Microsoft | Preset::Apple
        );
        let form_post = match params.get("response_mode") {
            Ok(Some("form_post")) if form_post_served => true,
            Ok(Some(mode)) if mode != "query" => {
                let served = if form_post_served {
                    "query and form_post"
                } else {
                    "query"
                };
                return Err(page(
                    "Unsupported response mode",
                    format!(
                        "response_mode {mode:?} is not supported; this provider uses {served}."
                    ),
                ));
            }
            _ => false,
        };
        // Apple: the person's name and address are only ever posted.
        if issuer.quirks().form_post_for_name_email
            && !form_post
            && params.get("scope").ok().flatten().is_some_and(|s| {
                scope_text(s)
                    .split(' ')
                    .any(|t| t == "name" || t == "email")
            })
        {
            return Err(page(
                "invalid_request",
                "response_mode must be form_post when name or email scope is requested.".into(),
            ));
        }

        // 2. From here on, errors go back to the client.
        let state = params.get("state").ok().flatten().map(str::to_owned);
        let iss = issuer.response_iss();
        let fail = |code, description: &str| {
            Error::Redirect(Box::new(ErrorRedirect {
                redirect_uri: redirect_uri.clone(),
                error: AuthorizeErrorCode::as_str(code).into(),
                description: description.to_owned(),
                state: state.clone(),
                iss: iss.clone(),
                see_other: via_post,
                form_post,
            }))
        };
        use AuthorizeErrorCode::*;

        if let Some(name) = params.first_repeated(KNOWN) {
            return Err(fail(
                InvalidRequest,
                &format!("parameter {name} must not be repeated (RFC 6749 §3.1)"),
            ));
        }
        let get = |name| params.get(name).ok().flatten();
        if get("request").is_some() {
            return Err(fail(
                RequestNotSupported,
                "request objects are not supported",
            ));
        }
        if get("request_uri").is_some() {
            return Err(fail(RequestUriNotSupported, "request_uri is not supported"));
        }
        match get("response_type") {
            None if issuer.quirks().response_type_optional => {}
            None => return Err(fail(InvalidRequest, "response_type is required")),
            Some("code") => {}
            Some(other) => {
                return Err(fail(
                    UnsupportedResponseType,
                    &format!("response_type {other:?} is not supported; use code"),
                ));
            }
        }
        if !client.allows_grant(GrantType::AuthorizationCode) {
            return Err(fail(
                UnauthorizedClient,
                "this client is not allowed the authorization_code grant",
            ));
        }

        let scope = Scopes::parse(&scope_text(get("scope").unwrap_or_default()))
            .map_err(|e| fail(InvalidScope, &e.to_string()))?;
        if let Some(problem) = issuer.scope_problem(&client, &scope) {
            return Err(fail(InvalidScope, &problem));
        }

        let challenge =
            pkce_challenge(&client, get("code_challenge"), get("code_challenge_method"))
                .map_err(|m| fail(InvalidRequest, m))?;

        let prompt = Prompt::parse(get("prompt")).map_err(|m| fail(InvalidRequest, &m))?;
        let max_age = get("max_age")
            .map(|v| v.parse::<u64>())
            .transpose()
            .map_err(|_| fail(InvalidRequest, "max_age must be a non-negative integer"))?;

        let hinted_sub = match get("id_token_hint") {
            None => None,
            Some(hint) => Some(issuer.hinted_subject(hint).ok_or_else(|| {
                fail(
                    InvalidRequest,
                    "id_token_hint was not issued by this provider",
                )
            })?),
        };

        let claims = match get("claims") {
            None => Default::default(),
            Some(_) if !scope.contains("openid") => {
                return Err(fail(
                    InvalidRequest,
                    "claims is an OpenID Connect parameter: the request's scope has no openid",
                ));
            }
            Some(text) => super::claims_request::ClaimsRequest::parse(text)
                .map_err(|m| fail(InvalidRequest, &m))?,
        };

        // RFC 9449 §10: a JWK SHA-256 thumbprint, base64url (43 characters).
        let dpop_jkt = match get("dpop_jkt") {
            None => None,
            Some(jkt)
                if jkt.len() == 43
                    && jkt
                        .bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_') =>
            {
                Some(jkt.to_owned())
            }
            Some(_) => {
                return Err(fail(
                    InvalidRequest,
                    "dpop_jkt is not a base64url SHA-256 JWK thumbprint (RFC 9449 §10)",
                ));
            }
        };

        // Google: `access_type=offline` asks for a refresh token.
        let offline = match get("access_type") {
            Some("offline") => true,
            None | Some("online") => false,
            Some(other) if issuer.preset() == Preset::Google => {
                return Err(fail(
                    InvalidRequest,
                    &format!("Invalid access_type: {other}"),
                ));
            }
            Some(_) => false,
        };

        Ok(Self {
            client_id: client.client_id.clone(),
            bot_scope: None,
            offline,
            redirect_uri: redirect_uri.clone(),
            redirect_uri_in_request,
            scope,
            state: state.clone(),
            nonce: get("nonce").map(str::to_owned),
            prompt,
            max_age,
            // GitHub names the suggested account `login`.
            login_hint: get("login_hint")
                .or_else(|| {
                    (issuer.preset() == Preset::Github)
                        .then(|| get("login"))
                        .flatten()
                })
                .map(str::to_owned),
            hinted_sub,
            challenge,
            via_post,
            iss,
            claims,
            dpop_jkt,
            audience: get("audience").map(str::to_owned),
            form_post,
        })
    }

    /// An error response to this request's redirect URI.
    pub fn error(&self, code: AuthorizeErrorCode, description: &str) -> Error {
        self.error_code(code.as_str().into(), description)
    }

    /// An error response with any code (a rule's), to this request's redirect URI.
    pub fn error_code(&self, error: std::borrow::Cow<'static, str>, description: &str) -> Error {
        Error::Redirect(Box::new(ErrorRedirect {
            redirect_uri: self.redirect_uri.clone(),
            error,
            description: description.to_owned(),
            state: self.state.clone(),
            iss: self.iss.clone(),
            see_other: self.via_post,
            form_post: self.form_post,
        }))
    }
}

impl Prompt {
    pub fn parse(value: Option<&str>) -> Result<Self, String> {
        let mut prompt = Self::default();
        let Some(value) = value else {
            return Ok(prompt);
        };
        for token in value.split(' ').filter(|t| !t.is_empty()) {
            match token {
                "none" => prompt.none = true,
                "login" => prompt.login = true,
                "consent" => prompt.consent = true,
                "select_account" => prompt.select_account = true,
                other => return Err(format!("prompt value {other:?} is not supported")),
            }
        }
        if prompt.none && (prompt.login || prompt.consent || prompt.select_account) {
            return Err(
                "prompt=none cannot be combined with other values (OIDC Core §3.1.2.1)".into(),
            );
        }
        Ok(prompt)
    }
}

/// RFC 7636 §4.3–4.4.1 and RFC 9700 §2.1.1.
fn pkce_challenge(
    client: &ClientConfig,
    challenge: Option<&str>,
    method: Option<&str>,
) -> Result<Option<(String, CodeChallengeMethod)>, &'static str> {
    let Some(challenge) = challenge else {
        if method.is_some() {
            return Err("code_challenge_method was sent without code_challenge");
        }
        if client.pkce_required() {
            return Err("code_challenge is required for this client (RFC 9700 §2.1.1)");
        }
        return Ok(None);
    };
    let parsed = CodeChallengeMethod::parse(method)
        .ok_or("transform algorithm not supported; use S256 (RFC 7636 §4.4.1)")?;
    if parsed == CodeChallengeMethod::Plain && !client.allow_plain_pkce {
        return Err(if method.is_none() {
            "code_challenge_method is missing, which means plain (RFC 7636 §4.3); \
             this client must use S256"
        } else {
            "code_challenge_method plain is not allowed; use S256 (RFC 7636 §7.2)"
        });
    }
    if !pkce::is_well_formed(challenge) {
        return Err("code_challenge must be 43 to 128 unreserved characters (RFC 7636 §4.2)");
    }
    Ok(Some((challenge.to_owned(), parsed)))
}

#[cfg(test)]
pub(crate) mod tests_support {
    use super::*;

    /// A plain authorization request, for tests of what holds one.
    pub fn request() -> AuthorizationRequest {
        AuthorizationRequest {
            client_id: "web".into(),
            bot_scope: None,
            redirect_uri: "https://rp/cb".into(),
            redirect_uri_in_request: true,
            scope: Scopes::parse("openid").unwrap(),
            state: Some("s".into()),
            nonce: None,
            prompt: Prompt::default(),
            max_age: None,
            login_hint: None,
            hinted_sub: None,
            challenge: None,
            via_post: false,
            offline: false,
            iss: String::new(),
            claims: Default::default(),
            dpop_jkt: None,
            audience: None,
            form_post: false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prompt_none_stands_alone() {
        assert!(Prompt::parse(Some("none")).unwrap().none);
        assert!(Prompt::parse(Some("none login")).is_err());
        assert!(Prompt::parse(Some("bogus")).is_err());
        let p = Prompt::parse(Some("login consent")).unwrap();
        assert!(p.login && p.consent && !p.none);
    }

    #[test]
    fn pkce_policy() {
        let public = ClientConfig::public("spa", "http://127.0.0.1/cb");
        let confidential = ClientConfig::confidential("web", "s", "http://127.0.0.1/cb");
        let good = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
        assert!(
            pkce_challenge(&public, None, None)
                .unwrap_err()
                .contains("required")
        );
        assert_eq!(pkce_challenge(&confidential, None, None), Ok(None));
        assert!(
            pkce_challenge(&public, Some(good), None)
                .unwrap_err()
                .contains("means plain")
        );
        assert!(
            pkce_challenge(&public, Some(good), Some("plain"))
                .unwrap_err()
                .contains("not allowed")
        );
        assert!(
            pkce_challenge(&public, Some(good), Some("S512"))
                .unwrap_err()
                .contains("transform")
        );
        assert!(pkce_challenge(&public, Some("short"), Some("S256")).is_err());
        assert!(pkce_challenge(&public, None, Some("S256")).is_err());
        assert_eq!(
            pkce_challenge(&public, Some(good), Some("S256")),
            Ok(Some((good.to_owned(), CodeChallengeMethod::S256)))
        );
        let mut lenient = public.clone();
        lenient.allow_plain_pkce = true;
        assert!(pkce_challenge(&lenient, Some(good), None).is_ok());
    }
}
