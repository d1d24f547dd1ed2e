//! Redirect URIs: matching a request against registration, and building the response URI.

use url::Url;

/// Whether `requested` may be used for a client that registered `registered`.
///
/// Simple string comparison (RFC 9700 §2.1, OIDC Core §3.1.2.1, RFC 3986 §6.2.1), with the one
/// exception RFC 8252 §7.3 makes: for a loopback IP literal with `http`, the port may differ.
pub fn matches(registered: &str, requested: &str) -> bool {
    if registered == requested {
        return true;
    }
    let (Ok(reg), Ok(req)) = (Url::parse(registered), Url::parse(requested)) else {
        return false;
    };
    let loopback_literal = |u: &Url| {
        u.scheme() == "http" && matches!(u.host(), Some(url::Host::Ipv4(ip)) if ip.is_loopback())
            || matches!(u.host(), Some(url::Host::Ipv6(ip)) if ip.is_loopback())
    };
    if !(loopback_literal(&reg) && loopback_literal(&req)) {
        return false;
    }
    // Compare everything but the port, as strings, so no other normalisation sneaks in.
    strip_port(registered, &reg) == strip_port(requested, &req)
}

/// GitHub's rule ("Authorizing OAuth apps", "Redirect URLs"): the scheme, host and port must be
/// the registered callback's (a loopback port may differ), and the path must be the callback's
/// path or below it. No query or fragment is allowed beyond the registered one's.
pub fn matches_subdirectory(registered: &str, requested: &str) -> bool {
    if matches(registered, requested) {
        return true;
    }
    let (Ok(reg), Ok(req)) = (Url::parse(registered), Url::parse(requested)) else {
        return false;
    };
    let loopback_port_may_differ = is_loopback(&reg) && reg.scheme() == "http";
    let same_origin = reg.scheme() == req.scheme()
        && reg.host() == req.host()
        && (reg.port_or_known_default() == req.port_or_known_default() || loopback_port_may_differ);
    let base = reg.path().trim_end_matches('/');
    let below = req.path() == reg.path()
        || req
            .path()
            .strip_prefix(base)
            .is_some_and(|rest| rest.starts_with('/'));
    same_origin
        && below
        && req.query() == reg.query()
        && req.fragment().is_none()
        // No `..` segments: the URL parser resolved them, so the text must already be the path.
        && !requested.contains("/..")
}

fn strip_port(original: &str, url: &Url) -> Option<String> {
    let host = match url.host()? {
        url::Host::Ipv6(ip) => format!("[{ip}]"),
        h => h.to_string(),
    };
    let authority = match url.port() {
        Some(p) => format!("{host}:{p}"),
        None => host.clone(),
    };
    // The original text must spell the authority exactly as the parser did, or it is not the
    // simple form this exception is for.
    let prefix = format!("http://{authority}");
    original
        .strip_prefix(&prefix)
        .map(|rest| format!("http://{host}{rest}"))
}

/// Whether `url`'s host is loopback: `localhost`, 127.0.0.0/8 or ::1 (RFC 8252 §7.3, §8.3).
pub fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    }
}

/// `base` with `params` appended to its query, keeping the query it already has
/// (RFC 6749 §3.1.2: it "MUST be retained when adding additional query parameters").
pub fn with_query(base: &str, params: &[(&str, &str)]) -> String {
    let mut out = String::with_capacity(base.len() + 128);
    out.push_str(base);
    let mut serializer = form_urlencoded::Serializer::new(String::new());
    for (k, v) in params {
        serializer.append_pair(k, v);
    }
    let query = serializer.finish();
    if query.is_empty() {
        return out;
    }
    match base.find('?') {
        Some(i) if i + 1 == base.len() => {}
        Some(_) => out.push('&'),
        None => out.push('?'),
    }
    out.push_str(&query);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn github_accepts_the_callback_and_paths_below_it_only() {
        let registered = "http://127.0.0.1:8080/callback";
        assert!(matches_subdirectory(
            registered,
            "http://127.0.0.1:8080/callback/more"
        ));
        assert!(matches_subdirectory(
            registered,
            "http://127.0.0.1:9999/callback"
        ));
        assert!(!matches_subdirectory(
            registered,
            "http://127.0.0.1:8080/callbackx"
        ));
        assert!(!matches_subdirectory(registered, "http://127.0.0.1:8080/"));
        assert!(!matches_subdirectory(
            registered,
            "http://localhost:8080/callback"
        ));
        assert!(!matches_subdirectory(
            registered,
            "http://127.0.0.1:8080/callback/../x"
        ));
        let https = "https://app.example/cb";
        assert!(matches_subdirectory(https, "https://app.example/cb/x"));
        assert!(!matches_subdirectory(https, "https://app.example:444/cb"));
        assert!(!matches_subdirectory(https, "https://evil.app.example/cb"));
    }

    const REG: &str = "https://rp.example/cb";

    #[test]
    fn exact_match_only_for_ordinary_uris() {
        assert!(matches(REG, REG));
        for variant in [
            "https://rp.example/cb/",
            "https://rp.example/CB",
            "https://RP.example/cb",
            "https://rp.example/cb?foo=bar",
            "https://rp.example:443/cb",
            "http://rp.example/cb",
            "https://sub.rp.example/cb",
            "https://rp.example/cb/../cb",
            "https://rp.example/c%62",
            "https://rp.example@evil.example/cb",
            "https://rp.example/cb#frag",
        ] {
            assert!(!matches(REG, variant), "{variant} must not match");
        }
        assert!(!matches("https://rp/cb?foo=bar", "https://rp/cb?foo=baz"));
        assert!(matches("https://rp/cb?foo=bar", "https://rp/cb?foo=bar"));
    }

    #[test]
    fn loopback_ip_literals_may_change_port_only() {
        assert!(matches("http://127.0.0.1/cb", "http://127.0.0.1:51004/cb"));
        assert!(matches(
            "http://127.0.0.1:8080/cb",
            "http://127.0.0.1:51004/cb"
        ));
        assert!(matches("http://[::1]/cb", "http://[::1]:6000/cb"));
        assert!(!matches(
            "http://127.0.0.1/cb",
            "http://127.0.0.1:51004/other"
        ));
        assert!(!matches("http://127.0.0.1/cb", "http://127.0.0.2:51004/cb"));
        assert!(
            !matches("http://localhost/cb", "http://localhost:51004/cb"),
            "not an IP literal"
        );
        assert!(
            !matches("https://127.0.0.1/cb", "https://127.0.0.1:9/cb"),
            "http only"
        );
    }

    #[test]
    fn query_is_kept_and_values_encoded() {
        assert_eq!(
            with_query(
                "https://rp/cb?foo=bar",
                &[("code", "a b"), ("state", "x&y")]
            ),
            "https://rp/cb?foo=bar&code=a+b&state=x%26y"
        );
        assert_eq!(
            with_query("https://rp/cb", &[("code", "c")]),
            "https://rp/cb?code=c"
        );
        assert_eq!(
            with_query("https://rp/cb?", &[("code", "c")]),
            "https://rp/cb?code=c"
        );
    }
}
