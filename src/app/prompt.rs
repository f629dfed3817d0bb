//! The filter prompt: an X-Ray filter expression being typed, checked on every keystroke.
//!
//! Editing is [`TextInput`]'s (a cursor kept on char boundaries). After each edit the expression is parsed (for the caret error shown under the input) and completed
//! (candidates from the loaded data's vocabulary); both are cheap, pure, and done here so that
//! drawing only reads the result.

use super::input::TextInput;
use crate::filter::{self, Candidate, Completions, FilterError, Vocabulary};
use crate::keys::Action;

/// How many candidates the popup shows.
pub const MAX_CANDIDATES: usize = 8;

/// Where Ctrl-W stops besides whitespace: an expression's brackets and commas.
const WORD_BREAKS: &str = "(){},";

/// The prompt's state.
#[derive(Debug, Clone, Default)]
pub struct Prompt {
    /// The text typed, and the cursor.
    pub input: TextInput,
    /// Why the text does not parse (empty text is not an error: it clears the filter).
    pub error: Option<FilterError>,
    /// Completion candidates for the word at the cursor.
    pub completions: Option<Completions>,
    /// The highlighted candidate.
    pub selected: usize,
    /// Position in the history while walking it with Up/Down (`None`: the text being typed).
    history_pos: Option<usize>,
    /// The text being typed, kept while walking the history.
    draft: String,
    /// Saved filters from the config: (name, expression), offered when the prompt is empty or
    /// the text starts with `@`.
    pub saved: Vec<(String, String)>,
}

impl Prompt {
    /// A prompt holding `text`, cursor at the end, offering the saved filters.
    pub fn new(text: &str, vocab: &Vocabulary, saved: Vec<(String, String)>) -> Self {
        let mut p = Prompt {
            input: TextInput::new(text).with_word_breaks(WORD_BREAKS),
            saved,
            ..Prompt::default()
        };
        p.refresh(vocab);
        p
    }

    /// Re-checks the text and recomputes the completions.
    pub fn refresh(&mut self, vocab: &Vocabulary) {
        self.selected = 0;
        let text = self.input.text().trim();
        if text.is_empty() || text.starts_with('@') {
            // Saved filters: all of them on an empty prompt, by name after `@`.
            let typed = text.trim_start_matches('@');
            let known = self.saved.iter().any(|(n, _)| n == typed);
            self.error = (text.starts_with('@') && !known).then(|| {
                FilterError::new(
                    format!("no saved filter named `{typed}` (saved filters are in the config)"),
                    0..self.input.text().len(),
                )
            });
            let candidates: Vec<Candidate> = self
                .saved
                .iter()
                .filter(|(n, _)| n.contains(typed))
                .map(|(n, e)| Candidate {
                    text: format!("@{n}"),
                    description: e.clone(),
                })
                .collect();
            let replace = 0..self.input.text().len();
            self.completions = (!candidates.is_empty()).then_some(Completions {
                replace,
                candidates,
            });
            return;
        }
        self.error = filter::parse(self.input.text()).err();
        let c = filter::complete(self.input.text(), self.input.cursor(), vocab);
        // Offer candidates only while a word is being typed, or right after an operator or
        // an opening bracket, not for an untouched empty prompt.
        self.completions = (!c.candidates.is_empty()).then_some(c);
    }

    /// Inserts a character at the cursor.
    pub fn insert(&mut self, c: char, vocab: &Vocabulary) {
        self.input.insert(c);
        self.edited(vocab);
    }

    /// Applies an editing action (cursor moves, deletes, clear) and checks the text again;
    /// `false` when `action` is not one. An edit that changed nothing rechecks nothing, except
    /// Ctrl-W, Ctrl-U, Home and End, which always do.
    pub fn edit(&mut self, action: Action, vocab: &Vocabulary) -> bool {
        let (len, cursor) = (self.input.text().len(), self.input.cursor());
        if !self.input.apply(action) {
            return false;
        }
        let changed = self.input.text().len() != len;
        let moved = self.input.cursor() != cursor;
        match action {
            Action::DeleteWord | Action::ClearInput => self.edited(vocab),
            Action::DeleteBack | Action::DeleteForward if changed => self.edited(vocab),
            Action::CursorHome | Action::CursorEnd => self.refresh(vocab),
            Action::CursorLeft | Action::CursorRight if moved => self.refresh(vocab),
            _ => {}
        }
        true
    }

    /// Deletes the character before the cursor.
    pub fn backspace(&mut self, vocab: &Vocabulary) {
        self.edit(Action::DeleteBack, vocab);
    }

    /// Deletes the character under the cursor.
    pub fn delete(&mut self, vocab: &Vocabulary) {
        self.edit(Action::DeleteForward, vocab);
    }

    /// Deletes the word before the cursor (and the spaces after it).
    pub fn delete_word(&mut self, vocab: &Vocabulary) {
        self.edit(Action::DeleteWord, vocab);
    }

    /// Moves the cursor one character left.
    pub fn left(&mut self, vocab: &Vocabulary) {
        self.edit(Action::CursorLeft, vocab);
    }

    /// Moves the cursor to the start.
    pub fn home(&mut self, vocab: &Vocabulary) {
        self.edit(Action::CursorHome, vocab);
    }

    /// Highlights the next (`+1`) or previous (`-1`) candidate, wrapping.
    pub fn cycle_candidate(&mut self, delta: isize) {
        if let Some(c) = &self.completions {
            let n = c.candidates.len().min(MAX_CANDIDATES);
            if n > 0 {
                self.selected = (self.selected as isize + delta).rem_euclid(n as isize) as usize;
            }
        }
    }

    /// Replaces the word at the cursor with the highlighted candidate. Returns whether anything
    /// was inserted.
    pub fn accept_candidate(&mut self, vocab: &Vocabulary) -> bool {
        let Some(c) = &self.completions else {
            return false;
        };
        let Some(cand) = c.candidates.get(self.selected) else {
            return false;
        };
        let len = self.input.text().len();
        let range = c.replace.start.min(len)..c.replace.end.min(len);
        let text = cand.text.clone();
        if !self.input.replace(range, &text) {
            return false;
        }
        // Room for what comes next, unless the candidate opens a call or a quote.
        if !text.ends_with(['(', '"', '.', '[']) && !self.input.after_cursor().starts_with(' ') {
            self.input.insert(' ');
        }
        self.edited(vocab);
        true
    }

    /// Shows the previous (older) history entry; `history` is oldest first.
    pub fn history_prev(&mut self, history: &[String], vocab: &Vocabulary) {
        if history.is_empty() {
            return;
        }
        let pos = match self.history_pos {
            None => {
                self.draft = self.input.text().to_owned();
                history.len() - 1
            }
            Some(p) => p.saturating_sub(1),
        };
        self.history_pos = Some(pos);
        self.set_text(&history[pos], vocab);
    }

    /// Shows the next (newer) history entry, and finally the text that was being typed.
    pub fn history_next(&mut self, history: &[String], vocab: &Vocabulary) {
        let Some(p) = self.history_pos else {
            return;
        };
        if p + 1 < history.len() {
            self.history_pos = Some(p + 1);
            self.set_text(&history[p + 1], vocab);
        } else {
            self.history_pos = None;
            let draft = std::mem::take(&mut self.draft);
            self.set_text(&draft, vocab);
        }
    }

    fn set_text(&mut self, text: &str, vocab: &Vocabulary) {
        self.input.set(text);
        self.refresh(vocab);
    }

    fn edited(&mut self, vocab: &Vocabulary) {
        self.history_pos = None;
        self.refresh(vocab);
    }
}

/// Adds an applied expression to the history (oldest first, no repeats, at most `max`).
pub fn remember(history: &mut Vec<String>, expr: &str, max: usize) {
    history.retain(|h| h != expr);
    history.push(expr.to_owned());
    if history.len() > max {
        let extra = history.len() - max;
        history.drain(..extra);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vocab() -> Vocabulary {
        Vocabulary {
            services: vec!["payments".into(), "orders-api".into()],
            ..Vocabulary::default()
        }
    }

    #[test]
    fn typing_checks_the_expression() {
        let v = vocab();
        let mut p = Prompt::new("", &v, Vec::new());
        for c in "responstime > 1".chars() {
            p.insert(c, &v);
        }
        let e = p.error.as_ref().expect("an error");
        assert_eq!(e.span, 0..11);
        assert_eq!(e.suggestion.as_deref(), Some("responsetime"));
        p.home(&v);
        for _ in 0..11 {
            p.delete(&v);
        }
        for c in "duration".chars() {
            p.insert(c, &v);
        }
        assert_eq!(p.input, "duration > 1");
        assert!(p.error.is_none());
    }

    #[test]
    fn editing_respects_multibyte_characters() {
        let v = vocab();
        let mut p = Prompt::new("user = \"zoë\"", &v, Vec::new());
        p.left(&v);
        p.backspace(&v);
        assert_eq!(p.input, "user = \"zo\"");
        p.delete_word(&v);
        assert_eq!(p.input, "user = \"");
    }

    #[test]
    fn history_walks_back_and_returns_to_the_draft() {
        let v = vocab();
        let history = vec!["fault".to_owned(), "error".to_owned()];
        let mut p = Prompt::new("dur", &v, Vec::new());
        p.history_prev(&history, &v);
        assert_eq!(p.input, "error");
        p.history_prev(&history, &v);
        assert_eq!(p.input, "fault");
        p.history_prev(&history, &v);
        assert_eq!(p.input, "fault", "stays at the oldest");
        p.history_next(&history, &v);
        p.history_next(&history, &v);
        assert_eq!(p.input, "dur");
    }

    #[test]
    fn saved_filters_are_offered_and_checked() {
        let v = vocab();
        let saved = vec![("slow".to_owned(), "responsetime > 1".to_owned())];
        let mut p = Prompt::new("", &v, saved);
        let c = p.completions.as_ref().expect("saved filters offered");
        assert_eq!(c.candidates[0].text, "@slow");
        assert!(p.error.is_none());
        p.insert('@', &v);
        p.insert('x', &v);
        assert!(p.error.is_some(), "no saved filter named x");
        p.backspace(&v);
        assert!(p.accept_candidate(&v));
        assert_eq!(p.input.text().trim(), "@slow");
        assert!(p.error.is_none());
    }

    #[test]
    fn remember_dedupes_and_caps() {
        let mut h = vec!["a".to_owned(), "b".to_owned()];
        remember(&mut h, "a", 2);
        assert_eq!(h, ["b", "a"]);
        remember(&mut h, "c", 2);
        assert_eq!(h, ["a", "c"]);
    }
}
