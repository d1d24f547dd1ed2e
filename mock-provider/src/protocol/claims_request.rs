//! The OpenID Connect `claims` request parameter (Core §5.5): claims asked for by name, for the
//! ID token and for the UserInfo response, beside those the scopes release.
//!
//! Each member names a claim with `null` or an object that may say `essential`, `value` or
//! `values` (§5.5.1). The provider releases a claim asked for when the user has it, with the
//! user's own value: a `value` the user does not have is not made up (§5.5.1: the request is a
//! wish, and a claim is never released with a value that is not the user's).

use serde_json::{Map, Value};

/// The claims asked for, by where they are wanted.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ClaimsRequest {
    pub id_token: Vec<String>,
    pub userinfo: Vec<String>,
}

impl ClaimsRequest {
    /// Reads the parameter's JSON, or says what is wrong with it.
    pub fn parse(text: &str) -> Result<Self, String> {
        let value: Value = serde_json::from_str(text)
            .map_err(|e| format!("claims is not JSON ({e}) (OpenID Connect Core §5.5)"))?;
        let Value::Object(members) = value else {
            return Err("claims must be a JSON object (OpenID Connect Core §5.5)".to_owned());
        };
        let mut out = Self::default();
        for (target, requested) in &members {
            let names = match target.as_str() {
                "id_token" => &mut out.id_token,
                "userinfo" => &mut out.userinfo,
                // Core §5.5: members not understood are ignored.
                _ => continue,
            };
            let Value::Object(claims) = requested else {
                return Err(format!("claims.{target} must be a JSON object"));
            };
            for (name, request) in claims {
                check_request(target, name, request)?;
                names.push(name.clone());
            }
        }
        Ok(out)
    }

    pub fn is_empty(&self) -> bool {
        self.id_token.is_empty() && self.userinfo.is_empty()
    }
}

/// §5.5.1: `null`, or an object whose `essential` is a boolean and whose `values` is an array.
fn check_request(target: &str, name: &str, request: &Value) -> Result<(), String> {
    let place = || format!("claims.{target}.{name}");
    match request {
        Value::Null => Ok(()),
        Value::Object(members) => {
            if members.get("essential").is_some_and(|e| !e.is_boolean()) {
                return Err(format!("{}.essential must be true or false", place()));
            }
            if members.get("values").is_some_and(|v| !v.is_array()) {
                return Err(format!("{}.values must be an array", place()));
            }
            Ok(())
        }
        _ => Err(format!("{} must be null or an object (§5.5.1)", place())),
    }
}

/// The claims of `user` that `names` ask for, beside those already in `released`.
pub fn add_requested(
    released: &mut Map<String, Value>,
    user: &Map<String, Value>,
    names: &[String],
) {
    for name in names {
        if let Some(value) = user.get(name) {
            released
                .entry(name.clone())
                .or_insert_with(|| value.clone());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn claims_are_read_by_where_they_are_wanted() {
        let request = ClaimsRequest::parse(
            r#"{"id_token": {"email": {"essential": true}, "groups": null},
                "userinfo": {"phone_number": {"values": ["+1"]}}, "other": 1}"#,
        )
        .unwrap();
        assert_eq!(request.id_token, ["email", "groups"]);
        assert_eq!(request.userinfo, ["phone_number"]);
        assert!(ClaimsRequest::parse("{}").unwrap().is_empty());
    }

    #[test]
    fn what_is_not_a_claims_request_is_refused_saying_where() {
        for (text, said) in [
            ("not json", "not JSON"),
            ("[1]", "JSON object"),
            (r#"{"id_token": 1}"#, "claims.id_token must be"),
            (r#"{"userinfo": {"email": 3}}"#, "claims.userinfo.email"),
            (
                r#"{"id_token": {"email": {"essential": "yes"}}}"#,
                "essential",
            ),
            (r#"{"id_token": {"email": {"values": "a"}}}"#, "values"),
        ] {
            let e = ClaimsRequest::parse(text).unwrap_err();
            assert!(e.contains(said), "{text}: {e}");
        }
    }

    #[test]
    fn only_the_users_own_claims_are_added() {
        let user: Map<String, Value> =
            serde_json::from_str(r#"{"email": "a@x", "name": "A"}"#).unwrap();
        let mut released: Map<String, Value> = serde_json::from_str(r#"{"name": "A"}"#).unwrap();
        add_requested(
            &mut released,
            &user,
            &["email".into(), "phone_number".into()],
        );
        assert_eq!(released["email"], "a@x");
        assert!(!released.contains_key("phone_number"));
    }
}
