//! What a step exchanged with a server: the request as sent (for replays and the transcript)
//! and the answer as received. Plain data that acting makes and expecting and capturing read.

use std::collections::BTreeMap;

use reqwest::Method;
use serde_json::Value;

use crate::scenario::model::Server;

/// A request as sent, for replay and the transcript.
#[derive(Clone, Debug)]
pub struct Sent {
    pub server: Server,
    pub method: Method,
    /// Relative to the server's base URL (path and query), or an absolute URL (a preset's
    /// endpoint outside its issuer URL).
    pub target: String,
    pub headers: Vec<(String, String)>,
    pub form: Option<Vec<(String, String)>>,
    pub body: Option<String>,
}

/// An answer as received.
#[derive(Clone, Debug)]
pub struct Received {
    pub status: u16,
    pub headers: BTreeMap<String, String>,
    pub body: String,
    pub json: Option<Value>,
    /// A form-encoded body's members.
    pub form: Option<BTreeMap<String, String>>,
    /// The query of the `Location` header, decoded.
    pub params: BTreeMap<String, String>,
}

/// The fields of a page's form that posts an authorization response (one with a `code` or an
/// `error`), as a redirect's query would carry them; nothing for any other page.
fn posted_response(html: &str) -> BTreeMap<String, String> {
    let base = url::Url::parse("http://127.0.0.1/").expect("a valid URL");
    fauxauth_browser::forms(html, &base)
        .into_iter()
        .map(|form| form.fields.into_iter().collect::<BTreeMap<_, _>>())
        .find(|fields| fields.contains_key("code") || fields.contains_key("error"))
        .unwrap_or_default()
}

impl Received {
    /// An answer, its body read as JSON or as a form when its content type says so.
    pub fn new(status: u16, headers: BTreeMap<String, String>, body: String) -> Self {
        let content_type = headers.get("content-type").map_or("", String::as_str);
        let json = content_type
            .contains("json")
            .then(|| serde_json::from_str(&body).ok())
            .flatten();
        let form = content_type
            .starts_with("application/x-www-form-urlencoded")
            .then(|| {
                form_urlencoded::parse(body.as_bytes())
                    .into_owned()
                    .collect()
            });
        let params = match headers.get("location") {
            Some(location) => url::Url::parse(location)
                .map(|u| u.query_pairs().into_owned().collect())
                .unwrap_or_default(),
            // `response_mode=form_post`: the answer is in the page's form (OAuth 2.0 Form Post
            // Response Mode §2).
            None if content_type.starts_with("text/html") => posted_response(&body),
            None => BTreeMap::new(),
        };
        Self {
            status,
            headers,
            body,
            json,
            form,
            params,
        }
    }

    /// A member of the JSON body, or of the form-encoded body, as text.
    pub fn member(&self, name: &str) -> Option<String> {
        match (&self.json, &self.form) {
            (Some(json), _) => json.get(name).and_then(Value::as_str).map(str::to_owned),
            (None, Some(form)) => form.get(name).cloned(),
            (None, None) => None,
        }
    }
}
