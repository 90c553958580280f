use crate::diagnostic::Severity;
use crate::rules::{Check, FixAvailability, Pack, Rule};

pub(crate) static RULE: Rule = Rule {
    code: "PC601",
    name: "unresolved-reference",
    pack: Pack::Templates,
    severity: Severity::Error,
    fix: FixAvailability::None,
    tags: &[],
    summary: "A reference to a parameter, resource, mapping, condition, variable, local or data source that is not declared",
    docs: r#"## What it does
Reports a reference that names nothing the template or module declares:
`!Ref`, `!GetAtt` or a `${...}` of `!Sub` naming no parameter, resource or
pseudo parameter; `!FindInMap` naming no mapping; `!If` or `!Condition`
naming no condition; `var.x` without a `variable "x"` block; `local.x`
without a `locals` entry; a data source or resource that no block declares.

## Why it matters
CloudFormation rejects the template ("Unresolved resource dependencies ...
in the Resources block of the template") and Terraform refuses to plan the
module ("Reference to undeclared input variable"), so the key and its policy
are never deployed. policy-check treats the value as unknown and checks the
rest of the policy without guessing it.

## Example
```yaml
KeyPolicy:
  Statement:
    - Effect: Allow
      Principal:
        AWS: !Ref KeyAdminArn    # no parameter KeyAdminArn
```

## Use instead
```yaml
Parameters:
  KeyAdminArn:
    Type: String
```

## Fix
Declare what is referenced, or correct the name.

## Sources
- AWS CloudFormation User Guide, Ref: https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/intrinsic-function-reference-ref.html
- AWS CloudFormation User Guide, Fn::Sub: https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/intrinsic-function-reference-sub.html
- Terraform language, Input variables: https://developer.hashicorp.com/terraform/language/values/variables
- Terraform language, Local values: https://developer.hashicorp.com/terraform/language/values/locals
"#,
    check: Check::Host,
};
