//! Fuzz target: see `datagrams` in `tests/fuzz/checks.rs` (what it checks) and docs/fuzzing.md.
#![no_main]

mod checks {
    include!("../checks.rs");
}

libfuzzer_sys::fuzz_target!(|data: &[u8]| checks::datagrams(data));
