//! [`TextInput`]: one line of text being typed, with a cursor.
//!
//! Why a type of its own: the filter prompt, the time window editor, the trace view's find bar
//! and the palette's query each used to hand-write the same edits on a `String` (and the byte
//! arithmetic that keeps a cursor on a char boundary). Here they are written once, with the
//! editing actions of the keymap ([`TextInput::apply`]), so every input line edits alike and a
//! key an input's scope binds to an editing action just works.
//!
//! The cursor is a byte offset into the text that always sits on a char boundary, so slicing at
//! it never panics, whatever UTF-8 (wide CJK characters, emoji, accents) was typed.

use std::ops::Range;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use crate::keys::Action;

/// One line of text being edited, with a cursor.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TextInput {
    /// The text.
    text: String,
    /// Byte offset of the cursor in `text`, on a char boundary, at most `text.len()`.
    cursor: usize,
    /// Characters besides whitespace where a word ends, for [`TextInput::delete_word`].
    word_breaks: &'static str,
}

/// The character a key types, if it types one: a plain or shifted character (Ctrl and Alt
/// chords are commands, not text).
pub fn typed_char(key: &KeyEvent) -> Option<char> {
    match key.code {
        KeyCode::Char(c)
            if !key
                .modifiers
                .intersects(KeyModifiers::CONTROL | KeyModifiers::ALT) =>
        {
            Some(c)
        }
        _ => None,
    }
}

impl TextInput {
    /// An input holding `text`, the cursor at its end.
    pub fn new(text: &str) -> Self {
        TextInput {
            text: text.to_owned(),
            cursor: text.len(),
            word_breaks: "",
        }
    }

    /// The same input, where [`TextInput::delete_word`] also stops after any of `breaks` (the
    /// filter prompt stops at brackets and commas).
    pub fn with_word_breaks(mut self, breaks: &'static str) -> Self {
        self.word_breaks = breaks;
        self
    }

    /// The text.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// The cursor: a byte offset into [`TextInput::text`], on a char boundary.
    pub fn cursor(&self) -> usize {
        self.cursor
    }

    /// The text before the cursor.
    pub fn before_cursor(&self) -> &str {
        self.text.get(..self.cursor).unwrap_or(&self.text)
    }

    /// The text from the cursor on.
    pub fn after_cursor(&self) -> &str {
        self.text.get(self.cursor..).unwrap_or("")
    }

    /// Whether nothing is typed.
    pub fn is_empty(&self) -> bool {
        self.text.is_empty()
    }

    /// Replaces the text, the cursor at its end.
    pub fn set(&mut self, text: &str) {
        text.clone_into(&mut self.text);
        self.cursor = self.text.len();
    }

    /// Inserts a character at the cursor and moves past it.
    pub fn insert(&mut self, c: char) {
        self.text.insert(self.cursor, c);
        self.cursor += c.len_utf8();
    }

    /// Replaces the bytes `range` with `with` and puts the cursor after it. Returns `false`
    /// (and changes nothing) when the range is not on char boundaries inside the text.
    pub fn replace(&mut self, range: Range<usize>, with: &str) -> bool {
        if range.start > range.end
            || !self.text.is_char_boundary(range.start)
            || !self.text.is_char_boundary(range.end)
        {
            return false;
        }
        self.text.replace_range(range.clone(), with);
        self.cursor = range.start + with.len();
        true
    }

    /// Deletes the character before the cursor; `false` at the start.
    pub fn backspace(&mut self) -> bool {
        match self.prev_boundary() {
            Some(prev) => {
                self.text.replace_range(prev..self.cursor, "");
                self.cursor = prev;
                true
            }
            None => false,
        }
    }

    /// Deletes the character under the cursor; `false` at the end.
    pub fn delete(&mut self) -> bool {
        match self.next_boundary() {
            Some(next) => {
                self.text.replace_range(self.cursor..next, "");
                true
            }
            None => false,
        }
    }

    /// Deletes the word before the cursor and the spaces between it and the cursor. A word
    /// ends at whitespace or at one of the input's word breaks.
    pub fn delete_word(&mut self) {
        let trimmed = self.before_cursor().trim_end();
        let start = trimmed
            .char_indices()
            .rev()
            .find(|&(_, c)| c.is_whitespace() || self.word_breaks.contains(c))
            .map_or(0, |(i, c)| i + c.len_utf8());
        self.text.replace_range(start..self.cursor, "");
        self.cursor = start;
    }

    /// Empties the input.
    pub fn clear(&mut self) {
        self.text.clear();
        self.cursor = 0;
    }

    /// Moves the cursor one character left; `false` at the start.
    pub fn left(&mut self) -> bool {
        self.prev_boundary().map(|p| self.cursor = p).is_some()
    }

    /// Moves the cursor one character right; `false` at the end.
    pub fn right(&mut self) -> bool {
        self.next_boundary().map(|n| self.cursor = n).is_some()
    }

    /// Moves the cursor to the start.
    pub fn home(&mut self) {
        self.cursor = 0;
    }

    /// Moves the cursor to the end.
    pub fn end(&mut self) {
        self.cursor = self.text.len();
    }

    /// Applies an editing action (cursor moves, deletes, clear); returns whether `action` is
    /// one, so the caller handles the others (apply, cancel, completion...).
    pub fn apply(&mut self, action: Action) -> bool {
        match action {
            Action::CursorLeft => {
                self.left();
            }
            Action::CursorRight => {
                self.right();
            }
            Action::CursorHome => self.home(),
            Action::CursorEnd => self.end(),
            Action::DeleteBack => {
                self.backspace();
            }
            Action::DeleteForward => {
                self.delete();
            }
            Action::DeleteWord => self.delete_word(),
            Action::ClearInput => self.clear(),
            _ => return false,
        }
        true
    }

    fn prev_boundary(&self) -> Option<usize> {
        self.before_cursor()
            .char_indices()
            .next_back()
            .map(|(i, _)| i)
    }

    fn next_boundary(&self) -> Option<usize> {
        self.after_cursor()
            .chars()
            .next()
            .map(|c| self.cursor + c.len_utf8())
    }
}

impl PartialEq<str> for TextInput {
    fn eq(&self, other: &str) -> bool {
        self.text == other
    }
}

impl PartialEq<&str> for TextInput {
    fn eq(&self, other: &&str) -> bool {
        self.text == *other
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn edits_at_the_cursor() {
        let mut t = TextInput::new("fault");
        assert_eq!(t.cursor(), 5);
        t.home();
        t.insert('!');
        assert_eq!(t, "!fault");
        assert!(t.right());
        assert!(t.backspace());
        assert_eq!(t, "!ault");
        assert!(t.delete());
        assert_eq!(t, "!ult");
        assert_eq!((t.before_cursor(), t.after_cursor()), ("!", "ult"));
        t.end();
        assert!(!t.delete(), "nothing under the cursor at the end");
        assert!(!t.right());
        t.home();
        assert!(!t.backspace(), "nothing before the cursor at the start");
        assert!(!t.left());
        t.clear();
        assert!(t.is_empty());
        assert_eq!(t.cursor(), 0);
    }

    #[test]
    fn multibyte_and_wide_characters_move_and_delete_whole() {
        // 2-byte é, 3-byte wide 日本, 4-byte emoji.
        let mut t = TextInput::new("é日本🚀");
        assert!(t.left());
        assert_eq!(t.after_cursor(), "🚀");
        assert!(t.backspace());
        assert_eq!(t, "é日🚀");
        t.home();
        assert!(t.right());
        assert_eq!(t.cursor(), 2);
        assert!(t.delete());
        assert_eq!(t, "é🚀");
        t.insert('本');
        assert_eq!(t, "é本🚀");
        assert_eq!(t.before_cursor(), "é本");
    }

    #[test]
    fn delete_word_stops_at_whitespace_and_the_word_breaks() {
        let mut t = TextInput::new("order 46506  ");
        t.delete_word();
        assert_eq!(t, "order ");
        t.delete_word();
        assert_eq!(t, "");
        t.delete_word();
        assert_eq!(t, "");
        let mut p = TextInput::new("service(\"zoë\")").with_word_breaks("(){},");
        p.left();
        p.delete_word();
        assert_eq!(p, "service()");
        assert_eq!(p.after_cursor(), ")");
        let mut plain = TextInput::new("service(\"zoë");
        plain.delete_word();
        assert_eq!(plain, "");
    }

    #[test]
    fn apply_takes_the_editing_actions_only() {
        let mut t = TextInput::new("ab");
        assert!(t.apply(Action::CursorLeft));
        assert!(t.apply(Action::DeleteForward));
        assert_eq!(t, "a");
        assert!(t.apply(Action::CursorHome));
        assert!(
            t.apply(Action::DeleteBack),
            "handled even when nothing is deleted"
        );
        assert!(t.apply(Action::CursorEnd));
        assert!(t.apply(Action::CursorRight));
        assert!(t.apply(Action::DeleteWord));
        assert!(t.is_empty());
        t.set("x y");
        assert!(t.apply(Action::ClearInput));
        assert!(t.is_empty());
        for a in [
            Action::PromptApply,
            Action::PromptCancel,
            Action::Quit,
            Action::Up,
        ] {
            assert!(!t.apply(a), "{a:?} is not an edit");
        }
    }

    #[test]
    fn replace_checks_its_range() {
        let mut t = TextInput::new("zoë x");
        assert!(!t.replace(0..3, "a"), "inside ë");
        #[allow(clippy::reversed_empty_ranges)]
        let backwards = 3..2;
        assert!(!t.replace(backwards, "a"));
        assert!(!t.replace(0..99, "a"));
        assert!(t.replace(0..4, "user"));
        assert_eq!(t, "user x");
        assert_eq!(t.cursor(), 4);
    }

    #[test]
    fn typed_chars_are_plain_or_shifted() {
        let k = |c, m| KeyEvent::new(KeyCode::Char(c), m);
        assert_eq!(typed_char(&k('q', KeyModifiers::NONE)), Some('q'));
        assert_eq!(typed_char(&k('Q', KeyModifiers::SHIFT)), Some('Q'));
        assert_eq!(typed_char(&k('w', KeyModifiers::CONTROL)), None);
        assert_eq!(typed_char(&k('b', KeyModifiers::ALT)), None);
        let enter = KeyEvent::new(KeyCode::Enter, KeyModifiers::NONE);
        assert_eq!(typed_char(&enter), None);
    }

    #[derive(Debug, Clone)]
    enum Op {
        Insert(char),
        Act(Action),
    }

    fn op() -> impl Strategy<Value = Op> {
        prop_oneof![
            // ASCII, accents, wide CJK, emoji, a combining mark, whitespace and a break.
            prop::sample::select(vec!['a', 'Z', ' ', 'é', '日', '🚀', '\u{301}', '(', '\t'])
                .prop_map(Op::Insert),
            any::<char>().prop_map(Op::Insert),
            prop::sample::select(vec![
                Action::CursorLeft,
                Action::CursorRight,
                Action::CursorHome,
                Action::CursorEnd,
                Action::DeleteBack,
                Action::DeleteForward,
                Action::DeleteWord,
                Action::ClearInput,
            ])
            .prop_map(Op::Act),
        ]
    }

    proptest! {
        #[test]
        fn the_cursor_stays_on_a_boundary_and_typing_undoes(
            start in ".{0,12}",
            ops in prop::collection::vec(op(), 0..60),
            c in any::<char>(),
        ) {
            let mut t = TextInput::new(&start).with_word_breaks("(){},");
            for o in ops {
                match o {
                    Op::Insert(c) => t.insert(c),
                    Op::Act(a) => prop_assert!(t.apply(a)),
                }
                prop_assert!(t.cursor() <= t.text().len());
                prop_assert!(t.text().is_char_boundary(t.cursor()));
                prop_assert_eq!(format!("{}{}", t.before_cursor(), t.after_cursor()), t.text());
            }
            let (text, cursor) = (t.text().to_owned(), t.cursor());
            t.insert(c);
            prop_assert!(t.backspace());
            prop_assert_eq!(t.text(), text.as_str());
            prop_assert_eq!(t.cursor(), cursor);
        }
    }
}
