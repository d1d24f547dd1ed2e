//! What the journal keeps of arbitrary requests and answers (`fauxauth_fuzz::journal_record`).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| fauxauth_fuzz::journal_record(data));
