//! Invariants of a host reader's result (a CloudFormation template, a
//! Terraform module): the questions `invariants` asks of a policy's
//! diagnostics, asked in the host file each range lies in, and a fix that
//! leaves the host file parsing as well as before.

use policy_analyzer::host::{EmbeddedPolicy, HostAnalysis};
use policy_analyzer::{Diagnostic, LineIndex, TextRange};

use crate::invariants::{check_bounded, check_range};
use crate::reference;

/// One file the reader was given or loaded.
pub struct File<'a> {
    pub path: &'a str,
    pub text: &'a str,
}

/// Everything that must hold of a host analysis of `files`: every finding
/// and related location names one of them and lies in it, on character
/// boundaries, with line and column round trips; a fix edits the file of
/// its finding, its edits apart, and a file that `parses` before a fix
/// still parses after it; at most the findings a file has room for.
pub fn check_analysis(
    files: &[File<'_>],
    analysis: &HostAnalysis,
    parses: &dyn Fn(&str, &str) -> bool,
) {
    let find = |d: &Diagnostic, file: Option<&str>| -> &File<'_> {
        let file = file.unwrap_or_else(|| panic!("{}: a host finding without its file", d.code));
        files
            .iter()
            .find(|f| f.path == file)
            .unwrap_or_else(|| panic!("{}: file {file:?} is none the reader was given", d.code))
    };
    let indexes: Vec<(LineIndex, reference::Lines<'_>)> = files
        .iter()
        .map(|f| (LineIndex::new(f.text), reference::Lines::new(f.text)))
        .collect();
    let position = |file: &File<'_>| files.iter().position(|f| std::ptr::eq(f, file)).unwrap();
    let in_file = |file: &File<'_>, range: TextRange, code: &str| {
        let (index, lines) = &indexes[position(file)];
        check_range(file.text, index, lines, range, code);
    };
    let mut parsed: Vec<Option<bool>> = vec![None; files.len()];
    for d in &analysis.diagnostics {
        assert!(!d.message.trim().is_empty(), "{}: empty message", d.code);
        let file = find(d, d.file.as_deref());
        in_file(file, d.range, d.code);
        for related in &d.related {
            let there = find(d, related.file.as_deref().or(d.file.as_deref()));
            in_file(there, related.range, d.code);
        }
        let Some(fix) = &d.fix else {
            continue;
        };
        let mut edits: Vec<TextRange> = Vec::new();
        for edit in &fix.edits {
            in_file(file, edit.range, d.code);
            edits.push(edit.range);
        }
        edits.sort();
        for pair in edits.windows(2) {
            assert!(
                pair[0].end <= pair[1].start && pair[0].start < pair[1].start,
                "{}: fix `{}` has overlapping edits {pair:?}",
                d.code,
                fix.title
            );
        }
        let at = position(file);
        let before = *parsed[at].get_or_insert_with(|| parses(file.path, file.text));
        if before {
            let fixed = fix.apply(file.text);
            assert!(
                parses(file.path, &fixed),
                "{}: fix `{}` makes {} unreadable:\n{fixed}",
                d.code,
                fix.title,
                file.path
            );
        }
    }
    for file in files {
        let mine: Vec<Diagnostic> = analysis
            .diagnostics
            .iter()
            .filter(|d| d.file.as_deref() == Some(file.path))
            .cloned()
            .collect();
        check_bounded(&mine);
    }
}

/// What an editor reads of a host's policies (hover, completion, symbols):
/// every part of a rendered policy that maps into a file lies in it, and a
/// host offset maps into the rendered text.
pub fn check_policies(files: &[File<'_>], policies: &[EmbeddedPolicy]) {
    for policy in policies {
        let json = &policy.json;
        let whole = TextRange::new(0, json.len());
        let mut probes = vec![whole];
        let step = (json.len() / 16).max(1);
        let mut at = 0;
        while at < json.len() {
            let end = (at + step).min(json.len());
            probes.push(TextRange::new(at, end));
            probes.push(TextRange::new(at, at));
            at = end;
        }
        for range in probes {
            if let Some(location) = policy.map.locate(range) {
                let file = files
                    .iter()
                    .find(|f| *f.path == *location.file)
                    .unwrap_or_else(|| panic!("a policy maps into {:?}", location.file));
                let r = location.range;
                assert!(
                    r.start <= r.end && r.end as usize <= file.text.len(),
                    "{range:?} of the policy maps to {r:?}, outside {} ({} bytes)",
                    file.path,
                    file.text.len()
                );
            }
        }
        for file in files {
            let len = file.text.len();
            for offset in [0, len / 3, len / 2, len] {
                if let Some(rendered) = policy.map.rendered_offset(file.path, offset as u32) {
                    assert!(
                        rendered as usize <= json.len(),
                        "offset {offset} of {} maps past the rendered policy",
                        file.path
                    );
                }
            }
        }
    }
}

/// Whether a host file reads in its syntax: JSON (the project's parser, no
/// error at all), YAML (saphyr's event parser to the end), or HCL
/// (hcl-edit: a module file, or a template file).
pub fn parses(path: &str, text: &str) -> bool {
    let json = path.ends_with(".json")
        || (path.ends_with(".template") && text.trim_start().starts_with('{'));
    if path.ends_with(".tf") {
        hcl_edit::parser::parse_body(text).is_ok()
    } else if path.ends_with(".tpl") || path.ends_with(".tftpl") {
        hcl_edit::parser::parse_template(text).is_ok()
    } else if json {
        policy_analyzer::syntax::parse(text).errors.is_empty()
    } else {
        saphyr_parser::Parser::new_from_str(text).all(|event| event.is_ok())
    }
}
