//! policy-workspace: what `policy-check.toml` says, for the CLI and the
//! language server alike.
//!
//! Both front ends ask this crate the same questions, so that they cannot
//! disagree about a project: which config governs a file ([`Discovery`]),
//! which files a walk checks and which it skips ([`Settings::includes`],
//! [`Settings::excludes`]), which rules run on a file with which severity
//! and service profile ([`Settings::options_for`]), and which findings the
//! user accepted, with a reason ([`suppress`]).
//!
//! The reader has two modes ([`Mode`]): the CLI reads strictly and refuses a
//! config with any problem; the server reads leniently, skipping what it
//! does not know (a key or rule of a newer version) with a warning, so that
//! an editor keeps working while the file is edited.

pub mod config;
pub mod glob;
pub mod packs;
pub mod selector;
pub mod settings;
pub mod suppress;
mod toml_tree;

pub use config::{Config, ConfigError, Mode, FILE_NAME};
pub use glob::Globs;
pub use settings::{ConfigInUse, Discovery, Overrides, Settings};
