//! `--fix` and `--diff` end to end, over copies of every fixture and
//! example: every written file still reads, no finding with an applicable
//! fix remains, a second `--fix` changes nothing, `--diff` prints exactly
//! what `--fix` writes, and standard input's fixed text goes to standard
//! output.

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use common::{json, run, Scratch};

/// Copies the repository's fixtures and examples into `to`.
fn copy_tree(from: &Path, to: &Path) {
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            std::fs::create_dir_all(&target).unwrap();
            copy_tree(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

fn files_under(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    let mut out = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap() {
            let entry = entry.unwrap();
            if entry.file_type().unwrap().is_dir() {
                stack.push(entry.path());
            } else {
                let path = entry.path();
                out.insert(
                    path.strip_prefix(dir).unwrap().to_path_buf(),
                    std::fs::read(&path).unwrap(),
                );
            }
        }
    }
    out
}

/// Syntax errors (the file no longer reads) per file of a JSON report.
fn syntax_errors(report: &serde_json::Value) -> BTreeMap<String, usize> {
    report["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            let n = f["diagnostics"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|d| ["PC001", "PC006", "PC007"].contains(&d["code"].as_str().unwrap()))
                .count();
            (f["path"].as_str().unwrap().to_string(), n)
        })
        .collect()
}

#[test]
fn fix_over_every_fixture_and_example() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let s = Scratch::new();
    for dir in ["fixtures", "examples"] {
        std::fs::create_dir_all(s.path().join(dir)).unwrap();
        copy_tree(&root.join(dir), &s.path().join(dir));
    }
    let before = files_under(s.path());
    let checked = ["--unsafe-fixes", "--format", "json", "fixtures", "examples"];
    let report_before = json(&run(s.cmd().args(checked)));

    let diff = run(s.cmd().args([
        "--diff",
        "--unsafe-fixes",
        "--color",
        "never",
        "fixtures",
        "examples",
    ]));
    assert!(
        changed_between(&before, &files_under(s.path())).is_empty(),
        "--diff writes nothing"
    );

    let fix = run(s.cmd().args([
        "--fix",
        "--unsafe-fixes",
        "--format",
        "json",
        "fixtures",
        "examples",
    ]));
    let after = files_under(s.path());
    let changed = changed_between(&before, &after);
    assert!(changed.len() > 20, "fixes were applied: {changed:?}");
    let report = json(&fix);
    assert!(
        report["summary"]["fixed"].as_u64().unwrap() > 20,
        "{:?}",
        report["summary"]
    );

    // Every written file reads as well as before.
    let errors_before = syntax_errors(&report_before);
    for (path, n) in syntax_errors(&report) {
        assert!(
            n <= errors_before.get(&path).copied().unwrap_or(0),
            "{path}: --fix left it with {n} syntax errors"
        );
    }
    // What remains offers no fix that could still apply (in the files that
    // changed, the loop ran until stable).
    for file in report["files"].as_array().unwrap() {
        for d in file["diagnostics"].as_array().unwrap() {
            assert!(
                d["fix"].is_null(),
                "{}: {} still offers a fix after --fix: {d}",
                file["path"],
                d["code"]
            );
        }
    }
    // --diff showed exactly what --fix wrote: applied by `git apply` to
    // the files as they were, it gives the files as --fix left them.
    let replay = Scratch::new();
    for (path, text) in &before {
        let target = replay.path().join(path);
        std::fs::create_dir_all(target.parent().unwrap()).unwrap();
        std::fs::write(target, text).unwrap();
    }
    let patch = replay.path().join("fixes.diff");
    std::fs::write(&patch, &diff.stdout).unwrap();
    let applied = std::process::Command::new("git")
        .args(["apply", "--unidiff-zero", "fixes.diff"])
        .current_dir(replay.path())
        .output()
        .expect("git runs");
    assert!(
        applied.status.success(),
        "git apply refused --diff's output: {}\n{}",
        String::from_utf8_lossy(&applied.stderr),
        diff.stdout
    );
    std::fs::remove_file(&patch).unwrap();
    assert_eq!(
        changed_between(&after, &files_under(replay.path())),
        Vec::<PathBuf>::new(),
        "--diff applied does not give what --fix wrote"
    );
    assert_eq!(
        files_under(replay.path()).len(),
        after.len(),
        "--diff applied adds or removes files"
    );
    assert!(!changed.is_empty(), "the fixtures hold fixable findings");
    // Stable: a second --fix changes nothing.
    run(s.cmd().args([
        "--fix",
        "--unsafe-fixes",
        "--format",
        "json",
        "fixtures",
        "examples",
    ]));
    let changed_again = changed_between(&after, &files_under(s.path()));
    assert!(
        changed_again.is_empty(),
        "a second --fix changed {changed_again:?}"
    );
}

/// The files whose bytes differ between two snapshots.
fn changed_between(
    before: &BTreeMap<PathBuf, Vec<u8>>,
    after: &BTreeMap<PathBuf, Vec<u8>>,
) -> Vec<PathBuf> {
    after
        .iter()
        .filter(|(path, text)| before.get(*path) != Some(*text))
        .map(|(path, _)| path.clone())
        .collect()
}

#[test]
fn safe_fixes_only_unless_asked() {
    let s = Scratch::new();
    // A trailing comma (safe fix) and a key ARN in Resource (an unsafe fix).
    let text = "{\n  \"Version\": \"2012-10-17\",\n  \"Statement\": [\n    {\n      \"Effect\": \"Allow\",\n      \"Principal\": {\"AWS\": \"arn:aws:iam::111122223333:root\"},\n      \"Action\": \"kms:*\",\n      \"Resource\": \"*\",\n    }\n  ]\n}\n";
    s.write("p.json", text);
    let r = run(s.cmd().args(["--fix", "--color", "never", "p.json"]));
    assert_eq!(r.code, 0, "nothing remains: {r:?}");
    let fixed = std::fs::read_to_string(s.path().join("p.json")).unwrap();
    assert_eq!(fixed, text.replace("\"*\",\n", "\"*\"\n"));
    assert!(r.stdout.contains("fixed 1 finding"), "{r:?}");
}

#[test]
fn fix_with_standard_input_writes_the_fixed_text_to_standard_output() {
    let s = Scratch::new();
    let text = "{\"Version\": \"2012-10-17\", \"Statement\": [{\"Effect\": \"Allow\", \"Principal\": {\"AWS\": \"arn:aws:iam::111122223333:root\"}, \"Action\": \"kms:*\", \"Resource\": \"*\",}]}";
    let r = run(s
        .cmd()
        .args(["--fix", "--quiet", "--stdin-filename", "p.json", "-"])
        .write_stdin(text));
    assert_eq!(r.code, 0, "{r:?}");
    assert_eq!(r.stdout, text.replace("\"*\",}", "\"*\"}"));
}
