//! How much any fauxauth server lets its peers take: time to send a request, time a connection
//! may sit idle, how many connections at once, and how much the journal keeps. Production HTTP
//! servers bound each of these; a test tool that often listens on `0.0.0.0` next to the app it
//! tests must too. Configured as `limits:` in the provider's and the resource's files.

use std::time::Duration;

use serde::{Deserialize, Serialize};

/// The bounds of one server. Every field has a default; see the README's "Limits".
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Limits {
    /// The most time a request may take to arrive, head and body: a client that sends its
    /// headers or body slower is cut off (HTTP/1.1 `408` for a late body). On an HTTP/1.1
    /// keep-alive connection this is also how long it may wait between requests.
    #[serde(default = "read_timeout", with = "crate::duration")]
    pub read_timeout: Duration,
    /// A connection on which no byte moves either way for this long is closed: one that never
    /// sends a request, an HTTP/2 connection with nothing in flight, a client that stops reading.
    #[serde(default = "idle_timeout", with = "crate::duration")]
    pub idle_timeout: Duration,
    /// The most connections served at once; more wait in the listen queue until one closes.
    /// Lowered at start to what the process's file descriptor limit allows.
    #[serde(default = "max_connections")]
    pub max_connections: usize,
    /// What the request journal keeps.
    #[serde(default)]
    pub journal: crate::journal::Limits,
}

fn read_timeout() -> Duration {
    Duration::from_secs(30)
}

fn idle_timeout() -> Duration {
    Duration::from_secs(60)
}

fn max_connections() -> usize {
    10_000
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            read_timeout: read_timeout(),
            idle_timeout: idle_timeout(),
            max_connections: max_connections(),
            journal: crate::journal::Limits::default(),
        }
    }
}

impl Limits {
    /// What is wrong with these limits, as (field, message) pairs.
    pub fn problems(&self) -> Vec<(&'static str, String)> {
        let mut out = Vec::new();
        if self.read_timeout.is_zero() {
            out.push(("limits.read_timeout", "must be more than 0s".to_owned()));
        }
        if self.idle_timeout.is_zero() {
            out.push(("limits.idle_timeout", "must be more than 0s".to_owned()));
        }
        if self.max_connections == 0 {
            out.push(("limits.max_connections", "must be at least 1".to_owned()));
        }
        if self.journal.entries == 0 {
            out.push(("limits.journal.entries", "must be at least 1".to_owned()));
        }
        if self.journal.max_mib == 0 {
            out.push(("limits.journal.max_mib", "must be at least 1".to_owned()));
        }
        out
    }
}
