//! The trace view: a header, the waterfall (tree, time axis, bars scaled to the width) and the
//! details pane for the selected row.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::theme;
use super::theme::Styles;
use super::{bar, details};
use crate::app::App;
use crate::app::layout::trace_split;
use crate::app::trace_view::{TraceView, row_marks, run_mark};
use crate::engine::waterfall::{self, Row};
use crate::model::format::count;
use crate::model::format::{fit, truncate, width};
use crate::model::time::{format_duration, format_utc};

/// Draws the header, the waterfall and the details pane.
pub fn draw(frame: &mut Frame, app: &App, header: Rect, body: Rect) {
    let Some(v) = app.view.as_ref() else {
        return;
    };
    let t = &theme::of(app);
    frame.render_widget(Paragraph::new(header_line(t, v, app.w3c_ids)), header);
    if let Some(st) = &v.stats {
        frame.render_widget(Paragraph::new(stats_lines(t, st, body.width)), body);
        return;
    }
    let (wf, det) = trace_split(body);
    waterfall(frame, t, v, wf);
    details::draw(frame, t, v, det, app.w3c_ids);
}

fn header_line(th: &Styles, v: &TraceView, w3c: bool) -> Line<'static> {
    let t = &v.trace;
    let id = crate::model::format::trace_id_in(&t.id, w3c);
    let mut spans = vec![Span::styled(format!(" Trace {id} "), th.heading())];
    // A trace kept by its W3C ID, whose first 8 digits are not a time: X-Ray would refuse it.
    if !crate::model::header::is_xray_id(&t.id) {
        spans.push(Span::styled(
            "│ W3C ID: X-Ray would not accept it ",
            Style::new().fg(th.accent()),
        ));
    }
    // First, so a narrow screen cuts something else.
    if v.stats.is_some() {
        spans.push(Span::styled(
            "│ statistics (S or Esc: the waterfall) ",
            Style::new().fg(th.accent()),
        ));
    } else if v.hide_shorter > 0.0 {
        spans.push(Span::styled(
            format!(
                "│ {} under {} hidden (t) ",
                v.hidden,
                format_duration(v.hide_shorter)
            ),
            Style::new().fg(th.accent()),
        ));
    }
    if v.stats.is_none() {
        for (on, text) in [
            (v.zoom_mark.is_some(), "│ zoom: move, then z ".to_owned()),
            (
                v.zoom.is_some(),
                v.zoom.map_or_else(String::new, |(lo, hi)| {
                    format!(
                        "│ zoom {}–{} of {} (Z) ",
                        format_duration(lo),
                        format_duration(hi),
                        format_duration(v.window.1)
                    )
                }),
            ),
            (v.by_service, "│ by service (C: all) ".to_owned()),
            (v.fold_runs, "│ runs folded ×N (s: all) ".to_owned()),
        ] {
            if on {
                spans.push(Span::styled(text, Style::new().fg(th.accent())));
            }
        }
    }
    if v.stats.is_none() && v.path_only {
        spans.push(Span::styled(
            "│ critical path only (p: all) ",
            Style::new().fg(th.accent()),
        ));
    }
    if let Some(h) = v.summary.as_ref().and_then(|s| s.http.as_ref()) {
        let call = [
            h.http_method.clone(),
            h.http_url
                .as_deref()
                .map(|u| crate::model::format::url_path(u).to_owned()),
            h.http_status.map(|c| c.to_string()),
        ]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(" ");
        spans.push(bar(th));
        spans.push(Span::raw(format!(" {call} ")));
    }
    spans.push(Span::styled(
        format!(
            "│ {}{} │ {} │ {}, {}",
            crate::engine::waterfall::duration_label(t, v.window.1),
            if t.root_segment()
                .is_some_and(|r| t.nodes[r].doc.is_in_progress())
            {
                "… in progress"
            } else {
                ""
            },
            format_utc(v.window.0),
            count(v.segments, "segment", "segments"),
            count(t.nodes.len(), "entity", "entities")
        ),
        th.dim(),
    ));
    if t.limit_exceeded {
        spans.push(Span::styled(
            " │ limit exceeded: incomplete",
            Style::new().fg(th.accent()),
        ));
    }
    Line::from(spans)
}

/// Widths of the waterfall's columns for an area `width` cells wide.
struct Columns {
    name: usize,
    bar: usize,
}

const DUR_W: usize = 8;
/// The SELF column: the entity's duration minus its children's.
const SELF_W: usize = 7;
const CODE_W: usize = 3;

/// The name column takes what the widest name asks for (`wanted`), up to three fifths of the
/// width (half below 90 cells; at least 16 cells); the bars take the rest.
fn columns(width: u16, wanted: usize) -> Columns {
    let w = usize::from(width);
    // On a narrow pane the bars need their share more.
    let most = if w >= 90 { w * 3 / 5 } else { w / 2 };
    let name = wanted.clamp(16, most.max(16)).min(w);
    let fixed = name + 1 + DUR_W + 1 + SELF_W + 1 + CODE_W + 1 + 1 + 1;
    Columns {
        name,
        bar: w.saturating_sub(fixed).max(1),
    }
}

fn axis(t: &Styles, cols: &Columns, (lo, hi): (f64, f64)) -> Line<'static> {
    let span = hi - lo;
    let w = cols.bar;
    let mut cells: Vec<char> = vec!['─'; w];
    let mut put = |pos: usize, label: &str| {
        for (i, c) in label.chars().enumerate() {
            if let Some(cell) = cells.get_mut(pos + i) {
                *cell = c;
            }
        }
    };
    put(
        0,
        &if lo > 0.0 {
            format_duration(lo)
        } else {
            "0".to_owned()
        },
    );
    let mid = format_duration(lo + span / 2.0);
    if w > 24 {
        put((w / 2).saturating_sub(width(&mid) / 2), &mid);
    }
    let end = format_duration(hi);
    put(w.saturating_sub(width(&end)), &end);
    let lead = format!(
        "{}{:>dw$} {:>sw$} {:<cw$}   ",
        fit("NAME", cols.name + 1),
        "DURATION",
        "SELF",
        "ST",
        dw = DUR_W,
        sw = SELF_W,
        cw = CODE_W
    );
    Line::from(vec![
        Span::styled(lead, t.heading()),
        Span::styled(cells.into_iter().collect::<String>(), t.dim()),
    ])
}

/// A row's bar on a timeline of `width` cells for the window `(lo, hi)`: the cells `[start,
/// end)` it covers and the glyph of each (`█`; `→` ends one in progress; `◂` and `▸` mark
/// where it runs on outside the window, or where a row wholly outside it lies).
fn bar_of(row: &Row, (lo, hi): (f64, f64), width: usize) -> (usize, String) {
    use crate::engine::fold::{Clip, clip};
    let last = width.saturating_sub(1);
    match clip(row.offset, row.duration, lo, hi) {
        Clip::Before => (0, "◂".to_owned()),
        Clip::After => (last, "▸".to_owned()),
        Clip::Inside {
            offset,
            duration,
            cut_left,
            cut_right,
        } => {
            let c = waterfall::bar_cells(offset, duration, hi - lo, width);
            let mut bar = String::with_capacity((c.end - c.start) * 3);
            for i in c.start..c.end {
                bar.push(if c.open && i + 1 == c.end {
                    '→'
                } else if cut_left && i == c.start {
                    '◂'
                } else if cut_right && i + 1 == c.end {
                    '▸'
                } else {
                    '█'
                });
            }
            (c.start, bar)
        }
    }
}

/// The overview strip: how many entities run along the whole trace (`▁`..`█`), the time window
/// the waterfall shows (the zoom, else the span of the rows on screen) highlighted.
fn overview(t: &Styles, v: &TraceView, cols: &Columns, shown: (f64, f64)) -> Line<'static> {
    const LEVELS: [char; 9] = [' ', '▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];
    let w = cols.bar;
    let bins = v.density.len();
    let most = v.density.iter().copied().max().unwrap_or(0).max(1);
    let span = v.window.1;
    let cell_of = |x: f64| {
        if span > 0.0 && x.is_finite() {
            ((x / span * w as f64).floor().max(0.0) as usize).min(w.saturating_sub(1))
        } else {
            0
        }
    };
    let (a, b) = (cell_of(shown.0), cell_of(shown.1));
    let mut before = String::new();
    let mut inside = String::new();
    let mut after = String::new();
    for i in 0..w {
        let c = if bins == 0 {
            '─'
        } else {
            let (from, to) = (i * bins / w, ((i + 1) * bins / w).max(i * bins / w + 1));
            let n = v.density[from.min(bins - 1)..to.min(bins)]
                .iter()
                .copied()
                .max()
                .unwrap_or(0);
            let level = (u64::from(n) * 8).div_ceil(u64::from(most));
            LEVELS[usize::try_from(level).unwrap_or(8).min(8)]
        };
        if i < a {
            before.push(c);
        } else if i <= b {
            inside.push(c);
        } else {
            after.push(c);
        }
    }
    let label = format!(
        "{}   ",
        fit("OVERVIEW", cols.name + 1 + DUR_W + 1 + SELF_W + 1 + CODE_W)
    );
    Line::from(vec![
        Span::styled(label, t.dim()),
        Span::styled(before, t.dim()),
        Span::styled(
            inside,
            Style::new().fg(t.accent()).add_modifier(Modifier::REVERSED),
        ),
        Span::styled(after, t.dim()),
    ])
}

fn waterfall(frame: &mut Frame, t: &Styles, v: &TraceView, area: Rect) {
    if area.height == 0 {
        return;
    }
    let cols = columns(area.width, v.name_width);
    let win = v.view_window();
    let height = usize::from(area.height.saturating_sub(2));
    let on_screen = v.rows.iter().skip(v.offset).take(height);
    // The span the rows on screen cover (the zoom when zoomed).
    let shown = v.zoom.unwrap_or_else(|| {
        on_screen.fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), r| {
            let end = r.duration.map_or(v.window.1, |d| r.offset + d);
            (lo.min(r.offset), hi.max(end))
        })
    });
    let mut lines = vec![overview(t, v, &cols, shown), axis(t, &cols, win)];
    for (i, row) in v.rows.iter().enumerate().skip(v.offset).take(height) {
        lines.push(row_line(t, v, row, &cols, win, i == v.selected));
    }
    frame.render_widget(Paragraph::new(lines), area);
}

fn row_line(
    t: &Styles,
    v: &TraceView,
    row: &Row,
    cols: &Columns,
    win: (f64, f64),
    selected: bool,
) -> Line<'static> {
    let doc = &v.trace.nodes[row.node].doc;
    let status_color = t.status(row.status);
    let fold = match (row.has_children, row.collapsed) {
        (false, _) => "  ",
        (true, false) => "▾ ",
        (true, true) => "▸ ",
    };
    // Past the column's width the indent is cut off anyway: cap it, so a row 100,000 levels
    // deep costs no more than a shallow one.
    let indent = (row.depth as usize).min(cols.name);
    let name = format!(
        "{}{fold}{}{}{}",
        "  ".repeat(indent),
        doc.name,
        run_mark(row),
        row_marks(row)
    );
    let mut name_style = Style::new();
    if let Some(c) = status_color {
        name_style = name_style.fg(c);
    }
    if row.kind == crate::model::NodeKind::Segment {
        name_style = name_style.add_modifier(Modifier::BOLD);
    }
    let dur = row
        .duration
        .map(format_duration)
        .unwrap_or_else(|| "…".into());
    let code = doc.http_status().map(|c| c.to_string()).unwrap_or_default();
    let glyph = row.status.letter().unwrap_or(' ').to_string();
    let st = status_color.map_or(Style::new(), |c| Style::new().fg(c));
    let (start, bar) = bar_of(row, win, cols.bar);
    let end = start + bar.chars().count();
    let bar_color = status_color.unwrap_or_else(|| t.service(&row.service));
    if row.skew.is_some() && !selected && status_color.is_none() {
        name_style = name_style.fg(t.accent());
    }
    // The name, then (dim) what it called, in the column's width; when both do not fit, the
    // call keeps up to three fifths of it (two `shopdb@…` rows differ only by their SQL).
    let call = waterfall::call(&v.trace, row.node);
    let lead = 2 * indent + 2;
    let rest = cols.name.saturating_sub(lead);
    let own = width(&name).saturating_sub(lead);
    let call_w = call.as_ref().map_or(0, |c| 2 + width(c));
    let name_room = lead + own.min((rest * 2 / 5).max(rest.saturating_sub(call_w)));
    let name = truncate(&name, name_room.min(cols.name));
    let mut spans = if v.find.as_ref().is_some_and(|f| f.is_match(row.node)) {
        highlight_name(
            t,
            &name,
            2 * indent + fold.chars().count(),
            doc.name.chars().count(),
            name_style,
        )
    } else {
        vec![Span::styled(name.clone(), name_style)]
    };
    let room = cols.name - width(&name);
    let call = match call {
        Some(c) if room > 2 => fit(&format!("  {c}"), room),
        _ => " ".repeat(room),
    };
    spans.push(Span::styled(call, t.dim()));
    let own = v
        .self_time
        .get(row.node)
        .copied()
        .filter(|_| row.duration.is_some() && row.run.is_none())
        .map(format_duration)
        .unwrap_or_default();
    // The critical path: a mark between the status and the bar.
    let on_path = v.on_path.get(row.node).copied().unwrap_or(false);
    spans.extend([
        Span::raw(" "),
        Span::raw(format!("{dur:>DUR_W$} ")),
        Span::styled(format!("{own:>SELF_W$} "), t.dim()),
        Span::styled(format!("{code:<CODE_W$} "), st),
        Span::styled(glyph, st.add_modifier(Modifier::BOLD)),
        if on_path {
            Span::styled("▐", Style::new().fg(t.accent()))
        } else {
            Span::raw(" ")
        },
        Span::raw(" ".repeat(start)),
        Span::styled(bar, Style::new().fg(bar_color)),
        Span::raw(" ".repeat(cols.bar.saturating_sub(end))),
    ]);
    let mut line = Line::from(spans);
    if selected {
        line = line.style(t.selected());
    }
    line
}

/// The name cell of a row that matches the find: the entity's name (after the indent and the
/// fold glyph) marked with the find colours, the rest as usual.
fn highlight_name(
    t: &Styles,
    cell: &str,
    lead: usize,
    len: usize,
    style: Style,
) -> Vec<Span<'static>> {
    let chars: Vec<char> = cell.chars().collect();
    let a = lead.min(chars.len());
    let b = (lead + len).min(chars.len());
    let part = |r: std::ops::Range<usize>| chars[r].iter().collect::<String>();
    vec![
        Span::styled(part(0..a), style),
        Span::styled(part(a..b), t.find_match()),
        Span::styled(part(b..chars.len()), style),
    ]
}

/// The trace's statistics, scrolled: per service, then per operation, largest self time
/// first, in `width` cells (the service and operation columns give way).
fn stats_lines(
    t: &Styles,
    st: &crate::app::trace_view::StatsView,
    width: u16,
) -> Vec<Line<'static>> {
    use crate::engine::critical::StatRow;
    use crate::model::format::pad_left;
    let cols = usize::from(width);
    // COUNT TOTAL SELF AVG MAX SHARE, with a space before each.
    let numbers = 6 + 9 + 9 + 9 + 9 + 7;
    let svc_w = st
        .stats
        .services
        .iter()
        .map(|r| crate::model::format::width(&r.service))
        .max()
        .unwrap_or(7)
        .clamp(7, 32);
    let row = |r: &StatRow, op_w: usize| -> String {
        let mut line = fit(&r.service, svc_w);
        if op_w > 0 {
            line.push(' ');
            line.push_str(&fit(&r.operation, op_w));
        }
        for (cell, w) in [
            (r.count.to_string(), 6),
            (format_duration(r.total), 9),
            (format_duration(r.self_total), 9),
            (format_duration(r.avg()), 9),
            (format_duration(r.max), 9),
            (format!("{:.1}%", r.share * 100.0), 7),
        ] {
            line.push_str(&pad_left(&cell, w));
        }
        line
    };
    let head = |op_w: usize| -> String {
        let mut h = fit("SERVICE", svc_w);
        if op_w > 0 {
            h.push(' ');
            h.push_str(&fit("OPERATION", op_w));
        }
        for (cell, w) in [
            ("COUNT", 6),
            ("TOTAL", 9),
            ("SELF", 9),
            ("AVG", 9),
            ("MAX", 9),
            ("SHARE", 7),
        ] {
            h.push_str(&pad_left(cell, w));
        }
        h
    };
    let op_w = cols.saturating_sub(svc_w + 1 + numbers).clamp(12, 72);
    let mut lines = vec![Line::styled(head(0), t.heading())];
    lines.extend(st.stats.services.iter().map(|r| Line::raw(row(r, 0))));
    lines.push(Line::raw(""));
    lines.push(Line::styled(head(op_w), t.heading()));
    lines.extend(st.stats.operations.iter().map(|r| Line::raw(row(r, op_w))));
    lines.push(Line::styled(
        "SELF: duration minus the children's (overlaps once); SHARE: SELF of the trace's length",
        t.dim(),
    ));
    lines.into_iter().skip(st.scroll).collect()
}
