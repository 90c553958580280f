//! Profiles from the configuration and the policy. The configuration wins
//! for every value it gives; what it leaves open is read from the statements
//! meant for the service (see `reading.rs`), and every inferred value keeps
//! the evidence it came from, so the user can see why a check ran and with
//! which values (PC401).

use super::model::{CallerKind, ServiceId};
use super::profile::{
    is_account_id, representative, BucketKeys, Evidence, Origin, Profile, Reason, ResourceEvidence,
    ServiceProfile, Valued, MAX_VALUES,
};
use super::reading::{PolicyReading, S3ArnForm, StatementReading};
use crate::eval::PrincipalValue;
use crate::model::PrincipalKind;
use crate::resources::{ConsumerKind, KeyContext};

/// The profiles the checks run with: the configured services, or, when the
/// configuration names none, the services the resources around the key use
/// it for, and the services the policy's statements are meant for.
pub fn resolve(
    config: Option<&Profile>,
    resources: Option<&KeyContext>,
    reading: &PolicyReading<'_>,
) -> Vec<ServiceProfile> {
    let default = Profile::default();
    let config = config.unwrap_or(&default);
    let declared = resources.map(Declared::read).unwrap_or_default();
    let services: Vec<(ServiceId, Reason)> = if config.services.is_empty() {
        let mut services = declared.services.clone();
        for (service, reason) in inferred_services(reading) {
            if !services.iter().any(|(s, _)| s.route() == service.route()) {
                services.push((service, reason));
            }
        }
        services.sort_by_key(|(service, _)| *service);
        services
    } else {
        let mut services = config.services.clone();
        services.sort();
        services.dedup();
        services
            .into_iter()
            .map(|s| (s, Reason::Configured))
            .collect()
    };
    services
        .into_iter()
        .map(|(service, reason)| profile_for(service, reason, config, &declared, reading))
        .collect()
}

/// What the resources around a key say the services need to know.
#[derive(Clone, Debug, Default)]
struct Declared {
    /// The services the key serves, with the resources that show it.
    services: Vec<(ServiceId, Reason)>,
    /// The linked bucket (`s3-link`), when its name is known.
    bucket: Option<Valued>,
    bucket_keys: Option<(bool, ResourceEvidence)>,
    key_spec: Option<Valued>,
}

impl Declared {
    fn read(key: &KeyContext) -> Declared {
        let mut declared = Declared::default();
        let mut add = |service: ServiceId, evidence: ResourceEvidence| match declared
            .services
            .iter_mut()
            .find(|(s, _)| *s == service)
        {
            Some((_, Reason::Resources(list))) => list.push(evidence),
            _ => declared
                .services
                .push((service, Reason::Resources(vec![evidence]))),
        };
        for consumer in &key.consumers {
            let evidence = |what: String| ResourceEvidence {
                what,
                at: consumer.at.clone(),
            };
            match &consumer.kind {
                ConsumerKind::FsxFileSystem { file_system_type } => {
                    let lustre = file_system_type
                        .as_deref()
                        .is_some_and(|t| t.eq_ignore_ascii_case("LUSTRE"));
                    let service = if lustre {
                        ServiceId::FsxLustre
                    } else {
                        ServiceId::Fsx
                    };
                    let what = match file_system_type {
                        Some(t) => format!("{} ({t})", consumer.name),
                        None => consumer.name.clone(),
                    };
                    add(service, evidence(what));
                }
                ConsumerKind::FileCache => {
                    add(ServiceId::FileCache, evidence(consumer.name.clone()))
                }
                ConsumerKind::EfsFileSystem => add(ServiceId::Efs, evidence(consumer.name.clone())),
                ConsumerKind::S3Bucket(bucket) if !bucket.linked_by.is_empty() => {
                    let linked: Vec<&str> =
                        bucket.linked_by.iter().map(|l| l.value.as_str()).collect();
                    let what = format!(
                        "{} (the data repository of {})",
                        consumer.name,
                        linked.join(" and ")
                    );
                    add(ServiceId::S3Link, evidence(what.clone()));
                    if declared.bucket.is_none() {
                        declared.bucket = bucket.bucket.as_ref().map(|name| Valued {
                            value: name.clone(),
                            origin: Origin::Resource(evidence(consumer.name.clone())),
                        });
                    }
                    if declared.bucket_keys.is_none() {
                        declared.bucket_keys = bucket.bucket_keys.as_ref().map(|on| {
                            let what =
                                format!("{} (BucketKeyEnabled: {})", consumer.name, on.value);
                            (
                                on.value,
                                ResourceEvidence {
                                    what,
                                    at: on.at.clone(),
                                },
                            )
                        });
                    }
                }
                ConsumerKind::S3Bucket(_) | ConsumerKind::Other { .. } => {}
            }
        }
        declared.key_spec = key.spec.as_ref().map(|spec| Valued {
            value: spec.value.clone(),
            origin: Origin::Resource(ResourceEvidence {
                what: key.name.clone(),
                at: spec.at.clone(),
            }),
        });
        declared
    }
}

/// One service per route the statements are meant for, with the evidence.
/// Strong evidence (a `kms:ViaService` value, a service-linked role) is
/// listed before weak (a service principal).
fn inferred_services(reading: &PolicyReading<'_>) -> Vec<(ServiceId, Reason)> {
    let mut found: Vec<(ServiceId, Vec<Evidence>)> = Vec::new();
    for statement in &reading.statements {
        for purpose in &statement.purposes {
            let evidence = Evidence {
                what: purpose.what.clone(),
                range: purpose.range,
                statement: statement.index,
            };
            match found
                .iter_mut()
                .find(|(s, _)| s.route() == purpose.service.route())
            {
                Some((_, list)) => list.push(evidence),
                None => found.push((purpose.service, vec![evidence])),
            }
        }
    }
    found.sort_by_key(|(service, _)| *service);
    found
        .into_iter()
        .map(|(service, evidence)| (service, Reason::Inferred(evidence)))
        .collect()
}

fn evidence(
    statement: &StatementReading<'_>,
    what: String,
    range: crate::text::TextRange,
) -> Origin {
    Origin::Policy(Evidence {
        what,
        range,
        statement: statement.index,
    })
}

/// Adds a value not yet in the list; past [`MAX_VALUES`] it only notes that
/// there were more.
fn push_unique(list: &mut Vec<Valued>, valued: Valued, truncated: &mut bool) {
    if list.iter().any(|v| v.value == valued.value) {
        return;
    }
    if list.len() >= MAX_VALUES {
        *truncated = true;
    } else {
        list.push(valued);
    }
}

fn profile_for(
    service: ServiceId,
    reason: Reason,
    config: &Profile,
    declared: &Declared,
    reading: &PolicyReading<'_>,
) -> ServiceProfile {
    let model = service.model();
    let statements: Vec<&StatementReading<'_>> = reading.meant_for(service).collect();
    let linked_role = model.caller.kind == CallerKind::ServiceLinkedRole;
    let mut truncated = false;

    // kms:ViaService regions: the service's region, or the bucket's for the
    // S3 link (the configured `region` stands in for an unset `bucket-region`,
    // since a bucket and its cache are usually in one region).
    let configured_region = match model.via_service.region {
        super::model::RegionOf::Bucket => {
            config.bucket_region.as_deref().or(config.region.as_deref())
        }
        super::model::RegionOf::Service => config.region.as_deref(),
    };
    let mut regions = Vec::new();
    if let Some(region) = configured_region {
        regions.push(Valued::configured(region));
    } else {
        let via_name = model.via_service.service_name();
        // Values naming the service first; for a statement that names a
        // service-linked role, any region it gives, even under another
        // service's name (the mismatch is reported, the region still stands).
        for pass in [true, false] {
            for statement in &statements {
                for via in &statement.via_services {
                    let same_service = via.service_name.eq_ignore_ascii_case(via_name);
                    if same_service != pass || (!pass && !linked_role) {
                        continue;
                    }
                    if let Some(region) = via.region {
                        let what = format!("kms:ViaService \"{}\"", via.text.value.value);
                        push_unique(
                            &mut regions,
                            Valued {
                                value: region.to_string(),
                                origin: evidence(statement, what, via.text.value.range),
                            },
                            &mut truncated,
                        );
                    }
                }
                if pass {
                    for sp in &statement.service_principals {
                        if let Some(region) =
                            sp.region.filter(|_| sp.service.route() == service.route())
                        {
                            let what = format!("the service principal \"{}\"", sp.text.value);
                            push_unique(
                                &mut regions,
                                Valued {
                                    value: region.to_string(),
                                    origin: evidence(statement, what, sp.text.range),
                                },
                                &mut truncated,
                            );
                        }
                    }
                }
            }
            if !regions.is_empty() {
                break;
            }
        }
    }
    if regions.is_empty() {
        regions.push(Valued::representative(representative::REGION));
    }

    let account = match &config.account {
        Some(account) => Some(Valued::configured(account)),
        None => inferred_account(&statements, reading),
    };

    let mut buckets = Vec::new();
    let mut resource_ids = Vec::new();
    let mut bucket_keys = BucketKeys::Unknown { presumed: None };
    if linked_role {
        match (&config.bucket, &declared.bucket) {
            (Some(bucket), _) => buckets.push(Valued::configured(bucket)),
            (None, Some(bucket)) => buckets.push(bucket.clone()),
            (None, None) => {
                for statement in &statements {
                    for context in &statement.s3_contexts {
                        if let Some(bucket) = context.bucket {
                            let what = format!(
                                "kms:EncryptionContext:aws:s3:arn \"{}\"",
                                context.text.value.value
                            );
                            push_unique(
                                &mut buckets,
                                Valued {
                                    value: bucket.to_string(),
                                    origin: evidence(statement, what, context.text.value.range),
                                },
                                &mut truncated,
                            );
                        }
                    }
                }
            }
        }
        if buckets.is_empty() {
            buckets.push(Valued::representative(representative::BUCKET));
        }
        bucket_keys = match (config.bucket_keys, &declared.bucket_keys) {
            (Some(on), _) => BucketKeys::Stated(on),
            (None, Some((on, evidence))) => BucketKeys::Declared(*on, evidence.clone()),
            (None, None) => BucketKeys::Unknown {
                presumed: presumed_bucket_keys(&statements),
            },
        };
        match &config.file_system_id {
            Some(id) => resource_ids.push(Valued::configured(id)),
            None => {
                for statement in &statements {
                    for role in statement.roles.iter().filter(|r| r.service == service) {
                        if let Some(id) = role.resource_id {
                            let what = format!("the service-linked role {}", role.value);
                            push_unique(
                                &mut resource_ids,
                                Valued {
                                    value: id.to_string(),
                                    origin: evidence(statement, what, role.range),
                                },
                                &mut truncated,
                            );
                        }
                    }
                }
            }
        }
        if resource_ids.is_empty() {
            resource_ids.push(Valued::representative(representative::RESOURCE_ID));
        }
    }

    ServiceProfile {
        service,
        reason,
        regions,
        account,
        buckets,
        bucket_keys,
        resource_ids,
        key_spec: match &config.key_spec {
            Some(spec) => Some(Valued::configured(spec)),
            None => declared.key_spec.clone(),
        },
        callers: config.callers.clone(),
        truncated,
    }
}

/// The callers' account the policy suggests: a 12-digit `kms:CallerAccount`
/// of a statement meant for the service, else the account of a principal
/// such a statement names, else an account-root principal anywhere (the key's
/// own account, where callers usually are).
fn inferred_account(
    statements: &[&StatementReading<'_>],
    reading: &PolicyReading<'_>,
) -> Option<Valued> {
    for statement in statements {
        if let Some(ca) = statement
            .caller_accounts
            .iter()
            .find(|ca| is_account_id(ca.value.value))
        {
            let what = format!("kms:CallerAccount \"{}\"", ca.value.value);
            return Some(Valued {
                value: ca.value.value.to_string(),
                origin: evidence(statement, what, ca.value.range),
            });
        }
    }
    for statement in statements {
        for role in &statement.roles {
            if let Some(account) = role.account {
                let what = format!("the service-linked role {}", role.value);
                return Some(Valued {
                    value: account.to_string(),
                    origin: evidence(statement, what, role.range),
                });
            }
        }
        for principal in &statement.aws_principals {
            if let Some(account) = principal_account(principal.value) {
                let what = format!("the principal {}", principal.value);
                return Some(Valued {
                    value: account.to_string(),
                    origin: evidence(statement, what, principal.range),
                });
            }
        }
    }
    for statement in &reading.statements {
        for principal in &statement.aws_principals {
            if let Some(account) = account_root(principal.value) {
                let what = format!("the account principal {}", principal.value);
                return Some(Valued {
                    value: account.to_string(),
                    origin: evidence(statement, what, principal.range),
                });
            }
        }
    }
    None
}

/// The account a principal value names or belongs to (an ARN's account, a bare id).
pub fn principal_account(value: &str) -> Option<&str> {
    PrincipalValue::parse(Some(PrincipalKind::Aws), value).account()
}

/// The account of an account principal (`arn:aws:iam::ACCOUNT:root` or a bare id).
pub fn account_root(value: &str) -> Option<&str> {
    match PrincipalValue::parse(Some(PrincipalKind::Aws), value) {
        PrincipalValue::Account(account) => Some(account),
        _ => None,
    }
}

/// What the statements' encryption contexts suggest about S3 Bucket Keys:
/// only object ARNs suggest off, only bucket ARNs suggest on.
fn presumed_bucket_keys(statements: &[&StatementReading<'_>]) -> Option<(bool, Evidence)> {
    let mut object = None;
    let mut bucket = None;
    for statement in statements {
        for context in &statement.s3_contexts {
            let evidence = Evidence {
                what: format!(
                    "kms:EncryptionContext:aws:s3:arn \"{}\"",
                    context.text.value.value
                ),
                range: context.text.value.range,
                statement: statement.index,
            };
            match context.form {
                S3ArnForm::Object => object = object.or(Some(evidence)),
                S3ArnForm::Bucket => bucket = bucket.or(Some(evidence)),
                S3ArnForm::Pattern => return None,
            }
        }
    }
    match (object, bucket) {
        (Some(e), None) => Some((false, e)),
        (None, Some(e)) => Some((true, e)),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Policy;
    use crate::syntax::parse;

    fn profiles(text: &str, config: Option<&Profile>) -> Vec<ServiceProfile> {
        let parse = parse(text);
        let policy = Policy::from_tree(&parse.tree);
        let reading = PolicyReading::read(&policy);
        resolve(config, None, &reading)
    }

    const FILE_CACHE_BUCKET: &str = r#"{"Version": "2012-10-17", "Statement": [
      {"Sid": "Enable IAM User Permissions", "Effect": "Allow",
       "Principal": {"AWS": "arn:aws:iam::444455556666:root"}, "Action": "kms:*", "Resource": "*"},
      {"Sid": "Allow the File Cache S3 role", "Effect": "Allow",
       "Principal": {"AWS": "arn:aws:iam::111122223333:role/aws-service-role/s3.data-source.lustre.fsx.amazonaws.com/AWSServiceRoleForFSxS3Access_fc-0123456789abcdef0"},
       "Action": ["kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:DescribeKey"],
       "Resource": "*",
       "Condition": {
         "StringEquals": {"kms:CallerAccount": "111122223333", "kms:ViaService": "s3.us-west-2.amazonaws.com"},
         "StringLike": {"kms:EncryptionContext:aws:s3:arn": "arn:aws:s3:::amzn-s3-demo-bucket/*"}}}]}"#;

    #[test]
    fn infers_the_s3_link_from_the_role() {
        let p = profiles(FILE_CACHE_BUCKET, None);
        assert_eq!(p.len(), 1);
        let p = &p[0];
        assert_eq!(p.service, ServiceId::S3Link);
        assert!(matches!(&p.reason, Reason::Inferred(e) if e[0].statement == 1));
        assert_eq!(p.regions[0].value, "us-west-2");
        assert_eq!(p.account.as_ref().unwrap().value, "111122223333");
        assert_eq!(p.buckets[0].value, "amzn-s3-demo-bucket");
        assert_eq!(p.resource_ids[0].value, "fc-0123456789abcdef0");
        assert!(matches!(
            p.bucket_keys,
            BucketKeys::Unknown {
                presumed: Some((false, _))
            }
        ));
    }

    #[test]
    fn configuration_wins() {
        let config = Profile {
            services: vec![ServiceId::S3Link, ServiceId::FileCache],
            bucket_region: Some("eu-west-1".into()),
            region: Some("us-east-1".into()),
            bucket_keys: Some(true),
            ..Profile::default()
        };
        let p = profiles(FILE_CACHE_BUCKET, Some(&config));
        assert_eq!(p.len(), 2);
        assert_eq!(p[0].service, ServiceId::FileCache);
        assert_eq!(p[0].regions[0], Valued::configured("us-east-1"));
        assert_eq!(p[1].regions[0], Valued::configured("eu-west-1"));
        assert_eq!(p[1].bucket_keys, BucketKeys::Stated(true));
        assert_eq!(
            p[1].buckets[0].value, "amzn-s3-demo-bucket",
            "inferred where the configuration is silent"
        );
    }

    #[test]
    fn nothing_to_infer_from_a_default_key_policy() {
        let p = profiles(
            r#"{"Statement": [{"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111122223333:root"}, "Action": "kms:*", "Resource": "*"}]}"#,
            None,
        );
        assert!(p.is_empty());
    }

    #[test]
    fn accounts() {
        assert_eq!(
            account_root("arn:aws:iam::111122223333:root"),
            Some("111122223333")
        );
        assert_eq!(account_root("111122223333"), Some("111122223333"));
        assert_eq!(account_root("arn:aws:iam::111122223333:role/root"), None);
        assert_eq!(
            principal_account("arn:aws:iam::111122223333:role/x"),
            Some("111122223333")
        );
        assert_eq!(principal_account("arn:aws:s3:::x"), None);
        assert_eq!(principal_account("111122223333"), Some("111122223333"));
    }
}
