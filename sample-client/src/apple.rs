//! Sign in with Apple's one-time `user`: Apple posts the person's name (and address) with the
//! first authorization of a user to an app only, as a JSON string beside the code. An app that
//! does not keep it then has no name for them, ever. This client keeps it, per subject, once the
//! ID token that names the subject has been verified (the field itself is unsigned).

use std::collections::HashMap;
use std::sync::Mutex;

use serde::Deserialize;

/// The most names kept: one per person who logged in.
const MAX_NAMES: usize = 10_000;

/// The names Apple gave, by the ID token's subject.
#[derive(Debug, Default)]
pub struct Names(Mutex<HashMap<String, String>>);

#[derive(Deserialize)]
struct User {
    #[serde(default)]
    name: Option<Name>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Name {
    #[serde(default)]
    first_name: Option<String>,
    #[serde(default)]
    last_name: Option<String>,
}

impl Names {
    /// The name of `subject`: the one `user` gives now (kept for next time), else the one kept
    /// from their first authorization.
    pub fn name_of(&self, subject: &str, user: Option<&str>) -> Option<String> {
        let mut names = self.0.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(name) = user.and_then(full_name) {
            if names.len() < MAX_NAMES || names.contains_key(subject) {
                names.insert(subject.to_owned(), name.clone());
            }
            return Some(name);
        }
        names.get(subject).cloned()
    }
}

/// "First Last" from the `user` JSON, when it names anyone.
fn full_name(user: &str) -> Option<String> {
    let name = serde_json::from_str::<User>(user).ok()?.name?;
    let full = [name.first_name, name.last_name]
        .into_iter()
        .flatten()
        .filter(|part| !part.trim().is_empty())
        .collect::<Vec<_>>()
        .join(" ");
    (!full.is_empty()).then_some(full)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_authorizations_name_is_kept_for_the_next_logins() {
        let names = Names::default();
        assert_eq!(names.name_of("001.abc.1", None), None);
        let user = r#"{"name":{"firstName":"Alice","lastName":"Example"},"email":"a@example.com"}"#;
        assert_eq!(
            names.name_of("001.abc.1", Some(user)).as_deref(),
            Some("Alice Example")
        );
        assert_eq!(
            names.name_of("001.abc.1", None).as_deref(),
            Some("Alice Example")
        );
        assert_eq!(names.name_of("002.def.2", None), None);
        // Only an address: no name to keep.
        assert_eq!(
            names.name_of("003", Some(r#"{"email":"x@example.com"}"#)),
            None
        );
        assert_eq!(names.name_of("004", Some("not json")), None);
    }
}
