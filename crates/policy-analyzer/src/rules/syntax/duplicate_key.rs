use crate::diagnostic::Severity;
use crate::rules::{Check, Context, Emitter, FixAvailability, Pack, Rule};
use crate::syntax::SyntaxErrorKind;

pub(crate) static RULE: Rule = Rule {
    code: "PC002",
    name: "duplicate-key",
    pack: Pack::Syntax,
    severity: Severity::Error,
    fix: FixAvailability::None,
    tags: &[],
    summary: "A key appears twice in the same JSON object",
    docs: r#"## What it does
Reports a key that repeats an earlier key of the same JSON object, such as two
`"Service"` entries in one `Principal` or two `"Condition"` elements in one
statement.

## Why it matters
JSON parsers keep only one of the two values and silently drop the other;
AWS keeps the last one. The author believes both take effect. A duplicated
`"Service"` or `"AWS"` key means one of the principals never gets access; a
duplicated `"Condition"` loses a whole set of restrictions. policy-check, like
AWS, analyses the last value.

## Example
```json
"Principal": {
  "Service": "logs.us-east-1.amazonaws.com",
  "Service": "ssm.amazonaws.com"
}
```

## Use instead
```json
"Principal": {
  "Service": ["logs.us-east-1.amazonaws.com", "ssm.amazonaws.com"]
}
```

## Fix
Merge the two values (for principals and actions, into one array) or delete
the one that is not meant. There is no automatic fix, because only the author
knows which value is right.

## Sources
- RFC 8259, section 4: "The names within an object SHOULD be unique"; behaviour with duplicate names is unpredictable (https://www.rfc-editor.org/rfc/rfc8259#section-4).
- IAM User Guide, "Grammar of the IAM JSON policy language": "Individual elements must not contain multiple instances of the same key" (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_grammar.html).
"#,
    check: Check::Policy(check),
};

fn check(ctx: &Context<'_>, out: &mut Emitter<'_>) {
    for error in ctx.syntax_errors {
        if let SyntaxErrorKind::DuplicateKey { first } = error.kind {
            let key = ctx.slice(error.range);
            let d = out
                .diagnostic(error.range, error.message.clone())
                .with_related(first, format!("{key} first appears here; this value is ignored"))
                .with_help("merge the two values into one (an array for principals, actions and condition values) or delete the one that is not meant");
            out.push(d);
        }
    }
}
