//! A bounded random-input run of every fuzz target's check, with no instrumented build: the seed
//! files as they are, then inputs made from them by random edits (bytes flipped, inserted,
//! deleted, repeated, spliced from another seed) and plain random bytes. It is not coverage-guided
//! as libFuzzer is (`fuzz/run`); it is what CI can afford, and it replays the same checks.
//!
//! Each target gets at most `FUZZ_INPUTS` inputs (20,000 by default) and `FUZZ_SECONDS` seconds
//! (10 by default), from a fixed seed (`FUZZ_SEED`), so a failure names the input and can be
//! replayed.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// xorshift64*: a tiny, fixed generator, so every run makes the same inputs for a seed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// A number below `n` (`n` > 0).
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn bytes(&mut self, len: usize) -> Vec<u8> {
        (0..len).map(|_| self.next() as u8).collect()
    }
}

fn env_or<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// An input made from `seeds`: one of them edited a few times, or random bytes.
fn make(rng: &mut Rng, seeds: &[Vec<u8>]) -> Vec<u8> {
    if seeds.is_empty() || rng.below(8) == 0 {
        let len = rng.below(512);
        return rng.bytes(len);
    }
    let mut data = seeds[rng.below(seeds.len())].clone();
    for _ in 0..=rng.below(8) {
        let at = rng.below(data.len() + 1);
        match rng.below(5) {
            0 if at < data.len() => data[at] ^= 1 << rng.below(8),
            1 => {
                let len = rng.below(16) + 1;
                let inserted = rng.bytes(len);
                data.splice(at..at, inserted);
            }
            2 if at < data.len() => {
                let end = (at + rng.below(64) + 1).min(data.len());
                data.drain(at..end);
            }
            3 if at < data.len() => {
                let end = (at + rng.below(64) + 1).min(data.len());
                let copy = data[at..end].to_vec();
                data.splice(at..at, copy);
            }
            _ => {
                let other = &seeds[rng.below(seeds.len())];
                let from = rng.below(other.len() + 1);
                let end = (from + rng.below(128)).min(other.len());
                data.splice(at..at, other[from..end].iter().copied());
            }
        }
    }
    data
}

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// The files at `paths` (every YAML file under a folder), read as the seed corpus: the same seeds
/// `fuzz/run` gives libFuzzer.
fn seeds(paths: &[PathBuf]) -> Vec<Vec<u8>> {
    harness::scenario::discover(paths)
        .unwrap()
        .iter()
        .map(|path| std::fs::read(path).unwrap())
        .collect()
}

/// Runs `check` over the seeds and then over made inputs, within the bounds; a panic names the
/// input (printed in Rust's byte-string notation) before it fails the test.
fn run(name: &str, seeds: &[Vec<u8>], check: fn(&[u8])) {
    let inputs: usize = env_or("FUZZ_INPUTS", 20_000);
    let budget = Duration::from_secs(env_or("FUZZ_SECONDS", 10));
    let mut rng = Rng(env_or("FUZZ_SEED", 0x5EED_F00D_u64) | 1);
    let started = Instant::now();
    let mut tried = 0;
    let candidates = seeds
        .iter()
        .cloned()
        .chain(std::iter::repeat_with(|| make(&mut rng, seeds)));
    for input in candidates.take(seeds.len() + inputs) {
        if started.elapsed() > budget {
            break;
        }
        let outcome = std::panic::catch_unwind(|| check(&input));
        if outcome.is_err() {
            panic!(
                "{name}: input {tried} failed: b\"{}\"",
                input.escape_ascii()
            );
        }
        tried += 1;
    }
    assert!(
        tried > seeds.len(),
        "{name}: the time budget ran out before any made input"
    );
    eprintln!(
        "{name}: {tried} inputs in {:.1} s",
        started.elapsed().as_secs_f64()
    );
}

#[test]
fn config_yaml() {
    let seeds = seeds(&[root().join("conformance/provider.yaml")]);
    run("config_yaml", &seeds, fauxauth_fuzz::config_yaml);
}

#[test]
fn scenario_yaml() {
    run(
        "scenario_yaml",
        &seeds(&[root().join("scenarios")]),
        fauxauth_fuzz::scenario_yaml,
    );
}

#[test]
fn journal_record() {
    let seeds = vec![
        b"grant_type=authorization_code&code=abc&client_secret=s3cr%2Ft".to_vec(),
        b"a=1&a=2&b=%ZZ&&=&c".to_vec(),
    ];
    run("journal_record", &seeds, fauxauth_fuzz::journal_record);
}

#[test]
fn provider_requests() {
    let seeds = vec![
        b"\x01\x03grant_type=client_credentials&scope=x\x00".to_vec(),
        b"\x00\x00response_type=code&client_id=demo-web&redirect_uri=http%3A%2F%2F127.0.0.1%3A8080%2Fcallback".to_vec(),
    ];
    run(
        "provider_requests",
        &seeds,
        fauxauth_fuzz::provider_requests,
    );
}

/// The driver itself: a check that panics on some input fails the run, naming that input.
#[test]
#[should_panic(expected = "input")]
fn a_check_that_panics_fails_the_run_and_names_the_input() {
    run("long inputs", &[b"short".to_vec()], |data| {
        assert!(data.len() < 8, "too long");
    });
}
