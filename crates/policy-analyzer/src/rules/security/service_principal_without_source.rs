use crate::diagnostic::Severity;
use crate::eval::search::{OutsideAccessSearch, OutsideCaller, Witness};
use crate::eval::{covers_action, evaluate_with, EvalOptions, PrincipalValue};
use crate::model::{Statement, Text};
use crate::rules::security::{join_names, judged_service_principal, key_account};
use crate::rules::{Check, Context, Emitter, FixAvailability, Pack, Rule};

pub(crate) static RULE: Rule = Rule {
    code: "PC509",
    name: "service-principal-without-source",
    pack: Pack::Security,
    severity: Severity::Warning,
    fix: FixAvailability::None,
    tags: &[],
    summary: "A service principal may use the key for any account's resources: no aws:SourceArn, aws:SourceAccount or encryption context ties it to yours",
    docs: r#"## What it does
Reports an Allow statement that lets an AWS service principal
(`cloudtrail.amazonaws.com`, `logs.us-east-1.amazonaws.com`,
`delivery.logs.amazonaws.com`, `sns.amazonaws.com`, `config.amazonaws.com`,
`s3.amazonaws.com`...) use the key — encrypt, decrypt, generate data keys,
re-encrypt, sign, create grants — when it acts for a resource in an account
the policy never names.

The check asks the evaluator, as `public-key-access` does for IAM callers:
it builds the service's request on behalf of a trail, log group, topic or
bucket of a fresh account, and reports the statement if the request is
allowed. What ties a service's request to your resources is what the
service itself sets: `aws:SourceArn` and `aws:SourceAccount` (the resource
it acts for and its account), `aws:SourceOrgID`, and the encryption context
pairs integrated services add (`kms:EncryptionContext:aws:cloudtrail:arn`,
`kms:EncryptionContext:aws:logs:arn`), which name the resource too. A
condition that pins any of them to your account or resources prevents the
finding; `kms:ViaService` or `aws:SourceIp` do not.

## Why it matters
This is the confused deputy problem. A service principal acts for every
customer of the service: if your key policy lets `cloudtrail.amazonaws.com`
use the key without saying for whose trail, anyone can create a trail in
their own account, point it at your key, and have CloudTrail encrypt (or,
for readers, decrypt) with your key on their behalf. AWS recommends that
every statement for a service principal carries `aws:SourceArn` or
`aws:SourceAccount`, and the CloudTrail and CloudWatch Logs guides give the
encryption-context conditions their services support.

## Example
```json
{
  "Sid": "Allow CloudTrail to encrypt logs",
  "Effect": "Allow",
  "Principal": {"Service": "cloudtrail.amazonaws.com"},
  "Action": "kms:GenerateDataKey*",
  "Resource": "*"
}
```

## Use instead
```json
{
  "Sid": "Allow CloudTrail to encrypt logs",
  "Effect": "Allow",
  "Principal": {"Service": "cloudtrail.amazonaws.com"},
  "Action": "kms:GenerateDataKey*",
  "Resource": "*",
  "Condition": {
    "StringEquals": {"aws:SourceArn": "arn:aws:cloudtrail:us-east-1:111122223333:trail/management-events"},
    "StringLike": {"kms:EncryptionContext:aws:cloudtrail:arn": "arn:aws:cloudtrail:*:111122223333:trail/*"}
  }
}
```

## Fix
No automatic fix: only the author knows which resources the service acts
for. Add `aws:SourceArn` (the resource's ARN, or an `ArnLike` pattern with
your account) or at least `aws:SourceAccount` (your account), or the
encryption-context condition the service's guide gives.

## Sources
- AWS KMS Developer Guide, "Allowing AWS services to use a KMS key" / "The confused deputy problem": use `aws:SourceArn` or `aws:SourceAccount` in key-policy statements for service principals (https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-services.html).
- IAM User Guide, "The confused deputy problem" (https://docs.aws.amazon.com/IAM/latest/UserGuide/confused-deputy.html).
- AWS CloudTrail User Guide, "Configure AWS KMS key policies for CloudTrail": `aws:SourceArn` and the `kms:EncryptionContext:aws:cloudtrail:arn` condition (https://docs.aws.amazon.com/awscloudtrail/latest/userguide/create-kms-key-policy-for-cloudtrail.html).
- Amazon CloudWatch Logs User Guide, "Encrypt log data in CloudWatch Logs using AWS KMS": the `kms:EncryptionContext:aws:logs:arn` condition (https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/encrypt-log-data-kms.html).
- Amazon SNS Developer Guide, "Key management": `aws:SourceAccount` and `aws:SourceArn` for event sources (https://docs.aws.amazon.com/sns/latest/dg/sns-key-management.html).
- IAM Access Analyzer policy checks, "Security Warning – Restrict access to service principal" (https://docs.aws.amazon.com/IAM/latest/UserGuide/access-analyzer-reference-policy-checks.html).
"#,
    check: Check::Policy(check),
};

/// The operations that use the key (cryptographic operations, and grants
/// that give them).
const USE_ACTIONS: [&str; 13] = [
    "kms:Decrypt",
    "kms:Encrypt",
    "kms:GenerateDataKey",
    "kms:GenerateDataKeyWithoutPlaintext",
    "kms:GenerateDataKeyPair",
    "kms:GenerateDataKeyPairWithoutPlaintext",
    "kms:ReEncryptFrom",
    "kms:ReEncryptTo",
    "kms:Sign",
    "kms:GenerateMac",
    "kms:DeriveSharedSecret",
    "kms:CreateGrant",
    "kms:Verify",
];

fn check(ctx: &Context<'_>, out: &mut Emitter<'_>) {
    let options = EvalOptions::default();
    let mut search: Option<OutsideAccessSearch<'_, '_>> = None;
    // The answer differs between the actions only through Deny statements
    // that cover some of them and not others (as in public-key-access):
    // without one, one search per service settles every action.
    let denies_tell_actions_apart = ctx.policy.statements.iter().any(|s| {
        s.is_deny() && {
            let covered = USE_ACTIONS.iter().filter(|a| covers_action(s, a)).count();
            covered != 0 && covered != USE_ACTIONS.len()
        }
    });
    for statement in &ctx.policy.statements {
        if !statement.is_allow() {
            continue;
        }
        let Some(principal) = &statement.principal else {
            continue;
        };
        // One finding per statement, however many services it lists (the
        // regional principals of one service, in a guide's statement).
        let mut found: Vec<(Text<'_>, &str, Vec<&str>, Witness)> = Vec::new();
        for (kind, text) in principal.values() {
            let PrincipalValue::Service(service) = PrincipalValue::parse(kind, text.value) else {
                continue;
            };
            let covered: Vec<&str> = USE_ACTIONS
                .into_iter()
                .filter(|a| covers_action(statement, a))
                .collect();
            if covered.is_empty() || !judged_service_principal(ctx, &text) {
                continue;
            }
            let search =
                search.get_or_insert_with(|| OutsideAccessSearch::new(ctx.policy, &options));
            let callers = [OutsideCaller::ServiceForOtherAccount(service.to_string())];
            let mut exposed: Vec<&str> = Vec::new();
            let mut first: Option<Witness> = None;
            for action in covered {
                if let (Some(witness), false) = (&first, denies_tell_actions_apart) {
                    // The same request, for this action.
                    let mut request = witness.request.clone();
                    request.action = action.to_string();
                    let evaluation = evaluate_with(ctx.policy, &request, &options);
                    if evaluation.is_allowed() && evaluation.allowed_by.contains(&statement.index) {
                        exposed.push(action);
                    }
                    continue;
                }
                if let Some(w) = search.find(statement.index, action, &callers) {
                    exposed.push(action);
                    first.get_or_insert(w);
                } else if !denies_tell_actions_apart {
                    break; // the service gets this action from no outsider, nor the others
                }
            }
            if let Some(witness) = first {
                found.push((text, service, exposed, witness));
            }
        }
        if !found.is_empty() {
            report(ctx, out, statement, &found);
        }
    }
}

fn report(
    ctx: &Context<'_>,
    out: &mut Emitter<'_>,
    statement: &Statement<'_>,
    found: &[(Text<'_>, &str, Vec<&str>, Witness)],
) {
    let (text, service, exposed, witness) = &found[0];
    let account = key_account(ctx).unwrap_or_else(|| "111122223333".to_string());
    let prefix = service.split('.').next().unwrap_or(service);
    let source_account = witness
        .request
        .context
        .get("aws:SourceAccount")
        .map(|v| v.describe())
        .unwrap_or_default();
    let why = if witness.conditions.is_empty() {
        "no condition ties its requests to your resources".to_string()
    } else {
        let keys: Vec<String> = witness
            .conditions
            .iter()
            .map(|c| c.key_name.clone())
            .collect();
        format!(
            "its conditions on {} do not tie the requests to your resources",
            join_names(&keys, 4)
        )
    };
    let names: Vec<String> = found
        .iter()
        .map(|(_, name, _, _)| name.to_string())
        .collect();
    let who = join_names(&names, 3);
    let message = format!(
        "{} lets {who} use this key for {} when acting for any account's resources (for one, a resource of account {source_account}); {why}, so anyone can make the service use your key for theirs (the confused deputy problem)",
        statement.label(),
        join_names(&collapse(exposed), 4),
    );
    let arn = source_arn_example(prefix, &account);
    let mut d = out
        .diagnostic(text.range, message)
        .at_node(ctx.tree, text.node)
        .with_help(format!(
            "add \"StringEquals\": {{\"aws:SourceAccount\": \"{account}\"}} and, better, \"ArnLike\": {{\"aws:SourceArn\": \"{arn}\"}} (the resources {service} acts for), or the encryption-context condition the service's guide gives"
        ));
    for (other, name, _, _) in &found[1..] {
        d = d.with_related(other.range, format!("{name} too"));
    }
    out.push(d);
}

/// An `aws:SourceArn` pattern for the resources a service acts for: the
/// service model's, where a model calls as this principal, with the account
/// and `*` for the rest.
fn source_arn_example(prefix: &str, account: &str) -> String {
    use crate::services::model::{models, CallerKind};
    let modelled = models()
        .iter()
        .filter(|m| m.caller.kind == CallerKind::ServicePrincipal && m.route.name == prefix)
        .find_map(|m| {
            m.context
                .iter()
                .find(|e| e.key.eq_ignore_ascii_case("aws:SourceArn"))
        });
    if let Some(entry) = modelled {
        return entry.value.render(|name| match name {
            "account" | "caller-account" => Some(account),
            "partition" => Some("aws"),
            _ => Some("*"),
        });
    }
    match prefix {
        "cloudtrail" => format!("arn:aws:cloudtrail:*:{account}:trail/*"),
        "logs" => format!("arn:aws:logs:*:{account}:log-group:*"),
        "delivery" => format!("arn:aws:logs:*:{account}:*"),
        "sns" => format!("arn:aws:sns:*:{account}:*"),
        "sqs" => format!("arn:aws:sqs:*:{account}:*"),
        "s3" => "arn:aws:s3:::amzn-s3-demo-bucket".to_string(),
        "events" => format!("arn:aws:events:*:{account}:rule/*"),
        "config" => format!("arn:aws:config:*:{account}:*"),
        other => format!("arn:aws:{other}:*:{account}:*"),
    }
}

/// The `kms:GenerateDataKey*` and `kms:ReEncrypt*` families, written as such.
fn collapse(actions: &[&str]) -> Vec<String> {
    const FAMILIES: [(&str, &[&str]); 2] = [
        (
            "kms:GenerateDataKey*",
            &[
                "kms:GenerateDataKey",
                "kms:GenerateDataKeyWithoutPlaintext",
                "kms:GenerateDataKeyPair",
                "kms:GenerateDataKeyPairWithoutPlaintext",
            ],
        ),
        ("kms:ReEncrypt*", &["kms:ReEncryptFrom", "kms:ReEncryptTo"]),
    ];
    let mut out: Vec<String> = Vec::new();
    for action in actions {
        let family = FAMILIES.iter().find(|(_, members)| {
            members.contains(action) && members.iter().all(|m| actions.contains(m))
        });
        let name = family.map_or(*action, |(wildcard, _)| wildcard);
        if !out.iter().any(|n| n == name) {
            out.push(name.to_string());
        }
    }
    out
}
