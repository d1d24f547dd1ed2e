//! The client's pages: home, profile, logout and errors. Self-contained HTML and CSS (no external
//! assets, no scripts), rendered by askama, which escapes every value. Each page marks its state
//! for machines: `data-state="logged-in"` / `"logged-out"` on `<main>`, or `data-error="<code>"`.

use askama::Template;
use axum::http::{HeaderName, HeaderValue, StatusCode};
use axum::response::Response;

/// The response header saying whether the page was served to a logged-in visitor.
pub const STATE_HEADER: HeaderName = HeaderName::from_static("x-fauxauth-client-state");

/// A logged-in user, as the home page shows them.
#[derive(Debug)]
pub struct UserView<'a> {
    pub name: &'a str,
    pub sub: &'a str,
    pub email: Option<&'a str>,
    /// An account name apart from `name` (GitHub's `login`).
    pub login: Option<&'a str>,
    pub issuer: &'a str,
}

#[derive(Template)]
#[template(path = "home.html")]
struct HomePage<'a> {
    user: Option<UserView<'a>>,
    resource: bool,
    /// Whether logins are OpenID Connect's (an ID token), or plain OAuth 2.0 (GitHub).
    openid: bool,
}

#[derive(Template)]
#[template(path = "me.html")]
struct MePage<'a> {
    resource: &'a str,
    path: &'a str,
    name: &'a str,
    rows: Vec<(String, String)>,
    raw: &'a str,
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage<'a> {
    code: &'a str,
    phrase: &'a str,
    detail: &'a str,
}

/// The provider's end-session endpoint and what to post to it (RP-Initiated Logout 1.0 §2).
#[derive(Debug)]
pub struct EndSession<'a> {
    pub action: &'a str,
    pub id_token_hint: &'a str,
    pub client_id: &'a str,
    pub post_logout_redirect_uri: &'a str,
}

#[derive(Template)]
#[template(path = "logout.html")]
struct LogoutPage<'a> {
    end_session: Option<EndSession<'a>>,
    logged_in: bool,
}

pub fn home(user: Option<UserView<'_>>, resource: bool, openid: bool) -> Response {
    let state = if user.is_some() {
        "logged-in"
    } else {
        "logged-out"
    };
    let mut response = page(
        StatusCode::OK,
        HomePage {
            user,
            resource,
            openid,
        }
        .render(),
    );
    response
        .headers_mut()
        .insert(STATE_HEADER, HeaderValue::from_static(state));
    response
}

/// The resource's answer about the caller (at `path`): `rows` are picked claims, `raw` the whole
/// answer.
pub fn me(
    resource: &str,
    path: &str,
    name: &str,
    rows: Vec<(String, String)>,
    raw: &str,
) -> Response {
    let mut response = page(
        StatusCode::OK,
        MePage {
            resource,
            path,
            name,
            rows,
            raw,
        }
        .render(),
    );
    response
        .headers_mut()
        .insert(STATE_HEADER, HeaderValue::from_static("logged-in"));
    response
}

/// The page of a refused login: the check's stable code, its phrase, and what was wrong.
pub fn error_page(status: StatusCode, code: &str, phrase: &str, detail: &str) -> Response {
    page(
        status,
        ErrorPage {
            code,
            phrase,
            detail,
        }
        .render(),
    )
}

/// Asks to confirm a logout (logging out is a POST, so no link can do it behind one's back).
pub fn confirm_logout(logged_in: bool) -> Response {
    page(
        StatusCode::OK,
        LogoutPage {
            end_session: None,
            logged_in,
        }
        .render(),
    )
}

/// Logged out here; offers to end the provider's session with a form POST, which keeps the ID
/// token out of every URL.
pub fn logged_out(end_session: EndSession<'_>) -> Response {
    let mut response = page(
        StatusCode::OK,
        LogoutPage {
            end_session: Some(end_session),
            logged_in: false,
        }
        .render(),
    );
    response
        .headers_mut()
        .insert(STATE_HEADER, HeaderValue::from_static("logged-out"));
    response
}

fn page(status: StatusCode, rendered: askama::Result<String>) -> Response {
    // No scripts, inline style only, no framing (RFC 9700 §4.16 applies to clients' pages as much).
    // `Cache-Control` and `Referrer-Policy` are set on every answer by the router.
    fauxauth_core::wire::page(status, rendered)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use axum::http::header;

    pub fn body(response: Response) -> String {
        let rt = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        let bytes = rt
            .block_on(axum::body::to_bytes(response.into_body(), usize::MAX))
            .unwrap();
        String::from_utf8(bytes.to_vec()).unwrap()
    }

    #[test]
    fn long_values_wrap_inside_the_card() {
        // Graph's `@odata.context` is one long URL with no space to break at.
        let context = "https://graph.microsoft.com/v1.0/$metadata#users/$entity".repeat(3);
        let body = body(me(
            "http://127.0.0.1:9001",
            "/v1.0/me",
            "Alice",
            vec![("@odata.context".into(), context.clone())],
            &context,
        ));
        assert!(body.contains(&context), "{body}");
        let style = &body[body.find("<style>").unwrap()..body.find("</style>").unwrap()];
        for rule in ["th, td {", "pre {"] {
            let at = style
                .find(rule)
                .unwrap_or_else(|| panic!("no {rule} in {style}"));
            let block = &style[at..at + style[at..].find('}').unwrap()];
            assert!(block.contains("overflow-wrap: anywhere"), "{block}");
        }
        assert!(style.contains("table-layout: fixed"), "{style}");
    }

    #[test]
    fn home_says_who_is_logged_in_and_marks_it() {
        let response = home(
            Some(UserView {
                name: "Alice <Admin>",
                sub: "alice",
                email: Some("alice@example.com"),
                login: None,
                issuer: "http://127.0.0.1:9000",
            }),
            true,
            true,
        );
        assert_eq!(response.headers()[STATE_HEADER], "logged-in");
        assert_eq!(response.headers()[header::X_FRAME_OPTIONS], "DENY");
        let body = body(response);
        assert!(body.contains(r#"data-state="logged-in""#), "{body}");
        assert!(body.contains("Logged in as"), "{body}");
        assert!(body.contains("Alice &#60;Admin&#62;") || body.contains("Alice &lt;Admin&gt;"));
        assert!(body.contains(r#"action="/me""#), "{body}");
    }

    #[test]
    fn home_shows_an_account_name_when_there_is_one() {
        let user = |login| UserView {
            name: "The Octocat",
            sub: "583231",
            email: None,
            login,
            issuer: "http://127.0.0.1:9000",
        };
        let body = body(home(Some(user(Some("octocat"))), false, false));
        assert!(
            body.contains("<th>login</th><td><code>octocat</code>"),
            "{body}"
        );
        assert!(body.contains("user API all checked out"), "{body}");
        let body = self::body(home(Some(user(None)), false, true));
        assert!(!body.contains("<th>login</th>"), "{body}");
    }

    #[test]
    fn home_says_when_nobody_is_logged_in() {
        let response = home(None, false, true);
        assert_eq!(response.headers()[STATE_HEADER], "logged-out");
        let body = body(response);
        assert!(body.contains(r#"data-state="logged-out""#), "{body}");
        assert!(body.contains("Not logged in"), "{body}");
        assert!(!body.contains("<script"), "{body}");
    }

    #[test]
    fn the_logout_form_posts_the_hint_to_the_provider() {
        let body = body(logged_out(EndSession {
            action: "http://127.0.0.1:9000/logout",
            id_token_hint: "a.b.c",
            client_id: "web",
            post_logout_redirect_uri: "http://127.0.0.1:8080/",
        }));
        assert!(
            body.contains(r#"<form method="post" action="http://127.0.0.1:9000/logout">"#),
            "{body}"
        );
        assert!(
            body.contains(r#"name="id_token_hint" value="a.b.c""#),
            "{body}"
        );
    }
}
