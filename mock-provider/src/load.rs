//! Reading a configuration: YAML parsed strictly, the demo issuer when it names none, then
//! validation, with each problem put back on the line of the file it came from. Above both the
//! schema (`config.rs`) and the demo (`demo.rs`), which know nothing of files.

use std::path::Path;

use serde::Deserialize;

use crate::config::{Config, Place};

/// A configuration file that could not be loaded: every message names the file and line.
#[derive(Debug, thiserror::Error)]
#[error("{}", .messages.join("\n"))]
pub struct LoadError {
    pub messages: Vec<String>,
}

impl Config {
    /// Reads and validates a YAML configuration file.
    pub fn load(path: &Path) -> Result<Self, LoadError> {
        let text = std::fs::read_to_string(path).map_err(|e| LoadError {
            messages: vec![format!("{}: cannot read: {e}", path.display())],
        })?;
        Self::from_yaml(&text, &path.display().to_string())
    }

    /// Parses and validates YAML; `origin` names the source in messages (a file name, or the
    /// environment variable the text came from).
    pub fn from_yaml(text: &str, origin: &str) -> Result<Self, LoadError> {
        let config: Config = if text.trim().is_empty() {
            Config::default()
        } else {
            fauxauth_core::yaml::from_str(text).map_err(|e| LoadError {
                messages: vec![e.describe(origin)],
            })?
        };
        let mut config = config;
        if config.issuers.is_empty() {
            config.issuers = vec![crate::demo::issuer(&config.seed)];
        }
        // A preset's issuer lives as the real provider's does, but for what the file sets.
        if config
            .issuers
            .iter()
            .any(|i| i.preset != crate::preset::Preset::Generic)
        {
            let given: GivenLifetimes = serde_saphyr::from_str(text).unwrap_or_default();
            for (n, issuer) in config.issuers.iter_mut().enumerate() {
                let keys = given.issuers.get(n).map(|i| &i.lifetimes);
                issuer.lifetimes.apply_preset(issuer.preset, |key| {
                    keys.is_some_and(|keys| keys.contains_key(key))
                });
            }
        }
        config.validate().map_err(|problems| {
            // The text parsed, so it parses again into the location index.
            let index: LocationIndex = serde_saphyr::from_str(text).unwrap_or_default();
            LoadError {
                messages: problems
                    .iter()
                    .map(|p| match index.line_of(p.place) {
                        Some(line) => format!("{origin}:{line}: {p}"),
                        None => format!("{origin}: {p}"),
                    })
                    .collect(),
            }
        })?;
        Ok(config)
    }
}

/// The `lifetimes` each issuer of a file sets, by key.
#[derive(Debug, Default, Deserialize)]
struct GivenLifetimes {
    #[serde(default)]
    issuers: Vec<IssuerLifetimes>,
}

#[derive(Debug, Default, Deserialize)]
struct IssuerLifetimes {
    #[serde(default)]
    lifetimes: std::collections::BTreeMap<String, serde::de::IgnoredAny>,
}

/// The lines where issuers, clients and users begin, for validation messages.
#[derive(Debug, Default, Deserialize)]
struct LocationIndex {
    #[serde(default)]
    issuers: Vec<serde_saphyr::Spanned<IssuerLocations>>,
}

#[derive(Debug, Default, Deserialize)]
struct IssuerLocations {
    #[serde(default)]
    clients: Vec<fauxauth_core::yaml::Mark>,
    #[serde(default)]
    users: Vec<fauxauth_core::yaml::Mark>,
    #[serde(default)]
    trusted_issuers: Vec<fauxauth_core::yaml::Mark>,
}

impl LocationIndex {
    fn line_of(&self, place: Place) -> Option<u64> {
        let issuer = |i: usize| self.issuers.get(i);
        let loc = match place {
            Place::Root => return None,
            Place::Issuer(i) => issuer(i)?.referenced,
            Place::Client(i, c) => issuer(i)?.value.clients.get(c)?.referenced,
            Place::User(i, u) => issuer(i)?.value.users.get(u)?.referenced,
            Place::TrustedIssuer(i, t) => issuer(i)?.value.trusted_issuers.get(t)?.referenced,
        };
        Some(loc.line())
    }
}
