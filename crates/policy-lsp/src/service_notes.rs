//! What the service models say about condition keys and `kms:ViaService`
//! values, for hover and completion: the same models the service checks
//! read (`policy_analyzer::services::model`), so that the editor and the
//! checks never disagree.

use policy_analyzer::aws::{is_region, ViaService};
use policy_analyzer::services::model::{models, ContextEntry, ServiceModel, Template};

/// A context template for a reader: placeholders as `<name>`, and
/// `{via-service}` as the service's own `kms:ViaService` value.
fn readable(model: &ServiceModel, template: &Template) -> String {
    let via = model
        .via_service
        .as_ref()
        .map(|v| v.template.replace("{region}", "<region>"));
    let names: Vec<(&str, String)> = template
        .placeholders()
        .map(|n| (n, format!("<{n}>")))
        .collect();
    template.render(|name| match name {
        "via-service" => via.as_deref(),
        "partition" => Some("aws"),
        _ => names
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, shown)| shown.as_str()),
    })
}

/// What a fact's source says, without the page.
fn what_it_says(source: &str) -> &str {
    source.split_once(": ").map_or("", |(_, what)| what.trim())
}

/// The services whose requests carry `key`, each with the value they send
/// and what their documentation says of it (Markdown), or `None` when no
/// model names the key.
pub fn note_for(key: &str) -> Option<String> {
    let mut lines: Vec<String> = Vec::new();
    for model in models() {
        let Some(entry) = model
            .context
            .iter()
            .find(|e| e.key.eq_ignore_ascii_case(key))
        else {
            continue;
        };
        let line = entry_line(model, entry);
        if !lines.contains(&line) {
            lines.push(line);
        }
    }
    if lines.is_empty() {
        return None;
    }
    Some(format!(
        "**What the services send**:\n{}",
        lines
            .iter()
            .map(|l| format!("- {l}"))
            .collect::<Vec<_>>()
            .join("\n")
    ))
}

fn entry_line(model: &ServiceModel, entry: &ContextEntry) -> String {
    let mut value = format!("`{}`", readable(model, &entry.value));
    if let Some((switch, template)) = entry.variant() {
        value.push_str(&format!(
            "; with `{switch}`: `{}`",
            readable(model, template)
        ));
    }
    let said = what_it_says(&entry.source);
    if said.is_empty() {
        format!("{}: {value}", model.name)
    } else {
        format!("{}: {value}. {said}", model.name)
    }
}

/// The encryption-context keys the services send, with their notes, for
/// completion.
pub fn encryption_context_keys() -> Vec<(&'static str, String)> {
    let mut out: Vec<(&'static str, String)> = Vec::new();
    for model in models() {
        for entry in &model.context {
            let key = entry.key.as_str();
            if key.starts_with("kms:EncryptionContext:") && !out.iter().any(|(k, _)| *k == key) {
                out.push((key, note_for(key).unwrap_or_default()));
            }
        }
    }
    out
}

/// A service name that calls AWS KMS on a principal's behalf: the first
/// label of its `kms:ViaService` value, and the services that call through
/// it.
pub struct ViaServiceName {
    pub prefix: &'static str,
    pub services: String,
}

/// Every `kms:ViaService` name of the models, once each, in model order.
pub fn via_service_names() -> Vec<ViaServiceName> {
    let mut out: Vec<(&'static str, Vec<&'static str>)> = Vec::new();
    for model in models() {
        let Some(via) = &model.via_service else {
            continue;
        };
        let prefix = via.service_name();
        match out.iter_mut().find(|(p, _)| *p == prefix) {
            Some((_, names)) => names.push(&model.name),
            None => out.push((prefix, vec![&model.name])),
        }
    }
    out.into_iter()
        .map(|(prefix, names)| ViaServiceName {
            prefix,
            services: names.join(", "),
        })
        .collect()
}

/// The Region of a `kms:ViaService` value: `us-east-1` in
/// `s3.us-east-1.amazonaws.com`.
pub fn via_service_region(value: &str) -> Option<&str> {
    ViaService::parse(value)?
        .concrete_region()
        .filter(|r| is_region(r))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn regions_come_from_values() {
        assert_eq!(
            via_service_region("s3.eu-west-3.amazonaws.com"),
            Some("eu-west-3")
        );
        assert_eq!(via_service_region("dynamodb.*.amazonaws.com"), None);
        assert_eq!(via_service_region("s3.amazonaws.com"), None);
    }

    #[test]
    fn notes_come_from_the_models() {
        let s3 = note_for("KMS:encryptioncontext:aws:s3:arn").unwrap();
        assert!(
            s3.contains(
                "`arn:aws:s3:::<bucket>/<object-key>`; with `bucket-keys`: `arn:aws:s3:::<bucket>`"
            ),
            "{s3}"
        );
        assert!(s3.contains("bucket ARN"), "{s3}");
        let via = note_for("kms:ViaService").unwrap();
        assert!(
            via.contains("Amazon FSx: `fsx.<region>.amazonaws.com`"),
            "{via}"
        );
        assert!(note_for("kms:GrantIsForAWSResource").is_some());
        assert!(note_for("aws:SourceIp").is_none());
        assert!(encryption_context_keys()
            .iter()
            .any(|(k, _)| *k == "kms:EncryptionContext:aws:s3:arn"));
        let names = via_service_names();
        let fsx = names.iter().find(|n| n.prefix == "fsx").unwrap();
        assert!(fsx.services.contains("Amazon FSx"));
        assert!(names.iter().any(|n| n.prefix == "elasticfilesystem"));
    }
}
