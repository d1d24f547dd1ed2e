//! The scenario loader: any text gets a scenario or errors naming file, line and field.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|text: &str| {
    if let Err(errors) = harness::scenario::load::parse(text, "fuzz.yaml") {
        assert!(!errors.is_empty(), "a refusal says why");
    }
});
