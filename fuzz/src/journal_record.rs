//! What the journal keeps of a request and an answer: decoded, masked, cut to its bounds,
//! whatever the bytes; JWT-looking values decoded without trusting them.

use arbitrary::{Arbitrary, Unstructured};
use fauxauth_core::journal;

#[derive(Arbitrary, Debug)]
struct Input<'a> {
    encoded: &'a [u8],
    content_type: &'a str,
    body: &'a [u8],
    token: &'a str,
}

/// What the journal keeps of arbitrary bytes stays within its bounds, and decoding never panics.
pub fn journal_record(data: &[u8]) {
    let Ok(input) = Input::arbitrary_take_rest(Unstructured::new(data)) else {
        return;
    };
    let (params, _) = journal::params(input.encoded);
    assert!(params.len() <= 64);
    for value in params.values() {
        let longest = match value {
            serde_json::Value::String(s) => s.len(),
            serde_json::Value::Array(items) => {
                assert!(items.len() <= 16);
                items
                    .iter()
                    .filter_map(|v| v.as_str())
                    .map(str::len)
                    .max()
                    .unwrap_or(0)
            }
            _ => 0,
        };
        assert!(longest <= journal::MAX_VALUE);
    }
    let (body, _) = journal::body(Some(input.content_type), input.body);
    if let serde_json::Value::String(text) = body {
        assert!(text.len() <= 16 * 1024);
    }
    let _ = fauxauth_core::wire::unverified_header_and_claims(input.token);
}
