//! SARIF 2.1.0, for GitHub code scanning and other SARIF viewers.
//!
//! One run with the full `rules` array (so viewers can show every rule's
//! documentation), results streamed one per line, and `columnKind`
//! `unicodeCodePoints`: columns count characters, as in the JSON format.

use std::io::{self, Write};
use std::path::{Path, PathBuf};

use std::sync::Arc;

use policy_analyzer::user_rules::{UserRule, UserRules};
use policy_analyzer::{all_rules, Diagnostic, Rule, Severity, TextRange};
use serde_json::{json, Value};

use super::{Positions, Renderer, Span};
use crate::docs;
use crate::report::{CheckedFile, Level, Problem, Summary};

/// The base that relative artifact URIs resolve against.
const SRCROOT: &str = "%SRCROOT%";

pub struct SarifRenderer {
    cwd: PathBuf,
    results_written: usize,
    notifications: Vec<Value>,
    /// The user rules of the run's configs, each once: the driver, written
    /// after the results, lists them after the built-in rules.
    user_rules: Vec<Arc<UserRule>>,
}

impl SarifRenderer {
    pub fn new(cwd: PathBuf) -> Self {
        SarifRenderer {
            cwd,
            results_written: 0,
            notifications: Vec::new(),
            user_rules: Vec::new(),
        }
    }
}

fn level(severity: Severity) -> &'static str {
    match severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Info | Severity::Hint => "note",
    }
}

/// Ends a text with a full stop, as SARIF asks of messages and descriptions.
fn sentence(text: &str) -> String {
    let text = text.trim_end();
    if text.ends_with(['.', '?', '!']) {
        text.to_string()
    } else {
        format!("{text}.")
    }
}

fn rule(rule: &Rule) -> Value {
    json!({
        "id": rule.code,
        "name": pascal_case(rule.name),
        "shortDescription": { "text": sentence(rule.summary) },
        "fullDescription": { "text": sentence(&docs::what_it_does(rule)) },
        "help": { "text": rule.docs, "markdown": rule.docs },
        "helpUri": docs::help_uri(rule),
        "defaultConfiguration": { "level": level(rule.severity) },
        "properties": { "tags": [rule.pack.name()] },
    })
}

fn user_rule(rule: &UserRule) -> Value {
    let mut help = rule.summary.clone();
    if !rule.docs.trim().is_empty() {
        help = format!("{help}\n\n{}", rule.docs.trim());
    }
    json!({
        "id": rule.id,
        "name": pascal_case(rule.name),
        "shortDescription": { "text": sentence(&rule.summary) },
        "help": { "text": help, "markdown": help },
        "defaultConfiguration": { "level": level(rule.severity) },
        "properties": { "tags": [rule.pack], "file": rule.file },
    })
}

/// SARIF's friendly rule names are Pascal-case: `invalid-json` is `InvalidJson`.
fn pascal_case(name: &str) -> String {
    name.split('-')
        .map(|word| {
            let mut chars = word.chars();
            chars.next().map_or_else(String::new, |c| {
                c.to_ascii_uppercase().to_string() + chars.as_str()
            })
        })
        .collect()
}

/// A URI reference for a path: relative paths stay relative to `%SRCROOT%`
/// (the current directory), absolute ones become `file://` URIs.
fn artifact_location(path: &str) -> Value {
    // SARIF viewers resolve `..` differently where links are involved: a
    // path with one becomes an absolute path without any.
    let has_dots = Path::new(path).components().any(|c| {
        matches!(
            c,
            std::path::Component::ParentDir | std::path::Component::CurDir
        )
    });
    let path = if has_dots {
        let absolute = std::path::absolute(path).unwrap_or_else(|_| Path::new(path).to_path_buf());
        normalized(&absolute).to_string_lossy().into_owned()
    } else {
        path.to_string()
    };
    if Path::new(&path).is_absolute() {
        json!({ "uri": format!("file://{}", percent_encode(&path)) })
    } else {
        json!({ "uri": percent_encode(&path), "uriBaseId": SRCROOT })
    }
}

/// `path` with `.` and `..` resolved lexically.
fn normalized(path: &Path) -> std::path::PathBuf {
    let mut out = std::path::PathBuf::new();
    for component in path.components() {
        match component {
            std::path::Component::CurDir => {}
            std::path::Component::ParentDir => {
                out.pop();
            }
            other => out.push(other),
        }
    }
    out
}

/// Percent-encodes everything but unreserved characters and `/`.
fn percent_encode(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for b in path.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~/".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn region(span: Span) -> Value {
    json!({
        "startLine": span.start.line,
        "startColumn": span.start.column,
        "endLine": span.end.line,
        "endColumn": span.end.column,
    })
}

/// Where a range is, with its text (`snippet`) and the whole lines around it
/// (`contextRegion`), so viewers can show the code without the file.
fn physical_location(path: &str, range: TextRange, positions: &Positions<'_>) -> Value {
    let text = positions.text();
    // The text of a file that is not UTF-8 has replacement characters, so a
    // range may fall inside one: round down to character boundaries.
    let floor = |mut i: usize| {
        i = i.min(text.len());
        while !text.is_char_boundary(i) {
            i -= 1;
        }
        i
    };
    let start = floor(range.start as usize);
    let end = floor(range.end as usize).max(start);
    let mut region = region(positions.span(range));
    if end - start <= MAX_SNIPPET_BYTES {
        region["snippet"] = json!({ "text": &text[start..end] });
    }
    let mut location = json!({
        "artifactLocation": artifact_location(path),
        "region": region,
    });
    // The whole lines around the region, when they are more than the region
    // (SARIF wants a proper superset) and short enough that thousands of
    // findings on one long line do not repeat it thousands of times.
    // Lines end at `\n`, `\r\n` or a lone `\r`, as the regions count them.
    let context = positions.lines_around(TextRange::new(start, end));
    let (line_start, line_end) = (context.start as usize, context.end as usize);
    let proper = line_start < start || end < line_end;
    if proper && line_end - line_start <= MAX_SNIPPET_BYTES {
        let mut context_region = self::region(positions.span(context));
        context_region["snippet"] = json!({ "text": &text[line_start..line_end] });
        location["contextRegion"] = context_region;
    }
    location
}

/// The longest snippet a result carries.
const MAX_SNIPPET_BYTES: usize = 4096;

fn result(d: &Diagnostic, file: &CheckedFile<'_>, positions: &Positions<'_>) -> Value {
    let path = file.path;
    let location = |range: TextRange| physical_location(path, range, positions);
    let mut message = sentence(&d.message);
    if let Some(help) = &d.help {
        message.push_str("\nHelp: ");
        message.push_str(&sentence(help));
    }
    let mut result = json!({
        "ruleId": d.code,
        "level": level(d.severity),
        "message": { "text": message },
        "locations": [{ "physicalLocation": location(d.range) }],
    });
    // A user rule is found by its id: its index is known only once the run
    // has seen every config.
    if let Some(index) = all_rules().position(|r| r.code == d.code) {
        result["ruleIndex"] = json!(index);
    }
    if !d.related.is_empty() {
        result["relatedLocations"] = d
            .related
            .iter()
            .enumerate()
            .map(|(i, r)| {
                let physical = match file.text_of(r.file.as_deref()) {
                    Some((other, text)) if other != path => {
                        physical_location(other, r.range, &Positions::new(text))
                    }
                    _ => location(r.range),
                };
                json!({
                    "id": i + 1,
                    "message": { "text": sentence(&r.label) },
                    "physicalLocation": physical,
                })
            })
            .collect();
    }
    if let Some(fix) = &d.fix {
        let replacements: Vec<Value> = fix
            .edits
            .iter()
            .map(|e| {
                json!({
                    "deletedRegion": region(positions.span(e.range)),
                    "insertedContent": { "text": e.replacement },
                })
            })
            .collect();
        result["fixes"] = json!([{
            "description": { "text": sentence(&fix.title) },
            "artifactChanges": [{ "artifactLocation": artifact_location(path), "replacements": replacements }],
        }]);
    }
    result
}

impl Renderer for SarifRenderer {
    fn begin(&mut self, out: &mut dyn Write) -> io::Result<()> {
        let mut srcroot = percent_encode(&self.cwd.to_string_lossy());
        if !srcroot.ends_with('/') {
            srcroot.push('/');
        }
        let base_ids = json!({ SRCROOT: { "uri": format!("file://{srcroot}") } });
        write!(
            out,
            "{{\"$schema\":\"https://json.schemastore.org/sarif-2.1.0.json\",\"version\":\"2.1.0\",\"runs\":[{{\"originalUriBaseIds\":{},\"columnKind\":\"unicodeCodePoints\",\"results\":[",
            base_ids
        )
    }

    fn render_file(&self, file: &CheckedFile<'_>) -> String {
        if file.diagnostics.is_empty() {
            return String::new();
        }
        let positions = Positions::new(file.text);
        let results: Vec<String> = file
            .diagnostics
            .iter()
            .map(|d| result(d, file, &positions).to_string())
            .collect();
        results.join(",\n")
    }

    fn write_file(&mut self, out: &mut dyn Write, rendered: &str) -> io::Result<()> {
        if rendered.is_empty() {
            return Ok(());
        }
        let separator = if self.results_written == 0 {
            "\n"
        } else {
            ",\n"
        };
        self.results_written += 1;
        out.write_all(separator.as_bytes())?;
        out.write_all(rendered.as_bytes())
    }

    fn user_rules(&mut self, rules: &UserRules) {
        for rule in rules.iter() {
            if !self.user_rules.iter().any(|r| r.id == rule.id) {
                self.user_rules.push(rule.clone());
            }
        }
    }

    fn problem(&mut self, _out: &mut dyn Write, problem: &Problem) -> io::Result<()> {
        let mut location = json!({ "artifactLocation": artifact_location(&problem.path) });
        if let Some(line) = problem.line {
            location["region"] = json!({ "startLine": line });
            if let Some(column) = problem.column {
                location["region"]["startColumn"] = json!(column);
            }
        }
        self.notifications.push(json!({
            "level": match problem.level { Level::Error => "error", Level::Skipped => "note" },
            "message": { "text": sentence(&problem.message) },
            "locations": [{ "physicalLocation": location }],
        }));
        Ok(())
    }

    fn finish(&mut self, out: &mut dyn Write, _summary: &Summary, exit_code: u8) -> io::Result<()> {
        let invocation = json!({
            "executionSuccessful": exit_code != 2,
            "exitCode": exit_code,
            "toolExecutionNotifications": self.notifications,
        });
        let version = env!("CARGO_PKG_VERSION");
        let rules: Vec<Value> = all_rules()
            .map(rule)
            .chain(self.user_rules.iter().map(|r| user_rule(r)))
            .collect();
        let driver = json!({
            "name": "policy-check",
            "version": version,
            "semanticVersion": version,
            "informationUri": docs::REPOSITORY,
            "rules": rules,
        });
        let newline = if self.results_written == 0 { "" } else { "\n" };
        // The tool comes last: its rules include the user rules of every
        // config the run read (the order of a JSON object's members is free).
        writeln!(
            out,
            "{newline}],\"invocations\":[{invocation}],\"tool\":{{\"driver\":{driver}}}}}]}}"
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uris() {
        assert_eq!(artifact_location("keys/a b.json")["uri"], "keys/a%20b.json");
        assert_eq!(artifact_location("keys/a.json")["uriBaseId"], SRCROOT);
        assert_eq!(
            artifact_location("/tmp/x.json")["uri"],
            "file:///tmp/x.json"
        );
    }

    #[test]
    fn pascal_case_names() {
        assert_eq!(pascal_case("invalid-json"), "InvalidJson");
        assert_eq!(pascal_case("s3-bucket-key"), "S3BucketKey");
    }

    #[test]
    fn sentences() {
        assert_eq!(sentence("no Statement"), "no Statement.");
        assert_eq!(sentence("done."), "done.");
    }
}
