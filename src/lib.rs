//! The `policy-check` command line: file selection, configuration and the
//! renderers. The analysis itself lives in the `policy-analyzer` crate.

pub mod cli;
pub mod config;
pub mod docs;
pub mod files;
pub mod fix;
pub mod glob;
pub mod render;
pub mod report;
pub mod run;
pub mod selector;
pub mod settings;
