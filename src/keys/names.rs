//! Keys and their names: how the config writes a key (`ctrl-p`, `shift-tab`, `pgdn`, `f2`,
//! `q`), how the help shows it (`Ctrl-P`, `Shift-Tab`, `PgDn`, `F2`), and whether a terminal key
//! event is that key.
//!
//! The config parses its `[keys.<scope>]` tables with [`parse_key`]; everything else about keys
//! (actions, scopes, clashes) is checked by the keymap.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use serde::Deserialize;

/// One key: a code and the modifiers that must be held (Shift is ignored for characters, whose
/// case already says it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Key {
    /// The key.
    pub code: KeyCode,
    /// Required modifiers.
    pub mods: KeyModifiers,
}

impl Key {
    /// A key with no modifier: `Key::plain(KeyCode::Enter)`.
    pub const fn plain(code: KeyCode) -> Self {
        Key {
            code,
            mods: KeyModifiers::NONE,
        }
    }

    /// A character key with no modifier (its case says whether Shift is held).
    pub const fn ch(c: char) -> Self {
        Key::plain(KeyCode::Char(c))
    }

    /// Control and a character (lower case: terminals report Ctrl-letters in either case).
    pub const fn ctrl(c: char) -> Self {
        Key {
            code: KeyCode::Char(c),
            mods: KeyModifiers::CONTROL,
        }
    }

    /// Whether a key event is this key.
    pub fn matches(&self, ev: &KeyEvent) -> bool {
        let mut mods = ev.modifiers;
        if matches!(ev.code, KeyCode::Char(_) | KeyCode::BackTab) {
            mods.remove(KeyModifiers::SHIFT);
        }
        let code = match ev.code {
            // Terminals report Ctrl-letters in either case.
            KeyCode::Char(c) if mods.contains(KeyModifiers::CONTROL) => {
                KeyCode::Char(c.to_ascii_lowercase())
            }
            c => c,
        };
        code == self.code && mods == self.mods
    }

    /// How the help writes the key: `q`, `Space`, `↓`, `Ctrl-P`, `Alt-x`, `F2`.
    pub fn label(&self) -> String {
        let base = match self.code {
            KeyCode::Char(' ') => "Space".to_owned(),
            KeyCode::Char(c) => c.to_string(),
            KeyCode::Up => "↑".into(),
            KeyCode::Down => "↓".into(),
            KeyCode::Left => "←".into(),
            KeyCode::Right => "→".into(),
            KeyCode::PageUp => "PgUp".into(),
            KeyCode::PageDown => "PgDn".into(),
            KeyCode::Home => "Home".into(),
            KeyCode::End => "End".into(),
            KeyCode::Enter => "Enter".into(),
            KeyCode::Esc => "Esc".into(),
            KeyCode::Tab => "Tab".into(),
            KeyCode::BackTab => "Shift-Tab".into(),
            KeyCode::Backspace => "Backspace".into(),
            KeyCode::Delete => "Del".into(),
            KeyCode::Insert => "Ins".into(),
            KeyCode::F(n) => format!("F{n}"),
            other => format!("{other:?}"),
        };
        let base = if self.mods.contains(KeyModifiers::CONTROL) {
            // Ctrl-letters are written in capitals, like terminals' manuals do.
            match self.code {
                KeyCode::Char(_) => format!("Ctrl-{}", base.to_uppercase()),
                _ => format!("Ctrl-{base}"),
            }
        } else {
            base
        };
        if self.mods.contains(KeyModifiers::ALT) {
            format!("Alt-{base}")
        } else {
            base
        }
    }
}

/// One key or a list of keys, as written in a `[keys.<scope>]` table.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(untagged)]
pub enum KeySpec {
    /// `open = "enter"`.
    One(String),
    /// `open = ["enter", "o"]`.
    Many(Vec<String>),
}

impl KeySpec {
    /// The keys as written.
    pub fn keys(&self) -> Vec<&str> {
        match self {
            KeySpec::One(k) => vec![k.as_str()],
            KeySpec::Many(v) => v.iter().map(String::as_str).collect(),
        }
    }
}

/// Parses a key name: modifiers `ctrl-`, `alt-`, `shift-` (any order, case-insensitive), then a
/// single character or a named key.
pub fn parse_key(text: &str) -> Result<Key, String> {
    let mut rest = text.trim();
    if rest.is_empty() {
        return Err("empty key name".into());
    }
    let (mut ctrl, mut alt, mut shift) = (false, false, false);
    loop {
        let lower = rest.to_ascii_lowercase();
        let flag = if lower.starts_with("ctrl-") || lower.starts_with("ctrl+") {
            &mut ctrl
        } else if lower.starts_with("alt-") || lower.starts_with("alt+") {
            &mut alt
        } else if lower.starts_with("shift-") || lower.starts_with("shift+") {
            &mut shift
        } else {
            break;
        };
        let Some(dash) = rest.find(['-', '+']) else {
            break;
        };
        // `ctrl--` is Ctrl and the `-` key; a lone `ctrl-` is an error below.
        if rest.len() == dash + 1 {
            return Err(format!("`{text}` has no key after the modifier"));
        }
        *flag = true;
        rest = &rest[dash + 1..];
    }
    let mut chars = rest.chars();
    let key = match (chars.next(), chars.next()) {
        (Some(c), None) => {
            if c.is_control() {
                return Err(format!("`{text}`: not a key"));
            }
            if ctrl && c.is_ascii_alphabetic() {
                // Terminals report Ctrl-letters in either case; Ctrl-P and Ctrl-p are one key.
                KeyCode::Char(c.to_ascii_lowercase())
            } else if shift {
                KeyCode::Char(c.to_uppercase().next().unwrap_or(c))
            } else {
                KeyCode::Char(c)
            }
        }
        _ => {
            let name = rest.to_ascii_lowercase();
            match name.as_str() {
                "enter" | "return" => KeyCode::Enter,
                "esc" | "escape" => KeyCode::Esc,
                "tab" if shift => KeyCode::BackTab,
                "tab" => KeyCode::Tab,
                "backtab" => KeyCode::BackTab,
                "backspace" | "bs" => KeyCode::Backspace,
                "delete" | "del" => KeyCode::Delete,
                "insert" | "ins" => KeyCode::Insert,
                "up" => KeyCode::Up,
                "down" => KeyCode::Down,
                "left" => KeyCode::Left,
                "right" => KeyCode::Right,
                "home" => KeyCode::Home,
                "end" => KeyCode::End,
                "pgup" | "pageup" => KeyCode::PageUp,
                "pgdn" | "pgdown" | "pagedown" => KeyCode::PageDown,
                "space" => KeyCode::Char(' '),
                "minus" => KeyCode::Char('-'),
                "plus" => KeyCode::Char('+'),
                f if f.starts_with('f') => match f[1..].parse::<u8>() {
                    Ok(n) if (1..=24).contains(&n) => KeyCode::F(n),
                    _ => return Err(unknown(text)),
                },
                _ => return Err(unknown(text)),
            }
        }
    };
    let mut mods = KeyModifiers::NONE;
    if ctrl {
        mods |= KeyModifiers::CONTROL;
    }
    if alt {
        mods |= KeyModifiers::ALT;
    }
    Ok(Key { code: key, mods })
}

fn unknown(text: &str) -> String {
    format!(
        "unknown key `{text}` (use a character like `q` or `G`, or enter, esc, tab, \
         shift-tab, backspace, delete, insert, up, down, left, right, home, end, pgup, pgdn, \
         space, f1-f24, with ctrl-, alt-, shift- in front)"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn k(code: KeyCode, mods: KeyModifiers) -> Key {
        Key { code, mods }
    }

    #[test]
    fn key_names_people_write() {
        let ok = |s| parse_key(s).expect(s);
        let none = KeyModifiers::NONE;
        let ctrl = KeyModifiers::CONTROL;
        assert_eq!(ok("q"), k(KeyCode::Char('q'), none));
        assert_eq!(ok("G"), k(KeyCode::Char('G'), none));
        assert_eq!(ok("shift-g"), k(KeyCode::Char('G'), none));
        assert_eq!(ok("ctrl-p"), k(KeyCode::Char('p'), ctrl));
        assert_eq!(ok("Ctrl-P"), k(KeyCode::Char('p'), ctrl));
        assert_eq!(ok("alt-x"), k(KeyCode::Char('x'), KeyModifiers::ALT));
        assert_eq!(ok("ctrl--"), k(KeyCode::Char('-'), ctrl));
        assert_eq!(ok("-"), k(KeyCode::Char('-'), none));
        assert_eq!(ok("enter"), k(KeyCode::Enter, none));
        assert_eq!(ok("esc"), k(KeyCode::Esc, none));
        assert_eq!(ok("pgdn"), k(KeyCode::PageDown, none));
        assert_eq!(ok("f2"), k(KeyCode::F(2), none));
        assert_eq!(ok("shift-tab"), k(KeyCode::BackTab, none));
        assert_eq!(ok("space"), k(KeyCode::Char(' '), none));
        for bad in ["", "ctrl-", "f0", "f25", "hyper-x", "enterr", "ctrl-pgdnn"] {
            assert!(parse_key(bad).is_err(), "{bad:?} should not parse");
        }
    }

    #[test]
    fn labels_are_what_the_help_shows() {
        let label = |s| parse_key(s).expect(s).label();
        assert_eq!(label("ctrl-p"), "Ctrl-P");
        assert_eq!(label("alt-r"), "Alt-r");
        assert_eq!(label("f1"), "F1");
        assert_eq!(label("shift-tab"), "Shift-Tab");
        assert_eq!(label("space"), "Space");
        assert_eq!(label("insert"), "Ins");
        assert_eq!(label("down"), "↓");
    }

    #[test]
    fn shift_is_implied_by_the_character() {
        let ev = KeyEvent::new(KeyCode::Char('G'), KeyModifiers::SHIFT);
        assert!(Key::ch('G').matches(&ev));
        let ev = KeyEvent::new(KeyCode::Char('C'), KeyModifiers::CONTROL);
        assert!(Key::ctrl('c').matches(&ev), "Ctrl-letters in either case");
        assert!(!Key::ch('c').matches(&ev));
    }
}
