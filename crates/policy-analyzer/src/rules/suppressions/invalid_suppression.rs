use crate::diagnostic::Severity;
use crate::rules::{Check, FixAvailability, Pack, Rule};

pub static RULE: Rule = Rule {
    code: "PC702",
    name: "invalid-suppression",
    pack: Pack::Suppressions,
    severity: Severity::Warning,
    fix: FixAvailability::None,
    tags: &[],
    summary: "A policy-check-ignore comment without a reason, or that names no known rule",
    docs: r#"## What it does
Reports a `policy-check-ignore` comment in a YAML template or a Terraform
file that policy-check cannot use: it gives no reason, names no rule, or
names a rule that does not exist. A comment without a reason suppresses
nothing; of the rules a comment names, the unknown ones are skipped.

## Why it matters
A suppression accepts a finding for everyone who reads the file later. The
reason is what lets a reviewer judge it, and what says when it can go. A
misspelt rule would otherwise suppress nothing while looking as if it did.

## Example
```yaml
      KeyPolicy:
        # policy-check-ignore: PC501
        Statement:
```

## Use instead
```yaml
      KeyPolicy:
        # policy-check-ignore: PC501 # partner account reviewed by security (SEC-123)
        Statement:
```

## Fix
Add the reason after a second `#` (or after `--`), and name rules by code
(`PC501`) or name (`cross-account-access`).

## Sources
- policy-check configuration, suppressions: https://github.com/policy-check/policy-check/blob/main/docs/configuration.md#suppressions
- The same comment form in tflint: https://github.com/terraform-linters/tflint/blob/master/docs/user-guide/annotations.md
"#,
    check: Check::Host,
};
