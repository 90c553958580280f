//! The `policy-check` command line: file selection, configuration and the
//! renderers. The analysis itself lives in the `policy-analyzer` crate.

pub mod baseline;
pub mod cli;
pub mod docs;
pub mod files;
pub mod fix;
pub mod render;
pub mod report;
pub mod run;
pub mod service_docs;
pub mod test_rules;

// The configuration is the workspace crate's, shared with the language server.
pub use policy_workspace::{config, glob, selector, settings};
