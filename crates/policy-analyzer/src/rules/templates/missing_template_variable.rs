use crate::diagnostic::Severity;
use crate::rules::{Check, FixAvailability, Pack, Rule};

pub(crate) static RULE: Rule = Rule {
    code: "PC605",
    name: "missing-template-variable",
    pack: Pack::Templates,
    severity: Severity::Error,
    fix: FixAvailability::None,
    tags: &[],
    summary: "A template placeholder that the templatefile() call gives no value for",
    docs: r#"## What it does
Reports a `${name}` in a template file rendered by `templatefile()` whose
variables map has no `name`.

## Why it matters
Terraform fails the plan ("vars map does not contain key \"name\""), so the
policy is never rendered or deployed. policy-check treats the placeholder as
unknown and checks the rest of the template.

## Example
```hcl
policy = templatefile("${path.module}/key-policy.json.tpl", {
  account_id = data.aws_caller_identity.current.account_id
})
```
with `${admin_role_arn}` in `key-policy.json.tpl`.

## Use instead
```hcl
policy = templatefile("${path.module}/key-policy.json.tpl", {
  account_id     = data.aws_caller_identity.current.account_id
  admin_role_arn = aws_iam_role.admin.arn
})
```

## Fix
Give the variable in the call, or remove the placeholder.

## Sources
- Terraform language, templatefile function: https://developer.hashicorp.com/terraform/language/functions/templatefile
"#,
    check: Check::Host,
};
