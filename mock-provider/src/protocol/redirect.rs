//! Redirect URIs: matching a request against registration, and building the response URI.

use url::Url;

/// Whether `requested` may be used for a client that registered `registered`.
///
/// Simple string comparison (RFC 6749 §3.1.2.3, RFC 9700 §2.1 and §4.1.3, OIDC Core §3.1.2.1,
/// RFC 3986 §6.2.1), with the one exception RFC 8252 §7.3 makes: when both are `http` URIs whose
/// host is the same loopback IP literal, the port may differ. Everything else is compared as
/// text, so no parser's normalisation (`127.1`, `0x7f.1`, `[0:0:0:0:0:0:0:1]`, a default port
/// dropped, dot segments resolved) can make an unregistered URI pass.
pub fn matches(registered: &str, requested: &str) -> bool {
    if registered == requested {
        return true;
    }
    match (Loopback::parse(registered), Loopback::parse(requested)) {
        (Some(reg), Some(req)) => reg.host == req.host && reg.rest == req.rest,
        _ => false,
    }
}

/// GitHub's rule ("Authorizing OAuth apps", "Redirect URLs"): the scheme, host and port must be
/// the registered callback's (a loopback IP literal's port may differ), and the path must be the
/// callback's path or below it. No query or fragment is allowed beyond the registered one's,
/// and no dot segment or encoded separator, which a server could resolve above the callback.
pub fn matches_subdirectory(registered: &str, requested: &str) -> bool {
    if matches(registered, requested) {
        return true;
    }
    let (Some(reg), Some(req)) = (Parts::split(registered), Parts::split(requested)) else {
        return false;
    };
    let same_origin = reg.scheme == req.scheme
        && match (Loopback::parse(registered), Loopback::parse(requested)) {
            (Some(a), Some(b)) => a.host == b.host,
            _ => reg.authority == req.authority,
        };
    let base = reg.path.trim_end_matches('/');
    let below = req.path == reg.path
        || req
            .path
            .strip_prefix(base)
            .is_some_and(|rest| rest.starts_with('/'));
    let plain_segments = req.path.split('/').all(|segment| {
        let lower = segment.to_ascii_lowercase();
        segment != "." && segment != ".." && !lower.contains("%2e") && !lower.contains("%2f")
    });
    same_origin
        && below
        && plain_segments
        && !req.path.contains('\\')
        && req.query == reg.query
        && req.fragment.is_none()
}

/// A URI cut at its delimiters (RFC 3986 §3), as written.
#[derive(Debug, PartialEq, Eq)]
struct Parts<'a> {
    scheme: &'a str,
    authority: &'a str,
    path: &'a str,
    query: Option<&'a str>,
    fragment: Option<&'a str>,
}

impl<'a> Parts<'a> {
    /// `None` for a URI with no authority (`scheme://`), or userinfo in it.
    fn split(uri: &'a str) -> Option<Self> {
        let (scheme, after) = uri.split_once("://")?;
        let (rest, fragment) = match after.split_once('#') {
            Some((rest, fragment)) => (rest, Some(fragment)),
            None => (after, None),
        };
        let (rest, query) = match rest.split_once('?') {
            Some((rest, query)) => (rest, Some(query)),
            None => (rest, None),
        };
        let slash = rest.find('/').unwrap_or(rest.len());
        let (authority, path) = rest.split_at(slash);
        if authority.is_empty() || authority.contains('@') {
            return None;
        }
        Some(Self {
            scheme,
            authority,
            path,
            query,
            fragment,
        })
    }
}

/// An `http` URI whose host is a loopback IP literal in its one canonical spelling
/// (`127.0.0.1`, never `127.1` or `0x7f.1`; `[::1]`, never `[0:0:0:0:0:0:0:1]`), with a port
/// written as digits without a leading zero, if any. `rest` is everything after the authority.
#[derive(Debug)]
struct Loopback<'a> {
    host: &'a str,
    rest: &'a str,
}

impl<'a> Loopback<'a> {
    fn parse(uri: &'a str) -> Option<Self> {
        let after = uri.strip_prefix("http://")?;
        let end = after.find(['/', '?', '#']).unwrap_or(after.len());
        let (authority, rest) = after.split_at(end);
        let (host, port) = match authority.strip_prefix('[') {
            Some(inside) => {
                let close = inside.find(']')?;
                let port = match &inside[close + 1..] {
                    "" => None,
                    tail => Some(tail.strip_prefix(':')?),
                };
                (&authority[..close + 2], port)
            }
            None => match authority.split_once(':') {
                Some((host, port)) => (host, Some(port)),
                None => (authority, None),
            },
        };
        let canonical = match host.strip_prefix('[').and_then(|h| h.strip_suffix(']')) {
            Some(v6) => v6
                .parse::<std::net::Ipv6Addr>()
                .ok()
                .filter(std::net::Ipv6Addr::is_loopback)
                .map(|ip| format!("[{ip}]")),
            None => host
                .parse::<std::net::Ipv4Addr>()
                .ok()
                .filter(std::net::Ipv4Addr::is_loopback)
                .map(|ip| ip.to_string()),
        }?;
        let port_ok = port.is_none_or(|p| p.parse::<u16>().is_ok_and(|n| n.to_string() == p));
        (canonical == host && port_ok).then_some(Self { host, rest })
    }
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
    fn loopback_uris_spelt_otherwise_or_elsewhere_never_match() {
        // Each pair was answered with a code before: a port-strip helper that returned `None`
        // for both, and an `&&`/`||` slip that let any IPv6 loopback URI through.
        for (registered, requested) in [
            ("https://[::1]:8443/cb", "https://[::1]/totally/else"),
            ("https://[::1]:8443/cb", "http://0x7f.1:9/evil"),
            ("http://127.1:8080/cb", "http://0x7f.1:9/evil"),
            ("http://127.1:8080/cb", "http://127.1:9/elsewhere"),
            ("http://[0:0:0:0:0:0:0:1]:8080/cb", "http://[::1]:9/other"),
            ("http://[0:0:0:0:0:0:0:1]:8080/cb", "https://[::1]/cb"),
            ("http://127.0.0.1:8080/cb", "http://127.1:8080/cb"),
            ("http://127.0.0.1:8080/cb", "http://2130706433:8080/cb"),
            ("http://127.0.0.1:8080/cb", "http://127.000.000.001:8080/cb"),
            (
                "http://127.0.0.1:8080/cb",
                "http://[::ffff:127.0.0.1]:8080/cb",
            ),
            ("http://127.0.0.1:8080/cb", "http://127.0.0.1:08080/cb"),
            ("http://127.0.0.1:8080/cb", "http://127.0.0.1:/cb"),
            ("http://127.0.0.1:8080/cb", "http://127.0.0.1:99999/cb"),
            ("http://127.0.0.1:8080/cb", "http://user@127.0.0.1:9/cb"),
            ("http://127.0.0.1:8080/cb", "HTTP://127.0.0.1:9/cb"),
            ("http://127.0.0.1:8080/cb", "http://127.0.0.1:9/cb/../cb"),
            ("http://127.0.0.1:8080/cb", "http://127.0.0.1:9/CB"),
            ("http://[::1]:8080/cb", "http://[::1]:9/cb?x=1"),
            ("http://[::1]:8080/cb", "http://[::1]:9/cb#f"),
        ] {
            assert!(
                !matches(registered, requested),
                "{requested} must not match {registered}"
            );
        }
        assert!(matches("http://[::1]:8080/cb", "http://[::1]:9/cb"));
        assert!(matches(
            "http://127.0.0.2/cb?a=1",
            "http://127.0.0.2:9/cb?a=1"
        ));
        assert!(
            matches("http://127.1:8080/cb", "http://127.1:8080/cb"),
            "itself"
        );
    }

    #[test]
    fn github_refuses_dot_segments_and_encoded_separators_below_the_callback() {
        let registered = "https://app.example/cb";
        for requested in [
            "https://app.example/cb/./x",
            "https://app.example/cb/%2e%2e/x",
            "https://app.example/cb/%2E%2E/x",
            "https://app.example/cb%2f..%2fx",
            "https://app.example/cb/..\\x",
            "https://APP.example/cb/x",
            "https://app.example:443/cb/x",
            "https://user@app.example/cb/x",
        ] {
            assert!(
                !matches_subdirectory(registered, requested),
                "{requested} must not match"
            );
        }
        assert!(matches_subdirectory(
            "http://127.0.0.1/cb",
            "http://127.0.0.1:1234/cb/x"
        ));
        assert!(!matches_subdirectory(
            "http://127.0.0.1/cb",
            "http://127.1:1234/cb/x"
        ));
    }

    mod properties {
        use super::super::*;
        use proptest::prelude::*;

        /// Registered URIs of every kind the configuration accepts.
        fn registered() -> impl Strategy<Value = String> {
            prop_oneof![
                Just("https://rp.example/cb".to_owned()),
                Just("https://rp.example/cb?tenant=a".to_owned()),
                Just("https://[::1]:8443/cb".to_owned()),
                Just("http://127.0.0.1:8080/callback".to_owned()),
                Just("http://127.0.0.1/cb".to_owned()),
                Just("http://[::1]:8080/cb".to_owned()),
                Just("http://127.1:8080/cb".to_owned()),
                Just("http://[0:0:0:0:0:0:0:1]:8080/cb".to_owned()),
                Just("http://localhost:3000/callback".to_owned()),
                Just("com.example.app:/oauth2redirect".to_owned()),
            ]
        }

        /// Pieces an attacker splices into a URI.
        fn piece() -> impl Strategy<Value = String> {
            prop_oneof![
                Just(String::new()),
                Just("/".into()),
                Just(".".into()),
                Just("..".into()),
                Just("%2e".into()),
                Just("%2f".into()),
                Just("@".into()),
                Just(":".into()),
                Just(":9".into()),
                Just(":0".into()),
                Just("[".into()),
                Just("]".into()),
                Just("\\".into()),
                Just("#".into()),
                Just("?".into()),
                Just("0x7f".into()),
                Just("127.1".into()),
                Just("::1".into()),
                Just("0:0:0:0:0:0:0:1".into()),
                Just("localhost".into()),
                Just("evil.example".into()),
                Just("s".into()),
                "[a-zA-Z0-9]{1,3}",
            ]
        }

        /// `uri` with a piece put in, or a span replaced by one.
        fn mutated() -> impl Strategy<Value = (String, String)> {
            (
                registered(),
                piece(),
                any::<prop::sample::Index>(),
                0usize..4,
            )
                .prop_map(|(uri, piece, at, cut)| {
                    let at = at.index(uri.len() + 1);
                    let end = (at + cut).min(uri.len());
                    let mut out = uri.clone();
                    if uri.is_char_boundary(at) && uri.is_char_boundary(end) {
                        out.replace_range(at..end, &piece);
                    }
                    (uri, out)
                })
        }

        /// What a browser would make of a URI: where the code would go.
        #[derive(Debug, PartialEq, Eq)]
        struct Destination {
            scheme: String,
            host: String,
            path: String,
            query: Option<String>,
            fragment: Option<String>,
        }

        fn destination(uri: &str) -> Option<Destination> {
            let url = url::Url::parse(uri).ok()?;
            Some(Destination {
                scheme: url.scheme().to_owned(),
                host: url.host_str().unwrap_or_default().to_owned(),
                path: url.path().to_owned(),
                query: url.query().map(str::to_owned),
                fragment: url.fragment().map(str::to_owned),
            })
        }

        proptest! {
            #![proptest_config(ProptestConfig { cases: 4096, ..ProptestConfig::default() })]

            #[test]
            fn a_match_is_the_registered_uri_or_its_loopback_twin_on_another_port(
                (registered, requested) in mutated()
            ) {
                if matches(&registered, &requested) {
                    prop_assert!(requested == registered || registered.starts_with("http://"));
                    if requested != registered {
                        // Same scheme, host, path, query and fragment: only the port moved,
                        // and the host is a loopback IP literal.
                        prop_assert_eq!(destination(&registered), destination(&requested));
                        let url = url::Url::parse(&requested).unwrap();
                        prop_assert!(matches!(url.host(), Some(url::Host::Ipv4(ip)) if ip.is_loopback())
                            || matches!(url.host(), Some(url::Host::Ipv6(ip)) if ip.is_loopback()));
                        prop_assert!(Loopback::parse(&requested).is_some());
                    }
                }
            }

            #[test]
            fn only_http_loopback_literals_are_spared_exact_matching(
                (registered, requested) in mutated()
            ) {
                if Loopback::parse(&registered).is_none() {
                    prop_assert_eq!(matches(&registered, &requested), registered == requested);
                }
            }

            #[test]
            fn any_port_of_a_registered_loopback_literal_matches(port in 1u16..) {
                for registered in ["http://127.0.0.1:8080/callback", "http://[::1]/cb"] {
                    let reg = Loopback::parse(registered).unwrap();
                    let requested = format!("http://{}:{port}{}", reg.host, reg.rest);
                    prop_assert!(matches(registered, &requested));
                }
            }

            #[test]
            fn a_github_match_stays_at_or_below_the_callback(
                (registered, requested) in mutated()
            ) {
                if matches_subdirectory(&registered, &requested) {
                    let (reg, req) = (destination(&registered), destination(&requested));
                    let (Some(reg), Some(req)) = (reg, req) else {
                        prop_assert_eq!(&registered, &requested);
                        return Ok(());
                    };
                    prop_assert_eq!(&reg.scheme, &req.scheme);
                    prop_assert_eq!(&reg.host, &req.host);
                    let base = reg.path.trim_end_matches('/');
                    prop_assert!(req.path == reg.path || req.path.starts_with(&format!("{base}/")),
                        "{} resolves outside {}", requested, registered);
                    prop_assert_eq!(&reg.query, &req.query);
                    prop_assert_eq!(&req.fragment, &reg.fragment);
                }
            }
        }
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
