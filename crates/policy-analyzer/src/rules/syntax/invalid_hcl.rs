use crate::diagnostic::Severity;
use crate::rules::{Check, FixAvailability, Pack, Rule};

pub(crate) static RULE: Rule = Rule {
    code: "PC007",
    name: "invalid-hcl",
    pack: Pack::Syntax,
    severity: Severity::Error,
    fix: FixAvailability::None,
    tags: &[],
    summary: "A Terraform file that is not valid HCL",
    docs: r#"## What it does
Reports a Terraform `.tf` file that the HCL parser rejects: an unclosed
brace or string, an attribute without a value, a heredoc without its closing
marker. A `.tf.json` file that is not valid JSON is reported the same way.

## Why it matters
Terraform refuses to plan a module with a file it cannot parse, so none of
its keys or key policies are created or changed. policy-check reports the
error with its position and still checks the module's other files.

## Example
```hcl
resource "aws_kms_key" "app" {
  policy = jsonencode({
    Version = "2012-10-17"
}
```

## Use instead
```hcl
resource "aws_kms_key" "app" {
  policy = jsonencode({
    Version = "2012-10-17"
  })
}
```

## Fix
Edit the text at the reported position.

## Sources
- Terraform language, Syntax: https://developer.hashicorp.com/terraform/language/syntax/configuration
- HCL native syntax specification: https://github.com/hashicorp/hcl/blob/main/hclsyntax/spec.md
"#,
    check: Check::Host,
};
