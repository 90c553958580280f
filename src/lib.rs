//! The `policy-check` command line: file selection, configuration and the
//! renderers. The analysis itself lives in the `policy-analyzer` crate.

pub mod render;
