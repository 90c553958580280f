//! Rule packs: the directories `rule-packs = [...]` names, each holding
//! user rules, one per `*.toml` file (docs/rule-packs.md).
//!
//! A pack is read once per load of its config: every file parsed into
//! toml's spanned tree, which keeps the span of each key and value, and each rule
//! compiled by the analyzer (JSONPath selectors, regex, message template),
//! so that an error names the file, line and column of what is wrong. A
//! file with an error is left out; the other rules, the other packs and the
//! built-in rules still run.

use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use policy_analyzer::user_rules::{
    AssertionSpec, RuleSpec, SpecError, Target, UserRule, UserRules,
};
use policy_analyzer::Severity;
use serde::Deserialize;
use toml::Spanned;

use crate::config::ConfigError;
use crate::toml_tree;

/// The rules of the packs a config names, and what could not be read.
#[derive(Clone, Debug, Default)]
pub struct Packs {
    pub rules: Arc<UserRules>,
    /// The file of each rule (absolute), in the order of `rules`.
    pub files: Vec<PathBuf>,
    /// The pack directories (absolute), for the editor to watch.
    pub dirs: Vec<PathBuf>,
    pub errors: Vec<ConfigError>,
}

impl Packs {
    /// Reads every pack in `dirs` (absolute), in order. `shown` is how a
    /// rule file is named in `--explain` and errors (relative to the config).
    pub fn load(dirs: &[PathBuf], base: &Path) -> Packs {
        let mut rules: Vec<Arc<UserRule>> = Vec::new();
        let mut files = Vec::new();
        let mut errors = Vec::new();
        for dir in dirs {
            for file in rule_files(dir, &mut errors) {
                match read_rule(&file, dir, base) {
                    Ok((rule, id_span, text)) => {
                        let clash = rules
                            .iter()
                            .find(|r| r.id == rule.id || r.name == rule.name);
                        if let Some(other) = clash {
                            let (what, value) = if other.id == rule.id {
                                ("id", rule.id)
                            } else {
                                ("name", rule.name)
                            };
                            errors.push(error_at(
                                &file,
                                &text,
                                Some(id_span),
                                format!(
                                    "the {what} `{value}` is already the rule in {}: ids and names are unique",
                                    other.file
                                ),
                            ));
                            continue;
                        }
                        rules.push(Arc::new(rule));
                        files.push(file);
                    }
                    Err(e) => errors.push(e),
                }
            }
        }
        Packs {
            rules: Arc::new(UserRules::new(rules)),
            files,
            dirs: dirs.to_vec(),
            errors,
        }
    }

    /// Whether `path` (absolute) is, or could become, a rule file of one of
    /// these packs.
    pub fn contains(&self, path: &Path) -> bool {
        path.extension().is_some_and(|e| e == "toml")
            && path
                .parent()
                .is_some_and(|p| self.dirs.iter().any(|d| d == p))
    }
}

/// The `*.toml` files of a pack directory, in name order.
fn rule_files(dir: &Path, errors: &mut Vec<ConfigError>) -> Vec<PathBuf> {
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) => {
            errors.push(ConfigError {
                path: dir.to_path_buf(),
                line: None,
                column: None,
                message: format!("cannot read the rule pack: {}", io_message(&e)),
                rule_pack: true,
            });
            return Vec::new();
        }
    };
    let mut files: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "toml") && p.is_file())
        .collect();
    files.sort();
    files
}

fn io_message(error: &std::io::Error) -> String {
    let message = error.to_string();
    match message.find(" (os error") {
        Some(at) => message[..at].to_string(),
        None => message,
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RawRule {
    id: Spanned<String>,
    name: Spanned<String>,
    severity: Spanned<String>,
    summary: Spanned<String>,
    message: Spanned<String>,
    help: Option<Spanned<String>>,
    docs: Option<Spanned<String>>,
    document: Option<Spanned<String>>,
    each: Option<Spanned<String>>,
    select: Spanned<String>,
    forbid: Option<Spanned<bool>>,
    require: Option<Spanned<bool>>,
    equals: Option<Spanned<serde_json::Value>>,
    #[serde(rename = "in")]
    in_: Option<Spanned<Vec<serde_json::Value>>>,
    matches: Option<Spanned<String>>,
    count: Option<Spanned<RawCount>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCount {
    min: Option<usize>,
    max: Option<usize>,
}

/// The assertions a rule may have, one of them.
const ASSERTIONS: &str = "`forbid`, `require`, `equals`, `in`, `matches` or `count`";

/// Reads and compiles one rule file; returns the rule, the span of its id
/// and the file's text.
fn read_rule(
    file: &Path,
    dir: &Path,
    base: &Path,
) -> Result<(UserRule, Range<usize>, String), ConfigError> {
    let text = std::fs::read_to_string(file).map_err(|e| ConfigError {
        path: file.to_path_buf(),
        line: None,
        column: None,
        message: format!("cannot read: {}", io_message(&e)),
        rule_pack: true,
    })?;
    let at = |span: Option<Range<usize>>, message: String| error_at(file, &text, span, message);
    let root =
        toml_tree::parse(&text).map_err(|e| at(e.span, crate::config::one_line(&e.message)))?;
    let raw = toml_tree::read::<RawRule>(&root, false)
        .value
        .map_err(|e| at(toml_tree::span_of(&e), crate::config::one_line(e.message())))?;

    let severity = Severity::parse(raw.severity.get_ref()).ok_or_else(|| {
        at(
            Some(raw.severity.span()),
            format!(
                "`severity` must be \"error\", \"warning\", \"info\" or \"hint\", not \"{}\"",
                raw.severity.get_ref()
            ),
        )
    })?;
    let document = match raw.document.as_ref().map(|d| d.get_ref().as_str()) {
        None | Some("policy") => Target::Policy,
        Some("facts") => Target::Facts,
        Some(other) => {
            return Err(at(
                raw.document.as_ref().map(Spanned::span),
                format!("`document` must be \"policy\" or \"facts\", not \"{other}\""),
            ))
        }
    };
    let mut assertions: Vec<(Range<usize>, AssertionSpec)> = Vec::new();
    if let Some(forbid) = &raw.forbid {
        if !forbid.get_ref() {
            return Err(at(
                Some(forbid.span()),
                "`forbid` can only be `true`".into(),
            ));
        }
        assertions.push((forbid.span(), AssertionSpec::Forbid));
    }
    if let Some(require) = &raw.require {
        if !require.get_ref() {
            return Err(at(
                Some(require.span()),
                "`require` can only be `true`".into(),
            ));
        }
        assertions.push((require.span(), AssertionSpec::Require));
    }
    if let Some(equals) = &raw.equals {
        assertions.push((
            equals.span(),
            AssertionSpec::Equals(equals.get_ref().clone()),
        ));
    }
    if let Some(values) = &raw.in_ {
        assertions.push((values.span(), AssertionSpec::In(values.get_ref().clone())));
    }
    if let Some(pattern) = &raw.matches {
        assertions.push((
            pattern.span(),
            AssertionSpec::Matches(pattern.get_ref().clone()),
        ));
    }
    if let Some(count) = &raw.count {
        let RawCount { min, max } = *count.get_ref();
        assertions.push((count.span(), AssertionSpec::Count { min, max }));
    }
    assertions.sort_by_key(|(span, _)| span.start);
    let assertion = match assertions.len() {
        1 => assertions.pop().expect("one").1,
        0 => {
            return Err(at(
                Some(raw.select.span()),
                format!("the rule has no assertion: add one of {ASSERTIONS}"),
            ))
        }
        _ => {
            return Err(at(
                Some(assertions[1].0.clone()),
                format!("a rule has one assertion, of {ASSERTIONS}; this is its second"),
            ))
        }
    };

    let spec = RuleSpec {
        id: raw.id.get_ref().clone(),
        name: raw.name.get_ref().clone(),
        severity,
        summary: raw.summary.get_ref().clone(),
        message: raw.message.get_ref().clone(),
        help: raw.help.as_ref().map(|h| h.get_ref().clone()),
        docs: raw
            .docs
            .as_ref()
            .map(|d| d.get_ref().clone())
            .unwrap_or_default(),
        document,
        each: raw.each.as_ref().map(|e| e.get_ref().clone()),
        select: raw.select.get_ref().clone(),
        assertion,
    };
    let pack = dir
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let shown = file
        .strip_prefix(base)
        .unwrap_or(file)
        .display()
        .to_string();
    let rule = UserRule::compile(spec, &pack, &shown).map_err(|e| {
        let span = match e.field {
            "id" => Some(raw.id.span()),
            "name" => Some(raw.name.span()),
            "summary" => Some(raw.summary.span()),
            "message" => Some(raw.message.span()),
            "each" => raw.each.as_ref().map(Spanned::span),
            "select" => Some(raw.select.span()),
            "matches" => raw.matches.as_ref().map(Spanned::span),
            "count" => raw.count.as_ref().map(Spanned::span),
            _ => None,
        };
        let span = span.map(|s| inside_string(&text, s, &e));
        at(span, e.message)
    })?;
    Ok((rule, raw.id.span(), text))
}

/// The span of the error's offset inside a string value, when the string
/// is written on one line without escapes (so that offsets in its value are
/// offsets in the file); else the value's own span.
fn inside_string(text: &str, span: Range<usize>, error: &SpecError) -> Range<usize> {
    let Some(offset) = error.offset else {
        return span;
    };
    let raw = text.get(span.clone()).unwrap_or_default();
    let quoted = (raw.starts_with('"') && !raw.starts_with("\"\"\"") && !raw.contains('\\'))
        || (raw.starts_with('\'') && !raw.starts_with("'''"));
    if quoted && raw.len() >= 2 && offset + 2 <= raw.len() {
        let at = span.start + 1 + offset;
        at..at + 1
    } else {
        span
    }
}

/// An error at a span of a rule file, with its line and column.
fn error_at(file: &Path, text: &str, span: Option<Range<usize>>, message: String) -> ConfigError {
    let (line, column) = match span {
        Some(span) => {
            let (line, column) = line_column(text, span.start);
            (Some(line), Some(column))
        }
        None => (None, None),
    };
    ConfigError {
        path: file.to_path_buf(),
        line,
        column,
        message: crate::config::escape_controls(message),
        rule_pack: true,
    }
}

/// The 1-based line and column (in characters) of a byte offset.
pub(crate) fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let offset = offset.min(text.len());
    let before = &text.as_bytes()[..offset];
    let line_start = before
        .iter()
        .rposition(|&b| b == b'\n')
        .map_or(0, |i| i + 1);
    let line = 1 + before.iter().filter(|&&b| b == b'\n').count();
    let column = 1 + String::from_utf8_lossy(&before[line_start..])
        .chars()
        .count();
    (line, column)
}

#[cfg(test)]
mod tests;
