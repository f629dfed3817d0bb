//! The fuzz targets' checks (`tests/fuzz/checks.rs`), run by every `cargo test` on the fixtures,
//! on mutations of them and on random bytes: what the fuzzer would check, on the inputs a test
//! run can afford, and a compile error here if the library moves under the targets.

#[path = "fuzz/checks.rs"]
#[allow(dead_code)]
mod checks;

use proptest::prelude::*;
use std::path::Path;

/// Every fixture file's bytes (segment documents, CLI outputs, captures), read once.
fn fixtures() -> &'static [Vec<u8>] {
    static ALL: std::sync::OnceLock<Vec<Vec<u8>>> = std::sync::OnceLock::new();
    ALL.get_or_init(read_fixtures)
}

fn read_fixtures() -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    let mut dirs = vec![Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).expect("fixtures").flatten() {
            let p = entry.path();
            if p.is_dir() {
                dirs.push(p);
            } else if p
                .extension()
                .is_some_and(|e| e == "json" || e == "ndjson" || e == "txt")
            {
                out.push(std::fs::read(&p).expect("fixture"));
            }
        }
    }
    assert!(out.len() > 20, "the fixtures are found: {}", out.len());
    out
}

#[test]
fn every_fixture_loads_the_same_either_way() {
    for f in fixtures() {
        checks::segment_documents(f);
    }
}

#[test]
fn every_fixture_line_as_a_datagram() {
    for f in fixtures() {
        for line in f.split(|&b| b == b'\n') {
            let mut datagram = br#"{"format": "json", "version": 1}"#.to_vec();
            datagram.push(b'\n');
            datagram.extend_from_slice(line);
            checks::datagrams(&datagram);
            checks::datagrams(line);
        }
    }
}

#[test]
fn the_documented_filter_examples() {
    for e in [
        "service(\"api\") AND responsetime > 5",
        "edge(\"a\", \"b\") { fault }",
        "annotation.tier = \"gold\" OR !ok",
        "rootcause.fault.entity { name = \"x\" }",
        "http.url CONTAINS \"/orders",
        "",
    ] {
        checks::filter_parse(e.as_bytes());
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// A fixture with bytes changed, cut or repeated.
    #[test]
    fn mutated_fixtures_load_the_same_either_way(which in any::<prop::sample::Index>(),
                                                  edits in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 0..8),
                                                  cut in any::<prop::sample::Index>()) {
        let all = fixtures();
        let mut f = all[which.index(all.len())].clone();
        if !f.is_empty() {
            for (at, b) in edits {
                let i = at.index(f.len());
                f[i] = b;
            }
            f.truncate(cut.index(f.len() + 1));
        }
        checks::segment_documents(&f);
        checks::datagrams(&f);
    }

    #[test]
    fn random_bytes(data in prop::collection::vec(any::<u8>(), 0..512)) {
        checks::segment_documents(&data);
        checks::datagrams(&data);
        checks::filter_parse(&data);
    }

    #[test]
    fn random_text(text in "[ -~\n{}\\[\\]\":,]{0,300}") {
        checks::segment_documents(text.as_bytes());
        checks::filter_parse(text.as_bytes());
    }
}
