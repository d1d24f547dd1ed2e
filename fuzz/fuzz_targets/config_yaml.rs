//! The provider's configuration loader: any text gets a configuration or an error with a place,
//! never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|text: &str| {
    if let Ok(config) = mock_provider::Config::from_yaml(text, "fuzz.yaml") {
        // What loads, validates without panicking too.
        let _ = config.validate();
    }
});
