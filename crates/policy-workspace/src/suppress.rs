//! Suppressions: the findings a user accepted, each with a reason.
//!
//! Two places hold them:
//! - `[[suppressions]]` in `policy-check.toml`: rules, files, optionally a
//!   statement (by `Sid`) or a JSON pointer, and a required reason;
//! - a comment in a YAML template or a Terraform file, in the style of
//!   `tflint-ignore`:
//!
//!   ```text
//!   # policy-check-ignore: PC501, PC507 # partner account reviewed (SEC-123)
//!   # policy-check-ignore-file: PC507 # rotation is managed outside Terraform
//!   ```
//!
//!   A comment at the end of a line applies to that line; a comment on a
//!   line of its own applies to the next line. Either way, when that line
//!   opens a block (a YAML mapping or list item, an HCL block, attribute,
//!   object or list), the comment covers the whole block. `-file` covers the
//!   file.
//!
//! A suppression that accepts nothing is reported (`unused-suppression`), as
//! ruff reports an unused `noqa`; a comment without a reason, or naming no
//! known rule, is reported (`invalid-suppression`) and accepts nothing.

use std::ops::Range;
use std::path::Path;

use hcl_edit::expr::{Expression, ObjectKey, ObjectValue};
use hcl_edit::structure::{Attribute, Block};
use hcl_edit::visit::{self, Visit};
use hcl_edit::Span;
use policy_analyzer::rules::suppressions::{invalid_suppression, unused_suppression};
use policy_analyzer::rules::Emitter;
use policy_analyzer::user_rules::UserRules;
use policy_analyzer::{AnalyzeOptions, Diagnostic, Rule, TextRange};

use crate::config::Suppression;
use crate::selector;
use crate::settings::Settings;

/// The marker that starts a suppression comment.
pub const MARKER: &str = "policy-check-ignore";

/// How a file writes comments, if it can.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CommentSyntax {
    /// JSON: no comments.
    None,
    /// YAML: `#` to the end of the line.
    Yaml,
    /// HCL: `#` or `//` to the end of the line.
    Hcl,
}

impl CommentSyntax {
    /// The comment syntax of a file, by its name and, for a `.template`
    /// (JSON or YAML), its first character.
    pub fn of(path: &str, text: &str) -> CommentSyntax {
        // No suffix holds a separator: the path ends with one exactly when
        // its file name does.
        if path.ends_with(".json") {
            CommentSyntax::None
        } else if path.ends_with(".yaml") || path.ends_with(".yml") {
            CommentSyntax::Yaml
        } else if path.ends_with(".template") {
            if text.trim_start().starts_with('{') {
                CommentSyntax::None
            } else {
                CommentSyntax::Yaml
            }
        } else if path.ends_with(".tf") || path.ends_with(".tfvars") || path.ends_with(".hcl") {
            CommentSyntax::Hcl
        } else {
            CommentSyntax::None
        }
    }
}

/// One `policy-check-ignore` comment.
#[derive(Clone, Debug)]
pub struct InlineSuppression {
    /// The comment, from its `#` or `//` to the end of the line.
    pub comment: TextRange,
    /// The rules it names that exist.
    pub rules: Vec<&'static str>,
    /// What it names that is no rule.
    pub unknown: Vec<String>,
    pub reason: Option<String>,
    /// `policy-check-ignore-file`.
    pub whole_file: bool,
    /// The text it applies to.
    pub covers: TextRange,
}

impl InlineSuppression {
    /// Whether it can accept findings: a reason and a rule.
    pub fn is_valid(&self) -> bool {
        self.reason.is_some() && !self.rules.is_empty()
    }

    fn accepts(&self, d: &Diagnostic) -> bool {
        self.is_valid()
            && self.rules.contains(&d.code)
            && self.covers.start <= d.range.start
            && d.range.start < self.covers.end.max(self.covers.start + 1)
    }
}

/// The suppression comments of a file; `user` is the rules of the config's
/// packs, which comments may name too.
pub fn inline_suppressions(
    syntax: CommentSyntax,
    text: &str,
    user: &UserRules,
) -> Vec<InlineSuppression> {
    // memchr's search is optimised code; this crate is built unoptimised
    // (see the release profile), and this scan reads every host file whole.
    if syntax == CommentSyntax::None
        || memchr::memmem::find(text.as_bytes(), MARKER.as_bytes()).is_none()
    {
        return Vec::new();
    }
    let lines = Lines::new(text);
    let mut hcl_items = None;
    let mut out = Vec::new();
    for line in 0..lines.count() {
        let range = lines.range(line);
        let Some(comment_at) = comment_start(syntax, &text[range.clone()]) else {
            continue;
        };
        let start = range.start + comment_at;
        let body = text[start..range.end]
            .trim_start_matches('#')
            .trim_start_matches("//")
            .trim_start();
        let Some(spec) = body.strip_prefix(MARKER) else {
            continue;
        };
        let (whole_file, spec) = match spec.strip_prefix("-file") {
            Some(rest) => (true, rest),
            None => (false, spec),
        };
        let Some(spec) = spec.trim_start().strip_prefix(':') else {
            continue;
        };
        let (names, reason) = split_reason(spec);
        let mut rules = Vec::new();
        let mut unknown = Vec::new();
        for name in names
            .split(|c: char| c == ',' || c.is_whitespace())
            .filter(|n| !n.is_empty())
        {
            match selector::resolve_all_with([name], user) {
                Ok(codes) if !codes.is_empty() => rules.extend(codes),
                _ => unknown.push(name.to_string()),
            }
        }
        let covers = if whole_file {
            TextRange::new(0, text.len())
        } else {
            let code_before = !text[range.start..start].trim().is_empty();
            let anchor = if code_before {
                Some(line)
            } else {
                (line + 1..lines.count()).find(|&l| {
                    let t = text[lines.range(l)].trim();
                    !t.is_empty()
                        && comment_start(syntax, &text[lines.range(l)]) != Some(0)
                        && !t.starts_with('#')
                        && !t.starts_with("//")
                })
            };
            match anchor {
                None => TextRange::new(start, start),
                Some(anchor) => {
                    let end = match syntax {
                        CommentSyntax::Yaml => yaml_block_end(text, &lines, anchor),
                        _ => {
                            let items = hcl_items.get_or_insert_with(|| hcl_spans(text));
                            hcl_block_end(text, &lines, anchor, items)
                        }
                    };
                    TextRange::new(lines.range(anchor).start, end)
                }
            }
        };
        out.push(InlineSuppression {
            comment: TextRange::new(start, range.end),
            rules,
            unknown,
            reason,
            whole_file,
            covers,
        });
    }
    out
}

/// Splits `PC501, PC507 # reason` (or `-- reason`) into names and reason.
fn split_reason(spec: &str) -> (&str, Option<String>) {
    let at = [spec.find('#'), spec.find("--"), spec.find("//")]
        .into_iter()
        .flatten()
        .min();
    match at {
        None => (spec, None),
        Some(at) => {
            let reason = spec[at..].trim_start_matches(['#', '-', '/']).trim();
            (
                &spec[..at],
                (!reason.is_empty()).then(|| reason.to_string()),
            )
        }
    }
}

/// Where a comment starts in a line, outside quoted strings.
fn comment_start(syntax: CommentSyntax, line: &str) -> Option<usize> {
    let bytes = line.as_bytes();
    let mut quote: Option<u8> = None;
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        match quote {
            Some(q) => {
                if b == b'\\' && q == b'"' {
                    i += 1;
                } else if b == q {
                    quote = None;
                }
            }
            None => match b {
                b'"' => quote = Some(b'"'),
                // A YAML single quote opens a string only where a value
                // starts, not inside a word (`it's`).
                b'\''
                    if syntax == CommentSyntax::Yaml
                        && (i == 0
                            || matches!(
                                bytes[i - 1],
                                b' ' | b'\t' | b'[' | b'{' | b',' | b':' | b'-'
                            )) =>
                {
                    quote = Some(b'\'')
                }
                // YAML needs a space before `#` (`a#b` is a plain scalar).
                b'#' if syntax != CommentSyntax::Yaml
                    || i == 0
                    || matches!(bytes[i - 1], b' ' | b'\t') =>
                {
                    return Some(i)
                }
                b'/' if syntax == CommentSyntax::Hcl && bytes.get(i + 1) == Some(&b'/') => {
                    return Some(i)
                }
                _ => {}
            },
        }
        i += 1;
    }
    None
}

/// The end of the YAML block that starts on `anchor`: the lines after it
/// that are indented deeper (blank and comment lines do not end it).
fn yaml_block_end(text: &str, lines: &Lines, anchor: usize) -> usize {
    let indent = |l: usize| {
        let line = &text[lines.range(l)];
        line.len() - line.trim_start_matches([' ', '\t']).len()
    };
    let base = indent(anchor);
    let mut end = lines.range(anchor).end;
    for l in anchor + 1..lines.count() {
        let trimmed = text[lines.range(l)].trim();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        if indent(l) <= base {
            break;
        }
        end = lines.range(l).end;
    }
    end
}

/// The end of the largest HCL item (block, attribute, object item, list
/// element) that starts on `anchor`; the line's end when none does (or the
/// file does not parse).
fn hcl_block_end(text: &str, lines: &Lines, anchor: usize, items: &[Range<usize>]) -> usize {
    let line = lines.range(anchor);
    let first = line.start + (text[line.clone()].len() - text[line.clone()].trim_start().len());
    items
        .iter()
        .filter(|item| item.start >= first && item.start < line.end)
        .map(|item| item.end)
        .max()
        .unwrap_or(line.end)
        .max(line.end)
}

/// The spans of every block, attribute, object item and list element.
fn hcl_spans(text: &str) -> Vec<Range<usize>> {
    #[derive(Default)]
    struct Items(Vec<Range<usize>>);
    impl Visit for Items {
        fn visit_block(&mut self, node: &Block) {
            self.0.extend(node.span());
            visit::visit_block(self, node);
        }
        fn visit_attr(&mut self, node: &Attribute) {
            self.0.extend(node.span());
            visit::visit_attr(self, node);
        }
        fn visit_array(&mut self, node: &hcl_edit::expr::Array) {
            for element in node.iter() {
                self.0.extend(element.span());
            }
            visit::visit_array(self, node);
        }
        fn visit_object_item(&mut self, key: &ObjectKey, value: &ObjectValue) {
            if let (Some(k), Some(v)) = (key.span(), value.expr().span()) {
                self.0.push(k.start..v.end);
            }
            visit::visit_object_item(self, key, value);
        }
        fn visit_expr(&mut self, node: &Expression) {
            visit::visit_expr(self, node);
        }
    }
    match hcl_edit::parser::parse_body(text) {
        Ok(body) => {
            let mut items = Items::default();
            items.visit_body(&body);
            items.0
        }
        Err(_) => Vec::new(),
    }
}

/// Line ranges (without the line break) of a text.
struct Lines {
    starts: Vec<usize>,
    len: usize,
    text_ends: Vec<usize>,
}

impl Lines {
    fn new(text: &str) -> Lines {
        let mut starts = vec![0];
        let mut text_ends = Vec::new();
        for (i, b) in text.bytes().enumerate() {
            if b == b'\n' {
                let end = if i > 0 && text.as_bytes()[i - 1] == b'\r' {
                    i - 1
                } else {
                    i
                };
                text_ends.push(end);
                starts.push(i + 1);
            }
        }
        text_ends.push(text.len());
        Lines {
            starts,
            len: text.len(),
            text_ends,
        }
    }

    fn count(&self) -> usize {
        self.starts.len()
    }

    fn range(&self, line: usize) -> Range<usize> {
        self.starts[line].min(self.len)..self.text_ends[line]
    }
}

/// One file's text, as its findings name it.
#[derive(Clone, Copy, Debug)]
pub struct FileText<'a> {
    /// The file's path as shown (and as `Diagnostic::file` names it).
    pub path: &'a str,
    /// Its absolute path, for the config's globs.
    pub absolute: &'a Path,
    pub text: &'a str,
}

/// What the suppressions did to one file's findings.
#[derive(Debug, Default)]
pub struct Applied {
    /// The findings left, with the suppression comments' own findings.
    pub kept: Vec<Diagnostic>,
    /// How many findings a suppression accepted.
    pub suppressed: usize,
    /// The config suppressions (indices into [`Settings::suppressions`])
    /// that accepted a finding here.
    pub used: Vec<usize>,
    /// The config suppressions that could have: their `files` match this
    /// file and one of their rules ran on it.
    pub in_play: Vec<usize>,
}

/// Applies the config's suppressions and the file's comments to the
/// findings of one file, `options` being the file's own (per-file ignores
/// included).
pub fn apply(
    settings: &Settings,
    options: &AnalyzeOptions,
    file: FileText<'_>,
    diagnostics: Vec<Diagnostic>,
) -> Applied {
    let relative = settings.relative_to_config(file.absolute);
    let suppressions = settings.suppressions();
    let enabled = |code: &&str| !options.rules.disabled.contains(code);
    let mut applied = Applied {
        in_play: suppressions
            .iter()
            .enumerate()
            .filter(|(_, s)| s.files.matches(relative) && s.rules.iter().any(enabled))
            .map(|(i, _)| i)
            .collect(),
        ..Applied::default()
    };
    let comments = inline_suppressions(
        CommentSyntax::of(file.path, file.text),
        file.text,
        settings.user_rules(),
    );
    let mut comment_used = vec![false; comments.len()];
    for d in diagnostics {
        let by_comment = comments.iter().position(|c| c.accepts(&d));
        let by_config = applied
            .in_play
            .iter()
            .copied()
            .find(|&i| config_accepts(&suppressions[i], &d));
        if by_comment.is_none() && by_config.is_none() {
            applied.kept.push(d);
            continue;
        }
        applied.suppressed += 1;
        if let Some(i) = by_comment {
            comment_used[i] = true;
        }
        if let Some(i) = by_config.filter(|_| by_comment.is_none()) {
            if !applied.used.contains(&i) {
                applied.used.push(i);
            }
        }
    }
    for (comment, used) in comments.iter().zip(comment_used) {
        applied
            .kept
            .extend(comment_findings(comment, used, options, &enabled));
    }
    applied.kept.sort_by(|a, b| {
        (a.range.start, a.range.end, a.code).cmp(&(b.range.start, b.range.end, b.code))
    });
    applied
}

/// Whether a config suppression accepts a finding (its files already match).
pub fn config_accepts(s: &Suppression, d: &Diagnostic) -> bool {
    s.rules.contains(&d.code)
        && s.statement.as_ref().is_none_or(|sid| {
            d.statement
                .as_ref()
                .and_then(|st| st.sid.as_deref())
                .is_some_and(|found| found == sid)
        })
        && s.pointer.as_ref().is_none_or(|p| {
            d.pointer.as_deref().is_some_and(|found| {
                found == p
                    || found
                        .strip_prefix(p.as_str())
                        .is_some_and(|rest| rest.starts_with('/'))
            })
        })
}

/// What a suppression comment itself deserves: nothing when it was used,
/// `invalid-suppression` when it cannot be, `unused-suppression` when it
/// could have been and was not.
fn comment_findings(
    comment: &InlineSuppression,
    used: bool,
    options: &AnalyzeOptions,
    enabled: &dyn Fn(&&str) -> bool,
) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    let emit = |rule: &'static Rule, message: String, help: &str| -> Option<Diagnostic> {
        if options.rules.disabled.contains(&rule.code) {
            return None;
        }
        let emitter = Emitter::new(rule, &options.rules);
        Some(emitter.diagnostic(comment.comment, message).with_help(help))
    };
    for name in &comment.unknown {
        out.extend(emit(
            &invalid_suppression::RULE,
            format!(
                "`{name}` is not a rule, so this comment suppresses nothing for it{}",
                selector::resolve(name)
                    .err()
                    .and_then(|e| e.split_once(" (").map(|(_, hint)| format!(" ({hint}")))
                    .unwrap_or_default()
            ),
            "name rules by code (`PC501`) or name (`cross-account-access`)",
        ));
    }
    if comment.rules.is_empty() && comment.unknown.is_empty() {
        out.extend(emit(
            &invalid_suppression::RULE,
            format!("`{MARKER}` names no rule, so it suppresses nothing"),
            "name the rules after the colon: `# policy-check-ignore: PC501 # why`",
        ));
    } else if comment.reason.is_none() && !comment.rules.is_empty() {
        out.extend(emit(
            &invalid_suppression::RULE,
            format!(
                "this suppression of {} gives no reason, so it suppresses nothing: a reviewer cannot tell why the finding is accepted",
                comment.rules.join(", ")
            ),
            "add the reason after a second `#`: `# policy-check-ignore: PC501 # why it is accepted`",
        ));
    } else if !used && comment.is_valid() && comment.rules.iter().any(enabled) {
        let place = if comment.whole_file {
            "in this file"
        } else {
            "where it applies"
        };
        out.extend(emit(
            &unused_suppression::RULE,
            format!(
                "this suppression of {} accepted no finding: nothing of it is reported {place}, so it would only hide a future finding nobody reviewed",
                comment.rules.join(", ")
            ),
            "delete the comment",
        ));
    }
    out
}

/// The finding for a config suppression that accepted nothing, at its
/// entry in the config file (`text`).
pub fn unused_config_suppression(
    suppression: &Suppression,
    text: &str,
    options: &AnalyzeOptions,
) -> Option<Diagnostic> {
    let rule = &unused_suppression::RULE;
    if options.rules.disabled.contains(&rule.code) {
        return None;
    }
    let lines = Lines::new(text);
    let line = suppression.line.saturating_sub(1).min(lines.count() - 1);
    let range = lines.range(line);
    let mut scope = format!("in {}", suppression.files_written.join(", "));
    if let Some(sid) = &suppression.statement {
        scope.push_str(&format!(", statement `{sid}`"));
    }
    if let Some(pointer) = &suppression.pointer {
        scope.push_str(&format!(", at `{pointer}`"));
    }
    let emitter = Emitter::new(rule, &options.rules);
    Some(
        emitter
            .diagnostic(
                TextRange::new(range.start, range.end),
                format!(
                    "this suppression of {} {scope} accepted no finding in the files checked, so it would only hide a future finding nobody reviewed",
                    suppression.rules_written.join(", ")
                ),
            )
            .with_help("delete the `[[suppressions]]` entry"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn covered<'t>(text: &'t str, s: &InlineSuppression) -> &'t str {
        &text[s.covers.as_usize()]
    }

    #[test]
    fn a_yaml_comment_covers_the_block_below_it() {
        let text = "Resources:\n  Key:\n    # policy-check-ignore: PC501 # partner reviewed\n    Properties:\n      KeyPolicy:\n        Statement: []\n\n      # a note\n      Tags: []\n  Other:\n    Type: x\n";
        let found = inline_suppressions(CommentSyntax::Yaml, text, &UserRules::default());
        assert_eq!(found.len(), 1);
        let s = &found[0];
        assert_eq!(s.rules, vec!["PC501"]);
        assert_eq!(s.reason.as_deref(), Some("partner reviewed"));
        assert!(covered(text, s).starts_with("    Properties:"));
        assert!(covered(text, s).ends_with("Tags: []"));
        assert_eq!(
            &text[s.comment.as_usize()],
            "# policy-check-ignore: PC501 # partner reviewed"
        );
    }

    #[test]
    fn a_trailing_comment_covers_its_line_and_block() {
        let text = "a:\n  b: 1 # policy-check-ignore: PC507, unknown-action -- managed elsewhere\n  c: 2\n";
        let s = &inline_suppressions(CommentSyntax::Yaml, text, &UserRules::default())[0];
        assert_eq!(s.rules.len(), 2, "{:?}", s.rules);
        assert_eq!(s.rules[0], "PC507");
        assert!(s.unknown.is_empty());
        assert_eq!(s.reason.as_deref(), Some("managed elsewhere"));
        assert_eq!(
            covered(text, s),
            "  b: 1 # policy-check-ignore: PC507, unknown-action -- managed elsewhere"
        );
    }

    #[test]
    fn an_hcl_comment_covers_the_whole_block_with_its_heredoc() {
        let text = "# policy-check-ignore: PC501 # reviewed\nresource \"aws_kms_key\" \"k\" {\n  policy = <<EOF\n{\"Statement\": []}\nEOF\n}\n\nresource \"aws_kms_key\" \"other\" {}\n";
        let s = &inline_suppressions(CommentSyntax::Hcl, text, &UserRules::default())[0];
        assert!(covered(text, s).starts_with("resource \"aws_kms_key\" \"k\" {"));
        assert!(
            covered(text, s).ends_with("EOF\n}"),
            "{:?}",
            covered(text, s)
        );
        let text = "locals {\n  p = jsonencode({\n    Statement = [\n      // policy-check-ignore: PC501 // partner\n      {\n        Sid = \"A\"\n      },\n      { Sid = \"B\" },\n    ]\n  })\n}\n";
        let s = &inline_suppressions(CommentSyntax::Hcl, text, &UserRules::default())[0];
        assert_eq!(s.reason.as_deref(), Some("partner"));
        assert_eq!(covered(text, s), "      {\n        Sid = \"A\"\n      }");
    }

    #[test]
    fn comments_without_reason_rules_or_marker() {
        let text = "# policy-check-ignore: PC501\n# policy-check-ignore: # why\n# policy-check-ignore-file: PC507 # all of it\n# policy-check-ignores everything\nx: \"# policy-check-ignore: PC501 # in a string\"\n";
        let found = inline_suppressions(CommentSyntax::Yaml, text, &UserRules::default());
        assert_eq!(found.len(), 3);
        assert!(found[0].reason.is_none() && !found[0].is_valid());
        assert!(found[1].rules.is_empty() && !found[1].is_valid());
        assert!(found[2].whole_file && found[2].covers == TextRange::new(0, text.len()));
        assert!(inline_suppressions(CommentSyntax::None, text, &UserRules::default()).is_empty());
    }

    #[test]
    fn comment_syntax_follows_the_file_name() {
        assert_eq!(CommentSyntax::of("a/t.yaml", ""), CommentSyntax::Yaml);
        assert_eq!(CommentSyntax::of("main.tf", ""), CommentSyntax::Hcl);
        assert_eq!(CommentSyntax::of("main.tf.json", ""), CommentSyntax::None);
        assert_eq!(CommentSyntax::of("k.json", ""), CommentSyntax::None);
        assert_eq!(
            CommentSyntax::of("t.template", " {\"a\": 1}"),
            CommentSyntax::None
        );
        assert_eq!(
            CommentSyntax::of("t.template", "Resources:"),
            CommentSyntax::Yaml
        );
    }
}
