//! Keys: the actions a key can ask for, the default bindings, the runtime keymap with the
//! config's overrides, and key names.
//!
//! One module because these used to be three files in two folders whose parts had to agree:
//! the default table, the runtime keymap and the key-name parser. Here:
//!
//! - [`action`]: [`Action`] and [`Scope`], each with the explicit, stable name the config
//!   writes it with (never derived from `Debug`, so renaming a variant cannot silently break a
//!   user's `[keys.<scope>]` table; a test in [`keymap`] pins every name);
//! - [`defaults`]: the built-in bindings, in the help's order;
//! - [`keymap`]: the runtime [`Keymap`], the defaults with the config's overrides applied and
//!   checked; the app handles keys with it and the help overlay draws it;
//! - [`names`]: [`Key`], and key names as written (`ctrl-p`) and shown (`Ctrl-P`).
//!
//! Ctrl-C is an ordinary binding: `quit` in `[keys.global]` for the screens, in every input's
//! own scope (prompt, find, palette, groups, window), whose other keys type text, and in the
//! help's (whose other keys are the screen's: motions scroll it, `q`, `?` and Esc close it).
//!
//! This module does not know the config file: [`Keymap::from_overrides`] takes the `[keys]`
//! tables as data, and the config (which uses [`names`]) adds the file to its messages.

pub mod action;
pub mod defaults;
pub mod keymap;
pub mod names;

pub use action::{Action, Scope};
pub use keymap::{Keymap, Overrides};
pub use names::Key;
