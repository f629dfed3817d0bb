//! The filter prompt: an X-Ray filter expression being typed, checked on every keystroke.
//!
//! Editing is [`TextInput`]'s (a cursor kept on char boundaries). After each edit the
//! expression is parsed (for the caret error shown under the input) and completed (candidates
//! from the loaded data's vocabulary); both are cheap, pure, and done here so that drawing only
//! reads the result.
//!
//! The candidates show in a popup that opens as the text changes, with nothing highlighted:
//! Enter still applies the expression. Tab highlights the first candidate (or inserts the only
//! one); then Tab or Enter inserts the highlighted one and the arrows move the highlight. Esc
//! closes the popup first and the prompt only when no popup shows.
//!
//! While the expression parses, the app counts the loaded traces it matches off the UI thread
//! ([`CountRequest`], answered with a [`Counted`] of the same generation); the prompt shows the
//! count, or that it is being counted.

use std::sync::Arc;

use super::input::TextInput;
use crate::engine::dataset::Dataset;
use crate::filter::{self, Candidate, Completions, Filter, FilterError, Vocabulary};
use crate::keys::Action;
use crate::model::Group;

/// How many candidates the popup shows.
pub const MAX_CANDIDATES: usize = 8;

/// Where Ctrl-W stops besides whitespace: an expression's brackets and commas.
const WORD_BREAKS: &str = "(){},";

/// How many loaded traces the expression being typed matches.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum LiveCount {
    /// Nothing to count: the text is empty or does not parse, or nothing is loaded.
    #[default]
    None,
    /// Being counted; the answer of this generation is awaited.
    Counting(u64),
    /// `matches` of the `of` traces the list would consider match.
    Counted {
        /// Traces matching.
        matches: usize,
        /// Traces considered (the loaded ones within the list's other filters).
        of: usize,
    },
    /// The source evaluates expressions itself (X-Ray): nothing is counted before applying.
    Remote,
}

/// What the runtime counts off the UI thread: the traces of `data` (those at `rows`, or all)
/// that `filter` matches. Answered with [`Counted`] of the same `generation`.
#[derive(Debug, Clone)]
pub struct CountRequest {
    /// Answers carry it; the app drops answers to older requests.
    pub generation: u64,
    /// The loaded data.
    pub data: Arc<Dataset>,
    /// The expression being typed, parsed.
    pub filter: Filter,
    /// The groups `group.name` refers to.
    pub groups: Vec<Group>,
    /// The rows to consider (the list's other filters applied); `None`: every row.
    pub rows: Option<Arc<[usize]>>,
}

/// Two requests are the same when they ask the same of the same data.
impl PartialEq for CountRequest {
    fn eq(&self, other: &Self) -> bool {
        self.generation == other.generation
            && Arc::ptr_eq(&self.data, &other.data)
            && self.filter.to_string() == other.filter.to_string()
            && self.rows == other.rows
    }
}

impl Eq for CountRequest {}

/// The answer to a [`CountRequest`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Counted {
    /// The request answered.
    pub generation: u64,
    /// Traces matching.
    pub matches: usize,
    /// Traces considered.
    pub of: usize,
}

/// The prompt's state.
#[derive(Debug, Clone, Default)]
pub struct Prompt {
    /// The text typed, and the cursor.
    pub input: TextInput,
    /// Why the text does not parse (empty text is not an error: it clears the filter).
    pub error: Option<FilterError>,
    /// Completion candidates for the word at the cursor.
    pub completions: Option<Completions>,
    /// Whether the candidates show (they open as the text changes; Esc closes them).
    pub popup: bool,
    /// The highlighted candidate, once Tab or a move picked one (`None`: Enter applies).
    pub selected: Option<usize>,
    /// How many loaded traces the expression matches.
    pub count: LiveCount,
    /// The expression as parsed (a saved filter's, for `@name`), when it parses.
    parsed: Option<Box<Filter>>,
    /// The normalised expression last counted, so that a cursor move counts nothing again.
    counted: Option<String>,
    /// Position in the history while walking it with Up/Down (`None`: the text being typed).
    history_pos: Option<usize>,
    /// The text being typed, kept while walking the history.
    draft: String,
    /// Saved filters from the config: (name, expression), offered when the prompt is empty or
    /// the text starts with `@`.
    pub saved: Vec<(String, String)>,
}

impl Prompt {
    /// A prompt holding `text`, cursor at the end, offering the saved filters. The popup opens
    /// at once only on an empty prompt with saved filters to offer.
    pub fn new(text: &str, vocab: &Vocabulary, saved: Vec<(String, String)>) -> Self {
        let mut p = Prompt {
            input: TextInput::new(text).with_word_breaks(WORD_BREAKS),
            saved,
            ..Prompt::default()
        };
        p.refresh(vocab);
        p.popup = text.trim().is_empty() && p.completions.is_some();
        p
    }

    /// Re-checks the text and recomputes the completions (nothing highlighted).
    pub fn refresh(&mut self, vocab: &Vocabulary) {
        self.selected = None;
        let text = self.input.text().trim();
        if text.is_empty() || text.starts_with('@') {
            // Saved filters: all of them on an empty prompt, by name after `@`.
            let typed = text.trim_start_matches('@');
            let known = self.saved.iter().find(|(n, _)| n == typed);
            self.error = (text.starts_with('@') && known.is_none()).then(|| {
                FilterError::new(
                    format!("no saved filter named `{typed}` (saved filters are in the config)"),
                    0..self.input.text().len(),
                )
            });
            self.parsed = known.and_then(|(_, e)| filter::parse(e).ok()).map(Box::new);
            let candidates: Vec<Candidate> = self
                .saved
                .iter()
                .filter(|(n, _)| n.contains(typed))
                .map(|(n, e)| Candidate {
                    text: format!("@{n}"),
                    description: e.clone(),
                    append: String::new(),
                })
                .collect();
            let replace = 0..self.input.text().len();
            self.completions = (!candidates.is_empty()).then_some(Completions {
                replace,
                candidates,
            });
            self.close_if_empty();
            return;
        }
        match filter::parse(self.input.text()) {
            Ok(f) => {
                self.error = None;
                self.parsed = Some(Box::new(f));
            }
            Err(e) => {
                self.error = Some(e);
                self.parsed = None;
            }
        }
        let c = filter::complete(self.input.text(), self.input.cursor(), vocab);
        // Offer candidates only while a word is being typed, or right after an operator or
        // an opening bracket, not for an untouched empty prompt.
        self.completions = (!c.candidates.is_empty()).then_some(c);
        self.close_if_empty();
    }

    fn close_if_empty(&mut self) {
        if self.completions.is_none() {
            self.popup = false;
        }
    }

    /// The expression as parsed (a saved filter's for `@name`), when the text parses.
    pub fn parsed(&self) -> Option<&Filter> {
        self.parsed.as_deref()
    }

    /// The candidates the popup shows, while it is open.
    pub fn shown(&self) -> Option<&Completions> {
        self.completions.as_ref().filter(|_| self.popup)
    }

    /// A candidate is highlighted in the open popup: Enter and Tab insert it, the arrows move.
    pub fn picking(&self) -> bool {
        self.selected.is_some() && self.shown().is_some()
    }

    /// Closes the popup; `false` when none was open (Esc then closes the prompt).
    pub fn close_popup(&mut self) -> bool {
        let open = self.shown().is_some();
        self.popup = false;
        self.selected = None;
        open
    }

    /// Tab: with a candidate highlighted, inserts it; with one candidate only, inserts it;
    /// otherwise opens the popup with the first candidate highlighted, inserting nothing.
    /// Returns whether anything changed.
    pub fn complete(&mut self, vocab: &Vocabulary) -> bool {
        let Some(c) = &self.completions else {
            return false;
        };
        if self.picking() || c.candidates.len() == 1 {
            return self.accept_candidate(vocab);
        }
        self.popup = true;
        self.selected = Some(0);
        true
    }

    /// Records what is being counted and returns the expression to count, or `None` when it
    /// was counted already (`again`: count even so, as after new data).
    pub(crate) fn next_count(&mut self, again: bool) -> Option<Filter> {
        let Some(f) = self.parsed.as_deref().cloned() else {
            self.counted = None;
            self.count = LiveCount::None;
            return None;
        };
        let key = f.to_string();
        if !again && self.counted.as_deref() == Some(key.as_str()) {
            return None;
        }
        self.counted = Some(key);
        Some(f)
    }

    /// Clears what was counted (nothing to count after all).
    pub(crate) fn uncounted(&mut self, count: LiveCount) {
        self.counted = None;
        self.count = count;
    }

    /// Takes a count's answer, if it is the one awaited.
    pub fn counted(&mut self, c: Counted) -> bool {
        if self.count != LiveCount::Counting(c.generation) {
            return false;
        }
        self.count = LiveCount::Counted {
            matches: c.matches,
            of: c.of,
        };
        true
    }

    /// Inserts a character at the cursor.
    pub fn insert(&mut self, c: char, vocab: &Vocabulary) {
        self.input.insert(c);
        self.edited(vocab);
    }

    /// Applies an editing action (cursor moves, deletes, clear) and checks the text again;
    /// `false` when `action` is not one. An edit that changed nothing rechecks nothing, except
    /// Ctrl-W, Ctrl-U, Home and End, which always do. A change of text opens the popup; a
    /// cursor move leaves it as it was.
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

    /// Highlights the next (`+1`) or previous (`-1`) candidate, wrapping, and shows the popup;
    /// with nothing highlighted yet, the first (or the last, going back).
    pub fn cycle_candidate(&mut self, delta: isize) {
        let Some(c) = &self.completions else {
            return;
        };
        let n = c.candidates.len().min(MAX_CANDIDATES);
        if n == 0 {
            return;
        }
        self.popup = true;
        self.selected = Some(match self.selected {
            None if delta >= 0 => 0,
            None => n - 1,
            Some(s) => (s as isize + delta).rem_euclid(n as isize) as usize,
        });
    }

    /// Replaces the word at the cursor with the highlighted candidate (the first when none
    /// is). Returns whether anything was inserted.
    pub fn accept_candidate(&mut self, vocab: &Vocabulary) -> bool {
        let Some(c) = &self.completions else {
            return false;
        };
        let Some(cand) = c.candidates.get(self.selected.unwrap_or(0)) else {
            return false;
        };
        let len = self.input.text().len();
        let range = c.replace.start.min(len)..c.replace.end.min(len);
        let text = cand.insertion();
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

    /// A recalled entry is complete: no popup over it.
    fn set_text(&mut self, text: &str, vocab: &Vocabulary) {
        self.input.set(text);
        self.refresh(vocab);
        self.popup = false;
    }

    fn edited(&mut self, vocab: &Vocabulary) {
        self.history_pos = None;
        self.refresh(vocab);
        self.popup = self.completions.is_some();
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
