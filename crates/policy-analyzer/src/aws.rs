//! The AWS vocabulary the analyzer reads in policies, written once: ARNs and
//! their parts, account ids, Region names, `kms:ViaService` values, S3
//! ARNs, and which condition keys describe the caller rather than the
//! request. Every reader of these forms (the evaluator, the rules, the
//! service packs, the editor features) asks here.

/// The six colon-separated parts of an ARN-shaped value, the last keeping
/// any further colons: `arn:PARTITION:SERVICE:REGION:ACCOUNT:RESOURCE`.
/// `None` for fewer than six parts. The first part is not checked (a
/// pattern may hold a wildcard there).
pub fn arn_parts(value: &str) -> Option<[&str; 6]> {
    match arn_parts_lenient(value) {
        (6, parts) => Some(parts),
        _ => None,
    }
}

/// The parts of an ARN-shaped value, at most six (the last keeping any
/// further colons), with how many there are: for readers that also judge
/// a value with fewer parts.
pub fn arn_parts_lenient(value: &str) -> (usize, [&str; 6]) {
    let mut out = [""; 6];
    let mut count = 0;
    for (slot, part) in out.iter_mut().zip(value.splitn(6, ':')) {
        *slot = part;
        count += 1;
    }
    (count, out)
}

/// An ARN, split into its parts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Arn<'a> {
    pub partition: &'a str,
    pub service: &'a str,
    pub region: &'a str,
    pub account: &'a str,
    /// Everything after the account, colons included (`role/path/name`,
    /// `log-group:name`, `bucket/key`).
    pub resource: &'a str,
}

impl<'a> Arn<'a> {
    /// `arn:PARTITION:SERVICE:REGION:ACCOUNT:RESOURCE`; `None` when the value
    /// does not start with `arn:` or has fewer than six parts.
    pub fn parse(value: &'a str) -> Option<Arn<'a>> {
        let [arn, partition, service, region, account, resource] = arn_parts(value)?;
        (arn == "arn").then_some(Arn {
            partition,
            service,
            region,
            account,
            resource,
        })
    }

    /// The byte offset of one of this ARN's parts within `value`, the text
    /// it was parsed from.
    pub fn offset_in(value: &str, part: &str) -> usize {
        part.as_ptr() as usize - value.as_ptr() as usize
    }
}

/// Whether `text` is a 12-digit AWS account id, or the deploying account of
/// a template or module (see [`crate::symbolic`]).
pub fn is_account_id(text: &str) -> bool {
    (text.len() == 12 && text.bytes().all(|b| b.is_ascii_digit()))
        || crate::symbolic::is_account(text)
}

/// The account part of an ARN, when it is a 12-digit id.
pub fn arn_account(arn: &str) -> Option<&str> {
    // `arn:PARTITION:SERVICE:REGION:ACCOUNT:...`; bytes, not a char
    // searcher: the evaluator asks this of every principal it meets.
    let rest = arn.strip_prefix("arn:")?;
    let mut colons = rest
        .bytes()
        .enumerate()
        .filter(|&(_, b)| b == b':')
        .map(|(i, _)| i);
    let start = colons.nth(2)? + 1;
    let end = colons.next().unwrap_or(rest.len());
    Some(&rest[start..end]).filter(|a| is_account_id(a))
}

/// The compass parts of Region names.
const DIRECTIONS: [&str; 9] = [
    "east",
    "west",
    "north",
    "south",
    "central",
    "northeast",
    "northwest",
    "southeast",
    "southwest",
];

/// An AWS Region name: `us-east-1`, `eu-central-2`, `us-gov-west-1`,
/// `cn-north-1`, `us-isob-east-1`, `eusc-de-east-1`: a lowercase area code,
/// optional partition or country parts, a compass direction and a number.
/// Checked by shape, not against a list, so new Regions pass. The deploying
/// Region of a template is one too.
pub fn is_region(s: &str) -> bool {
    if crate::symbolic::is_region(s) {
        return true;
    }
    let parts: Vec<&str> = s.split('-').collect();
    if !(3..=5).contains(&parts.len()) {
        return false;
    }
    let lower = |p: &str, min: usize, max: usize| {
        (min..=max).contains(&p.len()) && p.bytes().all(|b| b.is_ascii_lowercase())
    };
    let n = parts.len();
    lower(parts[0], 2, 4)
        && parts[1..n - 2].iter().all(|p| lower(p, 2, 5))
        && DIRECTIONS.contains(&parts[n - 2])
        && (1..=2).contains(&parts[n - 1].len())
        && parts[n - 1].bytes().all(|b| b.is_ascii_digit())
}

/// The suffix of every service endpoint and service principal name.
pub const SERVICE_SUFFIX: &str = ".amazonaws.com";

/// A `kms:ViaService` value, `<service>.<region>.amazonaws.com`, read
/// without judging it (a pattern's parts may hold wildcards).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ViaService<'a> {
    /// The first label: `fsx`, `elasticfilesystem`, `s3`.
    pub service: &'a str,
    /// Everything between the service and the suffix: a Region, or a
    /// pattern, or more labels.
    pub region: &'a str,
}

impl<'a> ViaService<'a> {
    /// `fsx.us-east-1.amazonaws.com` → (`fsx`, `us-east-1`); `None` without
    /// the suffix or a Region part.
    pub fn parse(value: &'a str) -> Option<ViaService<'a>> {
        let rest = value.strip_suffix(SERVICE_SUFFIX)?;
        let (service, region) = rest.split_once('.')?;
        Some(ViaService { service, region })
    }

    /// The Region, when it is a concrete name (no wildcard, no further
    /// labels, no variable or placeholder).
    pub fn concrete_region(&self) -> Option<&'a str> {
        let region = self.region;
        (!region.is_empty()
            && !crate::matcher::has_wildcard(region)
            && !region.contains(['.', '$', '{']))
        .then_some(region)
    }
}

/// A service principal name: `<service>.amazonaws.com` or, for services
/// with Regional principals, `<service>.<region>.amazonaws.com`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ServicePrincipal<'a> {
    pub service: &'a str,
    pub region: Option<&'a str>,
}

impl<'a> ServicePrincipal<'a> {
    pub fn parse(value: &'a str) -> Option<ServicePrincipal<'a>> {
        let rest = value.strip_suffix(SERVICE_SUFFIX)?;
        Some(match rest.split_once('.') {
            Some((service, region)) => ServicePrincipal {
                service,
                region: Some(region).filter(|r| !r.is_empty()),
            },
            None => ServicePrincipal {
                service: rest,
                region: None,
            },
        })
    }
}

/// The two forms of an S3 ARN in an encryption context: the bucket ARN
/// `arn:aws:s3:::bucket` (what S3 sends with S3 Bucket Keys) and an object
/// ARN `arn:aws:s3:::bucket/key` (without them).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum S3Arn<'a> {
    Bucket(&'a str),
    Object { bucket: &'a str, key: &'a str },
}

impl<'a> S3Arn<'a> {
    /// `arn:<partition>:s3:::bucket[/key]`; `None` for any other ARN (one
    /// with a Region or an account, another service, no ARN).
    pub fn parse(value: &'a str) -> Option<S3Arn<'a>> {
        let arn = Arn::parse(value)?;
        if arn.service != "s3" || !arn.region.is_empty() || !arn.account.is_empty() {
            return None;
        }
        Some(match arn.resource.split_once('/') {
            Some((bucket, key)) => S3Arn::Object { bucket, key },
            None => S3Arn::Bucket(arn.resource),
        })
    }
}

/// What a condition key says about the request, for the keys that describe
/// the caller rather than what it asks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CallerKey {
    /// Who the principal is: its ARN, organization, type, unique id, name.
    Identity,
    /// What the caller brings along and may choose: its tags, its MFA, a
    /// source identity.
    Attribute,
    /// The caller's account (`aws:PrincipalAccount`, `kms:CallerAccount`).
    Account,
    /// Whether and which AWS service principal calls.
    ServicePrincipal,
    /// The resource and account a service principal acts for
    /// (`aws:SourceArn`, `aws:SourceAccount`, ...).
    Source,
}

/// The keys of [`CallerKey`], lowercase.
const CALLER_KEYS: [(&str, CallerKey); 18] = [
    ("aws:principalarn", CallerKey::Identity),
    ("aws:principalorgid", CallerKey::Identity),
    ("aws:principalorgpaths", CallerKey::Identity),
    ("aws:principaltype", CallerKey::Identity),
    ("aws:userid", CallerKey::Identity),
    ("aws:username", CallerKey::Identity),
    ("aws:sourceidentity", CallerKey::Attribute),
    ("aws:multifactorauthpresent", CallerKey::Attribute),
    ("aws:principalaccount", CallerKey::Account),
    ("kms:calleraccount", CallerKey::Account),
    ("aws:principalisawsservice", CallerKey::ServicePrincipal),
    ("aws:principalservicename", CallerKey::ServicePrincipal),
    ("aws:principalservicenameslist", CallerKey::ServicePrincipal),
    ("aws:sourceaccount", CallerKey::Source),
    ("aws:sourcearn", CallerKey::Source),
    ("aws:sourceorgid", CallerKey::Source),
    ("aws:sourceorgpaths", CallerKey::Source),
    ("aws:sourceowner", CallerKey::Source),
];

const PRINCIPAL_TAG: &str = "aws:PrincipalTag/";

/// What a condition key says about the caller, if it describes the caller
/// (names compare case-insensitively, as IAM compares them); the tags of
/// `aws:PrincipalTag/<tag>` are [`CallerKey::Attribute`]s.
pub fn caller_key(name: &str) -> Option<CallerKey> {
    if name.len() > PRINCIPAL_TAG.len()
        && name
            .get(..PRINCIPAL_TAG.len())
            .is_some_and(|p| p.eq_ignore_ascii_case(PRINCIPAL_TAG))
    {
        return Some(CallerKey::Attribute);
    }
    CALLER_KEYS
        .iter()
        .find(|(key, _)| key.eq_ignore_ascii_case(name))
        .map(|&(_, kind)| kind)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arns() {
        let arn = Arn::parse("arn:aws:logs:us-east-1:111122223333:log-group:a:b").unwrap();
        assert_eq!(arn.service, "logs");
        assert_eq!(arn.resource, "log-group:a:b");
        assert_eq!(
            Arn::offset_in(
                "arn:aws:logs:us-east-1:111122223333:log-group:a:b",
                arn.account
            ),
            23
        );
        assert!(Arn::parse("arn:aws:s3::").is_none());
        assert!(Arn::parse("xarn:aws:s3:::b").is_none());
        assert_eq!(arn_parts("*:*:*:*:*:*").map(|p| p[5]), Some("*"));
        assert_eq!(
            arn_account("arn:aws:iam::111122223333:role/x"),
            Some("111122223333")
        );
        assert_eq!(arn_account("arn:aws:s3:::b"), None);
    }

    #[test]
    fn regions_accounts_and_via_service() {
        for r in ["us-east-1", "eu-central-2", "us-gov-west-1", "cn-north-1"] {
            assert!(is_region(r), "{r}");
        }
        for r in ["region", "us-east", "US-EAST-1", "bucket-region"] {
            assert!(!is_region(r), "{r}");
        }
        assert!(is_account_id("111122223333"));
        assert!(!is_account_id("11112222333"));
        let v = ViaService::parse("fsx.us-east-1.amazonaws.com").unwrap();
        assert_eq!((v.service, v.concrete_region()), ("fsx", Some("us-east-1")));
        let v = ViaService::parse("dynamodb.*.amazonaws.com").unwrap();
        assert_eq!(v.concrete_region(), None);
        assert!(ViaService::parse("fsx.amazonaws.com").is_none());
        let sp = ServicePrincipal::parse("logs.us-east-1.amazonaws.com").unwrap();
        assert_eq!((sp.service, sp.region), ("logs", Some("us-east-1")));
        let sp = ServicePrincipal::parse("cloudtrail.amazonaws.com").unwrap();
        assert_eq!((sp.service, sp.region), ("cloudtrail", None));
    }

    #[test]
    fn s3_arns() {
        assert_eq!(S3Arn::parse("arn:aws:s3:::b"), Some(S3Arn::Bucket("b")));
        assert_eq!(
            S3Arn::parse("arn:aws:s3:::b/k/*"),
            Some(S3Arn::Object {
                bucket: "b",
                key: "k/*"
            })
        );
        assert_eq!(S3Arn::parse("arn:aws:s3:us-east-1::b"), None);
    }

    #[test]
    fn caller_keys() {
        assert_eq!(caller_key("aws:PrincipalOrgID"), Some(CallerKey::Identity));
        assert_eq!(
            caller_key("aws:principaltag/team"),
            Some(CallerKey::Attribute)
        );
        assert_eq!(caller_key("aws:PrincipalTag/"), None);
        assert_eq!(caller_key("AWS:SourceArn"), Some(CallerKey::Source));
        assert_eq!(caller_key("kms:ViaService"), None);
        assert_eq!(caller_key(""), None);
    }
}
