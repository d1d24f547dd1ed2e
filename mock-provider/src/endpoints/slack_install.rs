//! Slack's app installation (OAuth v2) at the endpoints: its bot scopes judged at
//! `/oauth/v2/authorize`, and `oauth.v2.access`'s answer, with a bot token beside the person's.
//! What the request looks like is in `preset/slack.rs`.

use serde_json::{Map, Value, json};
use sha2::Digest as _;

use crate::config::{ClientConfig, UserConfig};
use crate::error::{AuthorizeErrorCode, Error};
use crate::issuer::Issuer;
use crate::protocol::authorize::AuthorizationRequest;
use crate::protocol::scope::Scopes;
use crate::tokens::Issued;

/// Where Slack names its own claims (`https://slack.com/team_id`).
const CLAIMS: &str = "https://slack.com/";

/// The bot scopes of an installation, if the issuer knows them and the client may ask for them;
/// otherwise `invalid_scope` to the app.
pub fn bot_scope(
    issuer: &Issuer,
    request: &AuthorizationRequest,
    text: &str,
) -> Result<Scopes, Error> {
    let refuse = |why: &str| request.error(AuthorizeErrorCode::InvalidScope, why);
    let scope = Scopes::parse(text).map_err(|e| refuse(&e.to_string()))?;
    let client = issuer
        .client(&request.client_id)
        .ok_or_else(|| refuse("unknown client"))?;
    match issuer.scope_problem(&client, &scope) {
        Some(problem) => Err(refuse(&problem)),
        None => Ok(scope),
    }
}

/// `oauth.v2.access`'s answer: the bot's token at the top (`xoxb-`, `token_type: bot`, its
/// scopes joined with commas, the bot user), the person's under `authed_user` (`xoxp-`,
/// `token_type: user`), each only when its scopes were asked for; the app, and the workspace
/// from the person's claims. No enterprise install.
pub fn install_answer(
    client: &ClientConfig,
    user: &UserConfig,
    person: Option<&Issued>,
    bot: Option<&Issued>,
) -> Value {
    let commas = |scope: &Scopes| scope.to_string().replace(' ', ",");
    let claim = |name: &str| user.claims.get(&format!("{CLAIMS}{name}")).cloned();
    let mut out = Map::new();
    out.insert("ok".into(), json!(true));
    out.insert("app_id".into(), json!(id('A', &client.client_id)));
    if let Some(person) = person {
        out.insert(
            "authed_user".into(),
            json!({
                "id": user.sub(),
                "scope": commas(&person.scope),
                "access_token": person.access_token,
                "token_type": "user",
            }),
        );
    }
    if let Some(bot) = bot {
        out.insert("scope".into(), json!(commas(&bot.scope)));
        out.insert("token_type".into(), json!("bot"));
        out.insert("access_token".into(), json!(bot.access_token));
        out.insert(
            "bot_user_id".into(),
            json!(id('U', &format!("bot/{}", client.client_id))),
        );
    }
    out.insert(
        "team".into(),
        json!({ "id": claim("team_id"), "name": claim("team_name") }),
    );
    out.insert("enterprise".into(), Value::Null);
    out.insert("is_enterprise_install".into(), json!(false));
    Value::Object(out)
}

/// A Slack id (`A…` an app, `U…` a user): the letter and 10 capitals and digits, derived from
/// `label`, so the same client has the same app id on every run.
fn id(letter: char, label: &str) -> String {
    const ALPHABET: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ";
    let digest = sha2::Sha256::digest(format!("fauxauth/slack-id/{label}").as_bytes());
    std::iter::once(letter)
        .chain(
            digest
                .iter()
                .take(10)
                .map(|b| char::from(ALPHABET[usize::from(*b) % ALPHABET.len()])),
        )
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_slacks_shape_and_the_same_for_the_same_label() {
        assert_eq!(id('A', "web"), id('A', "web"));
        assert_ne!(id('A', "web"), id('A', "other"));
        let app = id('A', "web");
        assert!(app.starts_with('A') && app.len() == 11, "{app}");
        assert!(
            app[1..]
                .bytes()
                .all(|b| b.is_ascii_digit() || b.is_ascii_uppercase())
        );
    }
}
