//! `analyze`: traces grouped by a dimension, each group with the filter expression that selects
//! exactly its traces. The property every row must have is checked on the demo for every
//! dimension, in process; the command's output through the real binary.

use std::process::Command;

use serde_json::Value;
use xray_tui::cli::SourceArgs;
use xray_tui::filter::analyze::{Dimension, group_by};
use xray_tui::filter::{EvalContext, Verdict};

/// The demo, as the commands load it.
fn demo() -> xray_tui::engine::dataset::Dataset {
    let source = SourceArgs {
        demo: true,
        ..Default::default()
    };
    xray_tui::cli::load(&source, &mut std::io::sink()).expect("demo")
}

/// For every group of every dimension, the group's filter selects exactly `count` traces of
/// the demo (and they are the group's own: faults, errors and throttles agree).
#[test]
fn every_group_filter_selects_exactly_its_traces() {
    let data = demo();
    let all: Vec<usize> = (0..data.rows.len()).collect();
    let ctx = EvalContext {
        groups: &data.groups,
    };
    // Every dimension a filter can select (`operation` and `sdk` cannot: see below).
    let notes = [
        "annotation.customer_tier",
        "annotation.cart_items",
        "annotation.is_retry",
    ];
    let dims = Dimension::names()
        .filter(|d| d.parse::<Dimension>().is_ok_and(|d| d.filterable()))
        .chain(notes);
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

/// Every root cause group (fault, error, response time: service, entity, exception) of the
/// demo: its filter selects exactly its traces.
#[test]
fn every_root_cause_filter_selects_exactly_its_traces() {
    let data = demo();
    let all: Vec<usize> = (0..data.rows.len()).collect();
    let ctx = EvalContext {
        groups: &data.groups,
    };
    let causes = xray_tui::filter::analyze::root_causes(&data, &all);
    let kinds: std::collections::HashSet<&str> = causes
        .iter()
        .map(|c| xray_tui::filter::analyze::kind_word(c.kind))
        .collect();
    assert_eq!(
        kinds.len(),
        3,
        "faults, errors and response times: {kinds:?}"
    );
    assert!(causes.iter().any(|c| c.exception.is_some()));
    for c in &causes {
        let f = xray_tui::filter::parse(&c.group.filter)
            .unwrap_or_else(|e| panic!("`{}` does not parse: {e:?}", c.group.filter));
        let matched = all
            .iter()
            .filter(|&&i| f.verdict_at(&data, i, &ctx) == Verdict::Match)
            .count();
        assert_eq!(
            matched, c.group.count,
            "{}: {}",
            c.group.key, c.group.filter
        );
    }
}

/// Operations and SDKs have groups but no filter: X-Ray's language cannot select them.
#[test]
fn operations_and_sdks_are_grouped_without_a_filter() {
    let source = SourceArgs {
        demo: true,
        ..Default::default()
    };
    let data = xray_tui::cli::load(&source, &mut std::io::sink()).expect("demo");
    let all: Vec<usize> = (0..data.rows.len()).collect();
    for d in [Dimension::Operation, Dimension::Sdk] {
        assert!(!d.filterable());
        let groups = group_by(&data, &all, &d);
        assert!(!groups.is_empty(), "{d:?}");
        assert!(groups.iter().all(|g| g.filter.is_empty()), "{d:?}");
    }
    let ops = group_by(&data, &all, &Dimension::Operation);
    assert!(ops.iter().any(|g| g.key.contains("DynamoDB ")), "{ops:?}");
    assert!(
        ops.iter()
            .any(|g| g.key.contains(": GET /") || g.key.contains(": POST /"))
    );
    let bin = env!("CARGO_BIN_EXE_xray-tui");
    let out = Command::new(bin)
        .args(["analyze", "--demo", "--by", "operation"])
        .output()
        .expect("runs");
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("(no X-Ray filter selects it)"), "{text}");
    let out = Command::new(bin)
        .args(["analyze", "--demo", "--by", "operation", "--format", "json"])
        .output()
        .expect("runs");
    let v: Value = serde_json::from_slice(&out.stdout).expect("json");
    assert!(v["groups"][0]["filter"].is_null());
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

/// Ten crafted traces: response times of 1 to 10 s, started 30 s apart from a whole minute;
/// the four slowest are faults (500) of bronze customers, the others gold and fine.
fn crafted() -> (xray_tui::engine::dataset::Dataset, Vec<usize>) {
    let times: Vec<f64> = (1..=10).map(f64::from).collect();
    crafted_times(&times)
}

/// Numbers the files [`crafted_times`] writes (tests run in parallel in one process).
static CRAFTED: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

/// One trace a response time of `times` (seconds), 30 s apart; from the seventh on they fail
/// (500, fault, bronze), the others succeed (200, gold).
fn crafted_times(times: &[f64]) -> (xray_tui::engine::dataset::Dataset, Vec<usize>) {
    let t0 = 1_700_000_040.0_f64;
    let mut text = String::new();
    for (k, &rt) in (0u32..).zip(times) {
        let start = t0 + 30.0 * f64::from(k);
        let bad = k >= 6;
        let doc = serde_json::json!({
            "trace_id": format!("1-6553f100-{:024x}", k + 1),
            "id": format!("{:016x}", k + 1),
            "name": "web",
            "start_time": start,
            "end_time": start + rt,
            "http": {"request": {"method": "GET", "url": "http://shop/cart"},
                     "response": {"status": if bad { 500 } else { 200 }}},
            "fault": bad,
            "annotations": {"tier": if bad { "bronze" } else { "gold" }},
        });
        text.push_str(&doc.to_string());
        text.push('\n');
    }
    let n = CRAFTED.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let path = std::path::PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!(
        "xray-tui-analyze-{}-{n}.ndjson",
        std::process::id()
    ));
    std::fs::write(&path, text).expect("write");
    let source = SourceArgs {
        files: vec![path.to_string_lossy().into_owned()],
        ..Default::default()
    };
    let data = xray_tui::cli::load(&source, &mut std::io::sink()).expect("loads");
    let _ = std::fs::remove_file(&path);
    let all = (0..data.rows.len()).collect();
    (data, all)
}

/// Equal-width bins from the fastest to the slowest (the last includes its upper edge) and
/// nearest-rank percentiles: of 1..10 s, p50 is the 5th value, p90 the 9th, p95 and p99 the
/// 10th.
#[test]
fn histogram_bins_and_percentiles_are_hand_checked() {
    use xray_tui::filter::analyze::{Measured, histogram};
    let (data, all) = crafted();
    let h = histogram(&data, &all, &Measured::Traces, 3);
    assert_eq!(h.count, 10);
    let bins: Vec<(f64, f64, u64)> = h.bins.iter().map(|b| (b.lo, b.hi, b.count)).collect();
    assert_eq!(bins, vec![(1.0, 4.0, 3), (4.0, 7.0, 3), (7.0, 10.0, 4)]);
    assert_eq!(
        h.percentiles,
        [
            (50, Some(5.0)),
            (90, Some(9.0)),
            (95, Some(10.0)),
            (99, Some(10.0))
        ]
    );
    // The range clause, filled in, selects the traces of a bin.
    let clause = h.range_filter.replace("{lo}", "4").replace("{hi}", "6.5");
    let f = xray_tui::filter::parse(&clause).expect("parses");
    let ctx = EvalContext { groups: &[] };
    let n = all
        .iter()
        .filter(|&&i| f.verdict_at(&data, i, &ctx) == Verdict::Match)
        .count();
    assert_eq!(n, 3);
}

/// Times over more than two orders of magnitude make bins of equal ratio: from the fastest
/// (0.5 ms) to the slowest (10 s), a ratio of 20,000, four bins each ×11.9 (20,000^¼): edges
/// 0.5 ms, 5.95 ms, 70.7 ms, 841 ms, 10 s. The 0.5 ms and 1 ms requests are in the first bin,
/// 10 ms in the second, 100 ms in the third, 1 s and 10 s in the last.
#[test]
fn slow_outliers_make_log_scale_bins() {
    use xray_tui::filter::analyze::{Measured, histogram};
    let (data, all) = crafted_times(&[0.0005, 0.001, 0.01, 0.1, 1.0, 10.0]);
    let h = histogram(&data, &all, &Measured::Traces, 4);
    assert!(h.log);
    let counts: Vec<u64> = h.bins.iter().map(|b| b.count).collect();
    assert_eq!(counts, vec![2, 1, 1, 2]);
    let step = 20_000f64.powf(0.25);
    let edges: Vec<f64> = h.bins.iter().map(|b| b.lo).chain([h.bins[3].hi]).collect();
    let want = [
        0.0005,
        0.0005 * step,
        0.0005 * step * step,
        0.0005 * step.powi(3),
        10.0,
    ];
    for (got, want) in edges.iter().zip(want) {
        assert!((got - want).abs() < 1e-9 * want.max(1.0), "{edges:?}");
    }
    // Within two orders of magnitude the bins stay of equal width (see above).
    let (data, all) = crafted_times(&[1.0, 50.0, 99.0]);
    assert!(!histogram(&data, &all, &Measured::Traces, 4).log);
}

/// One interval a minute from the first whole minute: two traces each, the four faults in the
/// last two; each interval's window is what `--start`/`--end` take.
#[test]
fn over_time_counts_each_interval() {
    use xray_tui::filter::analyze::over_time;
    let (data, all) = crafted();
    let series = over_time(&data, &all, 60.0);
    let counts: Vec<(usize, usize)> = series.iter().map(|i| (i.count, i.faults)).collect();
    assert_eq!(counts, vec![(2, 0), (2, 0), (2, 0), (2, 2), (2, 2)]);
    assert_eq!(series[0].start, 1_700_000_040.0);
    assert_eq!(series[4].p90, Some(10.0));
    assert_eq!(
        series[0].window,
        "2023-11-14T22:14:00.000Z..2023-11-14T22:15:00.000Z"
    );
}

/// Compared with the rest, the faults are all bronze, all 500s and all `web`'s own root cause,
/// never gold or 200: those five values lead with a score of 1; the URL they share scores 0.
#[test]
fn compare_finds_what_the_faults_have_in_common() {
    use xray_tui::filter::analyze::compare;
    let (data, all) = crafted();
    let faults: Vec<usize> = all
        .iter()
        .copied()
        .filter(|&i| data.rows[i].has_fault)
        .collect();
    let rest: Vec<usize> = all
        .iter()
        .copied()
        .filter(|&i| !data.rows[i].has_fault)
        .collect();
    assert_eq!((faults.len(), rest.len()), (4, 6));
    let diffs = compare(&data, &faults, &rest);
    let top: Vec<(String, String)> = diffs
        .iter()
        .take(6)
        .map(|d| (d.dimension.clone(), d.key.clone()))
        .collect();
    for want in [
        ("annotation.tier", "bronze"),
        ("annotation.tier", "gold"),
        ("rootcause", "fault: web"),
        ("rootcause-entity", "fault: web"),
        ("status", "500"),
        ("status", "200"),
    ] {
        assert!(
            top.contains(&(want.0.to_owned(), want.1.to_owned())),
            "{want:?} in {top:?}"
        );
    }
    assert!(diffs.iter().take(6).all(|d| d.score() == 1.0));
    assert!(diffs[6].score() < 1.0);
    let bronze = diffs.iter().find(|d| d.key == "bronze").expect("bronze");
    assert_eq!((bronze.selection, bronze.baseline), (1.0, 0.0));
    assert_eq!(bronze.filter, "annotation.tier = \"bronze\"");
    let url = diffs.iter().find(|d| d.dimension == "url").expect("url");
    assert_eq!(url.score(), 0.0);
}

/// The crafted traces' root causes: the four faults are `web`'s own (no exception recorded),
/// 40% of the traces, response times 7 to 10 s: nearest-rank p50 is the 2nd of four (8 s),
/// p99 the 4th (10 s).
#[test]
fn root_causes_are_grouped_by_service_entity_and_exception() {
    use xray_tui::filter::analyze::root_causes;
    use xray_tui::model::rootcause::RootCauseKind;
    let (data, all) = crafted();
    let causes = root_causes(&data, &all);
    let fault = causes
        .iter()
        .find(|c| c.kind == RootCauseKind::Fault)
        .expect("a fault root cause");
    assert_eq!(
        (
            fault.service.as_str(),
            fault.entity.as_str(),
            &fault.exception
        ),
        ("web", "web", &None)
    );
    assert_eq!(fault.group.count, 4);
    assert_eq!(fault.group.share, 0.4);
    assert_eq!((fault.group.p50, fault.group.p99), (Some(8.0), Some(10.0)));
    assert_eq!(
        fault.group.filter,
        "rootcause.fault.service { name = \"web\" AND last } AND \
         rootcause.fault.entity { name = \"web\" AND last } AND !rootcause.fault.exception"
    );
    assert!(causes.iter().all(|c| c.kind != RootCauseKind::Error));
}

/// RED over the crafted traces with one-minute sparklines: ten requests of `web` over five
/// minutes (1/30 per second), four faults, p50 5 s, p99 10 s, two requests a minute; the one
/// operation, `web: GET /cart`, the same.
#[test]
fn red_tables_are_hand_checked() {
    use xray_tui::filter::analyze::{auto_interval, red, span};
    let (data, all) = crafted();
    assert_eq!(span(&data, &all), Some((1_700_000_040.0, 1_700_000_310.0)));
    assert_eq!(auto_interval(270.0), 5.0);
    let t = red(&data, &all, 60.0);
    assert_eq!(t.services.len(), 1);
    assert_eq!(t.operations.len(), 1);
    for (r, name, filter) in [
        (&t.services[0], "web", "service(\"web\")"),
        (&t.operations[0], "web: GET /cart", ""),
    ] {
        assert_eq!((r.name.as_str(), r.filter.as_str()), (name, filter));
        assert_eq!((r.count, r.errors, r.faults), (10, 0, 4));
        assert!((r.rate - 10.0 / 300.0).abs() < 1e-12, "{}", r.rate);
        assert_eq!((r.p50, r.p99), (Some(5.0), Some(10.0)));
        assert_eq!(r.spark, vec![2, 2, 2, 2, 2]);
    }
}

/// A selection and its baseline: the faults (4 and 6), a response-time range of 2 to 4 s (3
/// and 7), the first minute (2 and 8), the filtered traces against the rest of a context.
#[test]
fn selections_split_the_traces() {
    use xray_tui::filter::analyze::{Selection, split};
    let (data, all) = crafted();
    let sizes = |s: Selection, ctx: Option<&[usize]>, rows: &[usize]| {
        let (a, b) = split(&data, rows, ctx, s);
        (a.len(), b.len())
    };
    assert_eq!(sizes(Selection::Faults, None, &all), (4, 6));
    assert_eq!(sizes(Selection::ResponseTime(2.0, 4.0), None, &all), (3, 7));
    let t0 = 1_700_000_040.0;
    assert_eq!(sizes(Selection::Started(t0, t0 + 60.0), None, &all), (2, 8));
    assert_eq!(sizes(Selection::Filter, None, &all[..3]), (3, 7));
    assert_eq!(sizes(Selection::Filter, Some(&all[..5]), &all[..3]), (3, 2));
}

/// The other views through the binary: the series adds up to the traces, a comparison says
/// what it compared, a bad edge is a usage error.
#[test]
fn histogram_over_time_and_compare_from_the_command_line() {
    let bin = env!("CARGO_BIN_EXE_xray-tui");
    let json = |args: &[&str]| -> Value {
        let out = Command::new(bin).args(args).output().expect("runs");
        assert!(
            out.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice(&out.stdout).expect("json")
    };
    let v = json(&[
        "analyze",
        "--demo",
        "--over-time",
        "--interval",
        "10m",
        "--format",
        "json",
    ]);
    let intervals = v["intervals"].as_array().expect("intervals");
    assert_eq!(intervals.len(), 6, "an hour in 10-minute intervals");
    let total: u64 = intervals
        .iter()
        .map(|i| i["count"].as_u64().unwrap_or(0))
        .sum();
    assert_eq!(total, 387);
    let v = json(&[
        "analyze",
        "--demo",
        "--compare",
        "fault",
        "--format",
        "json",
    ]);
    assert_eq!(
        (v["selection"].as_u64(), v["baseline"].as_u64()),
        (Some(14), Some(373))
    );
    let v = json(&[
        "analyze",
        "--demo",
        "--histogram",
        "--service",
        "payments",
        "--format",
        "json",
    ]);
    assert_eq!(v["count"], 63, "one response time per payments request");
    let out = Command::new(bin)
        .args(["analyze", "--demo", "--histogram", "--edge", "checkout"])
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(2));
}
