use crate::diagnostic::{DiagnosticTag, Severity};
use crate::rules::{Check, FixAvailability, Pack, Rule};

pub static RULE: Rule = Rule {
    code: "PC701",
    name: "unused-suppression",
    pack: Pack::Suppressions,
    severity: Severity::Warning,
    fix: FixAvailability::None,
    tags: &[DiagnosticTag::Unnecessary],
    summary: "A suppression that no finding needs any more",
    docs: r#"## What it does
Reports a suppression that accepted no finding in this run: a
`[[suppressions]]` entry of `policy-check.toml` whose rules ran on files its
`files` match, or a `policy-check-ignore` comment in a template or module,
without a single finding of its rules where it applies.

A config suppression is judged only when the run checked at least one of its
files with at least one of its rules enabled, so that `--select` or a run on
a few staged files does not report suppressions it could not have used.

## Why it matters
A suppression outlives the finding it was written for: the statement was
fixed, renamed or deleted. Left in place, it would silently accept the next
finding of that rule there, which nobody reviewed, and its reason no longer
describes anything.

## Example
```toml
[[suppressions]]
rules = ["PC501"]
files = ["keys/partner.json"]
statement = "PartnerDecrypt"   # this statement now names its account
reason = "partner account 444455556666 is reviewed by security (SEC-123)"
```

## Use instead
Delete the suppression.

## Fix
Delete the `[[suppressions]]` entry or the comment.

## Sources
- policy-check configuration, suppressions: https://github.com/policy-check/policy-check/blob/main/docs/configuration.md#suppressions
"#,
    check: Check::Host,
};
