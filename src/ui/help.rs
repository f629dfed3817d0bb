//! The help overlay, generated from the keymap the keys are handled with.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Clear, Paragraph};

use super::theme;
use super::theme::Styles;
use crate::app::App;
use crate::keys::{Keymap, Scope};

/// The help text: one section per scope, one line per binding, with the keys in effect.
pub fn lines(t: &Styles, keymap: &Keymap) -> Vec<Line<'static>> {
    let mut out = Vec::new();
    for scope in Scope::ALL {
        if !out.is_empty() {
            out.push(Line::raw(""));
        }
        out.push(Line::styled(scope.title(), t.heading()));
        for b in keymap.bindings().iter().filter(|b| b.scope == scope) {
            out.push(Line::from(vec![
                Span::raw(format!("  {:<16}", b.keys_label())),
                Span::raw(b.description),
            ]));
        }
    }
    out.push(Line::raw(""));
    out.push(Line::styled("Legend", t.heading()));
    for (mark, meaning) in [
        ("F E T", "fault (5xx), error (4xx), throttled (429)"),
        ("…", "in progress: no end yet (a duration shown is so far)"),
        ("→", "a bar still open (in progress)"),
        ("-", "not in the data"),
        (
            "dim row",
            "only its summary is loaded: no documents to open",
        ),
    ] {
        out.push(Line::from(vec![
            Span::raw(format!("  {mark:<16}")),
            Span::raw(meaning),
        ]));
    }
    out
}

/// Draws the overlay centred on `area`, scrolled by `scroll` lines.
pub fn draw(frame: &mut Frame, app: &App, scroll: u16, area: Rect) {
    let t = &theme::of(app);
    let text = lines(t, &app.keymap);
    let w = area.width.min(64);
    let h = area.height.min(
        u16::try_from(text.len())
            .unwrap_or(u16::MAX)
            .saturating_add(2),
    );
    let r = Rect::new(
        area.x + (area.width - w) / 2,
        area.y + (area.height - h) / 2,
        w,
        h,
    );
    frame.render_widget(Clear, r);
    frame.render_widget(
        Paragraph::new(text)
            .block(t.bordered().title(" Help "))
            .scroll((scroll, 0)),
        r,
    );
}
