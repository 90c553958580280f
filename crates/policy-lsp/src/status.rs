//! What the server tells an editor about itself, beyond LSP: its version and
//! the `policy-check.toml` it reads, so that the editor can show them (the
//! VS Code extension's language status item does).
//!
//! - `policyCheck/status` (notification, server to client), after
//!   `initialized` and after every reload of the config files:
//!   `{ "version": "0.1.0", "config": "/repo/policy-check.toml" | null,
//!   "configError": "..." | null }` for the config of the first workspace
//!   folder.
//! - `policyCheck/configFor` (request, client to server) with
//!   `{ "uri": "file:///repo/keys/app.json" }`: the config that governs that
//!   document, as `{ "config": ..., "configError": ... }`. Configs are found
//!   per directory, so a document in a subfolder may have its own.

use serde::{Deserialize, Serialize};
use tower_lsp_server::lsp_types::notification::Notification;
use tower_lsp_server::lsp_types::Uri;

use policy_workspace::ConfigInUse;

/// The config governing a document or folder.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ConfigStatus {
    /// The path of the `policy-check.toml` in use; `None` when none applies.
    pub config: Option<String>,
    /// What in that file could not be used, one problem a line
    /// (`line 3: …`).
    pub config_error: Option<String>,
}

impl ConfigStatus {
    pub fn of(in_use: &ConfigInUse) -> ConfigStatus {
        let problems: Vec<String> = in_use
            .problems
            .iter()
            .map(|problem| match problem.line {
                // A rule pack's error is in the rule's file: name it.
                _ if problem.rule_pack => problem.to_string(),
                Some(line) => format!("line {line}: {}", problem.message),
                None => problem.message.clone(),
            })
            .collect();
        ConfigStatus {
            config: in_use.path.as_ref().map(|p| p.display().to_string()),
            config_error: (!problems.is_empty()).then(|| problems.join("\n")),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StatusParams {
    pub version: String,
    #[serde(flatten)]
    pub config: ConfigStatus,
}

/// `policyCheck/status`.
pub enum Status {}

impl Notification for Status {
    type Params = StatusParams;
    const METHOD: &'static str = "policyCheck/status";
}

/// The method name of the config request.
pub const CONFIG_FOR: &str = "policyCheck/configFor";

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConfigForParams {
    pub uri: Uri,
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use policy_workspace::ConfigError;
    use serde_json::json;

    use super::*;

    #[test]
    fn the_status_is_flat_camel_case_json() {
        let in_use = ConfigInUse {
            path: Some(PathBuf::from("/repo/policy-check.toml")),
            problems: vec![ConfigError {
                path: PathBuf::from("/repo/policy-check.toml"),
                line: Some(1),
                column: None,
                message: "`include` must be a list of globs".into(),
                rule_pack: false,
            }],
        };
        let params = StatusParams {
            version: "1.2.3".into(),
            config: ConfigStatus::of(&in_use),
        };
        let value = serde_json::to_value(&params).unwrap();
        assert_eq!(value["version"], "1.2.3");
        assert_eq!(value["config"], "/repo/policy-check.toml");
        assert_eq!(
            value["configError"],
            "line 1: `include` must be a list of globs"
        );
        let none = serde_json::to_value(StatusParams {
            version: "1.2.3".into(),
            config: ConfigStatus::of(&ConfigInUse::default()),
        })
        .unwrap();
        assert_eq!(
            none,
            json!({"version": "1.2.3", "config": null, "configError": null})
        );
    }
}
