//! An optional check over real public key policies in `../shared/corpus/`
//! (present on the developers' and CI machines, absent elsewhere: the test
//! then skips). It must analyse every file without a panic, and it writes
//! every finding to `target/corpus-report.txt` so that false positives can be
//! read and judged by a person.

use std::fmt::Write;
use std::path::Path;

use policy_analyzer::{analyze_bytes, AnalyzeOptions, LineIndex, PositionEncoding, Severity};

#[test]
fn corpus_policies_are_analysed_and_reported() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus");
    let Ok(entries) = std::fs::read_dir(&dir) else {
        eprintln!("skipped: {} is absent", dir.display());
        return;
    };
    let mut paths: Vec<_> = entries
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    paths.sort();
    let mut report = String::new();
    let mut counts = [0usize; 4];
    for path in &paths {
        let bytes = std::fs::read(path).unwrap();
        let analysis = analyze_bytes(&bytes, &AnalyzeOptions::default());
        let text = String::from_utf8_lossy(&bytes);
        let index = LineIndex::new(&text);
        writeln!(report, "== {}", path.file_name().unwrap().to_string_lossy()).unwrap();
        for d in &analysis.diagnostics {
            counts[d.severity as usize] += 1;
            let lc = index.line_col(&text, d.range.start as usize, PositionEncoding::Utf32);
            writeln!(
                report,
                "  {}:{} {} {} {}: {}",
                lc.line + 1,
                lc.col + 1,
                d.severity,
                d.code,
                d.name,
                d.message
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
    let out = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/corpus-report.txt");
    std::fs::create_dir_all(out.parent().unwrap()).unwrap();
    std::fs::write(&out, &report).unwrap();
    eprintln!("corpus report: {}", out.display());
    assert!(!paths.is_empty());
}
