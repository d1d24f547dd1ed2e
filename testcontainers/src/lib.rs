//! A [testcontainers](https://docs.rs/testcontainers) image for fauxauth: start the provider in
//! a container from a Rust test and get its issuer URL.
//!
//! ```no_run
//! use fauxauth_testcontainers::Fauxauth;
//!
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! let fauxauth = Fauxauth::default().with_port(19400);
//! let issuer = fauxauth.issuer_url();
//! let _container = fauxauth.start().await?; // host networking: the provider is on 127.0.0.1
//! // ... point the app under test at `issuer` ...
//! # Ok(()) }
//! ```
//!
//! The image is built locally by `image/build.sh` as `fauxauth:latest` (nothing is pulled). The
//! container runs with host networking, listening on `127.0.0.1:<port>`, and is ready once the
//! provider has announced its admin API on stdout (which it does after its issuers).

use std::borrow::Cow;

use testcontainers::core::WaitFor;
use testcontainers::{ContainerAsync, Image, ImageExt as _};

/// The fauxauth image, configured.
#[derive(Clone, Debug)]
pub struct Fauxauth {
    tag: String,
    port: u16,
    tls: bool,
    env: Vec<(String, String)>,
}

impl Default for Fauxauth {
    fn default() -> Self {
        Self {
            tag: "latest".to_owned(),
            port: 9000,
            tls: false,
            env: Vec::new(),
        }
    }
}

impl Fauxauth {
    /// The port the provider listens on (on the host's loopback: the container shares its network).
    pub fn with_port(mut self, port: u16) -> Self {
        self.port = port;
        self
    }

    /// The provider's configuration as YAML (what `fauxauth provider --config` reads).
    pub fn with_config_yaml(mut self, yaml: impl Into<String>) -> Self {
        self.env
            .push(("FAUXAUTH_CONFIG_YAML".to_owned(), yaml.into()));
        self
    }

    /// Serve HTTPS, with a certificate from the authority fauxauth's seed derives; the client
    /// under test trusts [`Fauxauth::ca_certificate_pem`] (write it to a file for
    /// `SSL_CERT_FILE`, `NODE_EXTRA_CA_CERTS`, ...).
    pub fn with_tls(mut self) -> Self {
        self.tls = true;
        self
    }

    /// The certificate of the authority the container's HTTPS certificate comes from (PEM): the
    /// one `fauxauth ca` writes for the same seed.
    pub fn ca_certificate_pem(&self) -> String {
        let seed = self
            .env
            .iter()
            .find(|(name, _)| name == "FAUXAUTH_SEED")
            .map_or(fauxauth_core::DEFAULT_SEED, |(_, seed)| seed.as_str());
        fauxauth_core::Authority::from_seed(seed)
            .certificate_pem()
            .to_owned()
    }

    /// Seeds keys, codes, tokens and the certificate authority.
    pub fn with_seed(mut self, seed: impl Into<String>) -> Self {
        self.env.push(("FAUXAUTH_SEED".to_owned(), seed.into()));
        self
    }

    /// Another image tag than `latest`.
    pub fn with_tag(mut self, tag: impl Into<String>) -> Self {
        self.tag = tag.into();
        self
    }

    /// The root issuer's URL once the container runs.
    pub fn issuer_url(&self) -> String {
        let scheme = if self.tls { "https" } else { "http" };
        format!("{scheme}://127.0.0.1:{}", self.port)
    }

    /// Starts the container with host networking and waits until the provider serves.
    pub async fn start(self) -> testcontainers::core::error::Result<ContainerAsync<Fauxauth>> {
        use testcontainers::runners::AsyncRunner as _;
        self.with_network("host").start().await
    }
}

impl Image for Fauxauth {
    fn name(&self) -> &str {
        "fauxauth"
    }

    fn tag(&self) -> &str {
        &self.tag
    }

    fn ready_conditions(&self) -> Vec<WaitFor> {
        // The provider prints `issuer: ...` lines, then `admin: ...`, once it listens.
        vec![WaitFor::message_on_stdout("admin: ")]
    }

    fn env_vars(
        &self,
    ) -> impl IntoIterator<Item = (impl Into<Cow<'_, str>>, impl Into<Cow<'_, str>>)> {
        let mut env = vec![
            ("FAUXAUTH_HOST".to_owned(), "127.0.0.1".to_owned()),
            ("FAUXAUTH_PORT".to_owned(), self.port.to_string()),
        ];
        if self.tls {
            env.push(("FAUXAUTH_TLS".to_owned(), "true".to_owned()));
        }
        env.extend(self.env.iter().cloned());
        env
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_image_listens_on_the_chosen_loopback_port() {
        let image = Fauxauth::default()
            .with_port(19401)
            .with_config_yaml("issuers: [{name: a}]");
        assert_eq!(image.issuer_url(), "http://127.0.0.1:19401");
        let env: Vec<(String, String)> = image
            .env_vars()
            .into_iter()
            .map(|(k, v)| (k.into().into_owned(), v.into().into_owned()))
            .collect();
        assert!(env.contains(&("FAUXAUTH_PORT".into(), "19401".into())));
        assert!(env.contains(&("FAUXAUTH_HOST".into(), "127.0.0.1".into())));
        assert!(env.contains(&("FAUXAUTH_CONFIG_YAML".into(), "issuers: [{name: a}]".into())));
        assert_eq!((image.name(), image.tag()), ("fauxauth", "latest"));
    }

    #[test]
    fn with_tls_the_issuer_is_https_and_the_authority_follows_the_seed() {
        let image = Fauxauth::default().with_port(19402).with_tls();
        assert_eq!(image.issuer_url(), "https://127.0.0.1:19402");
        let env: Vec<(String, String)> = image
            .env_vars()
            .into_iter()
            .map(|(k, v)| (k.into().into_owned(), v.into().into_owned()))
            .collect();
        assert!(env.contains(&("FAUXAUTH_TLS".into(), "true".into())));
        let default = image.ca_certificate_pem();
        assert!(default.starts_with("-----BEGIN CERTIFICATE-----"));
        assert_ne!(image.with_seed("another").ca_certificate_pem(), default);
    }
}
