//! The fuzzy palette overlay: the input, then the ranked entries (only the visible ones are
//! built), each with its kind, its text with the matched characters marked, and what it does.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Clear, Paragraph};

use super::theme::Styles;
use crate::app::palette::{self, Palette};
use crate::model::format::{char_width, truncate, width as width_of};

/// `text` cut to `width` cells, the characters at `marked` (char indices) highlighted. When
/// the last marked character would be cut off (a long URL matched near its end), the start is
/// cut instead, behind a `…`. Wide characters take two cells and are never cut in half.
pub fn marked_spans(t: &Styles, text: &str, marked: &[usize], width: usize) -> Vec<Span<'static>> {
    let mut spans: Vec<Span<'static>> = Vec::new();
    let cells: Vec<usize> = text.chars().map(char_width).collect();
    let total: usize = cells.iter().sum();
    let last = marked.iter().copied().max().unwrap_or(0);
    let to_last: usize = cells.iter().take(last + 1).sum();
    let mut room = width;
    let mut skip = 0;
    if total > width && width > 1 && to_last > width {
        spans.push(Span::styled("…", t.dim()));
        room = width - 1;
        // Cut the start until the rest fits.
        let mut rest = total;
        while rest > room && skip < cells.len() {
            rest -= cells.get(skip).copied().unwrap_or(0);
            skip += 1;
        }
    }
    let mut used = 0;
    let shown = text.chars().enumerate().skip(skip).take_while(|(i, _)| {
        let w = cells.get(*i).copied().unwrap_or(0);
        used += w;
        used <= room
    });
    let mut run = String::new();
    let mut run_marked = false;
    for (i, c) in shown {
        let m = marked.contains(&i);
        if m != run_marked && !run.is_empty() {
            let style = if run_marked {
                t.find_match()
            } else {
                Style::new()
            };
            spans.push(Span::styled(std::mem::take(&mut run), style));
        }
        run_marked = m;
        run.push(c);
    }
    if !run.is_empty() {
        let style = if run_marked {
            t.find_match()
        } else {
            Style::new()
        };
        spans.push(Span::styled(run, style));
    }
    spans
}

/// Draws the palette centred on `area`.
pub fn draw(frame: &mut Frame, t: &Styles, p: &Palette, area: Rect) {
    let r = palette::area(area);
    if r.height < 5 || r.width < 20 {
        return;
    }
    frame.render_widget(Clear, r);
    let block = t
        .bordered()
        .title(" Go to: traces, URLs, services, users, annotations, commands ")
        .title_bottom(Line::styled(
            format!(
                " {} of {} · ↑↓ choose · Enter go · Esc close ",
                p.results.len(),
                p.len()
            ),
            t.dim(),
        ));
    let inner = block.inner(r);
    frame.render_widget(block, r);
    let width = usize::from(inner.width);
    let mut lines = vec![
        Line::from(vec![
            Span::styled("> ", Style::new().fg(t.accent())),
            Span::raw(p.input.text().to_owned()),
            Span::styled("▏", Style::new().fg(t.accent())),
        ]),
        Line::styled("─".repeat(width), t.dim()),
    ];
    let rows = usize::from(inner.height.saturating_sub(2));
    if p.results.is_empty() {
        lines.push(Line::styled("  nothing matches", t.dim()));
    }
    for (pos, &i) in p.results.iter().enumerate().skip(p.offset).take(rows) {
        let Some(e) = p.entry(i) else {
            continue;
        };
        let mut spans = vec![Span::styled(
            format!(" {:<8}", e.kind.tag()),
            t.kind(e.kind),
        )];
        let text_w = width.saturating_sub(10).min(width * 3 / 5).max(1);
        let text_len = width_of(&e.text).min(text_w);
        spans.extend(marked_spans(t, &e.text, &p.matched_chars(&e.text), text_w));
        let detail_w = width.saturating_sub(9 + text_len + 2);
        if detail_w > 3 && !e.detail.is_empty() {
            let detail = truncate(&e.detail, detail_w);
            spans.push(Span::styled(format!("  {detail}"), t.dim()));
        }
        let mut line = Line::from(spans);
        if pos == p.selected {
            line = line.style(t.selected());
        }
        lines.push(line);
    }
    frame.render_widget(Paragraph::new(lines), inner);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn marked_runs_are_split_and_cut() {
        let t = Styles::default();
        let s = marked_spans(&t, "checkout", &[0, 1, 5], 7);
        let texts: Vec<&str> = s.iter().map(|s| s.content.as_ref()).collect();
        assert_eq!(texts, vec!["ch", "eck", "o", "u"]);
        assert_eq!(s[0].style, t.find_match());
        assert_eq!(s[1].style, Style::new());
        // A match past the width shows the end of the text.
        let s = marked_spans(&t, "https://host.example/api/payments", &[25, 26, 27], 12);
        let texts: Vec<&str> = s.iter().map(|s| s.content.as_ref()).collect();
        assert_eq!(texts, vec!["…", "pi/", "pay", "ments"]);
    }
}
