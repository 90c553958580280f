//! Service documentation, generated from the service models
//! (`crates/policy-analyzer/src/services/data/*.toml`): a page per service
//! under `docs/services/`, their index, and the table of profile keys in
//! `docs/configuration.md`. `tests/cli_docs.rs` keeps the checked-in files
//! equal to what this module generates.

use std::fmt::Write;

use policy_analyzer::services::model::{
    models, profile_parameters, CallerKind, Form, Need, Parameter, ServiceModel,
};

/// Where the generated pages live, relative to the repository root.
pub const SERVICES_DIR: &str = "docs/services";

pub const KEYS_START: &str = "<!-- profile-keys:start -->";
pub const KEYS_END: &str = "<!-- profile-keys:end -->";

/// Where a model's data file is, for the pages.
fn data_file(model: &ServiceModel) -> String {
    format!("crates/policy-analyzer/src/services/data/{}.toml", model.id)
}

/// A fact's source (`<url>: what it says`) in Markdown: every URL a link.
fn cite(source: &str) -> String {
    let mut out = String::with_capacity(source.len() + 16);
    let mut rest = source;
    while let Some(at) = rest.find("https://") {
        out.push_str(&rest[..at]);
        let url = &rest[at..];
        // A URL ends at white space, or before the punctuation that follows it.
        let mut end = url.find(char::is_whitespace).unwrap_or(url.len());
        while end > 0 && url[..end].ends_with([':', ',', ';', ')', '.']) {
            end -= 1;
        }
        out.push('<');
        out.push_str(&url[..end]);
        out.push('>');
        rest = &url[end..];
    }
    out.push_str(rest);
    out
}

fn cell(text: &str) -> String {
    text.replace('|', "\\|").replace('\n', " ")
}

/// Who calls AWS KMS for the service, in words.
pub fn caller_summary(model: &ServiceModel) -> String {
    match model.caller.kind {
        CallerKind::ForwardAccess => format!(
            "the principals that use it, through `{}` (forward access)",
            model
                .via_service
                .as_ref()
                .map(|v| v.template.as_str())
                .unwrap_or_default()
        ),
        CallerKind::ServiceLinkedRole => format!(
            "its service-linked role `{}{}`",
            model.caller.role_name.as_deref().unwrap_or_default(),
            model
                .caller
                .role_id
                .as_deref()
                .map(|p| format!("<{p}>"))
                .unwrap_or_default()
        ),
        CallerKind::ServicePrincipal => format!(
            "its service principal `{}`",
            model
                .caller
                .principal
                .as_ref()
                .map(|p| p.text())
                .unwrap_or_default()
        ),
    }
}

fn form_name(parameter: &Parameter) -> String {
    match parameter.form {
        Form::Text => "text".to_string(),
        Form::Bool => "`true` or `false`".to_string(),
        Form::Region => "Region code, `us-east-1`".to_string(),
        Form::Account => "12-digit account ID".to_string(),
        Form::S3Bucket => "bucket name".to_string(),
        Form::ResourceId => parameter
            .patterns
            .iter()
            .map(|p| format!("`{}`", p.replace('*', "...")))
            .collect::<Vec<_>>()
            .join(" or "),
    }
}

/// A service's page.
pub fn service_page(model: &ServiceModel) -> String {
    let mut out = format!("# {} (`{}`)\n\n", model.name, model.id);
    let _ = writeln!(
        out,
        "Generated from `{}` by `UPDATE_DOCS=1 cargo test --test cli_docs`; do not edit.\n",
        data_file(model)
    );
    let _ = writeln!(out, "Covers {}.\n", model.covers.trim_end_matches('.'));

    out.push_str("## Who calls AWS KMS\n\n");
    let _ = writeln!(
        out,
        "{}: {}.",
        capitalize(&caller_summary(model)),
        cite(&model.caller.source)
    );
    if let Some(path) = &model.caller.path {
        let _ = writeln!(
            out,
            "\nThe role's ARN is `arn:aws:iam::<account>:role{path}{}{}`{}.",
            model.caller.role_name.as_deref().unwrap_or_default(),
            model
                .caller
                .role_id
                .as_deref()
                .map(|p| format!("<{p}>"))
                .unwrap_or_default(),
            model
                .caller
                .session_name
                .as_deref()
                .map(|s| format!(
                    "; its sessions are named `{s}` (`aws:userid` is `<role-id>:{s}`)"
                ))
                .unwrap_or_default()
        );
    }
    if let Some(source) = &model.caller.iam_policies_source {
        let _ = writeln!(
            out,
            "\nDelegating the key to the account's IAM policies {}: {}.",
            if model.caller.iam_policies_apply {
                "can give the caller the key"
            } else {
                "cannot give this caller anything"
            },
            cite(source)
        );
    }
    if let Some(source) = &model.caller.added_context {
        let _ = writeln!(
            out,
            "\nIts requests may carry encryption-context pairs beyond those below; a statement that requires one of them may apply, which the policy alone cannot show: {}.",
            cite(source)
        );
    }
    if let Some(via) = &model.via_service {
        let _ = writeln!(
            out,
            "\n`kms:ViaService` is `{}`{}: {}.",
            via.template,
            via.region
                .as_deref()
                .map(|p| format!(", with the Region of `{p}`"))
                .unwrap_or_default(),
            cite(&via.source)
        );
    }
    if let Some(sp) = &model.service_principal {
        let _ = writeln!(
            out,
            "\nA statement for the service principal `{}.amazonaws.com` {}: {}.",
            sp.name,
            if sp.never_calls_kms {
                "is never used (PC410)"
            } else {
                "is judged only where it is about this service's own requests (PC410)"
            },
            cite(&sp.source)
        );
    }

    out.push_str("\n## When the checks run\n\n");
    let _ = writeln!(
        out,
        "- a profile names it: `services = [\"{}\"]` in `policy-check.toml`;",
        model.id
    );
    for resource in &model.resources {
        let types: Vec<String> = resource.types.iter().map(|t| format!("`{t}`")).collect();
        let through = if resource.key_properties.is_empty() {
            String::new()
        } else {
            let properties: Vec<String> = resource
                .key_properties
                .iter()
                .map(|p| format!("`{p}`"))
                .collect();
            format!(", naming it under {}", properties.join(" or "))
        };
        let _ = writeln!(
            out,
            "- a resource of the template or module uses the key ({}: {}{through}): {};",
            resource.kind,
            types.join(", "),
            cite(&resource.source)
        );
    }
    match model.caller.kind {
        CallerKind::ForwardAccess if model.inference.via_service => {
            let _ = writeln!(
                out,
                "- a statement's `kms:ViaService` names it (`{}`).",
                model
                    .via_service
                    .as_ref()
                    .map(|v| v.template.as_str())
                    .unwrap_or_default()
            );
        }
        CallerKind::ForwardAccess => {
            out.push_str("- (a statement's `kms:ViaService` is taken to be meant for the service of the same name that the policy alone shows.)\n");
        }
        CallerKind::ServiceLinkedRole => {
            out.push_str("- a statement names its service-linked role, or matches the role's sessions with `aws:userid`.\n");
        }
        CallerKind::ServicePrincipal => {
            out.push_str("- a statement gives the key to its service principal.\n");
        }
    }

    out.push_str("\n## Permissions\n\n| As documented | Actions | Need | Source |\n| --- | --- | --- | --- |\n");
    for p in &model.permissions {
        let need = match p.need {
            Need::Required => "required",
            Need::Optional => "optional",
            Need::IamPolicyOnly => "not checked: IAM policies only",
            Need::NotChecked => "not checked",
        };
        let need = match &p.kinds {
            Some(kinds) => format!("{need} (for {})", kinds.join(", ")),
            None => need.to_string(),
        };
        let actions: Vec<String> = p.actions.iter().map(|a| format!("`{a}`")).collect();
        let _ = writeln!(
            out,
            "| `{}` | {} | {} | {} |",
            p.documented_as,
            actions.join(", "),
            need,
            cell(&cite(&p.source))
        );
    }

    out.push_str(
        "\n## Request context\n\n| Key | Value | Requests | Source |\n| --- | --- | --- | --- |\n",
    );
    for entry in &model.context {
        let mut value = format!("`{}`", entry.value.text());
        if let Some((switch, template)) = entry.variant() {
            let _ = write!(value, "; with `{switch}`: `{}`", template.text());
        }
        let mut applies = match &entry.actions {
            Some(actions) => actions
                .iter()
                .map(|a| format!("`{a}`"))
                .collect::<Vec<_>>()
                .join(", "),
            None => "all".to_string(),
        };
        if let Some(kinds) = &entry.kinds {
            let _ = write!(applies, " (for {})", kinds.join(", "));
        }
        let _ = writeln!(
            out,
            "| `{}` | {} | {} | {} |",
            entry.key,
            cell(&value),
            applies,
            cell(&cite(&entry.source))
        );
    }

    if !model.parameters.is_empty() {
        out.push_str("\n## Profile keys\n\nWhat a `[[profiles]]` entry of `policy-check.toml` may say for this service; what it leaves out is read from the policy, or a representative value stands in.\n\n| Key | Value | Meaning | Representative |\n| --- | --- | --- | --- |\n");
        for p in &model.parameters {
            let mut key = format!("`{}`", p.name);
            for alias in &p.aliases {
                let _ = write!(key, ", `{alias}`");
            }
            let _ = writeln!(
                out,
                "| {key} | {} | {} | {} |",
                form_name(p),
                cell(&p.doc),
                p.representative
                    .as_deref()
                    .map(|r| format!("`{r}`"))
                    .unwrap_or_default()
            );
        }
    }

    let specs: Vec<String> = model
        .key_spec
        .accepted
        .iter()
        .map(|s| format!("`{s}`"))
        .collect();
    let _ = writeln!(
        out,
        "\n## Key spec\n\n{}: {}.",
        specs.join(", "),
        cite(&model.key_spec.source)
    );

    out.push_str("\n## Sources\n\n");
    for source in &model.sources {
        let _ = writeln!(out, "- [{}]({})", source.title, source.url);
    }
    out
}

fn capitalize(s: &str) -> String {
    let mut chars = s.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// `docs/services/README.md`: every service, who calls, what a profile may say.
pub fn services_index() -> String {
    let mut out = String::from(
        "# Services\n\nWhat each service needs from a key, as the services pack checks it. Generated from the service models by `UPDATE_DOCS=1 cargo test --test cli_docs`; do not edit. How to add a service: [adding-a-service.md](../adding-a-service.md).\n\n| Service | Name | Who calls AWS KMS | Profile keys |\n| --- | --- | --- | --- |\n",
    );
    for model in models() {
        let keys: Vec<String> = model
            .parameters
            .iter()
            .map(|p| format!("`{}`", p.name))
            .collect();
        let _ = writeln!(
            out,
            "| [`{id}`]({id}.md) | {} | {} | {} |",
            model.name,
            caller_summary(model),
            keys.join(", "),
            id = model.id
        );
    }
    out
}

/// The table of profile keys for `docs/configuration.md`.
pub fn profile_keys_table() -> String {
    let services: Vec<String> = models().iter().map(|m| format!("`{}`", m.id)).collect();
    let mut out = String::from("| key | value | meaning |\n| --- | --- | --- |\n");
    out.push_str("| `files` | globs (required) | the files the entry applies to |\n");
    let _ = writeln!(
        out,
        "| `services` | list: {} | the services the key serves ([docs/services](services/README.md)); empty: inferred |",
        services.join(", ")
    );
    out.push_str("| `account` | 12-digit account ID | the account of the resources that use the key and of their users: the callers' account, which `kms:CallerAccount` must name |\n");
    out.push_str("| `region` | Region code, `us-east-1` | the Region of the resources that use the key, and of the key: what `kms:ViaService` (or a Regional service principal) must name |\n");
    for (key, parameter) in profile_parameters() {
        let users: Vec<String> = models()
            .iter()
            .filter(|m| m.parameter(key).is_some())
            .map(|m| format!("`{}`", m.id))
            .collect();
        let meaning = if *key == parameter.name {
            format!("{}: {}", users.join(", "), cell(&parameter.doc))
        } else {
            format!("the same key as `{}`", parameter.name)
        };
        let _ = writeln!(out, "| `{key}` | {} | {meaning} |", form_name(parameter));
    }
    out.push_str("| `key-spec` | `SYMMETRIC_DEFAULT`, `RSA_2048`, `HMAC_256`, ... | the key's spec: the services need a symmetric encryption key |\n");
    out.push_str("| `callers` | list of principal ARNs | the principals that use the services (the role that creates the file systems, say); unset: the principals the policy gives the services to |\n");
    out
}

/// `docs/configuration.md` with its profile-keys table regenerated between
/// the markers.
pub fn configuration_with_table(text: &str) -> Result<String, String> {
    let start = text
        .find(KEYS_START)
        .ok_or(format!("docs/configuration.md lacks `{KEYS_START}`"))?;
    let end = text
        .find(KEYS_END)
        .ok_or(format!("docs/configuration.md lacks `{KEYS_END}`"))?;
    if end < start {
        return Err("docs/configuration.md: the profile-keys markers are out of order".into());
    }
    Ok(format!(
        "{}{KEYS_START}\n{}{}",
        &text[..start],
        profile_keys_table(),
        &text[end..]
    ))
}
