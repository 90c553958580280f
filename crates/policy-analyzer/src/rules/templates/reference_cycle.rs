use crate::diagnostic::Severity;
use crate::rules::{Check, FixAvailability, Pack, Rule};

pub(crate) static RULE: Rule = Rule {
    code: "PC603",
    name: "reference-cycle",
    pack: Pack::Templates,
    severity: Severity::Error,
    fix: FixAvailability::None,
    tags: &[],
    summary: "Resources, conditions or locals that depend on each other in a circle",
    docs: r#"## What it does
Reports values that depend on themselves: CloudFormation resources whose
`DependsOn`, `Ref` or `GetAtt` form a circle, conditions that name each
other, Terraform `locals` that refer to each other.

## Why it matters
CloudFormation rejects the template ("Circular dependency between
resources") and Terraform refuses to plan ("Cycle: local.a, local.b"), so
the key is never deployed. policy-check stops following the circle and
treats the values in it as unknown.

## Example
```hcl
locals {
  admin = local.admins[0]
  admins = [local.admin]
}
```

## Use instead
```hcl
locals {
  admins = ["arn:aws:iam::111122223333:role/KeyAdmin"]
  admin  = local.admins[0]
}
```

## Fix
Break the circle.

## Sources
- AWS CloudFormation User Guide, DependsOn attribute: https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-attribute-dependson.html
- Terraform language, Local values: https://developer.hashicorp.com/terraform/language/values/locals
"#,
    check: Check::Host,
};
