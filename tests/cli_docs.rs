//! The generated rule documentation (`docs/rules/*.md`, the README's rules
//! table) matches the rules' own documentation, and `--explain` and
//! `--list-rules` print it. `UPDATE_DOCS=1 cargo test --test cli_docs`
//! regenerates the files.

mod common;

use std::path::Path;

use common::{run, Scratch};
use policy_check::docs;

#[test]
fn generated_docs_are_up_to_date() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let update = std::env::var_os("UPDATE_DOCS").is_some_and(|v| v == "1");
    let files = docs::generated_files(root).unwrap();
    let mut stale = Vec::new();
    for (path, content) in &files {
        if std::fs::read_to_string(path).ok().as_deref() != Some(content.as_str()) {
            if update {
                std::fs::create_dir_all(path.parent().unwrap()).unwrap();
                std::fs::write(path, content).unwrap();
            }
            stale.push(path.strip_prefix(root).unwrap().display().to_string());
        }
    }
    // Pages of rules that no longer exist.
    for entry in std::fs::read_dir(root.join(docs::RULES_DIR))
        .into_iter()
        .flatten()
    {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "md") && !files.iter().any(|(p, _)| *p == path) {
            if update {
                std::fs::remove_file(&path).unwrap();
            }
            stale.push(format!(
                "{} (no such rule)",
                path.strip_prefix(root).unwrap().display()
            ));
        }
    }
    assert!(
        update || stale.is_empty(),
        "generated documentation is out of date: {}\nrun `UPDATE_DOCS=1 cargo test --test cli_docs` and commit the result",
        stale.join(", ")
    );
}

#[test]
fn explain_prints_the_rule_page() {
    let s = Scratch::new();
    let r = run(s.cmd().args(["--explain", "PC004"]));
    assert_eq!(r.code, 0, "{r:?}");
    assert!(
        r.stdout.starts_with(
            "# PC004 trailing-comma\n\n**Pack:** syntax · **Default severity:** error · **Fix:** "
        ),
        "{r:?}"
    );
    assert!(r.stdout.contains("## What it does"), "{r:?}");
    assert!(
        r.stdout.ends_with(
            "Online: https://github.com/policy-check/policy-check/blob/main/docs/rules/PC004.md\n"
        ),
        "{r:?}"
    );
    let by_name = run(s.cmd().args(["--explain", "trailing-comma"]));
    assert_eq!(by_name.stdout, r.stdout);
    let r = run(s.cmd().args(["--explain", "trailing-coma"]));
    assert_eq!(r.code, 2, "{r:?}");
    assert_eq!(
        r.stderr,
        "error: --explain: unknown rule `trailing-coma` (did you mean `trailing-comma`?)\n"
    );
}

#[test]
fn list_rules_prints_every_rule() {
    let s = Scratch::new();
    let r = run(s.cmd().arg("--list-rules"));
    assert_eq!(r.code, 0, "{r:?}");
    let lines: Vec<&str> = r.stdout.lines().collect();
    assert!(lines[0].starts_with("CODE   NAME"), "{r:?}");
    assert!(
        lines[0].contains("SEVERITY") && lines[0].contains("FIX") && lines[0].ends_with("SUMMARY")
    );
    assert_eq!(lines.len(), 1 + policy_analyzer::all_rules().count());
    let comma = lines.iter().find(|l| l.starts_with("PC004")).unwrap();
    assert!(
        comma.contains("trailing-comma") && comma.contains("error"),
        "{comma}"
    );
    // --list-rules and --explain stand alone.
    assert_eq!(run(s.cmd().args(["--list-rules", "x.json"])).code, 2);
}

#[test]
fn list_rules_as_json_names_every_rule_with_its_page() {
    let s = Scratch::new();
    let r = run(s.cmd().args(["--list-rules", "--format", "json"]));
    assert_eq!(r.code, 0, "{r:?}");
    let rules: Vec<serde_json::Value> = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(rules.len(), policy_analyzer::all_rules().count());
    let comma = rules.iter().find(|rule| rule["code"] == "PC004").unwrap();
    assert_eq!(comma["name"], "trailing-comma");
    assert_eq!(comma["pack"], "syntax");
    assert_eq!(comma["severity"], "error");
    assert_eq!(
        comma["url"],
        "https://github.com/policy-check/policy-check/blob/main/docs/rules/PC004.md"
    );
}

#[test]
fn completions_and_man_page_describe_the_real_options() {
    let s = Scratch::new();
    let bash = run(s.cmd().args(["--completions", "bash"]));
    assert_eq!(bash.code, 0, "{bash:?}");
    assert!(bash.stdout.contains("--unsafe-fixes"), "{bash:?}");
    assert!(bash.stdout.contains("--min-severity"), "{bash:?}");
    let man = run(s.cmd().arg("--man"));
    assert_eq!(man.code, 0, "{man:?}");
    assert!(
        man.stdout.starts_with(".ie \\n(.g"),
        "{}",
        &man.stdout[..200.min(man.stdout.len())]
    );
    assert!(man.stdout.contains("policy\\-check"), "{man:?}");
    assert_eq!(run(s.cmd().args(["--completions", "tcsh"])).code, 2);
    assert_eq!(run(s.cmd().args(["--man", "x.json"])).code, 2);
}
