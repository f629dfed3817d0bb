//! The key table as a runtime value: the built-in [`KEYMAP`] with the config's `[keys.<scope>]`
//! overrides applied.
//!
//! `KEYMAP` stays the one list of defaults (a binding added there just works, and shows in the
//! help); a [`Keymap`] is what the app handles keys with and what the help overlay draws, so
//! rebound keys are the keys the help shows. Building one checks what the config could not on
//! its own: that each action name exists in its scope, and that no key is bound twice in a
//! scope or shadows a global binding. Only keys the config introduces are checked, so a
//! config that restates a default never fails.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::defaults::{Action, KEYMAP, Key, Scope};
use super::names::{KeyChord, KeyName};
use crate::config::{Config, ConfigError};

/// One binding of the effective key table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bound {
    /// What it does.
    pub action: Action,
    /// Where it applies.
    pub scope: Scope,
    /// The keys that trigger it (the defaults, or the config's).
    pub keys: Vec<Key>,
    /// The keys it had by default.
    pub default_keys: &'static [Key],
    /// The help text.
    pub description: &'static str,
}

impl Bound {
    /// The keys as the help shows them: `j, ↓`.
    pub fn keys_label(&self) -> String {
        self.keys
            .iter()
            .map(key_label)
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// The effective key table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Keymap {
    bindings: Vec<Bound>,
}

impl Default for Keymap {
    fn default() -> Self {
        Keymap {
            bindings: KEYMAP
                .iter()
                .map(|b| Bound {
                    action: b.action,
                    scope: b.scope,
                    keys: b.keys.to_vec(),
                    default_keys: b.keys,
                    description: b.description,
                })
                .collect(),
        }
    }
}

/// The name of a scope in `[keys.<scope>]`.
pub fn scope_name(s: Scope) -> &'static str {
    match s {
        Scope::Global => "global",
        Scope::List => "list",
        Scope::Trace => "trace",
        Scope::Prompt => "prompt",
        Scope::Map => "map",
        Scope::Find => "find",
        Scope::Palette => "palette",
        Scope::Groups => "groups",
    }
}

fn scope_named(name: &str) -> Option<Scope> {
    [
        Scope::Global,
        Scope::List,
        Scope::Trace,
        Scope::Prompt,
        Scope::Map,
        Scope::Find,
        Scope::Palette,
        Scope::Groups,
    ]
    .into_iter()
    .find(|&s| scope_name(s) == name)
}

/// The name of an action in the config: its name in snake_case (`next_tab`, `filter_prompt`);
/// the details tabs are `tab_1` to `tab_8`, like their keys.
pub fn action_name(a: Action) -> String {
    if let Action::Tab(i) = a {
        return format!("tab_{}", u16::from(i) + 1);
    }
    let debug = format!("{a:?}");
    let mut out = String::new();
    for c in debug.chars().take_while(|c| c.is_alphanumeric()) {
        if c.is_uppercase() {
            if !out.is_empty() {
                out.push('_');
            }
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

/// A config key as a terminal key.
pub fn key_from_chord(k: KeyChord) -> Key {
    let code = match k.key {
        KeyName::Char(c) => KeyCode::Char(c),
        KeyName::Enter => KeyCode::Enter,
        KeyName::Esc => KeyCode::Esc,
        KeyName::Tab => KeyCode::Tab,
        KeyName::BackTab => KeyCode::BackTab,
        KeyName::Backspace => KeyCode::Backspace,
        KeyName::Delete => KeyCode::Delete,
        KeyName::Insert => KeyCode::Insert,
        KeyName::Up => KeyCode::Up,
        KeyName::Down => KeyCode::Down,
        KeyName::Left => KeyCode::Left,
        KeyName::Right => KeyCode::Right,
        KeyName::Home => KeyCode::Home,
        KeyName::End => KeyCode::End,
        KeyName::PageUp => KeyCode::PageUp,
        KeyName::PageDown => KeyCode::PageDown,
        KeyName::F(n) => KeyCode::F(n),
    };
    let mut mods = KeyModifiers::NONE;
    if k.ctrl {
        mods |= KeyModifiers::CONTROL;
    }
    if k.alt {
        mods |= KeyModifiers::ALT;
    }
    Key { code, mods }
}

/// How the help writes a key: like [`Key::label`], plus `Alt-` and function keys.
pub fn key_label(k: &Key) -> String {
    let base = match k.code {
        KeyCode::F(n) => format!("F{n}"),
        KeyCode::Insert => "Ins".into(),
        _ => Key {
            code: k.code,
            mods: k.mods & KeyModifiers::CONTROL,
        }
        .label(),
    };
    if k.mods.contains(KeyModifiers::ALT) {
        format!("Alt-{base}")
    } else {
        base
    }
}

impl Keymap {
    /// The built-in keys with the config's overrides; an unknown action or a key bound twice is
    /// an error naming the file, the table and the key.
    pub fn from_config(config: &Config) -> Result<Keymap, ConfigError> {
        let invalid = |message: String| ConfigError::Invalid {
            path: config.path.clone(),
            message,
        };
        let mut map = Keymap::default();
        // Which bindings the config changed: (index, the override's action name).
        let mut changed: Vec<(usize, String)> = Vec::new();
        for o in &config.key_overrides {
            let table = format!("[keys.{}]", o.scope);
            let Some(scope) = scope_named(&o.scope) else {
                return Err(invalid(format!("{table}: unknown scope `{}`", o.scope)));
            };
            let found: Vec<usize> = (0..map.bindings.len())
                .filter(|&i| {
                    let b = &map.bindings[i];
                    b.scope == scope && action_name(b.action) == o.action
                })
                .collect();
            if found.is_empty() {
                return Err(invalid(map.unknown_action(&table, scope, &o.action)));
            }
            let mut keys: Vec<Key> = Vec::new();
            for k in o.keys.iter().copied().map(key_from_chord) {
                if !keys.contains(&k) {
                    keys.push(k);
                }
            }
            for i in found {
                map.bindings[i].keys = keys.clone();
                changed.push((i, o.action.clone()));
            }
        }
        for (i, name) in &changed {
            map.check_clashes(*i, name).map_err(invalid)?;
        }
        Ok(map)
    }

    fn unknown_action(&self, table: &str, scope: Scope, name: &str) -> String {
        let mut here: Vec<String> = Vec::new();
        for b in self.bindings.iter().filter(|b| b.scope == scope) {
            let n = action_name(b.action);
            if !here.contains(&n) {
                here.push(n);
            }
        }
        let elsewhere: Vec<&str> = self
            .bindings
            .iter()
            .filter(|b| action_name(b.action) == name)
            .map(|b| scope_name(b.scope))
            .collect();
        if elsewhere.is_empty() {
            format!(
                "{table} {name}: unknown action `{name}` (actions here: {})",
                here.join(", ")
            )
        } else {
            format!(
                "{table} {name}: `{name}` has no binding in {table}; it is bound in {}",
                elsewhere
                    .iter()
                    .map(|s| format!("[keys.{s}]"))
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        }
    }

    /// A key the config gave binding `i` that another binding of its scope also has, or that a
    /// screen binding and a global binding would both claim (the screen's would shadow the
    /// global one there).
    fn check_clashes(&self, i: usize, name: &str) -> Result<(), String> {
        let b = &self.bindings[i];
        let table = format!("[keys.{}]", scope_name(b.scope));
        let screens = [Scope::List, Scope::Trace, Scope::Map];
        for k in b.keys.iter().filter(|k| !b.default_keys.contains(k)) {
            for (j, other) in self.bindings.iter().enumerate() {
                if j == i || other.action == b.action || !other.keys.contains(k) {
                    continue;
                }
                let shadows = (b.scope == Scope::Global && screens.contains(&other.scope))
                    || (other.scope == Scope::Global && screens.contains(&b.scope));
                if other.scope == b.scope || shadows {
                    let how = if other.scope == b.scope {
                        "is already bound to"
                    } else {
                        "would shadow or be shadowed by"
                    };
                    return Err(format!(
                        "{table} {name}: key `{}` {how} `{}` in [keys.{}]; rebind that one \
                         too or pick another key",
                        key_label(k),
                        action_name(other.action),
                        scope_name(other.scope)
                    ));
                }
            }
        }
        Ok(())
    }

    /// Every binding, in the help's order.
    pub fn bindings(&self) -> &[Bound] {
        &self.bindings
    }

    /// The action of a key within one scope only (no global fallback): the prompt uses it so
    /// that every other key types text.
    pub fn action_in(&self, scope: Scope, ev: &KeyEvent) -> Option<Action> {
        self.bindings
            .iter()
            .filter(|b| b.scope == scope)
            .find(|b| b.keys.iter().any(|k| k.matches(ev)))
            .map(|b| b.action)
    }

    /// The action a key asks for on a screen: the screen's own bindings first, then the global
    /// ones.
    pub fn action_for(&self, scope: Scope, ev: &KeyEvent) -> Option<Action> {
        self.action_in(scope, ev)
            .or_else(|| self.action_in(Scope::Global, ev))
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;

    fn keymap(toml: &str) -> Result<Keymap, String> {
        let c = Config::parse(toml, Path::new("/tmp/k.toml")).map_err(|e| e.to_string())?;
        Keymap::from_config(&c).map_err(|e| e.to_string())
    }

    fn press(c: KeyCode, m: KeyModifiers) -> KeyEvent {
        KeyEvent::new(c, m)
    }

    #[test]
    fn action_names_are_snake_case() {
        assert_eq!(action_name(Action::FilterPrompt), "filter_prompt");
        assert_eq!(action_name(Action::Quit), "quit");
        assert_eq!(action_name(Action::Tab(0)), "tab_1");
        assert_eq!(action_name(Action::OpenConsole), "open_console");
    }

    #[test]
    fn the_default_config_lists_every_action() {
        let text = crate::config::DEFAULT;
        for b in KEYMAP {
            let name = action_name(b.action);
            // `tab_1 ... tab_8` stands for the eight tab actions.
            if matches!(b.action, Action::Tab(_)) {
                assert!(text.contains("tab_1 ... tab_8"));
                continue;
            }
            let scope = scope_name(b.scope);
            let line = text
                .lines()
                .skip_while(|l| !l.starts_with("# Actions:"))
                .take_while(|l| l.starts_with('#'))
                .collect::<Vec<_>>()
                .join(" ");
            let line = line.replace("# ", "");
            let from = line.find(&format!("{scope}: ")).expect("scope listed") + scope.len() + 2;
            let section = line[from..].split(';').next().unwrap_or("");
            let listed: Vec<&str> = section
                .split(',')
                .map(|w| w.trim().trim_end_matches('.'))
                .collect();
            assert!(
                listed.contains(&name.as_str()),
                "default.toml does not list `{name}` under {scope}: {listed:?}"
            );
        }
    }

    #[test]
    fn the_defaults_are_the_static_table() {
        let k = Keymap::default();
        assert_eq!(k.bindings().len(), KEYMAP.len());
        let q = press(KeyCode::Char('q'), KeyModifiers::NONE);
        assert_eq!(k.action_for(Scope::List, &q), Some(Action::Quit));
        assert_eq!(k.action_for(Scope::Trace, &q), Some(Action::Back));
    }

    #[test]
    fn an_override_replaces_the_default_keys() {
        let k = keymap("[keys.list]\nopen = [\"enter\", \"l\"]\nsort_next = \"ctrl-s\"\n")
            .expect("valid");
        let l = press(KeyCode::Char('l'), KeyModifiers::NONE);
        assert_eq!(k.action_for(Scope::List, &l), Some(Action::Open));
        let s = press(KeyCode::Char('s'), KeyModifiers::NONE);
        assert_eq!(k.action_for(Scope::List, &s), None, "s is no longer bound");
        let cs = press(KeyCode::Char('s'), KeyModifiers::CONTROL);
        assert_eq!(k.action_for(Scope::List, &cs), Some(Action::SortNext));
        // Restating a default is fine, even where the default shadows a global key.
        keymap("[keys.global]\nquit = [\"q\", \"ctrl-c\"]\n").expect("defaults restated");
    }

    #[test]
    fn unknown_actions_and_clashes_name_the_file_table_and_key() {
        let e = keymap("[keys.list]\nopne = \"o\"\n").expect_err("unknown");
        assert!(e.contains("/tmp/k.toml"), "{e}");
        assert!(e.contains("[keys.list] opne"), "{e}");
        assert!(e.contains("unknown action"), "{e}");
        let e = keymap("[keys.list]\ntoggle = \"t\"\n").expect_err("wrong scope");
        assert!(e.contains("[keys.trace]"), "{e}");
        let e = keymap("[keys.list]\nsort_next = \"f\"\n").expect_err("duplicate");
        assert!(e.contains("[keys.list] sort_next"), "{e}");
        assert!(e.contains("`f`"), "{e}");
        assert!(e.contains("`filter`"), "{e}");
        let e = keymap("[keys.trace]\nexpand_all = \"r\"\n").expect_err("shadows reload");
        assert!(e.contains("`reload` in [keys.global]"), "{e}");
        let e = keymap("[keys.global]\nreload = \"e\"\n").expect_err("shadowed in trace");
        assert!(e.contains("`expand_all` in [keys.trace]"), "{e}");
        // Moving the other binding away first makes room.
        keymap("[keys.list]\nsort_next = \"f\"\nfilter = \"v\"\n").expect("swap");
    }
}
