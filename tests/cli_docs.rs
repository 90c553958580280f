//! The generated documentation (`docs/rules/*.md`, the README's rules
//! table, `docs/services/*.md`, the profile keys of `docs/configuration.md`)
//! matches the rules' own documentation and the service models, and `--explain` and
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
    // Pages of rules and services that no longer exist.
    let dirs = [
        root.join(docs::RULES_DIR),
        root.join(policy_check::service_docs::SERVICES_DIR),
    ];
    for entry in dirs.iter().flat_map(std::fs::read_dir).flatten() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "md") && !files.iter().any(|(p, _)| *p == path) {
            if update {
                std::fs::remove_file(&path).unwrap();
            }
            stale.push(format!(
                "{} (no such rule or service)",
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

/// Rules whose Sources are not AWS documentation: HCL syntax, Terraform
/// functions, and policy-check's own suppressions. Every other rule rests on
/// an AWS fact and must link to the AWS page that states it.
const SOURCES_WITHOUT_AWS_PAGES: &[&str] = &["PC007", "PC604", "PC605", "PC701", "PC702"];

/// What a reader outside the project cannot follow: the project's research
/// notes, its seed files, its corpus and its design notes.
fn internal_reference(text: &str) -> Option<String> {
    let lower = text.to_ascii_lowercase();
    for needle in [
        "kms-facts",
        "seeds/",
        "seed file",
        "reference notes",
        "§",
        "design.md",
        "kms-catalog",
    ] {
        if let Some(at) = lower.find(needle) {
            return Some(context(text, at));
        }
    }
    // `corpus 074`, `[S10 ...]`
    for (at, _) in lower.match_indices("corpus ") {
        if lower.as_bytes().get(at + 7).is_some_and(u8::is_ascii_digit) {
            return Some(context(text, at));
        }
    }
    // Source tags: `[S10]`, `[S6, S7]`, `[S10 conditions-kms.md]` (not `[S3 User Guide]`).
    for (at, _) in lower.match_indices("[s") {
        let digits = lower[at + 2..]
            .bytes()
            .take_while(u8::is_ascii_digit)
            .count();
        if digits == 0 {
            continue;
        }
        let rest = &lower[at + 2 + digits..];
        let note = rest.split([']', ' ', ',']).nth(1).unwrap_or_default();
        if rest.starts_with([']', ',']) || (rest.starts_with(' ') && note.ends_with(".md")) {
            return Some(context(text, at));
        }
    }
    None
}

fn context(text: &str, at: usize) -> String {
    let start = text[..at]
        .char_indices()
        .rev()
        .nth(40)
        .map_or(0, |(i, _)| i);
    let end = text[at..]
        .char_indices()
        .nth(60)
        .map_or(text.len(), |(i, _)| at + i);
    format!("…{}…", &text[start..end])
}

/// The problems with one rule's documentation as a user sees it.
fn public_sources_problems(code: &str, docs: &str) -> Vec<String> {
    let mut problems = Vec::new();
    if let Some(found) = internal_reference(docs) {
        problems.push(format!("{code}: internal reference {found}"));
    }
    let Some(at) = docs.find("## Sources") else {
        problems.push(format!("{code}: no Sources section"));
        return problems;
    };
    let sources = &docs[at + "## Sources".len()..];
    let sources = sources.find("\n## ").map_or(sources, |end| &sources[..end]);
    for line in sources.lines().filter(|l| l.starts_with("- ")) {
        if !line.contains("https://") {
            problems.push(format!("{code}: a source without a public URL: {line}"));
        }
    }
    let aws =
        sources.contains("https://docs.aws.amazon.com/") || sources.contains("aws.amazon.com/");
    if !aws && !SOURCES_WITHOUT_AWS_PAGES.contains(&code) {
        problems.push(format!(
            "{code}: Sources cite no AWS documentation page (https://docs.aws.amazon.com/...)"
        ));
    }
    problems
}

#[test]
fn rule_sources_are_public_aws_pages() {
    let problems: Vec<String> = policy_analyzer::all_rules()
        .flat_map(|rule| public_sources_problems(rule.code, rule.docs))
        .collect();
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    // The checker itself catches what it is for.
    for bad in [
        "## Sources\n- AWS KMS Developer Guide (kms-facts §3): https://docs.aws.amazon.com/kms/",
        "## Sources\n- seeds/003_a7c6a4a498b59cae.txt: https://docs.aws.amazon.com/fsx/",
        "## Sources\n- Seen in corpus 074: https://docs.aws.amazon.com/kms/",
        "## Sources\n- AWS KMS Developer Guide, conditions-kms [S10 conditions-kms.md]: https://docs.aws.amazon.com/kms/",
        "## Sources\n- EFS guide [S9]: https://docs.aws.amazon.com/efs/",
        "## Sources\n- AWS KMS Developer Guide, key-policy-overview.",
        "## Sources\n- RFC 8259: https://www.rfc-editor.org/rfc/rfc8259",
    ] {
        assert!(!public_sources_problems("PC999", bad).is_empty(), "{bad}");
    }
    let good = "## Sources\n- [S3 User Guide: SSE-KMS](https://docs.aws.amazon.com/AmazonS3/latest/userguide/UsingKMSEncryption.html)";
    assert_eq!(public_sources_problems("PC999", good), Vec::<String>::new());
}

#[test]
fn explain_shows_only_public_sources() {
    let s = Scratch::new();
    let mut problems = Vec::new();
    for rule in policy_analyzer::all_rules() {
        let r = run(s.cmd().args(["--explain", rule.code]));
        assert_eq!(r.code, 0, "{r:?}");
        problems.extend(public_sources_problems(rule.code, &r.stdout));
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// Service facts reach users in messages ("required: <source>") and the
/// editor's hover notes; they too cite public pages only.
#[test]
fn service_facts_and_hover_notes_cite_public_pages() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let data = root.join("crates/policy-analyzer/src/services/data");
    let mut problems = Vec::new();
    let mut files: Vec<_> = std::fs::read_dir(&data)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .collect();
    files.sort();
    assert!(!files.is_empty(), "{}: no service data", data.display());
    for path in files {
        let text = std::fs::read_to_string(&path).unwrap();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        for (n, line) in text.lines().enumerate() {
            let line = line.trim_start();
            if line.starts_with('#') {
                continue;
            }
            if let Some(found) = internal_reference(line) {
                problems.push(format!("{name}:{}: internal reference {found}", n + 1));
            }
            let is_source = ["source", "tag", "iam-policies-source"]
                .iter()
                .any(|k| line.starts_with(&format!("{k} = ")));
            if is_source && !line.contains("https://docs.aws.amazon.com/") {
                problems.push(format!(
                    "{name}:{}: a source without an AWS documentation URL",
                    n + 1
                ));
            }
        }
    }
    // The editor's notes are read from the models (service_notes.rs); what
    // the module writes itself must not cite internal notes either.
    let notes = root.join("crates/policy-lsp/src/service_notes.rs");
    let text = std::fs::read_to_string(&notes).unwrap();
    if let Some(found) = internal_reference(&text) {
        problems.push(format!("service_notes.rs: internal reference {found}"));
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}
