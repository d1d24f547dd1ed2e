//! The browser fauxauth plays: one cookie jar for `127.0.0.1` (browsers do not separate cookies
//! by port), redirects followed one hop at a time, pages read and submitted as a person would,
//! and each redirect open to interception before it is followed.
//!
//! One browser for the scenario runner, the app tests and every test that plays a person: a
//! [`Browser`] is shared by reference (its cookie jar is behind a lock held only between
//! requests), and each request comes back as a [`Hop`] with the status, the headers and the body.

use std::collections::BTreeMap;
use std::sync::Mutex;

pub use reqwest::Method;
use scraper::{Html, Selector};
pub use url::Url;

/// What the browser sends as its `User-Agent`, so its own requests can be told apart from the
/// client's in the servers' journals.
pub const USER_AGENT: &str = "fauxauth-browser";

/// How many hops a navigation may take before it is called a loop.
pub const MAX_HOPS: usize = 12;

/// Why the browser got no page.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The address given is no URL.
    #[error("{url}: {source}")]
    Url {
        url: String,
        source: url::ParseError,
    },
    /// The request got no HTTP answer (refused, reset, timed out, not HTTP).
    #[error("{method} {url}: no answer ({source})")]
    NoAnswer {
        method: Method,
        url: Url,
        source: reqwest::Error,
    },
    /// Redirects went on past [`MAX_HOPS`].
    #[error("more than {MAX_HOPS} redirects: a loop?")]
    Loop,
}

/// One request the browser made and what came back.
#[derive(Clone, Debug)]
pub struct Hop {
    /// The clock's event number when the request left, to order it among the servers' entries.
    pub seq: u64,
    pub method: Method,
    pub url: Url,
    pub form: Option<Vec<(String, String)>>,
    pub status: u16,
    pub headers: BTreeMap<String, String>,
    pub body: String,
}

impl Hop {
    /// The first value of the response header `name` (lower case), if it came.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).map(String::as_str)
    }

    /// Where a redirect points, resolved against the request's URL.
    pub fn location(&self) -> Option<Url> {
        let location = self.headers.get("location")?;
        self.url.join(location).ok()
    }
}

/// A person at a browser.
#[derive(Debug)]
pub struct Browser {
    http: reqwest::Client,
    clock: fauxauth_core::Clock,
    cookies: Mutex<BTreeMap<String, String>>,
}

impl Default for Browser {
    /// A browser on the system clock, for tests that do not order its requests among the
    /// servers' journal entries.
    fn default() -> Self {
        Self::new(fauxauth_core::Clock::system())
    }
}

impl Browser {
    /// A browser whose requests are numbered by `clock`'s events (see [`Hop::seq`]).
    pub fn new(clock: fauxauth_core::Clock) -> Self {
        Self::trusting(clock, &fauxauth_core::Trust::default())
    }

    /// A browser that trusts `trust`'s certificate authorities over HTTPS (and no others).
    pub fn trusting(clock: fauxauth_core::Clock, trust: &fauxauth_core::Trust) -> Self {
        Self::resolving(clock, trust, &[])
    }

    /// A browser trusting `trust`, on a machine where each name in `resolve` points at its
    /// address (a hosts file entry, without the hosts file).
    pub fn resolving(
        clock: fauxauth_core::Clock,
        trust: &fauxauth_core::Trust,
        resolve: &[(String, std::net::SocketAddr)],
    ) -> Self {
        let mut http = reqwest::Client::builder();
        for (name, addr) in resolve {
            http = http.resolve(name, *addr);
        }
        let http = http
            .use_preconfigured_tls(trust.client_config())
            .no_proxy()
            .user_agent(USER_AGENT)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("an HTTP client");
        Self {
            http,
            clock,
            cookies: Mutex::new(BTreeMap::new()),
        }
    }

    /// One request, cookies sent and kept.
    pub async fn request(
        &self,
        method: Method,
        url: Url,
        form: Option<Vec<(String, String)>>,
    ) -> Result<Hop, Error> {
        let seq = self.clock.tick();
        let mut request = self.http.request(method.clone(), url.clone());
        if let Some(cookie) = self.cookie_header() {
            request = request.header("cookie", cookie);
        }
        if let Some(form) = &form {
            let mut body = form_urlencoded::Serializer::new(String::new());
            for (k, v) in form {
                body.append_pair(k, v);
            }
            request = request
                .header("content-type", "application/x-www-form-urlencoded")
                .body(body.finish());
        }
        // As browsers do: a GET sent on a kept-alive connection the server had just closed
        // (nothing came back, not even a status) is sent once more, on a new connection.
        let again = matches!(method, Method::GET | Method::HEAD)
            .then(|| request.try_clone())
            .flatten();
        let response = match (request.send().await, again) {
            (Ok(response), _) => Ok(response),
            (Err(e), Some(again)) if closed_under_it(&e) => again.send().await,
            (Err(e), _) => Err(e),
        }
        .map_err(|source| Error::NoAnswer {
            method: method.clone(),
            url: url.clone(),
            source,
        })?;
        let status = response.status().as_u16();
        let mut headers = BTreeMap::new();
        for (name, value) in response.headers() {
            let value = value.to_str().unwrap_or_default().to_owned();
            if name == "set-cookie" {
                self.keep_cookie(&value);
            }
            headers.entry(name.as_str().to_owned()).or_insert(value);
        }
        let body = response.text().await.unwrap_or_default();
        Ok(Hop {
            seq,
            method,
            url,
            form,
            status,
            headers,
            body,
        })
    }

    /// `GET url`, nothing followed.
    pub async fn get(&self, url: &str) -> Result<Hop, Error> {
        self.request(Method::GET, parse(url)?, None).await
    }

    /// `POST url` with `form` as `application/x-www-form-urlencoded`, nothing followed.
    pub async fn post<K: ToString, V: ToString>(
        &self,
        url: &str,
        form: &[(K, V)],
    ) -> Result<Hop, Error> {
        let url = parse(url)?;
        let form = form
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        self.request(Method::POST, url, Some(form)).await
    }

    /// Keeps a cookie as a browser would, dropping it when expired.
    pub fn keep_cookie(&self, header: &str) {
        let mut parts = header.split(';');
        let Some((name, value)) = parts.next().and_then(|p| p.split_once('=')) else {
            return;
        };
        let expired = parts.any(|p| p.trim().eq_ignore_ascii_case("max-age=0"));
        let mut cookies = self.jar();
        if expired || value.trim().is_empty() {
            cookies.remove(name.trim());
        } else {
            cookies.insert(name.trim().to_owned(), value.trim().to_owned());
        }
    }

    /// The cookies, for requests the browser's owner makes by hand.
    pub fn cookie_header(&self) -> Option<String> {
        let cookies = self.jar();
        (!cookies.is_empty()).then(|| {
            cookies
                .iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect::<Vec<_>>()
                .join("; ")
        })
    }

    /// The value of the cookie `name`, if the browser holds one.
    pub fn cookie(&self, name: &str) -> Option<String> {
        self.jar().get(name).cloned()
    }

    /// Sets a cookie by hand, as a person editing their browser's storage (or an attacker who
    /// planted it) would.
    pub fn set_cookie(&self, name: &str, value: &str) {
        self.jar().insert(name.to_owned(), value.to_owned());
    }

    /// The jar, locked only between requests: no lock is held across an `await`.
    fn jar(&self) -> std::sync::MutexGuard<'_, BTreeMap<String, String>> {
        self.cookies
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Follows redirects from `hops`' last answer until a page, each hop recorded. `next` sees
    /// each redirect's target first and says where to go instead (a changed URL) or `None` to stop
    /// there without going.
    ///
    /// A page that posts its one form by itself (`document.forms[0].submit()`, as an
    /// authorization response with `response_mode=form_post` does) is followed as a browser
    /// running its script would: the form is posted.
    pub async fn follow(
        &self,
        hops: &mut Vec<Hop>,
        mut next: impl FnMut(&Url) -> Option<Url>,
    ) -> Result<(), Error> {
        loop {
            let Some(last) = hops.last() else {
                return Ok(());
            };
            let (method, target, form) = if (300..400).contains(&last.status) {
                match last.location() {
                    Some(target) => (Method::GET, target, None),
                    None => return Ok(()),
                }
            } else {
                match self_submitting(last) {
                    Some(form) => (form.method, form.action, Some(form.fields)),
                    None => return Ok(()),
                }
            };
            if hops.len() >= MAX_HOPS {
                return Err(Error::Loop);
            }
            let Some(target) = next(&target) else {
                return Ok(());
            };
            let hop = self.request(method, target, form).await?;
            hops.push(hop);
        }
    }
}

/// Whether `error` is a kept-alive connection closing before any answer came: the server closed
/// it as the request went out (an idle timeout, or a server closing its idle connections).
fn closed_under_it(error: &reqwest::Error) -> bool {
    let mut source = std::error::Error::source(error);
    while let Some(e) = source {
        if let Some(hyper) = e.downcast_ref::<hyper::Error>() {
            return hyper.is_incomplete_message() || hyper.is_canceled();
        }
        source = e.source();
    }
    false
}

fn parse(url: &str) -> Result<Url, Error> {
    Url::parse(url).map_err(|source| Error::Url {
        url: url.to_owned(),
        source,
    })
}

/// The form a page posts by itself on loading: its only form, submitted by its script.
pub fn self_submitting(hop: &Hop) -> Option<Form> {
    let html = hop
        .header("content-type")
        .is_some_and(|c| c.starts_with("text/html"));
    if hop.status != 200 || !html || !hop.body.contains("document.forms[0].submit()") {
        return None;
    }
    match forms(&hop.body, &hop.url).as_slice() {
        [form] => Some(form.clone()),
        _ => None,
    }
}

/// A form on a page: where it goes, and its fields (hidden inputs and named buttons' values as
/// given).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Form {
    pub method: Method,
    pub action: Url,
    pub fields: Vec<(String, String)>,
}

/// The forms of a page, with hidden inputs filled in; `base` resolves relative actions.
pub fn forms(html: &str, base: &Url) -> Vec<Form> {
    let document = Html::parse_document(html);
    let form_selector = Selector::parse("form").expect("a valid selector");
    let hidden = Selector::parse("input[type=hidden]").expect("a valid selector");
    document
        .select(&form_selector)
        .filter_map(|form| {
            let action = base.join(form.value().attr("action").unwrap_or("")).ok()?;
            let method = match form
                .value()
                .attr("method")
                .map(str::to_ascii_uppercase)
                .as_deref()
            {
                Some("POST") => Method::POST,
                _ => Method::GET,
            };
            let fields = form
                .select(&hidden)
                .filter_map(|input| {
                    Some((
                        input.value().attr("name")?.to_owned(),
                        input.value().attr("value").unwrap_or("").to_owned(),
                    ))
                })
                .collect();
            Some(Form {
                method,
                action,
                fields,
            })
        })
        .collect()
}

/// Every link of a page, resolved against `base`.
pub fn links(html: &str, base: &Url) -> Vec<Url> {
    let document = Html::parse_document(html);
    let selector = Selector::parse("a[href]").expect("a valid selector");
    document
        .select(&selector)
        .filter_map(|a| base.join(a.value().attr("href")?).ok())
        .collect()
}

/// What a person clicks to start a login on a page: a link or a form's button.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Entry {
    Link(Url),
    Form(Form),
}

/// The way into a login on a page: the link or form whose text (or, failing that, target) says
/// `wanted`, or when nothing is wanted, one that reads like a login ("log in", "sign in",
/// "login", "signin").
pub fn login_entry(html: &str, base: &Url, wanted: Option<&str>) -> Option<Entry> {
    let document = Html::parse_document(html);
    let links = Selector::parse("a[href]").expect("a valid selector");
    let form_selector = Selector::parse("form").expect("a valid selector");
    let fold = |s: &str| {
        s.split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
            .to_lowercase()
    };
    let says = |text: &str, target: &str| match wanted {
        Some(w) => fold(text).contains(&fold(w)),
        None => {
            let (text, target) = (fold(text), target.to_lowercase());
            ["log in", "sign in", "login", "signin", "log on"]
                .iter()
                .any(|w| text.contains(w) || target.contains(&w.replace(' ', "")))
        }
    };
    for link in document.select(&links) {
        let href = link.value().attr("href").unwrap_or("");
        let text: String = link.text().collect();
        if says(&text, href)
            && let Ok(url) = base.join(href)
        {
            return Some(Entry::Link(url));
        }
    }
    let all = forms(html, base);
    document
        .select(&form_selector)
        .zip(all)
        .find(|(element, form)| {
            let text: String = element.text().collect();
            says(&text, form.action.as_str())
        })
        .map(|(_, form)| Entry::Form(form))
}

/// The text a person reads on a page: scripts and styles left out, whitespace folded.
pub fn visible_text(html: &str) -> String {
    let document = Html::parse_document(html);
    let skip = Selector::parse("script, style, head").expect("a valid selector");
    let hidden: Vec<_> = document.select(&skip).map(|e| e.id()).collect();
    let mut out = String::new();
    for node in document.tree.root().descendants() {
        if let scraper::Node::Text(text) = node.value()
            && !node.ancestors().any(|a| hidden.contains(&a.id()))
        {
            out.push(' ');
            out.push_str(text);
        }
    }
    out.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hidden_fields_are_read_and_entities_decoded() {
        let html = r#"<form method="post" action="/login"><input type="hidden" name="tx" value="a&amp;b">
            <input type="text" name="username"></form><form action="https://op.example/logout"></form>"#;
        let base = Url::parse("http://127.0.0.1:9/authorize").unwrap();
        let found = forms(html, &base);
        assert_eq!(found[0].method, Method::POST);
        assert_eq!(found[0].action.as_str(), "http://127.0.0.1:9/login");
        assert_eq!(found[0].fields, [("tx".to_owned(), "a&b".to_owned())]);
        assert_eq!(found[1].method, Method::GET);
    }

    #[test]
    fn a_login_link_or_button_is_found_by_its_text() {
        let base = Url::parse("http://127.0.0.1:5/").unwrap();
        let page = r#"<a href="/about">About</a><a href="/auth/start">Log in with fauxauth</a>"#;
        assert_eq!(
            login_entry(page, &base, None),
            Some(Entry::Link(base.join("/auth/start").unwrap()))
        );
        let form = r#"<form method="post" action="/go"><input type="hidden" name="csrf" value="x"><button>Sign in</button></form>"#;
        assert!(
            matches!(login_entry(form, &base, None), Some(Entry::Form(f)) if f.action.path() == "/go")
        );
        assert_eq!(
            login_entry(page, &base, Some("About")),
            Some(Entry::Link(base.join("/about").unwrap()))
        );
        assert_eq!(login_entry("<p>nothing</p>", &base, None), None);
    }

    #[test]
    fn visible_text_folds_markup_and_leaves_scripts_out() {
        let html = "<html><head><title>T</title><style>p{}</style></head><body><h1>Logged in as\n <span>Alice  Example</span></h1><script>var x = 1;</script></body></html>";
        assert_eq!(visible_text(html), "Logged in as Alice Example");
    }

    /// A server on `127.0.0.1` that answers every request on every connection with `answer`,
    /// and reports each request it read.
    async fn answering(
        answer: &'static str,
    ) -> (Url, tokio::sync::mpsc::UnboundedReceiver<String>) {
        use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = Url::parse(&format!("http://{}/", listener.local_addr().unwrap())).unwrap();
        let (seen, heads) = tokio::sync::mpsc::unbounded_channel();
        tokio::spawn(async move {
            while let Ok((mut stream, _)) = listener.accept().await {
                let seen = seen.clone();
                tokio::spawn(async move {
                    let mut request = Vec::new();
                    let mut buffer = [0; 4096];
                    while let Ok(n @ 1..) = stream.read(&mut buffer).await {
                        request.extend_from_slice(&buffer[..n]);
                        // A whole request: its head, then as many bytes as Content-Length says.
                        let text = String::from_utf8_lossy(&request).into_owned();
                        let Some((head, body)) = text.split_once("\r\n\r\n") else {
                            continue;
                        };
                        let length = head
                            .lines()
                            .find_map(|l| {
                                l.to_lowercase()
                                    .strip_prefix("content-length: ")?
                                    .parse()
                                    .ok()
                            })
                            .unwrap_or(0);
                        if body.len() < length {
                            continue;
                        }
                        request.clear();
                        let _ = seen.send(text);
                        if stream.write_all(answer.as_bytes()).await.is_err() {
                            break;
                        }
                    }
                });
            }
        });
        (url, heads)
    }

    #[tokio::test]
    async fn a_cookie_set_on_one_answer_is_sent_with_the_next_request() {
        let (url, mut heads) = answering(
            "HTTP/1.1 200 OK\r\nSet-Cookie: sid=abc; Path=/; HttpOnly\r\nContent-Length: 2\r\n\r\nok",
        )
        .await;
        let browser = Browser::default();
        let first = browser.get(url.as_str()).await.unwrap();
        assert_eq!((first.status, first.body.as_str()), (200, "ok"));
        assert!(
            !heads
                .recv()
                .await
                .unwrap()
                .to_lowercase()
                .contains("cookie:")
        );
        browser.post(url.as_str(), &[("a", "b c")]).await.unwrap();
        let second = heads.recv().await.unwrap();
        assert!(second.starts_with("POST / "), "{second}");
        assert!(second.contains("cookie: sid=abc"), "{second}");
        assert!(second.ends_with("a=b+c"), "{second}");
        assert_eq!(browser.cookie("sid").as_deref(), Some("abc"));
    }

    #[tokio::test]
    async fn a_redirect_loop_and_a_closed_port_are_errors_of_their_own() {
        let (url, _heads) =
            answering("HTTP/1.1 302 Found\r\nLocation: /again\r\nContent-Length: 0\r\n\r\n").await;
        let browser = Browser::default();
        let mut hops = vec![browser.get(url.as_str()).await.unwrap()];
        let looped = browser.follow(&mut hops, |next| Some(next.clone())).await;
        assert!(matches!(looped, Err(Error::Loop)), "{looped:?}");
        assert_eq!(hops.len(), MAX_HOPS);
        assert!(hops.iter().skip(1).all(|h| h.url.path() == "/again"));

        let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let address = closed.local_addr().unwrap();
        drop(closed);
        let refused = browser.get(&format!("http://{address}/")).await;
        assert!(
            matches!(refused, Err(Error::NoAnswer { .. })),
            "{refused:?}"
        );
        assert!(matches!(
            browser.get("not a url").await,
            Err(Error::Url { .. })
        ));
    }

    #[test]
    fn an_expired_cookie_is_dropped() {
        let browser = Browser::default();
        browser.keep_cookie("sid=abc; Path=/; HttpOnly");
        assert_eq!(browser.cookie_header().as_deref(), Some("sid=abc"));
        browser.keep_cookie("sid=; Max-Age=0; Path=/");
        assert_eq!(browser.cookie_header(), None);
    }
}
