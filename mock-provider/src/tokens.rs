//! The tokens an issuer mints: JWT access tokens (RFC 9068), ID tokens (OIDC Core §2), and
//! opaque refresh tokens; and the claims a user releases for a set of scopes (OIDC Core §5.4).

use std::sync::Arc;

use fauxauth_core::unix;

use serde::Serialize;
use serde_json::{Map, Value, json};

use crate::config::{ClientConfig, UserConfig};
use crate::issuer::Issuer;
use fauxauth_core::rules::{SignWith, TokenChange, TokenTarget};

use crate::keys::{SigningKey, half_hash};
use crate::preset::Preset;
use crate::protocol::scope::Scopes;
use crate::store::{AccessToken, GrantId, RefreshToken};

pub use crate::claims::{ACCESS_TOKEN_TYP, AccessTokenClaims};

/// OIDC Core §2 ID token claims, with the user's released claims beside them.
#[derive(Debug, Serialize)]
struct IdTokenClaims<'a> {
    iss: &'a str,
    sub: &'a str,
    aud: &'a str,
    exp: u64,
    iat: u64,
    auth_time: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    nonce: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    at_hash: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    sid: Option<&'a str>,
    #[serde(flatten)]
    claims: Map<String, Value>,
}

/// What a grant says about the user and the authorization, for minting.
#[derive(Debug)]
pub struct Subject<'a> {
    pub grant: GrantId,
    /// `None` for `client_credentials`: the client is the subject.
    pub user: Option<&'a UserConfig>,
    pub auth_time: Option<u64>,
    pub sid: Option<&'a str>,
    pub nonce: Option<&'a str>,
    /// What the `claims` parameter asked for (OpenID Connect Core §5.5), when it was sent.
    pub claims: Option<&'a crate::protocol::claims_request::ClaimsRequest>,
    /// What a token exchange changes (RFC 8693): the subject when it is a client, the audience,
    /// the actor. Default for every other grant.
    pub exchanged: Exchanged<'a>,
}

/// A token exchange's say in an access token (RFC 8693 §2.1, §4.1).
#[derive(Debug, Default)]
pub struct Exchanged<'a> {
    /// The client the subject token was about, when it was about no user.
    pub client_subject: Option<&'a str>,
    /// The audience asked for; the issuer's `access_token_audience` when `None`.
    pub audience: Option<&'a str>,
    /// The `act` claim.
    pub act: Option<Value>,
}

/// Tokens issued in one token response.
#[derive(Debug)]
pub struct Issued {
    pub access_token: String,
    /// `Bearer`, or `DPoP` for a token bound to a key (RFC 9449 §5).
    pub token_type: &'static str,
    pub expires_in: u64,
    pub scope: Scopes,
    pub id_token: Option<String>,
    pub refresh_token: Option<String>,
}

impl Issued {
    /// The token response body (RFC 6749 §5.1; OIDC Core §3.1.3.3).
    pub fn response_body(&self) -> Value {
        let mut body = json!({
            "access_token": self.access_token,
            "token_type": self.token_type,
            "expires_in": self.expires_in,
            "scope": self.scope.to_string(),
        });
        if let Some(refresh) = &self.refresh_token {
            body["refresh_token"] = json!(refresh);
        }
        if let Some(id_token) = &self.id_token {
            body["id_token"] = json!(id_token);
        }
        body
    }
}

/// What the token request itself asks of every token minted for it, whatever its grant.
#[derive(Clone, Copy, Debug, Default)]
pub struct Minting<'a> {
    /// What rules change in the tokens (tokens made to fail validation).
    pub changes: &'a [TokenChange],
    /// The thumbprint of the key the request proved it holds (RFC 9449): the access token is
    /// bound to it (`cnf.jkt`, `token_type: DPoP`).
    pub dpop_jkt: Option<&'a str>,
}

/// What to mint besides the access token.
#[derive(Clone, Copy, Debug)]
pub struct Mint {
    pub id_token: bool,
    pub refresh_token: bool,
}

/// Mints and records tokens for `client` under an open grant, with the changes rules asked for
/// (tokens that must fail validation). The access token is signed with the issuer's own key, the
/// ID token with the key of the client's `id_token_signed_response_alg`.
pub fn issue(
    issuer: &Issuer,
    client: &ClientConfig,
    subject: &Subject<'_>,
    scope: Scopes,
    mint: Mint,
    minting: &Minting<'_>,
) -> Issued {
    let client_id = client.client_id.as_str();
    let now = issuer.now();
    let iat = unix(now);
    let lifetimes = &issuer.settings.lifetimes;
    let sub = subject.user.map_or(
        subject.exchanged.client_subject.unwrap_or(client_id),
        UserConfig::sub,
    );
    let jti = issuer.random_id();
    let access_exp = now + issuer.access_token_lifetime();
    let claims = AccessTokenClaims {
        iss: issuer.url.clone(),
        sub: sub.to_owned(),
        aud: subject
            .exchanged
            .audience
            .unwrap_or(&issuer.settings.access_token_audience)
            .to_owned(),
        exp: unix(access_exp),
        iat,
        jti: jti.clone(),
        client_id: client_id.to_owned(),
        scope: scope.to_string(),
        auth_time: subject.auth_time,
        nbf: None,
        act: subject.exchanged.act.clone(),
        cnf: minting.dpop_jkt.map(|jkt| json!({ "jkt": jkt })),
        preset: preset_access_claims(issuer, client_id, subject.user, &scope),
    };
    // Okta: the access token's `sub` is the user's login, its `uid` the user id.
    let claims = match subject.user {
        Some(user) if issuer.quirks.access_token_sub_is_login => AccessTokenClaims {
            sub: user
                .claims
                .get("preferred_username")
                .or_else(|| user.claims.get("email"))
                .and_then(Value::as_str)
                .unwrap_or(&user.username)
                .to_owned(),
            ..claims
        },
        _ => claims,
    };
    let key = issuer.signing_key();
    let for_access: Vec<&TokenChange> = minting
        .changes
        .iter()
        .filter(|c| c.target.includes(TokenTarget::AccessToken))
        .collect();
    // An opaque token is recorded under its own value, with what it stands for.
    // Auth0: without an `audience` the token is opaque, good at `/userinfo` alone.
    let opaque = issuer.quirks.opaque_access_tokens
        || (issuer.quirks.opaque_without_audience && subject.exchanged.audience.is_none());
    let (access_token, opaque) = if opaque {
        let value = issuer.new_opaque_access_token(subject.user.is_some());
        (value, Some(Box::new(claims)))
    } else if for_access.is_empty() {
        (key.sign(ACCESS_TOKEN_TYP, &claims), None)
    } else {
        (
            sign_changed(
                issuer,
                client,
                &key,
                ACCESS_TOKEN_TYP,
                &claims,
                &for_access,
                iat,
            ),
            None,
        )
    };
    let for_id: Vec<&TokenChange> = minting
        .changes
        .iter()
        .filter(|c| c.target.includes(TokenTarget::IdToken))
        .collect();

    let id_token = match subject.user {
        Some(user) if mint.id_token => {
            let iss = id_token_issuer(issuer, user);
            let key = issuer.id_token_key(client.id_token_alg(issuer.settings.signing_alg));
            let claims = IdTokenClaims {
                iss: &iss,
                sub,
                aud: client_id,
                exp: unix(now + lifetimes.id_token),
                iat,
                auth_time: subject.auth_time.unwrap_or(iat),
                nonce: subject.nonce,
                at_hash: Some(half_hash(key.alg(), &access_token)),
                sid: subject.sid,
                claims: preset_claims(issuer, client_id, user, {
                    let mut released = released_claims(user, &scope);
                    if let Some(requested) = subject.claims {
                        crate::protocol::claims_request::add_requested(
                            &mut released,
                            &user.claims,
                            &requested.id_token,
                        );
                    }
                    if issuer.quirks.string_booleans {
                        crate::preset::apple::stringify_booleans(&mut released);
                    }
                    released
                }),
            };
            Some(if for_id.is_empty() {
                key.sign("JWT", &claims)
            } else {
                sign_changed(issuer, client, &key, "JWT", &claims, &for_id, iat)
            })
        }
        _ => None,
    };
    let refresh = mint
        .refresh_token
        .then(|| (issuer.new_refresh_token(), now + lifetimes.refresh_token));

    let mut store = issuer.store();
    store.insert_access_token(
        if opaque.is_some() {
            access_token.clone()
        } else {
            jti
        },
        AccessToken {
            grant: subject.grant,
            client_id: client_id.to_owned(),
            expires_at: access_exp,
            revoked: false,
            opaque,
        },
        now,
    );
    if let Some((value, expires_at)) = &refresh {
        store.insert_refresh_token(
            value.clone(),
            RefreshToken {
                grant: subject.grant,
                client_id: client_id.to_owned(),
                issued_at: now,
                expires_at: *expires_at,
                spent: false,
                jkt: minting
                    .dpop_jkt
                    .filter(|_| client.is_public())
                    .map(str::to_owned),
            },
            now,
        );
    }
    drop(store);

    Issued {
        access_token,
        token_type: if minting.dpop_jkt.is_some() {
            "DPoP"
        } else {
            "Bearer"
        },
        expires_in: issuer.access_token_lifetime().as_secs(),
        scope,
        id_token,
        refresh_token: refresh.map(|(value, _)| value),
    }
}

/// A grant opened now, with no authorization before it (the password, client credentials, JWT
/// bearer and device grants, token exchange): for `user`, or for the client itself.
#[derive(Debug)]
pub struct NewGrant<'a> {
    pub user: Option<&'a UserConfig>,
    /// When the user authenticated: now when `None`.
    pub auth_time: Option<u64>,
    pub scope: Scopes,
    pub mint: Mint,
    /// What a token exchange changes.
    pub exchanged: Exchanged<'a>,
}

impl<'a> NewGrant<'a> {
    /// For `user` (authenticated now) or the client, with nothing exchanged.
    pub fn new(user: Option<&'a UserConfig>, scope: Scopes, mint: Mint) -> Self {
        Self {
            user,
            auth_time: None,
            scope,
            mint,
            exchanged: Exchanged::default(),
        }
    }
}

/// Opens `grant` and issues its tokens.
pub fn issue_on_a_new_grant(
    issuer: &Issuer,
    client: &ClientConfig,
    grant: NewGrant<'_>,
    minting: &Minting<'_>,
) -> Issued {
    let NewGrant {
        user,
        auth_time,
        scope,
        mint,
        exchanged,
    } = grant;
    let now = issuer.now();
    let auth_time = user.map(|_| auth_time.unwrap_or_else(|| fauxauth_core::unix(now)));
    let grant = issuer.store().open_grant(crate::store::Grant {
        username: user.map(|u| u.username.clone()),
        scope: scope.clone(),
        auth_time,
        sid: None,
        redirect_uri: None,
        audience: None,
        revoked: false,
        claims: Default::default(),
        expires_at: now + issuer.access_token_lifetime(),
    });
    let subject = Subject {
        grant,
        user,
        auth_time,
        sid: None,
        nonce: None,
        claims: None,
        exchanged,
    };
    issue(issuer, client, &subject, scope, mint, minting)
}

/// The `iss` of an ID token: the issuer, but for Microsoft the user's own tenant (`tid`), and
/// for Google's legacy spelling the issuer without its scheme.
fn id_token_issuer(issuer: &Issuer, user: &UserConfig) -> String {
    match issuer.settings.preset {
        Preset::Microsoft => format!("{}/{}/v2.0", issuer.base, user_tenant(issuer, user)),
        _ if issuer.quirks.issuer_without_scheme => {
            crate::preset::google::without_scheme(&issuer.url).to_owned()
        }
        _ => issuer.url.clone(),
    }
}

fn user_tenant(issuer: &Issuer, user: &UserConfig) -> String {
    user.claims
        .get("tid")
        .and_then(Value::as_str)
        .unwrap_or(&issuer.tenant_id)
        .to_owned()
}

/// What a preset's access tokens carry besides RFC 9068's claims: Keycloak's `typ`, `azp`,
/// `preferred_username` and, with `quirks.realm_roles_in_tokens`, the user's realm and client
/// roles (`realm_access`, `resource_access`, as the user's claims hold them); with Okta's
/// `access_token_sub_is_login`, `ver`, `cid`, `uid` and `scp`.
fn preset_access_claims(
    issuer: &Issuer,
    client_id: &str,
    user: Option<&UserConfig>,
    scope: &Scopes,
) -> Map<String, Value> {
    let mut claims = Map::new();
    if issuer.quirks.access_token_sub_is_login {
        // Okta's: `ver`, the client as `cid`, the user id as `uid`, the scopes as a list.
        claims.insert("ver".into(), 1.into());
        claims.insert("cid".into(), client_id.into());
        if let Some(user) = user {
            claims.insert("uid".into(), user.sub().into());
        }
        let scopes: Vec<&str> = scope.iter().collect();
        claims.insert("scp".into(), scopes.into());
    }
    if issuer.settings.preset != Preset::Keycloak {
        return claims;
    }
    claims.insert("typ".into(), "Bearer".into());
    claims.insert("azp".into(), client_id.into());
    if let Some(user) = user {
        claims.insert("preferred_username".into(), user.username.clone().into());
        if issuer.quirks.realm_roles_in_tokens {
            for name in ["realm_access", "resource_access"] {
                if let Some(roles) = user.claims.get(name) {
                    claims.insert(name.into(), roles.clone());
                }
            }
        }
    }
    claims
}

/// The claims Keycloak puts in access tokens alone (its "roles" scope's mappers): taken out of
/// what ID tokens and UserInfo release.
pub fn without_roles(claims: &mut Map<String, Value>) {
    claims.remove("realm_access");
    claims.remove("resource_access");
}

/// The claims a preset's ID tokens always carry: Google's `azp`; Microsoft's `tid`, `oid` and
/// `ver`; Keycloak's `azp`, `typ` and `preferred_username` (OIDC Core §2 allows any others).
fn preset_claims(
    issuer: &Issuer,
    client_id: &str,
    user: &UserConfig,
    mut claims: Map<String, Value>,
) -> Map<String, Value> {
    match issuer.settings.preset {
        Preset::Google => {
            claims.insert("azp".into(), client_id.into());
        }
        Preset::Microsoft => {
            claims.insert("tid".into(), user_tenant(issuer, user).into());
            if !claims.contains_key("oid") {
                let oid = fauxauth_core::preset::microsoft::default_oid(user.sub());
                claims.insert("oid".into(), oid.into());
            }
            claims.insert("ver".into(), "2.0".into());
        }
        Preset::Keycloak => {
            without_roles(&mut claims);
            claims.insert("typ".into(), "ID".into());
            claims.insert("azp".into(), client_id.into());
            claims.insert("preferred_username".into(), user.username.clone().into());
        }
        _ => {}
    }
    claims
}

/// Signs `claims` after applying `changes` to them and to the signature: a token made to fail.
/// `active` is the key that signs the token unchanged; a rogue key is one of its algorithm.
pub(crate) fn sign_changed<T: Serialize>(
    issuer: &Issuer,
    client: &ClientConfig,
    active: &Arc<SigningKey>,
    typ: &str,
    claims: &T,
    changes: &[&TokenChange],
    now: u64,
) -> String {
    const HOUR: u64 = 3600;
    let mut value = serde_json::to_value(claims).expect("claims serialize");
    let object = value.as_object_mut().expect("claims are an object");
    let mut sign_with = SignWith::Active;
    let mut omit_kid = false;
    for change in changes {
        for (name, claim) in &change.set_claims {
            object.insert(name.clone(), claim.clone());
        }
        for name in &change.remove_claims {
            object.remove(name);
        }
        if change.expired {
            object.insert("exp".into(), json!(now.saturating_sub(HOUR)));
        }
        if change.iat_in_future {
            object.insert("iat".into(), json!(now + HOUR));
        }
        if change.nbf_in_future {
            object.insert("nbf".into(), json!(now + HOUR));
        }
        if let Some(iss) = &change.iss {
            object.insert("iss".into(), json!(iss));
        }
        if let Some(aud) = &change.aud {
            object.insert("aud".into(), json!(aud));
        }
        if change.wrong_at_hash {
            object.insert(
                "at_hash".into(),
                json!(half_hash(active.alg(), "not the access token")),
            );
        }
        if change.wrong_nonce {
            object.insert("nonce".into(), json!("not-the-nonce-that-was-sent"));
        }
        if change.sign_with != SignWith::Active {
            sign_with = change.sign_with;
        }
        omit_kid |= change.omit_kid;
    }
    let key = match sign_with {
        SignWith::None => return SigningKey::unsigned(typ, &value),
        SignWith::ClientSecret => {
            // The algorithm confusion: HMAC keyed with what the client holds. A public client
            // has no secret; an empty key stands in, and the token fails the same way.
            let mut header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256);
            header.typ = Some(typ.to_owned());
            let secret = client.client_secret.as_deref().unwrap_or_default();
            return jsonwebtoken::encode(
                &header,
                &value,
                &jsonwebtoken::EncodingKey::from_secret(secret.as_bytes()),
            )
            .expect("HS256 signs any claims");
        }
        SignWith::Rogue => issuer.rogue_key(active.alg()),
        SignWith::Active => active.clone(),
    };
    let mut header = jsonwebtoken::Header::new(key.alg().jwt_algorithm());
    header.typ = Some(typ.to_owned());
    header.kid = (!omit_kid).then(|| key.kid().to_owned());
    key.sign_with_header(&header, &value)
}

/// Why an access token is not accepted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Inactive {
    /// Not a JWT this issuer signed with a published key, or not an access token.
    Unrecognised,
    Expired,
    /// Its `nbf` (or `iat`) is still ahead.
    NotYetValid,
    /// Revoked directly, or through its grant (replayed code, reused refresh token).
    Revoked,
}

impl Inactive {
    pub fn describe(self) -> &'static str {
        match self {
            Self::Unrecognised => "the access token is not one this provider issued",
            Self::Expired => "the access token has expired",
            Self::NotYetValid => "the access token is not valid yet",
            Self::Revoked => "the access token has been revoked",
        }
    }
}

/// Checks an access token this issuer minted: signature and `alg` with a published key,
/// `typ: at+jwt`, `iss`, `exp` against the virtual clock, and that neither it nor its grant was
/// revoked.
pub fn verify_access_token(issuer: &Issuer, token: &str) -> Result<AccessTokenClaims, Inactive> {
    if is_opaque(issuer, token) {
        let now = issuer.now();
        let store = issuer.store();
        let record = store.access_token(token).ok_or(Inactive::Unrecognised)?;
        let claims = record.opaque.as_deref().ok_or(Inactive::Unrecognised)?;
        return match store.active_access_token(token, now) {
            Some(_) => Ok(claims.clone()),
            None if now >= record.expires_at => Err(Inactive::Expired),
            None => Err(Inactive::Revoked),
        };
    }
    let (claims, header) = issuer
        .verify_jwt::<AccessTokenClaims>(token)
        .ok_or(Inactive::Unrecognised)?;
    if header.typ.as_deref() != Some(ACCESS_TOKEN_TYP) || claims.iss != issuer.url {
        return Err(Inactive::Unrecognised);
    }
    let now = issuer.now();
    if unix(now) >= claims.exp {
        return Err(Inactive::Expired);
    }
    // RFC 7662 §2.2: active only "within its given time window of validity" (RFC 7519 §4.1.5).
    if claims.nbf.is_some_and(|nbf| nbf > unix(now)) || claims.iat > unix(now) {
        return Err(Inactive::NotYetValid);
    }
    match issuer.store().active_access_token(&claims.jti, now) {
        Some(_) => Ok(claims),
        None => Err(Inactive::Revoked),
    }
}

/// Whether `token` is one of the issuer's opaque access tokens, held under its own value: every
/// one with `opaque_access_tokens`, those issued without an `audience` with Auth0's
/// `opaque_without_audience`.
pub fn is_opaque(issuer: &Issuer, token: &str) -> bool {
    issuer.quirks.opaque_access_tokens
        || (issuer.quirks.opaque_without_audience
            && issuer
                .store()
                .access_token(token)
                .is_some_and(|r| r.opaque.is_some()))
}

/// The claims a user releases for `scope` (OIDC Core §5.4). Claims outside the standard set are
/// the configuration's own and are always released.
pub fn released_claims(user: &UserConfig, scope: &Scopes) -> Map<String, Value> {
    user.claims
        .iter()
        .filter(|(name, _)| match scope_of_claim(name) {
            Some(needed) => scope.contains(needed),
            None => true,
        })
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect()
}

/// The scope that releases a standard claim (OIDC Core §5.4), `None` for other claims.
fn scope_of_claim(claim: &str) -> Option<&'static str> {
    Some(match claim {
        "name" | "family_name" | "given_name" | "middle_name" | "nickname"
        | "preferred_username" | "profile" | "picture" | "website" | "gender" | "birthdate"
        | "zoneinfo" | "locale" | "updated_at" => "profile",
        // Apple's `is_private_email` says what the address is.
        "email" | "email_verified" | "is_private_email" => "email",
        "address" => "address",
        "phone_number" | "phone_number_verified" => "phone",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn claims_follow_scopes() {
        let user = UserConfig::new("alice")
            .with_claim("name", "Alice")
            .with_claim("email", "a@example.com")
            .with_claim("phone_number", "+1")
            .with_claim("groups", json!(["admins"]));
        let only_email = released_claims(&user, &Scopes::parse("openid email").unwrap());
        assert_eq!(
            Value::Object(only_email),
            json!({"email": "a@example.com", "groups": ["admins"]})
        );
        let profile = released_claims(&user, &Scopes::parse("openid profile").unwrap());
        assert!(profile.contains_key("name") && !profile.contains_key("phone_number"));
    }
}
