//! Client authentication at the token, revocation and introspection endpoints
//! (RFC 6749 §2.3.1, §3.2.1; RFC 7523 §2.2; OIDC Core §9).

use std::sync::Arc;

use axum::http::{HeaderMap, header};
use subtle::ConstantTimeEq as _;

use fauxauth_core::jose::{Alg, HeaderRules, KeySet, Refusal, Selection, check_header, shown};
use jsonwebtoken::{DecodingKey, Validation};
use serde_json::{Map, Value};

use crate::config::{AuthMethod, ClientConfig};
use crate::error::{Error, Reason, TokenErrorCode};
use crate::issuer::Issuer;
use crate::preset::{Endpoint, Preset};
use crate::protocol::client_assertion::{self, Expected, Parties};
use crate::protocol::client_auth::{Malformed, Presented, presented};
use crate::protocol::params::Params;

/// Who the request is from, and whether they proved it.
#[derive(Debug)]
pub struct Authenticated {
    pub client: Arc<ClientConfig>,
    /// False for a public client, which can only name itself.
    pub proven: bool,
}

/// The form parameters that carry client credentials (RFC 6749 §2.3.1, RFC 7523 §2.2): never
/// part of what a client asks for.
pub const CREDENTIAL_PARAMS: [&str; 3] =
    ["client_secret", "client_assertion", "client_assertion_type"];

/// Identifies and authenticates the client. A confidential client must prove itself with its
/// secret or a client assertion, by a method it may use; a public client names itself with
/// `client_id`. `called` is the endpoint the request came to: an assertion may name its URL as
/// `aud`.
pub async fn authenticate(
    issuer: &Issuer,
    headers: &HeaderMap,
    params: &Params,
    called: Endpoint,
) -> Result<Authenticated, Error> {
    let get = |name| {
        params
            .get(name)
            .map_err(|e| Error::invalid_request(e.to_string()))
    };
    let authorization = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok());
    let body_id = get("client_id")?;
    let body_secret = get("client_secret")?;
    let assertion_type = get("client_assertion_type")?;
    let assertion = get("client_assertion")?;
    let used_basic =
        authorization.is_some_and(|a| a.trim_start().to_ascii_lowercase().starts_with("basic "));
    let invalid_client = |description: &str| Error::Token {
        code: TokenErrorCode::InvalidClient,
        description: description.to_owned(),
        basic_realm: Some(issuer.url.clone()),
        reason: Some(Reason::BadClientSecret),
    };
    if assertion_type.is_some() || assertion.is_some() {
        if used_basic || body_secret.is_some() {
            return Err(Error::invalid_request(
                Malformed::SeveralMethods.to_string(),
            ));
        }
        return by_assertion(issuer, assertion_type, assertion, body_id, called).await;
    }
    // Okta: credentials in the header and anything of a client's in the body, even a `client_id`
    // that repeats the header's, is refused.
    if issuer.quirks.single_client_credentials
        && used_basic
        && (body_id.is_some() || body_secret.is_some())
    {
        return Err(Error::Token {
            code: TokenErrorCode::InvalidRequest,
            description: crate::preset::okta::MULTIPLE_CREDENTIALS.to_owned(),
            basic_realm: Some(issuer.url.clone()),
            reason: None,
        });
    }
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
    // Apple: a client without a secret of its own signs one with its key.
    if issuer.quirks.client_secret_is_jwt
        && client.client_secret.is_none()
        && client.has_keys()
        && let Some(given) = secret
    {
        if !issuer.auth_methods().contains(&method) {
            return Err(invalid_client(&format!(
                "{} is not a client authentication method this server supports",
                method.as_str()
            )));
        }
        signed_secret(issuer, &client, &given)
            .await
            .map_err(|why| invalid_client(&format!("the client secret is refused: {why}")))?;
        return Ok(Authenticated {
            client,
            proven: true,
        });
    }
    match (&client.client_secret, secret) {
        (Some(expected), Some(given)) => {
            if !bool::from(expected.as_bytes().ct_eq(given.as_bytes())) {
                return Err(unknown());
            }
            method_allowed(issuer, &client, method, called)?;
            Ok(Authenticated {
                client,
                proven: true,
            })
        }
        (Some(_), None) => Err(invalid_client(
            "this client is confidential: authenticate with its secret (RFC 6749 §3.2.1)",
        )),
        (None, Some(_)) if !client.is_public() => Err(invalid_client(
            "this client has no secret: authenticate with a client assertion signed by its key \
             (private_key_jwt)",
        )),
        // A public client may appear in a Basic header with an empty password; nothing is proven.
        (None, Some(given)) if given.is_empty() && used_basic => Ok(Authenticated {
            client,
            proven: false,
        }),
        (None, Some(_)) => Err(invalid_client("this client is public and has no secret")),
        (None, None) if !client.is_public() => Err(invalid_client(
            "this client is confidential: authenticate with a client assertion signed by its \
             key (private_key_jwt, RFC 7523 §2.2)",
        )),
        (None, None) => Ok(Authenticated {
            client,
            proven: false,
        }),
    }
}

/// Refuses a method the client is not registered for, or the issuer's preset does not take at
/// the real provider's endpoints (fauxauth's own introspection, which the resource calls, takes
/// every method).
fn method_allowed(
    issuer: &Issuer,
    client: &ClientConfig,
    method: AuthMethod,
    called: Endpoint,
) -> Result<(), Error> {
    let refused = |description: String| Error::Token {
        code: TokenErrorCode::InvalidClient,
        description,
        basic_realm: Some(issuer.url.clone()),
        reason: Some(Reason::BadClientSecret),
    };
    let own = called == Endpoint::Introspect && issuer.settings.preset != Preset::Generic;
    if !own && !issuer.auth_methods().contains(&method) {
        return Err(refused(format!(
            "{} is not a client authentication method this server supports",
            method.as_str()
        )));
    }
    if !client.may_authenticate_with(method) {
        return Err(refused(match client.token_endpoint_auth_method {
            Some(registered) => format!(
                "this client is registered for {}, not {}",
                registered.as_str(),
                method.as_str()
            ),
            None => format!("this client has no credential for {}", method.as_str()),
        }));
    }
    Ok(())
}

/// A client assertion (RFC 7521 §4.2, RFC 7523 §2.2 and §3, OpenID Connect Core §9): the client
/// is the assertion's `sub`; the assertion must be signed with its secret (`client_secret_jwt`)
/// or one of its keys (`private_key_jwt`), its claims must hold, and its `jti` must be new.
/// Every refusal is `invalid_client` (RFC 7521 §4.2.1), worded to say what was wrong.
async fn by_assertion(
    issuer: &Issuer,
    assertion_type: Option<&str>,
    assertion: Option<&str>,
    body_id: Option<&str>,
    called: Endpoint,
) -> Result<Authenticated, Error> {
    let refused = |description: String| Error::Token {
        code: TokenErrorCode::InvalidClient,
        description,
        basic_realm: Some(issuer.url.clone()),
        reason: Some(Reason::BadClientAssertion),
    };
    let (Some(assertion_type), Some(assertion)) = (assertion_type, assertion) else {
        return Err(Error::invalid_request(
            "client_assertion and client_assertion_type go together (RFC 7521 §4.2)",
        ));
    };
    if assertion_type != client_assertion::JWT_BEARER {
        return Err(refused(format!(
            "client_assertion_type {} is not supported: the one supported is {}",
            shown(assertion_type),
            client_assertion::JWT_BEARER
        )));
    }
    let (header, unverified) = peek(assertion)
        .map_err(|why| refused(format!("the client assertion is refused: {why}")))?;
    // RFC 7521 §4.2: client_id, when sent, must name the assertion's subject.
    let Some(Value::String(client_id)) = unverified.get("sub") else {
        return Err(refused(
            "the client assertion has no sub naming the client (RFC 7523 §3)".to_owned(),
        ));
    };
    if body_id.is_some_and(|id| id != client_id) {
        return Err(Error::invalid_request(
            "client_id differs from the client assertion's sub (RFC 7521 §4.2)",
        ));
    }
    let unknown =
        || refused("client authentication failed".to_owned()).because(Reason::UnknownClient);
    let client = issuer.client(client_id).ok_or_else(unknown)?;
    let claims = match header.get("alg").and_then(Value::as_str) {
        Some(alg) if alg.starts_with("HS") => {
            method_allowed(issuer, &client, AuthMethod::ClientSecretJwt, called)?;
            let secret = client.client_secret.as_deref().unwrap_or_default();
            verify_hmac(assertion, alg, secret)
        }
        _ => {
            method_allowed(issuer, &client, AuthMethod::PrivateKeyJwt, called)?;
            verify_with_keys(issuer, assertion, &client).await
        }
    }
    .map_err(|why| refused(format!("the client assertion is refused: {why}")))?;
    let token_endpoint = issuer.endpoint_url(Endpoint::Token, None);
    let endpoints: Vec<String> = [token_endpoint, issuer.endpoint_url(called, None)]
        .into_iter()
        .flatten()
        .collect();
    let now = issuer.now();
    let accepted = client_assertion::check(
        &claims,
        &Expected {
            parties: Parties::Client(&client.client_id),
            issuer: &issuer.url,
            endpoints: &endpoints,
            rule: issuer.settings.client_assertion_audience,
            now: fauxauth_core::unix(now) as i64,
        },
    )
    .map_err(|e| refused(format!("the client assertion is refused: {e}")))?;
    let jti = accepted.jti.unwrap_or_default();
    let until = std::time::UNIX_EPOCH + std::time::Duration::from_secs(accepted.exp.max(0) as u64);
    if !issuer
        .store()
        .spend_assertion_id(&client.client_id, &jti, until, now)
    {
        return Err(refused(format!(
            "the client assertion's jti {} was used before: an assertion is used once \
             (OpenID Connect Core §9)",
            shown(&jti)
        ))
        .because(Reason::ClientAssertionReplayed));
    }
    Ok(Authenticated {
        client,
        proven: true,
    })
}

/// Apple's client secret: an ES256 JWT signed with one of the client's keys, from its team
/// (`iss`, the client's `team_id` when it has one), about the client (`sub`), for Apple
/// (`aud`: `https://appleid.apple.com`, or this issuer), issued (`iat`) and expiring (`exp`)
/// at most 15,777,000 s apart, and not expired.
async fn signed_secret(issuer: &Issuer, client: &ClientConfig, token: &str) -> Result<(), String> {
    use fauxauth_core::preset::apple;
    let (header, _) = peek(token)?;
    if header.get("alg").and_then(Value::as_str) != Some("ES256") {
        return Err("it is not signed with ES256".to_owned());
    }
    let claims = verify_signed(
        issuer,
        token,
        client.keys(),
        client.jwks_uri.as_deref(),
        "the client's",
    )
    .await?;
    let text = |name: &str| claims.get(name).and_then(Value::as_str);
    let number = |name: &str| claims.get(name).and_then(Value::as_u64);
    if text("sub") != Some(client.client_id.as_str()) {
        return Err("its sub is not the client's id".to_owned());
    }
    if !matches!(text("aud"), Some(aud) if aud == apple::CLIENT_SECRET_AUDIENCE || aud == issuer.url)
    {
        return Err(format!("its aud is not {}", apple::CLIENT_SECRET_AUDIENCE));
    }
    match (text("iss"), &client.team_id) {
        (None | Some(""), _) => return Err("it has no iss naming the team".to_owned()),
        (Some(iss), Some(team)) if iss != team => {
            return Err(format!("its iss is not the client's team {}", shown(team)));
        }
        _ => {}
    }
    let (Some(iat), Some(exp)) = (number("iat"), number("exp")) else {
        return Err("it needs numeric iat and exp".to_owned());
    };
    if exp.saturating_sub(iat) > apple::MAX_CLIENT_SECRET_LIFETIME {
        return Err(format!(
            "it lives longer than {} s",
            apple::MAX_CLIENT_SECRET_LIFETIME
        ));
    }
    let now = fauxauth_core::unix(issuer.now());
    if exp <= now {
        return Err("it has expired".to_owned());
    }
    if iat > now + CLOCK_SKEW {
        return Err("it is issued in the future".to_owned());
    }
    Ok(())
}

/// How far ahead of the provider's clock a client secret's `iat` may be.
const CLOCK_SKEW: u64 = 60;

/// A JSON object: a JOSE header, or a JWT's claims.
pub(super) type Object = Map<String, Value>;

/// The header and claims of a compact JWS, unverified: to learn which client and key to use.
pub(super) fn peek(token: &str) -> Result<(Object, Object), String> {
    match fauxauth_core::wire::unverified_header_and_claims(token) {
        Some((Value::Object(header), Value::Object(claims))) => Ok((header, claims)),
        _ => Err(
            "it is not a JWS whose header and claims are base64url JSON objects \
                  (RFC 7515 §7.1)"
                .to_owned(),
        ),
    }
}

/// `private_key_jwt`: the signature by one of the client's keys.
async fn verify_with_keys(
    issuer: &Issuer,
    assertion: &str,
    client: &ClientConfig,
) -> Result<Object, String> {
    verify_signed(
        issuer,
        assertion,
        client.keys(),
        client.jwks_uri.as_deref(),
        "the client's",
    )
    .await
}

/// A JWT signed by someone's key: the shared JOSE header checks (no `none`, no HMAC, no key in
/// the header, no `crit`), then the signature by the key named by `kid`, or the only one for
/// `alg`, among `keys` (a `jwks`, parsed) or the set at `jwks_uri`. `whose` names the keys in
/// refusals ("the client's").
pub(super) async fn verify_signed(
    issuer: &Issuer,
    token: &str,
    keys: Option<Result<(KeySet, Vec<String>), String>>,
    jwks_uri: Option<&str>,
    whose: &str,
) -> Result<Object, String> {
    let header = check_header(
        token,
        HeaderRules {
            allowed_algs: &Alg::ALL,
            required_typ: None,
        },
    )
    .map_err(|e| e.to_string())?;
    if let Some(uri) = jwks_uri {
        let key = issuer.client_keys.key_for(uri, &header).await?;
        return key.verify(token).map_err(|e| e.to_string());
    }
    let (keys, _) = keys.unwrap_or_else(|| Ok(Default::default()))?;
    match keys.select(&header) {
        Selection::Found(key) => key.verify(token).map_err(|e| e.to_string()),
        Selection::Unknown => Err(match &header.kid {
            Some(kid) => format!("no key of {whose} jwks has kid {}", shown(kid)),
            None => format!("{whose} jwks has no key for {}", header.alg),
        }),
        Selection::Refused(why) => Err(why.to_string()),
    }
}

/// `client_secret_jwt`: HMAC with the client's secret, the algorithm pinned to the header's
/// HS256, HS384 or HS512.
fn verify_hmac(assertion: &str, alg: &str, secret: &str) -> Result<Object, String> {
    use jsonwebtoken::Algorithm as A;
    let algorithm = match alg {
        "HS256" => A::HS256,
        "HS384" => A::HS384,
        "HS512" => A::HS512,
        other => return Err(Refusal::AlgNotAllowed(other.to_owned()).to_string()),
    };
    let mut validation = Validation::new(algorithm);
    validation.required_spec_claims.clear();
    validation.validate_exp = false;
    validation.validate_nbf = false;
    validation.validate_aud = false;
    jsonwebtoken::decode::<Map<String, Value>>(
        assertion,
        &DecodingKey::from_secret(secret.as_bytes()),
        &validation,
    )
    .map(|data| data.claims)
    .map_err(|_| "its signature does not verify with the client's secret".to_owned())
}
