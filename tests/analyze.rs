//! `analyze`: traces grouped by a dimension, each group with the filter expression that selects
//! exactly its traces. The property every row must have is checked on the demo for every
//! dimension, in process; the command's output through the real binary.

use std::process::Command;

use serde_json::Value;
use xray_tui::cli::SourceArgs;
use xray_tui::filter::analyze::{Dimension, group_by};
use xray_tui::filter::{EvalContext, Verdict};

/// For every group of every dimension, the group's filter selects exactly `count` traces of
/// the demo (and they are the group's own: faults, errors and throttles agree).
#[test]
fn every_group_filter_selects_exactly_its_traces() {
    let source = SourceArgs {
        demo: true,
        ..Default::default()
    };
    let data = xray_tui::cli::load(&source, &mut std::io::sink()).expect("demo");
    let all: Vec<usize> = (0..data.rows.len()).collect();
    let ctx = EvalContext {
        groups: &data.groups,
    };
    let dims = [
        "rootcause",
        "fault-rootcause",
        "error-rootcause",
        "url",
        "status",
        "method",
        "user",
        "service",
        "edge",
        "annotation.customer_tier",
        "annotation.cart_items",
        "annotation.is_retry",
    ];
    for d in dims {
        let dim: Dimension = d.parse().expect("a dimension");
        let groups = group_by(&data, &all, &dim);
        assert!(!groups.is_empty(), "{d}: no groups");
        for g in &groups {
            let f = xray_tui::filter::parse(&g.filter)
                .unwrap_or_else(|e| panic!("{d}: `{}` does not parse: {e:?}", g.filter));
            let matched: Vec<usize> = all
                .iter()
                .copied()
                .filter(|&i| f.verdict_at(&data, i, &ctx) == Verdict::Match)
                .collect();
            assert_eq!(
                matched.len(),
                g.count,
                "{d}: `{}` selects {} traces, the group has {}",
                g.filter,
                matched.len(),
                g.count
            );
            let faults = matched.iter().filter(|&&i| data.rows[i].has_fault).count();
            assert_eq!(faults, g.faults, "{d}: {}", g.filter);
        }
    }
}

/// The command: a table by default, JSON on request, `--filter` narrows what is analysed, and
/// a bad dimension is a usage error that lists the good ones.
#[test]
fn analyze_prints_groups_with_their_filters() {
    let bin = env!("CARGO_BIN_EXE_xray-tui");
    let out = Command::new(bin)
        .args(["analyze", "--demo", "--by", "status", "--format", "json"])
        .output()
        .expect("runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(v["traces"], 387);
    let groups = v["groups"].as_array().expect("groups");
    let total: u64 = groups
        .iter()
        .map(|g| g["count"].as_u64().unwrap_or(0))
        .sum();
    // Every demo trace with an entry status is in one group: all but two still in progress
    // and a batch job with no HTTP request.
    assert_eq!(total, 384);
    let throttled = groups
        .iter()
        .find(|g| g["key"] == "429")
        .expect("the throttled requests");
    assert_eq!(throttled["filter"], "http.status = 429");
    assert_eq!(throttled["count"], throttled["throttles"]);
    for k in ["p50", "p90", "p99"] {
        assert!(throttled[k].as_f64().is_some_and(|x| x > 0.0), "{k}");
    }
    // The filter in a row, given to `query`, lists that many traces.
    let out = Command::new(bin)
        .args([
            "query",
            "--demo",
            "--filter",
            "http.status = 429",
            "--format",
            "ids",
        ])
        .output()
        .expect("runs");
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).lines().count() as u64,
        throttled["count"].as_u64().unwrap_or(0)
    );
    // --filter: only the checkout requests.
    let out = Command::new(bin)
        .args([
            "analyze",
            "--demo",
            "--filter",
            "http.url CONTAINS \"/checkout\"",
            "--by",
            "fault-rootcause",
        ])
        .output()
        .expect("runs");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("of 64 traces"), "{text}");
    assert!(text.contains("api.stripe.example"), "{text}");
    assert!(text.contains("rootcause.fault.service { name = \"api.stripe.example\" AND last }"));
    let out = Command::new(bin)
        .args(["analyze", "--demo", "--by", "colour"])
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("annotation.KEY"));
}
