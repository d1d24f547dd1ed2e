//! The provider's configuration loader (`fauxauth_fuzz::config_yaml`).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| fauxauth_fuzz::config_yaml(data));
