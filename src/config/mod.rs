//! The configuration file: saved filters, local groups, key bindings, theme colours and
//! defaults for the AWS source, read strictly.
//!
//! Strict because a typo in a config file that is silently ignored costs more time than an
//! error: unknown keys, wrong types and filter expressions that do not parse are errors that
//! name the file and the key. The embedded default (`default.toml`) documents every key and is
//! what `--print-default-config` prints; a user file replaces it.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::filter;
use crate::keys::{Keymap, Overrides};
use crate::model::Group;

pub mod theme;

/// The embedded default configuration.
pub const DEFAULT: &str = include_str!("default.toml");

/// The configuration.
#[derive(Debug, Clone, PartialEq, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Saved filters: name -> X-Ray filter expression, used as `@name`.
    #[serde(default)]
    pub filters: BTreeMap<String, String>,
    /// Local groups: a name and a filter expression.
    #[serde(default)]
    pub groups: Vec<LocalGroup>,
    /// `[keys.<scope>]` tables as written (checked into [`Config::keymap`]).
    #[serde(default)]
    pub keys: Overrides,
    /// `[theme]` as written (checked into [`Config::colours`]).
    #[serde(default)]
    pub theme: BTreeMap<String, String>,
    /// `[defaults]`: the AWS source's time window, region and profile when the command line
    /// gives none.
    #[serde(default)]
    pub defaults: Defaults,
    /// The keys: the built-in bindings with the `[keys]` overrides, checked (scope, action and
    /// key names, keys bound twice).
    #[serde(skip)]
    pub keymap: Keymap,
    /// The theme, checked.
    #[serde(skip)]
    pub colours: theme::Theme,
    /// The file this was read from, for messages (`(default config)` for the embedded one).
    #[serde(skip)]
    pub path: PathBuf,
}

/// `[defaults]`: used when the command line does not say.
#[derive(Debug, Clone, PartialEq, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Defaults {
    /// The time window to load, like `--since` (`15m`, `2h`, `1d`).
    pub since: Option<String>,
    /// The AWS region, like `--region`.
    pub region: Option<String>,
    /// The AWS profile, like `--profile`.
    pub profile: Option<String>,
}

impl Defaults {
    /// `since` in seconds (checked when the config was read).
    pub fn since_seconds(&self) -> Option<f64> {
        self.since
            .as_deref()
            .and_then(|s| crate::model::window::parse_since(s).ok())
    }

    fn check(&self) -> Result<(), String> {
        if let Some(s) = &self.since {
            crate::model::window::parse_since(s).map_err(|e| format!("defaults.since: {e}"))?;
        }
        if let Some(r) = &self.region {
            let ok = !r.is_empty()
                && r.chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
            if !ok {
                return Err(format!(
                    "defaults.region: `{r}` is not a region name (like eu-west-1)"
                ));
            }
        }
        if self.profile.as_deref().is_some_and(|p| p.trim().is_empty()) {
            return Err("defaults.profile: empty profile name".into());
        }
        Ok(())
    }
}

/// A group defined in the config.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LocalGroup {
    /// The group name, for `group.name = "..."`.
    pub name: String,
    /// Its filter expression.
    pub filter: String,
}

/// Where a config stops being UTF-8: `line L, column C: ...` (the column counts characters).
fn not_utf8(bytes: &[u8], valid_up_to: usize) -> String {
    let good = String::from_utf8_lossy(&bytes[..valid_up_to.min(bytes.len())]);
    let line = good.matches('\n').count() + 1;
    let column = good.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    format!("line {line}, column {column}: the file is not UTF-8 text (TOML must be UTF-8)")
}

/// Why the configuration could not be used.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file named on the command line or in `XRAY_TUI_CONFIG` cannot be read.
    #[error("cannot read config {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// Not valid TOML, an unknown key, a wrong type.
    #[error("config {path}: {message}")]
    Invalid {
        /// The file.
        path: PathBuf,
        /// What and where (line, column, key).
        message: String,
    },
    /// A saved filter or a group's filter does not parse.
    #[error("config {path}: {key}: bad filter expression:\n{rendered}")]
    BadFilter {
        /// The file.
        path: PathBuf,
        /// `filters.NAME` or `groups[N].filter`.
        key: String,
        /// The expression with the caret and the message.
        rendered: String,
    },
}

impl Config {
    /// Parses and validates a configuration; `path` names it in errors.
    pub fn parse(text: &str, path: &Path) -> Result<Config, ConfigError> {
        let mut config: Config = toml::from_str(text).map_err(|e| ConfigError::Invalid {
            path: path.to_owned(),
            message: e.to_string().trim_end().to_owned(),
        })?;
        let invalid = |message: String| ConfigError::Invalid {
            path: path.to_owned(),
            message,
        };
        config.keymap = Keymap::from_overrides(&config.keys).map_err(invalid)?;
        config.colours = theme::Theme::from_table(&config.theme).map_err(invalid)?;
        config.defaults.check().map_err(invalid)?;
        config.path = path.to_owned();
        for (name, expr) in &config.filters {
            check(expr, path, format!("filters.{name}"))?;
        }
        for (i, g) in config.groups.iter().enumerate() {
            check(&g.filter, path, format!("groups[{i}].filter ({})", g.name))?;
        }
        Ok(config)
    }

    /// Loads the configuration: `explicit` (from `--config`), else `$XRAY_TUI_CONFIG`, else the
    /// platform file if it exists, else the embedded default.
    pub fn load(explicit: Option<&Path>) -> Result<Config, ConfigError> {
        let named = explicit
            .map(Path::to_path_buf)
            .or_else(|| std::env::var_os("XRAY_TUI_CONFIG").map(PathBuf::from));
        let path = match named {
            Some(p) => p,
            None => match default_path().filter(|p| p.exists()) {
                Some(p) => p,
                None => return Config::parse(DEFAULT, Path::new("(default config)")),
            },
        };
        let bytes = std::fs::read(&path).map_err(|source| ConfigError::Read {
            path: path.clone(),
            source,
        })?;
        let text = String::from_utf8(bytes).map_err(|e| ConfigError::Invalid {
            path: path.clone(),
            message: not_utf8(e.as_bytes(), e.utf8_error().valid_up_to()),
        })?;
        Config::parse(&text, &path)
    }

    /// The local groups as X-Ray groups.
    pub fn groups(&self) -> Vec<Group> {
        self.groups
            .iter()
            .map(|g| Group {
                group_name: g.name.clone(),
                filter_expression: Some(g.filter.clone()),
                ..Group::default()
            })
            .collect()
    }

    /// Expands `@name` to the saved filter's expression; other text is returned as it is.
    pub fn expand<'a>(&'a self, expr: &'a str) -> Result<&'a str, String> {
        match expr.trim().strip_prefix('@') {
            Some(name) => self
                .filters
                .get(name.trim())
                .map(String::as_str)
                .ok_or_else(|| {
                    let known: Vec<&str> = self.filters.keys().map(String::as_str).collect();
                    if known.is_empty() {
                        format!("no saved filter named `{name}` (the config has none)")
                    } else {
                        format!(
                            "no saved filter named `{name}`; saved: {}",
                            known.join(", ")
                        )
                    }
                }),
            None => Ok(expr),
        }
    }
}

fn check(expr: &str, path: &Path, key: String) -> Result<(), ConfigError> {
    filter::parse(expr)
        .map(drop)
        .map_err(|e| ConfigError::BadFilter {
            path: path.to_owned(),
            key,
            rendered: e.render(expr),
        })
}

/// The platform's config file: `~/.config/xray-tui/config.toml` on Linux.
pub fn default_path() -> Option<PathBuf> {
    directories::ProjectDirs::from("", "", "xray-tui").map(|d| d.config_dir().join("config.toml"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_config_that_is_not_utf8_says_where() {
        let bytes = b"[filters]\nslow = \"\xff\xfe\"\n";
        let e = String::from_utf8(bytes.to_vec()).expect_err("not UTF-8");
        assert_eq!(
            not_utf8(e.as_bytes(), e.utf8_error().valid_up_to()),
            "line 2, column 9: the file is not UTF-8 text (TOML must be UTF-8)"
        );
    }

    #[test]
    fn the_default_config_is_valid() {
        let c = Config::parse(DEFAULT, Path::new("default")).expect("valid");
        assert_eq!(
            c.filters.get("slow").map(String::as_str),
            Some("responsetime > 1")
        );
    }

    #[test]
    fn unknown_keys_name_the_file_and_the_key() {
        let e = Config::parse(
            "[filters]\nslow = \"duration > 1\"\n[colours]\nx = 1\n",
            Path::new("/tmp/c.toml"),
        )
        .expect_err("unknown table");
        let msg = e.to_string();
        assert!(msg.contains("/tmp/c.toml"), "{msg}");
        assert!(msg.contains("colours"), "{msg}");
        let e = Config::parse(
            "[[groups]]\nname = \"a\"\nfiltr = \"ok\"\n",
            Path::new("c.toml"),
        )
        .expect_err("unknown key");
        assert!(e.to_string().contains("filtr"), "{e}");
    }

    #[test]
    fn a_bad_saved_filter_shows_the_caret() {
        let e = Config::parse("[filters]\nx = \"responstime > 1\"\n", Path::new("c.toml"))
            .expect_err("bad filter");
        let msg = e.to_string();
        assert!(msg.contains("filters.x"), "{msg}");
        assert!(msg.contains("^^^^^^^^^^^"), "{msg}");
        assert!(msg.contains("responsetime"), "{msg}");
    }

    #[test]
    fn theme_and_defaults_are_checked_naming_the_file_and_key() {
        let c = Config::parse(
            "[theme]\nfault = \"#ff0000\"\nselection = \"236\"\n[defaults]\nsince = \"30m\"\n\
             region = \"eu-west-1\"\nprofile = \"dev\"\n",
            Path::new("c.toml"),
        )
        .expect("valid");
        assert_eq!(
            c.colours.get(theme::Role::Fault),
            Some(theme::Colour::Rgb(255, 0, 0))
        );
        assert_eq!(c.defaults.since_seconds(), Some(1800.0));
        assert_eq!(c.defaults.region.as_deref(), Some("eu-west-1"));
        let err = |text: &str| {
            Config::parse(text, Path::new("/etc/x.toml"))
                .expect_err(text)
                .to_string()
        };
        let e = err("[theme]\nfault = \"#ff00\"\n");
        assert!(
            e.contains("/etc/x.toml") && e.contains("theme.fault"),
            "{e}"
        );
        assert!(e.contains("#rrggbb"), "{e}");
        let e = err("[theme]\nfaults = \"red\"\n");
        assert!(
            e.contains("theme.faults") && e.contains("unknown colour role"),
            "{e}"
        );
        let e = err("[defaults]\nsince = \"15x\"\n");
        assert!(e.contains("defaults.since"), "{e}");
        let e = err("[defaults]\nregion = \"EU West\"\n");
        assert!(e.contains("defaults.region"), "{e}");
        let e = err("[defaults]\nsnice = \"15m\"\n");
        assert!(e.contains("snice"), "{e}");
        let e = err("[keys.list]\nopen = \"ctrl-enterr\"\n");
        assert!(
            e.contains("[keys.list] open") && e.contains("ctrl-enterr"),
            "{e}"
        );
    }

    #[test]
    fn key_errors_name_the_file_and_the_table() {
        let err = |text: &str| {
            Config::parse(text, Path::new("/tmp/k.toml"))
                .expect_err(text)
                .to_string()
        };
        let e = err("[keys.list]\nopne = \"o\"\n");
        assert!(e.contains("/tmp/k.toml"), "{e}");
        assert!(e.contains("[keys.list] opne: unknown action"), "{e}");
        let e = err("[keys.lists]\nopen = \"o\"\n");
        assert!(
            e.contains("/tmp/k.toml") && e.contains("unknown scope"),
            "{e}"
        );
        let e = err("[keys.groups]\nup = \"j\"\n");
        assert!(e.contains("`down` in [keys.groups]"), "{e}");
    }

    #[test]
    fn the_keys_of_the_config_are_its_keymap() {
        use crate::keys::{Action, Scope};
        use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
        let c = Config::parse("[keys.find]\nfind_next = \"tab\"\n", Path::new("c.toml"))
            .expect("valid");
        let tab = KeyEvent::new(KeyCode::Tab, KeyModifiers::NONE);
        assert_eq!(
            c.keymap.action_in(Scope::Find, &tab),
            Some(Action::FindNext)
        );
        let d = Config::parse(DEFAULT, Path::new("default")).expect("valid");
        assert_eq!(d.keymap, Keymap::default());
    }

    /// `default.toml` lists every action of every scope by its config name.
    #[test]
    fn the_default_config_lists_every_action() {
        let comment = DEFAULT
            .lines()
            .skip_while(|l| !l.starts_with("# Actions:"))
            .take_while(|l| l.starts_with('#'))
            .map(|l| l.trim_start_matches('#').trim())
            .collect::<Vec<_>>()
            .join(" ");
        let comment = comment.trim_start_matches("Actions:").trim_end_matches('.');
        let mut listed: Vec<(String, Vec<String>)> = Vec::new();
        for part in comment.split(';') {
            let (scope, actions) = part.split_once(':').expect("scope: actions");
            let mut names = Vec::new();
            for a in actions.split(',').map(str::trim) {
                if a == "tab_1 ... tab_9" {
                    names.extend((1..=9).map(|i| format!("tab_{i}")));
                } else {
                    names.push(a.to_owned());
                }
            }
            listed.push((scope.trim().to_owned(), names));
        }
        let map = Keymap::default();
        let mut expected: Vec<(String, Vec<String>)> = Vec::new();
        for scope in crate::keys::Scope::ALL {
            let mut names: Vec<String> = Vec::new();
            for b in map.bindings().iter().filter(|b| b.scope == scope) {
                if !names.iter().any(|n| n == b.action.name()) {
                    names.push(b.action.name().to_owned());
                }
            }
            expected.push((scope.name().to_owned(), names));
        }
        assert_eq!(listed, expected);
        for scope in crate::keys::Scope::ALL {
            let table = format!("[keys.{}]", scope.name());
            assert!(DEFAULT.contains(&table), "default.toml names {table}");
        }
    }

    /// The README's configuration example is a valid config, and the scopes it lists are the
    /// scopes there are.
    #[test]
    fn the_readme_config_parses_and_lists_every_scope() {
        let readme = include_str!("../../README.md");
        let section = &readme[readme.find("## Configuration").expect("section")..];
        let start = section.find("```toml\n").expect("toml block") + "```toml\n".len();
        let block = &section[start..];
        let block = &block[..block.find("```").expect("block end")];
        let c = Config::parse(block, Path::new("README.md"))
            .unwrap_or_else(|e| panic!("the README's example: {e}"));
        assert!(c.keys.contains_key("palette"));
        let line = block
            .lines()
            .find_map(|l| l.split_once("# rebind keys per scope: "))
            .map(|(_, scopes)| scopes)
            .expect("the scopes comment");
        let listed: Vec<&str> = line.split(',').map(str::trim).collect();
        let all: Vec<&str> = crate::keys::Scope::ALL.iter().map(|s| s.name()).collect();
        assert_eq!(listed, all);
        for scope in listed {
            Config::parse(&format!("[keys.{scope}]\n"), Path::new("README.md"))
                .unwrap_or_else(|e| panic!("[keys.{scope}]: {e}"));
        }
    }

    #[test]
    fn at_names_expand_to_saved_filters() {
        let c = Config::parse(DEFAULT, Path::new("default")).expect("valid");
        assert_eq!(c.expand("@slow"), Ok("responsetime > 1"));
        assert_eq!(c.expand("fault"), Ok("fault"));
        let e = c.expand("@nope").expect_err("unknown");
        assert!(e.contains("failing, slow, throttled"), "{e}");
    }
}
