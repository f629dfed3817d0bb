//! Toasts, drawn over the bottom-right corner of the body, just above the status line: newest at
//! the bottom, errors in red, long text wrapped.

use super::theme;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Clear, Paragraph};

use crate::app::App;
use crate::app::toast::Level;
use crate::model::format::wrap;

/// The widest a toast gets (cells, with its padding).
const MAX_WIDTH: usize = 64;

/// Draws the toasts in the bottom-right corner of `area`.
pub fn draw(frame: &mut Frame, app: &App, area: Rect) {
    if app.toasts.is_empty() || area.width < 8 || area.height == 0 {
        return;
    }
    let t = &theme::of(app);
    let width = usize::from(area.width).min(MAX_WIDTH);
    // Text width inside " ▌ text " padding.
    let inner = width.saturating_sub(4).max(1);
    let mut lines: Vec<Line<'static>> = Vec::new();
    for toast in app.toasts.items() {
        let style = t.toast(toast.level == Level::Error);
        for (i, chunk) in wrap(&toast.label(), inner).into_iter().enumerate() {
            let lead = if i == 0 { "▌" } else { " " };
            lines.push(Line::from(vec![
                Span::styled(format!(" {lead} "), style),
                Span::styled(format!("{chunk} "), style),
            ]));
        }
    }
    // Keep the newest when they do not all fit.
    let h = usize::from(area.height);
    if lines.len() > h {
        lines.drain(..lines.len() - h);
    }
    let w = lines.iter().map(Line::width).max().unwrap_or(0).min(width);
    let (w, h) = (
        u16::try_from(w).unwrap_or(area.width),
        u16::try_from(lines.len()).unwrap_or(area.height),
    );
    let r = Rect::new(
        area.x + area.width.saturating_sub(w),
        area.y + area.height.saturating_sub(h),
        w,
        h,
    );
    frame.render_widget(Clear, r);
    frame.render_widget(Paragraph::new(lines).style(t.toast(false)), r);
}
