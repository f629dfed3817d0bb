//! The key table as a runtime value: the built-in [`DEFAULTS`] with the config's
//! `[keys.<scope>]` overrides applied.
//!
//! `DEFAULTS` stays the one list of defaults (a binding added there just works, and shows in
//! the help); a [`Keymap`] is what the app handles keys with and what the help overlay draws,
//! so rebound keys are the keys the help shows. Building one checks what the TOML could not on
//! its own: that each scope and action name exists (by the names of [`Action::name`] and
//! [`Scope::name`]), that each key name parses, and that no key is bound twice in a scope or
//! shadows a global binding. Only keys the config introduces are checked, so a config that
//! restates a default never fails.
//!
//! The overrides come in as data ([`Overrides`], the `[keys]` tables as written), so this
//! module knows nothing of the config file; the config names the file in its messages.

use std::collections::BTreeMap;

use crossterm::event::KeyEvent;

use super::action::{Action, Scope};
use super::defaults::DEFAULTS;
use super::names::{Key, KeySpec, parse_key};

/// The `[keys]` tables as written: scope name -> action name -> keys.
pub type Overrides = BTreeMap<String, BTreeMap<String, KeySpec>>;

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
            .map(Key::label)
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
            bindings: DEFAULTS
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

impl Keymap {
    /// The built-in keys with the `[keys.<scope>]` overrides. An unknown scope, action or key
    /// name, or a key bound twice, is an error naming the table and the key (the caller adds
    /// the file).
    pub fn from_overrides(overrides: &Overrides) -> Result<Keymap, String> {
        // Scopes and key names first, for every table, then the actions.
        let mut parsed: Vec<(Scope, &str, Vec<Key>)> = Vec::new();
        for (scope_name, actions) in overrides {
            let Some(scope) = Scope::from_name(scope_name) else {
                let known: Vec<&str> = Scope::ALL.iter().map(|s| s.name()).collect();
                return Err(format!(
                    "[keys.{scope_name}]: unknown scope `{scope_name}` (scopes: {})",
                    known.join(", ")
                ));
            };
            for (action, spec) in actions {
                let mut keys: Vec<Key> = Vec::new();
                for written in spec.keys() {
                    let k = parse_key(written)
                        .map_err(|e| format!("[keys.{scope_name}] {action}: {e}"))?;
                    if !keys.contains(&k) {
                        keys.push(k);
                    }
                }
                parsed.push((scope, action.as_str(), keys));
            }
        }
        let mut map = Keymap::default();
        // Which bindings the config changed, with the override's action name.
        let mut changed: Vec<(usize, &str)> = Vec::new();
        for (scope, action, keys) in parsed {
            let found: Vec<usize> = (0..map.bindings.len())
                .filter(|&i| {
                    let b = &map.bindings[i];
                    b.scope == scope && b.action.name() == action
                })
                .collect();
            if found.is_empty() {
                return Err(map.unknown_action(scope, action));
            }
            for i in found {
                map.bindings[i].keys.clone_from(&keys);
                changed.push((i, action));
            }
        }
        for (i, name) in changed {
            map.check_clashes(i, name)?;
        }
        Ok(map)
    }

    fn unknown_action(&self, scope: Scope, name: &str) -> String {
        let table = format!("[keys.{}]", scope.name());
        let mut here: Vec<&str> = Vec::new();
        for b in self.bindings.iter().filter(|b| b.scope == scope) {
            let n = b.action.name();
            if !here.contains(&n) {
                here.push(n);
            }
        }
        let elsewhere: Vec<&str> = self
            .bindings
            .iter()
            .filter(|b| b.action.name() == name)
            .map(|b| b.scope.name())
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
        let table = format!("[keys.{}]", b.scope.name());
        for k in b.keys.iter().filter(|k| !b.default_keys.contains(k)) {
            for (j, other) in self.bindings.iter().enumerate() {
                if j == i || other.action == b.action || !other.keys.contains(k) {
                    continue;
                }
                let shadows = (b.scope == Scope::Global && other.scope.is_screen())
                    || (other.scope == Scope::Global && b.scope.is_screen());
                if other.scope == b.scope || shadows {
                    let how = if other.scope == b.scope {
                        "is already bound to"
                    } else {
                        "would shadow or be shadowed by"
                    };
                    return Err(format!(
                        "{table} {name}: key `{}` {how} `{}` in [keys.{}]; rebind that one \
                         too or pick another key",
                        k.label(),
                        other.action.name(),
                        other.scope.name()
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

    /// The action of a key within one scope only (no global fallback).
    pub fn action_in(&self, scope: Scope, ev: &KeyEvent) -> Option<Action> {
        self.bindings
            .iter()
            .filter(|b| b.scope == scope)
            .find(|b| b.keys.iter().any(|k| k.matches(ev)))
            .map(|b| b.action)
    }

    /// The action a key asks for in a scope: on a screen, the screen's own bindings first,
    /// then the global ones; in an input (prompt, find, palette, groups, window), its own
    /// bindings only, so that every other key types text.
    pub fn action_for(&self, scope: Scope, ev: &KeyEvent) -> Option<Action> {
        self.action_in(scope, ev).or_else(|| {
            if scope.is_screen() {
                self.action_in(Scope::Global, ev)
            } else {
                None
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use crossterm::event::{KeyCode, KeyModifiers};
    use serde::Deserialize;

    use super::*;

    /// Every config name, per scope, in the help's order. Users write these in
    /// `[keys.<scope>]`: renaming a variant must keep its name, so this list only ever grows
    /// (and `default.toml`, the README and this list change together).
    const PINNED: &[(&str, &[&str])] = &[
        (
            "global",
            &[
                "quit",
                "suspend",
                "help",
                "back",
                "reload",
                "follow",
                "window",
                "diagnostics",
                "up",
                "down",
                "page_up",
                "page_down",
                "top",
                "bottom",
                "palette",
                "groups",
            ],
        ),
        (
            "list",
            &[
                "open",
                "sort_next",
                "sort_reverse",
                "sort_time",
                "sort_id",
                "sort_method",
                "sort_path",
                "sort_status",
                "sort_duration",
                "sort_response",
                "sort_flags",
                "filter",
                "filter_prompt",
                "map",
                "analysis",
                "copy",
                "open_console",
                "export",
                "id_form",
            ],
        ),
        (
            "trace",
            &[
                "back",
                "toggle",
                "expand_all",
                "collapse_segments",
                "next_problem",
                "prev_problem",
                "root_cause",
                "critical_path",
                "hide_short",
                "hide_shorter_than",
                "trace_stats",
                "fold_runs",
                "fold_services",
                "zoom",
                "zoom_reset",
                "left",
                "right",
                "next_tab",
                "prev_tab",
                "tab_1",
                "tab_2",
                "tab_3",
                "tab_4",
                "tab_5",
                "tab_6",
                "tab_7",
                "tab_8",
                "tab_9",
                "follow_link",
                "related_logs",
                "details_down",
                "details_up",
                "map",
                "find",
                "find_next",
                "find_prev",
                "copy",
                "open_console",
                "export",
                "id_form",
            ],
        ),
        (
            "map",
            &[
                "back",
                "up",
                "down",
                "left",
                "right",
                "next_tab",
                "prev_tab",
                "next_edge",
                "next_problem",
                "open",
                "top",
                "fit",
                "panel",
                "analysis",
                "copy",
                "open_console",
                "export",
            ],
        ),
        (
            "analysis",
            &[
                "back", "analysis", "next_tab", "prev_tab", "tab_1", "tab_2", "tab_3", "tab_4",
                "tab_5", "open", "left", "right", "toggle",
            ],
        ),
        (
            "prompt",
            &[
                "prompt_apply",
                "prompt_cancel",
                "prompt_complete",
                "prompt_next_candidate",
                "prompt_prev_candidate",
                "prompt_history_prev",
                "prompt_history_next",
                "cursor_left",
                "cursor_right",
                "cursor_home",
                "cursor_end",
                "delete_back",
                "delete_forward",
                "delete_word",
                "clear_input",
                "quit",
            ],
        ),
        (
            "find",
            &[
                "prompt_apply",
                "prompt_cancel",
                "find_next",
                "find_prev",
                "delete_back",
                "delete_word",
                "clear_input",
                "quit",
            ],
        ),
        (
            "palette",
            &[
                "prompt_apply",
                "prompt_cancel",
                "up",
                "down",
                "page_up",
                "page_down",
                "delete_back",
                "delete_word",
                "clear_input",
                "quit",
            ],
        ),
        ("groups", &["up", "down", "open", "back", "quit"]),
        (
            "window",
            &[
                "prompt_apply",
                "prompt_cancel",
                "delete_back",
                "clear_input",
                "quit",
            ],
        ),
        ("help", &["quit"]),
    ];

    #[derive(Deserialize)]
    struct File {
        keys: Overrides,
    }

    fn keymap(toml: &str) -> Result<Keymap, String> {
        let file: File = toml::from_str(toml).map_err(|e| e.to_string())?;
        Keymap::from_overrides(&file.keys)
    }

    fn press(c: KeyCode, m: KeyModifiers) -> KeyEvent {
        KeyEvent::new(c, m)
    }

    /// The config names of every scope's actions, in the table's order, each once.
    fn names(map: &Keymap, scope: Scope) -> Vec<&'static str> {
        let mut out: Vec<&'static str> = Vec::new();
        for b in map.bindings().iter().filter(|b| b.scope == scope) {
            if !out.contains(&b.action.name()) {
                out.push(b.action.name());
            }
        }
        out
    }

    #[test]
    fn every_config_name_is_pinned() {
        let map = Keymap::default();
        let scopes: Vec<&str> = PINNED.iter().map(|(s, _)| *s).collect();
        let all: Vec<&str> = Scope::ALL.iter().map(|s| s.name()).collect();
        assert_eq!(scopes, all, "the scopes and their names");
        for (scope, pinned) in PINNED {
            let s = Scope::from_name(scope).expect("pinned scope");
            assert_eq!(
                &names(&map, s),
                pinned,
                "the action names of [keys.{scope}]"
            );
        }
    }

    #[test]
    fn every_pinned_name_is_accepted_in_its_scope() {
        for (scope, pinned) in PINNED {
            for name in *pinned {
                // No keys: unbinding clashes with nothing, so only the names are checked.
                let toml = format!("[keys.{scope}]\n{name} = []\n");
                let map = keymap(&toml).unwrap_or_else(|e| panic!("{toml}: {e}"));
                assert!(
                    map.bindings()
                        .iter()
                        .any(|b| b.scope.name() == *scope && b.keys.is_empty()),
                    "{toml} unbinds"
                );
            }
        }
        // A name is only good in a scope that has it.
        assert!(
            keymap(
                "[keys.groups]
prompt_apply = \"enter\"\n"
            )
            .is_err()
        );
    }

    #[test]
    fn screen_bindings_win_over_global_ones() {
        let k = Keymap::default();
        assert_eq!(k.bindings().len(), DEFAULTS.len());
        let q = press(KeyCode::Char('q'), KeyModifiers::NONE);
        assert_eq!(k.action_for(Scope::List, &q), Some(Action::Quit));
        assert_eq!(k.action_for(Scope::Trace, &q), Some(Action::Back));
        let g = press(KeyCode::Char('G'), KeyModifiers::SHIFT);
        assert_eq!(k.action_for(Scope::List, &g), Some(Action::Bottom));
    }

    #[test]
    fn ctrl_c_quits_in_every_scope_and_q_types_in_inputs() {
        let k = Keymap::default();
        let ctrl_c = press(KeyCode::Char('C'), KeyModifiers::CONTROL);
        let q = press(KeyCode::Char('q'), KeyModifiers::NONE);
        for scope in Scope::ALL {
            let quit = k.action_for(scope, &ctrl_c);
            assert_eq!(quit, Some(Action::Quit), "Ctrl-C in {}", scope.name());
        }
        for scope in [Scope::Prompt, Scope::Find, Scope::Palette, Scope::Window] {
            assert_eq!(k.action_for(scope, &q), None, "q types in {}", scope.name());
        }
    }

    #[test]
    fn no_key_is_bound_twice_in_one_scope() {
        for (i, a) in DEFAULTS.iter().enumerate() {
            for b in &DEFAULTS[i + 1..] {
                if a.scope == b.scope {
                    for k in a.keys {
                        assert!(!b.keys.contains(k), "{} bound twice", k.label());
                    }
                }
            }
        }
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
    fn the_inputs_scopes_take_overrides() {
        let k = keymap(
            "[keys.palette]\nup = \"ctrl-k\"\n[keys.find]\nfind_next = \"tab\"\n\
             [keys.groups]\nopen = \"o\"\n[keys.window]\nquit = \"ctrl-q\"\n",
        )
        .expect("valid");
        let ck = press(KeyCode::Char('k'), KeyModifiers::CONTROL);
        assert_eq!(k.action_in(Scope::Palette, &ck), Some(Action::Up));
        let tab = press(KeyCode::Tab, KeyModifiers::NONE);
        assert_eq!(k.action_in(Scope::Find, &tab), Some(Action::FindNext));
        let o = press(KeyCode::Char('o'), KeyModifiers::NONE);
        assert_eq!(k.action_in(Scope::Groups, &o), Some(Action::Open));
        let ctrl_c = press(KeyCode::Char('c'), KeyModifiers::CONTROL);
        assert_eq!(k.action_in(Scope::Window, &ctrl_c), None);
        assert_eq!(k.action_in(Scope::Prompt, &ctrl_c), Some(Action::Quit));
    }

    #[test]
    fn unknown_names_and_clashes_name_the_table_and_key() {
        let e = keymap("[keys.lists]\nopen = \"o\"\n").expect_err("scope");
        assert!(e.contains("[keys.lists]"), "{e}");
        assert!(
            e.contains("global, list, trace, map, analysis, prompt, find"),
            "{e}"
        );
        let e = keymap("[keys.list]\nopen = [\"o\", \"ctrl-\"]\n").expect_err("key");
        assert!(e.contains("[keys.list] open"), "{e}");
        assert!(e.contains("ctrl-"), "{e}");
        let e = keymap("[keys.list]\nopne = \"o\"\n").expect_err("unknown");
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
        let e = keymap("[keys.palette]\nup = \"ctrl-n\"\n").expect_err("duplicate in palette");
        assert!(e.contains("`down` in [keys.palette]"), "{e}");
        // Moving the other binding away first makes room.
        keymap("[keys.list]\nsort_next = \"f\"\nfilter = \"v\"\n").expect("swap");
    }
}
