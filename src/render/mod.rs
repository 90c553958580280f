//! Turning diagnostics into output. Line and column numbers exist only here.

pub mod human;
