//! Which issuer the provider's metadata and ID tokens may name, per preset. OpenID Connect says
//! exactly one: the configured issuer, in the metadata (Discovery §4.3) and in every ID token's
//! `iss` (Core §3.1.3.7 step 2). Two providers document otherwise, and apps written against them
//! do what their documentation says:
//! - Google: an ID token's `iss` is `https://accounts.google.com` or, for legacy
//!   implementations, `accounts.google.com`; validators are told to accept both.
//! - Microsoft, multi-tenant (`common`, `organizations`): the metadata's `issuer` is the
//!   template `{base}/{tenantid}/v2.0`; each ID token's `iss` is the user's tenant, which
//!   Microsoft's libraries check by putting the token's `tid` in the template. `consumers`
//!   names the one tenant of personal accounts.
//!
//! No I/O and no weakness here: the ID token verifier applies the rule, or skips it under
//! `skip-id-token-iss-check`.

use fauxauth_core::preset::{Preset, microsoft};

/// How an ID token's `iss` is judged, once discovery has settled it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum IssuerRule {
    /// Exactly this issuer (OIDC Core §3.1.3.7 step 2).
    Exact(String),
    /// This issuer, or the same without its scheme (Google's legacy spelling).
    OrWithoutScheme(String),
    /// This template (`{base}/{tenantid}/v2.0`), its placeholder replaced by the token's `tid`.
    TenantTemplate(String),
}

impl IssuerRule {
    /// The rule for a provider whose metadata names `advertised`, when the client was configured
    /// with `configured`; `Err` says why the metadata names the wrong issuer.
    pub fn from_metadata(
        preset: Preset,
        configured: &str,
        advertised: &str,
    ) -> Result<Self, String> {
        let mismatch = || format!("unexpected issuer URI `{advertised}` (expected `{configured}`)");
        match preset {
            Preset::Google if advertised == configured => {
                Ok(Self::OrWithoutScheme(configured.to_owned()))
            }
            Preset::Microsoft if advertised != configured => {
                let tenant_issuer = |tenant: &str| with_tenant(configured, tenant);
                match tenant(configured) {
                    Some("common" | "organizations")
                        if Some(advertised)
                            == tenant_issuer(microsoft::TENANT_ID_PLACEHOLDER).as_deref() =>
                    {
                        Ok(Self::TenantTemplate(advertised.to_owned()))
                    }
                    Some("consumers")
                        if Some(advertised)
                            == tenant_issuer(microsoft::CONSUMERS_TENANT_ID).as_deref() =>
                    {
                        Ok(Self::Exact(advertised.to_owned()))
                    }
                    _ => Err(mismatch()),
                }
            }
            _ if advertised == configured => Ok(Self::Exact(configured.to_owned())),
            _ => Err(mismatch()),
        }
    }

    /// The issuer as the metadata names it: what an RFC 9207 `iss` is compared with.
    pub fn metadata_issuer(&self) -> &str {
        match self {
            Self::Exact(issuer) | Self::OrWithoutScheme(issuer) | Self::TenantTemplate(issuer) => {
                issuer
            }
        }
    }

    /// The one `iss` an ID token carrying `tid` may name, in full; `Err` says why there is none
    /// (a multi-tenant rule and no `tid`, or one that is no tenant id).
    pub fn expected(&self, tid: Option<&str>) -> Result<String, String> {
        match self {
            Self::Exact(issuer) | Self::OrWithoutScheme(issuer) => Ok(issuer.clone()),
            Self::TenantTemplate(template) => match tid {
                Some(tid) if is_guid(tid) => {
                    Ok(template.replace(microsoft::TENANT_ID_PLACEHOLDER, tid))
                }
                Some(tid) => Err(format!(
                    "the ID token's tid {tid:?} is not a tenant id, so it names no issuer under {template:?}"
                )),
                None => Err(format!(
                    "the ID token has no tid, so it names no issuer under {template:?}"
                )),
            },
        }
    }

    /// Whether `iss` is another spelling this rule accepts for its issuer: Google's, without
    /// the scheme. Never the full issuer itself, which [`IssuerRule::expected`] gives.
    pub fn accepts_legacy_spelling(&self, iss: &str) -> bool {
        match self {
            Self::OrWithoutScheme(issuer) => without_scheme(issuer) == Some(iss),
            _ => false,
        }
    }
}

/// `accounts.google.com` for `https://accounts.google.com`.
fn without_scheme(issuer: &str) -> Option<&str> {
    issuer
        .strip_prefix("https://")
        .or_else(|| issuer.strip_prefix("http://"))
}

/// The tenant segment of a Microsoft issuer, `{base}/{tenant}/v2.0`: a path segment, never the
/// host.
pub(crate) fn tenant(issuer: &str) -> Option<&str> {
    let (base, tenant) = issuer.strip_suffix("/v2.0")?.rsplit_once('/')?;
    (base.contains("://") && !tenant.is_empty()).then_some(tenant)
}

/// The issuer `{base}/{tenant}/v2.0` with another tenant.
fn with_tenant(issuer: &str, tenant: &str) -> Option<String> {
    let current = self::tenant(issuer)?;
    let base = issuer.strip_suffix(&format!("/{current}/v2.0"))?;
    Some(format!("{base}/{tenant}/v2.0"))
}

/// A GUID as Microsoft writes tenant ids: 8-4-4-4-12 hexadecimal digits.
fn is_guid(value: &str) -> bool {
    let groups: Vec<&str> = value.split('-').collect();
    groups.len() == 5
        && groups
            .iter()
            .zip([8, 4, 4, 4, 12])
            .all(|(group, len)| group.len() == len && group.bytes().all(|b| b.is_ascii_hexdigit()))
}

#[cfg(test)]
mod tests {
    use super::*;

    const BASE: &str = "http://127.0.0.1:9000";
    const TENANT: &str = "72f988bf-86f1-41af-91ab-2d7cd011db47";

    fn issuer(tenant: &str) -> String {
        format!("{BASE}/{tenant}/v2.0")
    }

    #[test]
    fn generic_wants_the_configured_issuer_exactly() {
        let rule = IssuerRule::from_metadata(Preset::Generic, BASE, BASE).unwrap();
        assert_eq!(rule, IssuerRule::Exact(BASE.into()));
        assert!(!rule.accepts_legacy_spelling("127.0.0.1:9000"));
        let err = IssuerRule::from_metadata(Preset::Generic, BASE, "http://evil").unwrap_err();
        assert_eq!(
            err,
            "unexpected issuer URI `http://evil` (expected `http://127.0.0.1:9000`)"
        );
    }

    #[test]
    fn google_accepts_its_issuer_without_the_scheme_and_nothing_else() {
        let rule = IssuerRule::from_metadata(Preset::Google, BASE, BASE).unwrap();
        assert_eq!(rule.expected(None).unwrap(), BASE);
        assert!(rule.accepts_legacy_spelling("127.0.0.1:9000"));
        for other in [
            BASE,
            "127.0.0.1:9001",
            "127.0.0.1",
            "evil.example",
            "//127.0.0.1:9000",
        ] {
            assert!(!rule.accepts_legacy_spelling(other), "{other}");
        }
        let https = IssuerRule::OrWithoutScheme("https://accounts.google.com".into());
        assert!(https.accepts_legacy_spelling("accounts.google.com"));
        assert!(IssuerRule::from_metadata(Preset::Google, BASE, "http://evil").is_err());
    }

    #[test]
    fn microsoft_multi_tenant_metadata_may_name_the_template() {
        let template = issuer("{tenantid}");
        for tenant in ["common", "organizations"] {
            let rule =
                IssuerRule::from_metadata(Preset::Microsoft, &issuer(tenant), &template).unwrap();
            assert_eq!(rule, IssuerRule::TenantTemplate(template.clone()));
            assert_eq!(rule.metadata_issuer(), template);
            assert_eq!(rule.expected(Some(TENANT)).unwrap(), issuer(TENANT));
            assert!(rule.expected(None).unwrap_err().contains("no tid"));
            assert!(
                rule.expected(Some("../evil"))
                    .unwrap_err()
                    .contains("not a tenant id")
            );
        }
    }

    #[test]
    fn the_template_is_refused_for_one_tenant_and_without_the_preset() {
        let template = issuer("{tenantid}");
        for tenant in [TENANT, "consumers", "contoso.onmicrosoft.com"] {
            assert!(
                IssuerRule::from_metadata(Preset::Microsoft, &issuer(tenant), &template).is_err(),
                "{tenant}"
            );
        }
        assert!(IssuerRule::from_metadata(Preset::Generic, &issuer("common"), &template).is_err());
        let rule =
            IssuerRule::from_metadata(Preset::Microsoft, &issuer(TENANT), &issuer(TENANT)).unwrap();
        assert_eq!(rule, IssuerRule::Exact(issuer(TENANT)));
    }

    #[test]
    fn consumers_metadata_names_the_personal_accounts_tenant() {
        let msa = issuer(microsoft::CONSUMERS_TENANT_ID);
        let rule =
            IssuerRule::from_metadata(Preset::Microsoft, &issuer("consumers"), &msa).unwrap();
        assert_eq!(rule, IssuerRule::Exact(msa));
        assert!(
            IssuerRule::from_metadata(Preset::Microsoft, &issuer("common"), &issuer(TENANT))
                .is_err()
        );
    }

    #[test]
    fn the_tenant_is_the_segment_before_the_version() {
        assert_eq!(tenant(&issuer("common")), Some("common"));
        assert_eq!(tenant("http://127.0.0.1:9000/v2.0"), None);
        assert_eq!(tenant("http://127.0.0.1:9000/common"), None);
        assert_eq!(tenant("http://127.0.0.1:9000/common/v2.0/"), None);
        assert_eq!(
            with_tenant(&issuer("common"), "{tenantid}").as_deref(),
            Some("http://127.0.0.1:9000/{tenantid}/v2.0")
        );
    }

    #[test]
    fn tenant_ids_are_guids() {
        assert!(is_guid(TENANT));
        assert!(is_guid(microsoft::CONSUMERS_TENANT_ID));
        for bad in [
            "",
            "common",
            "72f988bf86f141af91ab2d7cd011db47",
            "72f988bf-86f1-41af-91ab-2d7cd011db4g",
            "72f988bf-86f1-41af-91ab-2d7cd011db47/x",
        ] {
            assert!(!is_guid(bad), "{bad}");
        }
    }
}
