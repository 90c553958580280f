use crate::diagnostic::Severity;
use crate::rules::{Check, FixAvailability, Pack, Rule};

pub(crate) static RULE: Rule = Rule {
    code: "PC606",
    name: "invalid-intrinsic",
    pack: Pack::Templates,
    severity: Severity::Error,
    fix: FixAvailability::None,
    tags: &[],
    summary: "An intrinsic function or Terraform function called with arguments it does not take",
    docs: r#"## What it does
Reports a function whose arguments cannot work: `Fn::Join` without a
delimiter and a list, `Fn::Select` with an index past the end of its list,
`Fn::Sub` with a variable map that is not a map, `!GetAtt` without an
attribute, `jsonencode` with two arguments, a `KeyPolicy` written as a string
that holds no JSON object.

## Why it matters
CloudFormation rejects the template ("Template error: ... must be ...") and
Terraform refuses the call ("Invalid function argument"), so the key policy
is never deployed. policy-check treats the value as unknown.

## Example
```yaml
AWS: !Join [":", arn, aws, iam]
```

## Use instead
```yaml
AWS: !Join [":", [arn, aws, iam, "", !Ref AWS::AccountId, root]]
```

## Fix
Give the function the arguments it takes.

## Sources
- AWS CloudFormation User Guide, Intrinsic function reference: https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/intrinsic-function-reference.html
- Terraform language, Built-in functions: https://developer.hashicorp.com/terraform/language/functions
"#,
    check: Check::Host,
};
