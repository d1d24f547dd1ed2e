//! The provider's every endpoint, in process, with arbitrary requests (`fauxauth_fuzz::provider_requests`).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| fauxauth_fuzz::provider_requests(data));
