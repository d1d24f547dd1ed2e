//! The OpenID provider as this client sees it: a remote server spoken to over HTTP and the specs
//! only. Discovery (OIDC Discovery §4), its keys (RFC 7517), the authorization URL, the token
//! endpoint (code and refresh grants, `token.rs`) and UserInfo, through `openidconnect`, the
//! `oauth2` crate beneath it, and the client's own transport ([`Http`]), with every failure
//! turned into the check that names it.
//!
//! # Fetching
//! Metadata and keys are fetched on first need and kept; a failed discovery is not kept, so the
//! next login tries again. An ID token naming a key the set lacks makes the client fetch the
//! JWKS once more (the provider may have rotated) and verify once more; fetches are single-flight
//! behind one `tokio::sync::Mutex`, and a caller that waited for it finds the set renewed (the
//! generation moved) and does not fetch again. Hand-written: the crate offers a fetch, not a cache.
//!
//! # Presets
//! The metadata must name the configured issuer (Discovery §4.3), which the crate checks, except
//! at Microsoft's multi-tenant endpoints: their metadata names the `{tenantid}` template, which
//! the crate refuses, so that document is fetched and judged here (`protocol::issuer`). Google
//! and Microsoft get the client secret in the body (`client_secret_post`), as their guides show
//! it; Google is asked for a refresh token its way (`access_type=offline`).

use std::sync::{Arc, RwLock};

use fauxauth_core::preset::{Preset, microsoft};
use openidconnect::core::{
    CoreAuthDisplay, CoreAuthenticationFlow, CoreClaimName, CoreClaimType, CoreClient,
    CoreClientAuthMethod, CoreGrantType, CoreJsonWebKey, CoreJsonWebKeySet,
    CoreJweContentEncryptionAlgorithm, CoreJweKeyManagementAlgorithm, CoreResponseMode,
    CoreResponseType, CoreSubjectIdentifierType, CoreUserInfoClaims,
};
use openidconnect::{
    AccessToken, AdditionalProviderMetadata, ClaimsVerificationError, CsrfToken, DiscoveryError,
    EndpointNotSet, EndpointSet, IssuerUrl, JsonWebKeySet, Nonce, PkceCodeChallenge,
    PkceCodeVerifier, ProviderMetadata, RefreshToken, Scope, SubjectIdentifier, UserInfoError,
};
use reqwest::header::ACCEPT;
use serde::{Deserialize, Serialize};

use crate::error::{Check, Error};
use crate::http::{self, Http, Transport};
use crate::protocol::issuer::{self, IssuerRule};
use crate::token::{Credentials, Endpoints, RefreshRefused, TokenAnswer};

/// The metadata fields this client reads beyond OIDC Discovery's own.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
pub struct ExtraMetadata {
    /// RP-Initiated Logout 1.0 §2.1.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end_session_endpoint: Option<String>,
    /// RFC 9207 §3: the provider puts `iss` in every authorization response.
    #[serde(default)]
    pub authorization_response_iss_parameter_supported: bool,
    /// RFC 9126 §5: where authorization requests are pushed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pushed_authorization_request_endpoint: Option<String>,
}

impl AdditionalProviderMetadata for ExtraMetadata {}

pub type Metadata = ProviderMetadata<
    ExtraMetadata,
    CoreAuthDisplay,
    CoreClientAuthMethod,
    CoreClaimName,
    CoreClaimType,
    CoreGrantType,
    CoreJweContentEncryptionAlgorithm,
    CoreJweKeyManagementAlgorithm,
    CoreJsonWebKey,
    CoreResponseMode,
    CoreResponseType,
    CoreSubjectIdentifierType,
>;

type OidcClient = CoreClient<
    EndpointSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointNotSet,
>;

/// One discovered provider.
#[derive(Debug)]
pub struct Discovered {
    pub metadata: Metadata,
    /// Whom its ID tokens may name.
    issuer: IssuerRule,
    endpoints: Endpoints,
    keys: RwLock<Keys>,
}

#[derive(Debug)]
struct Keys {
    generation: u64,
    set: Arc<CoreJsonWebKeySet>,
}

impl Discovered {
    pub fn end_session_endpoint(&self) -> Option<&str> {
        self.metadata
            .additional_metadata()
            .end_session_endpoint
            .as_deref()
    }

    /// Whom its ID tokens may name (OIDC Core §3.1.3.7 step 2, as the preset reads it).
    pub fn issuer(&self) -> &IssuerRule {
        &self.issuer
    }

    pub fn iss_advertised(&self) -> bool {
        self.metadata
            .additional_metadata()
            .authorization_response_iss_parameter_supported
    }

    /// The key set as last fetched, with its generation.
    pub fn keys(&self) -> (u64, Arc<CoreJsonWebKeySet>) {
        let keys = self.keys.read().unwrap_or_else(|p| p.into_inner());
        (keys.generation, keys.set.clone())
    }
}

/// The provider, as configured for this client.
#[derive(Debug)]
pub struct Provider {
    preset: Preset,
    issuer: IssuerUrl,
    credentials: Credentials,
    http: Http,
    /// It asks for `response_mode=form_post`.
    form_post: bool,
    /// The API its access tokens are for (Auth0's `audience`): the resource, with Auth0.
    audience: Option<String>,
    /// Held across the discovery fetch (single-flight); `None` until one succeeds.
    discovered: tokio::sync::Mutex<Option<Arc<Discovered>>>,
    /// Held across a JWKS fetch (single-flight).
    key_fetch: tokio::sync::Mutex<()>,
}

impl Provider {
    pub fn new(
        preset: Preset,
        issuer: &str,
        credentials: Credentials,
        http: Http,
        form_post: bool,
    ) -> Result<Self, String> {
        Ok(Self {
            preset,
            issuer: IssuerUrl::new(issuer.to_owned()).map_err(|e| format!("issuer: {e}"))?,
            credentials,
            http,
            form_post,
            audience: None,
            discovered: tokio::sync::Mutex::new(None),
            key_fetch: tokio::sync::Mutex::new(()),
        })
    }

    /// Asks for access tokens for `audience` (Auth0: without one, the token is good at
    /// `/userinfo` alone, and the app's API cannot take it).
    #[must_use]
    pub fn with_audience(mut self, audience: Option<String>) -> Self {
        self.audience = audience;
        self
    }

    pub fn client_id(&self) -> &openidconnect::ClientId {
        &self.credentials.client_id
    }

    pub fn client_secret(&self) -> Option<&openidconnect::ClientSecret> {
        self.credentials.client_secret.as_ref()
    }

    /// The provider's metadata and keys, fetched on first need (OIDC Discovery §4; the
    /// metadata's `issuer` must be exactly the configured one, §4.3, but as the preset allows).
    pub async fn discovered(&self) -> Result<Arc<Discovered>, Error> {
        let mut slot = self.discovered.lock().await;
        if let Some(discovered) = slot.as_ref() {
            return Ok(discovered.clone());
        }
        let (metadata, issuer, set) = if self.names_a_template() {
            self.discover_multi_tenant().await?
        } else {
            let metadata = Metadata::discover_async(self.issuer.clone(), &self.http)
                .await
                .map_err(|e| Error::new(Check::Discovery, discovery_failure(e)))?;
            let issuer = IssuerRule::from_metadata(self.preset, &self.issuer, metadata.issuer())
                .map_err(|why| Error::new(Check::Discovery, why))?;
            let set = metadata.jwks().clone();
            (metadata, issuer, set)
        };
        let token_url = metadata.token_endpoint().cloned().ok_or_else(|| {
            Error::new(
                Check::Discovery,
                "the metadata names no token_endpoint, which the code flow needs",
            )
        })?;
        let endpoints = Endpoints::new(
            &self.credentials,
            metadata.authorization_endpoint().clone(),
            token_url,
            self.http.clone(),
        );
        let discovered = Arc::new(Discovered {
            metadata,
            issuer,
            endpoints,
            keys: RwLock::new(Keys {
                generation: 1,
                set: Arc::new(set),
            }),
        });
        *slot = Some(discovered.clone());
        Ok(discovered)
    }

    /// Whether the issuer is one of Microsoft's multi-tenant endpoints, whose metadata may name
    /// another issuer than the one it is fetched from.
    fn names_a_template(&self) -> bool {
        self.preset == Preset::Microsoft
            && issuer::tenant(&self.issuer).is_some_and(|t| microsoft::MULTI_TENANT.contains(&t))
    }

    /// Discovery as `openidconnect` does it, but with the issuer judged by the preset's rule
    /// (the crate wants the metadata to name the URL it was fetched from, which Microsoft's
    /// multi-tenant metadata never does).
    async fn discover_multi_tenant(
        &self,
    ) -> Result<(Metadata, IssuerRule, CoreJsonWebKeySet), Error> {
        let failed = |why: String| Error::new(Check::Discovery, why);
        let url = self
            .issuer
            .join(".well-known/openid-configuration")
            .map_err(|e| failed(e.to_string()))?;
        let request = self
            .http
            .client()
            .get(url.clone())
            .header(ACCEPT, "application/json")
            .build()
            .map_err(Error::internal)?;
        let answer = self
            .http
            .send(request)
            .await
            .and_then(http::judge)
            .map_err(|t| failed(t.to_string()))?;
        if answer.status != 200 {
            return Err(failed(format!(
                "HTTP status code {} at {url}",
                answer.status
            )));
        }
        let metadata: Metadata = serde_json::from_slice(&answer.body)
            .map_err(|e| failed(format!("the document is malformed: {e}")))?;
        let issuer = IssuerRule::from_metadata(self.preset, &self.issuer, metadata.issuer())
            .map_err(failed)?;
        let set = JsonWebKeySet::fetch_async(metadata.jwks_uri(), &self.http)
            .await
            .map_err(|e| failed(discovery_failure(e)))?;
        Ok((metadata, issuer, set))
    }

    /// Fetches the JWKS again unless someone already did since `seen` (its generation).
    pub async fn refetch_keys(
        &self,
        discovered: &Discovered,
        seen: u64,
    ) -> Result<Arc<CoreJsonWebKeySet>, Error> {
        let _fetching = self.key_fetch.lock().await;
        let (generation, set) = discovered.keys();
        if generation != seen {
            return Ok(set);
        }
        let set = JsonWebKeySet::fetch_async(discovered.metadata.jwks_uri(), &self.http)
            .await
            .map_err(|e| {
                Error::new(
                    Check::Discovery,
                    format!("the JWKS: {}", discovery_failure(e)),
                )
            })?;
        let set = Arc::new(set);
        let mut keys = discovered.keys.write().unwrap_or_else(|p| p.into_inner());
        keys.generation += 1;
        keys.set = set.clone();
        Ok(set)
    }

    /// `openidconnect`'s client, for the authorization URL and UserInfo (the token endpoint is
    /// `discovered.endpoints`).
    fn client(&self, discovered: &Discovered) -> OidcClient {
        let (_, keys) = discovered.keys();
        let client = CoreClient::new(
            self.credentials.client_id.clone(),
            self.issuer.clone(),
            keys.as_ref().clone(),
        )
        .set_auth_uri(discovered.metadata.authorization_endpoint().clone())
        .set_redirect_uri(self.credentials.redirect_uri.clone());
        match &self.credentials.client_secret {
            Some(secret) => client.set_client_secret(secret.clone()),
            None => client,
        }
    }

    /// The authorization request (RFC 6749 §4.1.1, OIDC Core §3.1.2.1, RFC 7636 §4.3) as a URL.
    pub fn authorization_url(
        &self,
        discovered: &Discovered,
        scopes: &[String],
        state: String,
        nonce: String,
        pkce: Option<PkceCodeChallenge>,
    ) -> url::Url {
        let client = self.client(discovered);
        let mut request = client.authorize_url(
            CoreAuthenticationFlow::AuthorizationCode,
            move || CsrfToken::new(state),
            move || Nonce::new(nonce),
        );
        // The crate adds `openid` itself.
        for scope in scopes.iter().filter(|s| *s != "openid") {
            request = request.add_scope(Scope::new(scope.clone()));
        }
        if let Some(challenge) = pkce {
            request = request.set_pkce_challenge(challenge);
        }
        if self.preset == Preset::Google {
            // Google's web server guide: a refresh token is issued for `access_type=offline`.
            request = request.add_extra_param("access_type", "offline");
        }
        if self.form_post {
            request = request.add_extra_param("response_mode", "form_post");
        }
        if let Some(audience) = &self.audience {
            request = request.add_extra_param("audience", audience.clone());
        }
        if let Some(jkt) = self.http.dpop_jkt() {
            // RFC 9449 §10: the code is bound to the key, so only this client can redeem it.
            request = request.add_extra_param("dpop_jkt", jkt.to_owned());
        }
        request.url().0
    }

    /// Pushes the authorization request `url` carries to the provider's PAR endpoint (RFC 9126
    /// §2), authenticated as at the token endpoint, and returns the URL the browser goes to
    /// instead: the authorization endpoint with `client_id` and the `request_uri` (§4).
    pub async fn push(&self, discovered: &Discovered, url: url::Url) -> Result<url::Url, Error> {
        let failed = |detail: String| Error::new(Check::PushFailed, detail);
        let endpoint = discovered
            .metadata
            .additional_metadata()
            .pushed_authorization_request_endpoint
            .clone()
            .ok_or_else(|| failed("the provider names no PAR endpoint".into()))?;
        let mut form: Vec<(String, String)> = url
            .query_pairs()
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect();
        let request = self.http.client().post(&endpoint);
        let request = discovered.endpoints.authenticate(request, &mut form);
        let request = request
            .form(&form)
            .header(reqwest::header::ACCEPT, "application/json")
            .build()
            .map_err(|e| Error::internal(e.without_url()))?;
        let answer = self
            .http
            .send(request)
            .await
            .map_err(|t| failed(t.to_string()))?;
        let body: serde_json::Value = serde_json::from_slice(&answer.body).unwrap_or_default();
        if answer.status != 201 {
            return Err(failed(format!(
                "answered HTTP {}: {}",
                answer.status,
                body.get("error")
                    .and_then(|e| e.as_str())
                    .unwrap_or("no error code")
            )));
        }
        let request_uri = body
            .get("request_uri")
            .and_then(|v| v.as_str())
            .ok_or_else(|| failed("the answer has no request_uri".into()))?;
        let mut pushed = discovered.metadata.authorization_endpoint().url().clone();
        pushed
            .query_pairs_mut()
            .append_pair("client_id", self.credentials.client_id.as_str())
            .append_pair("request_uri", request_uri);
        Ok(pushed)
    }

    /// Redeems a code (RFC 6749 §4.1.3), authenticating as the client (§2.3.1) and proving
    /// PKCE when it was used.
    pub async fn redeem(
        &self,
        discovered: &Discovered,
        code: String,
        verifier: Option<PkceCodeVerifier>,
    ) -> Result<TokenAnswer, Error> {
        discovered.endpoints.redeem(code, verifier).await
    }

    /// Refreshes (RFC 6749 §6) with `refresh_token`, asking for the original scope.
    pub async fn refresh(
        &self,
        discovered: &Discovered,
        refresh_token: &RefreshToken,
    ) -> Result<TokenAnswer, RefreshRefused> {
        discovered.endpoints.refresh(refresh_token).await
    }

    /// UserInfo (OIDC Core §5.3). With `expected_sub`, an answer about anyone else is refused
    /// (§5.3.2); `None` turns that check off (the `skip-userinfo-sub-check` weakness).
    /// `Ok(None)` when the provider has no UserInfo endpoint.
    pub async fn userinfo(
        &self,
        discovered: &Discovered,
        access_token: &AccessToken,
        expected_sub: Option<SubjectIdentifier>,
    ) -> Result<Option<CoreUserInfoClaims>, Error> {
        let Some(url) = discovered.metadata.userinfo_endpoint() else {
            return Ok(None);
        };
        let client = self.client(discovered).set_user_info_url(url.clone());
        client
            .user_info(access_token.clone(), expected_sub)
            .request_async(&self.http)
            .await
            .map(Some)
            .map_err(userinfo_failure)
    }
}

fn discovery_failure(error: DiscoveryError<Transport>) -> String {
    match error {
        DiscoveryError::Request(t) => t.to_string(),
        DiscoveryError::Response(status, _, message) => format!("HTTP {status}: {message}"),
        DiscoveryError::Parse(e) => {
            format!("the document is malformed at {}: {}", e.path(), e.inner())
        }
        DiscoveryError::Validation(message) => message,
        other => other.to_string(),
    }
}

fn userinfo_failure(error: UserInfoError<Transport>) -> Error {
    match error {
        UserInfoError::ClaimsVerification(ClaimsVerificationError::InvalidSubject(m)) => {
            Error::new(Check::UserinfoSubMismatch, m)
        }
        UserInfoError::Request(t) => Error::new(Check::UserinfoFailed, t.to_string()),
        UserInfoError::Response(status, body, _) => {
            let error = serde_json::from_slice::<serde_json::Value>(&body)
                .ok()
                .and_then(|v| v.get("error").and_then(|e| e.as_str()).map(str::to_owned));
            let detail = match error {
                Some(error) => format!("answered HTTP {status} with error {error}"),
                None => format!("answered HTTP {status}"),
            };
            Error::new(Check::UserinfoFailed, detail)
        }
        UserInfoError::Parse(e) => Error::new(
            Check::UserinfoFailed,
            format!("the answer is malformed at {}: {}", e.path(), e.inner()),
        ),
        other => Error::new(Check::UserinfoFailed, other.to_string()),
    }
}
