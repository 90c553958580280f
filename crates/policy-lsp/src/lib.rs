//! policy-lsp: the language server for AWS KMS key policies.
//!
//! The server is a thin presentation layer over `policy_analyzer`: it keeps
//! the open documents, calls [`policy_analyzer::analyze`] (or, for a
//! CloudFormation template or a Terraform module, the host readers of
//! `policy_analyzer::host`) on every change and converts what comes back into
//! LSP types. It never analyses a policy itself; the editor features (hover,
//! completion, symbols) only *read* the analyzer's syntax tree, model and
//! catalogue to describe what is under the cursor, and in a host read the
//! policy the host renders.
//!
//! It is a library as well as a binary so that the benchmark can measure the
//! change-to-diagnostics path without a client.

pub mod analysis;
pub mod code_action;
pub mod completion;
pub mod convert;
pub mod cursor;
pub mod documents;
pub mod elements;
pub mod embedded;
pub mod hosts;
pub mod hover;
pub mod publisher;
pub mod separators;
pub mod server;
pub mod service_notes;
pub mod settings;
pub mod status;
pub mod symbols;
pub mod transport;

/// Serves LSP over stdin/stdout until the client sends `exit` or closes the
/// pipe; returns the exit status (0 after `shutdown`, else 1).
pub async fn run_stdio() -> i32 {
    transport::serve(tokio::io::stdin(), tokio::io::stdout()).await
}
