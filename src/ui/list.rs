//! The trace list: a header with counts and the time window, then one row per visible summary.

use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{self, Cell, Paragraph, Table, TableState};

use super::theme;
use super::theme::Styles;
use super::{bar, centered_message, spinner};
use crate::app::list::SortColumn;
use crate::app::{App, LoadState};
use crate::model::format::{Flag, Flags, shorten_middle, url_path, width};
use crate::model::row::Row;
use crate::model::time::{format_clock, format_duration, format_utc};

/// Draws the header line and the table.
pub fn draw(frame: &mut Frame, app: &App, header: Rect, body: Rect) {
    let t = &theme::of(app);
    frame.render_widget(Paragraph::new(header_line(app, header.width)), header);
    let Some(data) = app.data.as_ref() else {
        let lines = match &app.load {
            LoadState::Failed(e) => vec![
                Line::styled("Could not load the data", Style::new().fg(t.fault())),
                Line::raw(e.clone()),
                Line::styled("r to retry, q to quit", t.dim()),
            ],
            _ => {
                let mut lines = vec![Line::raw(format!(
                    "{} Loading {}…",
                    spinner(app),
                    app.source_label
                ))];
                if let Some(p) = &app.progress {
                    lines.push(Line::from(super::progress_bar(t, p.fraction(), 40)));
                    lines.push(Line::styled(p.to_string(), t.dim()));
                }
                lines
            }
        };
        centered_message(frame, body, lines);
        return;
    };
    if app.list.visible.is_empty() {
        let lines = match (&app.feed, app.caps()) {
            (crate::source::Feed::Daemon(d), _) if data.rows.is_empty() => {
                let mut lines = vec![
                    Line::raw(format!("Listening for X-Ray segments on udp {}", d.udp)),
                    Line::raw(format!(
                        "Point an X-Ray SDK here: AWS_XRAY_DAEMON_ADDRESS={}",
                        d.udp
                    )),
                ];
                if let Some(http) = &d.otlp_http {
                    lines.push(Line::raw(format!(
                        "or an OpenTelemetry SDK: OTEL_EXPORTER_OTLP_ENDPOINT=http://{http}"
                    )));
                }
                lines.push(Line::styled(
                    "Traces appear as they arrive. D shows the counters.",
                    t.dim(),
                ));
                lines
            }
            (crate::source::Feed::Aws(p), _) if data.rows.is_empty() && p.error.is_some() => {
                let mut lines = vec![Line::styled(
                    p.error_heading().unwrap_or_default(),
                    Style::new().fg(t.fault()),
                )];
                lines.extend(
                    p.error
                        .iter()
                        .flat_map(|e| e.lines())
                        .map(|l| Line::raw(l.to_owned())),
                );
                lines.push(Line::styled(
                    "r asks again, w changes the window, / the filter, D shows details",
                    t.dim(),
                ));
                lines
            }
            (_, caps) if caps.remote_query && data.rows.is_empty() => vec![
                Line::raw(format!("No traces in the window ({})", app.window_label())),
                Line::styled(
                    "w changes the window, / the filter, F follows new traces",
                    t.dim(),
                ),
            ],
            _ if data.rows.is_empty() => vec![Line::raw("No traces in the input")],
            _ => vec![Line::raw(
                "No trace matches the filter (f to change the quick filter, / to edit the expression, w the window)",
            )],
        };
        centered_message(frame, body, lines);
        return;
    }
    let wide = body.width >= 120;
    let sort = |c: SortColumn, name: &'static str| {
        if app.list.sort == c {
            format!("{name}{}", if app.list.descending { "▼" } else { "▲" })
        } else {
            name.to_owned()
        }
    };
    let mut head = vec![
        sort(SortColumn::Time, "TIME"),
        sort(SortColumn::Id, if app.w3c_ids { "W3C ID" } else { "ID" }),
        sort(SortColumn::Method, "METHOD"),
        sort(SortColumn::Path, "PATH"),
        sort(SortColumn::Status, "ST"),
        sort(SortColumn::Duration, "DUR"),
        sort(SortColumn::Response, "RESP"),
        sort(SortColumn::Flags, "FLAG"),
    ];
    let mut widths = vec![
        Constraint::Length(12),
        Constraint::Length(8),
        Constraint::Length(6),
        Constraint::Fill(3),
        Constraint::Length(3),
        Constraint::Length(7),
        Constraint::Length(7),
        Constraint::Length(4),
    ];
    if wide {
        head.push("USERS".into());
        head.push("SERVICES".into());
        widths.push(Constraint::Length(10));
        widths.push(Constraint::Fill(2));
    }
    let height = usize::from(body.height.saturating_sub(1));
    let start = app.list.offset;
    let on_demand = app.caps().traces_on_demand;
    let rows = app
        .list
        .visible
        .iter()
        .skip(start)
        .take(height)
        .filter_map(|&i| data.rows.get(i))
        .map(|s| {
            let r = row(t, s, wide);
            // A row that cannot be opened (only its summary was loaded) is dimmed.
            if s.summary_only && !on_demand {
                r.style(t.dim())
            } else {
                r
            }
        });
    let table = Table::new(rows, widths)
        .header(widgets::Row::new(head).style(t.heading()))
        .column_spacing(1)
        .row_highlight_style(t.selected());
    let mut state = TableState::default().with_selected(app.list.selected.checked_sub(start));
    frame.render_stateful_widget(table, body, &mut state);
}

/// The list's header in `width` cells: when it does not fit, the time range goes first, then
/// the expression and the window label are shortened in the middle (the expression's text is
/// whole in the prompt and in what `y` copies).
fn header_line(app: &App, width: u16) -> Line<'static> {
    let width = usize::from(width);
    let full = header_spans(app, HeaderFit::Full);
    if Line::from(full.clone()).width() <= width {
        return Line::from(full);
    }
    let no_span = header_spans(app, HeaderFit::NoTimeRange);
    let over = Line::from(no_span.clone()).width();
    if over <= width {
        return Line::from(no_span);
    }
    let cut = over - width;
    Line::from(header_spans(app, HeaderFit::Shorten(cut)))
}

/// How much of the header to draw.
#[derive(Clone, Copy, PartialEq)]
enum HeaderFit {
    /// Everything.
    Full,
    /// Without the time range of the shown traces.
    NoTimeRange,
    /// Without the time range, the expression (then the window label) shortened by this many
    /// cells in all.
    Shorten(usize),
}

fn header_spans(app: &App, fit: HeaderFit) -> Vec<Span<'static>> {
    let t = &theme::of(app);
    let mut spans = vec![Span::styled(" X-Ray traces ", t.heading())];
    let mut cut = match fit {
        HeaderFit::Shorten(n) => n,
        _ => 0,
    };
    if app.data.is_some() {
        // Counted when the list was rebuilt: nothing here walks the traces.
        let st = &app.list.stats;
        spans.push(Span::raw(format!(
            "{}/{} ",
            app.list.visible.len(),
            st.total
        )));
        spans.push(Span::styled(
            format!("{}F ", st.faults),
            Style::new().fg(t.fault()),
        ));
        spans.push(Span::styled(
            format!("{}E ", st.errors),
            Style::new().fg(t.error()),
        ));
        spans.push(Span::styled(
            format!("{}T ", st.throttles),
            Style::new().fg(t.throttle()),
        ));
        if st.summary_only > 0 && !app.caps().traces_on_demand {
            spans.push(Span::styled(
                format!("│ {} summary only (dim) ", st.summary_only),
                t.dim(),
            ));
        }
        // A map filter (service or edge) goes first: it explains the counts.
        if let Some(only) = &app.list.only {
            spans.push(Span::styled(
                format!("│ {} (Esc clears) ", only.label),
                Style::new().fg(t.accent()).add_modifier(Modifier::BOLD),
            ));
        }
        if let Some(e) = app.list.expr_text() {
            spans.push(bar(t));
            spans.push(Span::raw(" "));
            spans.push(Span::styled("/ ", Style::new().fg(t.accent())));
            if cut > 0 {
                // Keep at least a few cells of the expression.
                let keep = width(&e).saturating_sub(cut).max(12);
                cut = cut.saturating_sub(width(&e).saturating_sub(keep));
                spans.push(Span::raw(shorten_middle(&e, keep)));
            } else {
                spans.extend(super::prompt::highlighted(t, &e));
            }
            spans.push(Span::raw(" "));
            if app.evaluating.is_some() {
                spans.push(Span::styled(
                    format!("{} checking… ", spinner(app)),
                    t.dim(),
                ));
            }
        }
        spans.extend([
            bar(t),
            Span::raw(format!(" show {} ", app.list.filter.label())),
            bar(t),
            Span::raw(format!(
                " sort {}{} ",
                app.list.sort.label(),
                if app.list.descending { "▼" } else { "▲" }
            )),
        ]);
        if !app.window.trim().is_empty() || app.caps().remote_query {
            let label = app.window_label();
            let keep = width(&label).saturating_sub(cut).max(8);
            spans.push(Span::styled(
                format!("│ window {} ", shorten_middle(&label, keep)),
                Style::new().fg(t.label()),
            ));
        }
        if let (Some((a, b)), HeaderFit::Full) = (st.span, fit) {
            spans.push(Span::styled(
                format!("│ {} – {} UTC", format_utc(a), format_clock(b)),
                t.dim(),
            ));
        }
    }
    spans
}

fn flag_spans(t: &Styles, s: &Row) -> Line<'static> {
    Line::from(
        Flags::of_row(s)
            .iter()
            .map(|(flag, on)| {
                if !on {
                    return Span::styled("·", t.dim());
                }
                let colour = match flag {
                    Flag::Fault => t.fault(),
                    Flag::Error => t.error(),
                    Flag::Throttle => t.throttle(),
                    Flag::Partial => t.accent(),
                };
                Span::styled(flag.letter().to_string(), Style::new().fg(colour))
            })
            .collect::<Vec<_>>(),
    )
}

fn short_id(id: &str) -> String {
    let n = id.chars().count();
    id.chars().skip(n.saturating_sub(8)).collect()
}

fn row(t: &Styles, s: &Row, wide: bool) -> widgets::Row<'static> {
    let status = s.http_status;
    let status_style = match status {
        Some(c) if c >= 500 => Style::new().fg(t.fault()),
        Some(429) => Style::new().fg(t.throttle()),
        Some(c) if c >= 400 => Style::new().fg(t.error()),
        _ => Style::new(),
    };
    let dash = || "-".to_owned();
    let mut cells = vec![
        Cell::from(s.start_time.map(format_clock).unwrap_or_else(dash)),
        // The last 8 digits are the same in both spellings; an ID X-Ray would not accept
        // (kept in W3C form) stands out.
        if crate::model::header::is_xray_id(&s.id) {
            Cell::from(short_id(&s.id))
        } else {
            Cell::from(short_id(&s.id)).style(Style::new().fg(t.accent()))
        },
        Cell::from(s.http_method.as_deref().map_or_else(dash, str::to_owned)),
        Cell::from(s.http_url.as_deref().map_or("-", url_path).to_owned()),
        Cell::from(status.map(|c| c.to_string()).unwrap_or_else(dash)).style(status_style),
        Cell::from(
            Line::from(match s.duration {
                // The entry segment has no end yet: the duration is only so far.
                Some(d) if s.response_time.is_none() && s.is_partial == Some(true) => {
                    format!("{}…", format_duration(d))
                }
                Some(d) => format_duration(d),
                None => dash(),
            })
            .right_aligned(),
        ),
        Cell::from(
            Line::from(
                s.response_time
                    .map(format_duration)
                    .unwrap_or_else(|| "…".into()),
            )
            .right_aligned(),
        ),
        Cell::from(flag_spans(t, s)),
    ];
    if wide {
        cells.push(Cell::from(if s.users.is_empty() {
            dash()
        } else {
            s.users.join(",")
        }));
        cells.push(Cell::from(s.services.join(",")).style(Style::new().fg(t.secondary())));
    }
    widgets::Row::new(cells)
}
