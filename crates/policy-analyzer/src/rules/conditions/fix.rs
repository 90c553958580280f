//! Text edits for the fixes of the conditions pack: renaming a JSON string
//! (an operator or a key) and moving condition keys from one operator block
//! to another. `analyze` checks every fix it keeps by parsing the edited
//! container again (`rules::edits::fix_is_sound`): a fix that would leave a
//! syntax error or a duplicate key is dropped rather than offered.

use crate::diagnostic::TextEdit;
use crate::model::{ConditionBlock, ConditionKeyEntry};
use crate::rules::Context;
use crate::syntax::NodeId;
use crate::text::TextRange;

/// `value` as a JSON string literal, quotes included.
pub(crate) fn json_string(value: &str) -> String {
    serde_json::to_string(value).unwrap_or_else(|_| format!("\"{value}\""))
}

/// An edit that makes the JSON string at `range` (quotes included) read
/// `new`. When the string is written without escapes, only the text between
/// the quotes is replaced, so the edit covers exactly the old name.
pub(crate) fn string_edit(
    ctx: &Context<'_>,
    range: TextRange,
    decoded: &str,
    new: &str,
) -> TextEdit {
    let raw = ctx.slice(range);
    let quoted = json_string(new);
    if raw.len() >= 2
        && raw.starts_with('"')
        && raw.ends_with('"')
        && &raw[1..raw.len() - 1] == decoded
    {
        TextEdit {
            range: TextRange::new(range.start as usize + 1, range.end as usize - 1),
            replacement: quoted[1..quoted.len() - 1].to_string(),
        }
    } else {
        TextEdit {
            range,
            replacement: quoted,
        }
    }
}

/// How an object is laid out, to write a changed one the same way.
#[derive(Clone, Debug)]
struct Layout {
    multiline: bool,
    member_indent: String,
    close_indent: String,
    /// A space inside the braces of a one-line object.
    padded: bool,
    newline: &'static str,
}

fn layout(ctx: &Context<'_>, object: NodeId, first_key: Option<TextRange>) -> Layout {
    let text = ctx.text;
    let range = ctx.tree.range(object);
    let inner = &text[range.start as usize + 1..range.end as usize - 1];
    // The object's own line ends: looking through the whole text for each
    // fix made a file of n fixes cost n times its length.
    let newline = if inner.contains("\r\n") { "\r\n" } else { "\n" };
    let multiline = inner.contains('\n');
    let line_indent = |at: usize| -> String {
        let line_start = text[..at].rfind('\n').map_or(0, |i| i + 1);
        text[line_start..at]
            .chars()
            .take_while(|c| *c == ' ' || *c == '\t')
            .collect()
    };
    let close_indent = line_indent(range.end as usize - 1);
    let member_indent = match first_key {
        Some(k) if multiline => line_indent(k.start as usize),
        _ => format!("{close_indent}  "),
    };
    Layout {
        multiline,
        member_indent,
        close_indent,
        padded: inner.starts_with(' '),
        newline,
    }
}

fn render(layout: &Layout, members: &[String]) -> String {
    if members.is_empty() {
        return "{}".to_string();
    }
    if layout.multiline {
        let nl = layout.newline;
        let body: Vec<String> = members
            .iter()
            .map(|m| format!("{}{m}", layout.member_indent))
            .collect();
        format!(
            "{{{nl}{}{nl}{}}}",
            body.join(&format!(",{nl}")),
            layout.close_indent
        )
    } else if layout.padded {
        format!("{{ {} }}", members.join(", "))
    } else {
        format!("{{{}}}", members.join(", "))
    }
}

/// The text of an object member, from its key to the end of its value.
fn member_text<'t>(ctx: &Context<'t>, key: TextRange, value: NodeId) -> &'t str {
    let end = ctx.tree.range(value).end;
    &ctx.text[key.start as usize..end as usize]
}

/// Edits that move the keys at `keys` (indices into the operator's keys) of
/// the operator block at `source` (an index into the condition block's
/// operators) into the operator block named `target`, which is created
/// after the source block when it does not exist. When every key moves and
/// there is no target block, the operator is simply renamed.
///
/// Returns `None` when the move cannot be written safely: the text has
/// syntax errors, a moved key is already in the target block, or a block is
/// not an object.
pub(crate) fn move_keys(
    ctx: &Context<'_>,
    block: &ConditionBlock<'_>,
    source: usize,
    keys: &[usize],
    target: &str,
) -> Option<Vec<TextEdit>> {
    let src = block.operators.get(source)?;
    let target_index = block.operators.iter().position(|o| o.name.value == target);
    if target_index == Some(source) {
        return None;
    }
    if keys.len() == src.keys.len() && target_index.is_none() {
        return Some(vec![string_edit(
            ctx,
            src.name.range,
            src.name.value,
            target,
        )]);
    }
    if !ctx.syntax_errors.is_empty() {
        return None;
    }
    let object = |node: NodeId| matches!(ctx.tree.kind(node), crate::syntax::NodeKind::Object(_));
    if !object(src.value_node) || !object(block.element.value) {
        return None;
    }
    let moved: Vec<&ConditionKeyEntry<'_>> = keys.iter().filter_map(|&k| src.keys.get(k)).collect();
    if moved.len() != keys.len() {
        return None;
    }
    if let Some(t) = target_index {
        let tgt = &block.operators[t];
        if !object(tgt.value_node) {
            return None;
        }
        let clash = moved.iter().any(|m| {
            tgt.keys
                .iter()
                .any(|k| k.key.value.eq_ignore_ascii_case(m.key.value))
        });
        if clash {
            return None;
        }
    }
    let text_of =
        |k: &ConditionKeyEntry<'_>| member_text(ctx, k.key.range, k.value_node).to_string();
    let moved_texts: Vec<String> = moved.iter().map(|k| text_of(k)).collect();
    let src_layout = layout(ctx, src.value_node, src.keys.first().map(|k| k.key.range));
    let mut members = Vec::new();
    for (i, op) in block.operators.iter().enumerate() {
        let name = ctx.slice(op.name.range);
        if i == source {
            let kept: Vec<String> = op
                .keys
                .iter()
                .enumerate()
                .filter(|(k, _)| !keys.contains(k))
                .map(|(_, k)| text_of(k))
                .collect();
            if !kept.is_empty() {
                members.push(format!("{name}: {}", render(&src_layout, &kept)));
            }
            if target_index.is_none() {
                members.push(format!(
                    "{}: {}",
                    json_string(target),
                    render(&src_layout, &moved_texts)
                ));
            }
        } else if Some(i) == target_index {
            let tgt_layout = layout(ctx, op.value_node, op.keys.first().map(|k| k.key.range));
            let mut all: Vec<String> = op.keys.iter().map(&text_of).collect();
            all.extend(moved_texts.iter().cloned());
            members.push(format!("{name}: {}", render(&tgt_layout, &all)));
        } else {
            members.push(member_text(ctx, op.name.range, op.value_node).to_string());
        }
    }
    let cond_layout = layout(
        ctx,
        block.element.value,
        block.operators.first().map(|o| o.name.range),
    );
    Some(vec![TextEdit {
        range: ctx.tree.range(block.element.value),
        replacement: render(&cond_layout, &members),
    }])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diagnostic::Fix;
    use crate::model::Policy;
    use crate::syntax::parse;
    use crate::AnalyzeOptions;

    /// Runs `move_keys` on the first statement's condition and returns the
    /// edited text, checking that it parses cleanly.
    fn moved(text: &str, source: &str, keys: &[&str], target: &str) -> Option<String> {
        let parsed = parse(text);
        let policy = Policy::from_tree(&parsed.tree);
        let options = AnalyzeOptions::default();
        let ctx = Context::new(text, &parsed.tree, &parsed.errors, &policy, &options, None);
        let block = policy.statements[0].condition.as_ref().unwrap();
        let s = block
            .operators
            .iter()
            .position(|o| o.name.value == source)
            .unwrap();
        let ks: Vec<usize> = keys
            .iter()
            .map(|k| {
                block.operators[s]
                    .keys
                    .iter()
                    .position(|e| e.key.value == *k)
                    .unwrap()
            })
            .collect();
        let edits = move_keys(&ctx, block, s, &ks, target)?;
        let fix = Fix {
            title: "t".into(),
            applicability: crate::Applicability::Safe,
            edits,
        };
        assert!(
            crate::rules::edits::fix_is_sound(text, &parsed.tree, &fix),
            "the edit re-parses cleanly"
        );
        let out = fix.apply(text);
        let reparsed = parse(&out);
        assert!(reparsed.errors.is_empty(), "{out}\n{:?}", reparsed.errors);
        Some(out)
    }

    /// The operators and their keys of the first statement, for assertions.
    fn shape(text: &str) -> Vec<(String, Vec<String>)> {
        let parsed = parse(text);
        let policy = Policy::from_tree(&parsed.tree);
        let block = policy.statements[0].condition.as_ref().unwrap();
        block
            .operators
            .iter()
            .map(|o| {
                (
                    o.name.value.to_string(),
                    o.keys.iter().map(|k| k.key.value.to_string()).collect(),
                )
            })
            .collect()
    }

    const MULTI: &str = r#"{
  "Version": "2012-10-17",
  "Statement": [
    {
      "Effect": "Allow",
      "Principal": {"AWS": "*"},
      "Action": "kms:Decrypt",
      "Resource": "*",
      "Condition": {
        "StringEquals": {
          "kms:CallerAccount": "111122223333",
          "kms:EncryptionContext:aws:s3:arn": "arn:aws:s3:::my-data-bucket/*",
          "kms:ViaService": "s3.us-east-1.amazonaws.com"
        }
      }
    }
  ]
}"#;

    #[test]
    fn renames_when_the_whole_block_moves() {
        let text = r#"{"Statement":[{"Condition":{"StringEquals":{"kms:EncryptionContext:aws:s3:arn":"arn:aws:s3:::b/*"}}}]}"#;
        let out = moved(
            text,
            "StringEquals",
            &["kms:EncryptionContext:aws:s3:arn"],
            "StringLike",
        )
        .unwrap();
        assert_eq!(out, text.replace("StringEquals", "StringLike"));
    }

    #[test]
    fn moves_one_key_into_a_new_block() {
        let out = moved(
            MULTI,
            "StringEquals",
            &["kms:EncryptionContext:aws:s3:arn"],
            "StringLike",
        )
        .unwrap();
        assert_eq!(
            shape(&out),
            vec![
                (
                    "StringEquals".into(),
                    vec!["kms:CallerAccount".into(), "kms:ViaService".into()]
                ),
                (
                    "StringLike".into(),
                    vec!["kms:EncryptionContext:aws:s3:arn".into()]
                ),
            ]
        );
        assert!(out.contains(
            "        \"StringLike\": {\n          \"kms:EncryptionContext:aws:s3:arn\": \"arn:aws:s3:::my-data-bucket/*\"\n        }\n      }"
        ), "{out}");
    }

    #[test]
    fn moves_one_key_into_an_existing_block() {
        let text = MULTI.replace(
            "        }\n      }\n    }",
            "        },\n        \"StringLike\": {\"aws:userid\": \"*:FSx\"}\n      }\n    }",
        );
        let out = moved(
            &text,
            "StringEquals",
            &["kms:EncryptionContext:aws:s3:arn"],
            "StringLike",
        )
        .unwrap();
        assert_eq!(
            shape(&out),
            vec![
                (
                    "StringEquals".into(),
                    vec!["kms:CallerAccount".into(), "kms:ViaService".into()]
                ),
                (
                    "StringLike".into(),
                    vec![
                        "aws:userid".into(),
                        "kms:EncryptionContext:aws:s3:arn".into()
                    ]
                ),
            ]
        );
    }

    #[test]
    fn merges_a_whole_block_into_an_existing_one() {
        let text = r#"{"Statement":[{"Condition":{"StringEquals":{"kms:EncryptionContext:aws:s3:arn":"arn:aws:s3:::b/*"},"StringLike":{"aws:userid":"*:FSx"},"Bool":{"aws:SecureTransport":"true"}}}]}"#;
        let out = moved(
            text,
            "StringEquals",
            &["kms:EncryptionContext:aws:s3:arn"],
            "StringLike",
        )
        .unwrap();
        assert_eq!(
            shape(&out),
            vec![
                (
                    "StringLike".into(),
                    vec![
                        "aws:userid".into(),
                        "kms:EncryptionContext:aws:s3:arn".into()
                    ]
                ),
                ("Bool".into(), vec!["aws:SecureTransport".into()]),
            ]
        );
    }

    #[test]
    fn refuses_a_move_that_would_duplicate_a_key() {
        let text = r#"{"Statement":[{"Condition":{"StringEquals":{"a:b":"x*","c:d":"y"},"StringLike":{"A:B":"z"}}}]}"#;
        assert!(moved(text, "StringEquals", &["a:b"], "StringLike").is_none());
    }

    #[test]
    fn refuses_to_rebuild_text_with_syntax_errors() {
        let text = r#"{"Statement":[{"Condition":{"StringEquals":{"a:b":"x*","c:d":"y",}}}]}"#;
        let parsed = parse(text);
        let policy = Policy::from_tree(&parsed.tree);
        let options = AnalyzeOptions::default();
        let ctx = Context::new(text, &parsed.tree, &parsed.errors, &policy, &options, None);
        let block = policy.statements[0].condition.as_ref().unwrap();
        assert!(move_keys(&ctx, block, 0, &[0], "StringLike").is_none());
    }

    #[test]
    fn keeps_multiline_arrays_and_crlf() {
        let text = MULTI
            .replace(
                "\"arn:aws:s3:::my-data-bucket/*\"",
                "[\n            \"arn:aws:s3:::my-data-bucket/*\",\n            \"arn:aws:s3:::other-bucket/*\"\n          ]",
            )
            .replace('\n', "\r\n");
        let out = moved(
            &text,
            "StringEquals",
            &["kms:EncryptionContext:aws:s3:arn"],
            "StringLike",
        )
        .unwrap();
        assert!(
            !out.replace("\r\n", "").contains('\n'),
            "only CRLF line ends"
        );
        assert_eq!(
            shape(&out)[1].1,
            vec!["kms:EncryptionContext:aws:s3:arn".to_string()]
        );
    }

    #[test]
    fn string_edits_touch_only_the_name() {
        let text = r#"{"Statement":[{"Condition":{"StringEqual":{"a:b":"x"}}}]}"#;
        let parsed = parse(text);
        let policy = Policy::from_tree(&parsed.tree);
        let options = AnalyzeOptions::default();
        let ctx = Context::new(text, &parsed.tree, &parsed.errors, &policy, &options, None);
        let op = &policy.statements[0].condition.as_ref().unwrap().operators[0];
        let edit = string_edit(&ctx, op.name.range, op.name.value, "StringEquals");
        assert_eq!(ctx.slice(edit.range), "StringEqual");
        // An escaped name is replaced whole, quotes included.
        let text = r#"{"Statement":[{"Condition":{"String\u0045qual":{"a:b":"x"}}}]}"#;
        let parsed = parse(text);
        let policy = Policy::from_tree(&parsed.tree);
        let ctx = Context::new(text, &parsed.tree, &parsed.errors, &policy, &options, None);
        let op = &policy.statements[0].condition.as_ref().unwrap().operators[0];
        let edit = string_edit(&ctx, op.name.range, op.name.value, "StringEquals");
        assert_eq!(edit.replacement, "\"StringEquals\"");
        assert_eq!(ctx.slice(edit.range), r#""String\u0045qual""#);
    }
}
