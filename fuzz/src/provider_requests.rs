//! The provider's every endpoint, in process, with arbitrary requests: the form and query
//! decoders, the authorization request parser, client authentication, bearer and JWT parsing,
//! the login, consent and logout forms. Whatever arrives, the answer is never a 5xx and nothing
//! panics.

use std::sync::OnceLock;

use arbitrary::{Arbitrary, Unstructured};
use axum::body::Body;
use axum::http::{Request, header};
use tower::ServiceExt as _;

const PATHS: &[&str] = &[
    "/authorize",
    "/login",
    "/consent",
    "/token",
    "/userinfo",
    "/introspect",
    "/revoke",
    "/logout",
    "/jwks",
    "/.well-known/openid-configuration",
    "/.well-known/oauth-authorization-server",
    "/_fauxauth/rules",
    "/_fauxauth/clock",
    "/_fauxauth/journal/verify",
];

const CONTENT_TYPES: &[&str] = &[
    "application/x-www-form-urlencoded",
    "application/x-www-form-urlencoded; charset=UTF-8",
    "application/json",
    "text/plain",
    "",
];

#[derive(Arbitrary, Debug)]
struct Input<'a> {
    post: bool,
    path: u8,
    query: &'a str,
    content_type: u8,
    body: &'a [u8],
    authorization: Option<&'a str>,
    cookie: Option<&'a str>,
    origin: Option<&'a str>,
}

struct World {
    runtime: tokio::runtime::Runtime,
    router: axum::Router,
}

fn world() -> &'static World {
    static WORLD: OnceLock<World> = OnceLock::new();
    WORLD.get_or_init(|| {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .build()
            .unwrap();
        // The demo configuration: confidential and public clients, users, a login page.
        let config = mock_provider::Config::default();
        let provider = mock_provider::Provider::new(
            &config,
            "http://127.0.0.1:9000",
            mock_provider::Clock::frozen(
                std::time::UNIX_EPOCH + std::time::Duration::from_secs(1_900_000_000),
            ),
        )
        .unwrap();
        let router = mock_provider::router(&provider);
        World { runtime, router }
    })
}

/// One arbitrary request to the provider: never a 5xx, never a panic.
pub fn provider_requests(data: &[u8]) {
    let Ok(input) = Input::arbitrary_take_rest(Unstructured::new(data)) else {
        return;
    };
    let world = world();
    let path = PATHS[usize::from(input.path) % PATHS.len()];
    let uri = if input.query.is_empty() {
        path.to_owned()
    } else {
        format!("{path}?{}", input.query)
    };
    let Ok(uri) = uri.parse::<axum::http::Uri>() else {
        return;
    };
    let mut request = Request::builder()
        .method(if input.post { "POST" } else { "GET" })
        .uri(uri);
    let content_type = CONTENT_TYPES[usize::from(input.content_type) % CONTENT_TYPES.len()];
    if !content_type.is_empty() {
        request = request.header(header::CONTENT_TYPE, content_type);
    }
    for (name, value) in [
        (header::AUTHORIZATION, input.authorization),
        (header::COOKIE, input.cookie),
        (header::ORIGIN, input.origin),
    ] {
        if let Some(value) = value.and_then(|v| axum::http::HeaderValue::from_str(v).ok()) {
            request = request.header(name, value);
        }
    }
    let Ok(request) = request.body(Body::from(input.body.to_vec())) else {
        return;
    };
    let response = world
        .runtime
        .block_on(world.router.clone().oneshot(request))
        .unwrap();
    assert!(
        !response.status().is_server_error(),
        "{} for {path}",
        response.status()
    );
}
