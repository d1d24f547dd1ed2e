//! The OpenID provider as this client sees it: a remote server spoken to over HTTP and the specs
//! only. Discovery (OIDC Discovery §4), its keys (RFC 7517), the authorization URL, the token
//! endpoint (code and refresh grants) and UserInfo, all through `openidconnect` and the client's
//! own transport ([`Http`]), with every failure turned into the check that names it.
//!
//! # Fetching
//! Metadata and keys are fetched on first need and kept; a failed discovery is not kept, so the
//! next login tries again. An ID token naming a key the set lacks makes the client fetch the
//! JWKS once more (the provider may have rotated) and verify once more; fetches are single-flight
//! behind one `tokio::sync::Mutex`, and a caller that waited for it finds the set renewed (the
//! generation moved) and does not fetch again. Hand-written: the crate offers a fetch, not a cache.

use std::sync::{Arc, RwLock};

use openidconnect::core::{
    CoreAuthDisplay, CoreAuthenticationFlow, CoreClaimName, CoreClaimType, CoreClient,
    CoreClientAuthMethod, CoreErrorResponseType, CoreGrantType, CoreIdToken, CoreJsonWebKey,
    CoreJsonWebKeySet, CoreJweContentEncryptionAlgorithm, CoreJweKeyManagementAlgorithm,
    CoreResponseMode, CoreResponseType, CoreSubjectIdentifierType, CoreTokenResponse,
    CoreUserInfoClaims,
};
use openidconnect::{
    AccessToken, AdditionalProviderMetadata, AuthorizationCode, ClaimsVerificationError, ClientId,
    ClientSecret, CsrfToken, DiscoveryError, EndpointNotSet, EndpointSet, IssuerUrl, JsonWebKeySet,
    Nonce, PkceCodeChallenge, PkceCodeVerifier, ProviderMetadata, RedirectUrl, RefreshToken,
    RequestTokenError, Scope, StandardErrorResponse, SubjectIdentifier, TokenUrl, UserInfoError,
};
use serde::{Deserialize, Serialize};

use crate::error::{Check, Error};
use crate::http::{Http, Transport};

/// The metadata fields this client reads beyond OIDC Discovery's own.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
pub struct ExtraMetadata {
    /// RP-Initiated Logout 1.0 §2.1.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end_session_endpoint: Option<String>,
    /// RFC 9207 §3: the provider puts `iss` in every authorization response.
    #[serde(default)]
    pub authorization_response_iss_parameter_supported: bool,
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
    EndpointSet,
    EndpointNotSet,
>;

type TokenFailure = RequestTokenError<Transport, StandardErrorResponse<CoreErrorResponseType>>;

/// What a refresh attempt ended with, when it did not succeed.
#[derive(Debug)]
pub struct RefreshRefused {
    pub error: Error,
    /// The provider said `invalid_grant`: the refresh token is dead (expired, revoked, or reused
    /// and the grant revoked, RFC 9700 §4.14.2), and so is the login.
    pub grant_is_dead: bool,
}

/// One discovered provider.
#[derive(Debug)]
pub struct Discovered {
    pub metadata: Metadata,
    token_url: TokenUrl,
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
    issuer: IssuerUrl,
    client_id: ClientId,
    client_secret: Option<ClientSecret>,
    redirect_uri: RedirectUrl,
    http: Http,
    /// Held across the discovery fetch (single-flight); `None` until one succeeds.
    discovered: tokio::sync::Mutex<Option<Arc<Discovered>>>,
    /// Held across a JWKS fetch (single-flight).
    key_fetch: tokio::sync::Mutex<()>,
}

impl Provider {
    pub fn new(
        issuer: &str,
        client_id: &str,
        client_secret: Option<&str>,
        redirect_uri: &str,
        http: Http,
    ) -> Result<Self, String> {
        Ok(Self {
            issuer: IssuerUrl::new(issuer.to_owned()).map_err(|e| format!("issuer: {e}"))?,
            client_id: ClientId::new(client_id.to_owned()),
            client_secret: client_secret.map(|s| ClientSecret::new(s.to_owned())),
            redirect_uri: RedirectUrl::new(redirect_uri.to_owned())
                .map_err(|e| format!("redirect_uri: {e}"))?,
            http,
            discovered: tokio::sync::Mutex::new(None),
            key_fetch: tokio::sync::Mutex::new(()),
        })
    }

    pub fn issuer(&self) -> &IssuerUrl {
        &self.issuer
    }

    pub fn client_id(&self) -> &ClientId {
        &self.client_id
    }

    /// The provider's metadata and keys, fetched on first need (OIDC Discovery §4; the
    /// metadata's `issuer` must be exactly the configured one, §4.3).
    pub async fn discovered(&self) -> Result<Arc<Discovered>, Error> {
        let mut slot = self.discovered.lock().await;
        if let Some(discovered) = slot.as_ref() {
            return Ok(discovered.clone());
        }
        let metadata = Metadata::discover_async(self.issuer.clone(), &self.http)
            .await
            .map_err(|e| Error::new(Check::Discovery, discovery_failure(e)))?;
        let token_url = metadata.token_endpoint().cloned().ok_or_else(|| {
            Error::new(
                Check::Discovery,
                "the metadata names no token_endpoint, which the code flow needs",
            )
        })?;
        let set = Arc::new(metadata.jwks().clone());
        let discovered = Arc::new(Discovered {
            metadata,
            token_url,
            keys: RwLock::new(Keys { generation: 1, set }),
        });
        *slot = Some(discovered.clone());
        Ok(discovered)
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

    fn client(&self, discovered: &Discovered) -> OidcClient {
        let (_, keys) = discovered.keys();
        let client = CoreClient::new(
            self.client_id.clone(),
            self.issuer.clone(),
            keys.as_ref().clone(),
        )
        .set_auth_uri(discovered.metadata.authorization_endpoint().clone())
        .set_token_uri(discovered.token_url.clone())
        .set_redirect_uri(self.redirect_uri.clone());
        match &self.client_secret {
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
        request.url().0
    }

    /// Redeems a code (RFC 6749 §4.1.3), authenticating as the client (§2.3.1; HTTP Basic with
    /// form-encoded credentials) and proving PKCE when it was used.
    pub async fn redeem(
        &self,
        discovered: &Discovered,
        code: String,
        verifier: Option<PkceCodeVerifier>,
    ) -> Result<CoreTokenResponse, Error> {
        let client = self.client(discovered);
        let mut request = client.exchange_code(AuthorizationCode::new(code));
        if let Some(verifier) = verifier {
            request = request.set_pkce_verifier(verifier);
        }
        request
            .request_async(&self.http)
            .await
            .map_err(token_failure)
    }

    /// Refreshes (RFC 6749 §6) with `refresh_token`, asking for the original scope.
    pub async fn refresh(
        &self,
        discovered: &Discovered,
        refresh_token: &RefreshToken,
    ) -> Result<CoreTokenResponse, RefreshRefused> {
        let client = self.client(discovered);
        let result = client
            .exchange_refresh_token(refresh_token)
            .request_async(&self.http)
            .await;
        result.map_err(|failure| {
            let grant_is_dead = match &failure {
                RequestTokenError::ServerResponse(e) => {
                    *e.error() == CoreErrorResponseType::InvalidGrant
                }
                RequestTokenError::Request(Transport::ErrorInSuccess { error, .. }) => {
                    error == "invalid_grant"
                }
                _ => false,
            };
            let cause = token_failure(failure);
            RefreshRefused {
                error: Error::new(Check::RefreshFailed, cause.to_string()),
                grant_is_dead,
            }
        })
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

/// What a failed token request means, as a check (RFC 6749 §5.2 errors; transport failures;
/// answers that are no token response).
fn token_failure(error: TokenFailure) -> Error {
    match error {
        RequestTokenError::ServerResponse(e) => {
            let mut detail = e.error().to_string();
            if let Some(description) = e.error_description() {
                detail.push_str(&format!(" ({description})"));
            }
            Error::new(Check::TokenError, detail)
        }
        RequestTokenError::Request(t @ Transport::ErrorInSuccess { .. }) => {
            Error::new(Check::TokenError, t.to_string())
        }
        RequestTokenError::Request(t @ (Transport::NotJson { .. } | Transport::TooLarge)) => {
            Error::new(Check::TokenResponseInvalid, t.to_string())
        }
        RequestTokenError::Request(t) => Error::new(Check::TokenEndpointFailed, t.to_string()),
        RequestTokenError::Parse(e, body) => {
            // The crate parses the ID token with the response, inside a flattened field whose
            // path it loses; reading it alone says whether it is the culprit.
            if let Some(Err(why)) = id_token_member(&body).map(|t| t.parse::<CoreIdToken>()) {
                return Error::new(Check::IdTokenMalformed, why.to_string());
            }
            Error::new(
                Check::TokenResponseInvalid,
                format!("{}: {}", e.path(), e.inner()),
            )
        }
        RequestTokenError::Other(message) => Error::new(Check::TokenResponseInvalid, message),
    }
}

/// The `id_token` member of a JSON token response, as a string.
fn id_token_member(body: &[u8]) -> Option<String> {
    let value: serde_json::Value = serde_json::from_slice(body).ok()?;
    value.get("id_token")?.as_str().map(str::to_owned)
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
