//! Errors (and lint warnings) with a byte span and an optional "did you mean".
//!
//! Why spans and rendering here: the TUI prompt and the CLI both show the input with a caret
//! line under the faulty part, so the error carries everything needed to draw it.

use std::fmt;
use std::ops::Range;

/// A parse, type or reference error in a filter expression.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FilterError {
    /// What is wrong.
    pub message: String,
    /// The bytes of the input it is about (empty at the end of input).
    pub span: Range<usize>,
    /// A replacement for the span that would likely fix it.
    pub suggestion: Option<String>,
}

impl FilterError {
    /// An error without a suggestion.
    pub fn new(message: impl Into<String>, span: Range<usize>) -> Self {
        Self {
            message: message.into(),
            span,
            suggestion: None,
        }
    }

    /// Adds a suggestion.
    pub fn with_suggestion(mut self, s: impl Into<String>) -> Self {
        self.suggestion = Some(s.into());
        self
    }

    /// The input line holding the span, a caret line under the span, and the message with its
    /// suggestion. Never panics, whatever the span.
    pub fn render(&self, input: &str) -> String {
        let clamp = |mut i: usize| {
            i = i.min(input.len());
            while i > 0 && !input.is_char_boundary(i) {
                i -= 1;
            }
            i
        };
        let start = clamp(self.span.start);
        let end = clamp(self.span.end.max(self.span.start));
        let line_start = input[..start].rfind('\n').map_or(0, |i| i + 1);
        let line_end = input[start..].find('\n').map_or(input.len(), |i| start + i);
        let line = &input[line_start..line_end];
        let col = input[line_start..start].chars().count();
        let width = input[start..end.min(line_end).max(start)]
            .chars()
            .count()
            .max(1);
        let mut out = String::new();
        out.push_str(line);
        out.push('\n');
        out.push_str(&" ".repeat(col));
        out.push_str(&"^".repeat(width));
        out.push('\n');
        out.push_str(&self.to_string());
        out
    }
}

impl fmt::Display for FilterError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)?;
        if let Some(s) = &self.suggestion {
            write!(f, "; did you mean `{s}`?")?;
        }
        Ok(())
    }
}

impl std::error::Error for FilterError {}

/// Levenshtein distance over chars (inputs are short keywords).
pub(crate) fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            let cost = usize::from(ca != *cb);
            cur[j + 1] = (prev[j] + cost).min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        prev = cur;
    }
    prev[b.len()]
}

/// The closest candidate within a distance that scales with the word's length.
pub(crate) fn closest<'a>(
    word: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    let limit = (word.chars().count() / 3).max(2);
    candidates
        .into_iter()
        .map(|c| (edit_distance(word, c), c))
        .filter(|(d, _)| *d <= limit)
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}
