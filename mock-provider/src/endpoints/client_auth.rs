//! Client authentication at the token, revocation and introspection endpoints
//! (RFC 6749 §2.3.1, §3.2.1; OIDC Core §9).

use std::sync::Arc;

use axum::http::{HeaderMap, header};
use subtle::ConstantTimeEq as _;

use crate::config::{AuthMethod, ClientConfig};
use crate::error::{Error, Reason, TokenErrorCode};
use crate::issuer::Issuer;
use crate::protocol::client_auth::{Malformed, Presented, presented};
use crate::protocol::params::Params;

/// Who the request is from, and whether they proved it.
#[derive(Debug)]
pub struct Authenticated {
    pub client: Arc<ClientConfig>,
    /// False for a public client, which can only name itself.
    pub proven: bool,
}

/// Identifies and authenticates the client. A confidential client must prove itself with its
/// secret, by the one method it uses; a public client names itself with `client_id`.
pub fn authenticate(
    issuer: &Issuer,
    headers: &HeaderMap,
    params: &Params,
) -> Result<Authenticated, Error> {
    let authorization = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok());
    let body_id = params
        .get("client_id")
        .map_err(|e| Error::invalid_request(e.to_string()))?;
    let body_secret = params
        .get("client_secret")
        .map_err(|e| Error::invalid_request(e.to_string()))?;
    let used_basic =
        authorization.is_some_and(|a| a.trim_start().to_ascii_lowercase().starts_with("basic "));
    let invalid_client = |description: &str| Error::Token {
        code: TokenErrorCode::InvalidClient,
        description: description.to_owned(),
        basic_realm: Some(issuer.url.clone()),
        reason: Some(Reason::BadClientSecret),
    };
    let presented = presented(authorization, body_id, body_secret).map_err(|e| match e {
        Malformed::BadBasic => invalid_client(&e.to_string()),
        Malformed::SeveralMethods | Malformed::IdMismatch => Error::invalid_request(e.to_string()),
    })?;
    let (client_id, secret, method) = match presented {
        Presented::Basic { client_id, secret } => {
            (client_id, Some(secret), AuthMethod::ClientSecretBasic)
        }
        Presented::Post { client_id, secret } => {
            (client_id, Some(secret), AuthMethod::ClientSecretPost)
        }
        Presented::IdOnly { client_id } => (client_id, None, AuthMethod::None),
        Presented::Nothing => return Err(invalid_client("client authentication is required")),
    };
    // The same answer for an unknown client and a wrong secret (RFC 6749 §5.2 gives nothing away).
    let unknown = || invalid_client("client authentication failed");
    let client = issuer
        .client(&client_id)
        .ok_or_else(|| unknown().because(Reason::UnknownClient))?;
    match (&client.client_secret, secret) {
        (Some(expected), Some(given)) => {
            if !bool::from(expected.as_bytes().ct_eq(given.as_bytes())) {
                return Err(unknown());
            }
            if let Some(registered) = client.token_endpoint_auth_method
                && registered != method
            {
                return Err(invalid_client(&format!(
                    "this client is registered for {}, not {}",
                    registered.as_str(),
                    method.as_str()
                )));
            }
            Ok(Authenticated {
                client,
                proven: true,
            })
        }
        (Some(_), None) => Err(invalid_client(
            "this client is confidential: authenticate with its secret (RFC 6749 §3.2.1)",
        )),
        // A public client may appear in a Basic header with an empty password; nothing is proven.
        (None, Some(given)) if given.is_empty() && used_basic => Ok(Authenticated {
            client,
            proven: false,
        }),
        (None, Some(_)) => Err(invalid_client("this client is public and has no secret")),
        (None, None) => Ok(Authenticated {
            client,
            proven: false,
        }),
    }
}
