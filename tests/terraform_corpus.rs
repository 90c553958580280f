//! An optional run of the Terraform reader over the Terraform files and
//! templates in `../shared/corpus/` (skipped where it is absent): each `.tf`
//! is read as a module of its own, each `.tpl` as a template met alone.
//! Nothing may panic; every finding is written to
//! `target/terraform-corpus-report.txt` (and printed with `--nocapture`)
//! for a person to judge.

use std::fmt::Write;
use std::path::Path;

use policy_analyzer::host::{terraform, HostFile};
use policy_analyzer::{AnalyzeOptions, LineIndex, PositionEncoding};
use policy_check::files::FsLoader;

#[test]
fn terraform_corpus_is_analysed_and_reported() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus");
    let Ok(entries) = std::fs::read_dir(&dir) else {
        eprintln!("skipped: {} is absent", dir.display());
        return;
    };
    let mut paths: Vec<_> = entries
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| {
            let name = p.to_string_lossy();
            name.ends_with(".tf") || name.ends_with(".tpl")
        })
        .collect();
    paths.sort();
    let options = AnalyzeOptions::default();
    let mut report = String::new();
    for path in &paths {
        let text = std::fs::read_to_string(path).unwrap();
        let name = path.to_string_lossy().to_string();
        let file = HostFile {
            path: &name,
            text: &text,
        };
        let analysis = if name.ends_with(".tf") {
            terraform::analyze_module(&[file], &FsLoader, &options)
        } else {
            terraform::analyze_template(file, &options)
        };
        let index = LineIndex::new(&text);
        writeln!(
            report,
            "== {} ({} policies)",
            path.file_name().unwrap().to_string_lossy(),
            analysis.policies
        )
        .unwrap();
        for d in &analysis.diagnostics {
            let lc = index.line_col(&text, d.range.start as usize, PositionEncoding::Utf32);
            let shown = text
                .get(d.range.start as usize..d.range.end as usize)
                .unwrap_or("")
                .chars()
                .take(60)
                .collect::<String>()
                .replace('\n', "⏎");
            writeln!(
                report,
                "  {}:{} {} {} `{}`: {}",
                lc.line + 1,
                lc.col + 1,
                d.severity.as_str(),
                d.code,
                shown,
                d.message
            )
            .unwrap();
        }
    }
    let target = std::env::var("CARGO_TARGET_DIR")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|_| Path::new(env!("CARGO_MANIFEST_DIR")).join("target"));
    let _ = std::fs::create_dir_all(&target);
    std::fs::write(target.join("terraform-corpus-report.txt"), &report).unwrap();
    println!("{report}");
}
