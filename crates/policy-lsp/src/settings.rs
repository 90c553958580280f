//! The client's settings: `initializationOptions` and the `policyCheck`
//! section of the workspace configuration.
//!
//! ```json
//! { "enable": true, "minSeverity": "hint", "include": ["policies/**/*.json"] }
//! ```
//!
//! Both the bare object and `{ "policyCheck": { ... } }` are accepted, and
//! every field is optional: a missing or mistyped field keeps its default, so
//! a typo in an editor's settings never stops the server.

use policy_analyzer::Severity;
use serde_json::Value;

/// The configuration section the server reads.
pub const SECTION: &str = "policyCheck";

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Settings {
    /// When false, no diagnostics are published (and published ones are cleared).
    pub enable: bool,
    /// Diagnostics below this severity are not published: the editor's
    /// counterpart of the CLI's `--fail-on`.
    pub min_severity: Severity,
    /// Globs naming extra files to treat as policies even without a top-level
    /// `Statement`; relative globs are matched against the path relative to
    /// each workspace folder.
    pub include: Vec<String>,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            enable: true,
            min_severity: Severity::Hint,
            include: Vec::new(),
        }
    }
}

impl Settings {
    /// Reads settings from what the client sent, starting from the defaults.
    /// Returns `None` when the value holds no settings at all (`null`, or an
    /// object of other sections), so that the caller can keep what it has.
    pub fn from_value(value: &Value) -> Option<Settings> {
        let object = match value.get(SECTION) {
            Some(section) => section.as_object()?,
            None => {
                let object = value.as_object()?;
                let ours = ["enable", "minSeverity", "include"];
                if !object.keys().any(|k| ours.contains(&k.as_str())) {
                    return None;
                }
                object
            }
        };
        let mut settings = Settings::default();
        if let Some(enable) = object.get("enable").and_then(Value::as_bool) {
            settings.enable = enable;
        }
        if let Some(severity) = object
            .get("minSeverity")
            .and_then(Value::as_str)
            .and_then(Severity::parse)
        {
            settings.min_severity = severity;
        }
        if let Some(include) = object.get("include").and_then(Value::as_array) {
            settings.include = include
                .iter()
                .filter_map(Value::as_str)
                .map(str::to_string)
                .collect();
        }
        Some(settings)
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn bare_and_sectioned_objects_are_read() {
        let bare = json!({"enable": false, "minSeverity": "warning", "include": ["a/*.json"]});
        let expected = Settings {
            enable: false,
            min_severity: Severity::Warning,
            include: vec!["a/*.json".into()],
        };
        assert_eq!(Settings::from_value(&bare), Some(expected.clone()));
        assert_eq!(
            Settings::from_value(&json!({"policyCheck": bare})),
            Some(expected)
        );
    }

    #[test]
    fn missing_or_wrong_fields_keep_defaults() {
        let settings =
            Settings::from_value(&json!({"policyCheck": {"minSeverity": "loud", "include": "x"}}));
        assert_eq!(settings, Some(Settings::default()));
        assert_eq!(
            Settings::from_value(&json!({"policyCheck": {}})),
            Some(Settings::default())
        );
        assert_eq!(Settings::from_value(&Value::Null), None);
        assert_eq!(
            Settings::from_value(&json!({"editor": {"tabSize": 2}})),
            None
        );
        assert_eq!(Settings::from_value(&json!({"policyCheck": null})), None);
    }
}
