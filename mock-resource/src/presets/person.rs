//! The person behind a token, as the provider's introspection answer describes them, and the two
//! ways the presets' APIs are made from their claims: a profile whose members each come from the
//! first of some claims the user has ([`Field`]), and a UserInfo answer whose claims are released
//! by scope ([`Release`]). Plain functions over JSON, unit-tested without HTTP.

use serde_json::{Map, Value, json};
use sha2::{Digest, Sha256};

use crate::token::AccessToken;

/// The person a token was issued to: the `user` member of the introspection answer (an
/// extension of fauxauth's provider, RFC 7662 §2.2 allows them), which holds every claim of the
/// user whatever the token's scope, `sub` and `username` included. A client's own token has none.
#[derive(Clone, Copy, Debug)]
pub struct Person<'a> {
    claims: &'a Map<String, Value>,
    sub: &'a str,
}

impl<'a> Person<'a> {
    pub fn of(token: &'a AccessToken) -> Option<Self> {
        Self::from_answer(&token.claims)
    }

    /// The person an introspection answer names, when it has a `user` with a `sub`.
    pub fn from_answer(answer: &'a Map<String, Value>) -> Option<Self> {
        let claims = answer.get("user")?.as_object()?;
        let sub = claims.get("sub")?.as_str().filter(|s| !s.is_empty())?;
        Some(Self { claims, sub })
    }

    pub fn sub(&self) -> &'a str {
        self.sub
    }

    /// Their username at the provider; the subject when the answer has none.
    pub fn username(&self) -> &'a str {
        self.text("username").unwrap_or(self.sub)
    }

    /// A claim the user has; `null` counts as not having it.
    pub fn get(&self, name: &str) -> Option<&'a Value> {
        self.claims.get(name).filter(|v| !v.is_null())
    }

    pub fn text(&self, name: &str) -> Option<&'a str> {
        self.get(name).and_then(Value::as_str)
    }

    pub fn flag(&self, name: &str) -> Option<bool> {
        self.get(name).and_then(Value::as_bool)
    }

    /// The first of `names` the user has.
    pub fn first(&self, names: &[&str]) -> Option<&'a Value> {
        names.iter().find_map(|name| self.get(name))
    }
}

/// One member of a profile answer: the first of `claims` the user has, else `fallback`.
#[derive(Clone, Copy, Debug)]
pub struct Field {
    pub name: &'static str,
    pub claims: &'static [&'static str],
    pub fallback: Fallback,
}

impl Field {
    pub const fn new(
        name: &'static str,
        claims: &'static [&'static str],
        fallback: Fallback,
    ) -> Self {
        Self {
            name,
            claims,
            fallback,
        }
    }
}

/// What a profile member is when the user has none of its claims.
#[derive(Clone, Copy, Debug)]
pub enum Fallback {
    Null,
    Text(&'static str),
    Number(u64),
    Bool(bool),
    EmptyList,
}

impl Fallback {
    fn value(self) -> Value {
        match self {
            Self::Null => Value::Null,
            Self::Text(text) => json!(text),
            Self::Number(n) => json!(n),
            Self::Bool(b) => json!(b),
            Self::EmptyList => json!([]),
        }
    }
}

/// Every member of `fields`, from `person`'s claims or the fallbacks, added to `out`.
pub fn fill(person: &Person, fields: &[Field], out: &mut Map<String, Value>) {
    for field in fields {
        let value = person
            .first(field.claims)
            .cloned()
            .unwrap_or_else(|| field.fallback.value());
        out.insert(field.name.to_owned(), value);
    }
}

/// A claim a UserInfo answer releases when the token has any of `scopes` (OIDC Core §5.4) and
/// the user has the claim.
#[derive(Clone, Copy, Debug)]
pub struct Release {
    pub claim: &'static str,
    pub scopes: &'static [&'static str],
}

/// `sub` (always: it is what the answer is about, OIDC Core §5.3.2), and every claim of
/// `releases` the token's scopes allow and the user has.
pub fn release(person: &Person, releases: &[Release], scopes: &[String]) -> Map<String, Value> {
    let mut out = Map::new();
    out.insert("sub".into(), json!(person.sub()));
    for release in releases {
        let allowed = release
            .scopes
            .iter()
            .any(|wanted| scopes.iter().any(|s| s == wanted));
        if allowed && let Some(value) = person.get(release.claim) {
            out.insert(release.claim.to_owned(), value.clone());
        }
    }
    out
}

/// The SHA-256 of `label`: derived values are the same on every run and machine.
pub fn digest(label: &str) -> [u8; 32] {
    Sha256::digest(label.as_bytes()).into()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answer(user: Value) -> Map<String, Value> {
        json!({ "active": true, "user": user })
            .as_object()
            .unwrap()
            .clone()
    }

    #[test]
    fn a_person_needs_a_user_with_a_subject() {
        let with = answer(json!({"sub": "u1", "username": "alice", "name": null}));
        let person = Person::from_answer(&with).unwrap();
        assert_eq!((person.sub(), person.username()), ("u1", "alice"));
        assert_eq!(person.get("name"), None, "null is no claim");
        for user in [
            json!(null),
            json!({"username": "x"}),
            json!({"sub": ""}),
            json!("u1"),
        ] {
            assert!(
                Person::from_answer(&answer(user.clone())).is_none(),
                "{user}"
            );
        }
        let answer_without_user = json!({"active": true}).as_object().unwrap().clone();
        assert!(Person::from_answer(&answer_without_user).is_none());
    }

    #[test]
    fn fields_take_the_first_claim_the_user_has_else_their_fallback() {
        let with = answer(json!({"sub": "u1", "website": "https://a.example", "followers": 3}));
        let person = Person::from_answer(&with).unwrap();
        let mut out = Map::new();
        fill(
            &person,
            &[
                Field::new("blog", &["blog", "website"], Fallback::Text("")),
                Field::new("followers", &["followers"], Fallback::Number(0)),
                Field::new("bio", &["bio"], Fallback::Null),
                Field::new("phones", &["phones"], Fallback::EmptyList),
                Field::new("admin", &["admin"], Fallback::Bool(false)),
            ],
            &mut out,
        );
        assert_eq!(
            Value::Object(out),
            json!({"blog": "https://a.example", "followers": 3, "bio": null, "phones": [], "admin": false})
        );
    }

    #[test]
    fn claims_are_released_by_scope_and_sub_always() {
        let with = answer(json!({"sub": "u1", "name": "A", "email": "a@example.test"}));
        let person = Person::from_answer(&with).unwrap();
        let table = [
            Release {
                claim: "name",
                scopes: &["profile"],
            },
            Release {
                claim: "email",
                scopes: &["email", "mail"],
            },
            Release {
                claim: "picture",
                scopes: &["profile"],
            },
        ];
        let scopes = |s: &[&str]| s.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
        assert_eq!(
            Value::Object(release(&person, &table, &scopes(&["openid"]))),
            json!({"sub": "u1"})
        );
        assert_eq!(
            Value::Object(release(&person, &table, &scopes(&["mail", "profile"]))),
            json!({"sub": "u1", "name": "A", "email": "a@example.test"})
        );
    }
}
