//! The bundled demo dataset: `assets/demo.ndjson` must be exactly what the generator in
//! `tests/support/demo.rs` writes, and look like a real account (the checks are in that file).
//! Regenerate it with `cargo test --test demo_data -- --ignored`.

#[allow(dead_code)]
#[path = "support/demo.rs"]
mod demo;
