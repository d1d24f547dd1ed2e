//! Durations in configuration and scripts: `60s`, `10m`, `1h`, `30d`, or a number of seconds.

use std::time::Duration;

use serde::{Deserialize, Deserializer, Serializer};

/// Deserializes a duration written as text (`1h 30m`) or whole seconds.
pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Raw {
        Seconds(u64),
        Text(String),
    }
    match Raw::deserialize(d)? {
        Raw::Seconds(s) => Ok(Duration::from_secs(s)),
        Raw::Text(t) => parse(&t).map_err(serde::de::Error::custom),
    }
}

/// Serializes as humantime text (`1h 30m`), which [`deserialize`] reads back.
pub fn serialize<S: Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&humantime::format_duration(*d).to_string())
}

/// Parses `60s`, `10m`, `1h 30m`, `30d`, `250ms`.
pub fn parse(text: &str) -> Result<Duration, String> {
    humantime::parse_duration(text.trim())
        .map_err(|e| format!("{text:?} is not a duration ({e}); write e.g. 60s, 10m, 1h or 30d"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_and_seconds_are_read() {
        assert_eq!(parse("90s"), Ok(Duration::from_secs(90)));
        assert_eq!(parse("1h 30m"), Ok(Duration::from_secs(5400)));
        assert_eq!(parse("30d"), Ok(Duration::from_secs(30 * 86400)));
        assert!(parse("soon").unwrap_err().contains("not a duration"));
    }
}
