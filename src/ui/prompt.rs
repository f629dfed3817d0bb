//! The filter prompt, drawn over the bottom of the trace list: the expression with syntax
//! colours, a line with the caret under the error (or a hint), and the completion popup above.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph};

use super::theme::{Styles, Syntax};
use crate::app::prompt::{LiveCount, MAX_CANDIDATES, Prompt};
use crate::filter::lexer::{TokenKind, tokenize_lenient};
use crate::model::format::{char_width, width as cells};

const CONNECTIVES: [&str; 5] = ["and", "or", "contains", "beginswith", "endswith"];

fn syntax(kind: &TokenKind) -> Syntax {
    match kind {
        TokenKind::Word(w) if CONNECTIVES.contains(&w.to_ascii_lowercase().as_str()) => {
            Syntax::Connective
        }
        TokenKind::Word(_) | TokenKind::BracketKey(_) => Syntax::Word,
        TokenKind::String(_) | TokenKind::Json(_) => Syntax::Literal,
        TokenKind::Number(_) => Syntax::Number,
        TokenKind::Bang
        | TokenKind::Eq
        | TokenKind::Ne
        | TokenKind::Lt
        | TokenKind::Le
        | TokenKind::Gt
        | TokenKind::Ge => Syntax::Operator,
        _ => Syntax::Punctuation,
    }
}

/// The input with each token coloured; text the lexer could not read stays plain.
pub fn highlighted(t: &Styles, input: &str) -> Vec<Span<'static>> {
    let (tokens, _) = tokenize_lenient(input);
    let mut spans = Vec::new();
    let mut at = 0;
    for tok in tokens {
        let (start, end) = (
            tok.span.start.min(input.len()),
            tok.span.end.min(input.len()),
        );
        if start < at || !input.is_char_boundary(start) || !input.is_char_boundary(end) {
            continue;
        }
        if start > at {
            spans.push(Span::raw(input[at..start].to_owned()));
        }
        spans.push(Span::styled(
            input[start..end].to_owned(),
            t.syntax(syntax(&tok.kind)),
        ));
        at = end;
    }
    if at < input.len() {
        spans.push(Span::raw(input[at..].to_owned()));
    }
    spans
}

/// Draws the prompt in the last two rows of `body`, and the candidates above it.
pub fn draw(frame: &mut Frame, t: &Styles, prompt: &Prompt, body: Rect) {
    if body.height < 3 {
        return;
    }
    let area = Rect::new(body.x, body.y + body.height - 2, body.width, 2);
    frame.render_widget(Clear, area);
    // Scroll horizontally so the cursor stays visible.
    let width = usize::from(area.width.saturating_sub(3)).max(1);
    let input = prompt.input.text();
    // In cells: wide characters (CJK, emoji) take two.
    let col = cells(prompt.input.before_cursor());
    let mut skip = 0;
    let mut skip_chars = 0;
    for c in input.chars() {
        if col - skip <= width.saturating_sub(1) {
            break;
        }
        skip += char_width(c);
        skip_chars += 1;
    }
    let shown: String = input.chars().skip(skip_chars).collect();
    let skip_bytes = input.len() - shown.len();
    let mut input_line = vec![Span::styled("/ ", Style::new().fg(t.accent()))];
    input_line.extend(highlighted(t, &shown));
    let second = match &prompt.error {
        Some(e) => {
            let start = e.span.start.saturating_sub(skip_bytes).min(shown.len());
            let end = e
                .span
                .end
                .saturating_sub(skip_bytes)
                .clamp(start, shown.len());
            let pad = shown.get(..start).map_or(0, cells);
            let len = shown.get(start..end).map_or(1, |s| cells(s).max(1));
            // At the very end the expression is most likely still being typed: yellow, not red.
            let colour = if e.span.start >= input.trim_end().len() || e.span.end >= input.len() {
                t.accent()
            } else {
                t.fault()
            };
            Line::from(vec![
                Span::raw(" ".repeat(pad + 2)),
                Span::styled("^".repeat(len), Style::new().fg(colour)),
                Span::styled(format!(" {e}"), Style::new().fg(colour)),
            ])
        }
        None if input.trim().is_empty() => Line::styled(
            "  X-Ray filter expression, e.g. service(\"payments\") { fault }  ·  Enter apply (empty clears) · Esc cancel · Tab complete · ↑↓ history",
            t.dim(),
        ),
        None => {
            let count = match prompt.count {
                LiveCount::Counted { matches, of } => format!(
                    "{matches} of {} matching",
                    crate::model::format::count(of, "trace", "traces")
                ),
                LiveCount::Counting(_) => "… counting".to_owned(),
                LiveCount::Remote => "X-Ray counts once applied".to_owned(),
                LiveCount::None => String::new(),
            };
            let mut spans = vec![Span::styled("  ✓ ", Style::new().fg(t.ok()))];
            if !count.is_empty() {
                spans.push(Span::styled(count, Style::new().fg(t.label())));
                spans.push(Span::styled(" · ", t.dim()));
            }
            // With a candidate highlighted, Enter inserts it rather than applying.
            let keys = match (prompt.shown().is_some(), prompt.picking()) {
                (_, true) => "Tab/Enter insert · ↑↓ move · Esc close list",
                (true, false) => "Enter apply · Tab choose · Esc close list",
                (false, false) => "Enter apply",
            };
            spans.push(Span::styled(keys, Style::new().fg(t.ok())));
            Line::from(spans)
        }
    };
    frame.render_widget(Paragraph::new(vec![Line::from(input_line), second]), area);
    let cursor_x = area.x + 2 + u16::try_from(col - skip).unwrap_or(0);
    frame.set_cursor_position((cursor_x.min(area.right().saturating_sub(1)), area.y));

    let Some(c) = prompt.shown() else {
        return;
    };
    let n = c.candidates.len().min(MAX_CANDIDATES);
    let h = u16::try_from(n).unwrap_or(0) + 2;
    if n == 0 || body.height < h + 2 {
        return;
    }
    let w = c
        .candidates
        .iter()
        .take(n)
        .map(|x| cells(&x.text) + 2 + cells(&x.description))
        .max()
        .unwrap_or(10)
        .min(usize::from(body.width.saturating_sub(4)));
    let w = u16::try_from(w).unwrap_or(40) + 2;
    let x =
        (area.x + 2 + u16::try_from(col - skip).unwrap_or(0)).min(body.right().saturating_sub(w));
    let popup = Rect::new(x, area.y - h, w, h);
    let lines: Vec<Line> = c
        .candidates
        .iter()
        .take(n)
        .enumerate()
        .map(|(i, cand)| {
            let style = if Some(i) == prompt.selected {
                t.selected()
            } else {
                Style::new()
            };
            Line::from(vec![
                Span::styled(cand.text.clone(), style.fg(t.label())),
                Span::styled(format!("  {}", cand.description), style.fg(t.secondary())),
            ])
        })
        .collect();
    frame.render_widget(Clear, popup);
    frame.render_widget(
        Paragraph::new(lines).block(Block::default().borders(Borders::ALL).border_style(t.dim())),
        popup,
    );
}
