//! Fuzz target: see `filter_parse` in `tests/fuzz/checks.rs` (what it checks) and docs/fuzzing.md.
#![no_main]

mod checks {
    include!("../checks.rs");
}

libfuzzer_sys::fuzz_target!(|data: &[u8]| checks::filter_parse(data));
