//! Back-Channel Logout 1.0 at the client: a logout token the provider posts ends the person's
//! session; one that is not the provider's, not for this client or not a logout token is
//! answered 400 and ends nothing. Each weakness of logout tokens lets exactly its fault through.

use sample_client::Weakness;
use serde_json::{Value, json};

use crate::helpers::*;

const EVENT: &str = "http://schemas.openid.net/event/backchannel-logout";

/// A logout token at fault, or a valid one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Token {
    Valid,
    Unsigned,
    OtherIssuer,
    OtherAudience,
    NoEvent,
    Nonce,
}

impl Token {
    const FAULTS: [Token; 5] = [
        Self::Unsigned,
        Self::OtherIssuer,
        Self::OtherAudience,
        Self::NoEvent,
        Self::Nonce,
    ];

    /// The weakness that lets this fault through.
    fn weakness(self) -> Weakness {
        match self {
            Self::Valid => Weakness::IgnoreBackchannelLogout,
            Self::Unsigned => Weakness::AcceptUnsignedLogoutToken,
            Self::OtherIssuer => Weakness::SkipLogoutTokenIssCheck,
            Self::OtherAudience => Weakness::SkipLogoutTokenAudCheck,
            Self::NoEvent => Weakness::SkipLogoutEventCheck,
            Self::Nonce => Weakness::AcceptLogoutTokenNonce,
        }
    }

    /// The token the provider of `world` would post, with this fault.
    fn make(self, world: &World) -> String {
        let mut claims = json!({
            "iss": world.provider.url(),
            "aud": CLIENT_ID,
            "iat": NOW,
            "exp": NOW + 120,
            "jti": "logout-1",
            "sub": "alice",
            "events": { EVENT: {} },
        });
        let object = claims.as_object_mut().unwrap();
        match self {
            Self::Valid | Self::Unsigned => {}
            Self::OtherIssuer => {
                object.insert("iss".into(), json!("http://attacker.example"));
            }
            Self::OtherAudience => {
                object.insert("aud".into(), json!("another-client"));
            }
            Self::NoEvent => {
                object.remove("events");
            }
            Self::Nonce => {
                object.insert("nonce".into(), json!("n-0S6_WzA2Mj"));
            }
        }
        if self == Self::Unsigned {
            unsigned(&claims)
        } else {
            world.provider.key.sign_typed("logout+jwt", &claims)
        }
    }
}

/// Logs alice in, posts `token`'s logout token: the status, and whether she is still logged in.
async fn post(token: Token, weaknesses: &[Weakness]) -> (u16, bool) {
    let world = World::with(|c| c.weaknesses = weaknesses.to_vec()).await;
    world.logged_in().await;
    let http = reqwest::Client::builder()
        .use_preconfigured_tls(fauxauth_core::Trust::default().client_config())
        .no_proxy()
        .build()
        .unwrap();
    let answer = http
        .post(world.url("/backchannel-logout"))
        .form(&[("logout_token", token.make(&world))])
        .send()
        .await
        .unwrap();
    let status = answer.status().as_u16();
    if status == 200 {
        assert_eq!(
            answer.headers()["cache-control"],
            "no-store",
            "Back-Channel Logout 1.0 §2.8"
        );
    } else {
        let body: Value = answer.json().await.unwrap();
        assert_eq!(body["error"], "invalid_request", "{token:?}: {body}");
    }
    (status, world.is_logged_in().await)
}

#[tokio::test]
async fn a_valid_logout_token_ends_the_session_and_a_faulty_one_nothing() {
    assert_eq!(post(Token::Valid, &[]).await, (200, false));
    for token in Token::FAULTS {
        assert_eq!(post(token, &[]).await, (400, true), "{token:?}");
    }
}

#[tokio::test]
async fn each_logout_token_weakness_lets_exactly_its_fault_through() {
    assert_eq!(
        post(Token::Valid, &[Weakness::IgnoreBackchannelLogout]).await,
        (200, true),
        "acknowledged, and nothing ended"
    );
    for token in Token::FAULTS {
        assert_eq!(
            post(token, &[token.weakness()]).await,
            (200, false),
            "{token:?} under {}",
            token.weakness()
        );
        for other in Token::FAULTS.into_iter().filter(|t| *t != token) {
            assert_eq!(
                post(other, &[token.weakness()]).await,
                (400, true),
                "{other:?} under {}",
                token.weakness()
            );
        }
    }
}
