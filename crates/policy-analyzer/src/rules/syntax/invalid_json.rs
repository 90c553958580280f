use crate::diagnostic::Severity;
use crate::rules::{Check, Context, Emitter, FixAvailability, Pack, Rule};
use crate::syntax::SyntaxErrorKind;

pub(crate) static RULE: Rule = Rule {
    code: "PC001",
    name: "invalid-json",
    pack: Pack::Syntax,
    severity: Severity::Error,
    fix: FixAvailability::None,
    tags: &[],
    summary: "The text is not valid JSON",
    docs: r#"## What it does
Reports text that is not valid JSON: a missing comma or colon, an unquoted
string, an unterminated string, a bad escape or number, an unquoted template
placeholder such as `${account_id}`, or content after the policy object.

## Why it matters
AWS KMS parses the key policy as JSON and rejects the whole document
(`MalformedPolicyDocumentException`) at the first syntax error, so nothing in
it takes effect. policy-check keeps reading after the error where it can, so the
rest of the policy is still checked.

## Example
```json
{
  "Version": "2012-10-17"
  "Statement": []
}
```

## Use instead
```json
{
  "Version": "2012-10-17",
  "Statement": []
}
```

## Fix
Edit the text at the reported position as the message says. A Terraform
template (a file with `${name}` placeholders or `%{ }` directives) is read as
a template, its placeholders standing for unknown values, and CloudFormation
templates and Terraform modules are read as such; other template languages
must be rendered before the file is checked as plain JSON.

## Sources
- RFC 8259, The JavaScript Object Notation (JSON) Data Interchange Format: https://www.rfc-editor.org/rfc/rfc8259
- AWS KMS Developer Guide, "Creating a key policy": a key policy is a JSON document (https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-overview.html).
"#,
    check: Check::Policy(check),
};

fn check(ctx: &Context<'_>, out: &mut Emitter<'_>) {
    for error in ctx.syntax_errors {
        if error.kind == SyntaxErrorKind::Invalid {
            let mut d = out.diagnostic(error.range, error.message.clone());
            if let Some((range, label)) = &error.related {
                d = d.with_related(*range, label.clone());
            }
            out.push(d);
        }
    }
}
