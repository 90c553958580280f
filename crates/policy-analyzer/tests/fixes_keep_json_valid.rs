//! Every fix the structure and actions packs offer on their fixtures, applied
//! on its own, leaves a document with no more syntax errors than before.

use std::path::Path;

use policy_analyzer::{analyze, syntax, AnalyzeOptions};

fn fixtures(pack: &str) -> Vec<std::path::PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../fixtures")
        .join(pack);
    let mut files = Vec::new();
    for rule in std::fs::read_dir(root).expect("fixture folder") {
        for file in std::fs::read_dir(rule.unwrap().path()).unwrap() {
            let path = file.unwrap().path();
            if path.extension().is_some_and(|e| e == "json") {
                files.push(path);
            }
        }
    }
    files.sort();
    files
}

#[test]
fn fixes_never_break_the_json() {
    let mut applied = 0;
    for path in fixtures("structure").into_iter().chain(fixtures("actions")) {
        let text = std::fs::read_to_string(&path).unwrap();
        let before = syntax::parse(&text).errors.len();
        let analysis = analyze(&text, &AnalyzeOptions::default());
        for d in &analysis.diagnostics {
            if !(d.code.starts_with("PC1") || d.code.starts_with("PC2")) {
                continue;
            }
            let Some(fix) = &d.fix else { continue };
            let fixed = fix.apply(&text);
            let after = syntax::parse(&fixed).errors;
            assert!(
                after.len() <= before,
                "{}: the fix of {} at {:?} ({}) breaks the JSON:\n{fixed}\n{after:?}",
                path.display(),
                d.code,
                d.range,
                fix.title
            );
            applied += 1;
        }
    }
    assert!(
        applied > 40,
        "expected the fixtures to exercise many fixes, got {applied}"
    );
}
