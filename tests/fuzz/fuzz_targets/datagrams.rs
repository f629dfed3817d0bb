//! Fuzz target: see `datagrams` in `tests/fuzz/checks.rs` (what it checks) and docs/fuzzing.md.
#![no_main]

#[path = "../checks.rs"]
#[allow(dead_code)]
mod checks;

libfuzzer_sys::fuzz_target!(|data: &[u8]| checks::datagrams(data));
