//! The scenario loader (`fauxauth_fuzz::scenario_yaml`).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| fauxauth_fuzz::scenario_yaml(data));
