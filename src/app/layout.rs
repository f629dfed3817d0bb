//! Screen geometry shared by the state (page sizes, scrolling) and the drawing, so both agree on
//! how many rows fit without the state ever touching the terminal.

use ratatui::layout::{Constraint, Layout, Rect};

/// From this width on, the details pane sits right of the waterfall instead of below it.
pub const WIDE: u16 = 140;

/// The three bands of every screen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Screen {
    /// The title line.
    pub header: Rect,
    /// The screen's content.
    pub body: Rect,
    /// The status line.
    pub status: Rect,
}

/// Splits the terminal into header, body and status line.
pub fn screen(area: Rect) -> Screen {
    let [header, body, status] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Min(0),
        Constraint::Length(1),
    ])
    .areas(area);
    Screen {
        header,
        body,
        status,
    }
}

/// Rows of the trace list that fit (the body minus the column header).
pub fn list_rows(area: Rect) -> usize {
    usize::from(screen(area).body.height.saturating_sub(1))
}

/// The trace view's body: `(waterfall, details)`; side by side when wide, stacked otherwise.
pub fn trace_split(body: Rect) -> (Rect, Rect) {
    if body.width >= WIDE {
        let details = (body.width * 2 / 5).clamp(40, 90);
        let [w, d] =
            Layout::horizontal([Constraint::Min(0), Constraint::Length(details)]).areas(body);
        (w, d)
    } else {
        let [w, d] =
            Layout::vertical([Constraint::Percentage(50), Constraint::Percentage(50)]).areas(body);
        (w, d)
    }
}

/// Waterfall rows that fit (its area minus the overview strip and the time axis line).
pub fn waterfall_rows(area: Rect) -> usize {
    let (w, _) = trace_split(screen(area).body);
    usize::from(w.height.saturating_sub(2))
}
