//! Toasts, drawn over the bottom-right corner of the body, just above the status line: newest at
//! the bottom, errors in red, long text wrapped.

use super::theme;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Clear, Paragraph};

use crate::app::App;
use crate::app::toast::Level;
use crate::model::format::{char_width, width as cells};

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

/// `text` in pieces of at most `width` cells, broken at spaces where there is one (a word
/// longer than a line is cut).
fn wrap(text: &str, width: usize) -> Vec<String> {
    let width = width.max(1);
    let mut out = Vec::new();
    let mut line = String::new();
    let mut used = 0;
    for word in text.split(' ') {
        let w = cells(word);
        if used > 0 && used + 1 + w <= width {
            line.push(' ');
            line.push_str(word);
            used += 1 + w;
            continue;
        }
        if used > 0 {
            out.push(std::mem::take(&mut line));
            used = 0;
        }
        // A word wider than the line is cut where the line ends.
        for c in word.chars() {
            let cw = char_width(c);
            if used + cw > width && used > 0 {
                out.push(std::mem::take(&mut line));
                used = 0;
            }
            line.push(c);
            used += cw;
        }
    }
    out.push(line);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wrap_breaks_at_spaces_and_cuts_long_words() {
        assert_eq!(wrap("copied 1-abc", 40), vec!["copied 1-abc"]);
        assert_eq!(wrap("aaa bbb ccc", 7), vec!["aaa bbb", "ccc"]);
        assert_eq!(wrap("abcdefghij", 4), vec!["abcd", "efgh", "ij"]);
        // Wide characters count two cells: no line is wider than asked.
        for line in wrap("注文サービス が 在庫API を 呼びました", 8) {
            assert!(cells(&line) <= 8, "{line}");
        }
        assert_eq!(wrap("a b", 1), vec!["a", "b"]);
    }
}
