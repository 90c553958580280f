//! `policy-check FILE...`: checks AWS KMS key policies.

use std::io::{IsTerminal, Write};
use std::process::ExitCode;

use policy_analyzer::{analyze_bytes, AnalyzeOptions, Severity};

fn main() -> ExitCode {
    let paths: Vec<String> = std::env::args().skip(1).collect();
    if paths.is_empty() {
        eprintln!("usage: policy-check FILE...");
        return ExitCode::from(2);
    }
    let options = AnalyzeOptions::default();
    let color = std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none();
    let mut found = false;
    let mut io_error = false;
    let mut stdout = std::io::stdout().lock();
    for path in &paths {
        let bytes = match std::fs::read(path) {
            Ok(b) => b,
            Err(e) => {
                eprintln!("error: cannot read {path}: {e}");
                io_error = true;
                continue;
            }
        };
        let analysis = analyze_bytes(&bytes, &options);
        found |= analysis
            .diagnostics
            .iter()
            .any(|d| d.severity >= Severity::Warning);
        let text = String::from_utf8_lossy(&bytes);
        let rendered =
            policy_check::render::human::render(path, &text, &analysis.diagnostics, color, 100);
        let _ = stdout.write_all(rendered.as_bytes());
    }
    if io_error {
        ExitCode::from(2)
    } else if found {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}
