//! The trace view's find bar, drawn over the status line: the query, `3/17 matches` and the
//! field the selected row matched in, or a summary with the keys once Enter kept the matches.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Clear, Paragraph};

use super::theme::Styles;
use crate::app::find::FindState;
use crate::app::trace_view::TraceView;
use crate::model::format::count;

/// `3/17 matches` when the selected row is a match, `17 matches` otherwise, `no matches`.
pub fn count_label(f: &FindState, selected: Option<usize>) -> String {
    let n = f.hits.len();
    match (n, selected.and_then(|s| f.index_of(s))) {
        (0, _) => "no matches".to_owned(),
        (_, Some(i)) => format!("{}/{}", i + 1, count(n, "match", "matches")),
        (_, None) => count(n, "match", "matches"),
    }
}

/// The bar's line.
pub fn line(t: &Styles, v: &TraceView, f: &FindState) -> Line<'static> {
    let selected = v.selected_row().map(|r| r.node);
    let count = count_label(f, selected);
    let mut spans = vec![Span::styled(" / ", Style::new().fg(t.accent()))];
    if f.editing {
        spans.push(Span::raw(f.input.text().to_owned()));
        spans.push(Span::styled("▏", Style::new().fg(t.accent())));
    } else {
        spans.push(Span::styled(f.input.text().to_owned(), t.heading()));
    }
    spans.push(Span::raw("  "));
    let count_style = if f.hits.is_empty() && !f.input.text().trim().is_empty() {
        Style::new().fg(t.fault())
    } else {
        Style::new().fg(t.accent())
    };
    spans.push(Span::styled(count, count_style));
    if let Some(field) = selected.and_then(|s| f.field_of(s)) {
        spans.push(Span::styled(format!(" · in {}", field.label()), t.dim()));
    }
    let keys = if f.editing {
        "   Enter keep  ↑↓ prev/next  Esc cancel"
    } else {
        "   . next  , previous  / edit  Esc clear"
    };
    spans.push(Span::styled(keys, t.dim()));
    Line::from(spans)
}

/// Draws the bar over `area` (the status line).
pub fn draw(frame: &mut Frame, t: &Styles, v: &TraceView, area: Rect) {
    let Some(f) = v.find.as_ref() else {
        return;
    };
    frame.render_widget(Clear, area);
    frame.render_widget(Paragraph::new(line(t, v, f)), area);
}
