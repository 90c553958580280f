use crate::diagnostic::Severity;
use crate::matcher::has_wildcard;
use crate::model::PrincipalKind;
use crate::rules::conditions::formats::placeholder_word;
use crate::rules::shared::{statements, Findings};
use crate::rules::{Check, Context, Emitter, FixAvailability, Pack, Rule};
use crate::symbolic::FormatView;

pub(crate) static RULE: Rule = Rule {
    code: "PC112",
    name: "invalid-principal",
    pack: Pack::Structure,
    severity: Severity::Error,
    fix: FixAvailability::None,
    tags: &[],
    summary: "A principal value that cannot be a principal: a group, a policy, a malformed ARN, a wildcard in an ARN, a placeholder",
    docs: r#"## What it does
Checks each value of `Principal` and `NotPrincipal` and reports those that
cannot name a principal:
- under `AWS`: IAM group ARNs (`:group/`), managed-policy ARNs
  (`arn:aws:iam::aws:policy/...`), instance profiles, SAML/OIDC providers
  (they belong under `Federated`), ARNs of other services, malformed ARNs,
  account IDs that are not 12 digits, service principals written under `AWS`,
  and other text;
- wildcards inside a principal ARN (`arn:aws:iam::*:root`,
  `arn:aws:iam::111122223333:role/*`); only a lone `"*"` is allowed;
- placeholders that were never filled in, in any principal type:
  `arn:aws:iam::YOUR_ACCOUNT_ID:root`, `<ACCOUNT_ID>`, `aws_account_id`,
  `ReplacedByJenkins`, `${account_id}`, the Serverless Framework's
  pseudo-parameters, and the guides'
  placeholder words in a service principal, such as
  `logs.region.amazonaws.com` or `service.amazonaws.com` (the same words
  every other rule takes for placeholders: `region`, `account-id`,
  `service`, `key_id`...);
- under `Service`: ARNs and account IDs (they belong under `AWS`) and values
  that are not service names.

Unique principal IDs (`AIDA...`, `AROA...`), which AWS writes into a policy
when a user or role it names is deleted, are not reported.

## Why it matters
KMS checks principals when the key policy is set: every principal must exist
and be visible to KMS, and a value that is not a principal makes KMS reject
the whole policy (`MalformedPolicyDocumentException`, "Policy contains a
statement with one or more invalid principals"). IAM groups can never be
principals. A wildcard inside an ARN does not match several roles, it is
simply invalid; to match roles by name use `"AWS": "*"` with an
`ArnLike` condition on `aws:PrincipalArn`. A placeholder copied from a guide
or left for a CI job to replace fails the deployment, or, when the pipeline
skips the replacement, never grants the access the statement is for.

## Example
```json
"Principal": {
  "AWS": [
    "arn:aws:iam::111122223333:group/KeyAdmins",
    "arn:aws:iam::YOUR_ACCOUNT_ID:role/KeyUser",
    "arn:aws:iam::111122223333:role/app-*"
  ]
}
```

## Use instead
```json
"Principal": {
  "AWS": [
    "arn:aws:iam::111122223333:role/KeyAdmin",
    "arn:aws:iam::111122223333:role/KeyUser"
  ]
}
```
To give the members of a group access, attach an IAM policy to the group and
keep the account-root statement in the key policy, which lets IAM policies
grant use of the key.

## Fix
Replace the value with the account ID, user or role ARN, or service name that
was meant. There is no automatic fix: only the author knows it.

## Sources
- AWS KMS Developer Guide, "Creating a key policy" ("Principal"): accounts, IAM users, IAM roles and some AWS services can be principals; IAM groups are never valid (https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-overview.html).
- AWS KMS API Reference, PutKeyPolicy `Policy` parameter: "The principals in the key policy must exist and be visible to KMS." (https://docs.aws.amazon.com/kms/latest/APIReference/API_PutKeyPolicy.html)
- IAM User Guide, "AWS JSON policy elements: Principal": the forms of account, role, role-session, user, federated and service principals; "You cannot identify a user group as a principal"; "You cannot use a wildcard to match part of a principal name or ARN"; unique principal IDs appear when a user or role is deleted (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_principal.html).
- IAM User Guide, "IAM policy elements: Variables and tags": policy variables are used in `Resource` and `Condition` only, so `${...}` in a principal is literal text (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_variables.html).
"#,
    check: Check::Policy(check),
};

/// What is wrong with a principal value: the byte range within the value,
/// the explanation and what to do.
struct Finding {
    start: usize,
    end: usize,
    why: String,
    help: String,
}

impl Finding {
    fn whole(value: &str, why: impl Into<String>, help: impl Into<String>) -> Finding {
        Finding::part(0, value.len(), why, help)
    }

    fn part(start: usize, end: usize, why: impl Into<String>, help: impl Into<String>) -> Finding {
        Finding {
            start,
            end,
            why: why.into(),
            help: help.into(),
        }
    }
}

fn check(ctx: &Context<'_>, out: &mut Emitter<'_>) {
    let out = &mut Findings::new(out);
    for st in statements(ctx) {
        if out.full() {
            return;
        }
        for (element, name) in [
            (&st.principal, "Principal"),
            (&st.not_principal, "NotPrincipal"),
        ] {
            let Some(p) = element else { continue };
            for entry in &p.entries {
                let Some(kind) = entry.kind else { continue }; // unknown-element
                for v in &entry.values {
                    if out.full() {
                        return;
                    }
                    if v.value.is_empty() {
                        continue; // empty-element
                    }
                    // A value a template settles only at deployment is
                    // judged by its written parts alone, if at all.
                    let Some(view) = FormatView::new(v.value) else {
                        continue;
                    };
                    let finding = match kind {
                        PrincipalKind::Aws => check_aws(view.text()),
                        PrincipalKind::Service => check_service(view.text()),
                        PrincipalKind::Federated => check_federated(view.text()),
                        PrincipalKind::CanonicalUser => placeholder(view.text()),
                    };
                    let Some(f) = finding else { continue };
                    let (start, end) = view.original(f.start, f.end);
                    let d = out
                        .diagnostic(
                            v.sub_range(ctx.text, start, end),
                            format!(
                                "`{}` in `{name}` of {} is not a valid principal: {}; KMS rejects a key policy with an invalid principal",
                                v.value,
                                st.label(),
                                f.why
                            ),
                        )
                        .with_help(f.help)
                        .at_node(ctx.tree, v.node);
                    out.push(d);
                }
            }
        }
    }
}

const AWS_HELP: &str = "under `AWS` write an account ID (12 digits), `arn:aws:iam::ACCOUNT:root`, an IAM role or user ARN, or `*`";

/// Values under `"AWS"`.
fn check_aws(value: &str) -> Option<Finding> {
    if value == "*" {
        return None;
    }
    if let Some(f) = placeholder(value) {
        return Some(f);
    }
    if value.bytes().all(|b| b.is_ascii_digit()) {
        return (value.len() != 12).then(|| {
            Finding::whole(
                value,
                format!(
                    "an AWS account ID has 12 digits, and this has {}",
                    value.len()
                ),
                "write the full 12-digit account ID, keeping leading zeros, as a string",
            )
        });
    }
    if value.starts_with("arn:") {
        return check_arn(value);
    }
    if is_unique_id(value) {
        return None;
    }
    if value.ends_with(".amazonaws.com") || value.ends_with(".amazonaws.com.cn") {
        return Some(Finding::whole(
            value,
            "it is an AWS service name, which goes under `Service`, not `AWS`",
            format!("write `\"Service\": \"{value}\"`"),
        ));
    }
    let why = if !value.bytes().any(|b| b.is_ascii_digit()) {
        "it is neither an account ID, an ARN nor `*`, and looks like a placeholder that was never replaced"
    } else {
        "it is neither an account ID, an ARN nor `*`"
    };
    Some(Finding::whole(value, why, AWS_HELP))
}

/// The pieces of an ARN with their byte offsets: `arn:partition:service:region:account:resource`.
fn arn_parts(value: &str) -> Vec<(usize, &str)> {
    let (count, parts) = crate::aws::arn_parts_lenient(value);
    parts[..count]
        .iter()
        .map(|part| (crate::aws::Arn::offset_in(value, part), *part))
        .collect()
}

fn check_arn(value: &str) -> Option<Finding> {
    let parts = arn_parts(value);
    if parts.len() < 6 {
        return Some(Finding::whole(
            value,
            "it is not a complete ARN (`arn:partition:service:region:account:resource`)",
            AWS_HELP,
        ));
    }
    let (p_at, partition) = parts[1];
    let (s_at, service) = parts[2];
    let (r_at, region) = parts[3];
    let (a_at, account) = parts[4];
    let (res_at, resource) = parts[5];
    let partition_ok = partition == "aws"
        || partition.strip_prefix("aws-").is_some_and(|rest| {
            !rest.is_empty() && rest.bytes().all(|b| b.is_ascii_lowercase() || b == b'-')
        });
    if !partition_ok {
        return Some(Finding::part(
            p_at,
            p_at + partition.len(),
            format!("`{partition}` is not an AWS partition (`aws`, `aws-cn`, `aws-us-gov`, ...)"),
            "write the partition of the account, usually `aws`",
        ));
    }
    if service != "iam" && service != "sts" {
        return Some(Finding::part(
            s_at,
            s_at + service.len(),
            format!("it is an ARN of the `{service}` service, and only IAM and STS ARNs (accounts, users, roles, sessions) are principals"),
            AWS_HELP,
        ));
    }
    if account == "aws" && service == "iam" && resource.starts_with("policy/") {
        let name = resource.rsplit('/').next().unwrap_or(resource);
        let help = match name.strip_prefix("AWSServiceRoleFor") {
            Some(_) => format!("a managed policy is not a principal; for the service-linked role `{name}` write its role ARN, `arn:aws:iam::ACCOUNT:role/aws-service-role/SERVICE.amazonaws.com/{name}`"),
            None => "a policy is not a principal: name the role or user the policy is attached to".to_string(),
        };
        return Some(Finding::whole(
            value,
            "it is the ARN of an AWS managed policy, and a policy cannot be a principal",
            help,
        ));
    }
    if !region.is_empty() {
        return Some(Finding::part(
            r_at,
            r_at + region.len(),
            format!("IAM and STS ARNs have no Region, and this one has `{region}`"),
            "leave the Region part empty: `arn:aws:iam::ACCOUNT:...`",
        ));
    }
    if has_wildcard(account) {
        return Some(wildcard(a_at, a_at + account.len()));
    }
    if !(account.len() == 12 && account.bytes().all(|b| b.is_ascii_digit())) {
        let why = if account.bytes().all(|b| b.is_ascii_digit()) && !account.is_empty() {
            format!(
                "an AWS account ID has 12 digits, and `{account}` has {}",
                account.len()
            )
        } else if account.is_empty() {
            "the account ID is missing".to_string()
        } else {
            format!("`{account}` is not an AWS account ID (12 digits) but looks like a placeholder that was never filled in")
        };
        return Some(Finding::part(
            a_at,
            a_at + account.len(),
            why,
            "write the 12-digit ID of the account the principal belongs to",
        ));
    }
    let (kind, name) = resource.split_once('/').unwrap_or((resource, ""));
    let valid_kind = match service {
        "iam" => match kind {
            "root" => name.is_empty(),
            "user" | "role" => !name.is_empty(),
            "group" => {
                return Some(Finding::part(
                    res_at,
                    res_at + kind.len(),
                    "it is an IAM group, and groups can never be principals (they hold permissions, they do not authenticate)",
                    "name the users or roles instead, or attach an IAM policy to the group and keep the account-root statement, which lets IAM policies grant use of the key",
                ))
            }
            "policy" => {
                return Some(Finding::part(
                    res_at,
                    res_at + kind.len(),
                    "it is the ARN of a managed policy, and a policy cannot be a principal",
                    "name the role or user the policy is attached to",
                ))
            }
            "instance-profile" => {
                return Some(Finding::part(
                    res_at,
                    res_at + kind.len(),
                    "it is an instance profile, which cannot be a principal; the instance uses its role",
                    "name the role of the instance profile: `arn:aws:iam::ACCOUNT:role/ROLE`",
                ))
            }
            "saml-provider" | "oidc-provider" => {
                return Some(Finding::part(
                    res_at,
                    res_at + kind.len(),
                    "an identity provider goes under `Federated`, not `AWS`",
                    format!("write `\"Federated\": \"{value}\"`"),
                ))
            }
            _ => false,
        },
        _ => match kind {
            "assumed-role" => name.contains('/') && !name.ends_with('/'),
            "federated-user" => !name.is_empty(),
            _ => false,
        },
    };
    if has_wildcard(resource) {
        return Some(wildcard(res_at, res_at + resource.len()));
    }
    if !valid_kind {
        let expected = if service == "iam" {
            "`root`, `user/NAME` or `role/NAME`"
        } else {
            "`assumed-role/ROLE/SESSION` or `federated-user/NAME`"
        };
        return Some(Finding::part(
            res_at,
            res_at + resource.len(),
            format!("`{resource}` is not a principal of `{service}`: expected {expected}"),
            AWS_HELP,
        ));
    }
    None
}

fn wildcard(start: usize, end: usize) -> Finding {
    Finding::part(
        start,
        end,
        "a principal ARN cannot contain wildcards; only a lone `*` is allowed",
        "name each principal, or write `\"AWS\": \"*\"` and narrow it with a condition such as `\"ArnLike\": {\"aws:PrincipalArn\": \"arn:aws:iam::111122223333:role/app-*\"}`",
    )
}

/// `AIDA...` (user) and `AROA...` (role): what AWS shows for a deleted principal.
fn is_unique_id(value: &str) -> bool {
    (value.starts_with("AIDA") || value.starts_with("AROA"))
        && value.len() >= 16
        && value
            .bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
}

/// Values under `"Service"`.
fn check_service(value: &str) -> Option<Finding> {
    if value == "*" {
        return None;
    }
    if let Some(f) = placeholder(value) {
        return Some(f);
    }
    if value.starts_with("arn:") || (value.len() == 12 && value.bytes().all(|b| b.is_ascii_digit()))
    {
        return Some(Finding::whole(
            value,
            "accounts, users and roles go under `AWS`, not `Service`",
            format!("write `\"AWS\": \"{value}\"`"),
        ));
    }
    if !value.contains('.') || value.contains(char::is_whitespace) {
        return Some(Finding::whole(
            value,
            "it is not the name of an AWS service principal, which looks like `logs.amazonaws.com`",
            "write the service principal named in the service's guide, such as `cloudtrail.amazonaws.com` or `logs.us-east-1.amazonaws.com`",
        ));
    }
    // `service.amazonaws.com`, `SERVICE-NAME.amazonaws.com`,
    // `logs.region.amazonaws.com`: a guide's placeholder copied as a word.
    let labels: Vec<&str> = value.split('.').collect();
    if let Some(amazonaws) = labels.iter().position(|&l| l == "amazonaws") {
        if amazonaws >= 1 && placeholder_word(labels[0]) {
            return Some(Finding::part(
                0,
                labels[0].len(),
                format!("`{}` is a placeholder for the service's name, copied from a guide, and no AWS service has that principal", labels[0]),
                "write the principal of the service that uses the key, as its guide names it, such as `cloudtrail.amazonaws.com` or `logs.us-east-1.amazonaws.com`",
            ));
        }
        if amazonaws >= 2 {
            let region = labels[amazonaws - 1];
            if placeholder_word(region) {
                let start = labels[..amazonaws - 1]
                    .iter()
                    .map(|l| l.len() + 1)
                    .sum::<usize>();
                return Some(Finding::part(
                    start,
                    start + region.len(),
                    format!("`{region}` is a placeholder for the Region, copied from a guide"),
                    format!(
                        "write the Region of the key, for example `{}.us-east-1.amazonaws.com`",
                        labels[..amazonaws - 1].join(".")
                    ),
                ));
            }
        }
    }
    None
}

/// Values under `"Federated"`.
fn check_federated(value: &str) -> Option<Finding> {
    if let Some(f) = placeholder(value) {
        return Some(f);
    }
    if value.starts_with("arn:") {
        let parts = arn_parts(value);
        let provider = parts.len() == 6
            && parts[2].1 == "iam"
            && (parts[5].1.starts_with("saml-provider/")
                || parts[5].1.starts_with("oidc-provider/"));
        if !provider {
            return Some(Finding::whole(
                value,
                "under `Federated` an ARN must name a SAML or OIDC provider (`arn:aws:iam::ACCOUNT:saml-provider/NAME`)",
                "write the identity provider's ARN or domain, or move accounts, users and roles under `AWS`",
            ));
        }
    }
    None
}

/// A placeholder that was not filled in: `${...}`, `#{...}`, `<...>` or `{{...}}`.
fn placeholder(value: &str) -> Option<Finding> {
    // Every opener below holds one of these bytes; most values have none.
    memchr::memchr3(b'$', b'<', b'{', value.as_bytes())?;
    for (open, close) in [("${", "}"), ("#{", "}"), ("<", ">"), ("{{", "}}")] {
        if let Some(start) = value.find(open) {
            let end = value[start..]
                .find(close)
                .map_or(value.len(), |i| start + i + close.len());
            let text = &value[start..end];
            let why = if open == "${" {
                format!("`{text}` is literal text here: IAM substitutes policy variables only in Resource and Condition, and a template placeholder was never rendered")
            } else {
                format!("`{text}` is a placeholder that was never filled in")
            };
            return Some(Finding::part(start, end, why, "replace the placeholder with the real value, or check the rendered policy instead of the template"));
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn aws(value: &str) -> Option<String> {
        check_aws(value).map(|f| value[f.start..f.end].to_string())
    }

    #[test]
    fn accepts_real_aws_principals() {
        for v in [
            "*",
            "111122223333",
            "arn:aws:iam::111122223333:root",
            "arn:aws:iam::111122223333:role/ExampleRole",
            "arn:aws:iam::111122223333:role/aws-service-role/s3.data-source.lustre.fsx.amazonaws.com/AWSServiceRoleForFSxS3Access_fc-0123456789abcdef0",
            "arn:aws:iam::111122223333:user/division_abc/subdivision_xyz/Bob",
            "arn:aws-cn:iam::111122223333:root",
            "arn:aws-us-gov:iam::111122223333:role/x",
            "arn:aws:sts::111122223333:assumed-role/ExampleRole/session-name",
            "arn:aws:sts::111122223333:federated-user/Bob",
            "AIDAJQABLZS4A3QDU576Q",
            "AROAKSCDLFT9R5DQP782U",
        ] {
            assert_eq!(aws(v), None, "{v}");
        }
    }

    #[test]
    fn flags_values_that_cannot_be_principals_at_the_wrong_part() {
        assert_eq!(
            aws("arn:aws:iam::111122223333:group/Admins").as_deref(),
            Some("group")
        );
        assert!(aws("arn:aws:iam::aws:policy/service-role/AWSServiceRoleForAutoScaling").is_some());
        assert_eq!(
            aws("arn:aws:iam::111122223333:instance-profile/web").as_deref(),
            Some("instance-profile")
        );
        assert_eq!(
            aws("arn:aws:iam::YOUR_ACCOUNT_ID:root").as_deref(),
            Some("YOUR_ACCOUNT_ID")
        );
        assert_eq!(
            aws("arn:aws:iam::aws_account_id:role/x").as_deref(),
            Some("aws_account_id")
        );
        assert_eq!(
            aws("arn:aws:iam::<security-AccountId><security-AccountId>:root").as_deref(),
            Some("<security-AccountId>")
        );
        assert_eq!(
            aws("arn:aws:iam::${account_id}:root").as_deref(),
            Some("${account_id}")
        );
        assert_eq!(
            aws("ReplacedByJenkins").as_deref(),
            Some("ReplacedByJenkins")
        );
        assert_eq!(aws("12345678901").as_deref(), Some("12345678901"));
        assert_eq!(aws("arn:aws:iam::*:root").as_deref(), Some("*"));
        assert_eq!(
            aws("arn:aws:iam::111122223333:role/*").as_deref(),
            Some("role/*")
        );
        assert_eq!(
            aws("arn:aws:sts::111122223333:assumed-role/Role/*").as_deref(),
            Some("assumed-role/Role/*")
        );
        assert_eq!(aws("arn:aws:s3:::my-data-bucket").as_deref(), Some("s3"));
        assert!(aws("arn:aws:iam::111122223333").is_some());
        assert_eq!(
            aws("arn:aws:iam:us-east-1:111122223333:root").as_deref(),
            Some("us-east-1")
        );
        assert_eq!(
            aws("arn:aws:iam::111122223333:rooot").as_deref(),
            Some("rooot")
        );
        assert_eq!(
            aws("logs.amazonaws.com").as_deref(),
            Some("logs.amazonaws.com")
        );
        assert_eq!(
            aws("arn:aws:iam::111122223333:saml-provider/Okta").as_deref(),
            Some("saml-provider")
        );
    }

    #[test]
    fn checks_service_principals_lightly() {
        for v in [
            "logs.us-east-1.amazonaws.com",
            "cloudtrail.amazonaws.com",
            "delivery.logs.amazonaws.com",
            "ec2.amazonaws.com.cn",
        ] {
            assert!(check_service(v).is_none(), "{v}");
        }
        // The guides' placeholder for a service's name, in any spelling.
        for v in [
            "service.amazonaws.com",
            "SERVICE-NAME.amazonaws.com",
            "service_name.us-east-1.amazonaws.com",
        ] {
            let f = check_service(v).unwrap_or_else(|| panic!("{v}"));
            assert_eq!(f.start, 0, "{v}");
        }
        let region = check_service("logs.region.amazonaws.com").unwrap();
        assert_eq!(
            &"logs.region.amazonaws.com"[region.start..region.end],
            "region"
        );
        assert!(check_service("<replaceable>service</replaceable>.amazonaws.com").is_some());
        assert!(check_service("arn:aws:iam::111122223333:root").is_some());
        assert!(check_service("fsx").is_some());
    }

    #[test]
    fn federated_values() {
        assert!(check_federated("cognito-identity.amazonaws.com").is_none());
        assert!(check_federated("arn:aws:iam::111122223333:saml-provider/Okta").is_none());
        assert!(check_federated("arn:aws:iam::111122223333:role/x").is_some());
    }
}
