//! Text reports for the headless commands: the trace table of `query --format table` and the
//! waterfall of `trace --format text` (the JSON shapes are `engine::export`). Plain strings,
//! no terminal: scripts, tests and snapshots read the same output people do.

use std::collections::HashSet;

use crate::engine::{critical, service, waterfall};
use crate::model::format::{Flags, count, truncate, url_path, width};
use std::sync::Arc;

use crate::engine::dataset::Dataset;
use crate::model::TraceSummary;
use crate::model::row::Row;
use crate::model::time::{format_duration, format_utc};
use crate::model::{NodeKind, Trace, rootcause};

/// Aligned columns, one trace a line, in the order given (`query` gives newest first).
pub fn summaries_table(summaries: &[&Row]) -> String {
    let header = [
        "START (UTC)",
        "TRACE ID",
        "METHOD",
        "PATH",
        "STATUS",
        "DURATION",
        "RESPONSE",
        "FLAGS",
        "USERS",
        "SERVICES",
    ];
    let mut rows: Vec<Vec<String>> = vec![header.iter().map(|s| s.to_string()).collect()];
    for s in summaries {
        rows.push(vec![
            s.start_time.map(format_utc).unwrap_or_else(|| "-".into()),
            s.id.to_string(),
            s.http_method
                .as_deref()
                .map_or_else(|| "-".into(), str::to_owned),
            truncate(s.http_url.as_deref().map_or("-", url_path), 60),
            s.http_status
                .map(|c| c.to_string())
                .unwrap_or_else(|| "-".into()),
            s.duration
                .map(format_duration)
                .unwrap_or_else(|| "-".into()),
            s.response_time
                .map(format_duration)
                .unwrap_or_else(|| "…".into()),
            Flags::of_row(s).to_string(),
            join_or_dash(s.users.iter().map(|u| u.to_string())),
            truncate(&join_or_dash(s.services.iter().map(|u| u.to_string())), 60),
        ]);
    }
    let mut out = align(&rows, &[5, 6]);
    out.push_str(&count(summaries.len(), "trace", "traces"));
    out.push('\n');
    out
}

fn join_or_dash(items: impl Iterator<Item = String>) -> String {
    let v: Vec<String> = items.collect();
    if v.is_empty() {
        "-".into()
    } else {
        v.join(",")
    }
}

/// Left-aligns every column except those in `right`; trailing spaces trimmed.
fn align(rows: &[Vec<String>], right: &[usize]) -> String {
    let cols = rows.iter().map(Vec::len).max().unwrap_or(0);
    let widths: Vec<usize> = (0..cols)
        .map(|c| {
            rows.iter()
                .filter_map(|r| r.get(c))
                .map(|s| width(s))
                .max()
                .unwrap_or(0)
        })
        .collect();
    let mut out = String::new();
    for r in rows {
        let mut line = String::new();
        for (c, cell) in r.iter().enumerate() {
            let pad = widths[c].saturating_sub(width(cell));
            if c > 0 {
                line.push_str("  ");
            }
            if right.contains(&c) {
                line.push_str(&" ".repeat(pad));
                line.push_str(cell);
            } else {
                line.push_str(cell);
                line.push_str(&" ".repeat(pad));
            }
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

/// Status glyphs of a waterfall row: HTTP status, then `F`ault / `T`hrottle / `E`rror.
fn status_text(trace: &Trace, row: &waterfall::Row) -> String {
    let doc = &trace.nodes[row.node].doc;
    let code = doc.http_status().map(|c| c.to_string()).unwrap_or_default();
    match row.status.letter() {
        Some(glyph) => format!("{code} {glyph}").trim().to_owned(),
        None => code,
    }
}

/// What a row is, after its name: the service type for segments, the call for subsegments.
fn row_detail(trace: &Trace, row: &waterfall::Row) -> String {
    let doc = &trace.nodes[row.node].doc;
    let mut parts: Vec<String> = Vec::new();
    match row.kind {
        NodeKind::Segment => {
            let k = service::of_segment(doc);
            if !k.kind.is_empty() {
                parts.push(k.kind);
            }
            if doc.is_inferred() {
                parts.push("inferred".into());
            }
        }
        NodeKind::Subsegment => {
            parts.extend(waterfall::call(trace, row.node));
            if row.orphan {
                parts.push(format!(
                    "orphan: parent {} missing",
                    doc.parent_id.as_deref().unwrap_or("?")
                ));
            }
        }
    }
    if let Some(skew) = row.skew {
        parts.push(format!("clock skew {skew:+.3}s corrected"));
    }
    if parts.is_empty() {
        String::new()
    } else {
        format!("  ({})", parts.join("; "))
    }
}

/// A bar `width` cells wide for a row of a `span`-second trace (the app's geometry); an
/// in-progress row runs to the end and finishes with `→`.
fn bar(offset: f64, duration: Option<f64>, span: f64, width: usize) -> String {
    let cells = waterfall::bar_cells(offset, duration, span, width);
    (0..width)
        .map(|i| {
            if !cells.covers(i) {
                ' '
            } else if cells.open && i + 1 == cells.end {
                '→'
            } else {
                '█'
            }
        })
        .collect()
}

/// The marker before the name of the entity a tracing header names.
const HEADER_MARK: &str = "▶ ";

/// The waterfall as text: header, then one row per entity with offset, duration, status,
/// indented name and a timeline bar `bar_width` cells wide. `parent` is the entity ID a
/// tracing header's `Parent=` (or a `traceparent`'s span ID) gave: a line under the header
/// says which entity it is (or that the trace has none with that ID), and its row is marked
/// `▶`.
pub fn waterfall_text(trace: &Trace, bar_width: usize, parent: Option<&str>) -> String {
    let rows = waterfall::rows(trace, &HashSet::new());
    let (start, span) = waterfall::window(trace);
    let segments = trace.segment_nodes().count();
    let mut out = format!(
        "Trace {}  start {}  duration {}  {}, {}{}\n",
        trace.id,
        format_utc(start),
        waterfall::duration_label(trace, span),
        count(segments, "segment", "segments"),
        count(trace.nodes.len(), "entity", "entities"),
        if trace.limit_exceeded {
            "  (limit exceeded: incomplete)"
        } else {
            ""
        },
    );
    let marked = parent.and_then(|p| trace.node_with_id(p));
    if let Some(p) = parent {
        match marked {
            Some(node) => {
                let n = &trace.nodes[node];
                let kind = match n.kind {
                    NodeKind::Segment => "segment",
                    NodeKind::Subsegment => "subsegment",
                };
                out.push_str(&format!(
                    "The header's parent {p} is {kind} {} (marked {})\n",
                    n.doc.name,
                    HEADER_MARK.trim_end()
                ));
            }
            None => out.push_str(&format!(
                "The header's parent {p}: no entity of this trace has that ID\n"
            )),
        }
    }
    let mut table: Vec<Vec<String>> = vec![vec![
        "OFFSET".into(),
        "DURATION".into(),
        "STATUS".into(),
        "NAME".into(),
        "TIMELINE".into(),
    ]];
    for row in &rows {
        let doc = &trace.nodes[row.node].doc;
        let name = truncate(
            &format!(
                "{}{}{}{}",
                // Cut to NAME_WIDTH below anyway: cap the indent (deep chains stay linear).
                "  ".repeat((row.depth as usize).min(NAME_WIDTH)),
                if marked == Some(row.node) {
                    HEADER_MARK
                } else {
                    ""
                },
                doc.name,
                row_detail(trace, row)
            ),
            NAME_WIDTH,
        );
        table.push(vec![
            format!("{:.3}s", row.offset),
            row.duration
                .map(format_duration)
                .unwrap_or_else(|| "…".into()),
            status_text(trace, row),
            name,
            format!("|{}|", bar(row.offset, row.duration, span, bar_width)),
        ]);
    }
    out.push_str(&align(&table, &[0, 1]));
    out.push_str(&rootcause::failures_text(&crate::engine::summarize(trace)));
    out
}

/// The critical path as text: each entity on it, in the order the path reaches it, with the
/// path's time in it and that time's share of the trace.
pub fn critical_path_text(trace: &Trace) -> String {
    let path = critical::critical_path(trace);
    let (_, span) = waterfall::window(trace);
    let mut out = format!(
        "Critical path of trace {}  duration {}  {} of {}\n",
        trace.id,
        format_duration(span),
        path.steps.len(),
        count(trace.nodes.len(), "entity", "entities")
    );
    let mut table: Vec<Vec<String>> = vec![vec![
        "ON PATH".into(),
        "SHARE".into(),
        "OFFSET".into(),
        "DURATION".into(),
        "SERVICE".into(),
        "NAME".into(),
    ]];
    for step in &path.steps {
        let node = &trace.nodes[step.node];
        table.push(vec![
            format_duration(step.on_path),
            share(step.on_path, span),
            format!("{:.3}s", step.start),
            if node.doc.is_in_progress() {
                "…".into()
            } else {
                format_duration(step.end - step.start)
            },
            service_of(trace, step.node),
            truncate(
                &format!("{}{}", node.doc.name, call_of(trace, step.node)),
                NAME_WIDTH,
            ),
        ]);
    }
    out.push_str(&align(&table, &[0, 1, 2, 3]));
    out
}

/// The critical path as JSON: the entities in order, each with its start and end (epoch
/// seconds, on the clock-skew-corrected timeline) and the path's time in it (`self_time`).
pub fn critical_path_json(trace: &Trace) -> serde_json::Value {
    let path = critical::critical_path(trace);
    let (t0, span) = waterfall::window(trace);
    serde_json::json!({
        "trace_id": trace.id,
        "duration": span,
        "path": path.steps.iter().map(|s| {
            let doc = &trace.nodes[s.node].doc;
            serde_json::json!({
                "id": doc.id,
                "name": doc.name,
                "service": service_of(trace, s.node),
                "start": t0 + s.start,
                "end": t0 + s.end,
                "self_time": s.on_path,
            })
        }).collect::<Vec<_>>(),
    })
}

/// The trace's statistics as two tables: per service, then per operation.
pub fn stats_text(trace: &Trace) -> String {
    let st = critical::stats(trace);
    let mut out = format!(
        "Statistics of trace {}  duration {}  {}\n\n",
        trace.id,
        format_duration(st.length),
        count(trace.nodes.len(), "entity", "entities")
    );
    let table = |rows: &[critical::StatRow], by_op: bool| {
        let mut head = vec!["SERVICE".to_owned()];
        if by_op {
            head.push("OPERATION".into());
        }
        head.extend(
            ["COUNT", "TOTAL", "SELF", "AVG", "MAX", "SELF SHARE"]
                .iter()
                .map(|h| (*h).to_owned()),
        );
        let mut t = vec![head];
        for r in rows {
            let mut line = vec![r.service.clone()];
            if by_op {
                line.push(truncate(&r.operation, 60));
            }
            line.extend([
                r.count.to_string(),
                format_duration(r.total),
                format_duration(r.self_total),
                format_duration(r.avg()),
                format_duration(r.max),
                format!("{:.1}%", r.share * 100.0),
            ]);
            t.push(line);
        }
        let first_number = if by_op { 2 } else { 1 };
        align(&t, &(first_number..first_number + 6).collect::<Vec<_>>())
    };
    out.push_str(&table(&st.services, false));
    out.push('\n');
    out.push_str(&table(&st.operations, true));
    out
}

/// The trace's statistics as JSON (seconds; shares from 0 to 1).
pub fn stats_json(trace: &Trace) -> serde_json::Value {
    let st = critical::stats(trace);
    let rows = |rows: &[critical::StatRow]| {
        rows.iter()
            .map(|r| {
                let mut v = serde_json::json!({
                    "service": r.service,
                    "count": r.count,
                    "total": r.total,
                    "self_total": r.self_total,
                    "avg": r.avg(),
                    "max": r.max,
                    "self_share": r.share,
                });
                if !r.operation.is_empty() {
                    v["operation"] = serde_json::json!(r.operation);
                }
                v
            })
            .collect::<Vec<_>>()
    };
    serde_json::json!({
        "trace_id": trace.id,
        "duration": st.length,
        "services": rows(&st.services),
        "operations": rows(&st.operations),
    })
}

/// A group's filter, or what a group without one says in its place.
fn filter_or_none(filter: &str) -> String {
    if filter.is_empty() {
        crate::filter::analyze::NO_FILTER.to_owned()
    } else {
        filter.to_owned()
    }
}

/// The groups of `analyze` as a table: the key, counts, percentiles and the filter.
pub fn groups_table(groups: &[crate::filter::analyze::Group], traces: usize) -> String {
    let mut table: Vec<Vec<String>> = vec![
        [
            "GROUP",
            "COUNT",
            "SHARE",
            "FAULTS",
            "ERRORS",
            "THROTTLES",
            "P50",
            "P90",
            "P99",
            "FILTER",
        ]
        .iter()
        .map(|h| (*h).to_owned())
        .collect(),
    ];
    let secs = |v: Option<f64>| v.map_or_else(|| "-".to_owned(), format_duration);
    for g in groups {
        table.push(vec![
            truncate(&g.key, 60),
            g.count.to_string(),
            format!("{:.1}%", g.share * 100.0),
            g.faults.to_string(),
            g.errors.to_string(),
            g.throttles.to_string(),
            secs(g.p50),
            secs(g.p90),
            secs(g.p99),
            filter_or_none(&g.filter),
        ]);
    }
    let mut out = format!(
        "{} of {}\n",
        count(groups.len(), "group", "groups"),
        count(traces, "trace", "traces")
    );
    out.push_str(&align(&table, &[1, 2, 3, 4, 5, 6, 7, 8]));
    out
}

/// The groups of `analyze` as JSON (seconds; shares from 0 to 1).
pub fn groups_json(
    by: &crate::filter::analyze::Dimension,
    groups: &[crate::filter::analyze::Group],
    traces: usize,
) -> serde_json::Value {
    serde_json::json!({
        "by": format!("{by:?}"),
        "traces": traces,
        "groups": groups.iter().map(|g| serde_json::json!({
            "key": g.key,
            "count": g.count,
            "share": g.share,
            "faults": g.faults,
            "errors": g.errors,
            "throttles": g.throttles,
            "p50": g.p50,
            "p90": g.p90,
            "p99": g.p99,
            "filter": (!g.filter.is_empty()).then_some(&g.filter),
        })).collect::<Vec<_>>(),
    })
}

/// A histogram as text: one line per bin with a bar, then the percentiles and the clause
/// that selects a range.
pub fn histogram_text(h: &crate::filter::analyze::Histogram) -> String {
    let mut out = format!(
        "{} response times{}\n",
        h.count,
        if h.log { ", bins on a log scale" } else { "" }
    );
    let most = h.bins.iter().map(|b| b.count).max().unwrap_or(0).max(1);
    let mut table: Vec<Vec<String>> = vec![vec![
        "FROM".into(),
        "TO".into(),
        "COUNT".into(),
        String::new(),
    ]];
    for b in &h.bins {
        let cells = usize::try_from(b.count * 40 / most).unwrap_or(40);
        table.push(vec![
            format_duration(b.lo),
            format_duration(b.hi),
            b.count.to_string(),
            "█".repeat(if b.count > 0 { cells.max(1) } else { 0 }),
        ]);
    }
    out.push_str(&align(&table, &[0, 1, 2]));
    let ps: Vec<String> = h
        .percentiles
        .iter()
        .map(|(p, v)| format!("p{p} {}", v.map_or_else(|| "-".to_owned(), format_duration)))
        .collect();
    out.push_str(&format!(
        "{}\nrange filter: {}\n",
        ps.join("  "),
        h.range_filter
    ));
    out
}

/// A histogram as JSON (seconds).
pub fn histogram_json(h: &crate::filter::analyze::Histogram) -> serde_json::Value {
    serde_json::json!({
        "count": h.count,
        "scale": if h.log { "log" } else { "linear" },
        "bins": h.bins.iter().map(|b| serde_json::json!({"from": b.lo, "to": b.hi, "count": b.count})).collect::<Vec<_>>(),
        "percentiles": h.percentiles.iter().map(|(p, v)| (format!("p{p}"), serde_json::json!(v))).collect::<serde_json::Map<_, _>>(),
        "range_filter": h.range_filter,
    })
}

/// A time series as text: one line per interval.
pub fn series_text(series: &[crate::filter::analyze::Interval]) -> String {
    let mut table: Vec<Vec<String>> = vec![
        [
            "START",
            "COUNT",
            "FAULTS",
            "ERRORS",
            "THROTTLES",
            "P90",
            "WINDOW",
        ]
        .iter()
        .map(|h| (*h).to_owned())
        .collect(),
    ];
    for i in series {
        table.push(vec![
            format_utc(i.start),
            i.count.to_string(),
            i.faults.to_string(),
            i.errors.to_string(),
            i.throttles.to_string(),
            i.p90.map_or_else(|| "-".to_owned(), format_duration),
            i.window.clone(),
        ]);
    }
    align(&table, &[1, 2, 3, 4, 5])
}

/// A time series as JSON (epoch seconds; p90 in seconds).
pub fn series_json(series: &[crate::filter::analyze::Interval]) -> serde_json::Value {
    serde_json::json!({
        "intervals": series.iter().map(|i| serde_json::json!({
            "start": i.start, "count": i.count, "faults": i.faults, "errors": i.errors,
            "throttles": i.throttles, "p90": i.p90, "window": i.window,
        })).collect::<Vec<_>>(),
    })
}

/// A comparison as text: the dimension values spread most differently first.
pub fn compare_text(
    diffs: &[crate::filter::analyze::Difference],
    selection: usize,
    baseline: usize,
) -> String {
    let mut out = format!(
        "{} against {}\n",
        count(selection, "selected trace", "selected traces"),
        count(baseline, "baseline trace", "baseline traces")
    );
    let mut table: Vec<Vec<String>> = vec![
        ["DIMENSION", "VALUE", "SELECTION", "BASELINE", "FILTER"]
            .iter()
            .map(|h| (*h).to_owned())
            .collect(),
    ];
    for d in diffs {
        table.push(vec![
            d.dimension.clone(),
            truncate(&d.key, 50),
            format!("{:.1}%", d.selection * 100.0),
            format!("{:.1}%", d.baseline * 100.0),
            filter_or_none(&d.filter),
        ]);
    }
    out.push_str(&align(&table, &[2, 3]));
    out
}

/// A comparison as JSON (shares from 0 to 1).
pub fn compare_json(
    diffs: &[crate::filter::analyze::Difference],
    selection: usize,
    baseline: usize,
) -> serde_json::Value {
    serde_json::json!({
        "selection": selection,
        "baseline": baseline,
        "dimensions": diffs.iter().map(|d| serde_json::json!({
            "dimension": d.dimension, "value": d.key, "selection": d.selection,
            "baseline": d.baseline, "filter": (!d.filter.is_empty()).then_some(&d.filter),
        })).collect::<Vec<_>>(),
    })
}

/// Two traces compared, as text: the aligned trees (`-` only in A, `+` only in B) with both
/// durations, the difference and both self times, then the biggest self-time differences.
pub fn diff_text(a: &Trace, b: &Trace, rows: &[crate::engine::diff::DiffRow]) -> String {
    let span = |t: &Trace| format_duration(waterfall::window(t).1);
    let mut out = format!("A {} ({})\nB {} ({})\n", a.id, span(a), b.id, span(b));
    let d = |v: Option<f64>| v.map_or_else(|| "-".to_owned(), format_duration);
    let signed = |v: f64| {
        let sign = if v < 0.0 { "-" } else { "+" };
        format!("{sign}{}", format_duration(v.abs()))
    };
    let mut table: Vec<Vec<String>> = vec![
        [
            "",
            "NAME",
            "A",
            "B",
            "DIFF",
            "SELF A",
            "SELF B",
            "SELF DIFF",
        ]
        .iter()
        .map(|h| (*h).to_owned())
        .collect(),
    ];
    for r in rows {
        let mark = match (r.a.is_some(), r.b.is_some()) {
            (true, false) => "-",
            (false, true) => "+",
            _ => " ",
        };
        table.push(vec![
            mark.to_owned(),
            truncate(
                &format!("{}{}", "  ".repeat(r.depth.min(NAME_WIDTH)), r.name),
                NAME_WIDTH,
            ),
            d(r.duration.0),
            d(r.duration.1),
            r.delta().map_or_else(|| "-".to_owned(), signed),
            d(r.self_time.0),
            d(r.self_time.1),
            signed(r.self_delta()),
        ]);
    }
    out.push_str(&align(&table, &[2, 3, 4, 5, 6, 7]));
    out.push_str("\nBiggest self-time differences:\n");
    for r in crate::engine::diff::biggest(rows, 10) {
        out.push_str(&format!(
            "  {:>9}  {} › {}{}\n",
            signed(r.self_delta()),
            r.service,
            r.name,
            match (r.a.is_some(), r.b.is_some()) {
                (true, false) => "  (only in A)",
                (false, true) => "  (only in B)",
                _ => "",
            }
        ));
    }
    out
}

/// Two traces compared, as JSON: every aligned entity with both sides' IDs, durations and
/// self times (seconds), in tree order.
pub fn diff_json(a: &Trace, b: &Trace, rows: &[crate::engine::diff::DiffRow]) -> serde_json::Value {
    let id = |t: &Trace, n: Option<crate::model::NodeId>| n.map(|n| t.nodes[n].doc.id.clone());
    serde_json::json!({
        "a": a.id,
        "b": b.id,
        "entities": rows.iter().map(|r| serde_json::json!({
            "depth": r.depth,
            "service": r.service,
            "name": r.name,
            "occurrence": r.occurrence,
            "a": {"id": id(a, r.a), "duration": r.duration.0, "self_time": r.self_time.0},
            "b": {"id": id(b, r.b), "duration": r.duration.1, "self_time": r.self_time.1},
            "duration_diff": r.delta(),
            "self_time_diff": r.self_delta(),
        })).collect::<Vec<_>>(),
    })
}

fn share(part: f64, whole: f64) -> String {
    if whole > 0.0 {
        format!("{:.1}%", part / whole * 100.0)
    } else {
        "-".into()
    }
}

/// The service an entity belongs to (its segment's), for reports.
fn service_of(trace: &Trace, node: crate::model::NodeId) -> String {
    trace.nodes[node]
        .segment
        .map(|s| service::of_segment(&trace.nodes[s].doc).name)
        .unwrap_or_else(|| "(orphan)".into())
}

/// `  (what it called)` after a subsegment's name, or nothing.
fn call_of(trace: &Trace, node: crate::model::NodeId) -> String {
    waterfall::call(trace, node)
        .map(|c| format!("  ({c})"))
        .unwrap_or_default()
}

/// The widest a waterfall name (with its indentation and detail) may be, so bars stay visible.
const NAME_WIDTH: usize = 96;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bars_scale_and_open_end() {
        assert_eq!(bar(0.0, Some(1.0), 1.0, 4), "████");
        assert_eq!(bar(0.5, Some(0.25), 1.0, 4), "  █ ");
        assert_eq!(bar(0.5, None, 1.0, 4), "  █→");
        assert_eq!(bar(0.0, Some(0.0), 0.0, 3), "█  ");
    }
}

/// Writes the summaries of `rows` as `aws xray get-trace-summaries` prints them, the same bytes
/// as [`crate::engine::export::summaries_json`], computing them a batch at a time on every core
/// and writing each as it comes: a large export is never held whole.
pub fn write_summaries_json(
    out: &mut dyn std::io::Write,
    data: &Dataset,
    rows: &[usize],
) -> serde_json::Result<()> {
    let page = Page {
        trace_summaries: Lazy(std::cell::RefCell::new(Some(summaries(data, rows)))),
        traces_processed_count: Some(rows.len() as u64),
    };
    serde_json::to_writer_pretty(out, &page)
}

/// The full summaries of `rows`, in order, computed [`BATCH`] at a time on every core.
fn summaries<'a>(data: &'a Dataset, rows: &'a [usize]) -> impl Iterator<Item = TraceSummary> + 'a {
    rows.chunks(BATCH).flat_map(move |chunk| {
        crate::source::parallel::map(chunk.to_vec(), &|i| data.summary(i))
            .into_iter()
            .flatten()
            .map(Arc::unwrap_or_clone)
    })
}

/// Summaries computed at a time by [`write_summaries_json`].
const BATCH: usize = 1_024;

/// `get-trace-summaries`' page, its list produced as it is written.
#[derive(serde::Serialize)]
#[serde(rename_all = "PascalCase")]
struct Page<S> {
    trace_summaries: S,
    #[serde(skip_serializing_if = "Option::is_none")]
    traces_processed_count: Option<u64>,
}

/// A sequence serialised from an iterator, once.
struct Lazy<I>(std::cell::RefCell<Option<I>>);

impl<I, T> serde::Serialize for Lazy<I>
where
    I: Iterator<Item = T>,
    T: serde::Serialize,
{
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let items = self.0.borrow_mut().take();
        s.collect_seq(items.into_iter().flatten())
    }
}
