//! xray-tui: AWS X-Ray traces in the terminal, from AWS, files, or a local daemon.
//!
//! The core (`model`, `engine`, `source`, `report`) has no terminal dependency, so the headless
//! commands, the TUI and the tests share it.

pub mod app;
pub mod cli;
pub mod config;
pub mod daemon;
pub mod demo;
pub mod effects;
pub mod engine;
pub mod filter;
pub mod headless;
pub mod keys;
pub mod logging;
pub mod model;
pub mod paths;
pub mod report;
pub mod source;
pub mod tui;
pub mod ui;
