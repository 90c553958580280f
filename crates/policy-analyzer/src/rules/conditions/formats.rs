//! Parsers for the formats of condition values: account IDs, Region names,
//! `kms:ViaService` names, ARNs and S3 ARNs, S3 bucket names, dates, IP
//! addresses and numbers. Each answers "is this well formed?" and, where the
//! rules need it, why not.
//!
//! A `wildcards` argument says whether `*` and `?` are wildcards for the
//! operator at hand (`StringLike`, the ARN operators): a component holding one
//! may then stand for anything, and only the literal parts are judged.

use std::net::{Ipv4Addr, Ipv6Addr};

use crate::matcher::{first_wildcard, has_wildcard};

/// Partitions a resource ARN may name (the three commercial and government
/// partitions the S3 User Guide lists, and the isolated and sovereign ones).
pub const PARTITIONS: &[&str] = &[
    "aws",
    "aws-cn",
    "aws-us-gov",
    "aws-iso",
    "aws-iso-b",
    "aws-iso-e",
    "aws-iso-f",
    "aws-eusc",
];

/// The value with every `${...}` (policy variable or template placeholder,
/// which may hold colons) and every `#{...}` (the Serverless Framework's
/// `#{AWS::AccountId}`) replaced by one NUL character, so that ARN parts
/// can be split on `:`; a part holding NUL is not judged.
fn mask_placeholders(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    let mut rest = value;
    while let Some(start) = rest.find("${").into_iter().chain(rest.find("#{")).min() {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        match after.find('}') {
            Some(end) => {
                out.push('\0');
                rest = &after[end + 1..];
            }
            None => {
                out.push_str(&rest[start..]);
                rest = "";
            }
        }
    }
    out.push_str(rest);
    out
}

const MASK: char = '\0';

use crate::aws::{arn_parts, is_account_id, is_region};

/// What is wrong with a `kms:ViaService` value, if anything. The documented
/// form is `<service>.<region>.amazonaws.com`, with the `.amazonaws.com`
/// suffix in every partition.
pub fn via_service_problem(value: &str, wildcards: bool) -> Option<String> {
    const SUFFIX: &str = crate::aws::SERVICE_SUFFIX;
    if wildcards && has_wildcard(value) {
        return via_service_pattern_problem(value);
    }
    if value.bytes().any(|b| b.is_ascii_uppercase()) {
        return Some("it has uppercase letters; service endpoint names are lowercase".into());
    }
    let Some(prefix) = value.strip_suffix(SUFFIX) else {
        if value.ends_with(".amazonaws.com.cn") {
            return Some(
                "it ends in `.amazonaws.com.cn`; KMS uses the `.amazonaws.com` suffix in every partition".into(),
            );
        }
        return Some("it does not end in `.amazonaws.com`".into());
    };
    let parts: Vec<&str> = prefix.split('.').collect();
    let service_ok = |s: &str| {
        !s.is_empty()
            && s.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
    };
    match parts.as_slice() {
        [service] if service_ok(service) => Some(format!(
            "it is a service principal name, without a Region; the value names the service endpoint with its Region, `{service}.<region>.amazonaws.com`"
        )),
        [service, region] if service_ok(service) => {
            if is_region(region) {
                None
            } else {
                Some(format!("`{region}` is not an AWS Region name such as `us-east-1`"))
            }
        }
        _ if parts.len() > 2 => Some(format!(
            "`{prefix}` has more parts than a service name and a Region"
        )),
        _ => Some("the service name may hold only lowercase letters, digits and hyphens".into()),
    }
}

/// A `StringLike` pattern can match a ViaService value unless its literal
/// text rules that out: a suffix other than `.amazonaws.com`, or a literal
/// Region part that is not a Region.
fn via_service_pattern_problem(value: &str) -> Option<String> {
    const SUFFIX: &str = crate::aws::SERVICE_SUFFIX;
    // The text after the last wildcard (all of it when there is none).
    let tail = value
        .rfind(['*', '?'])
        .map_or(value, |last| &value[last + 1..]);
    if !(SUFFIX.ends_with(tail) || tail.ends_with(SUFFIX)) {
        return Some(format!(
            "no value matched by this pattern ends in `.amazonaws.com` (it ends in `{tail}`)"
        ));
    }
    // Whole literal components next to the suffix: `<*>.region.amazonaws.com`.
    if let Some(before) = tail.strip_suffix(SUFFIX) {
        let comps: Vec<&str> = before.split('.').collect();
        // comps[0] is glued to the wildcard (partial); later ones are whole.
        if comps.len() >= 2 {
            let region = comps[comps.len() - 1];
            if !is_region(region) {
                return Some(format!(
                    "`{region}` is not an AWS Region name such as `us-east-1`"
                ));
            }
        }
    }
    // Whole literal components before the first wildcard: `service.region.<*>`.
    let first = first_wildcard(value).unwrap_or(value.len());
    let head: Vec<&str> = value[..first].split('.').collect();
    if head.len() >= 3 {
        // head[0] = service, head[1] = region (whole), the last is partial.
        let region = head[1];
        if !is_region(region) {
            return Some(format!(
                "`{region}` is not an AWS Region name such as `us-east-1`"
            ));
        }
    }
    None
}

/// Whether a part of a value is a word the AWS guides write where a value
/// belongs: `region`, `Region`, `account-id`, `account_ID`, `AccountId`,
/// `aws_account_id`, `key_id`, `service`, `service-name`, `your-region`,
/// `<account>`, `{region}`. One list for every element: a placeholder is a
/// placeholder wherever it appears.
pub fn placeholder_word(part: &str) -> bool {
    if part.len() >= 2
        && ((part.starts_with('<') && part.ends_with('>'))
            || (part.starts_with('{') && part.ends_with('}'))
            || (part.starts_with('[') && part.ends_with(']')))
    {
        return true;
    }
    let mut word: String = part
        .chars()
        .filter(|c| !matches!(c, '-' | '_' | ' ' | '.'))
        .collect::<String>()
        .to_ascii_lowercase();
    for prefix in ["your", "my", "aws", "example", "the"] {
        if let Some(rest) = word.strip_prefix(prefix) {
            if !rest.is_empty() {
                word = rest.to_string();
            }
        }
    }
    const WORDS: &[&str] = &[
        "region",
        "regioncode",
        "regionname",
        "bucketregion",
        "account",
        "accountid",
        "accountnumber",
        "accountidentifier",
        "awsaccountid",
        "keyid",
        "keyarn",
        "service",
        "servicename",
        "serviceprincipal",
        "partition",
        "placeholder",
        "replaceme",
    ];
    WORDS.contains(&word.as_str())
}

/// A name like the documentation's `bucket_name`, `BUCKET-NAME`,
/// `DOC-EXAMPLE-BUCKET` or `<bucket>`.
fn looks_like_placeholder(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    name.contains(['<', '>', '{', '}'])
        || (lower.contains("bucket")
            && (lower.contains("name") || lower.contains("example") || lower.contains("your")))
}

/// What is wrong with an S3 bucket name, if anything, and whether the only
/// problem is one that buckets created in US East (N. Virginia) before
/// 1 March 2018 may still have (uppercase letters, underscores).
pub fn bucket_name_problem(name: &str) -> Option<(String, bool)> {
    let bad: Vec<char> = {
        let mut v: Vec<char> = name
            .chars()
            .filter(|c| !(c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '.' || *c == '-'))
            .collect();
        v.dedup();
        v
    };
    if !bad.is_empty() {
        let placeholder = looks_like_placeholder(name);
        let legacy = !placeholder
            && bad.iter().all(|c| c.is_ascii_uppercase() || *c == '_')
            && name.len() <= 255;
        let shown: String = bad
            .iter()
            .map(|c| format!("`{c}`"))
            .collect::<Vec<_>>()
            .join(", ");
        let mut why = format!("bucket names may hold only lowercase letters, digits, dots and hyphens, and `{name}` has {shown}");
        if placeholder {
            why.push_str(" (it looks like a documentation placeholder that was never filled in)");
        }
        return Some((why, legacy));
    }
    if !(3..=63).contains(&name.len()) {
        return Some((
            format!(
                "bucket names are 3 to 63 characters long, and `{name}` has {}",
                name.len()
            ),
            false,
        ));
    }
    let alnum = |c: Option<char>| c.is_some_and(|c| c.is_ascii_lowercase() || c.is_ascii_digit());
    if !alnum(name.chars().next()) || !alnum(name.chars().last()) {
        return Some((
            format!("bucket names begin and end with a letter or digit, and `{name}` does not"),
            false,
        ));
    }
    if name.parse::<Ipv4Addr>().is_ok() {
        return Some((
            format!("bucket names must not look like an IP address, and `{name}` does"),
            false,
        ));
    }
    if name.starts_with("xn--") || name.ends_with("-s3alias") {
        return Some((
            format!(
                "bucket names must not start with `xn--` or end with `-s3alias`, and `{name}` does"
            ),
            false,
        ));
    }
    None
}

/// What is wrong with the value of `kms:EncryptionContext:aws:s3:arn`, if
/// anything: it must be `arn:<partition>:s3:::<bucket>` or
/// `arn:<partition>:s3:::<bucket>/<key>`. The second field tells whether the
/// only problem is a legacy-possible bucket name.
pub fn s3_arn_problem(original: &str, wildcards: bool) -> Option<(String, bool)> {
    let masked = mask_placeholders(original);
    let value = masked.as_str();
    let wild = |s: &str| wildcards && has_wildcard(s);
    let only_stars = |s: &str| wildcards && !s.is_empty() && s.bytes().all(|b| b == b'*');
    if wildcards && (value.starts_with('*') || value.starts_with('?')) {
        return None;
    }
    let Some(c) = arn_parts(value) else {
        if wild(value) {
            return None;
        }
        if !value.starts_with("arn:") {
            return Some((
                "it is not an ARN; the context holds the object ARN `arn:aws:s3:::<bucket>/<key>` or, with S3 Bucket Keys, the bucket ARN `arn:aws:s3:::<bucket>`".to_string(),
                false,
            ));
        }
        return Some((
            "an S3 ARN has six colon-separated parts, `arn:aws:s3:::<bucket>/<key>` (the Region and account parts are empty)".into(),
            false,
        ));
    };
    let [arn, partition, service, region, account, resource] = c;
    if arn != "arn" && !wild(arn) {
        return Some((format!("`{original}` does not start with `arn:`"), false));
    }
    if !wild(partition) && !partition.contains(MASK) && !PARTITIONS.contains(&partition) {
        return Some((
            format!("`{partition}` is not an AWS partition (`aws`, `aws-cn`, `aws-us-gov`)"),
            false,
        ));
    }
    if !wild(service) && !service.contains(MASK) && service != "s3" {
        return Some((
            format!("this is an ARN of `{service}`, not of an S3 bucket or object"),
            false,
        ));
    }
    if !region.is_empty() && !only_stars(region) && !region.contains(MASK) {
        return Some((
            format!("S3 bucket and object ARNs have no Region, but this one has `{region}`"),
            false,
        ));
    }
    if !account.is_empty() && !only_stars(account) && !account.contains(MASK) {
        return Some((
            format!("S3 bucket and object ARNs have no account ID, but this one has `{account}`"),
            false,
        ));
    }
    let bucket = resource.split('/').next().unwrap_or_default();
    if bucket.is_empty() {
        return Some(("the ARN names no bucket".into(), false));
    }
    if bucket.contains(MASK) {
        return None;
    }
    if wild(bucket) {
        // Judge only the literal characters.
        let literal: String = bucket.chars().filter(|c| *c != '*' && *c != '?').collect();
        let bad: Vec<char> = literal
            .chars()
            .filter(|c| !(c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '.' || *c == '-'))
            .collect();
        if !bad.is_empty() {
            let legacy = !looks_like_placeholder(bucket)
                && bad.iter().all(|c| c.is_ascii_uppercase() || *c == '_');
            return Some((
                format!("bucket names may hold only lowercase letters, digits, dots and hyphens, and `{bucket}` has `{}`", bad[0]),
                legacy,
            ));
        }
        return None;
    }
    bucket_name_problem(bucket)
}

/// What is wrong with a value compared by an ARN operator, if anything.
/// Wildcards are allowed in every component; fewer than six components are
/// accepted when a wildcard could be meant to span them.
pub fn arn_problem(original: &str) -> Option<String> {
    let masked = mask_placeholders(original);
    let value = masked.as_str();
    if value.starts_with('*') || value.starts_with('?') {
        return None;
    }
    let Some(c) = arn_parts(value) else {
        if has_wildcard(value) {
            return None;
        }
        if !value.starts_with("arn:") {
            return Some(format!(
                "`{original}` is not an ARN (`arn:partition:service:region:account-id:resource`)"
            ));
        }
        return Some(format!(
            "`{original}` has {} colon-separated parts; an ARN has six, `arn:partition:service:region:account-id:resource`",
            value.split(':').count()
        ));
    };
    let [arn, partition, service, region, account, resource] = c;
    let literal = |s: &str| !has_wildcard(s) && !s.contains(MASK);
    if arn != "arn" && literal(arn) {
        return Some(format!("`{original}` does not start with `arn:`"));
    }
    if literal(partition) && !PARTITIONS.contains(&partition) {
        return Some(format!(
            "`{partition}` is not an AWS partition (`aws`, `aws-cn`, `aws-us-gov`)"
        ));
    }
    if service.is_empty() {
        return Some("the ARN names no service".into());
    }
    if literal(region) && !region.is_empty() && !is_region(region) {
        return Some(if placeholder_word(region) {
            format!("`{region}` in `{original}` is a placeholder copied from a guide, not a Region name such as `us-east-1`")
        } else {
            format!("`{region}` is not an AWS Region name such as `us-east-1`")
        });
    }
    if literal(account) && !account.is_empty() && !is_account_id(account) && account != "aws" {
        return Some(if placeholder_word(account) {
            format!("`{account}` in `{original}` is a placeholder copied from a guide, not a 12-digit account ID")
        } else {
            format!("`{account}` is not a 12-digit account ID")
        });
    }
    if resource.is_empty() {
        return Some("the ARN names no resource".into());
    }
    None
}

/// What is wrong with a value of `aws:PrincipalArn`, if anything. The key
/// holds the ARN of the principal that calls: `arn:aws:iam::ACCOUNT:root`,
/// `arn:aws:iam::ACCOUNT:user/NAME`, `arn:aws:iam::ACCOUNT:role/NAME` (a role
/// session's is its role's), or `arn:aws:sts::ACCOUNT:federated-user/NAME`.
/// Wildcards stand for anything; only the literal parts are judged.
pub fn principal_arn_problem(original: &str) -> Option<String> {
    if let Some(problem) = arn_problem(original) {
        return Some(problem);
    }
    let masked = mask_placeholders(original);
    let [_, _, service, region, account, resource] = arn_parts(&masked)?;
    let literal = |s: &str| !has_wildcard(s) && !s.contains(MASK);
    if literal(service) && service != "iam" && service != "sts" {
        let what = match service {
            "sns" => "an SNS topic",
            "sqs" => "an SQS queue",
            "s3" => "an S3 bucket or object",
            "lambda" => "a Lambda function",
            "logs" => "a CloudWatch Logs log group",
            "cloudtrail" => "a CloudTrail trail",
            "kms" => "a KMS key",
            "events" => "an EventBridge rule or bus",
            _ => "a resource",
        };
        return Some(format!(
            "`{original}` is the ARN of {what} (`{service}`), not of a principal: `aws:PrincipalArn` holds the ARN of the role, user or account root that calls (`arn:aws:iam::111122223333:role/NAME`)"
        ));
    }
    if literal(region) && !region.is_empty() {
        return Some(format!(
            "principal ARNs have no Region, and `{original}` has `{region}`"
        ));
    }
    if literal(account) && account == "aws" {
        return Some(format!(
            "`{original}` names something AWS owns (a managed policy), not a principal"
        ));
    }
    let kind = resource.split('/').next().unwrap_or_default();
    if !literal(kind) || !literal(service) {
        return None;
    }
    match (service, kind) {
        ("iam", "root" | "user" | "role") | ("sts", "federated-user") => None,
        ("sts", "assumed-role") => Some(format!(
            "`{original}` is a role session's ARN, but for a role session `aws:PrincipalArn` is the role's own ARN (`arn:aws:iam::ACCOUNT:role/NAME`), never the session's"
        )),
        ("iam", "group") => Some(format!(
            "`{original}` is an IAM group, and a group never calls AWS: `aws:PrincipalArn` is the calling user's or role's ARN"
        )),
        _ => Some(format!(
            "`{resource}` in `{original}` names no principal: `aws:PrincipalArn` is `...:root`, `...:user/NAME` or `...:role/NAME`"
        )),
    }
}

/// What is wrong with a VPC ID (`vpc-` and 8 or 17 hexadecimal digits) or a
/// VPC endpoint ID (`vpce-` and 8 or 17), if anything.
pub fn vpc_id_problem(value: &str, prefix: &str) -> Option<String> {
    let ok = value.strip_prefix(prefix).is_some_and(|id| {
        (id.len() == 8 || id.len() == 17)
            && id
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    });
    (!ok).then(|| {
        format!(
            "`{value}` is not a {} ID: `{prefix}` and 8 or 17 hexadecimal digits, such as `{prefix}1a2b3c4d`",
            if prefix == "vpc-" { "VPC" } else { "VPC endpoint" }
        )
    })
}

/// A W3C profile of ISO 8601 (`1997`, `1997-07`, `1997-07-16`,
/// `1997-07-16T19:20+01:00`, `1997-07-16T19:20:30Z`,
/// `1997-07-16T19:20:30.45+01:00`) or epoch seconds.
pub fn is_date(s: &str) -> bool {
    if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) && s.len() != 4 {
        return true; // epoch seconds
    }
    let (date, time) = match s.split_once(['T', 't']) {
        Some((d, t)) => (d, Some(t)),
        None => (s, None),
    };
    let nums: Vec<&str> = date.split('-').collect();
    let num = |p: &str, len: usize, lo: u32, hi: u32| {
        p.len() == len
            && p.bytes().all(|b| b.is_ascii_digit())
            && p.parse::<u32>().is_ok_and(|n| (lo..=hi).contains(&n))
    };
    let date_ok = match nums.as_slice() {
        [y] => num(y, 4, 0, 9999),
        [y, m] => num(y, 4, 0, 9999) && num(m, 2, 1, 12),
        [y, m, d] => num(y, 4, 0, 9999) && num(m, 2, 1, 12) && num(d, 2, 1, 31),
        _ => false,
    };
    if !date_ok {
        return false;
    }
    let Some(time) = time else { return true };
    if nums.len() != 3 {
        return false;
    }
    // Split off the zone designator (optional: lenient about local times).
    let (clock, zone) = if let Some(c) = time.strip_suffix(['Z', 'z']) {
        (c, None)
    } else if let Some(i) = time.rfind(['+', '-']) {
        (&time[..i], Some(&time[i + 1..]))
    } else {
        (time, None)
    };
    if let Some(zone) = zone {
        let zone_ok = match zone.split_once(':') {
            Some((h, m)) => num(h, 2, 0, 23) && num(m, 2, 0, 59),
            None => {
                zone.len() == 4
                    && zone.is_ascii()
                    && num(&zone[..2], 2, 0, 23)
                    && num(&zone[2..], 2, 0, 59)
            }
        };
        if !zone_ok {
            return false;
        }
    }
    let (hms, frac) = match clock.split_once('.') {
        Some((a, f)) => (a, Some(f)),
        None => (clock, None),
    };
    if frac.is_some_and(|f| f.is_empty() || !f.bytes().all(|b| b.is_ascii_digit())) {
        return false;
    }
    match hms.split(':').collect::<Vec<_>>().as_slice() {
        [h, m] => frac.is_none() && num(h, 2, 0, 23) && num(m, 2, 0, 59),
        [h, m, sec] => num(h, 2, 0, 24) && num(m, 2, 0, 59) && num(sec, 2, 0, 60),
        _ => false,
    }
}

/// An IPv4 or IPv6 address, with or without a CIDR prefix length.
pub fn is_ip_or_cidr(s: &str) -> bool {
    let (addr, prefix) = match s.split_once('/') {
        Some((a, p)) => (a, Some(p)),
        None => (s, None),
    };
    let prefix_ok = |max: u32| {
        prefix.is_none_or(|p| {
            !p.is_empty()
                && p.len() <= 3
                && p.bytes().all(|b| b.is_ascii_digit())
                && p.parse::<u32>().is_ok_and(|n| n <= max)
        })
    };
    if addr.parse::<Ipv4Addr>().is_ok() {
        return prefix_ok(32);
    }
    if addr.parse::<Ipv6Addr>().is_ok() {
        return prefix_ok(128);
    }
    false
}

/// An integer or decimal number.
pub fn is_number(s: &str) -> bool {
    let s = s.strip_prefix(['+', '-']).unwrap_or(s);
    let (int, frac) = match s.split_once('.') {
        Some((i, f)) => (i, Some(f)),
        None => (s, None),
    };
    let digits = |p: &str| p.bytes().all(|b| b.is_ascii_digit());
    match frac {
        None => !int.is_empty() && digits(int),
        Some(f) => (!int.is_empty() || !f.is_empty()) && digits(int) && digits(f),
    }
}

/// `true` or `false` (any letter case).
pub fn is_bool(s: &str) -> bool {
    s.eq_ignore_ascii_case("true") || s.eq_ignore_ascii_case("false")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn account_ids() {
        assert!(is_account_id("111122223333"));
        assert!(is_account_id("012345678901"));
        assert!(!is_account_id("11112222333"));
        assert!(!is_account_id("aws_account_id"));
        assert!(!is_account_id("1111-2222-3333"));
    }

    #[test]
    fn placeholder_words() {
        for w in [
            "region",
            "Region",
            "account-id",
            "account_ID",
            "AccountId",
            "aws_account_id",
            "YOUR_ACCOUNT_ID",
            "key_ID",
            "service",
            "SERVICE-NAME",
            "<account>",
            "{region}",
            "your-region",
        ] {
            assert!(placeholder_word(w), "{w}");
        }
        for w in [
            "us-east-1",
            "111122223333",
            "logs",
            "cloudtrail",
            "key",
            "s3",
            "",
        ] {
            assert!(!placeholder_word(w), "{w}");
        }
    }

    #[test]
    fn regions() {
        for r in [
            "us-east-1",
            "eu-central-2",
            "us-gov-west-1",
            "cn-north-1",
            "cn-northwest-1",
            "ap-southeast-4",
            "il-central-1",
            "us-isob-east-1",
            "eusc-de-east-1",
        ] {
            assert!(is_region(r), "{r}");
        }
        for r in [
            "bucket-region",
            "region",
            "us-east",
            "US-EAST-1",
            "us-east-1a",
            "useast1",
            "aws_region",
            "",
        ] {
            assert!(!is_region(r), "{r}");
        }
    }

    #[test]
    fn via_service_values() {
        assert_eq!(
            via_service_problem("s3.us-east-1.amazonaws.com", false),
            None
        );
        assert_eq!(
            via_service_problem("elasticfilesystem.us-east-2.amazonaws.com", false),
            None
        );
        assert_eq!(
            via_service_problem("backup-gateway.eu-west-1.amazonaws.com", false),
            None
        );
        assert!(via_service_problem("s3.bucket-region.amazonaws.com", false)
            .unwrap()
            .contains("bucket-region"));
        assert!(via_service_problem("fsx.amazonaws.com", false)
            .unwrap()
            .contains("service principal"));
        assert!(via_service_problem("s3.cn-north-1.amazonaws.com.cn", false)
            .unwrap()
            .contains(".amazonaws.com.cn"));
        assert!(via_service_problem("S3.us-east-1.amazonaws.com", false).is_some());
        assert!(via_service_problem("s3.data-source.lustre.fsx.amazonaws.com", false).is_some());
        assert!(via_service_problem("dynamodb.*.amazonaws.com", false)
            .unwrap()
            .contains('*'));
        // Under StringLike, wildcards stand for anything.
        assert_eq!(via_service_problem("dynamodb.*.amazonaws.com", true), None);
        assert_eq!(via_service_problem("*.us-east-1.amazonaws.com", true), None);
        assert_eq!(via_service_problem("s3.*", true), None);
        assert_eq!(via_service_problem("s3.us-*.amazonaws.com", true), None);
        assert_eq!(via_service_problem("*", true), None);
        assert!(via_service_problem("*.bucket-region.amazonaws.com", true).is_some());
        assert!(via_service_problem("s3.region.*", true).is_some());
        assert!(via_service_problem("s3.*.amazonaws.com.cn", true).is_some());
        // Without wildcards a Like pattern is judged like a literal.
        assert!(via_service_problem("s3.bucket-region.amazonaws.com", true).is_some());
    }

    #[test]
    fn bucket_names() {
        assert_eq!(bucket_name_problem("my-data-bucket"), None);
        assert_eq!(bucket_name_problem("www.example.com"), None);
        assert_eq!(bucket_name_problem("abc"), None);
        let (msg, legacy) = bucket_name_problem("bucket_name").unwrap();
        assert!(msg.contains('_') && msg.contains("placeholder") && !legacy);
        let (_, legacy) = bucket_name_problem("old_logs").unwrap();
        assert!(legacy);
        let (_, legacy) = bucket_name_problem("MyBucket").unwrap();
        assert!(legacy);
        let (_, legacy) = bucket_name_problem("<bucket>").unwrap();
        assert!(!legacy);
        assert!(bucket_name_problem("ab").is_some());
        assert!(bucket_name_problem(&"a".repeat(64)).is_some());
        assert!(bucket_name_problem("-bucket").is_some());
        assert!(bucket_name_problem("192.168.5.4").is_some());
        assert!(bucket_name_problem("xn--bucket").is_some());
    }

    #[test]
    fn s3_arns() {
        assert_eq!(s3_arn_problem("arn:aws:s3:::my-data-bucket", false), None);
        assert_eq!(
            s3_arn_problem("arn:aws:s3:::my-data-bucket/path/to/key", false),
            None
        );
        assert_eq!(
            s3_arn_problem("arn:aws-cn:s3:::my-data-bucket/*", true),
            None
        );
        assert_eq!(
            s3_arn_problem("arn:aws-us-gov:s3:::my-data-bucket", false),
            None
        );
        assert_eq!(
            s3_arn_problem("arn:aws:s3:::aws-security-data-lake-us-east-1*", true),
            None
        );
        assert_eq!(s3_arn_problem("arn:aws:s3:::*", true), None);
        assert_eq!(
            s3_arn_problem("arn:${AWS::Partition}:s3:::${Bucket}/*", true),
            None
        );
        assert_eq!(s3_arn_problem("*", true), None);
        assert!(
            s3_arn_problem("arn:aws:s3:us-east-1:111122223333:bucket", false)
                .unwrap()
                .0
                .contains("Region")
        );
        assert!(s3_arn_problem("arn:aws:s3:::bucket_name/*", true)
            .unwrap()
            .0
            .contains('_'));
        assert!(s3_arn_problem("my-data-bucket", false)
            .unwrap()
            .0
            .contains("not an ARN"));
        assert!(s3_arn_problem("arn:aws:sqs:us-east-1:111122223333:queue", false).is_some());
        assert!(s3_arn_problem("arn:aws:s3:::", false).is_some());
        assert!(s3_arn_problem("arn:aws:s3:::bucket_*", true).is_some());
        // A wildcard in the Region or account parts of a Like pattern matches the empty text.
        assert_eq!(
            s3_arn_problem("arn:aws:s3:*:*:my-data-bucket/*", true),
            None
        );
    }

    #[test]
    fn arns() {
        assert_eq!(
            arn_problem("arn:aws:logs:us-east-1:111122223333:log-group:my-group"),
            None
        );
        assert_eq!(arn_problem("arn:aws:logs:us-east-1:111122223333:*"), None);
        assert_eq!(arn_problem("arn:aws:iam::aws:policy/ReadOnlyAccess"), None);
        assert_eq!(arn_problem("arn:aws:s3:::bucket"), None);
        assert_eq!(arn_problem("*"), None);
        assert_eq!(arn_problem("arn:aws:sns:*"), None);
        assert_eq!(
            arn_problem("arn:${AWS::Partition}:logs:${AWS::Region}:${AWS::AccountId}:*"),
            None
        );
        assert_eq!(
            arn_problem("arn:aws:cloudtrail:*:111122223333:trail/*"),
            None
        );
        assert!(arn_problem("111122223333").is_some());
        assert!(arn_problem("arn:aws:logs:region:111122223333:*").is_some());
        assert!(arn_problem("arn:aws:logs:us-east-1:account-id:*").is_some());
        assert!(arn_problem("arn:aws:cloudfront::/E2D7").is_some());
    }

    #[test]
    fn principal_arns() {
        for ok in [
            "arn:aws:iam::111122223333:role/Admin",
            "arn:aws:iam::111122223333:root",
            "arn:aws:iam::*:role/Admin",
            "arn:aws:iam::111122223333:user/ci/*",
            "arn:aws:sts::111122223333:federated-user/alice",
            "arn:aws-cn:iam::111122223333:role/*",
            "arn:aws:*:*:*:*",
            "*",
            "arn:${AWS::Partition}:iam::${AWS::AccountId}:role/x",
        ] {
            assert_eq!(principal_arn_problem(ok), None, "{ok}");
        }
        for (bad, says) in [
            ("arn:aws:sns:us-east-1:111122223333:alerts", "SNS topic"),
            ("arn:aws:s3:::bucket", "S3"),
            ("arn:aws:iam::111122223333:group/Admins", "group"),
            (
                "arn:aws:sts::111122223333:assumed-role/Admin/alice",
                "role session",
            ),
            ("arn:aws:iam::aws:policy/ReadOnlyAccess", "AWS owns"),
            ("arn:aws:iam::account-id:role/Admin", "account-id"),
            ("arn:aws:iam:us-east-1:111122223333:role/Admin", "Region"),
            (
                "arn:aws:iam::111122223333:instance-profile/web",
                "instance-profile",
            ),
        ] {
            let problem = principal_arn_problem(bad).unwrap_or_default();
            assert!(problem.contains(says), "{bad}: {problem}");
        }
    }

    #[test]
    fn vpc_ids() {
        assert_eq!(vpc_id_problem("vpc-1a2b3c4d", "vpc-"), None);
        assert_eq!(vpc_id_problem("vpc-0123456789abcdef0", "vpc-"), None);
        assert_eq!(vpc_id_problem("vpce-1a2b3c4d", "vpce-"), None);
        assert!(vpc_id_problem("vpc-123", "vpc-").is_some());
        assert!(vpc_id_problem("vpce-1a2b3c4d", "vpc-").is_some());
        assert!(vpc_id_problem("VPC-1A2B3C4D", "vpc-").is_some());
        assert!(vpc_id_problem("vpc-id", "vpc-").is_some());
    }

    #[test]
    fn dates() {
        for d in [
            "2020-01-01",
            "2020",
            "2020-01",
            "2020-01-01T00:00:01Z",
            "2020-01-01T00:00Z",
            "2020-01-01T19:20:30.45+01:00",
            "1997-07-16T19:20:30-05:00",
            "1577836800",
        ] {
            assert!(is_date(d), "{d}");
        }
        for d in [
            "2020-13-01",
            "01/01/2020",
            "yesterday",
            "2020-01-01T25:00:00Z",
            "2020-1-1",
            "",
        ] {
            assert!(!is_date(d), "{d}");
        }
    }

    #[test]
    fn dates_never_split_characters() {
        assert!(!is_date("2020-01-01T10:00+1\u{e9}2"));
        assert!(!is_date("2020-01-01T\u{e9}\u{e9}:00Z"));
    }

    #[test]
    fn ips() {
        for ip in [
            "203.0.113.0/24",
            "203.0.113.7",
            "2001:DB8:1234:5678::/64",
            "::1",
            "0.0.0.0/0",
        ] {
            assert!(is_ip_or_cidr(ip), "{ip}");
        }
        for ip in [
            "203.0.113.0/33",
            "10.0.0",
            "vpc-123",
            "2001:db8::/129",
            "10.0.0.0/",
            "",
        ] {
            assert!(!is_ip_or_cidr(ip), "{ip}");
        }
    }

    #[test]
    fn numbers_and_bools() {
        for n in ["10", "-3", "2.5", "0.25", "365"] {
            assert!(is_number(n), "{n}");
        }
        for n in ["ten", "", "1e", "1.2.3", "."] {
            assert!(!is_number(n), "{n}");
        }
        assert!(is_bool("true") && is_bool("False"));
        assert!(!is_bool("yes") && !is_bool("1"));
    }
}
