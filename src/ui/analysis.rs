//! The Analysis screen: a tab bar, a line about the tab (what is selected or measured, and its
//! keys), a column header, then the tab's rows (only those that fit). Numbers come first and
//! the names last, cut to the cells left, so wide characters never shift a column.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::theme::{self, Styles};
use super::{bar, centered_message, spinner};
use crate::app::App;
use crate::app::analysis::{AnalysisState, Tab};
use crate::filter::analyze::{Measured, kind_word};
use crate::model::format::{count, fit, pad, pad_left, width};
use crate::model::time::{format_duration, format_utc};

/// Draws the header line and the screen.
pub fn draw(frame: &mut Frame, app: &App, header: Rect, body: Rect) {
    let t = &theme::of(app);
    let Some(st) = app.analysis.as_ref() else {
        return;
    };
    let mut head = vec![
        Span::styled(" Analysis ", t.heading()),
        bar(t),
        Span::raw(format!(
            " {} ",
            count(app.list.visible.len(), "trace", "traces")
        )),
    ];
    // Reading inside the traces while older numbers stay on screen (the body says it when
    // there are none).
    if let Some(p) = progress(st).filter(|_| !st.is_empty()) {
        head.push(bar(t));
        head.push(Span::styled(format!(" {} {p} ", spinner(app)), t.dim()));
    }
    if let Some(f) = app.list.expr_text() {
        head.push(bar(t));
        head.push(Span::styled(format!(" {f}"), t.dim()));
    }
    frame.render_widget(Paragraph::new(Line::from(head)), header);
    if body.height < 4 {
        return;
    }
    let w = usize::from(body.width);
    let tabs = tab_bar(t, st, w);
    let about = about_line(t, st, w);
    let (columns, rows) = table(t, st, w);
    let mut lines = vec![tabs, about, columns];
    let room = usize::from(body.height) - 3;
    if rows.is_empty() {
        let text = match progress(st) {
            Some(p) => format!("{} {p}", spinner(app)),
            None if st.computing() => format!("{} working it out…", spinner(app)),
            None if app.analysis_waits_for_load() => format!(
                "{} loading: the traces are analysed once they are all here",
                spinner(app)
            ),
            None => empty_text(st.tab).to_owned(),
        };
        frame.render_widget(Paragraph::new(lines), body);
        let rest = Rect::new(body.x, body.y + 3, body.width, body.height - 3);
        centered_message(frame, rest, vec![Line::styled(text, t.dim())]);
        return;
    }
    let at = st.row();
    let offset = (at + 1).saturating_sub(room);
    for (i, row) in rows.into_iter().enumerate().skip(offset).take(room) {
        lines.push(if i == at {
            row.patch_style(t.selected())
        } else {
            row
        });
    }
    frame.render_widget(Paragraph::new(lines), body);
}

/// How far the table of facts the answer waits for is: `reading inside the traces: 35% (350
/// of 1000)` (the first answer on a dataset reads inside each trace once).
fn progress(st: &AnalysisState) -> Option<String> {
    let (done, of) = st.progress.filter(|_| st.computing())?;
    Some(format!(
        "reading inside the traces: {}% ({done} of {of})",
        done.saturating_mul(100) / of.max(1)
    ))
}

fn empty_text(tab: Tab) -> &'static str {
    match tab {
        Tab::RootCauses => "no fault, error or response-time root causes in these traces",
        Tab::Compare => "nothing to compare: no traces on one side",
        Tab::Histogram => "no response times to count",
        Tab::OverTime => "no start times to count",
        Tab::Red => "no services or operations",
    }
}

fn tab_bar(t: &Styles, st: &AnalysisState, w: usize) -> Line<'static> {
    let mut spans = Vec::new();
    for (tab, text) in Tab::ALL.iter().zip(Tab::bar_titles()) {
        spans.push(if *tab == st.tab {
            Span::styled(text, t.selected().add_modifier(Modifier::BOLD))
        } else {
            Span::styled(text, t.dim())
        });
        spans.push(bar(t));
    }
    spans.pop();
    let used: usize = spans.iter().map(|s| s.width()).sum();
    if used > w {
        // Narrow: the current tab's title only.
        let i = st.tab.index();
        return Line::from(vec![
            Span::styled(
                format!(" {}/{} {} ", i + 1, Tab::ALL.len(), st.tab.title()),
                t.selected().add_modifier(Modifier::BOLD),
            ),
            Span::styled(" Tab: next", t.dim()),
        ]);
    }
    Line::from(spans)
}

/// `11-26 09:00:30`: an interval's start without the year and the milliseconds.
fn short_time(epoch: f64) -> String {
    let full = format_utc(epoch);
    full.get(5..19).unwrap_or(&full).replacen('T', " ", 1)
}

fn secs(v: Option<f64>) -> String {
    v.map_or_else(|| "-".to_owned(), format_duration)
}

fn pct(v: f64) -> String {
    format!("{:.1}%", v * 100.0)
}

fn measured_label(m: &Measured) -> String {
    match m {
        Measured::Traces => "the traces' response times".to_owned(),
        Measured::Service(s) => format!("service {s}"),
        Measured::Edge(a, b) => format!("edge {a} -> {b}"),
    }
}

fn about_line(t: &Styles, st: &AnalysisState, w: usize) -> Line<'static> {
    let a = &st.answers;
    let text = match st.tab {
        Tab::RootCauses => "Enter: list the traces with the root cause".to_owned(),
        Tab::Compare => match &a.compare {
            Some(c) => format!(
                "{} ({}) against the rest ({})  ←→ another selection  Enter: filter",
                c.selection.label(),
                c.selected,
                c.baseline
            ),
            None => "←→ another selection".to_owned(),
        },
        Tab::Histogram => {
            let mut s = measured_label(&st.measured);
            if let Some((h, _)) = &a.histogram {
                if h.log {
                    s.push_str(" (log scale)");
                }
                for (p, v) in h.percentiles {
                    s.push_str(&format!("  p{p} {}", secs(v)));
                }
            }
            let mark = if st.anchor.is_some() {
                "Space: unmark"
            } else {
                "Space: mark a range"
            };
            format!("{s}  ←→ service/edge  {mark}  Enter: filter")
        }
        Tab::OverTime => match &a.time {
            Some(tl) => format!(
                "per {}, faults/errors/throttles stacked  Enter: narrow the window",
                format_duration(tl.interval)
            ),
            None => String::new(),
        },
        Tab::Red => "Enter: the service's traces (operations cannot be filtered)".to_owned(),
    };
    Line::styled(fit(&format!(" {text}"), w), t.dim())
}

/// The column header and every row of the current tab.
fn table(t: &Styles, st: &AnalysisState, w: usize) -> (Line<'static>, Vec<Line<'static>>) {
    let a = &st.answers;
    let head = |s: String| Line::styled(fit(&s, w), t.heading());
    match st.tab {
        Tab::RootCauses => {
            let h = head(format!(
                " {} {} {} {} {} CAUSE (service > entity > exception)",
                pad("KIND", 13),
                pad_left("TRACES", 6),
                pad_left("SHARE", 6),
                pad_left("P50", 8),
                pad_left("P99", 8)
            ));
            let rows = a
                .causes
                .iter()
                .flatten()
                .map(|c| {
                    let g = &c.group;
                    let colour = match kind_word(c.kind) {
                        "fault" => t.fault(),
                        "error" => t.error(),
                        _ => t.accent(),
                    };
                    let mut cause = c.service.clone();
                    if !c.entity.is_empty() && c.entity != c.service {
                        cause.push_str(" > ");
                        cause.push_str(&c.entity);
                    }
                    if let Some(x) = &c.exception {
                        cause.push_str(" > ");
                        cause.push_str(x);
                    }
                    let nums = format!(
                        " {} {} {} {} ",
                        pad_left(&g.count.to_string(), 6),
                        pad_left(&pct(g.share), 6),
                        pad_left(&secs(g.p50), 8),
                        pad_left(&secs(g.p99), 8)
                    );
                    let kind = format!(" {}", pad(c.kind.label(), 13));
                    let room = w.saturating_sub(width(&kind) + width(&nums));
                    Line::from(vec![
                        Span::styled(kind, Style::new().fg(colour)),
                        Span::raw(nums),
                        Span::raw(fit(&cause, room)),
                    ])
                })
                .collect();
            (h, rows)
        }
        Tab::Compare => {
            let h = head(format!(
                " {} {} {} {} VALUE",
                pad_left("SELECTED", 8),
                pad_left("BASELINE", 8),
                pad("", 12),
                pad("DIMENSION", 16)
            ));
            let rows = a
                .compare
                .iter()
                .flat_map(|c| &c.differences)
                .map(|d| {
                    let bars = |v: f64| "█".repeat((v * 6.0).round() as usize);
                    let mut spans = vec![
                        Span::raw(format!(
                            " {} {} ",
                            pad_left(&pct(d.selection), 8),
                            pad_left(&pct(d.baseline), 8)
                        )),
                        Span::styled(pad(&bars(d.selection), 6), Style::new().fg(t.fault())),
                        Span::styled(pad(&bars(d.baseline), 6), t.dim()),
                        Span::raw(format!(" {} ", pad(&d.dimension, 16))),
                    ];
                    let used: usize = spans.iter().map(|s| s.width()).sum();
                    let value = if d.filter.is_empty() {
                        format!("{} (no filter)", d.key)
                    } else {
                        d.key.clone()
                    };
                    spans.push(Span::raw(fit(&value, w.saturating_sub(used))));
                    Line::from(spans)
                })
                .collect();
            (h, rows)
        }
        Tab::Histogram => {
            let h = head(format!(
                " {} {} DISTRIBUTION",
                pad("RESPONSE TIME", 21),
                pad_left("COUNT", 7)
            ));
            let Some((hist, _)) = &a.histogram else {
                return (h, Vec::new());
            };
            let max = hist.bins.iter().map(|b| b.count).max().unwrap_or(0).max(1);
            let (lo, hi) = st.range();
            let marking = st.anchor.is_some();
            let rows = hist
                .bins
                .iter()
                .enumerate()
                .map(|(i, b)| {
                    let marks: Vec<String> = hist
                        .percentiles
                        .iter()
                        .filter(|(_, v)| {
                            v.is_some_and(|v| v >= b.lo && (v < b.hi || i + 1 == hist.bins.len()))
                        })
                        .map(|(p, _)| format!("p{p}"))
                        .collect();
                    let range = format!("{} – {}", format_duration(b.lo), format_duration(b.hi));
                    let left = format!(
                        " {} {} ",
                        pad(&range, 21),
                        pad_left(&b.count.to_string(), 7)
                    );
                    let marks = if marks.is_empty() {
                        String::new()
                    } else {
                        format!(" ◀ {}", marks.join(" "))
                    };
                    let room = w.saturating_sub(width(&left) + width(&marks) + 1);
                    let n = ((b.count as f64 / max as f64) * room as f64).round() as usize;
                    let n = if b.count > 0 { n.max(1) } else { 0 };
                    let in_range = marking && i >= lo && i <= hi;
                    let mut style = Style::new().fg(t.ok());
                    if in_range {
                        style = style.fg(t.accent());
                    }
                    let mut spans = vec![
                        Span::raw(left),
                        Span::styled("█".repeat(n.min(room)), style),
                        Span::styled(marks, Style::new().fg(t.accent())),
                    ];
                    if in_range {
                        spans[0] = spans[0].clone().style(Style::new().fg(t.accent()));
                    }
                    Line::from(spans)
                })
                .collect();
            (h, rows)
        }
        Tab::OverTime => {
            let h = head(format!(
                " {} {} {} {} {} {} REQUESTS (faults, errors, throttles)",
                pad("START (UTC)", 14),
                pad_left("COUNT", 6),
                pad_left("FAULT", 5),
                pad_left("ERROR", 5),
                pad_left("THR", 4),
                pad_left("P90", 8)
            ));
            let Some(tl) = &a.time else {
                return (h, Vec::new());
            };
            let max = tl.series.iter().map(|i| i.count).max().unwrap_or(0).max(1);
            let rows = tl
                .series
                .iter()
                .map(|iv| {
                    let left = format!(
                        " {} {} {} {} {} {} ",
                        pad(&short_time(iv.start), 14),
                        pad_left(&iv.count.to_string(), 6),
                        pad_left(&iv.faults.to_string(), 5),
                        pad_left(&iv.errors.to_string(), 5),
                        pad_left(&iv.throttles.to_string(), 4),
                        pad_left(&secs(iv.p90), 8)
                    );
                    let room = w.saturating_sub(width(&left));
                    let cells = |n: usize| (n as f64 / max as f64 * room as f64).round() as usize;
                    let total = cells(iv.count).min(room);
                    let f = cells(iv.faults).min(total);
                    let e = cells(iv.errors).min(total - f);
                    let th = cells(iv.throttles).min(total - f - e);
                    let ok = total - f - e - th;
                    Line::from(vec![
                        Span::raw(left),
                        Span::styled("█".repeat(f), Style::new().fg(t.fault())),
                        Span::styled("█".repeat(e), Style::new().fg(t.error())),
                        Span::styled("█".repeat(th), Style::new().fg(t.throttle())),
                        Span::styled("█".repeat(ok), Style::new().fg(t.ok())),
                    ])
                })
                .collect();
            (h, rows)
        }
        Tab::Red => {
            let spark_w = if w >= 120 { 24 } else { 10 };
            let h = head(format!(
                " {} {} {} {} {} {} {} SERVICE / OPERATION",
                pad("", 3),
                pad_left("RATE/s", 8),
                pad_left("ERR%", 6),
                pad_left("FAULT%", 6),
                pad_left("P50", 8),
                pad_left("P99", 8),
                pad("REQUESTS", spark_w)
            ));
            let Some(tl) = &a.time else {
                return (h, Vec::new());
            };
            let rows = tl
                .red
                .services
                .iter()
                .map(|r| ("svc", r))
                .chain(tl.red.operations.iter().map(|r| ("op", r)))
                .map(|(what, r)| {
                    let share = |n: u64| {
                        if r.count == 0 {
                            0.0
                        } else {
                            n as f64 / r.count as f64
                        }
                    };
                    let left = format!(
                        " {} {} {} {} {} {} ",
                        pad(what, 3),
                        pad_left(&format!("{:.2}", r.rate), 8),
                        pad_left(&pct(share(r.errors)), 6),
                        pad_left(&pct(share(r.faults)), 6),
                        pad_left(&secs(r.p50), 8),
                        pad_left(&secs(r.p99), 8)
                    );
                    let spark = sparkline(&r.spark, spark_w);
                    let room = w.saturating_sub(width(&left) + spark_w + 1);
                    let colour = if r.faults > 0 {
                        t.fault()
                    } else if r.errors > 0 {
                        t.error()
                    } else {
                        t.ok()
                    };
                    Line::from(vec![
                        Span::raw(left),
                        Span::styled(pad(&spark, spark_w), Style::new().fg(colour)),
                        Span::raw(" "),
                        Span::raw(fit(&r.name, room)),
                    ])
                })
                .collect();
            (h, rows)
        }
    }
}

/// `values` as a sparkline `cells` wide (values added up into cells when there are more).
pub fn sparkline(values: &[u64], cells: usize) -> String {
    const BARS: [char; 8] = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];
    if values.is_empty() || cells == 0 {
        return String::new();
    }
    let n = values.len().min(cells);
    let per = values.len().div_ceil(n);
    let sums: Vec<u64> = values.chunks(per).map(|c| c.iter().sum()).collect();
    let max = sums.iter().copied().max().unwrap_or(0);
    sums.iter()
        .map(|&v| {
            if max == 0 || v == 0 {
                ' '
            } else {
                let i = ((v as f64 / max as f64) * 7.0).round() as usize;
                BARS[i.min(7)]
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sparklines_scale_to_the_largest() {
        assert_eq!(sparkline(&[0, 1, 2, 4], 4), " ▃▅█");
        // Eight values in four cells: added up in pairs.
        assert_eq!(sparkline(&[1, 1, 0, 0, 2, 2, 0, 4], 4), "▅ ██");
        assert_eq!(sparkline(&[], 4), "");
    }
}
