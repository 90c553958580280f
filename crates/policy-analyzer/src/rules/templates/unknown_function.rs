use crate::diagnostic::Severity;
use crate::rules::{Check, FixAvailability, Pack, Rule};

pub(crate) static RULE: Rule = Rule {
    code: "PC602",
    name: "unknown-function",
    pack: Pack::Templates,
    severity: Severity::Error,
    fix: FixAvailability::None,
    tags: &[],
    summary: "An intrinsic function, YAML tag or Terraform function that does not exist",
    docs: r#"## What it does
Reports a CloudFormation intrinsic function (`Fn::Subb`), a YAML short-form
tag (`!Subb`) or a Terraform function call (`jsonencod(...)`) that the
template language does not have.

## Why it matters
CloudFormation rejects a template with an unknown function ("Template format
error: Unrecognized ... function"), and Terraform refuses a call to an
unknown function ("Call to unknown function"), so the key policy is never
deployed. policy-check treats the value as unknown.

## Example
```yaml
Principal:
  AWS: !Subb arn:aws:iam::${AWS::AccountId}:root
```

## Use instead
```yaml
Principal:
  AWS: !Sub arn:aws:iam::${AWS::AccountId}:root
```

## Fix
Correct the function's name.

## Sources
- AWS CloudFormation User Guide, Intrinsic function reference: https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/intrinsic-function-reference.html
- Terraform language, Built-in functions: https://developer.hashicorp.com/terraform/language/functions
"#,
    check: Check::Host,
};
