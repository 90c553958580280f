use crate::diagnostic::Severity;
use crate::rules::{Check, FixAvailability, Pack, Rule};

pub(crate) static RULE: Rule = Rule {
    code: "PC604",
    name: "missing-file",
    pack: Pack::Templates,
    severity: Severity::Error,
    fix: FixAvailability::None,
    tags: &[],
    summary: "A file() or templatefile() call whose file does not exist",
    docs: r#"## What it does
Reports a Terraform `file("...")` or `templatefile("...", {...})` call that
names a file that cannot be read, relative to the module.

## Why it matters
Terraform fails the plan ("Invalid value for \"path\" parameter: no file
exists at ..."), so the key policy is never deployed, and policy-check
cannot check a policy it cannot read.

## Example
```hcl
policy = file("${path.module}/policies/key.json")   # no such file
```

## Use instead
```hcl
policy = file("${path.module}/policy/key.json")
```

## Fix
Correct the path, or add the file.

## Sources
- Terraform language, file function: https://developer.hashicorp.com/terraform/language/functions/file
- Terraform language, templatefile function: https://developer.hashicorp.com/terraform/language/functions/templatefile
"#,
    check: Check::Host,
};
