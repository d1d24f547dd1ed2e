//! Token exchange (RFC 8693): a client presents a token about someone (the subject token), and
//! perhaps one about who acts for them (the actor token), and gets an access token for the target
//! it names.
//!
//! A subject or actor token is one of the provider's own access tokens (active: not expired, not
//! revoked), one of its own ID tokens (unexpired), or a JWT (`...:token-type:jwt`) from a trusted
//! issuer (signed by its key, unexpired) or from the provider itself. What it names is a user (by
//! `sub`) or, for an access token a client got for itself, that client. An invalid or
//! unacceptable token is `invalid_request` (§2.2.2); a target the client may not ask for is
//! `invalid_target`. No refresh token is issued: the client exchanges again.

use serde_json::{Map, Value, json};

use fauxauth_core::jose::shown;

use crate::config::{ClientConfig, UserConfig};
use crate::error::{Error, TokenErrorCode};
use crate::issuer::Issuer;
use crate::protocol::params::Params;
use crate::protocol::scope::Scopes;
use crate::tokens::{Exchanged, Mint, Minting, verify_access_token};

pub const GRANT: &str = "urn:ietf:params:oauth:grant-type:token-exchange";
const ACCESS_TOKEN: &str = "urn:ietf:params:oauth:token-type:access_token";
const ID_TOKEN: &str = "urn:ietf:params:oauth:token-type:id_token";
const JWT: &str = "urn:ietf:params:oauth:token-type:jwt";

/// A token exchange request's parameters (RFC 8693 §2.1).
#[derive(Debug)]
pub struct Request<'a> {
    subject_token: &'a str,
    subject_token_type: &'a str,
    actor: Option<(&'a str, &'a str)>,
    targets: Vec<&'a str>,
    scope: Option<Scopes>,
    requested_token_type: Option<&'a str>,
}

impl<'a> Request<'a> {
    /// Reads the parameters: the subject token and its type REQUIRED, `actor_token_type` with
    /// `actor_token` and only then; `resource` and `audience` may repeat.
    pub fn parse(params: &'a Params, scope: Option<Scopes>) -> Result<Self, Error> {
        let get = |name| super::param(params, name);
        let required = |name| super::required_param(params, name);
        let actor = match (get("actor_token")?, get("actor_token_type")?) {
            (Some(token), Some(kind)) => Some((token, kind)),
            (None, None) => None,
            (Some(_), None) => {
                return Err(Error::invalid_request(
                    "actor_token_type is required with actor_token (RFC 8693 §2.1)",
                ));
            }
            (None, Some(_)) => {
                return Err(Error::invalid_request(
                    "actor_token_type without actor_token (RFC 8693 §2.1)",
                ));
            }
        };
        let mut targets: Vec<&str> = params.all("resource");
        targets.extend(params.all("audience"));
        targets.sort_unstable();
        targets.dedup();
        Ok(Self {
            subject_token: required("subject_token")?,
            subject_token_type: required("subject_token_type")?,
            actor,
            targets,
            scope,
            requested_token_type: get("requested_token_type")?,
        })
    }
}

/// Who a presented token is about, and what it carried.
#[derive(Debug)]
struct Party {
    user: Option<std::sync::Arc<UserConfig>>,
    /// The client an access token a client got for itself names.
    client: Option<String>,
    /// The `sub` it named.
    sub: String,
    /// An access token's scope.
    scope: Option<Scopes>,
    /// An `act` it carried already.
    act: Option<Value>,
}

/// RFC 8693 §2.1-§2.2: checks the tokens, the target and the scope, then issues an access token
/// for the subject, for the target, with `act` naming the actor when there is one.
pub async fn exchange(
    issuer: &Issuer,
    client: &ClientConfig,
    request: Request<'_>,
    minting: &Minting<'_>,
) -> Result<Value, Error> {
    match request.requested_token_type {
        None | Some(ACCESS_TOKEN) | Some(JWT) => {}
        Some(other) => {
            return Err(Error::invalid_request(format!(
                "requested_token_type {} is not issued here: {ACCESS_TOKEN} or {JWT}",
                shown(other)
            )));
        }
    }
    let policy = &client.token_exchange;
    let audience = match request.targets.as_slice() {
        [] => None,
        [one] => {
            let allowed = if policy.audiences.is_empty() {
                *one == issuer.settings.access_token_audience
            } else {
                policy.audiences.iter().any(|a| a == one)
            };
            if !allowed {
                return Err(Error::token(
                    TokenErrorCode::InvalidTarget,
                    format!("this client may not exchange tokens for {}", shown(one)),
                ));
            }
            Some(*one)
        }
        _ => {
            return Err(Error::token(
                TokenErrorCode::InvalidTarget,
                "one target per exchange: name one audience or resource (RFC 8693 §2.1)",
            ));
        }
    };
    let subject = party(
        issuer,
        request.subject_token,
        request.subject_token_type,
        "subject",
    )
    .await?;
    let act = match request.actor {
        None => None,
        Some(_) if !policy.delegation => {
            return Err(Error::invalid_request(
                "this client may not exchange with an actor_token: delegation is off for it",
            ));
        }
        Some((token, kind)) => {
            let actor = party(issuer, token, kind, "actor").await?;
            // RFC 8693 §4.1: the current actor, and the chain before it nested inside.
            let mut act = json!({ "sub": actor.sub });
            if let Some(prior) = subject.act.clone() {
                act["act"] = prior;
            }
            Some(act)
        }
    };
    let scope = match (request.scope, &subject.scope) {
        (Some(asked), Some(held)) if !asked.is_subset_of(held) => {
            return Err(Error::token(
                TokenErrorCode::InvalidScope,
                "the scope asked for exceeds the subject token's",
            ));
        }
        (Some(asked), _) => asked,
        (None, Some(held)) => held.clone(),
        (None, None) => Scopes::default(),
    };
    if let Some(problem) = issuer.scope_problem(client, &scope) {
        return Err(Error::token(TokenErrorCode::InvalidScope, problem));
    }
    let mint = Mint {
        id_token: false,
        refresh_token: false,
    };
    let grant = crate::tokens::NewGrant {
        exchanged: Exchanged {
            client_subject: subject.client.as_deref(),
            audience,
            act: act.or(subject.act),
        },
        ..crate::tokens::NewGrant::new(subject.user.as_deref(), scope, mint)
    };
    let issued = crate::tokens::issue_on_a_new_grant(issuer, client, grant, minting);
    let mut body = issued.response_body();
    body["issued_token_type"] = json!(request.requested_token_type.unwrap_or(ACCESS_TOKEN));
    Ok(body)
}

/// Who `token` (of type `kind`) is about, or `invalid_request` saying why it is not taken.
async fn party(issuer: &Issuer, token: &str, kind: &str, role: &str) -> Result<Party, Error> {
    let refused =
        |why: String| Error::invalid_request(format!("the {role}_token is refused: {why}"));
    let claims: Map<String, Value> = match kind {
        ACCESS_TOKEN => {
            let claims = verify_access_token(issuer, token)
                .map_err(|e| refused(e.describe().replace("the access token", "it")))?;
            let scope = Scopes::parse(&claims.scope).ok();
            let named_client = claims.sub == claims.client_id && claims.auth_time.is_none();
            let user = issuer.user_by_sub(claims.user_sub());
            if user.is_none() && !named_client {
                return Err(refused(format!("no user has sub {}", shown(&claims.sub))));
            }
            return Ok(Party {
                client: user.is_none().then(|| claims.sub.clone()),
                user,
                sub: claims.sub,
                scope,
                act: claims.act,
            });
        }
        ID_TOKEN => own_jwt(issuer, token, "JWT").map_err(refused)?,
        JWT => match unverified_iss(token) {
            Some(iss) if iss == issuer.url => own_jwt(issuer, token, "").map_err(refused)?,
            Some(iss) => trusted_jwt(issuer, token, &iss).await.map_err(refused)?,
            None => return Err(refused("it is not a JWT with an iss".to_owned())),
        },
        other => {
            return Err(Error::invalid_request(format!(
                "{role}_token_type {} is not taken here: {ACCESS_TOKEN}, {ID_TOKEN} or {JWT}",
                shown(other)
            )));
        }
    };
    let sub = claims
        .get("sub")
        .and_then(Value::as_str)
        .ok_or_else(|| refused("it has no sub".to_owned()))?;
    let user = issuer
        .user_by_sub(sub)
        .ok_or_else(|| refused(format!("no user has sub {}", shown(sub))))?;
    Ok(Party {
        user: Some(user),
        client: None,
        sub: sub.to_owned(),
        scope: None,
        act: claims.get("act").cloned(),
    })
}

/// A JWT this issuer signed (an ID token when `typ` is `JWT`; any of its JWTs when `typ` is
/// empty), unexpired on its clock.
fn own_jwt(issuer: &Issuer, token: &str, typ: &str) -> Result<Map<String, Value>, String> {
    let (claims, header) = issuer
        .verify_jwt::<Map<String, Value>>(token)
        .ok_or("its signature is not by a key of this issuer")?;
    if !typ.is_empty() && header.typ.as_deref() != Some(typ) {
        return Err(format!(
            "its typ is {}, not {typ}",
            header
                .typ
                .as_deref()
                .map_or_else(|| "absent".to_owned(), shown)
        ));
    }
    if claims.get("iss").and_then(Value::as_str) != Some(issuer.url.as_str()) {
        return Err("its iss is not this issuer".to_owned());
    }
    unexpired(&claims, issuer)?;
    Ok(claims)
}

/// A JWT from one of the issuer's `trusted_issuers`, signed by its key and unexpired.
async fn trusted_jwt(
    issuer: &Issuer,
    token: &str,
    iss: &str,
) -> Result<Map<String, Value>, String> {
    let trusted = issuer
        .settings
        .trusted_issuers
        .iter()
        .find(|t| t.issuer == iss)
        .ok_or_else(|| format!("its iss {} is not a trusted issuer", shown(iss)))?;
    let claims = super::client_auth::verify_signed(
        issuer,
        token,
        trusted.keys(),
        trusted.jwks_uri.as_deref(),
        "the trusted issuer's",
    )
    .await?;
    unexpired(&claims, issuer)?;
    Ok(claims)
}

fn unexpired(claims: &Map<String, Value>, issuer: &Issuer) -> Result<(), String> {
    let now = fauxauth_core::unix(issuer.now());
    match claims.get("exp").and_then(Value::as_u64) {
        Some(exp) if exp > now => Ok(()),
        Some(exp) => Err(format!("it expired at {exp}; it is now {now}")),
        None => Err("it has no exp".to_owned()),
    }
}

/// The `iss` of a compact JWS, unverified: to know which keys to verify it with.
fn unverified_iss(token: &str) -> Option<String> {
    let (_, claims) = super::client_auth::peek(token).ok()?;
    claims.get("iss")?.as_str().map(str::to_owned)
}
