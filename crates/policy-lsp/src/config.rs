//! The project's `policy-check.toml`, as far as the server needs it.
//!
//! The CLI owns the file's schema and validates it strictly; the server reads
//! only what changes its diagnostics, leniently, and ignores every key it does
//! not know, so that a newer config never breaks an older server:
//!
//! ```toml
//! include = ["policies/**/*.json"]      # extra files to treat as policies
//!
//! [rules]
//! select = ["syntax", "PC201"]          # only these run (codes, names or packs)
//! ignore = ["PC201", "unknown-action"]  # these never run
//!
//! [rules.severity]
//! PC201 = "warning"                     # hint | info | warning | error | off
//! ```
//!
//! The file is found by walking up from the document's directory; globs are
//! relative to the directory holding the file.

use std::collections::HashMap;
use std::path::{Component, Path, PathBuf};
use std::sync::Arc;

use globset::{GlobBuilder, GlobSet, GlobSetBuilder};
use policy_analyzer::{all_rules, find_rule, Pack, Rule, RuleSelection, Severity};

pub const FILE_NAME: &str = "policy-check.toml";

/// What the server took from one `policy-check.toml`.
#[derive(Debug, Default)]
pub struct ProjectConfig {
    /// The file it was read from.
    pub file: PathBuf,
    include: Option<GlobSet>,
    pub rules: RuleSelection,
    /// What could not be read, for the user (the rest of the file still applies).
    pub problems: Vec<String>,
}

impl ProjectConfig {
    /// Reads a config. Never fails: what cannot be used is listed in `problems`.
    pub fn parse(text: &str, file: &Path) -> ProjectConfig {
        let mut config = ProjectConfig {
            file: file.to_path_buf(),
            ..ProjectConfig::default()
        };
        let table = match text.parse::<toml::Table>() {
            Ok(table) => table,
            Err(err) => {
                // toml gives no message for some errors (`a =` at the end).
                let why = err.message().trim();
                config.problems.push(if why.is_empty() {
                    format!("{} is not valid TOML", file.display())
                } else {
                    format!("{} is not valid TOML: {why}", file.display())
                });
                return config;
            }
        };
        if let Some(include) = table.get("include") {
            let patterns = string_list(include, "include", &mut config.problems);
            let (set, errors) = compile_globs(&patterns);
            config.include = Some(set);
            config.problems.extend(errors);
        }
        if let Some(rules) = table.get("rules").and_then(toml::Value::as_table) {
            config.rules = rule_selection(rules, &mut config.problems);
        }
        config
    }

    /// Whether the config's `include` globs name `path`.
    pub fn includes(&self, path: &Path) -> bool {
        let (Some(set), Some(dir)) = (&self.include, self.file.parent()) else {
            return false;
        };
        path.strip_prefix(dir)
            .is_ok_and(|relative| set.is_match(relative))
    }
}

fn string_list(value: &toml::Value, what: &str, problems: &mut Vec<String>) -> Vec<String> {
    match value {
        toml::Value::String(s) => vec![s.clone()],
        toml::Value::Array(items) => items
            .iter()
            .filter_map(|item| {
                let s = item.as_str().map(str::to_string);
                if s.is_none() {
                    problems.push(format!("`{what}`: {item} is not a string"));
                }
                s
            })
            .collect(),
        other => {
            problems.push(format!(
                "`{what}` must be a list of strings, found {}",
                other.type_str()
            ));
            Vec::new()
        }
    }
}

/// The rules an entry of `select` or `ignore` names: a code, a rule name, a
/// pack name or `all`.
fn rules_named(entry: &str) -> Option<Vec<&'static Rule>> {
    if entry.eq_ignore_ascii_case("all") {
        return Some(all_rules().collect());
    }
    if let Some(pack) = Pack::ALL
        .into_iter()
        .find(|p| p.name().eq_ignore_ascii_case(entry))
    {
        return Some(all_rules().filter(|r| r.pack == pack).collect());
    }
    find_rule(entry).map(|rule| vec![rule])
}

fn rule_selection(rules: &toml::Table, problems: &mut Vec<String>) -> RuleSelection {
    let mut selection = RuleSelection::default();
    let named = |key: &str, problems: &mut Vec<String>| -> Option<Vec<&'static Rule>> {
        let value = rules.get(key)?;
        let mut out = Vec::new();
        for entry in string_list(value, &format!("rules.{key}"), problems) {
            match rules_named(&entry) {
                Some(found) => out.extend(found),
                // A rule of a newer version, or a typo: say so, but go on.
                None => problems.push(format!("`rules.{key}`: no rule or pack named `{entry}`")),
            }
        }
        Some(out)
    };
    if let Some(selected) = named("select", problems) {
        for rule in all_rules() {
            if !selected.iter().any(|s| s.code == rule.code) {
                selection.disabled.push(rule.code);
            }
        }
    }
    if let Some(ignored) = named("ignore", problems) {
        for rule in ignored {
            if !selection.disabled.contains(&rule.code) {
                selection.disabled.push(rule.code);
            }
        }
    }
    if let Some(severities) = rules.get("severity").and_then(toml::Value::as_table) {
        for (entry, value) in severities {
            let Some(targets) = rules_named(entry) else {
                problems.push(format!("`rules.severity`: no rule or pack named `{entry}`"));
                continue;
            };
            match value.as_str() {
                Some(s) if s.eq_ignore_ascii_case("off") => {
                    for rule in targets {
                        if !selection.disabled.contains(&rule.code) {
                            selection.disabled.push(rule.code);
                        }
                    }
                }
                Some(s) if Severity::parse(s).is_some() => {
                    let severity = Severity::parse(s).unwrap_or(Severity::Hint);
                    for rule in targets {
                        selection.severity.insert(rule.code, severity);
                    }
                }
                _ => problems.push(format!(
                    "`rules.severity.{entry}`: expected \"hint\", \"info\", \"warning\", \"error\" or \"off\", found {value}"
                )),
            }
        }
    }
    selection
}

/// Compiles globs; `/` is a real separator (`*` does not cross directories,
/// `**` does), and a leading `./` is dropped (globs are relative anyway).
pub fn compile_globs(patterns: &[String]) -> (GlobSet, Vec<String>) {
    let mut builder = GlobSetBuilder::new();
    let mut errors = Vec::new();
    for pattern in patterns {
        let relative = pattern.strip_prefix("./").unwrap_or(pattern);
        match GlobBuilder::new(relative).literal_separator(true).build() {
            Ok(glob) => {
                builder.add(glob);
            }
            Err(err) => errors.push(format!("invalid glob `{pattern}`: {err}")),
        }
    }
    let set = builder.build().unwrap_or_else(|err| {
        errors.push(format!("invalid globs: {err}"));
        GlobSet::empty()
    });
    (set, errors)
}

/// Finds and caches the `policy-check.toml` that governs each directory.
/// The cache is dropped whenever a config file changes.
#[derive(Debug, Default)]
pub struct ConfigCache {
    /// Document directory → the config file that governs it, if any.
    governing: HashMap<PathBuf, Option<PathBuf>>,
    loaded: HashMap<PathBuf, Arc<ProjectConfig>>,
}

/// A config lookup: the config, and whether it was read just now (so that
/// its problems are reported once per load, not once per document).
pub struct Lookup {
    pub config: Option<Arc<ProjectConfig>>,
    pub freshly_loaded: bool,
}

impl ConfigCache {
    pub fn clear(&mut self) {
        self.governing.clear();
        self.loaded.clear();
    }

    /// The config for the document at `path`: the nearest `policy-check.toml`
    /// in its directory or above.
    pub fn for_document(&mut self, path: &Path) -> Lookup {
        let Some(dir) = path.parent().map(normalize) else {
            return Lookup {
                config: None,
                freshly_loaded: false,
            };
        };
        let file = self
            .governing
            .entry(dir.clone())
            .or_insert_with(|| {
                dir.ancestors()
                    .map(|d| d.join(FILE_NAME))
                    .find(|candidate| candidate.is_file())
            })
            .clone();
        let Some(file) = file else {
            return Lookup {
                config: None,
                freshly_loaded: false,
            };
        };
        if let Some(config) = self.loaded.get(&file) {
            return Lookup {
                config: Some(Arc::clone(config)),
                freshly_loaded: false,
            };
        }
        let config = match std::fs::read_to_string(&file) {
            Ok(text) => ProjectConfig::parse(&text, &file),
            Err(err) => ProjectConfig {
                file: file.clone(),
                problems: vec![format!("cannot read {}: {err}", file.display())],
                ..ProjectConfig::default()
            },
        };
        let config = Arc::new(config);
        self.loaded.insert(file, Arc::clone(&config));
        Lookup {
            config: Some(config),
            freshly_loaded: true,
        }
    }
}

/// Removes `.` and resolves `..` lexically, so that `a/./b/../c` and `a/c`
/// share a cache entry; symlinks are left alone (no I/O).
fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for component in path.components() {
        match component {
            Component::CurDir => {}
            Component::ParentDir => {
                out.pop();
            }
            other => out.push(other),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> ProjectConfig {
        ProjectConfig::parse(text, Path::new("/repo/policy-check.toml"))
    }

    #[test]
    fn reads_include_select_ignore_and_severity() {
        let config = parse(
            r#"
            include = ["policies/**/*.json", "./keys/*.txt"]
            unknown-top-level = 3
            [rules]
            ignore = ["PC003", "trailing-comma"]
            future-key = true
            [rules.severity]
            PC002 = "error"
            invalid-json = "off"
            "#,
        );
        assert!(config.problems.is_empty(), "{:?}", config.problems);
        assert!(config.includes(Path::new("/repo/policies/a/b.json")));
        assert!(config.includes(Path::new("/repo/keys/k.txt")));
        assert!(!config.includes(Path::new("/repo/keys/deep/k.txt")));
        assert!(!config.includes(Path::new("/elsewhere/policies/a.json")));
        let mut disabled = config.rules.disabled.clone();
        disabled.sort();
        assert_eq!(disabled, vec!["PC001", "PC003", "PC004"]);
        assert_eq!(config.rules.severity.get("PC002"), Some(&Severity::Error));
    }

    #[test]
    fn select_keeps_only_the_named_rules_and_packs() {
        let config = parse("[rules]\nselect = [\"PC002\"]\n");
        assert!(!config.rules.disabled.contains(&"PC002"));
        assert!(config.rules.disabled.contains(&"PC001"));
        let config = parse("[rules]\nselect = [\"syntax\"]\n");
        assert!(config.rules.disabled.iter().all(|c| !c.starts_with("PC0")));
    }

    #[test]
    fn problems_are_reported_without_losing_the_rest() {
        let config = parse("include = 3\n[rules]\nignore = [\"PC002\", \"no-such-rule\", 5]\n[rules.severity]\nPC004 = \"loud\"\n");
        assert_eq!(config.problems.len(), 4, "{:?}", config.problems);
        assert_eq!(config.rules.disabled, vec!["PC002"]);
        let broken = parse("include = [");
        assert_eq!(broken.problems.len(), 1);
        assert!(broken.rules.disabled.is_empty());
        // toml has no message for this one; the problem still reads whole.
        let cut = parse("[rules]\nignore =");
        assert_eq!(cut.problems, ["/repo/policy-check.toml is not valid TOML"]);
    }

    #[test]
    fn the_nearest_config_upwards_governs() {
        let root = std::env::temp_dir().join(format!("policy-lsp-config-{}", std::process::id()));
        let nested = root.join("a/b");
        std::fs::create_dir_all(&nested).unwrap();
        std::fs::write(root.join(FILE_NAME), "[rules]\nignore = [\"PC002\"]\n").unwrap();
        let mut cache = ConfigCache::default();
        let first = cache.for_document(&nested.join("key.json"));
        assert!(first.freshly_loaded);
        assert_eq!(first.config.unwrap().rules.disabled, vec!["PC002"]);
        let again = cache.for_document(&root.join("a/../a/b/other.json"));
        assert!(!again.freshly_loaded && again.config.is_some());
        std::fs::write(nested.join(FILE_NAME), "[rules]\nignore = [\"PC004\"]\n").unwrap();
        cache.clear();
        let nearer = cache.for_document(&nested.join("key.json"));
        assert_eq!(nearer.config.unwrap().rules.disabled, vec!["PC004"]);
        std::fs::remove_dir_all(&root).unwrap();
    }
}
