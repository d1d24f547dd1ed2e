//! The fuzz targets' checks, one function each over raw bytes, so that two drivers share them:
//! libFuzzer's coverage-guided runs (`fuzz_targets/`, built by cargo-fuzz, `fuzz/run`) and the
//! bounded random-input run of `tests/bounded.rs`, which needs no instrumented build and runs
//! in CI.

mod journal_record;
mod provider_requests;

pub use journal_record::journal_record;
pub use provider_requests::provider_requests;

/// The provider's configuration loader: any text gets a configuration or an error with a place,
/// never a panic.
pub fn config_yaml(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(config) = mock_provider::Config::from_yaml(text, "fuzz.yaml") {
        // What loads, validates without panicking too.
        let _ = config.validate();
    }
}

/// The scenario loader: any text gets a scenario or errors naming file, line and field.
pub fn scenario_yaml(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Err(errors) = harness::scenario::load::parse(text, "fuzz.yaml") {
        assert!(!errors.is_empty(), "a refusal says why");
    }
}
