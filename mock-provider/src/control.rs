//! The provider's side of the scripting model: how it describes requests to rules and the
//! journal, and its admin routes (issuers' users, clients and keys; reset).

use fauxauth_core::Scripted as _;
use std::sync::Arc;
use std::time::Duration;

use axum::Json;
use axum::extract::{FromRef, State};
use axum::http::{Method, StatusCode, header};
use fauxauth_core::Control;
use fauxauth_core::admin::{AdminError, Api, Body, Path, schema};
use fauxauth_core::control::Describe;
use fauxauth_core::rules::{ErrorStyle, Facts};
use serde::{Deserialize, Serialize};

use crate::Provider;
use crate::config::{ClientConfig, UserConfig};
use crate::issuer::{Issuer, KeyInfo};
use crate::paths;
use crate::protocol::client_auth::{Presented, presented};
use crate::protocol::params::Params;

impl FromRef<Provider> for Control {
    fn from_ref(provider: &Provider) -> Control {
        provider.control().clone()
    }
}

/// How the provider describes a request: which issuer and endpoint, and who is asking for what.
pub fn describe(provider: &Provider) -> Describe {
    let provider = provider.clone();
    Arc::new(move |parts, body| facts(&provider, parts, body))
}

fn facts(provider: &Provider, parts: &axum::http::request::Parts, body: &[u8]) -> Facts {
    let path = parts.uri.path();
    let (issuer, rest) = match issuer_of(provider, path) {
        Some((issuer, rest)) => (Some(issuer), rest),
        None => (None, path),
    };
    let endpoint = match issuer.as_ref().and_then(|i| i.layout.endpoint_at(rest)) {
        Some(endpoint) => endpoint.name(),
        None if path.starts_with(paths::AUTHORIZATION_SERVER_METADATA) => "metadata",
        None => path,
    };
    let query = Params::parse(parts.uri.query().unwrap_or_default().as_bytes());
    let form = if fauxauth_core::wire::is_form(&parts.headers) {
        Params::parse(body)
    } else {
        Params::default()
    };
    let get = |name: &str| {
        form.get(name)
            .ok()
            .flatten()
            .or_else(|| query.get(name).ok().flatten())
    };
    let authorization = parts
        .headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok());
    // A bearer token names its client and user: a JWT in its claims, an opaque one (a preset's
    // `gho_`, `ya29.`) in the store.
    let bearer = match (
        &issuer,
        bearer_of(authorization).or_else(|| get("access_token")),
    ) {
        (Some(issuer), Some(token)) if endpoint == "userinfo" => bearer_subject(issuer, token),
        _ => None,
    };
    let client_id = match presented(authorization, get("client_id"), None) {
        Ok(
            Presented::Basic { client_id, .. }
            | Presented::IdOnly { client_id }
            | Presented::Post { client_id, .. },
        ) => Some(client_id),
        _ => get("client_id")
            .map(str::to_owned)
            .or_else(|| bearer.as_ref().map(|(client, _)| client.clone())),
    };
    let user = match bearer {
        Some((_, user)) => user,
        None => issuer
            .as_ref()
            .and_then(|issuer| user_of(issuer, endpoint, &get)),
    };
    Facts {
        endpoint: endpoint.to_owned(),
        method: parts.method.to_string(),
        path: path.to_owned(),
        issuer: issuer.as_ref().map(|i| i.name.clone()),
        client_id,
        grant_type: get("grant_type").map(str::to_owned),
        user,
        scope: get("scope")
            .map(|s| {
                s.split(' ')
                    .filter(|t| !t.is_empty())
                    .map(str::to_owned)
                    .collect()
            })
            .unwrap_or_default(),
        error_style: match endpoint {
            "authorize" => ErrorStyle::Redirect,
            "userinfo" => ErrorStyle::Bearer,
            _ => ErrorStyle::Json,
        },
        // The provider's challenges name the issuer.
        realm: issuer.as_ref().map(|i| i.url.clone()).unwrap_or_default(),
    }
}

/// The issuer serving `path` (the longest matching prefix) and the path within it.
fn issuer_of<'a>(provider: &Provider, path: &'a str) -> Option<(Arc<Issuer>, &'a str)> {
    provider
        .issuers()
        .iter()
        .filter(|i| match path.strip_prefix(i.path.as_str()) {
            Some(rest) => rest.is_empty() || rest.starts_with('/'),
            None => false,
        })
        .max_by_key(|i| i.path.len())
        .or_else(|| {
            // RFC 8414 metadata of an issuer with a path lives on the host's root.
            let name = path.strip_prefix(paths::AUTHORIZATION_SERVER_METADATA)?;
            provider
                .issuers()
                .iter()
                .find(|i| !i.path.is_empty() && i.path == name)
        })
        .map(|i| {
            (
                i.clone(),
                path.strip_prefix(i.path.as_str()).unwrap_or(path),
            )
        })
}

/// The token of a `Bearer` authorization.
fn bearer_of(authorization: Option<&str>) -> Option<&str> {
    let (scheme, token) = authorization?.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
}

/// The client and the user (by username) a bearer token was issued to, as far as can be told
/// without verifying it: a JWT's claims, or an opaque token's record in the store.
fn bearer_subject(issuer: &Issuer, token: &str) -> Option<(String, Option<String>)> {
    let (client, sub) = match fauxauth_core::wire::unverified_claims(token) {
        Some(claims) => (
            claims["client_id"].as_str()?.to_owned(),
            // Okta's access tokens name the user by `uid`, their login by `sub`.
            claims["uid"]
                .as_str()
                .or_else(|| claims["sub"].as_str())
                .map(str::to_owned),
        ),
        None => {
            let store = issuer.store();
            let claims = store.access_token(token)?.opaque.as_ref()?;
            (claims.client_id.clone(), Some(claims.user_sub().to_owned()))
        }
    };
    let user = sub
        .and_then(|sub| issuer.user_by_sub(&sub))
        .map(|u| u.username.clone());
    Some((client, user))
}

/// The user a request concerns, as far as can be told without changing anything: the one
/// logging in, or the owner of the code or refresh token. (A bearer token's, see
/// [`bearer_subject`].)
fn user_of<'a>(
    issuer: &Issuer,
    endpoint: &str,
    get: &impl Fn(&str) -> Option<&'a str>,
) -> Option<String> {
    match endpoint {
        "authorize" => get("login_hint").map(str::to_owned),
        "login" => get("username").map(str::to_owned),
        "token" => {
            let now = issuer.now();
            let store = issuer.store();
            get("code")
                .and_then(|code| store.code_username(code))
                .or_else(|| get("refresh_token").and_then(|t| store.refresh_username(t, now)))
        }
        _ => None,
    }
}

// ---------------------------------------------------------------------------------------------
// Admin routes of the provider.

/// An issuer as the admin API lists it.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct IssuerInfo {
    pub name: String,
    pub issuer: String,
}

/// The provider's HTTPS, as the admin API shows it.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct TlsInfo {
    /// Whether it serves HTTPS at all.
    pub https: bool,
    /// The names its certificate covers.
    pub names: Vec<String>,
    /// The certificate of the authority its certificate comes from (PEM): what a client trusts.
    /// Absent with a certificate of the user's own.
    pub authority: Option<String>,
    /// Which certificate it serves now.
    pub certificate: Certificate,
    /// TLS handshakes that failed (a client that does not trust the certificate, most often).
    pub failed_handshakes: u64,
}

/// A certificate the provider can serve.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Certificate {
    /// From its authority.
    Trusted,
    /// From an authority no client was told to trust.
    Untrusted,
}

/// Which certificate to serve from now on.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CertificateChange {
    pub certificate: Certificate,
}

/// Rotate an issuer's signing key; the old one stays published for `grace` (default 1h).
#[derive(Debug, Default, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Rotation {
    #[serde(default)]
    #[schemars(schema_with = "fauxauth_core::duration::schema")]
    pub grace: Option<String>,
}

/// The new signing key's id.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct Kid {
    pub kid: String,
}

/// The admin router of `provider`, guarded, with its OpenAPI document.
pub fn admin(provider: &Provider) -> axum::Router {
    admin_api().finish(
        provider.clone(),
        "fauxauth provider admin API",
        provider.admin_token().map(str::to_owned),
    )
}

/// Every documented admin operation: the OpenAPI document is made from the same list.
pub fn admin_operations() -> Vec<fauxauth_core::admin::Operation> {
    admin_api().operations().to_vec()
}

fn admin_api() -> Api<Provider> {
    fauxauth_core::admin::common::<Provider>()
        .route(Method::POST, "/reset", "Back to the loaded configuration: clients, users, keys, rules, clock; journal and every issued token forgotten", None, None, reset)
        .succeeds_with(StatusCode::NO_CONTENT)
        .answers(StatusCode::INTERNAL_SERVER_ERROR, "a key file of the configuration can no longer be read")
        .route(Method::GET, "/issuers", "The issuers served", None, Some(schema::<Vec<IssuerInfo>>), issuers)
        .route(Method::GET, "/tls", "HTTPS: whether it is served, the names the certificate covers, the authority's certificate to trust (PEM), which certificate is served, failed handshakes", None, Some(schema::<TlsInfo>), tls_info)
        .route(Method::PUT, "/tls/certificate", "Serve a certificate from an authority no client was told to trust (untrusted), or the usual one (trusted); answers once the connections made before have closed", Some(schema::<CertificateChange>), None, set_certificate)
        .succeeds_with(StatusCode::NO_CONTENT)
        .route(Method::GET, "/issuers/{issuer}/users", "An issuer's users", None, Some(schema::<Vec<UserConfig>>), list_users)
        .route(Method::POST, "/issuers/{issuer}/users", "Add a user, or change the one with that username", Some(schema::<UserConfig>), None, put_user)
        .succeeds_with(StatusCode::NO_CONTENT)
        .route(Method::DELETE, "/issuers/{issuer}/users/{username}", "Remove a user", None, None, remove_user)
        .succeeds_with(StatusCode::NO_CONTENT)
        .route(Method::GET, "/issuers/{issuer}/clients", "An issuer's clients", None, Some(schema::<Vec<ClientConfig>>), list_clients)
        .route(Method::POST, "/issuers/{issuer}/clients", "Add a client, or change the one with that client_id", Some(schema::<ClientConfig>), None, put_client)
        .succeeds_with(StatusCode::NO_CONTENT)
        .answers(StatusCode::UNPROCESSABLE_ENTITY, "the client breaks a rule a schema cannot state: a redirect URI that is not absolute, has a fragment, or is plain http to a host other than loopback; client_credentials or an authentication method for a public client")
        .route(Method::DELETE, "/issuers/{issuer}/clients/{client_id}", "Remove a client", None, None, remove_client)
        .succeeds_with(StatusCode::NO_CONTENT)
        .route(Method::DELETE, "/issuers/{issuer}/sessions", "End every login session of the issuer, as the person signing out: each client of each session with a backchannel_logout_uri is sent a logout token", None, Some(schema::<Ended>), end_sessions)
        .route(Method::DELETE, "/issuers/{issuer}/sessions/{user}", "End a user's login sessions, with back-channel logout as above", None, Some(schema::<Ended>), end_user_sessions)
        .route(Method::GET, "/issuers/{issuer}/devices", "Device authorizations waiting for the person (RFC 8628): user code, client, scope, polls, interval", None, Some(schema::<Vec<crate::PendingDevice>>), list_devices)
        .route(Method::POST, "/issuers/{issuer}/devices/{user_code}", "Answer a waiting device authorization as the person: {\"approve\": {\"user\": \"alice\"}} or \"deny\"", Some(schema::<crate::DeviceDecision>), None, decide_device)
        .succeeds_with(StatusCode::NO_CONTENT)
        .route(Method::GET, "/issuers/{issuer}/keys", "An issuer's keys: active, published, retiring", None, Some(schema::<Vec<KeyInfo>>), list_keys)
        .route(Method::POST, "/issuers/{issuer}/keys/rotate", "Make a new key the signer; the old one stays published for the grace period (1h unless `grace` says)", Some(schema::<Rotation>), Some(schema::<Kid>), rotate_keys)
        .body_optional()
        .route(Method::POST, "/issuers/{issuer}/keys/{kid}/publish", "Put a key back in the JWKS", None, None, publish_key)
        .succeeds_with(StatusCode::NO_CONTENT)
        .route(Method::POST, "/issuers/{issuer}/keys/{kid}/unpublish", "Take a key out of the JWKS (tokens it signed stop verifying)", None, None, unpublish_key)
        .succeeds_with(StatusCode::NO_CONTENT)
}

/// A refused change, in the admin API's terms: what does not exist is 404, what the
/// configuration would refuse 422.
impl From<crate::ScriptError> for AdminError {
    fn from(e: crate::ScriptError) -> Self {
        match e {
            crate::ScriptError::NoSuchIssuer(_) | crate::ScriptError::NoSuchKey(_) => {
                AdminError::not_found(e.to_string())
            }
            crate::ScriptError::Invalid { .. } => AdminError::unprocessable(e.to_string()),
        }
    }
}

fn issuer(provider: &Provider, name: &str) -> Result<Arc<Issuer>, AdminError> {
    provider
        .issuers()
        .iter()
        .find(|i| i.name == name)
        .cloned()
        .ok_or_else(|| AdminError::not_found(format!("no issuer is named {name:?}")))
}

async fn reset(State(provider): State<Provider>) -> Result<StatusCode, AdminError> {
    provider.reset().map_err(|e| AdminError {
        status: StatusCode::INTERNAL_SERVER_ERROR,
        error: "server_error",
        description: e.to_string(),
    })?;
    Ok(StatusCode::NO_CONTENT)
}

async fn tls_info(State(provider): State<Provider>) -> Json<TlsInfo> {
    Json(match provider.tls() {
        None => TlsInfo {
            https: false,
            names: Vec::new(),
            authority: None,
            certificate: Certificate::Trusted,
            failed_handshakes: 0,
        },
        Some(tls) => TlsInfo {
            https: true,
            names: tls.names().to_vec(),
            authority: tls.authority().map(|a| a.certificate_pem().to_owned()),
            certificate: if tls.serves_untrusted() {
                Certificate::Untrusted
            } else {
                Certificate::Trusted
            },
            failed_handshakes: tls.failed_handshakes(),
        },
    })
}

async fn set_certificate(
    State(provider): State<Provider>,
    secure: Option<axum::Extension<fauxauth_core::Secure>>,
    Body(change): Body<CertificateChange>,
) -> Result<StatusCode, AdminError> {
    let tls = provider.tls().ok_or_else(|| {
        AdminError::unprocessable("the provider does not serve HTTPS (tls, or --tls)")
    })?;
    // Asked over HTTPS, this very connection is one made before: it closes once answered.
    let this_one = usize::from(secure.is_some());
    tls.serve_untrusted_leaving(change.certificate == Certificate::Untrusted, this_one)
        .await;
    Ok(StatusCode::NO_CONTENT)
}

async fn issuers(State(provider): State<Provider>) -> Json<Vec<IssuerInfo>> {
    Json(
        provider
            .issuers()
            .iter()
            .map(|i| IssuerInfo {
                name: i.name.clone(),
                issuer: i.url.clone(),
            })
            .collect(),
    )
}

async fn list_users(
    State(provider): State<Provider>,
    Path(name): Path<String>,
) -> Result<Json<Vec<UserConfig>>, AdminError> {
    Ok(Json(
        issuer(&provider, &name)?
            .users()
            .iter()
            .map(|u| (**u).clone())
            .collect(),
    ))
}

async fn put_user(
    State(provider): State<Provider>,
    Path(name): Path<String>,
    Body(user): Body<UserConfig>,
) -> Result<StatusCode, AdminError> {
    provider.put_user(&issuer(&provider, &name)?.name, user)?;
    Ok(StatusCode::NO_CONTENT)
}

async fn remove_user(
    State(provider): State<Provider>,
    Path((name, username)): Path<(String, String)>,
) -> Result<StatusCode, AdminError> {
    if issuer(&provider, &name)?.remove_user(&username) {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(AdminError::not_found(format!(
            "no user is named {username:?}"
        )))
    }
}

async fn list_clients(
    State(provider): State<Provider>,
    Path(name): Path<String>,
) -> Result<Json<Vec<ClientConfig>>, AdminError> {
    Ok(Json(
        issuer(&provider, &name)?
            .clients()
            .iter()
            .map(|c| (**c).clone())
            .collect(),
    ))
}

async fn put_client(
    State(provider): State<Provider>,
    Path(name): Path<String>,
    Body(client): Body<ClientConfig>,
) -> Result<StatusCode, AdminError> {
    provider.put_client(&issuer(&provider, &name)?.name, client)?;
    Ok(StatusCode::NO_CONTENT)
}

/// How many login sessions ended.
#[derive(Debug, serde::Serialize, schemars::JsonSchema)]
struct Ended {
    ended: usize,
}

async fn end_sessions(
    State(provider): State<Provider>,
    Path(name): Path<String>,
) -> Result<Json<Ended>, AdminError> {
    let issuer = issuer(&provider, &name)?.name.clone();
    let ended = provider.end_sessions(&issuer, None).await?;
    Ok(Json(Ended { ended }))
}

async fn end_user_sessions(
    State(provider): State<Provider>,
    Path((name, user)): Path<(String, String)>,
) -> Result<Json<Ended>, AdminError> {
    let issuer = issuer(&provider, &name)?.name.clone();
    let ended = provider.end_sessions(&issuer, Some(&user)).await?;
    Ok(Json(Ended { ended }))
}

async fn list_devices(
    State(provider): State<Provider>,
    Path(name): Path<String>,
) -> Result<Json<Vec<crate::PendingDevice>>, AdminError> {
    Ok(Json(
        provider.pending_devices(&issuer(&provider, &name)?.name)?,
    ))
}

async fn decide_device(
    State(provider): State<Provider>,
    Path((name, user_code)): Path<(String, String)>,
    Body(decision): Body<crate::DeviceDecision>,
) -> Result<StatusCode, AdminError> {
    if provider.decide_device(&issuer(&provider, &name)?.name, &user_code, &decision)? {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(AdminError::not_found(format!(
            "no device authorization waits with user code {user_code:?}"
        )))
    }
}

async fn remove_client(
    State(provider): State<Provider>,
    Path((name, client_id)): Path<(String, String)>,
) -> Result<StatusCode, AdminError> {
    if issuer(&provider, &name)?.remove_client(&client_id) {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(AdminError::not_found(format!(
            "no client is registered as {client_id:?}"
        )))
    }
}

async fn list_keys(
    State(provider): State<Provider>,
    Path(name): Path<String>,
) -> Result<Json<Vec<KeyInfo>>, AdminError> {
    Ok(Json(issuer(&provider, &name)?.key_infos()))
}

async fn rotate_keys(
    State(provider): State<Provider>,
    Path(name): Path<String>,
    body: axum::body::Bytes,
) -> Result<Json<Kid>, AdminError> {
    let rotation: Rotation = if body.iter().all(u8::is_ascii_whitespace) {
        Rotation::default()
    } else {
        fauxauth_core::admin::parse_body(&body)?
    };
    let grace = match rotation.grace {
        Some(text) => fauxauth_core::duration::parse(&text).map_err(AdminError::bad_request)?,
        None => DEFAULT_GRACE,
    };
    let issuer = issuer(&provider, &name)?;
    // Deriving a new RSA key takes a moment: off the async workers.
    let kid = tokio::task::spawn_blocking(move || issuer.rotate_keys(grace))
        .await
        .map_err(|e| AdminError::bad_request(e.to_string()))?;
    Ok(Json(Kid { kid }))
}

/// How long a rotated-out key stays published unless told otherwise.
pub const DEFAULT_GRACE: Duration = Duration::from_secs(3600);

async fn publish_key(
    State(provider): State<Provider>,
    Path((name, kid)): Path<(String, String)>,
) -> Result<StatusCode, AdminError> {
    set_published(&provider, &name, &kid, true)
}

async fn unpublish_key(
    State(provider): State<Provider>,
    Path((name, kid)): Path<(String, String)>,
) -> Result<StatusCode, AdminError> {
    set_published(&provider, &name, &kid, false)
}

fn set_published(
    provider: &Provider,
    name: &str,
    kid: &str,
    published: bool,
) -> Result<StatusCode, AdminError> {
    if issuer(provider, name)?.set_published(kid, published) {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(AdminError::not_found(format!("no key has kid {kid:?}")))
    }
}
