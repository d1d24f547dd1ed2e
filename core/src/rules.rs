//! Rules: faults and overrides, matched against requests. "Faults are rules."
//!
//! A rule's `when` matches requests by endpoint, method, issuer, client, grant type, user and
//! scope, optionally only from the `nth` match on and at most `times` times. Its `then` is a list
//! of actions: an RFC error, a raw response, a delay, a dropped connection, or changes to the
//! tokens the request yields. Rules are evaluated in order; every firing is counted and named in
//! the journal. The first rule that answers the request (error, response, drop) ends evaluation.

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::time::Duration;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// What a request is, as far as rules and the journal care.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Facts {
    /// A short endpoint name (`token`, `authorize`, `api/items`), or the path when unknown.
    pub endpoint: String,
    pub method: String,
    pub path: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub issuer: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub grant_type: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub scope: Vec<String>,
    /// How an injected RFC error is written for this endpoint.
    #[serde(skip)]
    pub error_style: ErrorStyle,
    /// The realm an injected error's challenge names, as the server's own challenges do.
    #[serde(skip)]
    pub realm: String,
}

/// How an endpoint reports errors, so an injected one looks like a real one.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum ErrorStyle {
    /// RFC 6749 §5.2 JSON (token, revocation, introspection).
    #[default]
    Json,
    /// RFC 6750 §3: a `WWW-Authenticate: Bearer` challenge and JSON.
    Bearer,
    /// RFC 6749 §4.1.2.1: the server itself must redirect to the client; it handles the error.
    Redirect,
}

/// One rule.
#[derive(Clone, Debug, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Rule {
    /// A name to list, remove and recognise it by; one is made up when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(regex(pattern = "^[A-Za-z0-9._~-]+$"))]
    pub id: Option<String>,
    #[serde(default)]
    pub when: When,
    pub then: Vec<Action>,
}

/// Which requests a rule applies to. Every condition given must hold.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct When {
    /// Endpoint name (`token`, `authorize`, `userinfo`, `jwks`, ...) or exact path.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub endpoint: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub method: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub issuer: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub grant_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope_contains: Option<String>,
    /// Fire from the nth matching request on (1 = the first).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nth: Option<u32>,
    /// Fire at most this many times; unlimited when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub times: Option<u32>,
}

/// What a rule does.
#[derive(Clone, Debug, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    /// Answer with an RFC-shaped error, as the endpoint would write it.
    Error(ErrorAction),
    /// Answer with exactly this.
    Respond(RawResponse),
    /// Wait this long (real time) before answering.
    Delay(
        #[serde(with = "crate::duration")]
        #[schemars(schema_with = "crate::duration::schema")]
        Duration,
    ),
    /// Close the connection without answering.
    DropConnection,
    /// Change the tokens this request yields.
    Token(TokenChange),
    /// Answer, as the person, the device authorization this token request polls for (RFC 8628
    /// §3.3) before the request is judged: `{"device": {"approve": {"user": "alice"}}}` or
    /// `{"device": "deny"}`. With `when.nth`, the person answers at the nth poll.
    Device(DeviceDecision),
    /// Require the server's DPoP nonce in this request's proof (RFC 9449 §8, §9): a proof
    /// without it, or with a stale one, gets `use_dpop_nonce` and the nonce in `DPoP-Nonce`.
    UseDpopNonce,
    /// End the login sessions of the request's user at its issuer (every session of the issuer
    /// when the request names no user) before the request is answered, as the person signing
    /// out elsewhere would: each client registered for Back-Channel Logout is told. The
    /// provider's only; a resource has no sessions.
    EndSession,
}

/// A person's answer at the device verification page (RFC 8628 §3.3).
#[derive(Clone, Debug, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum DeviceDecision {
    /// Approve, logged in as this user (a username).
    Approve { user: String },
    /// Deny: the device's next poll gets `access_denied`.
    Deny,
}

#[derive(Clone, Debug, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ErrorAction {
    /// The RFC error code, e.g. `invalid_grant`, `temporarily_unavailable` (RFC 6749 §5.2:
    /// %x20-21 / %x23-5B / %x5D-7E).
    #[schemars(regex(pattern = "^[\\x20\\x21\\x23-\\x5B\\x5D-\\x7E]+$"))]
    pub error: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// HTTP status; 400 by default (401 for `invalid_client` and `invalid_token`, 403 for
    /// `insufficient_scope`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 100, max = 599))]
    pub status: Option<u16>,
}

impl ErrorAction {
    pub fn status(&self) -> u16 {
        self.status.unwrap_or(match self.error.as_str() {
            "invalid_client" | "invalid_token" => 401,
            "insufficient_scope" => 403,
            "server_error" => 500,
            "temporarily_unavailable" => 503,
            _ => 400,
        })
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawResponse {
    #[schemars(range(min = 100, max = 599))]
    pub status: u16,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub headers: BTreeMap<String, String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content_type: Option<String>,
    #[serde(default)]
    pub body: String,
}

/// Which token a [`TokenChange`] applies to.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum TokenTarget {
    #[default]
    IdToken,
    AccessToken,
    /// The ID token and the access token.
    Both,
    /// The logout token of a back-channel logout notice (rules on `endpoint:
    /// backchannel_logout`, the notices the provider sends).
    LogoutToken,
    /// The claims the UserInfo endpoint answers (`set_claims`, `remove_claims`; OIDC Core
    /// §5.3.2: a `sub` there other than the ID token's must make a client drop them).
    Userinfo,
}

impl TokenTarget {
    pub fn includes(self, other: TokenTarget) -> bool {
        self == TokenTarget::Both || self == other
    }
}

/// Which key signs a changed token.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum SignWith {
    /// The issuer's active key.
    #[default]
    Active,
    /// A key the issuer never publishes: verification must fail.
    Rogue,
    /// No signature at all: `alg: none` (RFC 7519 §6).
    None,
    /// HS256 keyed with the client's own secret (OIDC Core §10.1 allows it only for a client
    /// that registered it): a client that takes the algorithm from the token accepts it.
    ClientSecret,
}

/// Changes to a minted token, for tokens that must fail validation.
#[derive(Clone, Debug, Default, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct TokenChange {
    pub target: TokenTarget,
    /// Claims added or overridden.
    #[serde(skip_serializing_if = "Map::is_empty")]
    pub set_claims: Map<String, Value>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub remove_claims: Vec<String>,
    /// `exp` an hour in the past.
    #[serde(skip_serializing_if = "is_false")]
    pub expired: bool,
    /// `iat` an hour in the future.
    #[serde(skip_serializing_if = "is_false")]
    pub iat_in_future: bool,
    /// `nbf` an hour in the future.
    #[serde(skip_serializing_if = "is_false")]
    pub nbf_in_future: bool,
    /// A wrong `iss`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub iss: Option<String>,
    /// A wrong `aud`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub aud: Option<String>,
    pub sign_with: SignWith,
    /// No `kid` in the header.
    #[serde(skip_serializing_if = "is_false")]
    pub omit_kid: bool,
    /// An `at_hash` that does not match the access token.
    #[serde(skip_serializing_if = "is_false")]
    pub wrong_at_hash: bool,
    /// A `nonce` other than the one the client sent.
    #[serde(skip_serializing_if = "is_false")]
    pub wrong_nonce: bool,
}

fn is_false(b: &bool) -> bool {
    !b
}

impl When {
    fn matches(&self, facts: &Facts) -> bool {
        let eq = |want: &Option<String>, have: Option<&str>| {
            want.as_deref().is_none_or(|w| Some(w) == have)
        };
        self.endpoint
            .as_deref()
            .is_none_or(|e| e == facts.endpoint || e == facts.path)
            && self
                .method
                .as_deref()
                .is_none_or(|m| m.eq_ignore_ascii_case(&facts.method))
            && eq(&self.issuer, facts.issuer.as_deref())
            && eq(&self.client_id, facts.client_id.as_deref())
            && eq(&self.grant_type, facts.grant_type.as_deref())
            && eq(&self.user, facts.user.as_deref())
            && self
                .scope_contains
                .as_deref()
                .is_none_or(|s| facts.scope.iter().any(|t| t == s))
    }
}

/// What the rules decided for one request.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Outcome {
    /// Ids of the rules that fired, in order.
    pub fired: Vec<String>,
    pub delay: Duration,
    pub answer: Option<Answer>,
    pub token_changes: Vec<TokenChange>,
    /// The last device decision of the rules that fired.
    pub device: Option<DeviceDecision>,
    /// A rule that fired requires a DPoP nonce.
    pub use_dpop_nonce: bool,
    /// A rule that fired ends the login sessions of the request's user.
    pub end_session: bool,
}

/// A rule's answer in place of the server's.
#[derive(Clone, Debug, PartialEq)]
pub enum Answer {
    Error(ErrorAction),
    Respond(RawResponse),
    Drop,
}

/// A rule as listed: with how often it matched and fired.
#[derive(Clone, Debug, PartialEq, Serialize, JsonSchema)]
pub struct RuleStatus {
    pub id: String,
    #[serde(flatten)]
    pub rule: Rule,
    pub matched: u32,
    pub fired: u32,
}

/// The ordered rules of one server.
#[derive(Debug, Default)]
pub struct RuleSet {
    rules: Mutex<Installed>,
}

#[derive(Debug, Default)]
struct Installed {
    list: Vec<RuleStatus>,
    next_id: u64,
}

impl RuleSet {
    /// Adds a rule at the end; returns its id. A rule with the id of an existing one replaces it
    /// in place (its counters start again).
    pub fn add(&self, mut rule: Rule) -> String {
        let mut installed = self.lock();
        let id = match rule.id.take() {
            Some(id) => id,
            None => {
                installed.next_id += 1;
                format!("rule-{}", installed.next_id)
            }
        };
        let status = RuleStatus {
            id: id.clone(),
            rule,
            matched: 0,
            fired: 0,
        };
        match installed.list.iter_mut().find(|r| r.id == id) {
            Some(slot) => *slot = status,
            None => installed.list.push(status),
        }
        id
    }

    /// Removes a rule; whether it existed.
    pub fn remove(&self, id: &str) -> bool {
        let mut installed = self.lock();
        let before = installed.list.len();
        installed.list.retain(|r| r.id != id);
        installed.list.len() != before
    }

    pub fn clear(&self) {
        let mut installed = self.lock();
        installed.list.clear();
        installed.next_id = 0;
    }

    pub fn list(&self) -> Vec<RuleStatus> {
        self.lock().list.clone()
    }

    pub fn is_empty(&self) -> bool {
        self.lock().list.is_empty()
    }

    /// Matches `facts` against the rules, in order, counting as it goes.
    pub fn evaluate(&self, facts: &Facts) -> Outcome {
        let mut outcome = Outcome::default();
        let mut installed = self.lock();
        for status in &mut installed.list {
            if !status.rule.when.matches(facts) {
                continue;
            }
            status.matched += 1;
            let when = &status.rule.when;
            if when.nth.is_some_and(|n| status.matched < n)
                || when.times.is_some_and(|t| status.fired >= t)
            {
                continue;
            }
            status.fired += 1;
            outcome.fired.push(status.id.clone());
            for action in &status.rule.then {
                match action {
                    Action::Delay(d) => outcome.delay += *d,
                    Action::Token(change) => outcome.token_changes.push(change.clone()),
                    Action::Device(decision) => outcome.device = Some(decision.clone()),
                    Action::UseDpopNonce => outcome.use_dpop_nonce = true,
                    Action::EndSession => outcome.end_session = true,
                    Action::Error(e) => {
                        outcome
                            .answer
                            .get_or_insert_with(|| Answer::Error(e.clone()));
                    }
                    Action::Respond(r) => {
                        outcome
                            .answer
                            .get_or_insert_with(|| Answer::Respond(r.clone()));
                    }
                    Action::DropConnection => {
                        outcome.answer.get_or_insert(Answer::Drop);
                    }
                }
            }
            if outcome.answer.is_some() {
                break;
            }
        }
        outcome
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Installed> {
        self.rules.lock().unwrap_or_else(|p| p.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts(endpoint: &str, client: &str) -> Facts {
        Facts {
            endpoint: endpoint.into(),
            method: "POST".into(),
            path: format!("/{endpoint}"),
            client_id: Some(client.into()),
            ..Facts::default()
        }
    }

    fn rule(yaml_like: serde_json::Value) -> Rule {
        serde_json::from_value(yaml_like).unwrap()
    }

    #[test]
    fn times_limits_how_often_a_rule_fires() {
        let rules = RuleSet::default();
        let id = rules.add(rule(serde_json::json!({
            "when": {"endpoint": "token", "times": 2},
            "then": [{"respond": {"status": 502, "content_type": "text/html", "body": "<h1>Bad gateway</h1>"}}]
        })));
        let f = facts("token", "web");
        assert!(matches!(
            rules.evaluate(&f).answer,
            Some(Answer::Respond(_))
        ));
        assert_eq!(rules.evaluate(&f).fired, vec![id.clone()]);
        assert_eq!(rules.evaluate(&f), Outcome::default());
        let status = &rules.list()[0];
        assert_eq!((status.matched, status.fired), (3, 2));
    }

    #[test]
    fn nth_skips_earlier_matches() {
        let rules = RuleSet::default();
        rules.add(rule(
            serde_json::json!({"when": {"nth": 3, "times": 1}, "then": ["drop_connection"]}),
        ));
        let f = facts("token", "web");
        assert_eq!(rules.evaluate(&f).answer, None);
        assert_eq!(rules.evaluate(&f).answer, None);
        assert_eq!(rules.evaluate(&f).answer, Some(Answer::Drop));
        assert_eq!(rules.evaluate(&f).answer, None);
    }

    #[test]
    fn conditions_must_all_hold() {
        let rules = RuleSet::default();
        rules.add(rule(serde_json::json!({
            "when": {"endpoint": "token", "client_id": "web", "method": "post"},
            "then": [{"error": {"error": "invalid_grant"}}]
        })));
        assert_eq!(rules.evaluate(&facts("token", "other")).answer, None);
        assert_eq!(rules.evaluate(&facts("userinfo", "web")).answer, None);
        assert!(rules.evaluate(&facts("token", "web")).answer.is_some());
    }

    #[test]
    fn delays_and_token_changes_accumulate_until_an_answer() {
        let rules = RuleSet::default();
        rules.add(rule(serde_json::json!({"then": [{"delay": "2s"}]})));
        rules.add(rule(
            serde_json::json!({"then": [{"token": {"sign_with": "rogue"}}, {"delay": 1}]}),
        ));
        rules.add(rule(
            serde_json::json!({"then": [{"error": {"error": "temporarily_unavailable"}}]}),
        ));
        rules.add(rule(serde_json::json!({"then": [{"delay": "1h"}]})));
        let outcome = rules.evaluate(&facts("token", "web"));
        assert_eq!(outcome.delay, Duration::from_secs(3));
        assert_eq!(outcome.token_changes[0].sign_with, SignWith::Rogue);
        assert_eq!(outcome.fired, ["rule-1", "rule-2", "rule-3"]);
        let Some(Answer::Error(e)) = outcome.answer else {
            panic!()
        };
        assert_eq!(e.status(), 503);
    }

    #[test]
    fn a_named_rule_replaces_its_namesake_and_can_be_removed() {
        let rules = RuleSet::default();
        rules.add(rule(
            serde_json::json!({"id": "slow", "then": [{"delay": "1s"}]}),
        ));
        rules.add(rule(
            serde_json::json!({"id": "slow", "then": [{"delay": "2s"}]}),
        ));
        assert_eq!(rules.list().len(), 1);
        assert_eq!(
            rules.evaluate(&facts("token", "web")).delay,
            Duration::from_secs(2)
        );
        assert!(rules.remove("slow"));
        assert!(!rules.remove("slow"));
        assert!(rules.is_empty());
    }

    #[test]
    fn unknown_fields_in_rules_are_refused() {
        let err = serde_json::from_value::<Rule>(
            serde_json::json!({"when": {"endpiont": "token"}, "then": []}),
        )
        .unwrap_err();
        assert!(err.to_string().contains("endpiont"));
    }
}
