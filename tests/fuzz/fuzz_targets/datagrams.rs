//! Fuzz target: the daemon's datagram check never panics, an accepted datagram's document and
//! trace ID lie inside it, and a rejected one has one of the counted reasons. See
//! docs/fuzzing.md.
#![no_main]

use libfuzzer_sys::fuzz_target;
use xray_tui::source::REJECT_REASONS;
use xray_tui::source::daemon::datagram::check_datagram;

fuzz_target!(|data: &[u8]| {
    match check_datagram(data) {
        Ok(c) => {
            assert!(c.doc.len() <= data.len());
            assert!(c.trace_id.len() <= data.len());
        }
        Err(e) => assert!(REJECT_REASONS.contains(&e.reason())),
    }
});
