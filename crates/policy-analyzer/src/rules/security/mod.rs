//! Security: who can use or manage the key beyond what the author meant.
//! Every rule here asks the evaluator (`crate::eval`) rather than reading
//! JSON shapes.

pub mod allow_with_not_action;
pub mod allow_with_not_principal;
pub mod broad_key_administration;
pub mod create_grant_without_aws_resource_condition;
pub mod cross_account_admin_no_effect;
pub mod key_lockout_risk;
pub mod key_rotation_disabled;
pub mod public_key_access;
pub mod service_principal_without_source;

use super::{Context, Rule};
use crate::eval::accounts;

pub(crate) static RULES: &[&Rule] = &[
    &public_key_access::RULE,
    &allow_with_not_principal::RULE,
    &allow_with_not_action::RULE,
    &key_lockout_risk::RULE,
    &create_grant_without_aws_resource_condition::RULE,
    &cross_account_admin_no_effect::RULE,
    &key_rotation_disabled::RULE,
    &broad_key_administration::RULE,
    &service_principal_without_source::RULE,
];

/// The account that owns the key: the configured profile's, else the one the
/// policy's own ARNs show (see [`accounts::key_account`]), else, for a key
/// of a template or module, the deploying account.
pub(crate) fn key_account(ctx: &Context<'_>) -> Option<String> {
    ctx.options
        .profile
        .as_ref()
        .and_then(|p| p.account.clone())
        .or_else(|| {
            ctx.shared
                .policy_account
                .get_or_init(|| accounts::key_account(ctx.policy))
                .clone()
        })
        .or_else(|| ctx.key.and_then(|k| k.account.clone()))
}

/// Whether a service principal in a statement is one the security rules
/// judge: not a guide's placeholder (`service.amazonaws.com`,
/// `logs.region.amazonaws.com`: invalid-principal reports it, and it names
/// no service), and not one that its service never calls KMS as
/// (`fsx.amazonaws.com`: service-principal-for-forward-access-service
/// reports that the statement is never used).
pub(crate) fn judged_service_principal(ctx: &Context<'_>, value: &crate::model::Text<'_>) -> bool {
    let placeholder = value
        .value
        .split('.')
        .take_while(|label| *label != "amazonaws")
        .any(crate::rules::conditions::formats::placeholder_word);
    !placeholder
        && !ctx
            .services()
            .unused_service_principals
            .iter()
            .any(|sp| sp.range == value.range)
}

/// Joins names for a message: `a`, `a and b`, `a, b and c`, and past `max`
/// names, `a, b, c and 4 more`.
pub(crate) fn join_names(names: &[String], max: usize) -> String {
    match names {
        [] => String::new(),
        [one] => one.clone(),
        _ if names.len() > max => {
            format!("{} and {} more", names[..max].join(", "), names.len() - max)
        }
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}

#[cfg(test)]
mod tests {
    use crate::{analyze, AnalyzeOptions};

    /// Every prefix of a policy that exercises every security rule: the
    /// rules see half-parsed statements as the editor does while typing, and
    /// must neither panic nor run away.
    #[test]
    fn no_panic_on_any_prefix() {
        let policy = r#"{"Version": "2012-10-17", "Statement": [
  {"Sid": "Root", "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111122223333:root"}, "Action": "kms:*", "Resource": "*"},
  {"Sid": "S3", "Effect": "Allow", "Principal": {"AWS": "*"}, "Action": ["kms:Decrypt", "kms:GenerateDataKey*", "kms:CreateGrant"], "Resource": "*",
   "Condition": {"StringEquals": {"kms:ViaService": "s3.us-east-1.amazonaws.com"}, "StringLike": {"aws:userid": "*:FSx", "kms:EncryptionContext:aws:s3:arn": "arn:aws:s3:::b/${aws:username}/*"},
     "IpAddress": {"aws:SourceIp": ["203.0.113.0/24", "2001:db8::/32"]}, "ForAnyValue:StringLike": {"kms:EncryptionContextKeys": "aws:*"}, "DateLessThan": {"aws:CurrentTime": "2030-01-01"}}},
  {"Sid": "Not", "Effect": "Allow", "NotPrincipal": {"AWS": ["arn:aws:iam::111122223333:role/X", "111122223333"]}, "NotAction": ["kms:Decrypt"], "Resource": "*"},
  {"Sid": "Partner", "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::444455556666:root"}, "Action": ["kms:ScheduleKeyDeletion", "kms:Decrypt"], "Resource": "*"},
  {"Sid": "Deny", "Effect": "Deny", "Principal": "*", "Action": "kms:*", "Resource": "*", "Condition": {"StringNotEqualsIfExists": {"aws:PrincipalOrgID": "o-a1b2c3d4e5"}, "Bool": {"aws:SecureTransport": "false"}}}
]}"#;
        // Every other prefix keeps the test quick in debug builds; the
        // parser's own tests cover every single truncation.
        for end in (0..=policy.len())
            .step_by(2)
            .filter(|&e| policy.is_char_boundary(e))
        {
            let _ = analyze(&policy[..end], &AnalyzeOptions::default());
        }
        let findings: Vec<&str> = analyze(policy, &AnalyzeOptions::default())
            .diagnostics
            .iter()
            .map(|d| d.code)
            .filter(|c| c.starts_with("PC5"))
            .collect();
        assert!(
            findings.contains(&"PC501")
                && findings.contains(&"PC502")
                && findings.contains(&"PC503")
        );
        assert!(findings.contains(&"PC506"));
    }

    #[test]
    fn deep_nesting_and_huge_statement_lists_stay_quick() {
        let deep = format!(
            "{{\"Statement\": {}{}}}",
            "[".repeat(100_000),
            "]".repeat(100_000)
        );
        let _ = analyze(&deep, &AnalyzeOptions::default());
        let statement = r#"{"Effect": "Allow", "Principal": "*", "Action": "kms:*", "Resource": "*", "Condition": {"StringLike": {"kms:ViaService": "*", "kms:EncryptionContext:a": "*", "kms:EncryptionContext:b": "*", "aws:SourceIp": "*"}, "NotIpAddress": {"aws:SourceIp": "10.0.0.0/8"}}}"#;
        let many = format!("{{\"Statement\": [{}]}}", vec![statement; 150].join(","));
        let start = std::time::Instant::now();
        let _ = analyze(&many, &AnalyzeOptions::default());
        assert!(
            start.elapsed() < std::time::Duration::from_secs(20),
            "{:?}",
            start.elapsed()
        );
    }

    #[test]
    fn public_access_lists_only_the_actions_no_deny_stops() {
        let policy = r#"{"Version": "2012-10-17", "Statement": [
  {"Sid": "Root", "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111122223333:root"}, "Action": "kms:*", "Resource": "*"},
  {"Sid": "Open", "Effect": "Allow", "Principal": "*", "Action": ["kms:Decrypt", "kms:GenerateDataKey"], "Resource": "*"},
  {"Sid": "NoOutsideDecrypt", "Effect": "Deny", "Principal": "*", "Action": "kms:Decrypt", "Resource": "*",
   "Condition": {"StringNotEquals": {"kms:CallerAccount": "111122223333"}}}
]}"#;
        let messages: Vec<String> = analyze(policy, &AnalyzeOptions::default())
            .diagnostics
            .into_iter()
            .filter(|d| d.code == "PC501")
            .map(|d| d.message)
            .collect();
        assert_eq!(messages.len(), 1, "{messages:?}");
        assert!(
            messages[0].contains("for kms:GenerateDataKey;"),
            "{}",
            messages[0]
        );
        assert!(!messages[0].contains("kms:Decrypt"), "{}", messages[0]);
    }
}
