//! The one place that turns failures into HTTP: status codes, JSON bodies and the
//! `WWW-Authenticate` challenges of RFC 6750 §3, and the refusals of the presets' APIs in their
//! providers' shapes ([`ApiError`]).

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use fauxauth_core::wire::{bearer_challenge, description_text, dpop_challenge};
use serde_json::json;

pub use fauxauth_core::wire::BearerErrorCode;

/// Everything a request to the resource can fail with. The only type here that knows status
/// codes and headers; handlers (preset routes too) return it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Error {
    /// RFC 6750 §3.1: the request carried no bearer token at all (or only another scheme's
    /// credentials). 401 with a bare `Bearer realm="..."`: no error code.
    Unauthenticated { realm: String },
    /// A bearer-token error (RFC 6750 §3.1), answered with its challenge.
    Bearer {
        code: BearerErrorCode,
        description: String,
        realm: String,
        /// For `insufficient_scope`: the scope the request needs (RFC 6750 §3).
        scope: Option<String>,
    },
    /// A DPoP refusal (RFC 9449 §7.1): 401 with a `DPoP` challenge naming the error and the
    /// algorithms a proof may use. `invalid_dpop_proof`, or `invalid_token` for a token that is
    /// not bound to the proof's key, or a bound one presented as Bearer (§7.2).
    Dpop {
        code: &'static str,
        description: String,
        realm: String,
    },
    /// The API's own input is wrong (not an authorization problem): 400, no challenge.
    BadRequest(String),
    /// The issuer could not be asked (discovery, JWKS or introspection failed): 503. The reason
    /// is logged where it happened; the body says only what failed.
    Unavailable(String),
    /// A bug: logged where it happened, never described in the body.
    Internal,
    /// A preset API's refusal, in the shape its provider answers with.
    Api(ApiError),
}

/// The refusals of the presets' APIs, each as its provider writes it. Where the provider's
/// answer is not in fauxauth's reference (its documentation, or answers quoted in issue
/// threads), the variant says so: those are fauxauth's choices.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ApiError {
    /// GitHub, no credentials: 401 `{"message": "Requires authentication", ...}` (observed in
    /// answers quoted in issue threads; the reference documents only "Bad credentials").
    GithubUnauthenticated,
    /// GitHub, a token it does not take (bad, revoked, expired, naming no user): 401
    /// `{"message": "Bad credentials", ...}` (reference §2.8, GH-REFRESH). `documentation_url`
    /// and `status` are as observed.
    GithubBadCredentials,
    /// GitHub, a resource the token's scopes do not reach: 404 `{"message": "Not Found", ...}`.
    /// Not in the reference (§11 #8: "status code without the scope not verified"); it is what
    /// issue threads show for `/user/emails` without `user:email`.
    GithubNotFound,
    /// GitHub, the primary rate limit spent: 403 (GitHub docs: "403 or 429", with
    /// `x-ratelimit-remaining: 0`, which the API's layer adds); the message as observed, without
    /// the request id and timestamp GitHub appends.
    GithubRateLimited { user_id: u64 },
    /// Google (`www.googleapis.com`), no token or a bad one: 401
    /// `{"error": "invalid_request", "error_description": "Invalid Credentials"}` (reference §1.5,
    /// observed). The `Bearer` challenge's parameters are fauxauth's: RFC 6750 §3.1's.
    GoogleInvalidCredentials { realm: String, presented: bool },
    /// Microsoft Graph, no token or a bad one: 401 `InvalidAuthenticationToken`, "Access token is
    /// empty." or "Access token validation failure." (as observed; not in the reference), with a
    /// `Bearer` challenge whose parameters are fauxauth's (RFC 6750 §3.1's).
    GraphInvalidToken {
        realm: String,
        presented: bool,
        inner: GraphInner,
    },
    /// Microsoft Graph, `/me` with a token naming no user (an app's own token): 400 `BadRequest`
    /// "/me request is only valid with delegated authentication flow." (as observed).
    GraphDelegatedOnly { inner: GraphInner },
    /// Slack's Web API: every failure is HTTP 200 with `{"ok": false, "error": code}`:
    /// `not_authed` without a token, `invalid_auth` for one it does not take (@slack/web-api's
    /// error codes; reference §10.2), `missing_scope` with the scope `needed` and the ones
    /// `provided` (the fields @slack/web-api's response types declare).
    Slack {
        error: &'static str,
        needed: Option<String>,
        provided: Option<String>,
    },
}

/// Graph's `innerError`: when, and which request. Graph's ids are random; fauxauth's are made
/// from the clock's event number, so runs repeat.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GraphInner {
    /// `2025-05-27T00:50:53`: UTC, whole seconds, no zone designator, as Graph writes it.
    pub date: String,
    pub request_id: String,
    /// The request's `client-request-id`, or the request id when it sent none (as observed).
    pub client_request_id: String,
}

/// Where GitHub's error bodies point (as observed on GitHub's answers).
const GITHUB_DOCS: &str = "https://docs.github.com/rest";
const GITHUB_RATE_LIMIT_DOCS: &str =
    "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api";

impl ApiError {
    fn status(&self) -> StatusCode {
        match self {
            Self::GithubUnauthenticated
            | Self::GithubBadCredentials
            | Self::GoogleInvalidCredentials { .. }
            | Self::GraphInvalidToken { .. } => StatusCode::UNAUTHORIZED,
            Self::GithubNotFound => StatusCode::NOT_FOUND,
            Self::GithubRateLimited { .. } => StatusCode::FORBIDDEN,
            Self::GraphDelegatedOnly { .. } => StatusCode::BAD_REQUEST,
            Self::Slack { .. } => StatusCode::OK,
        }
    }

    fn challenge(&self) -> Option<String> {
        match self {
            Self::GoogleInvalidCredentials { realm, presented }
            | Self::GraphInvalidToken {
                realm, presented, ..
            } => Some(bearer_challenge(
                realm,
                presented.then_some("invalid_token"),
                None,
                None,
            )),
            _ => None,
        }
    }

    fn body(&self) -> serde_json::Value {
        let status = self.status();
        let github = |message: String, docs: &str| {
            json!({
                "message": message,
                "documentation_url": docs,
                "status": status.as_str(),
            })
        };
        let graph = |code: &str, message: &str, inner: &GraphInner| {
            json!({ "error": {
                "code": code,
                "message": message,
                "innerError": {
                    "date": inner.date,
                    "request-id": inner.request_id,
                    "client-request-id": inner.client_request_id,
                },
            }})
        };
        match self {
            Self::GithubUnauthenticated => github("Requires authentication".into(), GITHUB_DOCS),
            Self::GithubBadCredentials => github("Bad credentials".into(), GITHUB_DOCS),
            Self::GithubNotFound => github("Not Found".into(), GITHUB_DOCS),
            Self::GithubRateLimited { user_id } => github(
                format!("API rate limit exceeded for user ID {user_id}."),
                GITHUB_RATE_LIMIT_DOCS,
            ),
            Self::GoogleInvalidCredentials { .. } => json!({
                "error": "invalid_request",
                "error_description": "Invalid Credentials",
            }),
            Self::GraphInvalidToken {
                presented, inner, ..
            } => {
                let message = if *presented {
                    "Access token validation failure."
                } else {
                    "Access token is empty."
                };
                graph("InvalidAuthenticationToken", message, inner)
            }
            Self::GraphDelegatedOnly { inner } => graph(
                "BadRequest",
                "/me request is only valid with delegated authentication flow.",
                inner,
            ),
            Self::Slack {
                error,
                needed,
                provided,
            } => {
                let mut body = json!({ "ok": false, "error": error });
                if let Some(needed) = needed {
                    body["needed"] = json!(needed);
                }
                if let Some(provided) = provided {
                    body["provided"] = json!(provided);
                }
                body
            }
        }
    }
}

impl Error {
    pub fn invalid_request(realm: &str, description: impl Into<String>) -> Self {
        Self::Bearer {
            code: BearerErrorCode::InvalidRequest,
            description: description.into(),
            realm: realm.to_owned(),
            scope: None,
        }
    }

    pub fn invalid_token(realm: &str, description: impl Into<String>) -> Self {
        Self::Bearer {
            code: BearerErrorCode::InvalidToken,
            description: description.into(),
            realm: realm.to_owned(),
            scope: None,
        }
    }

    pub fn insufficient_scope(realm: &str, scope: &str) -> Self {
        Self::Bearer {
            code: BearerErrorCode::InsufficientScope,
            description: format!("this request needs the {scope} scope"),
            realm: realm.to_owned(),
            scope: Some(scope.to_owned()),
        }
    }

    pub fn dpop(code: &'static str, realm: &str, description: impl Into<String>) -> Self {
        Self::Dpop {
            code,
            description: description.into(),
            realm: realm.to_owned(),
        }
    }

    /// The `WWW-Authenticate` value, when the answer carries one.
    pub fn challenge(&self) -> Option<String> {
        match self {
            Self::Unauthenticated { realm } => Some(bearer_challenge(realm, None, None, None)),
            Self::Dpop {
                code,
                description,
                realm,
            } => Some(dpop_challenge(realm, Some((code, description)))),
            Self::Bearer {
                code,
                description,
                realm,
                scope,
            } => Some(bearer_challenge(
                realm,
                Some(code.as_str()),
                Some(description),
                scope.as_deref(),
            )),
            Self::Api(api) => api.challenge(),
            Self::BadRequest(_) | Self::Unavailable(_) | Self::Internal => None,
        }
    }
}

impl IntoResponse for Error {
    fn into_response(self) -> Response {
        let challenge = self.challenge();
        let dpop_too = match &self {
            Self::Unauthenticated { realm } => Some(realm.clone()),
            _ => None,
        };
        let (status, body) = match self {
            Self::Unauthenticated { .. } => (
                StatusCode::UNAUTHORIZED,
                json!({ "error_description": "an access token is required" }),
            ),
            Self::Bearer {
                code,
                description,
                scope,
                ..
            } => {
                let mut body = json!({ "error": code.as_str(), "error_description": description_text(&description) });
                if let Some(scope) = scope {
                    body["scope"] = json!(scope);
                }
                (code.status(), body)
            }
            Self::BadRequest(description) => (
                StatusCode::BAD_REQUEST,
                json!({ "error": "invalid_request", "error_description": description_text(&description) }),
            ),
            Self::Unavailable(description) => (
                StatusCode::SERVICE_UNAVAILABLE,
                json!({ "error": "temporarily_unavailable", "error_description": description_text(&description) }),
            ),
            Self::Internal => (
                StatusCode::INTERNAL_SERVER_ERROR,
                json!({ "error": "server_error" }),
            ),
            Self::Dpop {
                code, description, ..
            } => (
                StatusCode::UNAUTHORIZED,
                json!({ "error": code, "error_description": description_text(&description) }),
            ),
            Self::Api(api) => (api.status(), api.body()),
        };
        let mut response = (status, axum::Json(body)).into_response();
        let headers = response.headers_mut();
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        if let Some(value) = challenge.and_then(|c| HeaderValue::from_str(&c).ok()) {
            headers.insert(header::WWW_AUTHENTICATE, value);
        }
        if let Some(realm) = dpop_too {
            // RFC 9449 §7.1: a resource that takes both schemes offers both.
            if let Ok(value) = HeaderValue::from_str(&dpop_challenge(&realm, None)) {
                headers.append(header::WWW_AUTHENTICATE, value);
            }
        }
        response
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn challenge_of(error: Error) -> (StatusCode, String) {
        let response = error.into_response();
        let challenge = response.headers()[header::WWW_AUTHENTICATE]
            .to_str()
            .unwrap()
            .to_owned();
        (response.status(), challenge)
    }

    #[test]
    fn a_request_without_a_token_gets_a_bare_challenge() {
        let (status, challenge) = challenge_of(Error::Unauthenticated {
            realm: "fauxauth".into(),
        });
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        assert_eq!(challenge, r#"Bearer realm="fauxauth""#);
    }

    #[test]
    fn an_invalid_token_is_401_with_error_and_description() {
        let (status, challenge) = challenge_of(Error::invalid_token("r", "the token has expired"));
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        assert_eq!(
            challenge,
            r#"Bearer realm="r", error="invalid_token", error_description="the token has expired""#
        );
    }

    #[test]
    fn insufficient_scope_is_403_naming_the_scope() {
        let (status, challenge) = challenge_of(Error::insufficient_scope("r", "items:read"));
        assert_eq!(status, StatusCode::FORBIDDEN);
        assert_eq!(
            challenge,
            r#"Bearer realm="r", error="insufficient_scope", error_description="this request needs the items:read scope", scope="items:read""#
        );
    }

    #[test]
    fn a_malformed_request_is_400_invalid_request() {
        let (status, challenge) = challenge_of(Error::invalid_request("r", "two ways"));
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert!(
            challenge.contains(r#"error="invalid_request""#),
            "{challenge}"
        );
    }

    fn body_of(error: Error) -> (StatusCode, Option<String>, serde_json::Value) {
        let response = error.into_response();
        let status = response.status();
        let challenge = response
            .headers()
            .get(header::WWW_AUTHENTICATE)
            .map(|v| v.to_str().unwrap().to_owned());
        let body = json_of(response);
        (status, challenge, body)
    }

    fn json_of(response: Response) -> serde_json::Value {
        let bytes = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap()
            .block_on(axum::body::to_bytes(response.into_body(), usize::MAX))
            .unwrap();
        serde_json::from_slice(&bytes).unwrap()
    }

    #[test]
    fn github_refusals_are_messages_with_their_status_as_text_and_no_challenge() {
        let (status, challenge, body) = body_of(Error::Api(ApiError::GithubBadCredentials));
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        assert_eq!(challenge, None);
        assert_eq!(
            body,
            json!({"message": "Bad credentials", "documentation_url": "https://docs.github.com/rest", "status": "401"})
        );
        let (status, _, body) = body_of(Error::Api(ApiError::GithubRateLimited { user_id: 7 }));
        assert_eq!(status, StatusCode::FORBIDDEN);
        assert_eq!(body["message"], "API rate limit exceeded for user ID 7.");
        assert_eq!(body["status"], "403");
        let (status, _, body) = body_of(Error::Api(ApiError::GithubNotFound));
        assert_eq!(
            (status, &body["status"]),
            (StatusCode::NOT_FOUND, &json!("404"))
        );
    }

    #[test]
    fn google_and_graph_refusals_challenge_with_an_error_only_when_a_token_came() {
        let google = |presented| {
            body_of(Error::Api(ApiError::GoogleInvalidCredentials {
                realm: "r".into(),
                presented,
            }))
        };
        let (status, challenge, body) = google(true);
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        assert_eq!(
            challenge.as_deref(),
            Some(r#"Bearer realm="r", error="invalid_token""#)
        );
        assert_eq!(
            body,
            json!({"error": "invalid_request", "error_description": "Invalid Credentials"})
        );
        assert_eq!(google(false).1.as_deref(), Some(r#"Bearer realm="r""#));

        let inner = GraphInner {
            date: "2023-11-14T22:13:20".into(),
            request_id: "r-1".into(),
            client_request_id: "c-1".into(),
        };
        let (status, challenge, body) = body_of(Error::Api(ApiError::GraphInvalidToken {
            realm: "r".into(),
            presented: false,
            inner: inner.clone(),
        }));
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        assert_eq!(challenge.as_deref(), Some(r#"Bearer realm="r""#));
        assert_eq!(
            body,
            json!({"error": {"code": "InvalidAuthenticationToken", "message": "Access token is empty.",
                "innerError": {"date": "2023-11-14T22:13:20", "request-id": "r-1", "client-request-id": "c-1"}}})
        );
        let (status, challenge, body) = body_of(Error::Api(ApiError::GraphDelegatedOnly { inner }));
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert_eq!(challenge, None);
        assert_eq!(body["error"]["code"], "BadRequest");
    }

    #[test]
    fn failures_that_are_not_about_the_token_carry_no_challenge() {
        for error in [
            Error::BadRequest("name is required".into()),
            Error::Unavailable("the issuer's keys could not be fetched".into()),
            Error::Internal,
        ] {
            let response = error.into_response();
            assert!(!response.headers().contains_key(header::WWW_AUTHENTICATE));
        }
    }
}
