//! From a presented token to an [`AccessToken`], by the configured mode: the thin async layer
//! between the protocol core and the issuer.

use std::sync::Arc;

use fauxauth_core::preset::Preset;
use serde_json::{Map, Value};

use crate::ResourceState;
use crate::config::Mode;
use crate::error::Error;
use crate::issuer::{KeyRefusal, Unavailable};
use crate::protocol::claims::{self, Checked, Expected};
use crate::protocol::invalid::Invalid;
use crate::token::AccessToken;
use fauxauth_core::jose::{self, HeaderRules};

impl ResourceState {
    /// Validates `token` as the configuration says: locally against the issuer's JWKS
    /// (RFC 9068 §4), or by asking the issuer (RFC 7662).
    pub async fn verify(&self, token: &str) -> Result<AccessToken, Error> {
        let realm = self.realm();
        let mode = self.config().mode();
        let outcome = match mode {
            Mode::Jwt => self.verify_jwt(token).await,
            Mode::Introspection => self.verify_by_introspection(token).await,
        };
        match outcome {
            Ok((checked, claims)) => Ok(AccessToken::new(
                checked,
                claims,
                mode,
                Arc::from(token),
                self.realm_arc(),
            )),
            Err(Refused::Invalid(why)) => {
                tracing::debug!(realm, "token refused: {why}");
                Err(Error::invalid_token(realm, why.to_string()))
            }
            Err(Refused::Unavailable(Unavailable(why))) => Err(Error::Unavailable(why)),
        }
    }

    async fn verify_jwt(&self, token: &str) -> Result<(Checked, Map<String, Value>), Refused> {
        let config = self.config();
        let header = jose::check_header(
            token,
            HeaderRules {
                allowed_algs: &config.allowed_algs,
                required_typ: config.require_at_jwt.then_some("at+jwt"),
            },
        )
        .map_err(Invalid::from)?;
        let key = self.issuer().key_for(&header).await.map_err(|e| match e {
            KeyRefusal::Invalid(why) => Refused::Invalid(why),
            KeyRefusal::Unavailable(why) => Refused::Unavailable(why),
        })?;
        let claims = key.verify(token).map_err(Invalid::from)?;
        // "now" is read after the awaits above, so a clock moved meanwhile is seen.
        let checked = claims::check_jwt_claims(&claims, &self.expected())?;
        Ok((checked, claims))
    }

    async fn verify_by_introspection(
        &self,
        token: &str,
    ) -> Result<(Checked, Map<String, Value>), Refused> {
        let answer = self
            .issuer()
            .introspect(token)
            .await
            .map_err(Refused::Unavailable)?;
        let checked = if self.config().preset == Preset::Generic {
            claims::check_introspection(&answer, &self.expected())?
        } else {
            claims::check_preset_introspection(&answer, &self.expected())?
        };
        Ok((checked, answer))
    }

    fn expected(&self) -> Expected<'_> {
        let config = self.config();
        Expected {
            issuer: &config.issuer,
            audience: &config.audience,
            leeway: i64::try_from(config.leeway.as_secs()).unwrap_or(i64::MAX),
            now: i64::try_from(config.clock.unix_seconds()).unwrap_or(i64::MAX),
        }
    }
}

enum Refused {
    Invalid(Invalid),
    Unavailable(Unavailable),
}

impl From<Invalid> for Refused {
    fn from(why: Invalid) -> Self {
        Self::Invalid(why)
    }
}
