//! Every fixture under `fixtures/<pack>/<rule-name>/` is analysed and its
//! rendered diagnostics compared with an insta snapshot. `valid-*` fixtures
//! must not trigger their own rule; `invalid-*` fixtures must.
//!
//! A fixture is a key policy (`.json`), a CloudFormation template (`.yaml`,
//! `.yml`, `.json`, `.template`), a template file (`.tpl`, `.tftpl`), or a
//! Terraform module: a folder whose `main.tf` is globbed, read with the
//! folder's other module files. A fixture `x.json` with a sibling
//! `x.profile.toml` is analysed with that profile (what `[[profiles]]` in
//! policy-check.toml gives), shown in the snapshot.
//!
//! Host fixtures say where their findings must be: a comment
//! `expect: CODE text` (`#` in YAML and HCL, `//` in HCL) asserts a finding
//! of CODE on that line whose range holds exactly `text` (quotes around the
//! range's text aside), the check that ranges point into the host where the
//! user wrote the value. Hosts without comments take a sibling
//! `<name>.expect` with lines `LINE CODE text`.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::path::Path;

use policy_analyzer::host::{self, HostFile, HostKind};
use policy_analyzer::{
    analyze_bytes, find_rule, AnalyzeOptions, Diagnostic, LineIndex, PositionEncoding, Profile,
};
use policy_check::files::{terraform_module_files, FsLoader};
use policy_workspace::suppress::{self, FileText};
use policy_workspace::{Overrides, Settings};

const ROOT: &str = env!("CARGO_MANIFEST_DIR");

/// The options for a fixture: its sibling `.profile.toml`, if any, and that file's text.
fn options_for(path: &Path) -> (AnalyzeOptions, Option<String>) {
    let profile_path = path.with_extension("profile.toml");
    let Ok(text) = std::fs::read_to_string(&profile_path) else {
        return (AnalyzeOptions::default(), None);
    };
    let profile: Profile = toml::from_str(&text)
        .unwrap_or_else(|e| panic!("{} is not a valid profile: {e}", profile_path.display()));
    let options = AnalyzeOptions {
        profile: Some(profile),
        ..AnalyzeOptions::default()
    };
    (options, Some(text))
}

/// The path as the snapshots and diagnostics show it: relative to the
/// repository, with forward slashes.
fn display(path: &Path) -> String {
    path.strip_prefix(ROOT)
        .unwrap_or(path)
        .to_string_lossy()
        .replace('\\', "/")
}

/// A fixture analysed: its files (display path, text) and the findings,
/// each with its file set.
struct Analysed {
    files: BTreeMap<String, String>,
    diagnostics: Vec<Diagnostic>,
}

fn analyse(path: &Path, options: &AnalyzeOptions) -> Analysed {
    let mut analysed = analyse_without_suppressions(path, options);
    apply_suppressions(&mut analysed, options);
    analysed
}

/// Applies each file's suppression comments (fixtures have no config).
fn apply_suppressions(analysed: &mut Analysed, options: &AnalyzeOptions) {
    let settings = Settings::new(
        None,
        std::sync::Arc::new(Overrides {
            cwd: ROOT.into(),
            ..Overrides::default()
        }),
    );
    let mut found = std::mem::take(&mut analysed.diagnostics);
    for (path, text) in &analysed.files {
        let (mine, rest): (Vec<Diagnostic>, Vec<Diagnostic>) =
            found.into_iter().partition(|d| file_of(d) == path);
        found = rest;
        let absolute = Path::new(ROOT).join(path);
        let file = FileText {
            path,
            absolute: &absolute,
            text,
        };
        for mut d in suppress::apply(&settings, options, file, mine).kept {
            d.file.get_or_insert_with(|| path.as_str().into());
            analysed.diagnostics.push(d);
        }
    }
    analysed.diagnostics.extend(found);
}

fn analyse_without_suppressions(path: &Path, options: &AnalyzeOptions) -> Analysed {
    let name = display(path);
    let bytes = std::fs::read(path).expect("fixture is readable");
    let text = String::from_utf8_lossy(&bytes).into_owned();
    let mut files = BTreeMap::new();
    if path.file_name().is_some_and(|n| n == "main.tf") {
        // A Terraform module: the folder's files, read together. Paths are
        // relative to the repository, where the tests run.
        let dir = path.parent().unwrap();
        let paths = terraform_module_files(dir).unwrap();
        for p in &paths {
            files.insert(display(p), std::fs::read_to_string(p).unwrap());
        }
        let host_files: Vec<HostFile<'_>> = files
            .iter()
            .map(|(path, text)| HostFile { path, text })
            .collect();
        let analysis = host::terraform::analyze_module(&host_files, &FsLoader, options);
        add_other_files(&mut files, &analysis.diagnostics);
        return Analysed {
            files,
            diagnostics: analysis.diagnostics,
        };
    }
    files.insert(name.clone(), text.clone());
    let kind = HostKind::detect(&name, &text);
    let diagnostics = match kind {
        // Through `analyze_bytes`, so that a file that is not UTF-8 is reported.
        Some(HostKind::Policy) | None => {
            let mut diagnostics = analyze_bytes(&bytes, options).diagnostics;
            for d in &mut diagnostics {
                d.file = Some(name.as_str().into());
            }
            diagnostics
        }
        Some(kind) => {
            let file = HostFile {
                path: &name,
                text: &text,
            };
            host::analyze_file(kind, file, &FsLoader, options).diagnostics
        }
    };
    add_other_files(&mut files, &diagnostics);
    Analysed { files, diagnostics }
}

/// Files a finding points into besides the fixture's own (a template that a
/// module renders).
fn add_other_files(files: &mut BTreeMap<String, String>, diagnostics: &[Diagnostic]) {
    let named = diagnostics.iter().flat_map(|d| {
        d.file
            .iter()
            .chain(d.related.iter().filter_map(|r| r.file.as_ref()))
    });
    for file in named {
        if !files.contains_key(&**file) {
            let text = std::fs::read_to_string(Path::new(ROOT).join(&**file))
                .unwrap_or_else(|e| panic!("a finding names {file}, which cannot be read: {e}"));
            files.insert(file.to_string(), text);
        }
    }
}

fn file_of(d: &Diagnostic) -> &str {
    d.file
        .as_deref()
        .expect("every fixture finding names its file")
}

/// The snapshot text: per file, the human report without colour; then each
/// fix's edits with 1-based line:column ranges.
fn snapshot(path: &Path, analysed: &Analysed, profile_text: Option<&str>) -> String {
    let mut out = String::new();
    if let Some(profile) = profile_text {
        out.push_str("profile:\n");
        for line in profile.lines() {
            writeln!(out, "  {line}").unwrap();
        }
        out.push('\n');
    }
    let own = display(path);
    for (name, text) in &analysed.files {
        let diagnostics: Vec<Diagnostic> = analysed
            .diagnostics
            .iter()
            .filter(|d| file_of(d) == name)
            .cloned()
            .collect();
        if diagnostics.is_empty() && *name != own {
            continue;
        }
        out.push_str(&policy_check::render::human::render(
            name,
            text,
            &diagnostics,
            false,
            100,
        ));
        let index = LineIndex::new(text);
        let pos = |offset: u32| {
            let lc = index.line_col(text, offset as usize, PositionEncoding::Utf32);
            format!("{}:{}", lc.line + 1, lc.col + 1)
        };
        for d in &diagnostics {
            if let Some(fix) = &d.fix {
                writeln!(
                    out,
                    "fix for {} at {}: {} ({:?})",
                    d.code,
                    pos(d.range.start),
                    fix.title,
                    fix.applicability
                )
                .unwrap();
                for e in &fix.edits {
                    writeln!(
                        out,
                        "  {}-{} => {:?}",
                        pos(e.range.start),
                        pos(e.range.end),
                        e.replacement
                    )
                    .unwrap();
                }
            }
        }
    }
    if analysed.diagnostics.is_empty() {
        out.push_str("no diagnostics\n");
    }
    out
}

/// The codes that mean a file no longer parses.
const SYNTAX_CODES: [&str; 3] = ["PC001", "PC006", "PC007"];

/// "A fix must leave valid JSON" (docs/adding-a-rule.md), and in a host,
/// valid host syntax: applying it adds no syntax error.
fn check_fixes(path: &Path, analysed: &Analysed, options: &AnalyzeOptions) {
    for d in &analysed.diagnostics {
        let Some(fix) = &d.fix else { continue };
        let name = file_of(d);
        let text = &analysed.files[name];
        let fixed = fix.apply(text);
        let errors = |text: &str| -> usize {
            match HostKind::detect(name, text) {
                Some(HostKind::Policy) | None => policy_analyzer::syntax::parse(text).errors.len(),
                Some(HostKind::Terraform) => 0, // its own module is re-read below
                Some(kind) => {
                    host::analyze_file(kind, HostFile { path: name, text }, &FsLoader, options)
                        .diagnostics
                        .iter()
                        .filter(|d| SYNTAX_CODES.contains(&d.code))
                        .count()
                }
            }
        };
        assert!(
            errors(&fixed) <= errors(text),
            "{}: the fix of {} leaves {name} unreadable:\n{fixed}",
            path.display(),
            d.code
        );
    }
}

/// One `expect:` of a host fixture: a finding of `code` on `line` (0-based)
/// whose range holds `text`.
struct Expectation {
    file: String,
    line: u32,
    code: String,
    text: String,
}

fn expectations(analysed: &Analysed, own: &str) -> Vec<Expectation> {
    let mut out = Vec::new();
    for (name, text) in &analysed.files {
        let is_comment_host = [".yaml", ".yml", ".tf", ".template"]
            .iter()
            .any(|e| name.ends_with(e));
        if is_comment_host {
            for (line, content) in text.lines().enumerate() {
                let Some(at) = content.find("expect: ") else {
                    continue;
                };
                let before = content[..at].trim_end();
                if !(before.ends_with('#') || before.ends_with("//")) {
                    continue;
                }
                let rest = &content[at + "expect: ".len()..];
                let (code, text) = rest.split_once(' ').unwrap_or((rest, ""));
                out.push(Expectation {
                    file: name.clone(),
                    line: line as u32,
                    code: code.to_string(),
                    text: text.trim().to_string(),
                });
            }
        }
        let sidecar = Path::new(ROOT).join(format!("{name}.expect"));
        if name == own || sidecar.exists() {
            if let Ok(lines) = std::fs::read_to_string(&sidecar) {
                for entry in lines.lines().filter(|l| !l.trim().is_empty()) {
                    let mut parts = entry.splitn(3, ' ');
                    let line: u32 = parts.next().unwrap().parse().expect("LINE CODE text");
                    out.push(Expectation {
                        file: name.clone(),
                        line: line - 1,
                        code: parts.next().unwrap().to_string(),
                        text: parts.next().unwrap_or_default().to_string(),
                    });
                }
            }
        }
    }
    out
}

/// A range's text without the quotes around it, if it is one quoted string.
fn unquoted(text: &str) -> &str {
    for quote in ['"', '\''] {
        if let Some(inner) = text.strip_prefix(quote).and_then(|t| t.strip_suffix(quote)) {
            return inner;
        }
    }
    text
}

fn check_expectations(path: &Path, analysed: &Analysed) {
    for e in expectations(analysed, &display(path)) {
        let text = &analysed.files[&e.file];
        let index = LineIndex::new(text);
        let found = analysed.diagnostics.iter().any(|d| {
            let at = index.line_col(text, d.range.start as usize, PositionEncoding::Utf8);
            let shown = unquoted(&text[d.range.start as usize..d.range.end as usize]);
            file_of(d) == e.file && d.code == e.code && at.line == e.line && shown == e.text
        });
        assert!(
            found,
            "{}: expected {} at {}:{} on `{}`; found: {:#?}",
            path.display(),
            e.code,
            e.file,
            e.line + 1,
            e.text,
            analysed
                .diagnostics
                .iter()
                .filter(|d| file_of(d) == e.file)
                .map(|d| (
                    d.code,
                    index
                        .line_col(text, d.range.start as usize, PositionEncoding::Utf8)
                        .line
                        + 1,
                    &text[d.range.start as usize..d.range.end as usize]
                ))
                .collect::<Vec<_>>()
        );
    }
}

#[test]
fn fixtures() {
    insta::glob!(
        "../fixtures",
        "*/*/{*.json,*.yaml,*.yml,*.template,*.tpl,*.tftpl,*/main.tf}",
        |path| {
            let (options, profile_text) = options_for(path);
            let analysed = analyse(path, &options);
            let rule_name = path
                .ancestors()
                .filter_map(|a| a.file_name())
                .map(|n| n.to_string_lossy().to_string())
                .find(|n| find_rule(n).is_some());
            let case = if path.file_name().is_some_and(|n| n == "main.tf") {
                path.parent().unwrap().file_name().unwrap()
            } else {
                path.file_name().unwrap()
            }
            .to_string_lossy()
            .to_string();
            if let Some(rule) = rule_name.as_deref().and_then(find_rule) {
                let fired = analysed.diagnostics.iter().any(|d| d.code == rule.code);
                if case.starts_with("valid") {
                    assert!(
                        !fired,
                        "{}: {} must not fire on a valid fixture",
                        path.display(),
                        rule.code
                    );
                } else if case.starts_with("invalid") {
                    assert!(
                        fired,
                        "{}: {} must fire on an invalid fixture",
                        path.display(),
                        rule.code
                    );
                }
            }
            check_fixes(path, &analysed, &options);
            check_expectations(path, &analysed);
            insta::assert_snapshot!(snapshot(path, &analysed, profile_text.as_deref()));
        }
    );
}

/// Every rule has a fixture folder with at least one valid and one invalid
/// example, and every fixture folder names a rule of its pack.
#[test]
fn every_rule_has_fixtures() {
    let root = Path::new(ROOT).join("fixtures");
    for rule in policy_analyzer::all_rules() {
        let dir = root.join(rule.pack.name()).join(rule.name);
        let files: Vec<String> = std::fs::read_dir(&dir)
            .unwrap_or_else(|_| {
                panic!(
                    "{} {} has no fixture folder {}",
                    rule.code,
                    rule.name,
                    dir.display()
                )
            })
            .map(|e| e.unwrap().file_name().to_string_lossy().to_string())
            .collect();
        assert!(
            files.iter().any(|f| f.starts_with("invalid")),
            "{}: no invalid-* fixture",
            rule.name
        );
        assert!(
            files.iter().any(|f| f.starts_with("valid")),
            "{}: no valid-* fixture",
            rule.name
        );
    }
    for pack in std::fs::read_dir(&root).unwrap() {
        let pack = pack.unwrap();
        // `hosts/` holds the fixtures of the host readers' forms (every
        // intrinsic function, every Terraform expression), not of one rule.
        if !pack.file_type().unwrap().is_dir() || pack.file_name() == "hosts" {
            continue;
        }
        for rule_dir in std::fs::read_dir(pack.path()).unwrap() {
            let rule_dir = rule_dir.unwrap();
            let name = rule_dir.file_name().to_string_lossy().to_string();
            let rule =
                find_rule(&name).unwrap_or_else(|| panic!("fixture folder {name} names no rule"));
            assert_eq!(
                rule.pack.name(),
                pack.file_name().to_string_lossy(),
                "{name} is in the wrong pack folder"
            );
        }
    }
}
