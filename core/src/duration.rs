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

/// [`deserialize`] for an optional setting: present means `Some`.
pub fn deserialize_some<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Duration>, D::Error> {
    deserialize(d).map(Some)
}

/// Serializes as text [`PATTERN`] matches and [`deserialize`] reads back: whole days, then the
/// rest in the largest unit that holds it exactly (`2d 3h`, `90s`, `1500ms`).
pub fn serialize<S: Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&format(*d))
}

/// `d` as [`serialize`] writes it.
pub fn format(d: Duration) -> String {
    const DAY: u64 = 86_400;
    let rest = |secs: u64, millis: u32| -> String {
        match (secs, millis) {
            (0, 0) => String::new(),
            (s, 0) if s % 3600 == 0 => format!("{}h", s / 3600),
            (s, 0) if s % 60 == 0 => format!("{}m", s / 60),
            (s, 0) => format!("{s}s"),
            (s, ms) => format!("{}ms", s * 1000 + u64::from(ms)),
        }
    };
    let (secs, millis) = (d.as_secs(), d.subsec_millis());
    let days = secs / DAY;
    let tail = rest(secs % DAY, millis);
    match (days, tail.is_empty()) {
        (0, true) => "0s".to_owned(),
        (0, false) => tail,
        (days, true) => format!("{days}d"),
        (days, false) => format!("{days}d {tail}"),
    }
}

/// The durations the admin API takes, as a JSON Schema pattern: one or two parts of a number
/// and a unit (`250ms`, `90s`, `10m`, `2h`, `30d`, `2w`, `1y`, `1h 30m`), each part at most
/// about 2,700 years, so that no duration the schema allows is longer than the clock's range.
/// Every text it matches, [`parse`] reads.
pub const PATTERN: &str = concat!(
    "^(?:[0-9]{1,9}(?:ms|s|m)|[0-9]{1,7}h|[0-9]{1,6}d|[0-9]{1,5}w|[0-9]{1,3}y)",
    "(?: (?:[0-9]{1,9}(?:ms|s|m)|[0-9]{1,7}h|[0-9]{1,6}d|[0-9]{1,5}w|[0-9]{1,3}y))?$"
);

/// The JSON Schema of a duration in the admin API (schemars' `schema_with`).
pub fn schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
    schemars::json_schema!({
        "type": "string",
        "pattern": PATTERN,
        "description": "A duration: a number and a unit (ms, s, m, h, d, w, y), or two such parts (`1h 30m`).",
    })
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
    fn every_duration_the_schema_allows_is_read() {
        let pattern = regex_lite(PATTERN);
        for text in [
            "250ms",
            "90s",
            "10m",
            "2h",
            "30d",
            "2w",
            "1y",
            "1h 30m",
            "999999999s",
            "999y 999999d",
        ] {
            assert!(pattern(text), "{text}");
            assert!(parse(text).is_ok(), "{text}");
        }
        for text in [
            "", "1", "h", "1h30m", "1 h", "-1s", "1h 2m 3s", "1000y", "1.5h",
        ] {
            assert!(!pattern(text), "{text}");
        }
    }

    /// The pattern as the admin API's validator reads it.
    fn regex_lite(pattern: &str) -> impl Fn(&str) -> bool {
        let validator =
            jsonschema::validator_for(&serde_json::json!({ "type": "string", "pattern": pattern }))
                .unwrap();
        move |text| validator.is_valid(&serde_json::json!(text))
    }

    #[test]
    fn durations_are_written_as_the_schema_reads_them() {
        let pattern = regex_lite(PATTERN);
        for (secs, millis, text) in [
            (0, 0, "0s"),
            (90, 0, "90s"),
            (600, 0, "10m"),
            (7200, 0, "2h"),
            (86_400 * 3, 0, "3d"),
            (86_400 * 3 + 3600, 0, "3d 1h"),
            (1, 500, "1500ms"),
            (86_400 * 371_459 + 64_368, 0, "371459d 64368s"),
        ] {
            let d = Duration::from_secs(secs) + Duration::from_millis(millis);
            assert_eq!(format(d), text);
            assert!(pattern(text), "{text}");
            assert_eq!(parse(text), Ok(d));
        }
    }

    #[test]
    fn text_and_seconds_are_read() {
        assert_eq!(parse("90s"), Ok(Duration::from_secs(90)));
        assert_eq!(parse("1h 30m"), Ok(Duration::from_secs(5400)));
        assert_eq!(parse("30d"), Ok(Duration::from_secs(30 * 86400)));
        assert!(parse("soon").unwrap_err().contains("not a duration"));
    }
}
