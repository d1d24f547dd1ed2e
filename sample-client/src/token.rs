//! The token endpoint (RFC 6749 §4.1.3 code, §6 refresh), for every preset, through the `oauth2`
//! crate that `openidconnect` is built on.
//!
//! Used directly rather than through `openidconnect`'s client because that client parses the
//! ID token inside the token response, as a JWT whose `iss` must be a URL: Google documents ID
//! tokens whose `iss` is `accounts.google.com`, which would fail the whole response before any
//! check could judge it. Here the `id_token` is kept as text ([`IdTokenText`]) and judged by
//! `protocol::id_token`, with the preset's issuer rule. GitHub, which has no ID token, goes
//! through the same client.

use std::fmt;
use std::sync::Arc;

use fauxauth_core::Clock;

use oauth2::basic::{
    BasicErrorResponse, BasicErrorResponseType, BasicRevocationErrorResponse,
    BasicTokenIntrospectionResponse, BasicTokenType,
};
use oauth2::{
    AuthType, AuthUrl, AuthorizationCode, ClientId, ClientSecret, CsrfToken, EndpointNotSet,
    EndpointSet, ExtraTokenFields, PkceCodeChallenge, PkceCodeVerifier, RedirectUrl, RefreshToken,
    RequestTokenError, Scope, StandardRevocableToken, StandardTokenResponse, TokenUrl,
};
use serde::{Deserialize, Serialize};

use crate::assertion::ClientKey;
use crate::error::{Check, Error};
use crate::http::{Http, Transport};

/// OIDC Core §3.1.3.3's `id_token` member, as the text it arrived as.
#[derive(Clone, Default, Deserialize, Serialize)]
pub struct IdTokenText {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id_token: Option<String>,
}

impl ExtraTokenFields for IdTokenText {}

// By hand: an ID token never reaches a log line.
impl fmt::Debug for IdTokenText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("IdTokenText")
            .field("id_token", &self.id_token.as_ref().map(|_| "[redacted]"))
            .finish()
    }
}

/// A successful token response (RFC 6749 §5.1). `token_type` is read case-insensitively
/// (GitHub writes `bearer`); a `scope` GitHub writes comma-separated is kept as it came.
pub type TokenAnswer = StandardTokenResponse<IdTokenText, BasicTokenType>;

type Client = oauth2::Client<
    BasicErrorResponse,
    TokenAnswer,
    BasicTokenIntrospectionResponse,
    StandardRevocableToken,
    BasicRevocationErrorResponse,
    EndpointSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointSet,
>;

type Failure = RequestTokenError<Transport, BasicErrorResponse>;

/// What a refresh attempt ended with, when it did not succeed.
#[derive(Debug)]
pub struct RefreshRefused {
    pub error: Error,
    /// The provider said the refresh token is dead (expired, revoked, or reused and the grant
    /// revoked, RFC 9700 §4.14.2): `invalid_grant`, or GitHub's `bad_refresh_token` (sent with
    /// HTTP 200). The login is over.
    pub grant_is_dead: bool,
}

/// One provider's authorization and token endpoints, as this client uses them.
#[derive(Debug)]
pub struct Endpoints {
    client: Client,
    http: Http,
    client_id: String,
    token: TokenUrl,
    key: Option<(Arc<ClientKey>, Clock)>,
    secret: Option<ClientSecret>,
    auth_type: AuthType,
    /// The `redirect_uri` a refresh repeats (GitLab's documentation asks for it).
    refresh_redirect_uri: Option<String>,
}

/// The client's credentials and redirect URI, the same at every endpoint.
#[derive(Clone, Debug)]
pub struct Credentials {
    pub client_id: ClientId,
    pub client_secret: Option<ClientSecret>,
    pub redirect_uri: RedirectUrl,
    /// How the secret is presented (RFC 6749 §2.3.1): HTTP Basic, or in the body
    /// (`client_secret_post`), as GitHub, Google and Microsoft document it.
    pub auth_type: AuthType,
    /// The private key of `private_key_jwt`, instead of a secret, with the clock its assertions
    /// are dated by.
    pub key: Option<(Arc<ClientKey>, Clock)>,
    /// Whether a refresh repeats `redirect_uri`, as GitLab's documentation says to.
    pub redirect_uri_on_refresh: bool,
}

impl Endpoints {
    /// A provider with fixed paths (no discovery): its authorization and token endpoints at
    /// `authorize` and `token` on the web host `web`.
    pub fn fixed(
        web: &str,
        (authorize, token): (&str, &str),
        credentials: &Credentials,
        http: Http,
    ) -> Result<Self, String> {
        let web = web.trim_end_matches('/');
        let authorize =
            AuthUrl::new(format!("{web}{authorize}")).map_err(|e| format!("issuer: {e}"))?;
        let token = TokenUrl::new(format!("{web}{token}")).map_err(|e| format!("issuer: {e}"))?;
        Ok(Self::new(credentials, authorize, token, http))
    }

    pub fn new(credentials: &Credentials, authorize: AuthUrl, token: TokenUrl, http: Http) -> Self {
        let client = oauth2::Client::new(credentials.client_id.clone())
            .set_auth_uri(authorize)
            .set_token_uri(token.clone())
            .set_redirect_uri(credentials.redirect_uri.clone())
            .set_auth_type(credentials.auth_type.clone());
        let client = match &credentials.client_secret {
            Some(secret) => client.set_client_secret(secret.clone()),
            None => client,
        };
        Self {
            client,
            http,
            client_id: credentials.client_id.as_str().to_owned(),
            token,
            key: credentials.key.clone(),
            secret: credentials.client_secret.clone(),
            auth_type: credentials.auth_type.clone(),
            refresh_redirect_uri: credentials
                .redirect_uri_on_refresh
                .then(|| credentials.redirect_uri.as_str().to_owned()),
        }
    }

    /// Authenticates `request` (a form POST whose fields are `form`) as the client does at the
    /// token endpoint: a fresh assertion with a key, the secret as HTTP Basic (each part
    /// form-encoded, RFC 6749 §2.3.1) or in the body, or nothing but the `client_id` the form
    /// already names for a public client. For endpoints the `oauth2` crate has no request for
    /// (the PAR endpoint).
    pub fn authenticate(
        &self,
        request: reqwest::RequestBuilder,
        form: &mut Vec<(String, String)>,
    ) -> reqwest::RequestBuilder {
        if let Some(assertion) = self.assertion() {
            form.extend(assertion.map(|(k, v)| (k.to_owned(), v)));
            return request;
        }
        let Some(secret) = &self.secret else {
            return request;
        };
        match self.auth_type {
            AuthType::BasicAuth => {
                let enc =
                    |s: &str| form_urlencoded::byte_serialize(s.as_bytes()).collect::<String>();
                request.basic_auth(enc(&self.client_id), Some(enc(secret.secret())))
            }
            _ => {
                form.push(("client_secret".into(), secret.secret().clone()));
                request
            }
        }
    }

    /// `private_key_jwt`'s parameters (RFC 7523 §2.2) for one token request, when the client
    /// has a key: a new assertion each time, its `jti` never repeated.
    fn assertion(&self) -> Option<[(&'static str, String); 2]> {
        let (key, clock) = self.key.as_ref()?;
        let assertion = key.assertion(&self.client_id, self.token.as_str(), clock);
        Some([
            (
                "client_assertion_type",
                crate::assertion::JWT_BEARER.to_owned(),
            ),
            ("client_assertion", assertion),
        ])
    }

    /// A plain OAuth 2.0 authorization request (RFC 6749 §4.1.1, RFC 7636 §4.3): no `openid`,
    /// no `nonce`. OpenID Connect's is built by `openidconnect` (`provider.rs`).
    pub fn authorization_url(
        &self,
        scopes: &[String],
        state: String,
        pkce: Option<PkceCodeChallenge>,
    ) -> url::Url {
        let mut request = self
            .client
            .authorize_url(move || CsrfToken::new(state))
            .add_scopes(scopes.iter().cloned().map(Scope::new));
        if let Some(challenge) = pkce {
            request = request.set_pkce_challenge(challenge);
        }
        request.url().0
    }

    /// Redeems a code (RFC 6749 §4.1.3), authenticating as the client (§2.3.1) and proving
    /// PKCE when it was used. The request says `Accept: application/json`, which GitHub needs
    /// to answer JSON rather than a form.
    pub async fn redeem(
        &self,
        code: String,
        verifier: Option<PkceCodeVerifier>,
    ) -> Result<TokenAnswer, Error> {
        let mut request = self.client.exchange_code(AuthorizationCode::new(code));
        if let Some(verifier) = verifier {
            request = request.set_pkce_verifier(verifier);
        }
        for (name, value) in self.assertion().into_iter().flatten() {
            request = request.add_extra_param(name, value);
        }
        request
            .request_async(&self.http)
            .await
            .map_err(token_failure)
    }

    /// Refreshes (RFC 6749 §6) with `refresh_token`, asking for the original scope.
    pub async fn refresh(
        &self,
        refresh_token: &RefreshToken,
    ) -> Result<TokenAnswer, RefreshRefused> {
        let mut request = self.client.exchange_refresh_token(refresh_token);
        for (name, value) in self.assertion().into_iter().flatten() {
            request = request.add_extra_param(name, value);
        }
        if let Some(redirect_uri) = &self.refresh_redirect_uri {
            request = request.add_extra_param("redirect_uri", redirect_uri.clone());
        }
        let result = request.request_async(&self.http).await;
        result.map_err(|failure| {
            let grant_is_dead = match &failure {
                RequestTokenError::ServerResponse(e) => {
                    *e.error() == BasicErrorResponseType::InvalidGrant
                }
                RequestTokenError::Request(Transport::ErrorInSuccess { error, .. }) => {
                    matches!(error.as_str(), "invalid_grant" | "bad_refresh_token")
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
}

/// What a failed token request means, as a check (RFC 6749 §5.2 errors; transport failures;
/// answers that are no token response).
fn token_failure(error: Failure) -> Error {
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
        RequestTokenError::Parse(e, _) => Error::new(
            Check::TokenResponseInvalid,
            format!("{}: {}", e.path(), e.inner()),
        ),
        RequestTokenError::Other(message) => Error::new(Check::TokenResponseInvalid, message),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answer(json: &str) -> TokenAnswer {
        serde_json::from_str(json).unwrap()
    }

    #[test]
    fn githubs_answers_read_as_token_responses() {
        use oauth2::TokenResponse as _;
        // An OAuth App's token: lowercase type, comma-separated scope, no expiry.
        let app = answer(
            r#"{"access_token":"gho_16C7e42F292c6912E7710c838347Ae178B4a","scope":"repo,gist","token_type":"bearer"}"#,
        );
        assert_eq!(*app.token_type(), BasicTokenType::Bearer);
        assert_eq!(app.expires_in(), None);
        assert!(app.refresh_token().is_none());
        assert!(app.extra_fields().id_token.is_none());
        // A GitHub App's expiring token with its refresh token, and an empty scope.
        let expiring = answer(
            r#"{"access_token":"ghu_16C7e42F292c6912E7710c838347Ae178B4a","expires_in":28800,"refresh_token":"ghr_1B4a2e77838347a7E420ce178F2E7c6912E169246c34E1ccbF66C46812d16D5B1A9Dc86A1498","refresh_token_expires_in":15811200,"scope":"","token_type":"bearer"}"#,
        );
        assert_eq!(
            expiring.expires_in(),
            Some(std::time::Duration::from_secs(28800))
        );
        assert!(
            expiring
                .refresh_token()
                .is_some_and(|t| t.secret().starts_with("ghr_"))
        );
    }

    #[test]
    fn the_id_token_is_kept_as_text_and_out_of_debug_output() {
        // Not a URL: the `iss` openidconnect's types could not read.
        let text = answer(
            r#"{"access_token":"a","token_type":"Bearer","id_token":"eyJhbGciOiJSUzI1NiJ9.eyJpc3MiOiJhY2NvdW50cy5nb29nbGUuY29tIn0.c2ln"}"#,
        );
        assert!(
            text.extra_fields()
                .id_token
                .as_deref()
                .is_some_and(|t| t.starts_with("eyJhbGciOiJSUzI1NiJ9."))
        );
        let debug = format!("{:?}", text.extra_fields());
        assert!(!debug.contains("eyJ"), "{debug}");
    }
}
