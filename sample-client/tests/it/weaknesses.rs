//! Each weakness disables exactly one protection: the fault that protection catches gets through
//! (or, for `no-pkce`, gets one step further) with the weakness on, and every other fault is
//! caught exactly as before.

use std::time::Duration;

use sample_client::Weakness;
use serde_json::json;

use crate::helpers::*;

/// A fault, or a provider behaviour, that one protection of the client deals with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Scenario {
    StateTampered,
    CallbackIssWrong,
    ErrorBesideCode,
    IdTokenIssWrong,
    AudWrong,
    IdTokenExpired,
    NonceWrong,
    AtHashWrong,
    Unsigned,
    SignedByRogueKey,
    UserinfoAboutSomeoneElse,
    CodeInjected,
    RefreshTokensRotate,
    ResourceWantsTheHeader,
}

impl Scenario {
    const ALL: [Scenario; 14] = [
        Self::StateTampered,
        Self::CallbackIssWrong,
        Self::ErrorBesideCode,
        Self::IdTokenIssWrong,
        Self::AudWrong,
        Self::IdTokenExpired,
        Self::NonceWrong,
        Self::AtHashWrong,
        Self::Unsigned,
        Self::SignedByRogueKey,
        Self::UserinfoAboutSomeoneElse,
        Self::CodeInjected,
        Self::RefreshTokensRotate,
        Self::ResourceWantsTheHeader,
    ];

    /// The weakness that disables the protection this scenario exercises.
    fn weakness(self) -> Weakness {
        match self {
            Self::StateTampered => Weakness::SkipStateCheck,
            Self::CallbackIssWrong => Weakness::SkipIssCheck,
            Self::ErrorBesideCode => Weakness::IgnoreErrorResponse,
            Self::IdTokenIssWrong => Weakness::SkipIdTokenIssCheck,
            Self::AudWrong => Weakness::SkipAudCheck,
            Self::IdTokenExpired => Weakness::SkipExpCheck,
            Self::NonceWrong => Weakness::SkipNonceCheck,
            Self::AtHashWrong => Weakness::SkipAtHashCheck,
            Self::Unsigned => Weakness::AcceptAlgNone,
            Self::SignedByRogueKey => Weakness::SkipSignatureCheck,
            Self::UserinfoAboutSomeoneElse => Weakness::SkipUserinfoSubCheck,
            Self::CodeInjected => Weakness::NoPkce,
            Self::RefreshTokensRotate => Weakness::ReuseRefreshToken,
            Self::ResourceWantsTheHeader => Weakness::TokenInUrl,
        }
    }

    /// The weaknesses besides [`Scenario::weakness`] that change how this scenario ends: those
    /// that switch off the same protection along with others (no state at all, no binding of
    /// the code at all), and a client that turns a provider's error into a server error.
    fn also_touched_by(self) -> &'static [Weakness] {
        match self {
            Self::StateTampered => &[Weakness::NoState],
            Self::NonceWrong => &[Weakness::NoNonce, Weakness::NoCodeBinding],
            Self::CodeInjected => &[Weakness::NoCodeBinding, Weakness::CrashOnProviderError],
            Self::ErrorBesideCode => &[Weakness::CrashOnProviderError],
            _ => &[],
        }
    }

    /// What a correct client ends with.
    fn protected(self) -> &'static str {
        match self {
            Self::StateTampered => "refused: state_mismatch",
            Self::CallbackIssWrong => "refused: iss_mismatch",
            Self::ErrorBesideCode => "refused: authorization_error",
            Self::IdTokenIssWrong => "refused: id_token_iss_mismatch",
            Self::AudWrong => "refused: id_token_aud_mismatch",
            Self::IdTokenExpired => "refused: id_token_expired",
            Self::NonceWrong => "refused: nonce_mismatch",
            Self::AtHashWrong => "refused: at_hash_mismatch",
            Self::Unsigned => "refused: id_token_alg_not_allowed",
            Self::SignedByRogueKey => "refused: id_token_signature_invalid",
            Self::UserinfoAboutSomeoneElse => "refused: userinfo_sub_mismatch",
            Self::CodeInjected => "refused: token_error",
            Self::RefreshTokensRotate => "rotated refresh token presented, still logged in",
            Self::ResourceWantsTheHeader => "profile shown, token in the header",
        }
    }

    /// What the client ends with when its protection is off.
    fn unprotected(self) -> &'static str {
        match self {
            // The injected code is redeemed: only the nonce still stands in the way.
            Self::CodeInjected => "refused: nonce_mismatch",
            // The spent refresh token is presented again, and the provider revokes the grant.
            Self::RefreshTokensRotate => "spent refresh token presented, logged out",
            // The strict resource does not look in the URL, and the token leaked into it.
            Self::ResourceWantsTheHeader => "refused: resource_failed, token in the URL",
            _ => "logged in",
        }
    }

    async fn run(self, world: &World) -> String {
        let provider = &world.provider;
        let set = |claim: &str, value: serde_json::Value| {
            provider.set_faults(|f| {
                f.id_token_claims.insert(claim.to_owned(), value);
            })
        };
        let page = match self {
            Self::StateTampered => {
                world
                    .login_tampered(|q| q.replace("state=", "state=tampered"))
                    .await
            }
            Self::CallbackIssWrong => {
                world
                    .login_tampered(|q| {
                        let kept: Vec<&str> =
                            q.split('&').filter(|p| !p.starts_with("iss=")).collect();
                        format!("{}&iss=http%3A%2F%2Fattacker.example", kept.join("&"))
                    })
                    .await
            }
            Self::ErrorBesideCode => {
                world
                    .login_tampered(|q| format!("{q}&error=access_denied"))
                    .await
            }
            Self::IdTokenIssWrong => {
                set("iss", json!("http://attacker.example"));
                world.login().await
            }
            Self::AudWrong => {
                set("aud", json!("x"));
                world.login().await
            }
            Self::IdTokenExpired => {
                set("exp", json!(NOW - 3600));
                world.login().await
            }
            Self::NonceWrong => {
                set("nonce", json!("not-the-nonce-that-was-sent"));
                world.login().await
            }
            Self::AtHashWrong => {
                set("at_hash", json!("AAAAAAAAAAAAAAAAAAAAAA"));
                world.login().await
            }
            Self::Unsigned => {
                provider.set_faults(|f| f.signer = Signer::Unsigned);
                world.login().await
            }
            Self::SignedByRogueKey => {
                provider.set_faults(|f| f.signer = Signer::Rogue);
                world.login().await
            }
            Self::UserinfoAboutSomeoneElse => {
                provider.set_faults(|f| f.userinfo_sub = Some("mallory".into()));
                world.login().await
            }
            Self::CodeInjected => {
                // Mallory starts a login of her own at the same client and keeps the code...
                let mallory = Browser::default();
                let page = mallory.open(&world.url("/login")).await;
                let stolen = provider.authorize(&page.location.unwrap(), "mallory");
                let code = stolen.split('&').find(|p| p.starts_with("code=")).unwrap();
                // ...and plants it in Alice's callback.
                world
                    .login_tampered(|q| {
                        q.split('&')
                            .map(|p| if p.starts_with("code=") { code } else { p })
                            .collect::<Vec<_>>()
                            .join("&")
                    })
                    .await
            }
            Self::RefreshTokensRotate => {
                world.logged_in().await;
                for _ in 0..2 {
                    // Expired: /me refreshes before it calls the resource.
                    world.clock().advance(Duration::from_secs(601));
                    world.me().await;
                }
                let presented = provider.refresh_tokens_presented().await;
                assert_eq!(presented.len(), 2, "{self:?}");
                let which = if presented[0] == presented[1] {
                    "spent"
                } else {
                    "rotated"
                };
                let state = if world.is_logged_in().await {
                    "still logged in"
                } else {
                    "logged out"
                };
                return format!("{which} refresh token presented, {state}");
            }
            Self::ResourceWantsTheHeader => {
                world.logged_in().await;
                let page = world.me().await;
                let in_url = world
                    .resource
                    .requests()
                    .await
                    .iter()
                    .any(|r| r.url.query().is_some_and(|q| q.contains("access_token=")));
                let result = if page.status == 200 {
                    "profile shown".to_owned()
                } else {
                    outcome(&page)
                };
                let channel = if in_url {
                    "in the URL"
                } else {
                    "in the header"
                };
                return format!("{result}, token {channel}");
            }
        };
        let result = outcome(&page);
        if result == "logged in" {
            assert!(world.is_logged_in().await, "{self:?}");
        } else {
            assert!(!world.is_logged_in().await, "{self:?}: {result}");
        }
        result
    }
}

fn outcome(page: &Page) -> String {
    match page.check() {
        Some(code) => format!("refused: {code}"),
        None if page.status == 303 && page.location.as_deref() == Some("/") => "logged in".into(),
        None => format!("unexpected: {page:#?}"),
    }
}

async fn run(scenario: Scenario, weaknesses: &[Weakness]) -> String {
    let world = World::with(|c| c.weaknesses = weaknesses.to_vec()).await;
    scenario.run(&world).await
}

#[test]
fn every_weakness_has_a_scenario() {
    // The others show over several logins or against a provider misbehaving in ways this fake
    // does not stage; the app self-check proves each against the client as a process
    // (`fauxauth weaknesses --check --app`). This fake serves no HTTPS: the scenario library's
    // tls/untrusted-certificate-refused catches `skip-tls-verify` (the harness's self-check).
    // Logout tokens are posted to the client, not staged in a login: `backchannel.rs` holds
    // those weaknesses.
    let staged_here = |w: &Weakness| {
        !w.app_checks_only() && *w != Weakness::SkipTlsVerify && !w.is_backchannel_logout()
    };
    for weakness in Weakness::ALL.into_iter().filter(staged_here) {
        assert!(
            Scenario::ALL.iter().any(|s| s.weakness() == weakness),
            "{weakness}"
        );
    }
}

#[tokio::test]
async fn every_scenario_is_caught_by_a_correct_client() {
    for scenario in Scenario::ALL {
        assert_eq!(
            run(scenario, &[]).await,
            scenario.protected(),
            "{scenario:?}"
        );
    }
}

#[tokio::test]
async fn each_weakness_disables_its_protection() {
    for scenario in Scenario::ALL {
        assert_eq!(
            run(scenario, &[scenario.weakness()]).await,
            scenario.unprotected(),
            "{scenario:?} under {}",
            scenario.weakness()
        );
    }
}

#[tokio::test]
async fn each_weakness_leaves_every_other_protection_in_place() {
    for weakness in Weakness::ALL {
        for scenario in Scenario::ALL
            .into_iter()
            .filter(|s| s.weakness() != weakness && !s.also_touched_by().contains(&weakness))
        {
            assert_eq!(
                run(scenario, &[weakness]).await,
                scenario.protected(),
                "{scenario:?} under {weakness}"
            );
        }
    }
}

#[tokio::test]
async fn each_weakness_still_logs_in_through_an_honest_provider() {
    for weakness in Weakness::ALL {
        let world = World::weakened(weakness).await;
        world.logged_in().await;
        if weakness != Weakness::TokenInUrl {
            assert_eq!(world.me().await.status, 200, "{weakness}");
        }
    }
}

#[tokio::test]
async fn no_pkce_sends_neither_challenge_nor_verifier() {
    let world = World::weakened(Weakness::NoPkce).await;
    let authorize = world.start_login().await;
    assert!(!authorize.contains("code_challenge"), "{authorize}");
    let query = world.provider.authorize(&authorize, "alice");
    world.callback(&query).await;
    let form = &world.provider.token_requests().await[0];
    assert!(!form.contains_key("code_verifier"), "{form:?}");
    assert!(world.is_logged_in().await);
}

#[tokio::test]
async fn a_client_with_weaknesses_still_names_them() {
    let world = World::with(|c| c.weaknesses = vec![Weakness::NoPkce, Weakness::TokenInUrl]).await;
    assert_eq!(
        world.client.state().weaknesses(),
        [Weakness::NoPkce, Weakness::TokenInUrl]
    );
    let strict = World::start().await;
    assert!(strict.client.state().weaknesses().is_empty());
}
