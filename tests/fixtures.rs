//! Every fixture under `fixtures/<pack>/<rule-name>/` is analysed and its
//! rendered diagnostics compared with an insta snapshot. `valid-*` fixtures
//! must not trigger their own rule; `invalid-*` fixtures must. A fixture
//! `x.json` with a sibling `x.profile.toml` is analysed with that profile
//! (what `[[profiles]]` in policy-check.toml gives), shown in the snapshot.

use std::fmt::Write;
use std::path::Path;

use policy_analyzer::{
    analyze_bytes, find_rule, AnalyzeOptions, LineIndex, PositionEncoding, Profile,
};

/// The options for a fixture: its sibling `.profile.toml`, if any, and that file's text.
fn options_for(path: &Path) -> (AnalyzeOptions, Option<String>) {
    let profile_path = path.with_extension("profile.toml");
    let Ok(text) = std::fs::read_to_string(&profile_path) else {
        return (AnalyzeOptions::default(), None);
    };
    let profile: Profile = toml_edit::de::from_str(&text)
        .unwrap_or_else(|e| panic!("{} is not a valid profile: {e}", profile_path.display()));
    let options = AnalyzeOptions {
        profile: Some(profile),
        ..AnalyzeOptions::default()
    };
    (options, Some(text))
}

/// The snapshot text: the human report without colour, then each fix's edits
/// with 1-based line:column ranges, then the text after applying all fixes.
fn snapshot(path: &Path, bytes: &[u8]) -> String {
    let (options, profile_text) = options_for(path);
    let analysis = analyze_bytes(bytes, &options);
    let text = &String::from_utf8_lossy(bytes);
    let name = path
        .strip_prefix(env!("CARGO_MANIFEST_DIR"))
        .unwrap_or(path);
    let name = name.to_string_lossy().replace('\\', "/");
    let mut out = String::new();
    if let Some(profile) = profile_text {
        out.push_str("profile:\n");
        for line in profile.lines() {
            writeln!(out, "  {line}").unwrap();
        }
        out.push('\n');
    }
    out.push_str(&policy_check::render::human::render(
        &name,
        text,
        &analysis.diagnostics,
        false,
        100,
    ));
    let index = LineIndex::new(text);
    let pos = |offset: u32| {
        let lc = index.line_col(text, offset as usize, PositionEncoding::Utf32);
        format!("{}:{}", lc.line + 1, lc.col + 1)
    };
    for d in &analysis.diagnostics {
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
    if analysis.diagnostics.is_empty() {
        out.push_str("no diagnostics\n");
    }
    out
}

#[test]
fn fixtures() {
    insta::glob!("../fixtures", "*/*/*.json", |path| {
        let bytes = std::fs::read(path).expect("fixture is readable");
        let rule_name = path
            .parent()
            .unwrap()
            .file_name()
            .unwrap()
            .to_string_lossy()
            .to_string();
        let file_name = path.file_name().unwrap().to_string_lossy().to_string();
        let analysis = analyze_bytes(&bytes, &options_for(path).0);
        if let Some(rule) = find_rule(&rule_name) {
            let fired = analysis.diagnostics.iter().any(|d| d.code == rule.code);
            if file_name.starts_with("valid") {
                assert!(
                    !fired,
                    "{}: {} must not fire on a valid fixture",
                    path.display(),
                    rule.code
                );
            } else if file_name.starts_with("invalid") {
                assert!(
                    fired,
                    "{}: {} must fire on an invalid fixture",
                    path.display(),
                    rule.code
                );
            }
        }
        // "A fix must leave valid JSON" (docs/adding-a-rule.md).
        let text = String::from_utf8_lossy(&bytes);
        let errors_before = policy_analyzer::syntax::parse(&text).errors.len();
        for d in &analysis.diagnostics {
            if let Some(fix) = &d.fix {
                let fixed = fix.apply(&text);
                let errors_after = policy_analyzer::syntax::parse(&fixed).errors.len();
                assert!(
                    errors_after <= errors_before,
                    "{}: the fix of {} leaves invalid JSON:\n{fixed}",
                    path.display(),
                    d.code
                );
            }
        }
        insta::assert_snapshot!(snapshot(path, &bytes));
    });
}

/// Every rule has a fixture folder with at least one valid and one invalid
/// example, and every fixture folder names a rule of its pack.
#[test]
fn every_rule_has_fixtures() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures");
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
            "{}: no invalid-*.json fixture",
            rule.name
        );
        assert!(
            files.iter().any(|f| f.starts_with("valid")),
            "{}: no valid-*.json fixture",
            rule.name
        );
    }
    for pack in std::fs::read_dir(&root).unwrap() {
        let pack = pack.unwrap();
        if !pack.file_type().unwrap().is_dir() {
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
