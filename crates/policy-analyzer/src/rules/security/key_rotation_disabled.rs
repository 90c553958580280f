use crate::diagnostic::{Fix, Severity};
use crate::rules::{Check, Context, Emitter, FixAvailability, Pack, Rule};

pub(crate) static RULE: Rule = Rule {
    code: "PC507",
    name: "key-rotation-disabled",
    pack: Pack::Security,
    severity: Severity::Warning,
    fix: FixAvailability::Sometimes,
    tags: &[],
    summary: "A symmetric key that resources use, without automatic rotation",
    docs: r#"## What it does
Reports a symmetric encryption key, declared in a template or module and
used by one of its resources, whose automatic rotation is off:
`EnableKeyRotation` false or not written on `AWS::KMS::Key`,
`enable_key_rotation` false or not written on `aws_kms_key` (both default to
off). Replica keys are not reported (their primary key's setting applies),
nor keys with imported key material, which AWS KMS cannot rotate.

## Why it matters
AWS's security best practices for KMS recommend automatic rotation of
customer managed keys: new key material each year (or the period you set)
limits how much data one key version protects, without re-encrypting data or
changing the key's ID. The equivalent checks of other tools are checkov
CKV_AWS_7 and cfn_nag F19.

## Example
```yaml
AppKey:
  Type: AWS::KMS::Key
  Properties:
    KeyPolicy: {...}
```

## Use instead
```yaml
AppKey:
  Type: AWS::KMS::Key
  Properties:
    EnableKeyRotation: true
    KeyPolicy: {...}
```

## Fix
Where rotation is written `false`, an unsafe fix sets it to `true` (rotation
adds a monthly charge per key version); where it is not written, add it.

## Sources
- AWS KMS Developer Guide, Rotate AWS KMS keys: https://docs.aws.amazon.com/kms/latest/developerguide/rotate-keys.html
- AWS Prescriptive Guidance, AWS KMS best practices (key rotation): https://docs.aws.amazon.com/prescriptive-guidance/latest/aws-kms-best-practices/data-protection-key-rotation.html
- AWS CloudFormation User Guide, AWS::KMS::Key EnableKeyRotation: https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-resource-kms-key.html
- Terraform AWS provider, aws_kms_key enable_key_rotation: https://registry.terraform.io/providers/hashicorp/aws/latest/docs/resources/kms_key
"#,
    check: Check::Policy(check),
};

fn check(ctx: &Context<'_>, out: &mut Emitter<'_>) {
    let Some(key) = ctx.key else {
        return;
    };
    if key.consumers.is_empty()
        || key.replica
        || key.external_material
        || key.is_symmetric() != Some(true)
    {
        return;
    }
    let users: Vec<&str> = key.consumers.iter().map(|c| c.name.as_str()).collect();
    let users = crate::rules::services::and_list(&users);
    let d = match &key.rotation {
        // On, or settled only at deployment.
        Some(rotation) if rotation.value != Some(false) => return,
        Some(rotation) => out
            .diagnostic(rotation.at.range, format!(
                "automatic rotation is off for {}, a symmetric key that {users} uses: rotate customer managed keys, as AWS's KMS best practices advise",
                key.name
            ))
            .at_location(&rotation.at)
            .with_fix(Fix::replace("Turn automatic rotation on", rotation.at.range, "true").unsafe_()),
        None => out
            .diagnostic(key.at.range, format!(
                "{} does not turn automatic rotation on (it is off unless written), and {users} uses it: rotate customer managed keys, as AWS's KMS best practices advise",
                key.name
            ))
            .at_location(&key.at),
    };
    out.push(d.with_help(
        "turn automatic rotation on: `EnableKeyRotation: true` in CloudFormation, `enable_key_rotation = true` in Terraform",
    ));
}
