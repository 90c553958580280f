//! The resource context of a template's keys: each key's own properties,
//! and the resources that name it (through `Ref`, `Fn::GetAtt`, an ARN
//! built with `Fn::Sub`, or an alias), as the host-free model of
//! `crate::resources`.

use rustc_hash::FxHashMap;

use super::resolve::{Resolver, Val};
use super::template::{Id, Kind, ScalarKind};
use crate::host::Location;
use crate::resources::{Consumer, ConsumerKind, KeyContext, Located, S3BucketUse};
use crate::symbolic::{self, Symbol};

/// Property names through which resources name a KMS key.
fn names_a_key(property: &str) -> bool {
    let p = property.to_ascii_lowercase();
    p.contains("kms")
        || p == "keyid"
        || p == "encryptionkey"
        || p == "kmskey"
        // AWS::Backup::BackupVault
        || p == "encryptionkeyarn"
}

/// A reference from a resource to a key.
struct KeyUse {
    key: usize,
    resource: String,
    /// The top-level property the key is named under.
    property: String,
    at: Location,
}

/// Builds the context of every key of the template, in template order.
pub(crate) fn key_contexts(r: &mut Resolver<'_, '_>) -> Vec<(String, KeyContext)> {
    let index = r.index;
    let t = r.t;
    // The keys, and the symbol each one's `Ref` (its key id) becomes.
    let mut keys: Vec<(String, KeyContext)> = Vec::new();
    let mut by_symbol: FxHashMap<String, usize> = FxHashMap::default();
    for name in &index.order {
        let resource = &index.resources[name];
        let replica = resource.resource_type == "AWS::KMS::ReplicaKey";
        if resource.resource_type != "AWS::KMS::Key" && !replica {
            continue;
        }
        let at = Location {
            file: r.file.clone(),
            range: resource.name_range,
        };
        by_symbol.insert(Symbol::unknown(name).encode(), keys.len());
        let props = resource.properties;
        let string = |r: &mut Resolver<'_, '_>, key: &str| -> Option<Located<String>> {
            let id = t.get(props?, key)?;
            let value = r.value(id, 0).as_host_string()?.text();
            Some(Located {
                value,
                at: r_at(r, id),
            })
        };
        let spec = string(r, "KeySpec");
        let usage = string(r, "KeyUsage");
        let origin = string(r, "Origin");
        let enabled = props
            .and_then(|p| t.get(p, "Enabled"))
            .map(|id| literal_bool(r, id));
        let rotation = props
            .and_then(|p| t.get(p, "EnableKeyRotation"))
            .map(|id| literal_bool(r, id));
        keys.push((
            name.to_string(),
            KeyContext {
                name: format!("{} `{name}`", resource.resource_type),
                at,
                account: Some(symbolic::ACCOUNT.to_string()),
                spec,
                usage,
                enabled,
                rotation,
                replica,
                external_material: origin.is_some_and(|o| o.value == "EXTERNAL"),
                consumers: Vec::new(),
            },
        ));
    }
    if keys.is_empty() {
        return keys;
    }
    // Aliases stand for their target key: their name and their `Ref`.
    let mut aliases: Vec<(String, usize)> = Vec::new();
    for name in &index.order {
        let resource = &index.resources[name];
        if resource.resource_type != "AWS::KMS::Alias" {
            continue;
        }
        let Some(props) = resource.properties else {
            continue;
        };
        let Some(target) = t.get(props, "TargetKeyId") else {
            continue;
        };
        let Some(text) = r.value(target, 0).as_host_string().map(|s| s.text()) else {
            continue;
        };
        let Some(key) = key_named(&text, &by_symbol) else {
            continue;
        };
        by_symbol.insert(Symbol::unknown(name).encode(), key);
        if let Some(alias) = t.get(props, "AliasName").and_then(|a| t.str(a)) {
            aliases.push((alias.to_string(), key));
        }
    }

    // Every property that names a key, in every resource.
    let mut uses: Vec<KeyUse> = Vec::new();
    for name in &index.order {
        let resource = &index.resources[name];
        if resource.resource_type == "AWS::KMS::Alias" {
            continue;
        }
        let Some(props) = resource.properties else {
            continue;
        };
        // Each node with the top-level property it lies under.
        let mut stack: Vec<(Id, usize, Option<&str>)> = vec![(props, 0usize, None)];
        // An alias shares its anchor's node: each node is read once.
        let mut seen = rustc_hash::FxHashSet::default();
        while let Some((id, depth, top)) = stack.pop() {
            if depth > 12 || !seen.insert(id) {
                continue;
            }
            match t.kind(id) {
                Kind::Map(entries) if t.call(id).is_none() => {
                    for e in entries {
                        let property = top.unwrap_or(e.key.as_ref());
                        let value_like = t.call(e.value).is_some() || t.scalar(e.value).is_some();
                        if names_a_key(&e.key) && value_like {
                            let Some(text) = r.value(e.value, 0).as_host_string().map(|s| s.text())
                            else {
                                continue;
                            };
                            let key = key_named(&text, &by_symbol).or_else(|| {
                                aliases
                                    .iter()
                                    .find(|(alias, _)| {
                                        text == *alias || text.ends_with(&format!(":{alias}"))
                                    })
                                    .map(|(_, k)| *k)
                            });
                            if let Some(key) = key {
                                uses.push(KeyUse {
                                    key,
                                    resource: name.to_string(),
                                    property: property.to_string(),
                                    at: r_at(r, e.value),
                                });
                            }
                        } else {
                            stack.push((e.value, depth + 1, Some(property)));
                        }
                    }
                }
                Kind::Seq(items) => stack.extend(items.iter().map(|&i| (i, depth + 1, top))),
                _ => {}
            }
        }
    }

    let links = bucket_links(r);
    for u in uses {
        let resource = &index.resources[u.resource.as_str()];
        let props = resource.properties;
        let display = format!("{} `{}`", resource.resource_type, u.resource);
        let kind = match resource.resource_type.as_str() {
            "AWS::FSx::FileSystem" => ConsumerKind::FsxFileSystem {
                file_system_type: props
                    .and_then(|p| t.get(p, "FileSystemType"))
                    .and_then(|id| r.value(id, 0).as_host_string())
                    .map(|s| s.text())
                    .filter(|s| !symbolic::has_symbol(s)),
            },
            "AWS::FSx::FileCache" => ConsumerKind::FileCache,
            "AWS::EFS::FileSystem" => ConsumerKind::EfsFileSystem,
            "AWS::S3::Bucket" => {
                let bucket = r.resource_ref(&u.resource, &u.at).text();
                let bucket_keys = bucket_key_setting(r, props);
                let linked_by = links
                    .iter()
                    .filter(|(name, _)| *name == bucket)
                    .map(|(_, by)| by.clone())
                    .collect();
                ConsumerKind::S3Bucket(S3BucketUse {
                    bucket: Some(bucket),
                    bucket_keys,
                    linked_by,
                })
            }
            other => ConsumerKind::Other {
                resource_type: other.to_string(),
            },
        };
        keys[u.key].1.consumers.push(Consumer {
            name: display,
            resource_type: resource.resource_type.clone(),
            kind,
            property: Some(u.property),
            at: u.at,
        });
    }
    keys
}

fn r_at(r: &Resolver<'_, '_>, id: Id) -> Location {
    Location {
        file: r.file.clone(),
        range: r.t.node(id).range,
    }
}

/// The key a resolved value names: its `Ref` symbol, alone or in an ARN.
fn key_named(text: &str, by_symbol: &FxHashMap<String, usize>) -> Option<usize> {
    symbolic::symbols(text).find_map(|(range, _)| by_symbol.get(&text[range]).copied())
}

/// A boolean property: its value when written as a literal, `None` when an
/// intrinsic function or parameter decides it at deployment.
fn literal_bool(r: &mut Resolver<'_, '_>, id: Id) -> Located<Option<bool>> {
    let at = r_at(r, id);
    let value = r
        .t
        .scalar(id)
        .filter(|s| s.literal)
        .and_then(|s| match s.kind {
            ScalarKind::Bool | ScalarKind::String => match s.value.to_ascii_lowercase().as_str() {
                "true" => Some(true),
                "false" => Some(false),
                _ => None,
            },
            _ => None,
        });
    Located { value, at }
}

/// `BucketKeyEnabled` of the bucket's encryption rule that uses KMS.
fn bucket_key_setting(r: &mut Resolver<'_, '_>, props: Option<Id>) -> Option<Located<bool>> {
    let t = r.t;
    let config = t.get(
        t.get(props?, "BucketEncryption")?,
        "ServerSideEncryptionConfiguration",
    )?;
    for &rule in t.items(config) {
        let by_default = t.get(rule, "ServerSideEncryptionByDefault");
        let algorithm = by_default
            .and_then(|d| t.get(d, "SSEAlgorithm"))
            .and_then(|a| r.value(a, 0).as_host_string())
            .map(|s| s.text());
        if !algorithm.is_some_and(|a| a.starts_with("aws:kms")) {
            continue;
        }
        let setting = t.get(rule, "BucketKeyEnabled")?;
        let located = literal_bool(r, setting);
        return located.value.map(|value| Located {
            value,
            at: located.at,
        });
    }
    None
}

/// The buckets that caches and file systems link as data repositories:
/// (bucket name as resolved, who links it and where).
fn bucket_links(r: &mut Resolver<'_, '_>) -> Vec<(String, Located<String>)> {
    let index = r.index;
    let t = r.t;
    let mut paths: Vec<(String, Id)> = Vec::new();
    for name in &index.order {
        let resource = &index.resources[name];
        let Some(props) = resource.properties else {
            continue;
        };
        let display = format!("{} `{name}`", resource.resource_type);
        match resource.resource_type.as_str() {
            "AWS::FSx::DataRepositoryAssociation" => {
                if let Some(p) = t.get(props, "DataRepositoryPath") {
                    paths.push((display, p));
                }
            }
            "AWS::FSx::FileCache" => {
                if let Some(list) = t.get(props, "DataRepositoryAssociations") {
                    for &dra in t.items(list) {
                        if let Some(p) = t.get(dra, "DataRepositoryPath") {
                            paths.push((display.clone(), p));
                        }
                    }
                }
            }
            "AWS::FSx::FileSystem" => {
                if let Some(lustre) = t.get(props, "LustreConfiguration") {
                    for key in ["ImportPath", "ExportPath"] {
                        if let Some(p) = t.get(lustre, key) {
                            paths.push((display.clone(), p));
                        }
                    }
                }
            }
            _ => {}
        }
    }
    let mut out = Vec::new();
    for (by, id) in paths {
        let Val::Str { s, at, .. } = r.value(id, 0) else {
            continue;
        };
        let text = s.text();
        let Some(rest) = text.strip_prefix("s3://") else {
            continue;
        };
        let bucket = rest.split('/').next().unwrap_or_default().to_string();
        out.push((bucket, Located { value: by, at }));
    }
    out
}

#[cfg(test)]
mod tests {
    use crate::host::HostFile;
    use crate::AnalyzeOptions;

    #[test]
    fn consumers_say_the_top_level_property_that_names_the_key() {
        let text = r#"
Resources:
  Key:
    Type: AWS::KMS::Key
    Properties:
      KeyPolicy: {Version: '2012-10-17', Statement: []}
  ReplicaKey:
    Type: AWS::KMS::Key
    Properties:
      KeyPolicy: {Version: '2012-10-17', Statement: []}
  Bucket:
    Type: AWS::S3::Bucket
    Properties:
      BucketEncryption:
        ServerSideEncryptionConfiguration:
          - ServerSideEncryptionByDefault: {SSEAlgorithm: aws:kms, KMSMasterKeyID: !Ref Key}
      ReplicationConfiguration:
        Role: arn:aws:iam::111122223333:role/replication
        Rules:
          - Status: Enabled
            Destination:
              Bucket: arn:aws:s3:::replica
              EncryptionConfiguration: {ReplicaKmsKeyID: !GetAtt ReplicaKey.Arn}
"#;
        let policies = crate::host::cloudformation::policies(
            HostFile {
                path: "t.yaml",
                text,
            },
            &AnalyzeOptions::default(),
        );
        let property = |key: &str| -> Vec<Option<String>> {
            policies
                .iter()
                .filter_map(|p| p.key.as_ref())
                .filter(|k| k.name.contains(key))
                .flat_map(|k| &k.consumers)
                .map(|c| c.property.clone())
                .collect()
        };
        assert_eq!(property("`Key`"), [Some("BucketEncryption".to_string())]);
        assert_eq!(
            property("`ReplicaKey`"),
            [Some("ReplicationConfiguration".to_string())]
        );
    }
}
