//! Drawing: functions from `&App` to a frame. They read the state and never change it; every
//! list draws only the rows that fit on screen. Colours come from the app's theme
//! ([`theme::Styles`], built from the config's `[theme]` by [`theme::of`]), asked for by role where each thing is drawn.

pub mod analysis;
pub mod details;
pub mod find;
pub mod groups;
pub mod help;
pub mod list;
pub mod live;
pub mod map;
pub mod palette;
pub mod prompt;
pub mod theme;
pub mod toast;
pub mod trace;

use ratatui::Frame;
use ratatui::layout::{Alignment, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use crate::app::layout::screen;
use crate::app::overlay::Overlay;
use crate::app::{App, LoadState, Mode};
use crate::model::format::count;

const SPINNER: [char; 10] = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];

/// Draws the whole screen.
pub fn draw(frame: &mut Frame, app: &App) {
    let area = frame.area();
    let s = screen(area);
    let t = &theme::of(app);
    match app.mode {
        Mode::Trace if app.view.is_some() => trace::draw(frame, app, s.header, s.body),
        Mode::Map if app.map.is_some() => map::draw(frame, app, s.header, s.body),
        Mode::Analysis if app.analysis.is_some() => {
            analysis::draw(frame, app, s.header, s.body);
        }
        _ => list::draw(frame, app, s.header, s.body),
    }
    status_line(frame, app, s.status);
    if let (Some(v), Mode::Trace) = (&app.view, app.mode) {
        find::draw(frame, t, v, s.status);
    }
    // The overlays, bottom first (the top one is the one taking the keys); the toasts go over
    // all of them but the help.
    let mut toasts = false;
    for o in app.overlays.iter() {
        if matches!(o, Overlay::Help { .. }) && !toasts {
            toast::draw(frame, app, s.body);
            toasts = true;
        }
        match o {
            Overlay::Help { scroll } => help::draw(frame, app, *scroll, area),
            Overlay::Diagnostics => live::draw_diagnostics(frame, app, s.body),
            // A prompt belongs to the list (it stays hidden if a fetched trace opened meanwhile).
            Overlay::Prompt(p) if app.mode == Mode::List => prompt::draw(frame, t, p, s.body),
            Overlay::Prompt(_) => {}
            Overlay::Window(input) => live::draw_window_input(frame, t, input.text(), s.body),
            Overlay::Threshold(input) => live::draw_input_line(
                frame,
                t,
                (" hide shorter than: ", input.text()),
                "   5ms, 250us, 1.5s (a bare number is ms); 0 or empty: show all · Enter applies, Esc cancels",
                s.body,
            ),
            Overlay::Groups(g) => groups::draw(frame, app, g, area),
            Overlay::Palette(p) => palette::draw(frame, t, p, area),
        }
    }
    if !toasts {
        toast::draw(frame, app, s.body);
    }
}

/// A `w` x `h` rectangle centred in `area` (clamped to it), for overlays.
pub fn centered(area: Rect, w: u16, h: u16) -> Rect {
    let (w, h) = (w.min(area.width), h.min(area.height));
    Rect::new(
        area.x + (area.width - w) / 2,
        area.y + (area.height - h) / 2,
        w,
        h,
    )
}

/// A centred message in `area` (loading, failed, empty).
pub fn centered_message(frame: &mut Frame, area: Rect, lines: Vec<Line<'static>>) {
    let h = u16::try_from(lines.len()).unwrap_or(u16::MAX);
    let top = area.y + area.height.saturating_sub(h) / 2;
    let r = Rect::new(area.x, top, area.width, h.min(area.height));
    frame.render_widget(Paragraph::new(lines).alignment(Alignment::Center), r);
}

/// The `│` between the parts of a header: a box line, in the `border` role's colour.
pub fn bar(t: &theme::Styles) -> Span<'static> {
    Span::styled("│", t.border())
}

/// `███████░░░░░░░░  45%`: `width` cells of bar and the percentage.
pub(crate) fn progress_bar(t: &theme::Styles, fraction: f64, width: usize) -> Vec<Span<'static>> {
    let fraction = fraction.clamp(0.0, 1.0);
    // `as` saturates: a fraction in 0..=1 gives 0..=width cells.
    let full = ((fraction * width as f64).round() as usize).min(width);
    vec![
        Span::styled("█".repeat(full), Style::new().fg(t.accent())),
        Span::styled("░".repeat(width - full), t.dim()),
        Span::raw(format!(" {:>3.0}%", fraction * 100.0)),
    ]
}

/// The spinner glyph for the current frame.
pub fn spinner(app: &App) -> char {
    SPINNER[app.spinner % SPINNER.len()]
}

fn status_line(frame: &mut Frame, app: &App, area: Rect) {
    let t = &theme::of(app);
    let mut left: Vec<Span> = vec![Span::raw(format!(" {} ", app.source_label))];
    let sep = || Span::styled("│ ", t.dim());
    match &app.load {
        LoadState::Idle => {}
        LoadState::Loading => match &app.progress {
            // The bar stays while rows stream in (the list's own bar goes with the first).
            Some(p) => {
                left.push(Span::raw(format!("{} loading ", spinner(app))));
                left.extend(progress_bar(t, p.fraction(), 10));
                left.push(Span::raw(format!(" {p} ")));
            }
            None => left.push(Span::raw(format!("{} loading… ", spinner(app)))),
        },
        LoadState::Failed(_) => left.push(Span::styled("load failed ", Style::new().fg(t.fault()))),
        LoadState::Loaded => {
            if let Some(d) = &app.data {
                // Live sources count in their own spans (and the header counts the list).
                if app.feed == crate::source::Feed::None {
                    left.push(sep());
                    left.push(Span::raw(format!(
                        "{}, {} ",
                        count(d.traces.len(), "trace", "traces"),
                        count(d.rows.len(), "summary", "summaries")
                    )));
                }
                if !d.warnings.is_empty() {
                    left.push(sep());
                    left.push(Span::styled(
                        format!("{} ", count(d.warnings.len(), "warning", "warnings")),
                        Style::new().fg(t.accent()),
                    ));
                }
            }
        }
    }
    let live = live::status_spans(app);
    if !live.is_empty() {
        left.push(sep());
        left.extend(live);
    }
    let hint = if area.width < 100 {
        "? help "
    } else {
        "? help  q quit "
    };
    let used = Line::from(left.clone()).width() + hint.len();
    if let Some(s) = live::sampling_hint(app, usize::from(area.width).saturating_sub(used)) {
        left.push(s);
    }
    if let Some(m) = &app.message {
        left.push(sep());
        // A long message (a console URL) keeps both ends in the room left; `y`/`o` copied it
        // whole.
        let used = Line::from(left.clone()).width() + hint.len();
        let room = usize::from(area.width).saturating_sub(used).max(12);
        left.push(Span::styled(
            crate::model::format::shorten_middle(m, room),
            Style::new().fg(t.accent()),
        ));
    }
    let w = u16::try_from(hint.len()).unwrap_or(0);
    let [l, r] = ratatui::layout::Layout::horizontal([
        ratatui::layout::Constraint::Min(0),
        ratatui::layout::Constraint::Length(w),
    ])
    .areas(area);
    frame.render_widget(Paragraph::new(Line::from(left)), l);
    frame.render_widget(Paragraph::new(Span::styled(hint, t.dim())), r);
}
