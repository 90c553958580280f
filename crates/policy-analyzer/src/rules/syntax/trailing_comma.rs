use crate::diagnostic::{Fix, Severity};
use crate::rules::{Check, Context, Emitter, FixAvailability, Pack, Rule};
use crate::syntax::SyntaxErrorKind;

pub(crate) static RULE: Rule = Rule {
    code: "PC004",
    name: "trailing-comma",
    pack: Pack::Syntax,
    severity: Severity::Error,
    fix: FixAvailability::Always,
    tags: &[],
    summary: "A comma after the last element of an object or array",
    docs: r#"## What it does
Reports a comma directly before `}` or `]`.

## Why it matters
JSON does not allow trailing commas. Many editors and JavaScript accept them,
so they slip in when a statement or action is deleted, but AWS KMS rejects the
policy document (`MalformedPolicyDocumentException`).

## Example
```json
"Action": [
  "kms:Decrypt",
  "kms:DescribeKey",
]
```

## Use instead
```json
"Action": [
  "kms:Decrypt",
  "kms:DescribeKey"
]
```

## Fix
The fix deletes the comma.

## Sources
- RFC 8259, sections 5 (arrays) and 4 (objects): values are separated by commas, with none after the last (https://www.rfc-editor.org/rfc/rfc8259#section-5).
- AWS KMS Developer Guide, "Creating a key policy": a key policy is a JSON document (https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-overview.html).
"#,
    check: Check::Policy(check),
};

fn check(ctx: &Context<'_>, out: &mut Emitter<'_>) {
    for error in ctx.syntax_errors {
        if error.kind == SyntaxErrorKind::TrailingComma {
            let d = out
                .diagnostic(error.range, error.message.clone())
                .with_help("delete the comma")
                .with_fix(Fix::replace("Delete the trailing comma", error.range, ""));
            out.push(d);
        }
    }
}
