//! The details pane: the selected entity's document, one tab per part of it.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};
use serde_json::Value;

use super::theme::Styles;
use crate::app::trace_view::{
    DetailTab, SHORT_TABS_BELOW, SpanLink, TraceView, events_of, links_of,
};
use crate::engine::waterfall::Row;
use crate::model::format::count;
use crate::model::segment::Cause;
use crate::model::time::{format_duration, format_utc};
use crate::model::{NodeKind, Segment, Trace, TraceSummary};

/// Draws the tab bar (in the border) and the selected tab's lines; trace IDs in W3C form when
/// `w3c`.
pub fn draw(frame: &mut Frame, t: &Styles, v: &TraceView, area: Rect, w3c: bool) {
    let Some(row) = v.selected_row() else {
        frame.render_widget(t.bordered().title(" Details "), area);
        return;
    };
    let doc = &v.trace.nodes[row.node].doc;
    let short = area.width < SHORT_TABS_BELOW;
    let mut tabs: Vec<Span> = vec![Span::raw(" ")];
    for tab in DetailTab::ALL.iter() {
        let label = tab.label(short);
        let style = if *tab == v.tab {
            t.selected()
        } else if tab.has_content(doc) {
            Style::new()
        } else {
            t.dim()
        };
        tabs.push(Span::styled(label, style));
    }
    let block = t.bordered().title(Line::from(tabs));
    let text = if v.tab == DetailTab::Links {
        let (links, at) = v.links();
        links_lines(t, doc, &links, at, w3c)
    } else {
        let mut text = lines(t, &v.trace, v.summary.as_ref(), row, v.tab);
        if v.tab == DetailTab::Overview && w3c {
            let id = crate::model::format::trace_id_in(&v.trace.id, true).into_owned();
            if let Some(l) = text.iter_mut().find(|l| {
                l.spans
                    .first()
                    .is_some_and(|s| s.content.as_ref() == "Trace: ")
            }) {
                *l = kv(t, "Trace", id);
            }
        }
        text
    };
    frame.render_widget(
        Paragraph::new(text)
            .block(block)
            .wrap(Wrap { trim: false })
            .scroll((v.details_scroll, 0)),
        area,
    );
}

fn kv(t: &Styles, key: &str, value: impl Into<String>) -> Line<'static> {
    Line::from(vec![
        Span::styled(format!("{key}: "), t.heading()),
        Span::raw(value.into()),
    ])
}

fn none(t: &Styles, what: &str) -> Vec<Line<'static>> {
    vec![Line::styled(format!("(no {what})"), t.dim())]
}

/// The lines of one tab for one row; the trace's summary adds its root causes to the root
/// segment's overview.
pub fn lines(
    t: &Styles,
    trace: &Trace,
    summary: Option<&TraceSummary>,
    row: &Row,
    tab: DetailTab,
) -> Vec<Line<'static>> {
    let doc = &trace.nodes[row.node].doc;
    match tab {
        DetailTab::Overview => {
            let mut out = overview(t, trace, row, doc);
            if let Some(s) = summary.filter(|_| trace.root_segment() == Some(row.node)) {
                let causes = crate::model::rootcause::failures_text(s);
                for l in causes.lines().filter(|l| !l.is_empty()) {
                    let style = if l.starts_with(' ') {
                        Style::new()
                    } else {
                        Style::new().fg(t.fault())
                    };
                    out.push(Line::styled(l.to_owned(), style));
                }
            }
            out
        }
        DetailTab::Http => match &doc.http {
            Some(h) => flat_json(t, &serde_json::to_value(h).unwrap_or(Value::Null)),
            None => none(t, "HTTP data"),
        },
        DetailTab::Resources => {
            let mut out = Vec::new();
            if let Some(arn) = &doc.resource_arn {
                out.push(kv(t, "resource_arn", arn.clone()));
            }
            if let Some(a) = &doc.aws {
                out.extend(flat_json(
                    t,
                    &serde_json::to_value(a).unwrap_or(Value::Null),
                ));
            }
            if out.is_empty() {
                none(t, "AWS resources")
            } else {
                out
            }
        }
        DetailTab::Annotations => {
            let out: Vec<Line> = doc
                .annotation_values()
                .map(|(k, v)| kv(t, k, v.display()))
                .collect();
            if out.is_empty() {
                none(t, "annotations")
            } else {
                out
            }
        }
        DetailTab::Metadata => match &doc.metadata {
            Some(m) if !m.is_empty() => pretty(&Value::Object((**m).clone())),
            _ => none(t, "metadata"),
        },
        DetailTab::Exceptions => exceptions(t, doc),
        DetailTab::Sql => match &doc.sql {
            Some(s) => flat_json(t, &serde_json::to_value(s).unwrap_or(Value::Null)),
            None => none(t, "SQL data"),
        },
        DetailTab::Raw => pretty(&serde_json::to_value(doc).unwrap_or(Value::Null)),
        DetailTab::Links => links_lines(t, doc, &links_of(doc), 0, false),
    }
}

/// The Links tab: the entity's links (the marked one, `at`, with `▸`; `L` opens its trace), then
/// its span events.
fn links_lines(
    t: &Styles,
    doc: &Segment,
    links: &[SpanLink],
    at: usize,
    w3c: bool,
) -> Vec<Line<'static>> {
    let events = events_of(doc);
    if links.is_empty() && events.is_empty() {
        return none(t, "span links or events");
    }
    let mut out = Vec::new();
    if !links.is_empty() {
        out.push(Line::styled(
            format!(
                "{} (L opens the marked one, J/K mark another)",
                crate::model::format::count(links.len(), "link", "links")
            ),
            t.heading(),
        ));
    }
    for (i, l) in links.iter().enumerate() {
        let mark = if i == at { "▸ " } else { "  " };
        let id = crate::model::format::trace_id_in(&l.trace_id, w3c).into_owned();
        let mut head = vec![
            Span::styled(mark, Style::new().fg(t.accent())),
            Span::styled("trace ", t.dim()),
            Span::styled(id, if i == at { t.selected() } else { Style::new() }),
        ];
        if let Some(s) = &l.span_id {
            head.push(Span::styled(" span ", t.dim()));
            head.push(Span::raw(s.clone()));
        }
        out.push(Line::from(head));
        let attrs = l
            .attributes
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join(" ");
        out.push(Line::styled(format!("    {attrs}"), t.dim()));
    }
    if !events.is_empty() {
        if !out.is_empty() {
            out.push(Line::raw(""));
        }
        out.push(Line::styled(
            crate::model::format::count(events.len(), "event", "events"),
            t.heading(),
        ));
        let start = doc.start_time;
        for e in &events {
            let mut head = vec![Span::raw(format!("  {}", e.name))];
            if let Some(time) = e.time {
                head.push(Span::styled(
                    format!(" +{}", format_duration((time - start).max(0.0))),
                    t.dim(),
                ));
            }
            out.push(Line::from(head));
            for (k, v) in &e.attributes {
                out.push(kv(t, &format!("    {k}"), v.clone()));
            }
        }
    }
    out
}

fn pretty(v: &Value) -> Vec<Line<'static>> {
    serde_json::to_string_pretty(v)
        .unwrap_or_default()
        .lines()
        .map(|l| Line::raw(l.to_owned()))
        .collect()
}

/// Nested objects as `a.b.c: value` lines.
fn flat_json(t: &Styles, v: &Value) -> Vec<Line<'static>> {
    fn walk(t: &Styles, prefix: &str, v: &Value, out: &mut Vec<Line<'static>>) {
        match v {
            Value::Object(m) => {
                for (k, x) in m {
                    let key = if prefix.is_empty() {
                        k.clone()
                    } else {
                        format!("{prefix}.{k}")
                    };
                    walk(t, &key, x, out);
                }
            }
            Value::Null => {}
            Value::String(s) => out.push(kv(t, prefix, s.clone())),
            other => out.push(kv(t, prefix, other.to_string())),
        }
    }
    let mut out = Vec::new();
    walk(t, "", v, &mut out);
    out
}

fn overview(t: &Styles, trace: &Trace, row: &Row, doc: &Segment) -> Vec<Line<'static>> {
    let node = &trace.nodes[row.node];
    let mut kind = match node.kind {
        NodeKind::Segment => "segment".to_owned(),
        NodeKind::Subsegment => "subsegment".to_owned(),
    };
    if doc.is_inferred() {
        kind.push_str(" (inferred)");
    }
    let mut out = vec![
        kv(t, "Name", doc.name.clone()),
        kv(t, "Kind", kind),
        kv(t, "ID", doc.id.clone()),
    ];
    if let Some(p) = &doc.parent_id {
        out.push(kv(t, "Parent", p.clone()));
    }
    out.push(kv(t, "Trace", trace.id.clone()));
    out.push(kv(t, "Start", format_utc(doc.start_time)));
    match doc.end_time {
        Some(e) => out.push(kv(t, "End", format_utc(e))),
        None => out.push(kv(t, "End", "in progress")),
    }
    out.push(kv(
        t,
        "Duration",
        row.duration
            .map(format_duration)
            .unwrap_or_else(|| "in progress".into()),
    ));
    out.push(kv(t, "Offset", format!("+{}", format_duration(row.offset))));
    let mut status = Vec::new();
    if let Some(c) = doc.http_status() {
        status.push(c.to_string());
    }
    for (on, name, color) in [
        (doc.is_fault(), "fault", t.fault()),
        (doc.is_error(), "error", t.error()),
        (doc.is_throttle(), "throttle", t.throttle()),
    ] {
        if on {
            out.push(Line::from(vec![
                Span::styled("Status: ", t.heading()),
                Span::styled(name, Style::new().fg(color)),
            ]));
        }
    }
    if !status.is_empty() {
        out.push(kv(t, "HTTP status", status.join(" ")));
    }
    if !row.service.is_empty() {
        out.push(kv(t, "Service", row.service.to_string()));
    }
    if let Some(o) = &doc.origin {
        out.push(kv(t, "Origin", o.clone()));
    }
    if let Some(u) = &doc.user {
        out.push(kv(t, "User", u.clone()));
    }
    if let Some(v) = doc.service.as_ref().and_then(|s| s.version.clone()) {
        out.push(kv(t, "Service version", v));
    }
    if let Some(ns) = &doc.namespace {
        out.push(kv(t, "Namespace", ns.clone()));
    }
    if let Some(skew) = row.skew {
        out.push(Line::from(vec![
            Span::styled("Clock skew: ", t.heading()),
            Span::styled(
                format!("shifted {skew:+.3}s to fit its caller"),
                Style::new().fg(t.accent()),
            ),
        ]));
    }
    if row.orphan {
        out.push(Line::styled(
            "Orphan: its parent was not in the trace",
            Style::new().fg(t.accent()),
        ));
    }
    out
}

fn exceptions(t: &Styles, doc: &Segment) -> Vec<Line<'static>> {
    let mut out = Vec::new();
    match doc.cause.as_deref() {
        None => return none(t, "exceptions"),
        Some(Cause::Id(id)) => {
            out.push(kv(t, "Exception recorded on another entity", id.clone()));
            return out;
        }
        Some(Cause::Details(d)) => {
            if let Some(w) = &d.working_directory {
                out.push(kv(t, "Working directory", w.clone()));
            }
        }
    }
    for e in doc.exceptions() {
        let kind = e.kind.clone().unwrap_or_else(|| "exception".into());
        let mut head = vec![Span::styled(kind, Style::new().fg(t.fault()))];
        if let Some(m) = &e.message {
            head.push(Span::raw(format!(": {m}")));
        }
        if e.remote == Some(true) {
            head.push(Span::styled(" (remote)", t.dim()));
        }
        out.push(Line::from(head));
        for f in &e.stack {
            let place = match (&f.path, f.line) {
                (Some(p), Some(l)) => format!("{p}:{l}"),
                (Some(p), None) => p.clone(),
                (None, Some(l)) => format!("line {l}"),
                (None, None) => String::new(),
            };
            let label = f.label.clone().unwrap_or_default();
            out.push(Line::raw(format!("    at {label} {place}")));
        }
        if let Some(n) = e.truncated.filter(|&n| n > 0) {
            out.push(Line::styled(
                format!("    … {} truncated", count(n, "frame", "frames")),
                t.dim(),
            ));
        }
        if let Some(n) = e.skipped.filter(|&n| n > 0) {
            out.push(Line::styled(
                format!("    … {} skipped", count(n, "exception", "exceptions")),
                t.dim(),
            ));
        }
        if let Some(c) = &e.cause {
            out.push(kv(t, "    caused by", c.clone()));
        }
    }
    if out.is_empty() {
        none(t, "exceptions")
    } else {
        out
    }
}
