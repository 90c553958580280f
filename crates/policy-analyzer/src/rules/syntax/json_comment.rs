use crate::diagnostic::{Fix, Severity};
use crate::rules::{Check, Context, Emitter, FixAvailability, Pack, Rule};
use crate::syntax::SyntaxErrorKind;
use crate::text::TextRange;

pub(crate) static RULE: Rule = Rule {
    code: "PC003",
    name: "json-comment",
    pack: Pack::Syntax,
    severity: Severity::Error,
    fix: FixAvailability::Always,
    tags: &[],
    summary: "A `//` or `/* */` comment in the policy",
    docs: r#"## What it does
Reports `//` and `/* */` comments.

## Why it matters
JSON has no comments. Editors that treat `.json` as JSON-with-comments accept
them, but AWS KMS rejects the policy document (`MalformedPolicyDocumentException`),
so the key cannot be created or its policy updated.

## Example
```json
{
  // allow the account to manage the key
  "Version": "2012-10-17",
  "Statement": []
}
```

## Use instead
```json
{
  "Version": "2012-10-17",
  "Statement": [{ "Sid": "Allow the account to manage the key" }]
}
```

## Fix
The fix deletes the comment. To keep the explanation, move it into the
statement's `Sid` (key policies allow spaces in Sids).

## Sources
- RFC 8259 (JSON has no comment syntax): https://www.rfc-editor.org/rfc/rfc8259
- AWS KMS Developer Guide, "Creating a key policy": a key policy is a JSON document; Sids may contain spaces (https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-overview.html).
"#,
    check: Check::Policy(check),
};

fn check(ctx: &Context<'_>, out: &mut Emitter<'_>) {
    for error in ctx.syntax_errors {
        if error.kind == SyntaxErrorKind::Comment {
            let d = out
                .diagnostic(error.range, error.message.clone())
                .with_help(
                    "delete the comment; to keep the explanation, put it in the statement's Sid",
                )
                .with_fix(Fix::replace(
                    "Delete the comment",
                    whole_lines(ctx.text, error.range),
                    "",
                ));
            out.push(d);
        }
    }
}

/// The comment's range, widened to its whole line when nothing else is on it,
/// so that deleting it leaves no blank line behind.
fn whole_lines(text: &str, range: TextRange) -> TextRange {
    let start = range.start as usize;
    let end = range.end as usize;
    let line_start = text[..start].rfind('\n').map_or(0, |i| i + 1);
    let line_end = text[end..].find('\n').map_or(text.len(), |i| end + i);
    let before_blank = text[line_start..start].trim().is_empty();
    let after_blank = text[end..line_end].trim().is_empty();
    if before_blank && after_blank && line_end < text.len() {
        TextRange::new(line_start, line_end + 1)
    } else {
        range
    }
}
