//! Apple's dialect at its token endpoint, and the one-time `user` of its authorization responses.
//!
//! Sources (fauxauth's provider reference §8): a bad, expired or revoked code is HTTP 400
//! `invalid_grant` "The code has expired or has been revoked."; a used one "The code has already
//! been used."; a code of another client `invalid_grant`; an expired or malformed client secret a
//! bare `{"error": "invalid_client"}` (no description). Where no source says, the RFC's code
//! stands with fauxauth's words.

use serde_json::{Map, Value, json};

use crate::config::UserConfig;
use crate::error::{Reason, TokenErrorCode};
use crate::protocol::scope::Scopes;

const EXPIRED_OR_REVOKED: &str = "The code has expired or has been revoked.";
const ALREADY_USED: &str = "The code has already been used.";

/// The length of the hexadecimal part of Apple's access and refresh tokens.
pub const TOKEN_HEX_DIGITS: usize = 32;

/// The status and body Apple answers a failed token request with.
pub fn error(code: TokenErrorCode, reason: Option<Reason>, description: &str) -> (u16, Value) {
    match (reason, code) {
        (_, TokenErrorCode::InvalidClient) => (400, json!({ "error": "invalid_client" })),
        (Some(Reason::CodeReplayed), _) => super::rfc_error(400, "invalid_grant", ALREADY_USED),
        (Some(Reason::BadCode | Reason::CodeOfAnotherClient), _) => {
            super::rfc_error(400, "invalid_grant", EXPIRED_OR_REVOKED)
        }
        _ => super::rfc_error(code.status().as_u16(), code.as_str(), description),
    }
}

/// The `user` field of a first authorization, as a JSON string: the person's `name`
/// (`firstName`, `lastName`, from `given_name` and `family_name`) with the `name` scope, their
/// `email` with the `email` scope. `None` when neither is asked for.
pub fn user_field(user: &UserConfig, scope: &Scopes) -> Option<String> {
    let text = |claim: &str| user.claims.get(claim).and_then(Value::as_str);
    let mut out = Map::new();
    if scope.contains("name") {
        let mut name = Map::new();
        if let Some(first) = text("given_name") {
            name.insert("firstName".into(), json!(first));
        }
        if let Some(last) = text("family_name") {
            name.insert("lastName".into(), json!(last));
        }
        out.insert("name".into(), Value::Object(name));
    }
    if scope.contains("email")
        && let Some(email) = text("email")
    {
        out.insert("email".into(), json!(email));
    }
    (!out.is_empty()).then(|| Value::Object(out).to_string())
}

/// Apple's older ID tokens: `email_verified` and `is_private_email` as strings.
pub fn stringify_booleans(claims: &mut Map<String, Value>) {
    for name in ["email_verified", "is_private_email"] {
        if let Some(Value::Bool(b)) = claims.get(name) {
            let text = if *b { "true" } else { "false" };
            claims.insert(name.to_owned(), json!(text));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_user_field_holds_what_the_scopes_ask() {
        let user = UserConfig::new("alice")
            .with_claim("given_name", "Alice")
            .with_claim("family_name", "Example")
            .with_claim("email", "alice@example.com");
        let both = user_field(&user, &Scopes::parse("openid name email").unwrap()).unwrap();
        assert_eq!(
            serde_json::from_str::<Value>(&both).unwrap(),
            json!({"name": {"firstName": "Alice", "lastName": "Example"},
                   "email": "alice@example.com"})
        );
        let email = user_field(&user, &Scopes::parse("openid email").unwrap()).unwrap();
        assert_eq!(email, r#"{"email":"alice@example.com"}"#);
        assert_eq!(user_field(&user, &Scopes::parse("openid").unwrap()), None);
    }

    #[test]
    fn booleans_become_strings() {
        let mut claims = Map::new();
        claims.insert("email_verified".into(), json!(true));
        claims.insert("is_private_email".into(), json!(false));
        claims.insert("other".into(), json!(true));
        stringify_booleans(&mut claims);
        assert_eq!(claims["email_verified"], "true");
        assert_eq!(claims["is_private_email"], "false");
        assert_eq!(claims["other"], true);
    }
}
