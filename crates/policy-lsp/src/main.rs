//! `policy-lsp`: the language server binary. It speaks LSP over stdio; every
//! editor starts it the same way (see crates/policy-lsp/README.md).

// Each analysis makes many small, short-lived allocations; mimalloc serves
// them several times faster than the system allocator (see the CLI's main).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    let mut args = std::env::args().skip(1);
    if let Some(arg) = args.next() {
        match arg.as_str() {
            "--version" | "-V" => {
                println!("policy-lsp {}", env!("CARGO_PKG_VERSION"));
                return;
            }
            "--help" | "-h" => {
                println!(
                    "policy-lsp {}\nLanguage server for AWS KMS key policies.\n\n\
                     Usage: policy-lsp [--stdio]\n\n\
                     Speaks the Language Server Protocol over stdin/stdout. Start it from your\n\
                     editor's LSP client; see the README for VS Code, Neovim and Helix.",
                    env!("CARGO_PKG_VERSION")
                );
                return;
            }
            // Some clients (vscode-languageclient's `TransportKind.stdio`) pass
            // `--stdio`; stdio is the only transport, so it is accepted and ignored.
            "--stdio" => {}
            other => {
                eprintln!("policy-lsp: unknown argument `{other}` (try --help)");
                std::process::exit(2);
            }
        }
    }
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(err) => {
            eprintln!("policy-lsp: cannot start the async runtime: {err}");
            std::process::exit(1);
        }
    };
    let status = runtime.block_on(policy_lsp::run_stdio());
    // Not through the runtime's drop, which would wait for an analysis still
    // running on a blocking thread.
    std::process::exit(status);
}
