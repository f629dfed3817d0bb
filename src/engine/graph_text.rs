//! Renderings of a service graph for `xray-tui graph`: aligned text for the terminal and
//! Graphviz DOT for pictures.
//!
//! Why here and not in the UI: both are pure functions of a [`ServiceGraph`], used by the
//! headless command and by tests. They read only what the graph says, so they work as well on a
//! graph built by [`super::graph`] as on one read from a `get-service-graph` file, where every
//! field may be missing: absent statistics print as `-`, an edge to a node the graph does not
//! have prints its reference ID. Output depends only on the graph (node order as given, no time
//! zone, no terminal width), so it can be snapshot-tested.

use std::fmt::Write as _;

use crate::model::ServiceGraph;
use crate::model::format::width;
use crate::model::graph::{EdgeStatistics, Service};
use crate::model::time::{format_duration, format_utc};

/// UTC time to the millisecond, rounded (`format_utc` works on nanoseconds of an `f64`, which at
/// epoch magnitudes can land just below the millisecond and print one less).
fn utc_ms(epoch: f64) -> String {
    let ms = (epoch * 1000.0).round();
    if !ms.is_finite() {
        return "?".to_owned();
    }
    match jiff::Timestamp::from_millisecond(ms as i64) {
        Ok(ts) => ts.strftime("%Y-%m-%dT%H:%M:%S%.3fZ").to_string(),
        Err(_) => format_utc(epoch),
    }
}

/// Counts of one node or edge, read defensively from possibly partial statistics.
#[derive(Debug, Clone, Copy, Default)]
struct Counts {
    total: u64,
    ok: u64,
    errors: u64,
    throttles: u64,
    faults: u64,
    total_time: f64,
}

impl Counts {
    fn of(s: &EdgeStatistics) -> Self {
        let e = &s.error_statistics;
        let throttles = e.throttle_count;
        let errors = e.other_count.max(e.total_count.saturating_sub(throttles));
        let faults = s
            .fault_statistics
            .total_count
            .max(s.fault_statistics.other_count);
        Counts {
            total: s.total_count,
            ok: s.ok_count,
            errors,
            throttles,
            faults,
            total_time: s.total_response_time,
        }
    }

    fn avg(&self) -> Option<f64> {
        (self.total > 0).then(|| self.total_time / self.total as f64)
    }

    fn pct(&self, n: u64) -> String {
        if self.total == 0 {
            "-".to_owned()
        } else {
            format!("{:.1}%", n as f64 * 100.0 / self.total as f64)
        }
    }

    /// `1 req, avg 12.3ms, 2 errors, 1 fault`: only the failures that happened.
    fn summary(&self) -> String {
        let mut s = format!("{} req", self.total);
        if let Some(avg) = self.avg() {
            let _ = write!(s, ", avg {}", format_duration(avg));
        }
        for (n, what) in [
            (self.errors, "error"),
            (self.faults, "fault"),
            (self.throttles, "throttle"),
        ] {
            if n > 0 {
                let _ = write!(s, ", {n} {what}{}", if n == 1 { "" } else { "s" });
            }
        }
        s
    }

    /// Graphviz colour by health: faults first, then errors, then throttles.
    fn colour(&self) -> &'static str {
        if self.faults > 0 {
            "red"
        } else if self.errors > 0 {
            "orange"
        } else if self.throttles > 0 {
            "purple"
        } else if self.total > 0 {
            "forestgreen"
        } else {
            "gray50"
        }
    }
}

fn node_name(s: &Service) -> String {
    s.name
        .clone()
        .or_else(|| s.names.first().cloned())
        .unwrap_or_else(|| format!("#{}", s.reference_id))
}

fn node_type(s: &Service) -> &str {
    s.kind.as_deref().unwrap_or("-")
}

fn target_label(graph: &ServiceGraph, reference_id: i64) -> String {
    match graph.node(reference_id) {
        Some(t) => match &t.kind {
            Some(k) => format!("{} ({k})", node_name(t)),
            None => node_name(t),
        },
        None => format!("#{reference_id} (not in graph)"),
    }
}

fn is_root(s: &Service) -> bool {
    s.root == Some(true)
}

/// Text rendering for `xray-tui graph --format text`: one block per node (name, type, requests,
/// avg latency, ok/error/fault/throttle %), then its edges
/// `  -> target  (N req, avg 12.3ms, 2 faults)`. Columns are aligned across the whole graph.
pub fn render_text(graph: &ServiceGraph) -> String {
    let mut out = String::new();
    let edges: usize = graph.services.iter().map(|s| s.edges.len()).sum();
    let _ = write!(
        out,
        "Service graph: {} node{}, {} edge{}",
        graph.services.len(),
        if graph.services.len() == 1 { "" } else { "s" },
        edges,
        if edges == 1 { "" } else { "s" },
    );
    match (graph.start_time, graph.end_time) {
        (Some(s), Some(e)) => {
            let _ = writeln!(out, ", {} to {}", utc_ms(s), utc_ms(e));
        }
        (Some(t), None) | (None, Some(t)) => {
            let _ = writeln!(out, ", at {}", utc_ms(t));
        }
        (None, None) => out.push('\n'),
    }
    if graph.services.is_empty() {
        return out;
    }

    let header = [
        "NODE", "TYPE", "REQUESTS", "AVG", "OK", "ERROR", "FAULT", "THROTTLE",
    ];
    let rows: Vec<[String; 8]> = graph
        .services
        .iter()
        .map(|s| {
            let ty = if is_root(s) {
                format!("{} (root)", node_type(s))
            } else {
                node_type(s).to_owned()
            };
            match s.summary_statistics.as_ref().map(Counts::of) {
                Some(c) => [
                    node_name(s),
                    ty,
                    c.total.to_string(),
                    c.avg().map_or_else(|| "-".to_owned(), format_duration),
                    c.pct(c.ok),
                    c.pct(c.errors),
                    c.pct(c.faults),
                    c.pct(c.throttles),
                ],
                None => [
                    node_name(s),
                    ty,
                    "-".into(),
                    "-".into(),
                    "-".into(),
                    "-".into(),
                    "-".into(),
                    "-".into(),
                ],
            }
        })
        .collect();
    let mut widths = header.map(width);
    for row in &rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(width(cell));
        }
    }
    let line = |cells: [&str; 8]| -> String {
        let mut l = String::new();
        for (i, (cell, w)) in cells.iter().zip(widths).enumerate() {
            let pad = w.saturating_sub(width(cell));
            if i > 0 {
                l.push_str("  ");
            }
            if i < 2 {
                l.push_str(cell);
                l.extend(std::iter::repeat_n(' ', pad));
            } else {
                l.extend(std::iter::repeat_n(' ', pad));
                l.push_str(cell);
            }
        }
        l.truncate(l.trim_end().len());
        l
    };

    let targets: Vec<Vec<String>> = graph
        .services
        .iter()
        .map(|s| {
            s.edges
                .iter()
                .map(|e| target_label(graph, e.reference_id))
                .collect()
        })
        .collect();
    let target_width = targets
        .iter()
        .flatten()
        .map(|t| width(t))
        .max()
        .unwrap_or(0);

    let _ = writeln!(out, "\n{}", line(header));
    for (i, ((s, row), labels)) in graph.services.iter().zip(&rows).zip(&targets).enumerate() {
        if i > 0 {
            out.push('\n');
        }
        let _ = writeln!(out, "{}", line(row.each_ref().map(String::as_str)));
        for (e, label) in s.edges.iter().zip(labels) {
            let stats = e
                .summary_statistics
                .as_ref()
                .map_or_else(|| "no statistics".to_owned(), |st| Counts::of(st).summary());
            let pad = target_width.saturating_sub(width(label));
            let _ = writeln!(out, "  -> {label}{}  ({stats})", " ".repeat(pad));
        }
    }
    out
}

/// Escapes text for a double-quoted DOT string.
fn dot_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => {}
            c => out.push(c),
        }
    }
    out
}

/// DOT label from lines of text.
fn dot_label(lines: &[String]) -> String {
    lines
        .iter()
        .map(|l| dot_escape(l))
        .collect::<Vec<_>>()
        .join("\\n")
}

fn dot_id(reference_id: i64) -> String {
    if reference_id < 0 {
        format!("n_{}", reference_id.unsigned_abs())
    } else {
        format!("n{reference_id}")
    }
}

/// Graphviz DOT: nodes labelled with name/type/stats, coloured by health (red faults, orange
/// errors, purple throttles, green healthy, grey without requests), edges labelled with
/// counts/avg latency. Clients are ellipses, entry services have a thick border.
pub fn render_dot(graph: &ServiceGraph) -> String {
    let mut out = String::from("digraph service_graph {\n");
    out.push_str("  rankdir=LR;\n");
    out.push_str("  node [shape=box, style=rounded, fontname=\"Helvetica\", fontsize=10];\n");
    out.push_str("  edge [fontname=\"Helvetica\", fontsize=9];\n");
    if !graph.services.is_empty() {
        out.push('\n');
    }
    for s in &graph.services {
        let counts = s.summary_statistics.as_ref().map(Counts::of);
        let mut lines = vec![node_name(s), node_type(s).to_owned()];
        if let Some(c) = counts {
            let mut l = format!("{} req", c.total);
            if let Some(avg) = c.avg() {
                let _ = write!(l, ", avg {}", format_duration(avg));
            }
            lines.push(l);
            if c.total > 0 {
                lines.push(format!(
                    "ok {}  err {}  fault {}  throttle {}",
                    c.pct(c.ok),
                    c.pct(c.errors),
                    c.pct(c.faults),
                    c.pct(c.throttles)
                ));
            }
        }
        let client = s.kind.as_deref() == Some("client");
        let mut attrs = format!("label=\"{}\"", dot_label(&lines));
        if client {
            attrs.push_str(", shape=ellipse");
        }
        let colour = counts.map_or("gray50", |c| c.colour());
        let _ = write!(attrs, ", color={colour}");
        if is_root(s) {
            attrs.push_str(", penwidth=2");
        }
        let _ = writeln!(out, "  {} [{attrs}];", dot_id(s.reference_id));
    }
    let mut first_edge = true;
    for s in &graph.services {
        for e in &s.edges {
            if first_edge {
                out.push('\n');
                first_edge = false;
            }
            let counts = e.summary_statistics.as_ref().map(Counts::of);
            let label = counts.map_or_else(String::new, |c| {
                let mut lines = vec![format!("{} req", c.total)];
                if let Some(avg) = c.avg() {
                    lines.push(format!("avg {}", format_duration(avg)));
                }
                let failures: Vec<String> = [
                    (c.errors, "error"),
                    (c.faults, "fault"),
                    (c.throttles, "throttle"),
                ]
                .into_iter()
                .filter(|(n, _)| *n > 0)
                .map(|(n, w)| format!("{n} {w}{}", if n == 1 { "" } else { "s" }))
                .collect();
                if !failures.is_empty() {
                    lines.push(failures.join(", "));
                }
                dot_label(&lines)
            });
            let colour = counts.map_or("gray50", |c| c.colour());
            let _ = writeln!(
                out,
                "  {} -> {} [label=\"{label}\", color={colour}];",
                dot_id(s.reference_id),
                dot_id(e.reference_id)
            );
        }
    }
    out.push_str("}\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::graph::service_graph;
    use crate::engine::test_support::{fixture, fixture_traces};
    use crate::model::graph::Edge;

    fn block07_graph() -> ServiceGraph {
        let traces =
            fixture_traces("awsdocs-aws-xray-developer-guide/xray-api-gettingdata.md.block07.json");
        service_graph(&traces)
    }

    fn block02_graph() -> ServiceGraph {
        serde_json::from_str(&fixture(
            "awsdocs-aws-xray-developer-guide/xray-api-gettingdata.md.block02.json",
        ))
        .expect("GetServiceGraph JSON")
    }

    #[test]
    fn text_block07() {
        insta::assert_snapshot!(render_text(&block07_graph()));
    }

    #[test]
    fn dot_block07() {
        insta::assert_snapshot!(render_dot(&block07_graph()));
    }

    #[test]
    fn text_block02_file_graph() {
        insta::assert_snapshot!(render_text(&block02_graph()));
    }

    #[test]
    fn dot_block02_file_graph() {
        insta::assert_snapshot!(render_dot(&block02_graph()));
    }

    #[test]
    fn empty_and_partial_graphs_render() {
        assert_eq!(
            render_text(&ServiceGraph::default()),
            "Service graph: 0 nodes, 0 edges\n"
        );
        let g = ServiceGraph {
            services: vec![Service {
                reference_id: -3,
                edges: vec![Edge {
                    reference_id: 9,
                    ..Edge::default()
                }],
                ..Service::default()
            }],
            ..ServiceGraph::default()
        };
        let text = render_text(&g);
        assert!(text.contains("\n#-3   -  "), "{text}");
        assert!(
            text.contains("  -> #9 (not in graph)  (no statistics)"),
            "{text}"
        );
        let dot = render_dot(&g);
        assert!(
            dot.contains("n_3 -> n9 [label=\"\", color=gray50];"),
            "{dot}"
        );
    }

    #[test]
    fn failures_pick_the_colour_and_are_counted() {
        let mut s = EdgeStatistics {
            ok_count: 1,
            total_count: 4,
            total_response_time: 0.4,
            ..EdgeStatistics::default()
        };
        s.error_statistics.throttle_count = 1;
        s.error_statistics.total_count = 2;
        s.error_statistics.other_count = 1;
        s.fault_statistics.total_count = 1;
        let c = Counts::of(&s);
        assert_eq!(
            c.summary(),
            "4 req, avg 100ms, 1 error, 1 fault, 1 throttle"
        );
        assert_eq!(c.colour(), "red");
        s.fault_statistics.total_count = 0;
        assert_eq!(Counts::of(&s).colour(), "orange");
        s.error_statistics.other_count = 0;
        s.error_statistics.total_count = 1;
        assert_eq!(Counts::of(&s).colour(), "purple");
    }

    #[test]
    fn times_round_to_the_millisecond() {
        assert_eq!(utc_ms(1_499_473_414.794), "2017-07-08T00:23:34.794Z");
        assert_eq!(utc_ms(f64::NAN), "?");
    }

    #[test]
    fn dot_escapes_names() {
        let g = ServiceGraph {
            services: vec![Service {
                reference_id: 0,
                name: Some("a \"quoted\" \\ name".into()),
                ..Service::default()
            }],
            ..ServiceGraph::default()
        };
        assert!(render_dot(&g).contains(r#"label="a \"quoted\" \\ name\n-""#));
    }
}
