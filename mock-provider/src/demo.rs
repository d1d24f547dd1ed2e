//! The demo a provider serves when it is given no configuration: a confidential client, a public
//! client, and a few users made by `fake` from a fixed seed, the same on every run.

use fake::Fake as _;
use fake::faker::address::en::{CityName, CountryCode};
use fake::faker::name::en::{FirstName, LastName};
use rand::SeedableRng as _;
use rand_chacha::ChaCha8Rng;
use sha2::{Digest, Sha256};

use crate::config::{ClientConfig, GrantType, IssuerConfig, UserConfig};

pub const WEB_CLIENT_ID: &str = "demo-web";
pub const WEB_CLIENT_SECRET: &str = "demo-web-secret-change-me";
pub const SPA_CLIENT_ID: &str = "demo-spa";
const REDIRECT_URIS: [&str; 3] = [
    "http://127.0.0.1:8080/callback",
    "http://localhost:8080/callback",
    "http://localhost:3000/callback",
];

/// The demo issuer for `seed`.
pub fn issuer(seed: &str) -> IssuerConfig {
    let mut web = ClientConfig::confidential(WEB_CLIENT_ID, WEB_CLIENT_SECRET, REDIRECT_URIS[0]);
    web.redirect_uris = REDIRECT_URIS.map(str::to_owned).to_vec();
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
    issuer.users = users(seed, 3);
    issuer
}

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
}
