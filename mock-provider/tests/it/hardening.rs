//! Hostile input: what a peer can make the provider hold, how long it may take, and the admin
//! API's answers to values out of range. Each test is a regression of a bug found by probing.

use mock_provider::Scripted as _;
use std::time::Duration;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use mock_provider::{Config, Filter};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpStream;

use crate::helpers::*;

async fn admin(p: &TestProvider, method: &str, path: &str, body: Option<Value>) -> TestResponse {
    let request = Request::builder()
        .method(method)
        .uri(format!("/_fauxauth{path}"))
        .header(header::CONTENT_TYPE, "application/json");
    let body = body.map_or_else(Body::empty, |b| Body::from(b.to_string()));
    p.send(request.body(body).unwrap()).await
}

#[tokio::test]
async fn an_oversized_form_is_answered_briefly_and_journaled_cut() {
    // A megabyte of control bytes as grant_type: it used to come back in error_description,
    // and stay whole in the journal.
    let p = TestProvider::new();
    // Just under the 1 MiB body limit: a bigger body is refused with 413 before it is read.
    let junk = "%01".repeat(300_000);
    let body = format!("grant_type={junk}&client_id=web");
    let response = p
        .send(
            Request::post("/token")
                .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                .header(header::AUTHORIZATION, basic("web", WEB_SECRET))
                .body(Body::from(body))
                .unwrap(),
        )
        .await;
    assert_eq!(response.status, StatusCode::BAD_REQUEST);
    assert!(response.body.len() < 1024, "{} bytes", response.body.len());
    let answer: Value = serde_json::from_slice(&response.body).unwrap();
    assert_eq!(answer["error"], "unsupported_grant_type");
    let entries = p.provider().journal().query(&Filter::endpoint("token"));
    let entry = entries.last().unwrap();
    assert!(entry.cut.contains(&"form".to_owned()), "{:?}", entry.cut);
    assert!(entry.form["grant_type"].as_str().unwrap().len() <= 4096);
    assert!(
        p.provider().journal().bytes() < 64 * 1024,
        "{} bytes: {}",
        p.provider().journal().bytes(),
        serde_json::to_string(entry)
            .unwrap()
            .chars()
            .take(3000)
            .collect::<String>()
    );
}

#[tokio::test]
async fn the_journal_stays_within_its_byte_limit_whatever_it_is_fed() {
    let mut config = Config::single(issuer_config());
    config.limits.journal.max_mib = 1;
    let p = TestProvider::with(config);
    // As much as a URI holds: 60 parameters of 1,000 bytes.
    let long = "x".repeat(1000);
    for _ in 0..400 {
        let query: String = (0..60).map(|i| format!("p{i}={long}&")).collect();
        p.get(&format!("/authorize?{query}")).await;
    }
    let journal = p.provider().journal();
    assert!(journal.bytes() <= 1024 * 1024, "{}", journal.bytes());
    assert!(
        journal.len() < 400,
        "the oldest entries left: {}",
        journal.len()
    );
}

#[tokio::test]
async fn the_admin_clock_refuses_times_out_of_range_and_stays_readable() {
    let p = TestProvider::new();
    for change in [
        json!({"set": 253_402_300_800u64}),
        json!({"set": u64::MAX}),
        json!({"set": -1}),
        json!({"advance": "1000000y"}),
        json!({"set": "10000-01-01T00:00:00Z"}),
    ] {
        let response = admin(&p, "POST", "/clock", Some(change.clone())).await;
        assert_eq!(response.status, StatusCode::BAD_REQUEST, "{change}");
        let body: Value = serde_json::from_slice(&response.body).unwrap();
        let description = body["error_description"].as_str().unwrap();
        assert!(
            description.contains("253402300799") || description.contains("RFC 3339"),
            "{change}: {description}"
        );
        assert_eq!(
            admin(&p, "GET", "/clock", None).await.status,
            StatusCode::OK
        );
    }
    let last = admin(
        &p,
        "POST",
        "/clock",
        Some(json!({"set": 253_402_300_799u64})),
    )
    .await;
    assert_eq!(last.status, StatusCode::OK);
    let clock: Value =
        serde_json::from_slice(&admin(&p, "GET", "/clock", None).await.body).unwrap();
    assert_eq!(clock["rfc3339"], "9999-12-31T23:59:59Z");
}

#[tokio::test]
async fn an_oversized_admin_body_is_413_and_a_fingerprint_can_be_asked_for() {
    let p = TestProvider::new();
    let huge = json!({ "value": "x".repeat(3 * 1024 * 1024) });
    let response = admin(&p, "POST", "/journal/fingerprint", Some(huge)).await;
    assert_eq!(response.status, StatusCode::PAYLOAD_TOO_LARGE);
    let body: Value = serde_json::from_slice(&response.body).unwrap();
    assert_eq!(body["error"], "payload_too_large");

    // The journal's fingerprint of a code, as the journal shows it.
    let code = p.code("openid").await;
    p.redeem(&code).await;
    let asked = admin(
        &p,
        "POST",
        "/journal/fingerprint",
        Some(json!({"value": code})),
    )
    .await;
    let fingerprint: Value = serde_json::from_slice(&asked.body).unwrap();
    let entries = p.provider().journal().query(&Filter::endpoint("token"));
    assert_eq!(
        entries.last().unwrap().form["code"],
        fingerprint["fingerprint"]
    );
}

#[tokio::test]
async fn an_admin_401_says_how_to_authenticate() {
    let mut config = Config::single(issuer_config());
    config.admin_token = Some("an-admin-token-long-enough".into());
    let p = TestProvider::with(config);
    let response = admin(&p, "GET", "/rules", None).await;
    assert_eq!(response.status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        response.header(header::WWW_AUTHENTICATE),
        "Bearer realm=\"fauxauth-admin\""
    );
}

/// A provider on a socket with tight limits.
async fn tight(limits: impl FnOnce(&mut fauxauth_core::Limits)) -> mock_provider::Running {
    let mut config = Config::single(issuer_config());
    limits(&mut config.limits);
    mock_provider::spawn(config).await.unwrap()
}

/// Whether the server closed `stream`: a read sees the end (or a reset) within `wait`.
async fn closed_within(stream: &mut TcpStream, wait: Duration) -> bool {
    let mut buf = [0u8; 4096];
    let deadline = tokio::time::Instant::now() + wait;
    loop {
        match tokio::time::timeout_at(deadline, stream.read(&mut buf)).await {
            Err(_) => return false,
            Ok(Ok(0) | Err(_)) => return true,
            // A 408 or the like before closing.
            Ok(Ok(_)) => {}
        }
    }
}

#[tokio::test]
async fn an_idle_or_half_sent_connection_is_closed() {
    let running = tight(|l| {
        l.idle_timeout = Duration::from_millis(300);
        l.read_timeout = Duration::from_millis(300);
    })
    .await;
    // Never says a word.
    let mut silent = TcpStream::connect(running.addr()).await.unwrap();
    // Sends half a head.
    let mut partial = TcpStream::connect(running.addr()).await.unwrap();
    partial
        .write_all(b"GET /.well-known/openid-configuration HTTP/1.1\r\nHost: x\r\n")
        .await
        .unwrap();
    // Sends a head, then too little body.
    let mut slow_body = TcpStream::connect(running.addr()).await.unwrap();
    slow_body
        .write_all(
            b"POST /token HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 100\r\n\r\ngrant",
        )
        .await
        .unwrap();
    // Generous bounds: this checks that they are closed, not how fast.
    for stream in [&mut silent, &mut partial, &mut slow_body] {
        assert!(closed_within(stream, Duration::from_secs(20)).await);
    }
    // And the server still answers.
    let mut fresh = TcpStream::connect(running.addr()).await.unwrap();
    fresh
        .write_all(b"GET /.well-known/openid-configuration HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        .await
        .unwrap();
    let mut answer = String::new();
    fresh.read_to_string(&mut answer).await.unwrap();
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
}

#[tokio::test]
async fn connections_beyond_the_cap_wait_until_one_closes() {
    let running = tight(|l| {
        l.max_connections = 2;
        l.idle_timeout = Duration::from_secs(600);
        l.read_timeout = Duration::from_secs(600);
    })
    .await;
    let request =
        b"GET /.well-known/openid-configuration HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
    let mut held: Vec<TcpStream> = Vec::new();
    for _ in 0..2 {
        let mut stream = TcpStream::connect(running.addr()).await.unwrap();
        // Sure to be accepted: it has been answered once.
        stream
            .write_all(b"GET /.well-known/openid-configuration HTTP/1.1\r\nHost: x\r\n\r\n")
            .await
            .unwrap();
        let mut buf = [0u8; 64];
        assert!(stream.read(&mut buf).await.unwrap() > 0);
        held.push(stream);
    }
    // The third connects (the kernel queues it) but is not served while two are held.
    let mut third = TcpStream::connect(running.addr()).await.unwrap();
    third.write_all(request).await.unwrap();
    let mut buf = [0u8; 64];
    assert!(
        tokio::time::timeout(Duration::from_millis(500), third.read(&mut buf))
            .await
            .is_err(),
        "served beyond the cap"
    );
    drop(held.pop());
    let mut answer = String::new();
    tokio::time::timeout(Duration::from_secs(20), third.read_to_string(&mut answer))
        .await
        .expect("served once a slot freed")
        .unwrap();
    assert!(answer.contains("200 OK"), "{answer}");
}

#[tokio::test]
async fn the_admin_api_accepts_exactly_what_its_document_allows() {
    let p = TestProvider::new();
    // serde alone reads an object from an array; the schema does not allow it.
    for body in [
        json!({ "then": [], "when": [null, null] }),
        json!({ "then": [{ "respond": { "status": 99_999 } }] }),
        json!({ "then": [{ "error": { "error": "" } }] }),
        json!({ "id": "", "then": [] }),
        json!({ "then": [], "when": { "times": 4_294_967_296u64 } }),
        json!({ "then": [{ "delay": "soon" }] }),
    ] {
        let refused = admin(&p, "POST", "/rules", Some(body.clone())).await;
        assert_eq!(refused.status, StatusCode::BAD_REQUEST, "{body}");
    }
    // A whole number written with a fraction is a whole number (JSON Schema's `integer`).
    let added = admin(
        &p,
        "POST",
        "/rules",
        Some(json!({ "then": [{ "respond": { "status": 503.0 } }], "when": { "times": 1.0 } })),
    )
    .await;
    assert_eq!(added.status, StatusCode::CREATED);
    // What a schema cannot say is refused as 422: plain http to a public host.
    let client = json!({ "client_id": "c", "client_secret": "s", "redirect_uris": ["http://app.example/cb"] });
    let refused = admin(&p, "POST", "/issuers/default/clients", Some(client)).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    // A path that names nothing is a 404 in the admin API's own words.
    let missing = admin(&p, "GET", "/issuers/nope/users", None).await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    let body: Value = serde_json::from_slice(&missing.body).unwrap();
    assert_eq!(body["error"], "not_found");
}
