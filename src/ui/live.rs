//! Live sources on screen: their counters in the status line, the time window editor, and the
//! diagnostics pane (daemon counters by reason, the last rejected datagrams, AWS progress and
//! errors, located warnings from files).

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Clear, Paragraph};

use super::theme;
use super::theme::Styles;
use crate::app::App;
use crate::model::time::format_utc;
use crate::source::Feed;

/// The live source's counters for the status line.
pub fn status_spans(app: &App) -> Vec<Span<'static>> {
    let t = &theme::of(app);
    let warn = Style::new().fg(t.accent());
    match &app.feed {
        Feed::None => Vec::new(),
        Feed::Daemon(d) => {
            let s = &d.stats;
            let mut out = vec![Span::raw(format!(
                "● live recv {} ok {} ",
                s.received, s.accepted
            ))];
            let bad = s.rejected_total();
            if bad > 0 {
                out.push(Span::styled(format!("bad {bad} "), warn));
            }
            let dropped = s.dropped_queue_full + d.kernel_drops.unwrap_or(0);
            if dropped > 0 {
                out.push(Span::styled(
                    format!("dropped {dropped} "),
                    Style::new().fg(t.fault()),
                ));
            }
            if s.evicted > 0 {
                out.push(Span::styled(format!("evicted {} ", s.evicted), warn));
            }
            if s.trace_full > 0 {
                out.push(Span::styled(format!("trace-full {} ", s.trace_full), warn));
            }
            if s.otlp_requests > 0 {
                out.push(Span::raw(format!("otlp {} ", s.otlp_accepted)));
            }
            if s.otlp_throttled > 0 {
                // The exporters send these again: a sign of load, not of loss.
                out.push(Span::styled(
                    format!("otlp-throttled {} ", s.otlp_throttled),
                    warn,
                ));
            }
            if s.otlp_rejected + s.otlp_refused > 0 {
                out.push(Span::styled(
                    format!("otlp-bad {} ", s.otlp_rejected + s.otlp_refused),
                    warn,
                ));
            }
            out
        }
        Feed::Aws(p) => {
            let mut out = Vec::new();
            if p.fetching {
                out.push(Span::raw(format!(
                    "{} page {} ",
                    super::spinner(app),
                    p.pages
                )));
            }
            if p.traces_processed > 0 {
                out.push(Span::styled(
                    format!("scanned {} ", p.traces_processed),
                    t.dim(),
                ));
            }
            if p.following {
                out.push(Span::styled(
                    format!("● follow {}s ", p.poll_every.unwrap_or(0)),
                    Style::new().fg(t.ok()),
                ));
            }
            if p.throttled {
                out.push(Span::styled("throttled ", warn));
            }
            if let Some(e) = &p.error {
                out.push(Span::styled(
                    format!("{} ", first_line(e)),
                    Style::new().fg(t.fault()),
                ));
            }
            out
        }
    }
}

/// The hints for the status line when `listen` serves X-Ray's default sampling rule (why 20
/// requests show 4 traces, and the way out), longest first.
pub const SAMPLING_HINTS: [&str; 3] = [
    "sampled 1/s + 5%: --sample-all or --sampling-rules FILE ",
    "5% sampled: --sample-all keeps all ",
    "5%: --sample-all ",
];

/// The sampling hint that fits in `room` cells (the shortest when none does), when `listen`
/// serves X-Ray's default rule.
pub fn sampling_hint(app: &App, room: usize) -> Option<Span<'static>> {
    let Feed::Daemon(d) = &app.feed else {
        return None;
    };
    if !d.default_sampling {
        return None;
    }
    let hint = SAMPLING_HINTS
        .iter()
        .find(|h| h.len() <= room)
        .unwrap_or(&SAMPLING_HINTS[SAMPLING_HINTS.len() - 1]);
    Some(Span::styled(*hint, theme::of(app).dim()))
}

fn first_line(s: &str) -> &str {
    s.lines().next().unwrap_or(s)
}

/// The time window editor, in the last row of `body`.
pub fn draw_window_input(frame: &mut Frame, t: &Styles, input: &str, body: Rect) {
    draw_input_line(
        frame,
        t,
        (" window: ", input),
        "   15m, 3h, 1d, or START..END (RFC 3339 or epoch); empty: all · Enter applies, Esc cancels",
        body,
    );
}

/// A one-line input on the body's last line: `(label, text)`, a cursor, then `hint`.
pub fn draw_input_line(
    frame: &mut Frame,
    t: &Styles,
    (label, input): (&str, &str),
    hint: &str,
    body: Rect,
) {
    if body.height == 0 {
        return;
    }
    let r = Rect::new(body.x, body.y + body.height - 1, body.width, 1);
    frame.render_widget(Clear, r);
    let line = Line::from(vec![
        Span::styled(label.to_owned(), Style::new().fg(t.label())),
        Span::raw(input.to_owned()),
        Span::styled("█", t.dim()),
        Span::styled(hint.to_owned(), t.dim()),
    ]);
    frame.render_widget(Paragraph::new(line), r);
}

/// The diagnostics pane's text.
pub fn diagnostics_lines(app: &App, width: usize) -> Vec<Line<'static>> {
    let t = &theme::of(app);
    let mut out = Vec::new();
    let head = |text: &str| Line::styled(text.to_owned(), t.heading());
    match &app.feed {
        Feed::Daemon(d) => {
            let s = &d.stats;
            out.push(head("Local daemon"));
            out.push(Line::raw(format!(
                "  udp {}   tcp {}   receive buffer {} KiB",
                d.udp,
                d.tcp.as_deref().unwrap_or("off"),
                d.recv_buffer / 1024
            )));
            out.push(Line::raw(format!(
                "  received {} ({} KiB)   accepted {}   traces {}   evicted {}",
                s.received,
                s.bytes / 1024,
                s.accepted,
                s.traces,
                s.evicted
            )));
            if s.unparsed > 0 {
                out.push(Line::raw(format!(
                    "  unparsed {} (accepted and saved, but a field has the wrong type)",
                    s.unparsed
                )));
            }
            if s.replaced > 0 {
                out.push(Line::raw(format!(
                    "  replaced {} (sent again with the same ID: the later copy kept)",
                    s.replaced
                )));
            }
            if s.trace_full > 0 {
                out.push(Line::styled(
                    format!(
                        "  trace-full {} (left out: their trace was at its limit; saved)",
                        s.trace_full
                    ),
                    Style::new().fg(t.accent()),
                ));
            }
            out.push(Line::raw(format!(
                "  dropped: queue full {}   kernel {}",
                s.dropped_queue_full,
                d.kernel_drops
                    .map_or_else(|| "n/a".to_owned(), |k| k.to_string())
            )));
            if s.saved + s.save_errors > 0 {
                out.push(Line::raw(format!(
                    "  saved {}   failed {}",
                    s.saved, s.save_errors
                )));
            }
            if let Some(e) = &d.save_error {
                out.push(Line::styled(
                    format!("  last save error: {e}"),
                    Style::new().fg(t.fault()),
                ));
            }
            if s.forwarded + s.forward_failed + s.forward_dropped + s.forward_not_xray_id > 0 {
                out.push(Line::raw(format!(
                    "  forwarded {}   failed {}   dropped {}",
                    s.forwarded, s.forward_failed, s.forward_dropped
                )));
            }
            if s.forward_not_xray_id > 0 {
                out.push(Line::styled(
                    format!(
                        "  not forwarded {} ({})",
                        s.forward_not_xray_id,
                        crate::source::feed::FORWARD_NOT_XRAY_ID
                    ),
                    Style::new().fg(t.accent()),
                ));
            }
            if let Some(rules) = &d.sampling {
                out.push(Line::raw(format!("  sampling rules served: {rules}")));
                if d.default_sampling {
                    out.push(Line::styled(
                        "    most requests are not traced: `listen --sample-all` keeps every one; \
                         `--sampling-rules FILE` serves your own rules",
                        t.dim(),
                    ));
                }
                out.extend(sampling_table(t, &d.sampling_counts, width));
            }
            if d.otlp_http.is_some() || d.otlp_grpc.is_some() || !d.otlp_unbound.is_empty() {
                out.push(Line::raw(format!(
                    "  otlp http {}   grpc {}",
                    d.otlp_http.as_deref().unwrap_or("off"),
                    d.otlp_grpc.as_deref().unwrap_or("off")
                )));
                out.push(Line::raw(format!(
                    "  otlp requests {}   spans {}   accepted {}   rejected {}",
                    s.otlp_requests, s.otlp_spans, s.otlp_accepted, s.otlp_rejected
                )));
                if s.otlp_throttled + s.otlp_refused > 0 {
                    out.push(Line::styled(
                        format!(
                            "  otlp throttled {} (answered with a retry delay; sent again)   \
                             refused {}",
                            s.otlp_throttled, s.otlp_refused
                        ),
                        Style::new().fg(t.accent()),
                    ));
                }
                for u in &d.otlp_unbound {
                    out.push(Line::styled(format!("  {u}"), Style::new().fg(t.accent())));
                }
                if let Some(p) = &d.otlp_problem {
                    out.push(Line::styled(
                        format!("  last otlp problem: {p}"),
                        Style::new().fg(t.accent()),
                    ));
                }
            }
            if s.sampling_requests + s.sampling_refused > 0 {
                let mut line = format!("  sampling requests answered {}", s.sampling_requests);
                if s.sampling_refused > 0 {
                    line += &format!("   refused {}", s.sampling_refused);
                }
                out.push(Line::raw(line));
            }
            let reasons = s.rejected_by_reason();
            out.push(Line::raw(""));
            out.push(head(&format!("Rejected datagrams: {}", s.rejected_total())));
            for (r, n) in reasons {
                out.push(Line::raw(format!("  {r:<18} {n}")));
            }
            if !d.recent.is_empty() {
                out.push(Line::raw(""));
                out.push(head("Last rejected"));
                for r in d.recent.iter().rev() {
                    out.push(Line::styled(format!("  {r}"), Style::new().fg(t.accent())));
                }
            }
        }
        Feed::Aws(p) => {
            out.push(head(&format!("AWS X-Ray {}", p.region)));
            out.push(Line::raw(format!(
                "  window {}   pages {}   traces scanned {}",
                p.window, p.pages, p.traces_processed
            )));
            if let Some(t) = p.approximate_time {
                out.push(Line::raw(format!(
                    "  approximate time {} UTC",
                    format_utc(t)
                )));
            }
            out.push(Line::raw(format!(
                "  follow {}{}",
                if p.following { "on" } else { "off (F)" },
                p.poll_every
                    .map(|s| format!(", every {s}s"))
                    .unwrap_or_default()
            )));
            if let Some(e) = &p.error {
                out.push(Line::raw(""));
                out.push(head("Last error"));
                for l in e.lines() {
                    out.push(Line::styled(format!("  {l}"), Style::new().fg(t.fault())));
                }
            }
        }
        Feed::None => {}
    }
    if let Some(d) = &app.data {
        if !d.warnings.is_empty() {
            if !out.is_empty() {
                out.push(Line::raw(""));
            }
            out.push(head(&format!("Warnings: {}", d.warnings.len())));
            for w in d.warnings.iter().take(200) {
                out.push(Line::styled(format!("  {w}"), Style::new().fg(t.accent())));
            }
        }
    }
    if out.is_empty() {
        out.push(Line::raw("Nothing to report: every input loaded cleanly."));
    }
    out
}

/// Draws the diagnostics pane over `area`.
pub fn draw_diagnostics(frame: &mut Frame, app: &App, area: Rect) {
    let w = area.width.saturating_sub(4).min(110);
    // Inside the borders.
    let inner = usize::from(w.saturating_sub(2));
    let room = usize::from(area.height.saturating_sub(4));
    let text = fit_rows(diagnostics_lines(app, inner), inner, room);
    let h = u16::try_from(text.len())
        .unwrap_or(u16::MAX)
        .saturating_add(2);
    let r = super::centered(area, w, h);
    frame.render_widget(Clear, r);
    frame.render_widget(
        Paragraph::new(text).block(theme::of(app).bordered().title(" Diagnostics (D closes) ")),
        r,
    );
}

/// `lines` as rows of at most `width` cells, in at most `room` rows, the end included when
/// it can be: wrapped (a continuation indented under its line); else without the blank lines
/// between the sections; else each line on one row, cut with `…`; else cut at the bottom,
/// the last row saying how many lines are left out.
fn fit_rows(lines: Vec<Line<'static>>, width: usize, room: usize) -> Vec<Line<'static>> {
    let blank = |l: &Line| l.spans.iter().all(|s| s.content.trim().is_empty());
    let wrapped = |lines: &[Line<'static>]| -> Vec<Line<'static>> {
        lines.iter().flat_map(|l| wrap_line(l, width)).collect()
    };
    let all = wrapped(&lines);
    if all.len() <= room {
        return all;
    }
    let dense: Vec<Line<'static>> = lines.into_iter().filter(|l| !blank(l)).collect();
    let packed = wrapped(&dense);
    if packed.len() <= room {
        return packed;
    }
    let mut cut: Vec<Line<'static>> = dense
        .iter()
        .map(|l| restyled(l, crate::model::format::truncate(&line_text(l), width)))
        .collect();
    if cut.len() > room {
        let keep = room.saturating_sub(1);
        let left_out = cut.len() - keep;
        cut.truncate(keep);
        if room > 0 {
            cut.push(Line::raw(format!(
                "… {} more: a taller terminal shows them",
                crate::model::format::count(left_out, "line", "lines")
            )));
        }
    }
    cut
}

/// A line's text.
fn line_text(line: &Line) -> String {
    line.spans.iter().map(|s| s.content.as_ref()).collect()
}

/// `text` in the style of `like` (the line's, and its first span's).
fn restyled(like: &Line, text: String) -> Line<'static> {
    let span = like.spans.first().map_or_else(Style::new, |s| s.style);
    Line::from(Span::styled(text, span)).style(like.style)
}

/// A line as rows of at most `width` cells: broken at spaces, each row after the first
/// indented two cells deeper than the line.
fn wrap_line(line: &Line<'static>, width: usize) -> Vec<Line<'static>> {
    use crate::model::format::{width as cells, wrap};
    let text = line_text(line);
    if cells(&text) <= width {
        return vec![line.clone()];
    }
    let body = text.trim_start_matches(' ');
    let indent = text.len() - body.len();
    let rest = " ".repeat(indent + 2);
    // The first row may take the deeper indent's room too: one width for every row.
    let rows = wrap(body, width.saturating_sub(indent + 2).max(8));
    rows.into_iter()
        .enumerate()
        .map(|(i, row)| {
            let lead = if i == 0 { &rest[..indent] } else { &rest[..] };
            restyled(line, format!("{lead}{row}"))
        })
        .collect()
}

/// The rules served, in the order X-Ray tries them, each with what it matches, its reservoir
/// and rate, and what the SDKs report of it through `SamplingTargets` (requests seen, sampled,
/// sampled by borrowing before a quota came).
/// The table fits in `width` cells: the MATCHES column gives way.
fn sampling_table(
    t: &Styles,
    rules: &[crate::source::feed::RuleCounts],
    width: usize,
) -> Vec<Line<'static>> {
    use crate::model::format::{fit, pad_left, width as cells};
    if rules.is_empty() {
        return Vec::new();
    }
    let name_w = rules
        .iter()
        .map(|r| cells(&r.rule))
        .max()
        .unwrap_or(4)
        .clamp(4, 24);
    // Everything but the MATCHES column: the indent, the name and six columns with spaces.
    let fixed = 4 + name_w + 6 + 1 + 10 + 6 + 9 + 9 + 9;
    let match_w = rules
        .iter()
        .map(|r| cells(&r.matches))
        .max()
        .unwrap_or(7)
        .clamp(7, 36)
        .min(width.saturating_sub(fixed).max(7));
    let mut out = vec![Line::styled(
        format!(
            "    {} {} {} {} {} {} {} {}",
            fit("RULE", name_w),
            pad_left("PRIO", 5),
            fit("MATCHES", match_w),
            pad_left("RESERVOIR", 9),
            pad_left("RATE", 5),
            pad_left("REQUESTS", 8),
            pad_left("SAMPLED", 8),
            pad_left("BORROWED", 8),
        ),
        t.heading(),
    )];
    for r in rules {
        let rate = format!("{}%", (r.rate * 1000.0).round() / 10.0);
        out.push(Line::raw(format!(
            "    {} {} {} {} {} {} {} {}",
            fit(&r.rule, name_w),
            pad_left(&r.priority.to_string(), 5),
            fit(&r.matches, match_w),
            pad_left(&format!("{}/s", r.reservoir), 9),
            pad_left(&rate, 5),
            pad_left(&r.requests.to_string(), 8),
            pad_left(&r.sampled.to_string(), 8),
            pad_left(&r.borrowed.to_string(), 8),
        )));
    }
    out.push(Line::styled(
        "    counts as the SDKs report them (about every 10 s)",
        t.dim(),
    ));
    out
}
