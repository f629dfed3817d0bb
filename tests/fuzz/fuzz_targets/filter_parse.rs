//! Fuzz target: the filter language never panics, and whatever parses prints back to the same
//! tree. See docs/fuzzing.md.
#![no_main]

use libfuzzer_sys::fuzz_target;
use xray_tui::filter::{Vocabulary, complete, parse};

fuzz_target!(|data: &[u8]| {
    let Ok(input) = std::str::from_utf8(data) else {
        return;
    };
    match parse(input) {
        Ok(f) => {
            let printed = f.to_string();
            let again = parse(&printed).expect("normalised text parses");
            assert_eq!(again, f, "round trip of {printed:?}");
        }
        Err(e) => {
            assert!(e.span.start <= e.span.end && e.span.end <= input.len());
            let _ = e.render(input);
        }
    }
    let _ = complete(input, input.len(), &Vocabulary::default());
    let _ = complete(input, input.len() / 2, &Vocabulary::default());
});
