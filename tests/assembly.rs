//! The engine's central promise: a trace assembled from subsegments sent on their own, in any
//! order, equals the same trace sent whole.

use proptest::prelude::*;
use xray_tui::engine::assemble;
use xray_tui::model::{BatchTraces, Segment, Trace};

fn fixture(rel: &str) -> String {
    std::fs::read_to_string(format!(
        "{}/tests/fixtures/public/{rel}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .expect("fixture")
}

fn batch_docs(rel: &str) -> (String, Vec<Segment>) {
    let b: BatchTraces = serde_json::from_str(&fixture(rel)).expect("batch JSON");
    let t = &b.traces[0];
    let docs = t
        .segments
        .iter()
        .map(|s| serde_json::from_str(&s.document).expect("document"))
        .collect();
    (t.id.clone().expect("id"), docs)
}

/// Sends every subsegment as its own document, the way SDKs stream them.
fn split(doc: Segment, trace_id: &str, out: &mut Vec<Segment>) {
    let mut doc = doc;
    let subs = std::mem::take(&mut doc.subsegments);
    for mut sub in subs {
        sub.kind = Some("subsegment".into());
        sub.trace_id = Some(trace_id.into());
        sub.parent_id = Some(doc.id.clone());
        split(sub, trace_id, out);
    }
    out.push(doc);
}

fn whole_and_split(rel: &str) -> (Trace, Vec<Segment>, String) {
    let (id, docs) = batch_docs(rel);
    let whole = assemble(&id, docs.clone());
    let mut parts = Vec::new();
    for d in docs {
        split(d, &id, &mut parts);
    }
    (whole, parts, id)
}

#[test]
fn split_subsegments_assemble_to_the_whole_trace() {
    for rel in [
        "awsdocs-aws-xray-developer-guide/xray-api-gettingdata.md.block07.json",
        "aws-cli-examples/batch-traces-get.rst.output01.json",
    ] {
        let (whole, parts, id) = whole_and_split(rel);
        assert!(
            parts.len() > whole.segment_nodes().count(),
            "{rel}: something was split"
        );
        let again = assemble(&id, parts);
        assert_eq!(again, whole, "{rel}");
        assert!(again.nodes.iter().all(|n| !n.is_orphan()));
    }
}

#[test]
fn fixture_tree_has_child_segments_under_calls() {
    let (whole, _, _) =
        whole_and_split("awsdocs-aws-xray-developer-guide/xray-api-gettingdata.md.block07.json");
    // The inferred DynamoDB segment hangs under Scorekeep's DynamoDB call subsegment.
    let ddb = whole
        .nodes
        .iter()
        .position(|n| n.doc.is_inferred() && n.doc.name == "DynamoDB")
        .expect("inferred DynamoDB segment");
    let parent = whole.nodes[ddb].parent.expect("has a parent");
    assert_eq!(whole.nodes[parent].doc.name, "DynamoDB");
    assert_eq!(whole.roots.len(), 1, "one root: Scorekeep");
    assert_eq!(whole.nodes[whole.roots[0]].doc.name, "Scorekeep");
    // Round trip: documents() gives back one document per segment.
    assert_eq!(whole.documents().len(), 5);
}

proptest! {
    /// Any arrival order, and re-sent in-progress copies, give the same trace.
    #[test]
    fn arrival_order_and_in_progress_resends_do_not_matter(
        seed in any::<u64>(),
        resend in proptest::collection::vec(any::<bool>(), 0..40),
    ) {
        let (whole, mut parts, id) =
            whole_and_split("awsdocs-aws-xray-developer-guide/xray-api-gettingdata.md.block07.json");
        // in-progress copies of some documents, sent before or after the completed ones
        let extra: Vec<Segment> = parts
            .iter()
            .zip(resend.iter())
            .filter(|(_, r)| **r)
            .map(|(d, _)| {
                let mut d = d.clone();
                d.end_time = None;
                d.in_progress = Some(true);
                d
            })
            .collect();
        parts.extend(extra);
        // deterministic shuffle from the seed
        let mut s = seed | 1;
        for i in (1..parts.len()).rev() {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            parts.swap(i, (s % (i as u64 + 1)) as usize);
        }
        prop_assert_eq!(assemble(&id, parts), whole);
    }
}
