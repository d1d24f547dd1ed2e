//! DPoP proofs as a step sends them (RFC 9449 §4): by the scenario's DPoP key, made for the
//! request the step sends, changed where the step says so.

use std::sync::LazyLock;
use std::sync::atomic::{AtomicU64, Ordering};

use fauxauth_core::dpop::{ProofFor, ProofKey};
use serde_json::{Map, Value};

use super::capture::Memory;
use crate::scenario::model::DpopSpec;

/// The scenario's DPoP key: its thumbprint is `${dpop_jkt}`.
pub static KEY: LazyLock<ProofKey> = LazyLock::new(|| ProofKey::from_seed("scenario"));

/// A key no scenario binds anything to.
static OTHER_KEY: LazyLock<ProofKey> = LazyLock::new(|| ProofKey::from_seed("scenario other"));

/// Each proof's `jti`: distinct within a run (transcripts show it labelled).
static NEXT_JTI: AtomicU64 = AtomicU64::new(1);

/// The proof for `method url`, presenting `access_token` when given.
pub fn proof(
    memory: &Memory,
    spec: &DpopSpec,
    now: u64,
    method: &str,
    url: &str,
    access_token: Option<&str>,
) -> Result<String, String> {
    let key: &ProofKey = if spec.other_key { &OTHER_KEY } else { &KEY };
    let jti = format!("dpop-{}", NEXT_JTI.fetch_add(1, Ordering::Relaxed));
    let made = key.proof(&ProofFor {
        method,
        url,
        iat: now,
        jti: &jti,
        access_token,
        nonce: memory.vars.get("dpop_nonce").map(String::as_str),
    });
    if spec.claims.is_empty() && spec.header.is_empty() {
        return Ok(made);
    }
    let (_, claims) = fauxauth_core::wire::unverified_header_and_claims(&made)
        .ok_or("a proof just made decodes")?;
    let mut claims = claims.as_object().cloned().unwrap_or_default();
    super::assertion::apply(&mut claims, &spec.claims, memory, now as i64)?;
    let header: Map<String, Value> = spec
        .header
        .iter()
        .map(|(name, value)| (name.clone(), value.clone().unwrap_or(Value::Null)))
        .collect();
    Ok(key.sign(&header, &Value::Object(claims)))
}
