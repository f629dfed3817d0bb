//! xray-tui: AWS X-Ray traces in the terminal, from AWS, files, or a local daemon.
//!
//! The layers, top to bottom (`docs/architecture.md` has the map and the rules, which
//! `tests/architecture.rs` enforces):
//!
//! - [`cli`]: the command line and the headless commands; nothing imports it.
//! - [`runtime`]: the terminal and the event loop; routes the app's commands to the source.
//! - [`app`] (state and its pure `update`), [`ui`] (drawing), [`config`] (the TOML file).
//! - [`source`]: files, AWS and the local daemon behind one seam.
//! - [`filter`], [`engine`], [`model`]: the core; no source, no UI, no CLI.

pub mod app;
pub mod cli;
pub mod config;
pub mod engine;
pub mod filter;
pub mod keys;
pub mod model;
pub mod paths;
pub mod runtime;
pub mod source;
pub mod ui;
