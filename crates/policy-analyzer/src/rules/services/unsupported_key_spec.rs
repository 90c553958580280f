use super::{and_list, with_consumers};
use crate::diagnostic::Severity;
use crate::rules::{Check, Context, Emitter, FixAvailability, Pack, Rule};
use crate::services::profile::Origin;
use crate::symbolic::has_symbol;
use crate::text::TextRange;

pub(crate) static RULE: Rule = Rule {
    code: "PC411",
    name: "unsupported-key-spec",
    pack: Pack::Services,
    severity: Severity::Error,
    fix: FixAvailability::None,
    tags: &[],
    summary: "The profile gives a key spec that a service the key serves does not accept",
    docs: r#"## What it does
Reports a profile (`key-spec` in `policy-check.toml`) that gives an
asymmetric (`RSA_2048`, `ECC_NIST_P256`...) or HMAC (`HMAC_256`...) key spec
for a key that serves Amazon FSx, FSx for Lustre, File Cache, EFS or an S3
bucket, which accept only symmetric encryption keys (`SYMMETRIC_DEFAULT`).

## Why it matters
The service refuses the key when the file system, cache or bucket
encryption is set up; no key policy can change that.

## Example
```toml
[[profiles]]
services = ["fsx"]
key-spec = "RSA_2048"
```

## Use instead
```toml
[[profiles]]
services = ["fsx"]
key-spec = "SYMMETRIC_DEFAULT"
```
and a symmetric encryption key.

## Fix
None: the key must be replaced by a symmetric encryption key.

## Sources
- https://docs.aws.amazon.com/fsx/latest/LustreGuide/FSXKMS.html: "Amazon FSx accepts only symmetric CMKs. You can't use asymmetric CMKs with Amazon FSx".
- https://docs.aws.amazon.com/fsx/latest/FileCacheGuide/FileCacheKMS.html: "Amazon File Cache accepts only symmetric encryption KMS keys".
- https://docs.aws.amazon.com/efs/latest/ug/encryption-at-rest.html: EFS supports only symmetric keys; https://docs.aws.amazon.com/AmazonS3/latest/userguide/UsingKMSEncryption.html: S3 accepts only symmetric encryption KMS keys.
"#,
    check: Check::Policy(check),
};

fn check(ctx: &Context<'_>, out: &mut Emitter<'_>) {
    let analysis = ctx.services();
    // A configured key spec is not in the policy: point at the statements.
    let statements = ctx
        .policy
        .statement_element
        .map_or(TextRange::empty(0), |e| e.key_range);
    for check in &analysis.checks {
        let model = check.service().model();
        let accepted = &model.key_spec.accepted;
        let source = crate::services::model::source_document(&model.key_spec.source);
        let help = format!(
            "use a symmetric encryption key ({}) for {}, as {source} says",
            and_list(accepted),
            model.name
        );
        if let Some(spec) = &check.profile.key_spec {
            if has_symbol(&spec.value)
                || accepted.iter().any(|a| a.eq_ignore_ascii_case(&spec.value))
            {
                continue;
            }
            let message = format!(
                "{} the key spec {}, but {} accepts only {} (symmetric encryption keys)",
                match &spec.origin {
                    Origin::Resource(e) => format!("{} has", e.what),
                    _ => "the profile gives".to_string(),
                },
                spec.value,
                model.name,
                and_list(accepted)
            );
            let d = out.diagnostic(statements, message).with_help(help.clone());
            let d = match &spec.origin {
                Origin::Resource(e) => d.at_location(&e.at),
                _ => d,
            };
            out.push(with_consumers(d, check));
            continue;
        }
        // A symmetric key spec with another usage cannot be: the usage of an
        // asymmetric or HMAC key is what a spec left unwritten hides.
        if let Some(usage) = ctx.key.and_then(|k| k.usage.as_ref()) {
            if has_symbol(&usage.value) || usage.value.eq_ignore_ascii_case("ENCRYPT_DECRYPT") {
                continue;
            }
            let key = ctx.key.map(|k| k.name.as_str()).unwrap_or("the key");
            let message = format!(
                "{key} has the key usage {}, but {} encrypts only with symmetric encryption keys (ENCRYPT_DECRYPT)",
                usage.value, model.name
            );
            let d = out
                .diagnostic(statements, message)
                .with_help(help)
                .at_location(&usage.at);
            out.push(with_consumers(d, check));
        }
    }
}
