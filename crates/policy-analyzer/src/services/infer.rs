//! Profiles from the configuration and the policy. The configuration wins
//! for every value it gives; what it leaves open is read from the statements
//! meant for the service (see `reading.rs`), and every inferred value keeps
//! the evidence it came from, so the user can see why a check ran and with
//! which values (PC401).

use super::model::{models, CallerKind, Fit, Form, Need, ServiceId, ServiceModel};
use super::profile::{
    representative, BucketKeys, Evidence, Origin, Profile, Reason, ResourceEvidence,
    ServiceProfile, Valued, MAX_VALUES,
};
use super::reading::{ConditionText, PolicyReading, StatementReading};
use crate::aws::is_account_id;
use crate::eval::PrincipalValue;
use crate::model::PrincipalKind;
use crate::resources::{Consumer, ConsumerKind, KeyContext, S3BucketUse};

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
    /// The kinds of resource (`trail`, `event-data-store`) per service.
    kinds: Vec<(ServiceId, &'static str)>,
    /// Parameter values the resources give, per service (a bucket's name).
    values: Vec<(ServiceId, &'static str, Valued)>,
    /// Whether the bucket uses S3 Bucket Keys, per service.
    bucket_keys: Vec<(ServiceId, bool, ResourceEvidence)>,
    key_spec: Option<Valued>,
}

impl Declared {
    fn add(&mut self, service: ServiceId, evidence: ResourceEvidence) {
        match self.services.iter_mut().find(|(s, _)| *s == service) {
            Some((_, Reason::Resources(list))) => list.push(evidence),
            _ => self
                .services
                .push((service, Reason::Resources(vec![evidence]))),
        }
    }

    /// A bucket's name and Bucket Key setting, for a service that reaches it.
    fn bucket(&mut self, service: ServiceId, consumer: &Consumer, bucket: &S3BucketUse) {
        if !self
            .values
            .iter()
            .any(|(s, p, _)| *s == service && *p == "bucket")
        {
            if let Some(name) = &bucket.bucket {
                let origin = Origin::Resource(ResourceEvidence {
                    what: consumer.name.clone(),
                    at: consumer.at.clone(),
                });
                self.values.push((
                    service,
                    "bucket",
                    Valued {
                        value: name.clone(),
                        origin,
                    },
                ));
            }
        }
        if !self.bucket_keys.iter().any(|(s, _, _)| *s == service) {
            if let Some(on) = &bucket.bucket_keys {
                let what = format!("{} (BucketKeyEnabled: {})", consumer.name, on.value);
                let at = on.at.clone();
                self.bucket_keys
                    .push((service, on.value, ResourceEvidence { what, at }));
            }
        }
    }

    fn read(key: &KeyContext) -> Declared {
        let mut declared = Declared::default();
        for consumer in &key.consumers {
            let evidence = |what: String| ResourceEvidence {
                what,
                at: consumer.at.clone(),
            };
            // What the host readers tell apart themselves: a file system's
            // type, a bucket that a cache links.
            let special = match &consumer.kind {
                ConsumerKind::FsxFileSystem { file_system_type } => {
                    let lustre = file_system_type
                        .as_deref()
                        .is_some_and(|t| t.eq_ignore_ascii_case("LUSTRE"));
                    let what = match file_system_type {
                        Some(t) => format!("{} ({t})", consumer.name),
                        None => consumer.name.clone(),
                    };
                    ServiceId::parse(if lustre { "fsx-lustre" } else { "fsx" }).map(|s| (s, what))
                }
                ConsumerKind::FileCache => {
                    ServiceId::parse("file-cache").map(|s| (s, consumer.name.clone()))
                }
                ConsumerKind::EfsFileSystem => {
                    ServiceId::parse("efs").map(|s| (s, consumer.name.clone()))
                }
                ConsumerKind::S3Bucket(bucket) if !bucket.linked_by.is_empty() => {
                    let linked: Vec<&str> =
                        bucket.linked_by.iter().map(|l| l.value.as_str()).collect();
                    let what = format!(
                        "{} (the data repository of {})",
                        consumer.name,
                        linked.join(" and ")
                    );
                    ServiceId::parse("s3-link").map(|s| (s, what))
                }
                ConsumerKind::S3Bucket(_) | ConsumerKind::Other { .. } => None,
            };
            if let Some((service, what)) = special {
                declared.add(service, evidence(what));
                if let ConsumerKind::S3Bucket(bucket) = &consumer.kind {
                    declared.bucket(service, consumer, bucket);
                }
                continue;
            }
            // The services whose models name the resource's type.
            for model in models() {
                let Some(resource) =
                    model.kind_for_type(&consumer.resource_type, consumer.property.as_deref())
                else {
                    continue;
                };
                declared.add(model.id, evidence(consumer.name.clone()));
                let kind = (model.id, resource.kind.as_str());
                if !declared.kinds.contains(&kind) {
                    declared.kinds.push(kind);
                }
                if let ConsumerKind::S3Bucket(bucket) = &consumer.kind {
                    declared.bucket(model.id, consumer, bucket);
                }
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

    // The Region: the service's, or the one its model names (the linked
    // bucket's, whose configured value falls back to the profile's `region`,
    // since a bucket and its cache are usually in one Region).
    let region_parameter = model.via_service.as_ref().and_then(|v| v.region.as_deref());
    let configured_region = match region_parameter {
        Some(name) => configured_text(config, model, name),
        None => config.region.as_deref(),
    };
    let mut regions = Vec::new();
    if let Some(region) = configured_region {
        regions.push(Valued::configured(region));
    } else {
        let via_name = model.route.name;
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
        if regions.is_empty() {
            // The Region of the resources the context values name.
            for (statement, capture) in captures(model, &statements, "region") {
                if crate::aws::is_region(capture.value) {
                    push_unique(&mut regions, capture.valued(statement), &mut truncated);
                }
            }
        }
    }
    if regions.is_empty() {
        regions.push(Valued::representative(representative::REGION));
    }

    let account = match &config.account {
        Some(account) => Some(Valued::configured(account)),
        None => inferred_account(model, &statements, reading),
    };

    // The values of the parameters the requests use: configured, else
    // declared by the resources, else read from the statements, else
    // representative.
    let mut values = Vec::new();
    for parameter in &model.parameters {
        let name = parameter.name.as_str();
        if Some(name) == region_parameter || parameter.form == Form::Bool || parameter.from_patterns
        {
            continue;
        }
        let mut list = Vec::new();
        if let Some(value) = configured_text(config, model, name) {
            list.push(Valued::configured(value));
        } else if let Some((_, _, valued)) = declared
            .values
            .iter()
            .find(|(s, p, _)| *s == service && *p == name)
        {
            list.push(valued.clone());
        } else if model.caller.role_id.as_deref() == Some(name) {
            for statement in &statements {
                for role in statement.roles.iter().filter(|r| r.service == service) {
                    if let Some(id) = role.resource_id {
                        let what = format!("the service-linked role {}", role.value);
                        push_unique(
                            &mut list,
                            Valued {
                                value: id.to_string(),
                                origin: evidence(statement, what, role.range),
                            },
                            &mut truncated,
                        );
                    }
                }
            }
        } else {
            for (statement, capture) in captures(model, &statements, name) {
                push_unique(&mut list, capture.valued(statement), &mut truncated);
            }
            if list.is_empty() {
                list.extend(pattern_instance(model, &statements, name));
            }
        }
        if list.is_empty() {
            if let Some(value) = &parameter.representative {
                list.push(Valued::representative(value));
            }
        }
        if !list.is_empty() {
            values.push((name, list));
        }
    }

    let bucket_keys = match model.switch() {
        None => BucketKeys::Unknown { presumed: None },
        Some(switch) => {
            let declared = declared.bucket_keys.iter().find(|(s, _, _)| *s == service);
            match (config.flag(&switch.name), declared) {
                (Some(on), _) => BucketKeys::Stated(on),
                (None, Some((_, on, evidence))) => BucketKeys::Declared(*on, evidence.clone()),
                (None, None) => BucketKeys::Unknown {
                    presumed: presumed_switch(model, &statements),
                },
            }
        }
    };

    let mut kinds: Vec<&'static str> = declared
        .kinds
        .iter()
        .filter(|(s, _)| *s == service)
        .map(|(_, kind)| *kind)
        .collect();
    if kinds.is_empty() {
        kinds.extend(presumed_kind(model, &statements));
    }

    ServiceProfile {
        service,
        reason,
        regions,
        account,
        values,
        bucket_keys,
        kinds,
        key_spec: match &config.key_spec {
            Some(spec) => Some(Valued::configured(spec)),
            None => declared.key_spec.clone(),
        },
        callers: config.callers.clone(),
        truncated,
    }
}

/// The kind of resource the statements meant for a service with kinds are
/// written for, when no resource says: the kind whose own context keys they
/// name (`aws:SourceArn` for a trail), else the first kind whose required
/// actions they all allow (an event data store's key, which CloudTrail
/// does not describe), else the first kind.
fn presumed_kind(
    model: &'static ServiceModel,
    statements: &[&StatementReading<'_>],
) -> Option<&'static str> {
    let kinds: Vec<&'static str> = model.resources.iter().map(|r| r.kind.as_str()).collect();
    if kinds.len() < 2 {
        return kinds.first().copied();
    }
    let named = |kind: &str| {
        model.context.iter().any(|e| {
            e.kinds
                .as_ref()
                .is_some_and(|k| k.iter().any(|k| k == kind))
                && statements.iter().any(|s| {
                    s.contexts
                        .iter()
                        .chain(&s.source_conditions)
                        .any(|c| c.key.value.eq_ignore_ascii_case(&e.key))
                })
        })
    };
    let allowed = |kind: &str| {
        model
            .permissions
            .iter()
            .filter(|p| p.need == Need::Required)
            .filter(|p| super::model::applies_to_kind(p.kinds.as_deref(), Some(kind)))
            .flat_map(|p| &p.actions)
            .all(|a| statements.iter().any(|s| s.covers_action(a)))
    };
    kinds
        .iter()
        .find(|k| named(k))
        .or_else(|| kinds.iter().find(|k| allowed(k)))
        .or(kinds.first())
        .copied()
}

/// The configured value of a parameter, or of the parameter (or `region`)
/// it falls back to.
fn configured_text<'c>(config: &'c Profile, model: &ServiceModel, name: &str) -> Option<&'c str> {
    if name == "region" {
        return config.region.as_deref();
    }
    let parameter = model.parameter(name)?;
    config
        .text(&parameter.name)
        .or_else(|| configured_text(config, model, parameter.fallback.as_deref()?))
}

/// What a statement's value on a context key gives a placeholder.
pub(crate) struct Capture<'t> {
    pub value: &'t str,
    /// The condition value it was read from.
    pub from: ConditionText<'t>,
}

impl Capture<'_> {
    fn valued(&self, statement: &StatementReading<'_>) -> Valued {
        let what = format!("{} \"{}\"", self.from.key.value, self.from.value.value);
        Valued {
            value: self.value.to_string(),
            origin: evidence(statement, what, self.from.value.range),
        }
    }
}

/// The concrete values the statements' context values give a placeholder,
/// with the statement each comes from: first those of values without a
/// wildcard (`aws:SourceArn` naming one trail), then those of patterns
/// (`arn:aws:cloudtrail:*:111122223333:trail/*`), each in statement order.
pub(crate) fn captures<'s, 't>(
    model: &'static ServiceModel,
    statements: &[&'s StatementReading<'t>],
    placeholder: &str,
) -> Vec<(&'s StatementReading<'t>, Capture<'t>)> {
    let mut out = Vec::new();
    for patterns in [false, true] {
        for statement in statements {
            for context in statement
                .contexts
                .iter()
                .filter(|c| c.has_wildcards() == patterns)
            {
                let Some((main, variant)) = model.fit_condition(context) else {
                    continue;
                };
                for fit in std::iter::once(main).chain(variant) {
                    if let Fit::Fits(parts) = fit {
                        if let Some(&(_, value, true)) =
                            parts.iter().find(|(name, _, _)| *name == placeholder)
                        {
                            out.push((
                                *statement,
                                Capture {
                                    value,
                                    from: *context,
                                },
                            ));
                            break;
                        }
                    }
                }
            }
        }
    }
    out
}

/// A value of a placeholder that only patterns give (a bucket the policy
/// names as `aws-security-data-lake-*`): the first pattern's, its wildcards
/// filled in, so that the requests are made for a resource the statements
/// mean rather than for a representative one they never allow.
fn pattern_instance(
    model: &'static ServiceModel,
    statements: &[&StatementReading<'_>],
    placeholder: &str,
) -> Option<Valued> {
    for statement in statements {
        for context in statement.contexts.iter().filter(|c| c.has_wildcards()) {
            let Some((main, variant)) = model.fit_condition(context) else {
                continue;
            };
            for fit in std::iter::once(main).chain(variant) {
                let Fit::Fits(parts) = fit else { continue };
                let Some(&(_, pattern, _)) = parts.iter().find(|(name, _, _)| *name == placeholder)
                else {
                    continue;
                };
                let value = pattern
                    .replace('*', representative::WILDCARD_FILL)
                    .replace('?', "x");
                if value.is_empty() || !model.admits(placeholder, &value) {
                    continue;
                }
                let what = format!(
                    "{} \"{}\", its wildcards filled in",
                    context.key.value, context.value.value
                );
                return Some(Valued {
                    value,
                    origin: evidence(statement, what, context.value.range),
                });
            }
        }
    }
    None
}

/// The callers' account the policy suggests: a 12-digit `kms:CallerAccount`
/// of a statement meant for the service, else the account of a principal
/// such a statement names, else an account-root principal anywhere (the key's
/// own account, where callers usually are).
fn inferred_account(
    model: &'static ServiceModel,
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
    // The account of the resources the statements' context values name.
    if let Some((statement, capture)) = captures(model, statements, "account")
        .into_iter()
        .find(|(_, c)| is_account_id(c.value))
    {
        return Some(capture.valued(statement));
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

/// What the statements' context values suggest about the service's switch
/// (S3 Bucket Keys): values of the main form only suggest off (`bucket/*`),
/// of the switched form only on (the bucket ARN); a pattern that may be
/// either suggests nothing.
fn presumed_switch(
    model: &'static ServiceModel,
    statements: &[&StatementReading<'_>],
) -> Option<(bool, Evidence)> {
    let mut off = None;
    let mut on = None;
    for statement in statements {
        for context in &statement.contexts {
            let Some((main, Some(variant))) = model.fit_condition(context) else {
                continue;
            };
            let evidence = Evidence {
                what: format!("{} \"{}\"", context.key.value, context.value.value),
                range: context.value.range,
                statement: statement.index,
            };
            match (main, variant) {
                (Fit::Fits(_), Fit::No) => off = off.or(Some(evidence)),
                (Fit::No, Fit::Fits(_)) => on = on.or(Some(evidence)),
                (Fit::No, Fit::No) => {}
                _ => return None,
            }
        }
    }
    match (off, on) {
        (Some(e), None) => Some((false, e)),
        (None, Some(e)) => Some((true, e)),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Policy;
    use crate::services::profile::ProfileValue;
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
        assert_eq!(p.service, "s3-link");
        assert!(matches!(&p.reason, Reason::Inferred(e) if e[0].statement == 1));
        assert_eq!(p.regions[0].value, "us-west-2");
        assert_eq!(p.account.as_ref().unwrap().value, "111122223333");
        assert_eq!(p.buckets()[0].value, "amzn-s3-demo-bucket");
        assert_eq!(
            p.values_of("file-system-id")[0].value,
            "fc-0123456789abcdef0"
        );
        assert!(matches!(
            p.bucket_keys,
            BucketKeys::Unknown {
                presumed: Some((false, _))
            }
        ));
    }

    #[test]
    fn a_bucket_only_a_pattern_names_is_an_instance_of_it() {
        // `aws-security-data-lake-*` names the buckets the statement means;
        // a representative bucket would be one it never allows.
        let text = FILE_CACHE_BUCKET.replace(
            "arn:aws:s3:::amzn-s3-demo-bucket/*",
            "arn:aws:s3:::aws-security-data-lake-us-west-2*",
        );
        let p = profiles(&text, None);
        let bucket = &p[0].buckets()[0];
        assert_eq!(bucket.value, "aws-security-data-lake-us-west-2example");
        assert!(matches!(&bucket.origin, Origin::Policy(e) if e.what.contains("wildcards filled")));
    }

    #[test]
    fn configuration_wins() {
        let config = Profile {
            services: vec![
                ServiceId::parse("s3-link").unwrap(),
                ServiceId::parse("file-cache").unwrap(),
            ],
            region: Some("us-east-1".into()),
            ..Profile::default()
        }
        .with("bucket-region", ProfileValue::Text("eu-west-1".into()))
        .with("bucket-keys", ProfileValue::Bool(true));
        let p = profiles(FILE_CACHE_BUCKET, Some(&config));
        assert_eq!(p.len(), 2);
        assert_eq!(p[0].service, "file-cache");
        assert_eq!(p[0].regions[0], Valued::configured("us-east-1"));
        assert_eq!(p[1].regions[0], Valued::configured("eu-west-1"));
        assert_eq!(p[1].bucket_keys, BucketKeys::Stated(true));
        assert_eq!(
            p[1].buckets()[0].value,
            "amzn-s3-demo-bucket",
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
