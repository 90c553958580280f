use super::{and_list, label};
use crate::diagnostic::{Fix, Severity};
use crate::rules::{Check, Context, Emitter, FixAvailability, Pack, Rule};
use crate::services::reading::{MalformedRole, RoleArnProblem};

pub(crate) static RULE: Rule = Rule {
    code: "PC409",
    name: "malformed-service-linked-role",
    pack: Pack::Services,
    severity: Severity::Error,
    fix: FixAvailability::Sometimes,
    tags: &[],
    summary: "An ARN of the FSx S3 service-linked role with a wrong path, a missing or malformed id, or no account",
    docs: r#"## What it does
Checks every reference to the service-linked role that File Cache and FSx
for Lustre use to reach a linked S3 bucket, `AWSServiceRoleForFSxS3Access_<id>`,
in a principal or an `aws:PrincipalArn` condition. The role's ARN is
`arn:aws:iam::<account>:role/aws-service-role/s3.data-source.lustre.fsx.amazonaws.com/AWSServiceRoleForFSxS3Access_<fs-or-cache-id>`;
the rule reports an ARN without that path (or with another), without the id
after `AWSServiceRoleForFSxS3Access_`, with an id that is not a file-system
(`fs-...`) or cache (`fc-...`) id (a placeholder such as `file_cache_id`),
or with an account that is not a 12-digit id.

## Why it matters
A role's ARN includes its path; an ARN without it, or with a placeholder,
names no role, so the statement applies to no request of the cache's role and
the cache cannot read or write its SSE-KMS bucket.

## Example
```json
"Principal": {"AWS": "arn:aws:iam::111122223333:role/AWSServiceRoleForFSxS3Access_fc-0123456789abcdef0"}
```

## Use instead
```json
"Principal": {"AWS": "arn:aws:iam::111122223333:role/aws-service-role/s3.data-source.lustre.fsx.amazonaws.com/AWSServiceRoleForFSxS3Access_fc-0123456789abcdef0"}
```

## Fix
When only the path is wrong, the fix puts in the role's path (review it:
the statement starts to apply to the role).

## Sources
- https://docs.aws.amazon.com/fsx/latest/FileCacheGuide/s3-server-side-encryption-support.html: the principal `arn:aws:iam::aws_account_id:role/aws-service-role/s3.data-source.lustre.fsx.amazonaws.com/AWSServiceRoleForFSxS3Access_file_cache_id`, and "search your IAM roles using your cache ID" to find the role.
- https://docs.aws.amazon.com/fsx/latest/LustreGuide/using-service-linked-roles.html: one role per linked file system or cache, `AWSServiceRoleForFSxS3Access_fs-...` or `..._fc-...`; service-linked role ARNs have the form `arn:aws:iam::ACCOUNT:role/aws-service-role/SERVICE-NAME.amazonaws.com/ROLE`.
"#,
    check: Check::Policy(check),
};

fn check(ctx: &Context<'_>, out: &mut Emitter<'_>) {
    // A placeholder account is any principal ARN's defect: PC112 reports it
    // while it runs; this rule keeps what is particular to the role.
    let accounts_reported_elsewhere = ctx
        .options
        .rules
        .is_enabled(&crate::rules::structure::invalid_principal::RULE);
    for role in &ctx.services().malformed_roles {
        let problems: Vec<&RoleArnProblem> = role
            .problems
            .iter()
            .filter(|p| {
                !(accounts_reported_elsewhere
                    && matches!(p, RoleArnProblem::MalformedAccount { .. }))
            })
            .collect();
        if !problems.is_empty() {
            report(ctx, out, role, &problems);
        }
    }
}

fn report(
    ctx: &Context<'_>,
    out: &mut Emitter<'_>,
    role: &MalformedRole,
    problems: &[&RoleArnProblem],
) {
    let statement = role.statement;
    let model = role.service.model();
    let prefix = model.caller.role_name.as_deref().unwrap_or_default();
    let path = model.caller.path.as_deref().unwrap_or_default();
    let descriptions: Vec<String> = problems
        .iter()
        .map(|p| match *p {
            RoleArnProblem::NotARoleArn => "it is not an IAM role ARN (arn:aws:iam::<account>:role/...)".to_string(),
            RoleArnProblem::WrongPath { found, expected } if found == "/" => {
                format!("it lacks the role's path {expected}")
            }
            RoleArnProblem::WrongPath { found, expected } => {
                format!("its path is {found}, but the role's path is {expected}")
            }
            RoleArnProblem::MissingId => {
                format!("nothing follows {prefix}: the role is named after the file system or cache it serves ({prefix}fc-0123456789abcdef0)")
            }
            RoleArnProblem::MalformedId { id } => {
                format!("{id} is not a file-system (fs-...) or cache (fc-...) id")
            }
            RoleArnProblem::MalformedAccount { account } => format!("{account} is not a 12-digit account id"),
        })
        .collect();
    let place = if role.in_principal {
        "the principal"
    } else {
        "the aws:PrincipalArn value"
    };
    // A role named after a resource (one per linked file system or cache)
    // ends with its id; another has one fixed name.
    let named_after_a_resource = model.caller.role_id.is_some();
    let role_name = if named_after_a_resource {
        format!("{prefix}<id>")
    } else {
        prefix.to_string()
    };
    let message = format!(
        "{place} {} in {} is not the ARN of a service-linked role {role_name} ({}): {}; the statement never applies to the role",
        role.value,
        label(ctx, statement),
        model.name,
        and_list(&descriptions)
    );
    let help = if named_after_a_resource {
        format!(
            "use arn:aws:iam::<account>:role{path}{prefix}<fs-or-cache-id>; find the role in IAM by searching for the file system's or cache's id"
        )
    } else {
        format!("use arn:aws:iam::<account>:role{path}{prefix}")
    };
    let mut d = out.diagnostic(role.range, message).with_help(help);
    // Only a wrong path can be repaired without knowing anything more.
    if problems
        .iter()
        .all(|p| matches!(p, RoleArnProblem::WrongPath { .. }))
    {
        if let (Some(account), Some(id)) = (&role.account, &role.resource_id) {
            if let Some(arn) = model.caller.role_arn(account, id) {
                d = d.with_fix(
                    Fix::replace("Use the role's full ARN", role.range, format!("\"{arn}\""))
                        .unsafe_(),
                );
            }
        }
    }
    out.push(d);
}
