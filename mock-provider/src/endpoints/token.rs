//! The token endpoint (RFC 6749 §3.2, §4.1.3, §4.4, §6; OIDC Core §3.1.3, §12).

use std::sync::Arc;

use axum::Extension;
use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use fauxauth_core::control::Injected;
use fauxauth_core::rules::TokenChange;

use super::client_auth::authenticate;
use crate::config::{ClientConfig, GrantType};
use crate::error::{Error, Reason, TokenErrorCode, json_no_store};
use crate::issuer::Issuer;
use crate::preset::{Install, Preset, Tenant};
use crate::protocol::client_assertion::{self, JWT_BEARER_GRANT};
use crate::protocol::params::Params;
use crate::protocol::pkce;
use crate::protocol::scope::Scopes;
use crate::store::{Code, DeviceState, Poll, RedeemError, RefreshError};
use crate::tokens::{Mint, Minting, NewGrant, Subject, issue, issue_on_a_new_grant};
use fauxauth_core::rules::DeviceDecision;
use subtle::ConstantTimeEq as _;

/// A token request, parsed: an enum tagged on `grant_type` (RFC 6749 §4.1.3, §4.4.2, §6).
#[derive(Debug)]
enum TokenRequest<'a> {
    AuthorizationCode {
        code: &'a str,
        redirect_uri: Option<&'a str>,
        code_verifier: Option<&'a str>,
    },
    RefreshToken {
        refresh_token: &'a str,
        scope: Option<Scopes>,
        /// Read only where a preset's quirk asks for it (GitLab).
        redirect_uri: Option<&'a str>,
    },
    ClientCredentials {
        scope: Scopes,
    },
    Password {
        username: &'a str,
        password: &'a str,
        scope: Scopes,
    },
    JwtBearer {
        assertion: &'a str,
        scope: Scopes,
    },
    TokenExchange(super::token_exchange::Request<'a>),
    DeviceCode {
        device_code: &'a str,
    },
}

pub(super) async fn token(
    State(issuer): State<Arc<Issuer>>,
    injected: Option<Extension<Arc<Injected>>>,
    tenant: Option<Extension<Tenant>>,
    install: Option<Extension<Install>>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let injected = injected.as_ref().map(|Extension(i)| i.as_ref());
    let request = Request {
        changes: injected.map_or(&[][..], |i| &i.token_changes),
        device: injected.and_then(|i| i.device.as_ref()),
        tenant: tenant.as_ref().map(|Extension(t)| t),
        dpop_nonce: issuer.settings.dpop_nonce || injected.is_some_and(|i| i.use_dpop_nonce),
        install: install.is_some(),
    };
    let result = handle(&issuer, query.as_deref(), &headers, &body, &request).await;
    let mut response = if issuer.settings.preset == Preset::Generic {
        match result {
            Ok(body) => json_no_store(StatusCode::OK, &body),
            Err(e) => e.into_response(),
        }
    } else {
        crate::preset::token_answer(&issuer, result, &headers, &body)
    };
    if request.dpop_nonce {
        // RFC 9449 §8: the nonce the next proof must carry, with every answer.
        let [nonce, _] = issuer.dpop_nonces();
        if let Ok(value) = axum::http::HeaderValue::from_str(&nonce) {
            response.headers_mut().insert("dpop-nonce", value);
        }
    }
    response
}

/// Whether the body is JSON (`application/json`, any parameters).
fn is_json(headers: &HeaderMap) -> bool {
    headers
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|v| v.trim().eq_ignore_ascii_case("application/json"))
}

/// A JSON object's members as token request parameters (Auth0 takes JSON bodies): strings as
/// they are, numbers and booleans written out; anything else is no parameter a token request
/// has, and the request is malformed.
fn json_params(body: &[u8]) -> Result<Params, Error> {
    let object: serde_json::Map<String, serde_json::Value> = serde_json::from_slice(body)
        .map_err(|e| Error::invalid_request(format!("the JSON body is not an object: {e}")))?;
    let mut form = form_urlencoded::Serializer::new(String::new());
    for (name, value) in &object {
        let text = match value {
            serde_json::Value::String(s) => s.clone(),
            serde_json::Value::Number(n) => n.to_string(),
            serde_json::Value::Bool(b) => b.to_string(),
            _ => {
                return Err(Error::invalid_request(format!(
                    "{name} must be a string in a JSON token request"
                )));
            }
        };
        form.append_pair(name, &text);
    }
    Ok(Params::parse(form.finish().as_bytes()))
}

/// What the token endpoint was given besides the form: what rules inject, the tenant segment
/// of the path, whether a DPoP nonce is required.
#[derive(Debug)]
struct Request<'a> {
    changes: &'a [TokenChange],
    device: Option<&'a DeviceDecision>,
    tenant: Option<&'a Tenant>,
    dpop_nonce: bool,
    /// Slack's `oauth.v2.access`: a code is answered with the installation's tokens.
    install: bool,
}

async fn handle(
    issuer: &Issuer,
    query: Option<&str>,
    headers: &HeaderMap,
    body: &[u8],
    context: &Request<'_>,
) -> Result<serde_json::Value, Error> {
    // RFC 6749 §2.3.1: client credentials MUST NOT be included in the request URI.
    if query.is_some_and(|q| Params::parse(q.as_bytes()).has("client_secret")) {
        return Err(Error::invalid_request(
            "client_secret must not be sent in the URL",
        ));
    }
    let params = if issuer.quirks.json_token_requests && is_json(headers) {
        json_params(body)?
    } else {
        super::form_body(headers, body)?
    };
    // RFC 6749 §3.2: parameters MUST NOT be included more than once.
    if let Some(name) = params.first_repeated(&[
        "grant_type",
        "code",
        "redirect_uri",
        "code_verifier",
        "refresh_token",
        "scope",
        "client_id",
        "client_secret",
        "username",
        "password",
        "assertion",
        "client_assertion",
        "client_assertion_type",
        "subject_token",
        "subject_token_type",
        "actor_token",
        "actor_token_type",
        "requested_token_type",
        "device_code",
    ]) {
        return Err(Error::invalid_request(format!(
            "parameter {name} must not be repeated"
        )));
    }
    let auth = authenticate(issuer, headers, &params, crate::preset::Endpoint::Token).await?;
    let client = &auth.client;
    let request = parse(&params, issuer.quirks.grant_type_optional)?;
    let jkt = dpop_proof(issuer, client, headers, context)?;
    let minting = &Minting {
        changes: context.changes,
        dpop_jkt: jkt.as_deref(),
    };
    let device = context.device;
    let grant = match request {
        TokenRequest::AuthorizationCode { .. } => GrantType::AuthorizationCode,
        TokenRequest::RefreshToken { .. } => GrantType::RefreshToken,
        TokenRequest::ClientCredentials { .. } => GrantType::ClientCredentials,
        TokenRequest::Password { .. } => GrantType::Password,
        TokenRequest::JwtBearer { .. } => GrantType::JwtBearer,
        TokenRequest::TokenExchange(_) => GrantType::TokenExchange,
        TokenRequest::DeviceCode { .. } => GrantType::DeviceCode,
    };
    if !client.allows_grant(grant) {
        return Err(Error::token(
            TokenErrorCode::UnauthorizedClient,
            format!("this client is not allowed the {} grant", grant.as_str()),
        ));
    }
    match request {
        TokenRequest::AuthorizationCode {
            code,
            redirect_uri,
            code_verifier,
        } => authorization_code(
            issuer,
            client,
            code,
            (redirect_uri, code_verifier),
            minting,
            context.install,
        ),
        TokenRequest::RefreshToken {
            refresh_token,
            scope,
            redirect_uri,
        } => refresh(
            issuer,
            client,
            refresh_token,
            (scope, redirect_uri),
            minting,
        ),
        TokenRequest::ClientCredentials { scope } => {
            client_credentials(issuer, client, scope, minting)
        }
        TokenRequest::Password {
            username,
            password,
            scope,
        } => password_grant(issuer, client, username, password, scope, minting),
        TokenRequest::JwtBearer { assertion, scope } => {
            jwt_bearer(issuer, client, assertion, scope, minting).await
        }
        TokenRequest::TokenExchange(request) => {
            super::token_exchange::exchange(issuer, client, request, minting).await
        }
        TokenRequest::DeviceCode { device_code } => {
            device_grant(issuer, client, device_code, device, minting)
        }
    }
}

/// With `grant_type_optional` (Slack), a request without `grant_type` is the one its other
/// parameters name: a code's exchange, or a refresh.
fn parse(params: &Params, grant_type_optional: bool) -> Result<TokenRequest<'_>, Error> {
    let get = |name| super::param(params, name);
    let required = |name| super::required_param(params, name);
    let scope = |value: Option<&str>| {
        value
            .map(Scopes::parse)
            .transpose()
            .map_err(|e| Error::token(TokenErrorCode::InvalidScope, e.to_string()))
    };
    let grant_type = match get("grant_type")? {
        None if grant_type_optional && get("refresh_token")?.is_some() => "refresh_token",
        None if grant_type_optional => "authorization_code",
        _ => required("grant_type")?,
    };
    Ok(match grant_type {
        "authorization_code" => TokenRequest::AuthorizationCode {
            code: required("code")?,
            redirect_uri: get("redirect_uri")?,
            code_verifier: get("code_verifier")?,
        },
        "refresh_token" => TokenRequest::RefreshToken {
            refresh_token: required("refresh_token")?,
            scope: scope(get("scope")?)?,
            redirect_uri: get("redirect_uri")?,
        },
        "client_credentials" => TokenRequest::ClientCredentials {
            scope: scope(get("scope")?)?.unwrap_or_default(),
        },
        "password" => TokenRequest::Password {
            username: required("username")?,
            password: required("password")?,
            scope: scope(get("scope")?)?.unwrap_or_default(),
        },
        super::token_exchange::GRANT => TokenRequest::TokenExchange(
            super::token_exchange::Request::parse(params, scope(get("scope")?)?)?,
        ),
        crate::config::DEVICE_CODE_GRANT => TokenRequest::DeviceCode {
            device_code: required("device_code")?,
        },
        JWT_BEARER_GRANT => TokenRequest::JwtBearer {
            assertion: required("assertion")?,
            scope: scope(get("scope")?)?.unwrap_or_default(),
        },
        other => {
            return Err(Error::token(
                TokenErrorCode::UnsupportedGrantType,
                format!("grant_type {other:?} is not supported"),
            ));
        }
    })
}

/// RFC 9449 §4.3, §5: the token request's DPoP proof, judged; the thumbprint of its key, which
/// the tokens are then bound to. `None` without a proof, unless the client must send one.
fn dpop_proof(
    issuer: &Issuer,
    client: &ClientConfig,
    headers: &HeaderMap,
    context: &Request<'_>,
) -> Result<Option<String>, Error> {
    use fauxauth_core::dpop;
    let invalid = |why: String| Error::token(TokenErrorCode::InvalidDpopProof, why);
    if issuer.settings.preset != Preset::Generic {
        // The real providers have no DPoP: a proof is ignored, as theirs would ignore it.
        return Ok(None);
    }
    let proof = dpop::single(headers.get_all("dpop").iter()).map_err(|e| invalid(e.to_string()))?;
    let Some(proof) = proof else {
        if client.dpop_bound_access_tokens {
            return Err(invalid(
                "this client's tokens are bound to its key: send a DPoP proof \
                 (dpop_bound_access_tokens, RFC 9449 §5.2)"
                    .into(),
            ));
        }
        return Ok(None);
    };
    let url = issuer
        .endpoint_url(crate::preset::Endpoint::Token, context.tenant)
        .unwrap_or_default();
    let now = issuer.now();
    let nonces = issuer.dpop_nonces();
    let expected = dpop::Expected {
        method: "POST",
        url: &url,
        now: fauxauth_core::unix(now),
        access_token: None,
        nonces: context.dpop_nonce.then_some(&nonces[..]),
    };
    let proof = dpop::check(proof, &expected).map_err(|e| match e {
        dpop::ProofError::UseNonce(why) => Error::token(TokenErrorCode::UseDpopNonce, why),
        dpop::ProofError::Invalid(why) => invalid(why),
    })?;
    // §11.1: a proof is used once.
    if !issuer.store().spend_dpop_proof(&proof, now) {
        return Err(invalid(
            "the DPoP proof's jti was used before: a proof is good for one request (RFC 9449 \
             §11.1)"
                .into(),
        ));
    }
    Ok(Some(proof.jkt))
}

/// RFC 6749 §4.1.3: the code must be this client's, unexpired, unused; `redirect_uri` identical
/// when the authorization request had one; the PKCE verifier must match (RFC 7636 §4.6) and must
/// be absent when no challenge was sent (RFC 9700 §4.8.2).
fn authorization_code(
    issuer: &Issuer,
    client: &ClientConfig,
    code: &str,
    (redirect_uri, code_verifier): (Option<&str>, Option<&str>),
    minting: &Minting<'_>,
    install: bool,
) -> Result<serde_json::Value, Error> {
    let check = |c: &Code| -> Result<(), Error> {
        if c.client_id != client.client_id {
            return Err(
                Error::invalid_grant("the code was issued to another client")
                    .because(Reason::CodeOfAnotherClient),
            );
        }
        if let Some(bound) = &c.dpop_jkt
            && minting.dpop_jkt != Some(bound.as_str())
        {
            return Err(Error::token(
                TokenErrorCode::InvalidDpopProof,
                "the code is bound to a key (dpop_jkt): redeem it with a DPoP proof by that key \
                 (RFC 9449 §10)",
            ));
        }
        match redirect_uri {
            None if c.redirect_uri_in_request => {
                return Err(Error::invalid_request(
                    "redirect_uri is required: the authorization request included it (RFC 6749 §4.1.3)",
                )
                .because(Reason::RedirectUriMismatch));
            }
            Some(given) if given != c.redirect_uri => {
                return Err(Error::invalid_grant(
                    "redirect_uri differs from the one in the authorization request",
                )
                .because(Reason::RedirectUriMismatch));
            }
            _ => {}
        }
        match (&c.challenge, code_verifier) {
            (Some(_), None) => Err(Error::invalid_grant(
                "code_verifier is required (RFC 7636 §4.5)",
            )
            .because(Reason::PkceFailed)),
            (Some((challenge, method)), Some(verifier)) => {
                if pkce::verify(verifier, challenge, *method) {
                    Ok(())
                } else {
                    Err(
                        Error::invalid_grant("code_verifier does not match the code_challenge")
                            .because(Reason::PkceFailed),
                    )
                }
            }
            (None, Some(_)) => Err(Error::invalid_grant(
                "code_verifier was sent, but the authorization request had no code_challenge \
                 (RFC 9700 §4.8.2)",
            )
            .because(Reason::PkceFailed)),
            (None, None) => Ok(()),
        }
    };
    let now = issuer.now();
    let until = now + issuer.access_token_lifetime();
    let (grant, code) = issuer
        .store()
        .redeem_code(code, now, until, check)
        .map_err(|e| match e {
            RedeemError::Invalid => {
                Error::invalid_grant("the code is invalid or expired").because(Reason::BadCode)
            }
            RedeemError::Replayed => Error::invalid_grant(
                "the code was already used; tokens issued from it are revoked (RFC 6749 §4.1.2)",
            )
            .because(Reason::CodeReplayed),
            RedeemError::Refused(e) => e,
        })?;
    let user = issuer
        .user(&code.username)
        .ok_or_else(|| Error::invalid_grant("the user of this code no longer exists"))?;
    let issued = issue(
        issuer,
        client,
        &Subject {
            grant,
            user: Some(&user),
            auth_time: Some(code.auth_time),
            sid: code.sid.as_deref(),
            nonce: code.nonce.as_deref(),
            claims: Some(&code.claims),
            exchanged: crate::tokens::Exchanged {
                audience: code
                    .audience
                    .as_deref()
                    .filter(|_| issuer.quirks.opaque_without_audience),
                ..Default::default()
            },
        },
        code.scope.clone(),
        Mint {
            id_token: code.scope.contains("openid"),
            refresh_token: client.allows_grant(GrantType::RefreshToken)
                && refresh_token_for_code(issuer, client, &code),
        },
        minting,
    );
    if install {
        // Slack's installation: a bot token for the bot's scopes, beside the person's, under
        // the same grant (a replayed code revokes both).
        let bot = code
            .bot_scope
            .clone()
            .filter(|s| !s.is_empty())
            .map(|scope| {
                let bot = Subject {
                    grant,
                    user: None,
                    auth_time: None,
                    sid: None,
                    nonce: None,
                    claims: None,
                    exchanged: crate::tokens::Exchanged::default(),
                };
                let no_more = Mint {
                    id_token: false,
                    refresh_token: false,
                };
                issue(issuer, client, &bot, scope, no_more, minting)
            });
        let person = (!code.scope.is_empty()).then_some(&issued);
        return Ok(super::slack_install::install_answer(
            client,
            &user,
            person,
            bot.as_ref(),
        ));
    }
    Ok(issued.response_body())
}

/// Whether redeeming `code` yields a refresh token, as the preset decides: never for a GitHub
/// OAuth App; for Google only with `access_type=offline`, on a user's first consent to the client
/// or when `prompt=consent` asked again; for Microsoft only with `offline_access`.
fn refresh_token_for_code(issuer: &Issuer, client: &ClientConfig, code: &Code) -> bool {
    match issuer.settings.preset {
        Preset::Github => issuer.quirks.github_app_tokens,
        // Only with token rotation, which a Slack app has off unless it opts in.
        Preset::Slack => false,
        // Auth0 too (with "Allow Offline Access" on the API, which fauxauth assumes), and Okta.
        Preset::Microsoft | Preset::Auth0 | Preset::Okta => code.scope.contains("offline_access"),
        _ if issuer.quirks.refresh_token_on_first_consent_only => {
            code.offline
                && (issuer
                    .store()
                    .first_offline_consent(&code.username, &client.client_id)
                    || code.consent_prompted)
        }
        _ => true,
    }
}

/// RFC 6749 §6 with rotation and reuse detection (RFC 9700 §4.14.2). The scope may narrow but
/// never widen; omitted, it is the original grant's. With `quirks.redirect_uri_on_refresh`
/// (GitLab) the request must repeat the `redirect_uri` of the code the grant came from.
fn refresh(
    issuer: &Issuer,
    client: &ClientConfig,
    refresh_token: &str,
    (scope, redirect_uri): (Option<Scopes>, Option<&str>),
    minting: &Minting<'_>,
) -> Result<serde_json::Value, Error> {
    let now = issuer.now();
    let quirks = &issuer.quirks;
    // Google keeps one refresh token; Entra issues a new one and the old one stays valid.
    let rotate = issuer.settings.refresh_token_rotation
        && !quirks.refresh_token_on_first_consent_only
        && !quirks.refresh_token_kept
        && !quirks.refresh_tokens_stay_valid;
    // Scope is judged before the token is spent: a refused refresh leaves the client its token.
    let check = |grant: &crate::store::Grant, token: &crate::store::RefreshToken| {
        if quirks.redirect_uri_on_refresh
            && let Some(issued_for) = &grant.redirect_uri
        {
            match redirect_uri {
                None => {
                    return Err(Error::token(
                        TokenErrorCode::InvalidRequest,
                        "redirect_uri is required when refreshing (as GitLab's documentation \
                         says)",
                    ));
                }
                Some(presented) if presented != issued_for => {
                    return Err(Error::invalid_grant(
                        "redirect_uri is not the one the grant's code was issued for",
                    )
                    .because(Reason::RedirectUriMismatch));
                }
                Some(_) => {}
            }
        }
        if let Some(bound) = &token.jkt
            && minting.dpop_jkt != Some(bound.as_str())
        {
            return Err(Error::token(
                TokenErrorCode::InvalidDpopProof,
                "the refresh token is bound to a key: refresh with a DPoP proof by that key (RFC \
                 9449 §5)",
            ));
        }
        match &scope {
            Some(requested) if !requested.is_subset_of(&grant.scope) => Err(Error::token(
                TokenErrorCode::InvalidScope,
                "the requested scope exceeds the original grant (RFC 6749 §6)",
            )),
            _ => Ok(()),
        }
    };
    let (grant_id, grant) = issuer
        .store()
        .use_refresh_token(refresh_token, &client.client_id, rotate, now, check)
        .map_err(|e| match e {
            RefreshError::Invalid => {
                Error::invalid_grant("the refresh token is invalid, expired or revoked")
                    .because(Reason::BadRefreshToken)
            }
            RefreshError::OtherClient => {
                Error::invalid_grant("the refresh token was issued to another client")
                    .because(Reason::BadRefreshToken)
            }
            RefreshError::Reused => Error::invalid_grant(
                "the refresh token was already used; its grant is revoked (RFC 9700 §4.14.2)",
            )
            .because(Reason::RefreshTokenReused),
            RefreshError::Refused(e) => e,
        })?;
    let scope = scope.unwrap_or_else(|| grant.scope.clone());
    let user = match &grant.username {
        Some(name) => Some(
            issuer
                .user(name)
                .ok_or_else(|| Error::invalid_grant("the user of this grant no longer exists"))?,
        ),
        None => None,
    };
    let issued = issue(
        issuer,
        client,
        &Subject {
            grant: grant_id,
            user: user.as_deref(),
            auth_time: grant.auth_time,
            sid: grant.sid.as_deref(),
            // OIDC Core §12.2: a refreshed ID token SHOULD NOT carry a nonce.
            nonce: None,
            claims: Some(&grant.claims),
            exchanged: crate::tokens::Exchanged {
                audience: grant
                    .audience
                    .as_deref()
                    .filter(|_| issuer.quirks.opaque_without_audience),
                ..Default::default()
            },
        },
        scope.clone(),
        Mint {
            id_token: scope.contains("openid"),
            refresh_token: rotate || quirks.refresh_tokens_stay_valid,
        },
        minting,
    );
    Ok(issued.response_body())
}

/// RFC 6749 §4.3: the user's own username and password, handed to the client (RFC 9700 §2.4:
/// MUST NOT be used; a client has it only when configured). A user configured without a
/// password is taken with any, as the login page asks none.
fn password_grant(
    issuer: &Issuer,
    client: &ClientConfig,
    username: &str,
    password: &str,
    scope: Scopes,
    minting: &Minting<'_>,
) -> Result<serde_json::Value, Error> {
    if let Some(problem) = issuer.scope_problem(client, &scope) {
        return Err(Error::token(TokenErrorCode::InvalidScope, problem));
    }
    let user = issuer
        .user(username)
        .filter(|user| match &user.password {
            Some(expected) => bool::from(expected.as_bytes().ct_eq(password.as_bytes())),
            None => true,
        })
        .ok_or_else(|| {
            // §5.2: the same answer whether the user is unknown or the password wrong.
            Error::invalid_grant("the username or the password is wrong")
        })?;
    let mint = Mint {
        id_token: scope.contains("openid"),
        refresh_token: client.allows_grant(GrantType::RefreshToken),
    };
    Ok(issue_on_a_new_grant(
        issuer,
        client,
        NewGrant::new(Some(&user), scope, mint),
        minting,
    )
    .response_body())
}

/// RFC 7523 §2.1 and §3: a JWT from a trusted issuer about a user, signed by that issuer's key;
/// its `aud` this server, unexpired, used once (by its `jti`, or the whole assertion when it has
/// none). Its `sub` is a user's subject. Tokens for that user, no refresh token: the client asks
/// again with a new assertion. Every refusal is `invalid_grant` (RFC 7523 §3.1).
async fn jwt_bearer(
    issuer: &Issuer,
    client: &ClientConfig,
    assertion: &str,
    scope: Scopes,
    minting: &Minting<'_>,
) -> Result<serde_json::Value, Error> {
    let refused = |why: String| Error::invalid_grant(format!("the assertion is refused: {why}"));
    let (_, unverified) = super::client_auth::peek(assertion).map_err(refused)?;
    let iss = unverified.get("iss").and_then(serde_json::Value::as_str);
    let trusted = issuer
        .settings
        .trusted_issuers
        .iter()
        .find(|t| Some(t.issuer.as_str()) == iss)
        .ok_or_else(|| {
            refused(format!(
                "its iss {} is not a trusted issuer",
                iss.map_or_else(|| "(none)".to_owned(), fauxauth_core::jose::shown)
            ))
        })?;
    let claims = super::client_auth::verify_signed(
        issuer,
        assertion,
        trusted.keys(),
        trusted.jwks_uri.as_deref(),
        "the trusted issuer's",
    )
    .await
    .map_err(refused)?;
    let endpoints: Vec<String> = issuer
        .endpoint_url(crate::preset::Endpoint::Token, None)
        .into_iter()
        .collect();
    let now = issuer.now();
    let accepted = client_assertion::check(
        &claims,
        &client_assertion::Expected {
            parties: client_assertion::Parties::Grant {
                iss: &trusted.issuer,
            },
            issuer: &issuer.url,
            endpoints: &endpoints,
            rule: issuer.settings.client_assertion_audience,
            now: fauxauth_core::unix(now) as i64,
        },
    )
    .map_err(|e| refused(e.to_string()))?;
    if let Some(problem) = issuer.scope_problem(client, &scope) {
        return Err(Error::token(TokenErrorCode::InvalidScope, problem));
    }
    // Without a jti, the assertion itself is what may not come twice.
    let id = accepted.jti.clone().unwrap_or_else(|| {
        use sha2::Digest as _;
        let digest = sha2::Sha256::digest(assertion.as_bytes());
        digest.iter().map(|b| format!("{b:02x}")).collect()
    });
    let until = std::time::UNIX_EPOCH + std::time::Duration::from_secs(accepted.exp.max(0) as u64);
    if !issuer.store().spend_assertion_id(
        &format!("grant from {}", trusted.issuer),
        &id,
        until,
        now,
    ) {
        return Err(refused(
            "it was used before: an assertion grants once (RFC 7523 §3)".to_owned(),
        ));
    }
    let user = issuer.user_by_sub(&accepted.sub).ok_or_else(|| {
        refused(format!(
            "no user has sub {}",
            fauxauth_core::jose::shown(&accepted.sub)
        ))
    })?;
    let mint = Mint {
        id_token: scope.contains("openid"),
        refresh_token: false,
    };
    Ok(issue_on_a_new_grant(
        issuer,
        client,
        NewGrant::new(Some(&user), scope, mint),
        minting,
    )
    .response_body())
}

/// RFC 8628 §3.4-§3.5: a poll for a device code. The person's answer comes first, when a rule
/// or the issuer's `device_approval` gives one; then too soon is `slow_down` (the interval
/// grows by 5 s), no answer yet `authorization_pending`, a denial `access_denied`, an expired
/// code `expired_token`; an approval issues the tokens once.
fn device_grant(
    issuer: &Issuer,
    client: &ClientConfig,
    device_code: &str,
    decision: Option<&DeviceDecision>,
    minting: &Minting<'_>,
) -> Result<serde_json::Value, Error> {
    let now = issuer.now();
    let scripted = |request: &crate::store::DeviceRequest| -> Option<DeviceState> {
        match decision {
            Some(DeviceDecision::Approve { user }) => {
                return Some(super::device::approved(user, now));
            }
            Some(DeviceDecision::Deny) => return Some(DeviceState::Denied),
            None => {}
        }
        let approval = issuer.settings.device_approval.as_ref()?;
        (now >= request.created_at + approval.after)
            .then(|| super::device::approved(&approval.user, now))
    };
    let error = |code, description: &str| Error::token(code, description.to_owned());
    let poll = issuer
        .store()
        .poll_device(device_code, &client.client_id, now, scripted);
    let (username, auth_time, scope) = match poll {
        Poll::Approved {
            username,
            auth_time,
            scope,
        } => (username, auth_time, scope),
        Poll::Unknown => {
            return Err(Error::invalid_grant("the device code is unknown")
                .because(Reason::UnknownDeviceCode));
        }
        Poll::OtherClient => {
            return Err(
                Error::invalid_grant("the device code was issued to another client")
                    .because(Reason::UnknownDeviceCode),
            );
        }
        Poll::Spent => {
            return Err(Error::invalid_grant(
                "the device code was used already: its tokens were issued",
            )
            .because(Reason::UnknownDeviceCode));
        }
        Poll::Expired => {
            return Err(error(
                TokenErrorCode::ExpiredToken,
                "the device code expired: ask for a new one (RFC 8628 §3.5)",
            ));
        }
        Poll::SlowDown { interval } => {
            return Err(error(
                TokenErrorCode::SlowDown,
                &format!(
                    "polled sooner than the interval, which is now {interval} s (RFC 8628 §3.5)"
                ),
            )
            .because(Reason::PolledTooSoon { interval }));
        }
        Poll::Pending => {
            return Err(error(
                TokenErrorCode::AuthorizationPending,
                "the person has not answered yet",
            ));
        }
        Poll::Denied => {
            return Err(error(
                TokenErrorCode::AccessDenied,
                "the person denied the device",
            ));
        }
    };
    let user = issuer
        .user(&username)
        .ok_or_else(|| Error::invalid_grant("the user who approved no longer exists"))?;
    let mint = Mint {
        id_token: scope.contains("openid"),
        refresh_token: client.allows_grant(GrantType::RefreshToken),
    };
    let grant = NewGrant {
        auth_time: Some(auth_time),
        ..NewGrant::new(Some(&user), scope, mint)
    };
    let issued = issue_on_a_new_grant(issuer, client, grant, minting);
    Ok(issued.response_body())
}

/// RFC 6749 §4.4: a confidential client acting for itself; no refresh token (§4.4.3).
fn client_credentials(
    issuer: &Issuer,
    client: &ClientConfig,
    scope: Scopes,
    minting: &Minting<'_>,
) -> Result<serde_json::Value, Error> {
    let invalid_scope = |m: String| Error::token(TokenErrorCode::InvalidScope, m);
    if scope.contains("openid") {
        return Err(invalid_scope(
            "openid needs a user; client_credentials has none".into(),
        ));
    }
    if let Some(problem) = issuer.scope_problem(client, &scope) {
        return Err(invalid_scope(problem));
    }
    let mint = Mint {
        id_token: false,
        refresh_token: false,
    };
    Ok(
        issue_on_a_new_grant(issuer, client, NewGrant::new(None, scope, mint), minting)
            .response_body(),
    )
}
