use super::label;
use crate::diagnostic::{DiagnosticTag, Severity};
use crate::rules::{Check, Context, Emitter, FixAvailability, Pack, Rule};
use crate::services::model::CallerKind;
use crate::services::reading::UnusedServicePrincipal;

pub(crate) static RULE: Rule = Rule {
    code: "PC410",
    name: "service-principal-for-forward-access-service",
    pack: Pack::Services,
    severity: Severity::Warning,
    fix: FixAvailability::None,
    tags: &[DiagnosticTag::Unnecessary],
    summary: "A service principal in a statement meant for a service that calls AWS KMS with the caller's identity",
    docs: r#"## What it does
Reports a service principal such as `fsx.amazonaws.com`,
`fsx.us-east-1.amazonaws.com`, `elasticfilesystem.amazonaws.com` or (in a
statement about SSE-KMS objects: with `kms:ViaService` `s3.<region>` or an
`aws:s3:arn` encryption context) `s3.amazonaws.com`, given permissions on the
key.

## Why it matters
Amazon FSx, File Cache and EFS call AWS KMS with the identity of the
principal that uses them (forward access) and keep access through grants;
S3 encrypts SSE-KMS objects with the identity of the caller (for a File Cache
data repository, the cache's service-linked role). None of them calls AWS KMS
as its service principal, so such a statement is never used, and the
service's requests depend on other statements. `fsx.<region>.amazonaws.com`
is the `kms:ViaService` value of FSx, not a principal.

## Example
```json
{"Sid": "Allow FSx", "Effect": "Allow",
 "Principal": {"Service": "fsx.amazonaws.com"},
 "Action": ["kms:Decrypt", "kms:GenerateDataKey*", "kms:CreateGrant", "kms:DescribeKey"],
 "Resource": "*"}
```

## Use instead
```json
{"Sid": "Allow access through Amazon FSx", "Effect": "Allow",
 "Principal": {"AWS": "*"},
 "Action": ["kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:CreateGrant", "kms:DescribeKey"],
 "Resource": "*",
 "Condition": {"StringEquals": {"kms:ViaService": "fsx.us-east-1.amazonaws.com", "kms:CallerAccount": "111122223333"}}}
```

## Fix
None: who should use the service is the author's decision.

## Sources
- https://docs.aws.amazon.com/fsx/latest/WindowsGuide/encryption-at-rest.html: there is no documented KMS service principal for FSx; FSx uses the caller's identity and grants. https://docs.aws.amazon.com/efs/latest/ug/encryption-at-rest.html: the EFS AWS managed key allows `Principal *` with `kms:ViaService`.
- https://docs.aws.amazon.com/AmazonS3/latest/userguide/UsingKMSEncryption.html: SSE-KMS calls are made with the caller's identity; the documented patterns use IAM principals and `kms:ViaService`.
"#,
    check: Check::Policy(check),
};

fn check(ctx: &Context<'_>, out: &mut Emitter<'_>) {
    for sp in &ctx.services().unused_service_principals {
        report(ctx, out, sp);
    }
}

fn report(ctx: &Context<'_>, out: &mut Emitter<'_>, sp: &UnusedServicePrincipal) {
    let model = sp.service.model();
    let how = match model.caller.kind {
        CallerKind::ForwardAccess | CallerKind::ServicePrincipal => format!(
            "{} calls AWS KMS with the identity of the principal that uses it (forward access), never as {}",
            model.name, sp.value
        ),
        CallerKind::ServiceLinkedRole => format!(
            "Amazon S3 encrypts and decrypts SSE-KMS objects with the identity of the caller (for a File Cache or FSx for Lustre data repository, its service-linked role), never as {}",
            sp.value
        ),
    };
    let via = model
        .via_service
        .as_ref()
        .map(|v| v.value(sp.region.as_deref().unwrap_or("<region>")))
        .unwrap_or_default();
    let message = format!(
        "{} gives the key to the service principal {}, but {how}: this statement is never used",
        label(ctx, sp.statement),
        sp.value
    );
    let help = match model.caller.kind {
        CallerKind::ForwardAccess | CallerKind::ServicePrincipal => format!(
            "give the permissions to the principals that use {} (or to \"*\" with kms:CallerAccount) and limit them with kms:ViaService \"{via}\"",
            model.name
        ),
        CallerKind::ServiceLinkedRole => format!(
            "give the permissions to the principals that read and write the objects (for a linked File Cache: its AWSServiceRoleForFSxS3Access_<id> role) with kms:ViaService \"{via}\""
        ),
    };
    out.push(out.diagnostic(sp.range, message).with_help(help));
}
