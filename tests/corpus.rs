//! An optional check over real public key policies, CloudFormation templates,
//! Terraform files and templates in `../shared/corpus/` (present on the
//! developers' and CI machines, absent elsewhere: the test then skips). Each
//! file is read the way the CLI reads it (`HostKind::detect`; a `.tf` as a
//! module of its own). It must analyse every file without a panic, and it
//! writes every finding to `target/corpus-report.txt`, with the text at its
//! range, so that false positives can be read and judged by a person.

use std::fmt::Write;
use std::path::Path;

use policy_analyzer::host::{self, HostFile, HostKind};
use policy_analyzer::{analyze_bytes, AnalyzeOptions, LineIndex, PositionEncoding, Severity};
use policy_check::files::FsLoader;

#[test]
fn corpus_files_are_analysed_and_reported() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus");
    let Ok(entries) = std::fs::read_dir(&dir) else {
        eprintln!("skipped: {} is absent", dir.display());
        return;
    };
    let mut paths: Vec<_> = entries
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| !p.ends_with("MANIFEST.tsv"))
        .collect();
    paths.sort();
    let options = AnalyzeOptions::default();
    let mut report = String::new();
    let mut counts = [0usize; 4];
    for path in &paths {
        let bytes = std::fs::read(path).unwrap();
        let text = String::from_utf8_lossy(&bytes).into_owned();
        let name = path.to_string_lossy().to_string();
        let (kind, diagnostics) = match HostKind::detect(&name, &text) {
            None => ("not checked".to_string(), Vec::new()),
            Some(HostKind::Policy) => (
                "policy".to_string(),
                analyze_bytes(&bytes, &options).diagnostics,
            ),
            Some(kind) => {
                let file = HostFile {
                    path: &name,
                    text: &text,
                };
                let analysis = host::analyze_file(kind, file, &FsLoader, &options);
                (
                    format!("{kind:?}, {} policies", analysis.policies),
                    analysis.diagnostics,
                )
            }
        };
        let index = LineIndex::new(&text);
        writeln!(
            report,
            "== {} ({kind})",
            path.file_name().unwrap().to_string_lossy()
        )
        .unwrap();
        for d in &diagnostics {
            counts[d.severity as usize] += 1;
            // A finding in another file (a template a module renders) shows
            // its file; the corpus's files stand alone, so there are none.
            let in_this_file = d.file.as_deref().is_none_or(|f| f == name);
            let (at, shown) = if in_this_file {
                let lc = index.line_col(&text, d.range.start as usize, PositionEncoding::Utf32);
                let shown: String = text
                    .get(d.range.start as usize..d.range.end as usize)
                    .unwrap_or("")
                    .chars()
                    .take(60)
                    .collect::<String>()
                    .replace('\n', "⏎");
                (format!("{}:{}", lc.line + 1, lc.col + 1), shown)
            } else {
                (
                    d.file.as_deref().unwrap_or_default().to_string(),
                    String::new(),
                )
            };
            writeln!(
                report,
                "  {at} {} {} {} `{shown}`: {}",
                d.severity, d.code, d.name, d.message
            )
            .unwrap();
        }
    }
    writeln!(
        report,
        "\n{} files: {} errors, {} warnings, {} info, {} hints",
        paths.len(),
        counts[Severity::Error as usize],
        counts[Severity::Warning as usize],
        counts[Severity::Info as usize],
        counts[Severity::Hint as usize]
    )
    .unwrap();
    let target = std::env::var("CARGO_TARGET_DIR")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|_| Path::new(env!("CARGO_MANIFEST_DIR")).join("target"));
    std::fs::create_dir_all(&target).unwrap();
    let out = target.join("corpus-report.txt");
    std::fs::write(&out, &report).unwrap();
    eprintln!("corpus report: {}", out.display());
    assert!(!paths.is_empty());
}
