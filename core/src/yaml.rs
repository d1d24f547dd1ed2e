//! Reading YAML: parse errors put where they happened first (`file:line:column:`), with a
//! "did you mean" for a misspelt key. Every YAML file fauxauth reads goes through here.

/// Where a value starts in a file, its contents ignored: the field of a line index, a struct that
/// reads a file a second time only to learn on which line each checked part begins.
pub type Mark = serde_saphyr::Spanned<serde::de::IgnoredAny>;

/// One line for a parse error: `origin:line:column: message (did you mean ...?)`.
pub fn describe(e: &serde_saphyr::Error, origin: &str) -> String {
    let text = e.without_snippet().to_string();
    // The parser appends " at line L, column C"; the location leads instead, as compilers do.
    let message = text
        .rfind(" at line ")
        .map_or(text.as_str(), |i| &text[..i]);
    let hint = suggestion(message).unwrap_or_default();
    match e.location() {
        Some(loc) => format!("{origin}:{}:{}: {message}{hint}", loc.line(), loc.column()),
        None => format!("{origin}: {message}{hint}"),
    }
}

/// "did you mean ...?" for serde's "unknown field `x`, expected one of `a`, `b`" messages (and
/// the same for unknown variants).
pub fn suggestion(message: &str) -> Option<String> {
    let rest = message
        .strip_prefix("unknown field `")
        .or_else(|| message.strip_prefix("unknown variant `"))?;
    let (unknown, rest) = rest.split_once('`')?;
    let expected = rest.split_once("expected ")?.1;
    expected
        .split(", ")
        .map(|c| c.trim_start_matches("one of ").trim_matches('`'))
        .map(|c| (strsim::jaro_winkler(unknown, c), c))
        .filter(|(score, _)| *score > 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, c)| format!(" (did you mean `{c}`?)"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn close_names_are_suggested_and_far_ones_are_not() {
        let m = "unknown field `endpiont`, expected one of `endpoint`, `method`";
        assert_eq!(
            suggestion(m).as_deref(),
            Some(" (did you mean `endpoint`?)")
        );
        let m = "unknown variant `drop_conection`, expected one of `error`, `drop_connection`";
        assert_eq!(
            suggestion(m).as_deref(),
            Some(" (did you mean `drop_connection`?)")
        );
        assert_eq!(suggestion("unknown field `zzz`, expected `endpoint`"), None);
        assert_eq!(suggestion("invalid type"), None);
    }
}
