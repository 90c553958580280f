//! What applies to each checked file: the nearest `policy-check.toml` (or the
//! one given with `--config`) with the command-line flags on top.
//!
//! Configs are discovered upward from each file's directory and cached per
//! directory, so a directory of 10,000 policies costs one lookup, not 10,000.

use std::borrow::Cow;
use std::collections::HashMap;
use std::path::{Component, Path, PathBuf};
use std::sync::Arc;

use policy_analyzer::{all_rules, AnalyzeOptions, RuleSelection, Severity};

use crate::config::{Config, ConfigError, FILE_NAME};
use crate::glob::Globs;

/// What the command line says about every file, above any config.
#[derive(Debug, Default)]
pub struct Overrides {
    /// The directory `--include` and `--exclude` are relative to.
    pub cwd: PathBuf,
    pub include: Option<Globs>,
    pub exclude: Option<Globs>,
    /// `--select`: replaces the config's `select` and `ignore`.
    pub select: Option<Vec<&'static str>>,
    /// `--ignore`: added to the config's `ignore`.
    pub ignore: Vec<&'static str>,
    pub fail_on: Option<Severity>,
}

impl Overrides {
    /// Makes `path` absolute against the current directory, dropping `.`
    /// components, without touching the file system.
    pub fn absolute(&self, path: &Path) -> PathBuf {
        let joined = if path.is_absolute() {
            path.to_path_buf()
        } else {
            self.cwd.join(path)
        };
        joined
            .components()
            .filter(|c| !matches!(c, Component::CurDir))
            .collect()
    }
}

/// The settings of one config file (or of none) under the overrides.
#[derive(Debug)]
pub struct Settings {
    config: Option<Config>,
    overrides: Arc<Overrides>,
    /// The directory the config's globs are relative to.
    base: PathBuf,
    default_include: Globs,
    options: AnalyzeOptions,
    pub fail_on: Severity,
}

impl Settings {
    pub fn new(config: Option<Config>, overrides: Arc<Overrides>) -> Settings {
        let base = config
            .as_ref()
            .map_or_else(|| overrides.cwd.clone(), |c| c.base.clone());
        let enabled: Vec<&'static str> = match (&overrides.select, &config) {
            (Some(select), _) => select.clone(),
            (
                None,
                Some(Config {
                    select: Some(select),
                    ignore,
                    ..
                }),
            ) => select
                .iter()
                .copied()
                .filter(|c| !ignore.contains(c))
                .collect(),
            (None, config) => {
                let ignore = config.as_ref().map_or(&[][..], |c| &c.ignore[..]);
                all_rules()
                    .map(|r| r.code)
                    .filter(|c| !ignore.contains(c))
                    .collect()
            }
        };
        let disabled = all_rules()
            .map(|r| r.code)
            .filter(|c| !enabled.contains(c) || overrides.ignore.contains(c))
            .collect();
        let severity = config
            .as_ref()
            .map(|c| c.severity.clone())
            .unwrap_or_default();
        let fail_on = overrides
            .fail_on
            .or_else(|| config.as_ref().and_then(|c| c.fail_on))
            .unwrap_or(Severity::Warning);
        Settings {
            base,
            default_include: crate::files::default_include(),
            options: AnalyzeOptions {
                rules: RuleSelection { disabled, severity },
                profile: None,
            },
            fail_on,
            config,
            overrides,
        }
    }

    /// The config file these settings come from.
    pub fn config_path(&self) -> Option<&Path> {
        self.config.as_ref().map(|c| c.path.as_path())
    }

    fn relative<'p>(path: &'p Path, base: &Path) -> &'p Path {
        path.strip_prefix(base).unwrap_or(path)
    }

    /// Whether a file found by walking a directory is to be checked:
    /// `--include` or the config's `include` (default: the readers' files).
    pub fn includes(&self, absolute: &Path) -> bool {
        if let Some(include) = &self.overrides.include {
            return include.matches(Self::relative(absolute, &self.overrides.cwd));
        }
        let include = self
            .config
            .as_ref()
            .and_then(|c| c.include.as_ref())
            .unwrap_or(&self.default_include);
        include.matches(Self::relative(absolute, &self.base))
    }

    /// Whether `--exclude` or the config's `exclude` excludes a file or
    /// directory. `or_inside` also tests its parent directories, for paths
    /// named on the command line (walked paths had their directories tested).
    pub fn excludes(&self, absolute: &Path, or_inside: bool) -> bool {
        let test = |globs: &Globs, base: &Path| {
            let relative = Self::relative(absolute, base);
            if or_inside {
                globs.matches_or_inside(relative)
            } else {
                globs.matches(relative)
            }
        };
        self.overrides
            .exclude
            .as_ref()
            .is_some_and(|g| test(g, &self.overrides.cwd))
            || self
                .config
                .as_ref()
                .and_then(|c| c.exclude.as_ref())
                .is_some_and(|g| test(g, &self.base))
    }

    /// The analysis options for one file: the per-file ignores and the
    /// profile that match it, on top of these settings.
    pub fn options_for(&self, absolute: &Path) -> Cow<'_, AnalyzeOptions> {
        let Some(config) = &self.config else {
            return Cow::Borrowed(&self.options);
        };
        let relative = Self::relative(absolute, &self.base);
        let profile = config.profile_for(relative);
        let mut ignores = config
            .per_file_ignores
            .iter()
            .filter(|p| p.files.matches(relative))
            .peekable();
        if profile.is_none() && ignores.peek().is_none() {
            return Cow::Borrowed(&self.options);
        }
        let mut options = self.options.clone();
        options.profile = profile.cloned();
        for ignore in ignores {
            options.rules.disabled.extend(&ignore.ignore);
        }
        Cow::Owned(options)
    }
}

/// Finds the settings of each directory, loading each config file once.
pub struct Discovery {
    overrides: Arc<Overrides>,
    /// `--config` or `--no-config`: the same settings for every file.
    fixed: Option<Arc<Settings>>,
    by_directory: HashMap<PathBuf, Arc<Settings>>,
    /// Config files that could not be used, not yet reported.
    errors: Vec<ConfigError>,
}

impl Discovery {
    /// `config`: `Some(Some(path))` for `--config PATH`, `Some(None)` for
    /// `--no-config`, `None` to discover.
    pub fn new(overrides: Arc<Overrides>, config: Option<Option<&Path>>) -> Discovery {
        let mut discovery = Discovery {
            overrides,
            fixed: None,
            by_directory: HashMap::new(),
            errors: Vec::new(),
        };
        if let Some(config) = config {
            let path = config.map(|p| discovery.overrides.absolute(p));
            let settings = discovery.load(path.as_deref());
            discovery.fixed = Some(settings);
        }
        discovery
    }

    /// The settings for files in `directory` (absolute).
    pub fn for_directory(&mut self, directory: &Path) -> Arc<Settings> {
        if let Some(fixed) = &self.fixed {
            return fixed.clone();
        }
        if let Some(settings) = self.by_directory.get(directory) {
            return settings.clone();
        }
        let candidate = directory.join(FILE_NAME);
        let settings = if candidate.is_file() {
            self.load(Some(&candidate))
        } else if let Some(parent) = directory.parent() {
            self.for_directory(parent)
        } else {
            self.load(None)
        };
        self.by_directory
            .insert(directory.to_path_buf(), settings.clone());
        settings
    }

    /// The settings for a file (absolute).
    pub fn for_file(&mut self, file: &Path) -> Arc<Settings> {
        self.for_directory(file.parent().unwrap_or(Path::new("/")))
    }

    /// Config errors found since the last call, to report in order.
    pub fn take_errors(&mut self) -> Vec<ConfigError> {
        std::mem::take(&mut self.errors)
    }

    /// A config that cannot be used is reported, and its files are checked
    /// with the default settings, so one typo does not hide every finding.
    fn load(&mut self, path: Option<&Path>) -> Arc<Settings> {
        let config = path.and_then(|path| match Config::load(path) {
            Ok(config) => Some(config),
            Err(mut error) => {
                // Shown as the user would name it.
                if let Ok(relative) = error.path.strip_prefix(&self.overrides.cwd) {
                    error.path = relative.to_path_buf();
                }
                self.errors.push(error);
                None
            }
        });
        Arc::new(Settings::new(config, self.overrides.clone()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn overrides() -> Arc<Overrides> {
        Arc::new(Overrides {
            cwd: PathBuf::from("/work"),
            ..Overrides::default()
        })
    }

    #[test]
    fn absolute_paths_drop_dot_components() {
        let o = overrides();
        assert_eq!(
            o.absolute(Path::new("./a/./b.json")),
            Path::new("/work/a/b.json")
        );
        assert_eq!(o.absolute(Path::new("/x/y")), Path::new("/x/y"));
    }

    #[test]
    fn defaults_include_policies_templates_and_modules() {
        let s = Settings::new(None, overrides());
        for included in [
            "a.json",
            "a.yaml",
            "a.yml",
            "a.template",
            "main.tf",
            "p.json.tpl",
            "p.tftpl",
        ] {
            assert!(
                s.includes(&Path::new("/work/keys").join(included)),
                "{included}"
            );
        }
        for excluded in ["a.txt", "a.md", "terraform.tfstate", "Makefile"] {
            assert!(
                !s.includes(&Path::new("/work/keys").join(excluded)),
                "{excluded}"
            );
        }
        assert!(!s.excludes(Path::new("/work/keys/a.json"), true));
        assert_eq!(s.fail_on, Severity::Warning);
        assert!(s.options.rules.disabled.is_empty());
    }

    #[test]
    fn command_line_select_replaces_and_ignore_adds() {
        let first = all_rules().next().unwrap().code;
        let text = format!("[rules]\nignore = [\"{first}\"]\n");
        let config = Config::parse(Path::new("/work/policy-check.toml"), &text).unwrap();
        let s = Settings::new(Some(config.clone()), overrides());
        assert!(s.options.rules.disabled.contains(&first));

        let mut o = Overrides {
            cwd: PathBuf::from("/work"),
            ..Overrides::default()
        };
        o.select = Some(vec![first]);
        let s = Settings::new(Some(config.clone()), Arc::new(o));
        assert_eq!(s.options.rules.disabled.len(), all_rules().count() - 1);
        assert!(!s.options.rules.disabled.contains(&first));

        let mut o = Overrides {
            cwd: PathBuf::from("/work"),
            ..Overrides::default()
        };
        o.ignore = vec![first];
        let s = Settings::new(None, Arc::new(o));
        assert_eq!(s.options.rules.disabled, vec![first]);
    }

    #[test]
    fn per_file_ignores_and_profiles_apply_to_matching_files() {
        let first = all_rules().next().unwrap().code;
        let text = format!(
            "[[per-file-ignores]]\nfiles = [\"legacy/**\"]\nignore = [\"{first}\"]\n[[profiles]]\nfiles = [\"fsx-*.json\"]\nservices = [\"fsx\"]\n"
        );
        let config = Config::parse(Path::new("/work/keys/policy-check.toml"), &text).unwrap();
        let s = Settings::new(Some(config), overrides());
        assert!(matches!(
            s.options_for(Path::new("/work/keys/a.json")),
            Cow::Borrowed(_)
        ));
        let legacy = s.options_for(Path::new("/work/keys/legacy/a.json"));
        assert!(legacy.rules.disabled.contains(&first));
        let fsx = s.options_for(Path::new("/work/keys/fsx-1.json"));
        assert_eq!(
            fsx.profile.as_ref().unwrap().services,
            vec!["fsx".to_string()]
        );
    }
}
