use super::and_list;
use crate::diagnostic::{Fix, Severity};
use crate::rules::{Check, Context, Emitter, FixAvailability, Pack, Rule};

pub(crate) static RULE: Rule = Rule {
    code: "PC412",
    name: "disabled-key-in-use",
    pack: Pack::Services,
    severity: Severity::Error,
    fix: FixAvailability::Sometimes,
    tags: &[],
    summary: "A key declared disabled that resources of its template or module use",
    docs: r#"## What it does
Reports a key whose template or module declares it disabled
(`Enabled: false` on `AWS::KMS::Key`, `is_enabled = false` on
`aws_kms_key`) while a file system, cache, bucket or other resource of the
same template or module uses it.

## Why it matters
AWS KMS refuses every cryptographic operation with a disabled key. A file
system or cache that names the key cannot be created, and one that exists
stops working: "existing encrypted-at-rest file systems ... stop working
after a period of time" (Amazon EFS). Objects of a bucket encrypted with the
key can no longer be written or read.

## Example
```yaml
AppKey:
  Type: AWS::KMS::Key
  Properties:
    Enabled: false
    KeyPolicy: {...}
Data:
  Type: AWS::EFS::FileSystem
  Properties:
    Encrypted: true
    KmsKeyId: !Ref AppKey
```

## Use instead
```yaml
AppKey:
  Type: AWS::KMS::Key
  Properties:
    Enabled: true
```

## Fix
Enable the key (an unsafe fix, since a key may have been disabled on
purpose), or let the resources use another key.

## Sources
- AWS KMS Developer Guide, Key states of AWS KMS keys: https://docs.aws.amazon.com/kms/latest/developerguide/key-state.html
- AWS KMS Developer Guide, Enable and disable keys: https://docs.aws.amazon.com/kms/latest/developerguide/enabling-keys.html
- Amazon EFS User Guide, Managing KMS keys for EFS file systems (formerly "Managing access to encrypted file systems"): https://docs.aws.amazon.com/efs/latest/ug/use-kms-key.html
- AWS CloudFormation User Guide, AWS::KMS::Key Enabled: https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-resource-kms-key.html
"#,
    check: Check::Policy(check),
};

fn check(ctx: &Context<'_>, out: &mut Emitter<'_>) {
    let Some(key) = ctx.key else {
        return;
    };
    let Some(enabled) = key.enabled.as_ref().filter(|e| e.value == Some(false)) else {
        return;
    };
    if key.consumers.is_empty() {
        return;
    }
    let users: Vec<&str> = key.consumers.iter().map(|c| c.name.as_str()).collect();
    let message = format!(
        "{} is declared disabled, but {} {} it: AWS KMS refuses every cryptographic operation with a disabled key, so {} cannot be created or stops working",
        key.name,
        and_list(&users),
        if users.len() == 1 { "uses" } else { "use" },
        if users.len() == 1 { "it" } else { "they" },
    );
    let mut d = out
        .diagnostic(enabled.at.range, message)
        .at_location(&enabled.at)
        .with_help("enable the key, or point the resources at an enabled key")
        .with_fix(Fix::replace("Enable the key", enabled.at.range, "true").unsafe_());
    for consumer in key.consumers.iter().take(3) {
        d = d.with_related_at(&consumer.at, format!("{} uses the key here", consumer.name));
    }
    out.push(d);
}
