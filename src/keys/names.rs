//! `[keys.<scope>]` tables: key names as people write them (`ctrl-p`, `shift-tab`, `pgdn`,
//! `f2`, `q`), parsed into the config's own key type.
//!
//! The config stays free of terminal types, so a key here is a [`KeyChord`]; the app turns it
//! into a terminal key and checks action names and duplicate bindings against its key table
//! (`app::bindings`), with the same file-and-key error messages.

use std::collections::BTreeMap;

use serde::Deserialize;

/// The scopes a `[keys.<scope>]` table may name (the app's key scopes).
pub const SCOPES: [&str; 5] = ["global", "list", "trace", "prompt", "map"];

/// A key without modifiers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum KeyName {
    /// A character (`q`, `G`, `?`, space).
    Char(char),
    /// Enter (`enter`, `return`).
    Enter,
    /// Escape (`esc`, `escape`).
    Esc,
    /// Tab.
    Tab,
    /// Shift-Tab (`shift-tab`, `backtab`).
    BackTab,
    /// Backspace.
    Backspace,
    /// Delete (`delete`, `del`).
    Delete,
    /// Insert (`insert`, `ins`).
    Insert,
    /// Arrow up.
    Up,
    /// Arrow down.
    Down,
    /// Arrow left.
    Left,
    /// Arrow right.
    Right,
    /// Home.
    Home,
    /// End.
    End,
    /// Page up (`pgup`, `pageup`).
    PageUp,
    /// Page down (`pgdn`, `pagedown`).
    PageDown,
    /// A function key, `f1` to `f24`.
    F(u8),
}

/// A key with the modifiers held: `ctrl-p`, `alt-x`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct KeyChord {
    /// The key.
    pub key: KeyName,
    /// Control held.
    pub ctrl: bool,
    /// Alt held.
    pub alt: bool,
}

/// One key or a list of keys, as written in the file.
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

/// The `[keys]` tables as written: scope -> action -> keys.
pub type RawKeys = BTreeMap<String, BTreeMap<String, KeySpec>>;

/// One checked override: the keys an action gets in a scope (replacing its default keys there).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyOverride {
    /// The scope name (one of [`SCOPES`]).
    pub scope: String,
    /// The action name (snake_case, checked by the app).
    pub action: String,
    /// The keys, parsed; empty unbinds the action in that scope.
    pub keys: Vec<KeyChord>,
    /// The keys as written, for messages.
    pub written: Vec<String>,
}

/// Parses a key name: modifiers `ctrl-`, `alt-`, `shift-` (any order, case-insensitive), then a
/// single character or a named key.
pub fn parse_key(text: &str) -> Result<KeyChord, String> {
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
                KeyName::Char(c.to_ascii_lowercase())
            } else if shift {
                KeyName::Char(c.to_uppercase().next().unwrap_or(c))
            } else {
                KeyName::Char(c)
            }
        }
        _ => {
            let name = rest.to_ascii_lowercase();
            match name.as_str() {
                "enter" | "return" => KeyName::Enter,
                "esc" | "escape" => KeyName::Esc,
                "tab" if shift => KeyName::BackTab,
                "tab" => KeyName::Tab,
                "backtab" => KeyName::BackTab,
                "backspace" | "bs" => KeyName::Backspace,
                "delete" | "del" => KeyName::Delete,
                "insert" | "ins" => KeyName::Insert,
                "up" => KeyName::Up,
                "down" => KeyName::Down,
                "left" => KeyName::Left,
                "right" => KeyName::Right,
                "home" => KeyName::Home,
                "end" => KeyName::End,
                "pgup" | "pageup" => KeyName::PageUp,
                "pgdn" | "pgdown" | "pagedown" => KeyName::PageDown,
                "space" => KeyName::Char(' '),
                "minus" => KeyName::Char('-'),
                "plus" => KeyName::Char('+'),
                f if f.starts_with('f') => match f[1..].parse::<u8>() {
                    Ok(n) if (1..=24).contains(&n) => KeyName::F(n),
                    _ => return Err(unknown(text)),
                },
                _ => return Err(unknown(text)),
            }
        }
    };
    Ok(KeyChord { key, ctrl, alt })
}

fn unknown(text: &str) -> String {
    format!(
        "unknown key `{text}` (use a character like `q` or `G`, or enter, esc, tab, \
         shift-tab, backspace, delete, insert, up, down, left, right, home, end, pgup, pgdn, \
         space, f1-f24, with ctrl-, alt-, shift- in front)"
    )
}

/// Checks the scopes and key names of the `[keys]` tables; the message names the table and
/// the key.
pub fn check(raw: &RawKeys) -> Result<Vec<KeyOverride>, String> {
    let mut out = Vec::new();
    for (scope, actions) in raw {
        if !SCOPES.contains(&scope.as_str()) {
            return Err(format!(
                "[keys.{scope}]: unknown scope `{scope}` (scopes: {})",
                SCOPES.join(", ")
            ));
        }
        for (action, spec) in actions {
            let written: Vec<String> = spec.keys().into_iter().map(str::to_owned).collect();
            let keys = written
                .iter()
                .map(|k| parse_key(k).map_err(|e| format!("[keys.{scope}] {action}: {e}")))
                .collect::<Result<Vec<_>, _>>()?;
            out.push(KeyOverride {
                scope: scope.clone(),
                action: action.clone(),
                keys,
                written,
            });
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn k(key: KeyName, ctrl: bool, alt: bool) -> KeyChord {
        KeyChord { key, ctrl, alt }
    }

    #[test]
    fn key_names_people_write() {
        let ok = |s| parse_key(s).expect(s);
        assert_eq!(ok("q"), k(KeyName::Char('q'), false, false));
        assert_eq!(ok("G"), k(KeyName::Char('G'), false, false));
        assert_eq!(ok("shift-g"), k(KeyName::Char('G'), false, false));
        assert_eq!(ok("ctrl-p"), k(KeyName::Char('p'), true, false));
        assert_eq!(ok("Ctrl-P"), k(KeyName::Char('p'), true, false));
        assert_eq!(ok("alt-x"), k(KeyName::Char('x'), false, true));
        assert_eq!(ok("ctrl--"), k(KeyName::Char('-'), true, false));
        assert_eq!(ok("-"), k(KeyName::Char('-'), false, false));
        assert_eq!(ok("enter"), k(KeyName::Enter, false, false));
        assert_eq!(ok("esc"), k(KeyName::Esc, false, false));
        assert_eq!(ok("pgdn"), k(KeyName::PageDown, false, false));
        assert_eq!(ok("f2"), k(KeyName::F(2), false, false));
        assert_eq!(ok("shift-tab"), k(KeyName::BackTab, false, false));
        assert_eq!(ok("space"), k(KeyName::Char(' '), false, false));
        for bad in ["", "ctrl-", "f0", "f25", "hyper-x", "enterr", "ctrl-pgdnn"] {
            assert!(parse_key(bad).is_err(), "{bad:?} should not parse");
        }
    }

    #[test]
    fn unknown_scopes_and_keys_name_the_table() {
        let mut raw = RawKeys::new();
        raw.entry("lists".into())
            .or_default()
            .insert("open".into(), KeySpec::One("o".into()));
        let e = check(&raw).expect_err("scope");
        assert!(e.contains("[keys.lists]"), "{e}");
        let mut raw = RawKeys::new();
        raw.entry("list".into()).or_default().insert(
            "open".into(),
            KeySpec::Many(vec!["o".into(), "ctrl-".into()]),
        );
        let e = check(&raw).expect_err("key");
        assert!(e.contains("[keys.list] open"), "{e}");
        assert!(e.contains("ctrl-"), "{e}");
    }
}
