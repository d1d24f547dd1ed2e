//! The demo a provider serves when it is given no configuration: a confidential client, a public
//! client, and a few users made by `fake` from a fixed seed, the same on every run.

use fake::Fake as _;
use fake::faker::address::en::{CityName, CountryCode};
use fake::faker::name::en::{FirstName, LastName};
use rand::SeedableRng as _;
use rand_chacha::ChaCha8Rng;
use sha2::{Digest, Sha256};

use fauxauth_core::preset::microsoft::CONSUMERS_TENANT_ID;
use rand::Rng as _;

use crate::config::{
    ClientConfig, ClockConfig, Config, GrantType, IssuerConfig, LoginMode, UserConfig, default_seed,
};
use crate::preset::Preset;

pub const WEB_CLIENT_ID: &str = "demo-web";
pub const WEB_CLIENT_SECRET: &str = "demo-web-secret-change-me";

/// The demo's trusted issuer (see [`issuer`]).
pub const DEMO_TRUSTED_ISSUER: &str = "https://idp.example";

/// The public half of the published test key (`scenarios/keys/scenario-client.pem`), which the
/// demo's confidential client may sign `private_key_jwt` assertions with.
pub fn demo_client_jwk() -> serde_json::Value {
    serde_json::json!({
        "kty": "EC", "crv": "P-256", "alg": "ES256", "use": "sig", "kid": "scenario-client",
        "x": "3cbgZD_yV4_hFFvGkLSXnYnwRflo71aP1hKE3oBMDyc",
        "y": "mCBaq-VAbv56u36AwWm_dzN39W6NBjHQwEx7dSJvjAs",
    })
}
pub const SPA_CLIENT_ID: &str = "demo-spa";
const REDIRECT_URIS: [&str; 3] = [
    "http://127.0.0.1:8080/callback",
    "http://localhost:8080/callback",
    "http://localhost:3000/callback",
];

impl Default for Config {
    /// The demo: one root issuer with a confidential client, a public client and three users.
    fn default() -> Self {
        Self {
            seed: default_seed(),
            base_url: None,
            issuers: vec![issuer(&default_seed())],
            rules: Vec::new(),
            clock: ClockConfig::default(),
            admin_token: None,
            limits: fauxauth_core::Limits::default(),
            tls: None,
        }
    }
}

impl Config {
    /// The demo of a preset: one issuer at the root that looks like Google, GitHub or Microsoft,
    /// with a login page and the preset's fake users.
    pub fn preset(preset: Preset) -> Self {
        Self::single(preset_issuer(preset, &default_seed()))
    }
}

/// The demo issuer for `seed`.
pub fn issuer(seed: &str) -> IssuerConfig {
    let mut web = ClientConfig::confidential(WEB_CLIENT_ID, WEB_CLIENT_SECRET, REDIRECT_URIS[0]);
    web.redirect_uris = REDIRECT_URIS.map(str::to_owned).to_vec();
    // The demo's confidential client may try every grant, the legacy password grant included,
    // and every client authentication method: its secret, and for private_key_jwt the published
    // test key of `scenarios/keys/` (kid `scenario-client`).
    web.grant_types.extend([
        GrantType::Password,
        GrantType::JwtBearer,
        GrantType::TokenExchange,
        GrantType::DeviceCode,
    ]);
    web.jwks = Some(serde_json::json!({ "keys": [demo_client_jwk()] }));
    web.token_exchange.delegation = true;
    web.post_logout_redirect_uris = vec![
        "http://127.0.0.1:8080/".to_owned(),
        "http://localhost:8080/".to_owned(),
        "http://localhost:3000/".to_owned(),
    ];
    let mut spa = ClientConfig::public(SPA_CLIENT_ID, REDIRECT_URIS[0]);
    spa.redirect_uris = web.redirect_uris.clone();
    spa.post_logout_redirect_uris = web.post_logout_redirect_uris.clone();
    spa.grant_types = vec![GrantType::AuthorizationCode, GrantType::RefreshToken];

    let mut issuer = IssuerConfig::new("default")
        .with_client(web)
        .with_client(spa);
    // The scopes of the resource's demo API (`/api/items`), so demo tokens can carry them.
    issuer.scopes = vec!["items:read".to_owned(), "items:write".to_owned()];
    // An identity provider whose JWTs are authorization grants (RFC 7523 §2.1): it signs with
    // the published test key too, so `fauxauth assertion --issuer` can make one.
    issuer.trusted_issuers = vec![crate::config::TrustedIssuer {
        issuer: DEMO_TRUSTED_ISSUER.to_owned(),
        jwks: Some(serde_json::json!({ "keys": [demo_client_jwk()] })),
        jwks_uri: None,
    }];
    issuer.users = users(seed, DEMO_USERS);
    issuer
}

/// The demo issuer of `preset`: the same two clients, a login page, and fake users shaped like
/// the real provider's accounts (GitHub's numeric ids and a private email, Google's numeric
/// subjects and a Workspace domain, Entra's object ids and tenants), stable for a seed.
pub fn preset_issuer(preset: Preset, seed: &str) -> IssuerConfig {
    let mut issuer = issuer(seed);
    if preset == Preset::Generic {
        return issuer;
    }
    issuer.name = preset.as_str().to_owned();
    issuer.login = LoginMode::Page;
    dress(&mut issuer, preset, seed);
    issuer
}

/// Makes `issuer` the real provider's: its preset, the scopes the provider knows (every client
/// may ask for any of them), its lifetimes, and its users' accounts shaped like the provider's
/// (claims the provider does not give removed, its identifiers and emails), stable for a seed.
/// Users keep their usernames and names.
pub fn dress(issuer: &mut IssuerConfig, preset: Preset, seed: &str) {
    issuer.preset = preset;
    if preset == Preset::Generic {
        return;
    }
    for client in &mut issuer.clients {
        client.scopes = None;
    }
    issuer.lifetimes.apply_preset(preset, |_| false);
    let mut digits = ChaCha8Rng::from_seed(
        Sha256::digest(format!("fauxauth/preset-users/{seed}/{preset}")).into(),
    );
    match preset {
        Preset::Github => {
            issuer.scopes = GITHUB_SCOPES.map(str::to_owned).to_vec();
            for (i, user) in issuer.users.iter_mut().enumerate() {
                user.sub = Some(digits.random_range(1_000_000..200_000_000u64).to_string());
                // The second user keeps their email private: `/user` says `null`.
                if i == 1 {
                    user.claims.insert("email_public".into(), false.into());
                }
            }
        }
        Preset::Google => {
            issuer.scopes = Vec::new();
            for (i, user) in issuer.users.iter_mut().enumerate() {
                let sub: String = (0..21)
                    .map(|d| {
                        char::from(
                            b'0' + if d == 0 {
                                1
                            } else {
                                digits.random_range(0..10u8)
                            },
                        )
                    })
                    .collect();
                user.sub = Some(sub);
                user.claims.remove("address");
                user.claims.remove("preferred_username");
                let email = if i == 0 {
                    // A Google Workspace account: its domain is `hd`.
                    user.claims.insert("hd".into(), "example.com".into());
                    format!("{}@example.com", user.username)
                } else {
                    format!("{}@gmail.com", user.username)
                };
                user.claims.insert("email".into(), email.into());
                user.claims.insert(
                    "picture".into(),
                    format!("https://lh3.googleusercontent.com/a/{}", user.username).into(),
                );
            }
        }
        Preset::Microsoft => {
            issuer.scopes = vec!["User.Read".to_owned()];
            let last = issuer.users.len().saturating_sub(1);
            for (i, user) in issuer.users.iter_mut().enumerate() {
                let oid = fauxauth_core::preset::derived_guid(&format!(
                    "fauxauth/oid/{seed}/{}",
                    user.username
                ));
                user.claims.remove("address");
                user.claims.remove("email_verified");
                user.claims.remove("locale");
                // The last user is a personal Microsoft account (the `consumers` tenant).
                let domain = if i == last {
                    user.claims.insert("tid".into(), CONSUMERS_TENANT_ID.into());
                    "outlook.com"
                } else {
                    "contoso.onmicrosoft.com"
                };
                let upn = format!("{}@{domain}", user.username);
                user.claims.insert("oid".into(), oid.into());
                user.claims
                    .insert("preferred_username".into(), upn.clone().into());
                user.claims.insert("email".into(), upn.into());
            }
        }
        Preset::Okta => {
            issuer.scopes = Vec::new();
            // The default authorization server's access tokens are for `api://default`.
            issuer.access_token_audience = "api://default".to_owned();
            for user in &mut issuer.users {
                // Okta's user ids: `00u` and 17 letters and digits.
                let id = random_text(&mut digits, ALPHANUMERIC, 17);
                user.sub = Some(format!("00u{id}"));
                user.claims.remove("address");
                // The login is the email.
                if let Some(email) = user.claims.get("email").cloned() {
                    user.claims.insert("preferred_username".into(), email);
                }
                user.claims.insert("locale".into(), "en-US".into());
                user.claims
                    .insert("zoneinfo".into(), "America/Los_Angeles".into());
            }
        }
        Preset::Auth0 => {
            issuer.scopes = Vec::new();
            for user in &mut issuer.users {
                // `{connection}|{id}`: the database connection's users are `auth0|` and 24
                // hexadecimal digits.
                let id = random_text(&mut digits, HEX, 24);
                user.sub = Some(format!("auth0|{id}"));
                user.claims.remove("address");
                user.claims
                    .insert("nickname".into(), user.username.clone().into());
                // An ISO 8601 string, as Auth0 writes it (fauxauth's date).
                user.claims
                    .insert("updated_at".into(), "2030-01-01T00:00:00.000Z".into());
            }
        }
        Preset::Gitlab => {
            issuer.scopes = GITLAB_SCOPES.map(str::to_owned).to_vec();
            for user in &mut issuer.users {
                // GitLab's user ids are numbers; `sub` is the id as a string.
                let id = digits.random_range(1_000_000..30_000_000u64);
                user.sub = Some(id.to_string());
                user.claims.remove("address");
                let profile = format!("https://gitlab.com/{}", user.username);
                user.claims
                    .insert("nickname".into(), user.username.clone().into());
                user.claims
                    .insert("preferred_username".into(), user.username.clone().into());
                user.claims.insert("profile".into(), profile.into());
                user.claims.insert(
                    "picture".into(),
                    format!("https://gitlab.com/uploads/-/system/user/avatar/{id}/avatar.png")
                        .into(),
                );
            }
        }
        Preset::Keycloak => {
            // The client scopes a new realm gives every client besides OpenID Connect's.
            issuer.scopes = ["roles", "web-origins", "acr"].map(str::to_owned).to_vec();
            let realm = issuer.realm().to_owned();
            for (i, user) in issuer.users.iter_mut().enumerate() {
                // Keycloak's user ids are UUIDs.
                user.sub = Some(fauxauth_core::preset::derived_guid(&format!(
                    "fauxauth/keycloak-user/{seed}/{}",
                    user.username
                )));
                user.claims.remove("address");
                user.claims
                    .insert("preferred_username".into(), user.username.clone().into());
                // A new realm's default roles; the first user is also the realm's `admin`.
                let mut roles = vec![
                    format!("default-roles-{realm}"),
                    "offline_access".to_owned(),
                    "uma_authorization".to_owned(),
                ];
                if i == 0 {
                    roles.push("admin".to_owned());
                }
                user.claims
                    .insert("realm_access".into(), serde_json::json!({ "roles": roles }));
                user.claims.insert(
                    "resource_access".into(),
                    serde_json::json!({
                        "account": {
                            "roles": ["manage-account", "manage-account-links", "view-profile"]
                        }
                    }),
                );
            }
        }
        Preset::Discord => {
            issuer.scopes = DISCORD_SCOPES.map(str::to_owned).to_vec();
            for user in &mut issuer.users {
                // Snowflakes: 64-bit ids, written as strings, of 17 to 19 digits for accounts.
                let id = digits.random_range(100_000_000_000_000_000..1_400_000_000_000_000_000u64);
                user.sub = Some(id.to_string());
                user.claims.remove("address");
                user.claims.remove("given_name");
                user.claims.remove("family_name");
                user.claims.remove("preferred_username");
                // Migrated accounts' discriminator is "0"; the display name (`global_name` at
                // the API) is the name.
                user.claims.insert("discriminator".into(), "0".into());
                let avatar = random_text(&mut digits, HEX, 32);
                user.claims.insert("avatar".into(), avatar.into());
                user.claims.insert("locale".into(), "en-US".into());
                user.claims.insert("mfa_enabled".into(), false.into());
            }
        }
        Preset::Slack => {
            issuer.scopes = SLACK_SCOPES.map(str::to_owned).to_vec();
            // One workspace: Slack's ids are a letter and 10 capitals and digits.
            let mut id = |letter: char| {
                format!(
                    "{letter}{}",
                    random_text(&mut digits, b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ", 10)
                )
            };
            let team = id('T');
            for user in &mut issuer.users {
                let user_id = id('U');
                user.sub = Some(user_id.clone());
                user.claims.remove("address");
                user.claims.remove("preferred_username");
                user.claims
                    .insert("date_email_verified".into(), 1_893_456_000u64.into());
                user.claims.insert(
                    "picture".into(),
                    format!("https://avatars.slack-edge.com/{user_id}_512.png").into(),
                );
                for (claim, value) in [
                    ("user_id", user_id.as_str()),
                    ("team_id", team.as_str()),
                    ("team_name", "Fauxauth"),
                ] {
                    user.claims
                        .insert(format!("{}{claim}", SLACK_CLAIMS), value.into());
                }
            }
        }
        Preset::Apple => {
            issuer.scopes = vec!["name".to_owned()];
            // An app signs its client secret with its own key: the apps (the clients that sign
            // people in) lose their secrets and sign with the published test key instead, from
            // one team. Clients without redirect URIs (the resource's) keep theirs.
            for client in &mut issuer.clients {
                if client.client_secret.is_some() && !client.redirect_uris.is_empty() {
                    client.client_secret = None;
                    client.jwks = Some(serde_json::json!({ "keys": [demo_client_jwk()] }));
                    client.jwks_uri = None;
                    client.team_id = Some(APPLE_TEAM_ID.to_owned());
                }
            }
            for (i, user) in issuer.users.iter_mut().enumerate() {
                // fauxauth's choice of shape: digits, a dot, 32 hexadecimal digits, a dot, digits.
                let hex = random_text(&mut digits, HEX, 32);
                let sub = format!(
                    "{:06}.{hex}.{:04}",
                    digits.random_range(0..1_000_000u32),
                    digits.random_range(0..10_000u32)
                );
                user.sub = Some(sub);
                // The name Apple gives (once, in `user`) is a first and a last name.
                if let Some(name) = user.claims.remove("name")
                    && !user.claims.contains_key("given_name")
                    && let Some((first, last)) = name.as_str().and_then(|n| n.split_once(' '))
                {
                    user.claims.insert("given_name".into(), first.into());
                    user.claims.insert("family_name".into(), last.into());
                }
                for claim in ["address", "preferred_username", "locale"] {
                    user.claims.remove(claim);
                }
                // The second user hides their address behind Hide My Email.
                let private = i == 1;
                if private {
                    let relay = random_text(&mut digits, b"abcdefghijklmnopqrstuvwxyz", 10);
                    let address = format!(
                        "{relay}@{}",
                        fauxauth_core::preset::apple::PRIVATE_RELAY_DOMAIN
                    );
                    user.claims.insert("email".into(), address.into());
                }
                user.claims
                    .insert("is_private_email".into(), private.into());
                user.claims.insert("nonce_supported".into(), true.into());
            }
        }
        Preset::Generic => unreachable!("returned above"),
    }
}

/// The developer team of the Apple demo's apps (ten capitals and digits, as Apple's are).
pub const APPLE_TEAM_ID: &str = "FAUXAUTH00";

/// Where Slack's own claims are named (`https://slack.com/user_id`, ...).
const SLACK_CLAIMS: &str = "https://slack.com/";

/// Slack's scopes an app signing people in, or installed by them, asks for besides OpenID
/// Connect's (Slack's API documentation: the `identity.*` user scopes, and bot scopes).
const SLACK_SCOPES: [&str; 8] = [
    "identity.basic",
    "identity.email",
    "identity.avatar",
    "identity.team",
    "chat:write",
    "commands",
    "incoming-webhook",
    "users:read",
];

const HEX: &[u8] = b"0123456789abcdef";
const ALPHANUMERIC: &[u8] = b"0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";

/// `len` characters of `alphabet` drawn from `rng`: the demo users' ids, stable for a seed.
fn random_text(rng: &mut ChaCha8Rng, alphabet: &[u8], len: usize) -> String {
    (0..len)
        .map(|_| char::from(alphabet[rng.random_range(0..alphabet.len())]))
        .collect()
}

/// Discord's OAuth scopes an app signing people in asks for (Discord's documentation, "OAuth2
/// Scopes").
const DISCORD_SCOPES: [&str; 6] = [
    "identify",
    "email",
    "guilds",
    "guilds.join",
    "guilds.members.read",
    "connections",
];

/// GitHub's OAuth scopes the demo knows (GitHub Docs, "Scopes for OAuth apps").
const GITHUB_SCOPES: [&str; 6] = [
    "repo",
    "user",
    "read:user",
    "user:email",
    "gist",
    "read:org",
];

/// GitLab's OAuth scopes besides OpenID Connect's (its discovery document, 2024).
const GITLAB_SCOPES: [&str; 10] = [
    "api",
    "read_api",
    "read_user",
    "read_repository",
    "write_repository",
    "read_registry",
    "write_registry",
    "sudo",
    "admin_mode",
    "ai_features",
];

const DEMO_USERS: usize = 3;

/// `count` fake users, a pure function of `seed`.
pub fn users(seed: &str, count: usize) -> Vec<UserConfig> {
    let mut rng = ChaCha8Rng::from_seed(Sha256::digest(format!("fauxauth/users/{seed}")).into());
    let mut taken = Vec::new();
    (0..count)
        .map(|i| {
            let given: String = FirstName().fake_with_rng(&mut rng);
            let family: String = LastName().fake_with_rng(&mut rng);
            let city: String = CityName().fake_with_rng(&mut rng);
            let country: String = CountryCode().fake_with_rng(&mut rng);
            let mut username: String = given
                .to_lowercase()
                .chars()
                .filter(char::is_ascii_alphanumeric)
                .collect();
            if username.is_empty() || taken.contains(&username) {
                username = format!("{username}{i}");
            }
            taken.push(username.clone());
            let email = format!("{username}@example.com");
            UserConfig::new(&username)
                .with_claim("name", format!("{given} {family}"))
                .with_claim("given_name", given)
                .with_claim("family_name", family)
                .with_claim("preferred_username", username.clone())
                .with_claim("email", email)
                .with_claim("email_verified", true)
                .with_claim("locale", "en")
                .with_claim(
                    "address",
                    serde_json::json!({ "locality": city, "country": country }),
                )
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn users_are_stable_per_seed_and_differ_across_seeds() {
        let a = users("fauxauth", 3);
        assert_eq!(a, users("fauxauth", 3));
        assert_ne!(a, users("another", 3));
        let names: Vec<_> = a.iter().map(|u| u.username.as_str()).collect();
        let mut unique = names.clone();
        unique.dedup();
        assert_eq!(names.len(), unique.len());
        assert!(a.iter().all(|u| {
            u.claims["email"]
                .as_str()
                .unwrap()
                .ends_with("@example.com")
        }));
    }

    #[test]
    fn demo_issuer_is_valid() {
        let config = crate::Config::single(issuer("fauxauth"));
        assert_eq!(config.validate(), Ok(()));
    }

    #[test]
    fn preset_demos_are_valid_and_shaped_like_the_real_accounts() {
        for preset in Preset::ALL {
            let config = crate::Config::single(preset_issuer(preset, "fauxauth"));
            assert_eq!(config.validate(), Ok(()), "{preset}");
        }
        let github = preset_issuer(Preset::Github, "fauxauth");
        assert!(github.users.iter().all(|u| u.sub().parse::<u64>().is_ok()));
        assert_eq!(github.users[1].claims["email_public"], false);
        let google = preset_issuer(Preset::Google, "fauxauth");
        assert!(google.users.iter().all(|u| u.sub().len() == 21));
        assert_eq!(google.users[0].claims["hd"], "example.com");
        let microsoft = preset_issuer(Preset::Microsoft, "fauxauth");
        assert_eq!(microsoft.users[2].claims["tid"], CONSUMERS_TENANT_ID);
        assert_eq!(
            preset_issuer(Preset::Github, "fauxauth"),
            github,
            "stable per seed"
        );
    }
}
