//! Metadata: OpenID Connect Discovery 1.0 §4 and RFC 8414 §3, and the JWKS (RFC 7517 §5).
//! Only what really works is advertised.

use std::sync::Arc;

use axum::Extension;
use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde_json::{Value, json};

use crate::config::{AuthMethod, GrantType};
use crate::issuer::Issuer;
use crate::keys::SigningAlg;
use crate::paths;
use crate::preset::{Endpoint, Preset, Tenant, microsoft};
use fauxauth_core::jose::Alg;

/// RFC 8414 §3.1 places the metadata of an issuer with a path at
/// `/.well-known/oauth-authorization-server{path}`, on the host's root.
pub fn metadata_router(issuer: Arc<Issuer>) -> Router {
    let path = format!("{}{}", paths::AUTHORIZATION_SERVER_METADATA, issuer.path);
    Router::new()
        .route(&path, get(openid_configuration))
        .with_state(issuer)
}

/// The document is built once and served from its bytes until the clients change (see
/// `Issuer::metadata_document`).
pub(super) async fn openid_configuration(
    State(issuer): State<Arc<Issuer>>,
    tenant: Option<Extension<Tenant>>,
) -> Response {
    match tenant {
        // One document per tenant segment: built when asked (Microsoft's are not benchmarked).
        Some(Extension(tenant)) => json_document(to_bytes(&metadata(&issuer, Some(&tenant)))),
        None => json_document(issuer.metadata_document(|issuer| to_bytes(&metadata(issuer, None)))),
    }
}

/// Served from its bytes while the same keys are published (see `Issuer::jwks_document`).
pub(super) async fn jwks(State(issuer): State<Arc<Issuer>>) -> Response {
    json_document(issuer.jwks_document(|keys| {
        let keys: Vec<_> = keys.iter().map(|k| k.jwk()).collect();
        to_bytes(&json!({ "keys": keys }))
    }))
}

fn to_bytes(value: &impl serde::Serialize) -> Bytes {
    Bytes::from(serde_json::to_vec(value).expect("metadata and JWKs serialize to JSON"))
}

/// Keys and metadata can change while running (rotation, new clients), so caches must ask again.
fn json_document(body: Bytes) -> Response {
    (
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/json"),
            ),
            (header::CACHE_CONTROL, HeaderValue::from_static("no-cache")),
        ],
        body,
    )
        .into_response()
}

pub fn metadata(issuer: &Issuer, tenant: Option<&Tenant>) -> Value {
    let url = |endpoint| issuer.endpoint_url(endpoint, tenant);
    let auth_methods: Vec<&str> = issuer.auth_methods().iter().map(|m| m.as_str()).collect();
    let confidential_methods: Vec<&str> = auth_methods
        .iter()
        .copied()
        .filter(|m| *m != "none")
        .collect();
    // OpenID Connect Discovery 1.0 §3: the algorithms of client assertions; HMAC with the secret
    // for client_secret_jwt, the asymmetric ones for private_key_jwt; never none.
    let takes = |m: AuthMethod| issuer.auth_methods().contains(&m);
    let assertion_algs: Vec<&str> = ["HS256", "HS384", "HS512"]
        .into_iter()
        .filter(|_| takes(AuthMethod::ClientSecretJwt))
        .chain(
            Alg::ALL
                .map(Alg::as_str)
                .into_iter()
                .filter(|_| takes(AuthMethod::PrivateKeyJwt)),
        )
        .collect();
    let mut pkce = vec!["S256"];
    if issuer.any_client_allows_plain_pkce() {
        pkce.push("plain");
    }
    // OpenID Connect Discovery 1.0 §3: RS256 MUST be included; an ES256 or EdDSA issuer signs
    // with its RS256 companion the ID tokens of clients that ask for RS256.
    let id_token_algs = issuer
        .settings
        .id_token_signing_algs()
        .into_iter()
        .map(SigningAlg::as_str)
        .collect::<Vec<_>>();
    let preset = issuer.settings.preset;
    let issuer_id = match tenant {
        Some(t) if t.is_multi_tenant() && issuer.quirks.tenant_issuer_template => {
            microsoft::issuer_template(&issuer.base)
        }
        Some(t) if t.0.as_ref() != issuer.tenant_id => format!("{}/{}/v2.0", issuer.base, t.0),
        _ => issuer.url.clone(),
    };
    let mut document = json!({
        "issuer": issuer_id,
        "authorization_endpoint": url(Endpoint::Authorize),
        "token_endpoint": url(Endpoint::Token),
        "userinfo_endpoint": url(Endpoint::Userinfo),
        "jwks_uri": url(Endpoint::Jwks),
        "scopes_supported": issuer.scopes_supported(),
        "response_types_supported": ["code"],
        "response_modes_supported": if matches!(
            preset,
            Preset::Generic | Preset::Microsoft | Preset::Apple
        ) {
            json!(["query", "form_post"])
        } else {
            json!(["query"])
        },
        // The opt-in grants only when some client may use them: the password grant (RFC 9700
        // §2.4: MUST NOT), the JWT bearer grant and token exchange.
        "grant_types_supported": GrantType::ALL
            .into_iter()
            .filter(|g| !g.opt_in() || issuer.some_client_allows(*g))
            .map(GrantType::as_str)
            .collect::<Vec<_>>(),
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": id_token_algs,
        "token_endpoint_auth_methods_supported": auth_methods,
        "code_challenge_methods_supported": pkce,
        "prompt_values_supported": ["none", "login", "consent", "select_account"],
        "claims_supported": [
            "iss", "sub", "aud", "exp", "iat", "auth_time", "nonce", "at_hash", "sid",
            "name", "given_name", "family_name", "middle_name", "nickname",
            "preferred_username", "profile", "picture", "website", "gender", "birthdate",
            "zoneinfo", "locale", "updated_at", "email", "email_verified", "address",
            "phone_number", "phone_number_verified"
        ],
        // The claims parameter (Core §5.5) is honoured; a preset advertises what the real
        // provider's document says (nothing of it).
        "claims_parameter_supported": preset == Preset::Generic,
        "request_parameter_supported": false,
        "request_uri_parameter_supported": false,
        "authorization_response_iss_parameter_supported": issuer.sends_iss(),
    });
    let object = document.as_object_mut().expect("an object");
    // An endpoint the layout does not serve (Discord's userinfo) is left out, not null.
    if object.get("userinfo_endpoint").is_some_and(Value::is_null) {
        object.remove("userinfo_endpoint");
    }
    // Back-Channel Logout 1.0 §2.1: logout tokens are sent, naming the session.
    if preset == Preset::Generic {
        object.insert("backchannel_logout_supported".into(), true.into());
        object.insert("backchannel_logout_session_supported".into(), true.into());
    }
    // RFC 9126 §5: where requests are pushed, and whether they must be.
    if let Some(par) = url(Endpoint::Par) {
        object.insert("pushed_authorization_request_endpoint".into(), par.into());
        object.insert(
            "require_pushed_authorization_requests".into(),
            issuer.settings.require_pushed_authorization_requests.into(),
        );
    }
    // RFC 9449 §5.1: DPoP, with the algorithms a proof may use. The presets' providers do not
    // offer it (their documents say nothing of it), and ignore a proof as they would.
    if preset == Preset::Generic {
        object.insert(
            "dpop_signing_alg_values_supported".into(),
            json!(
                fauxauth_core::dpop::ALGS
                    .iter()
                    .map(|a| a.as_str())
                    .collect::<Vec<_>>()
            ),
        );
    }
    if !assertion_algs.is_empty() {
        object.insert(
            "token_endpoint_auth_signing_alg_values_supported".into(),
            json!(assertion_algs),
        );
    }
    if let Some(revoke) = url(Endpoint::Revoke) {
        object.insert("revocation_endpoint".into(), revoke.into());
        object.insert(
            "revocation_endpoint_auth_methods_supported".into(),
            json!(auth_methods),
        );
        if !assertion_algs.is_empty() {
            object.insert(
                "revocation_endpoint_auth_signing_alg_values_supported".into(),
                json!(assertion_algs),
            );
        }
    }
    // A preset advertises what the real provider does; fauxauth's own introspection endpoint
    // (which the resource uses) only in the generic layout, and Keycloak's, which has one.
    if matches!(
        preset,
        Preset::Generic | Preset::Keycloak | Preset::Gitlab | Preset::Okta
    ) {
        object.insert(
            "introspection_endpoint".into(),
            json!(url(Endpoint::Introspect)),
        );
        object.insert(
            "introspection_endpoint_auth_methods_supported".into(),
            json!(confidential_methods),
        );
        if !assertion_algs.is_empty() {
            object.insert(
                "introspection_endpoint_auth_signing_alg_values_supported".into(),
                json!(assertion_algs),
            );
        }
    }
    // RFC 8628 §4: where devices ask, when some client may.
    if issuer.some_client_allows(GrantType::DeviceCode)
        && let Some(device) = url(Endpoint::DeviceAuthorization)
    {
        object.insert("device_authorization_endpoint".into(), device.into());
    }
    if let Some(logout) = url(Endpoint::Logout) {
        object.insert("end_session_endpoint".into(), logout.into());
    }
    if preset == Preset::Microsoft {
        // Members of Entra's document that describe its cloud; served as captured.
        object.insert("tenant_region_scope".into(), Value::Null);
        object.insert("cloud_instance_name".into(), "microsoftonline.com".into());
        object.insert("cloud_graph_host_name".into(), "graph.windows.net".into());
        object.insert("msgraph_host".into(), "graph.microsoft.com".into());
        object.insert("http_logout_supported".into(), true.into());
        object.insert("frontchannel_logout_supported".into(), true.into());
    }
    document
}
