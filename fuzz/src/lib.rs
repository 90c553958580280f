//! What every fuzz target checks, shared so that each new target (a reader
//! for CloudFormation or Terraform, say) asks the same questions of its
//! diagnostics. A broken invariant panics with what broke, which libFuzzer
//! reports as a crash with the input that caused it.

pub mod hosts;
pub mod invariants;
pub mod reference;
