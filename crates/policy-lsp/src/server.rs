//! The LSP server: protocol handlers wired to the document store, the
//! analysis pipeline and the editor features.
//!
//! Ordering rule: every notification that changes a document updates the
//! store synchronously, before its handler awaits anything; the analysis and
//! the publication then go through [`Pipeline`], which never publishes a
//! result for a version the document has moved past (see `publisher`).
//!
//! A Terraform module is analysed as a whole and its result published to
//! each of its open documents (and to the open files its `file()` and
//! `templatefile()` calls read); module results are ticketed, so that the
//! result of an older analysis is never queued after a newer one's.

use std::collections::HashMap;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};

use policy_analyzer::host::HostKind;
use policy_analyzer::{AnalyzeOptions, PositionEncoding};
use policy_workspace::{ConfigError, ConfigInUse, Discovery, Globs, Mode, Overrides};
use tower_lsp_server::jsonrpc::Result;
use tower_lsp_server::lsp_types::*;
use tower_lsp_server::{Client, LanguageServer};

use crate::analysis::{self, DocumentAnalysis, Project, Scope};
use crate::code_action::{self, FIX_ALL_KIND};
use crate::completion::{self, ItemKind};
use crate::documents::{file_path, Document, DocumentStore, Snapshot};
use crate::embedded::{self, Syntax};
use crate::hosts::{self, DiskCache, FileRead, Unit};
use crate::publisher::{lock, Job, Publisher};
use crate::settings::{self, Settings};
use crate::status::{self, ConfigForParams, ConfigStatus, StatusParams};
use crate::{convert, hover, symbols};

/// From this size on, analysis and feature requests run on a blocking thread:
/// parsing megabytes takes long enough to stall every other request if done
/// on the server's own task.
pub const LARGE_DOCUMENT: usize = 512 * 1024;

/// What the client said about itself and what the user configured.
#[derive(Debug)]
struct ServerState {
    encoding: PositionEncoding,
    settings: Settings,
    /// `settings.include`, compiled.
    include: Option<Globs>,
    /// Workspace folders, for relative `include` globs.
    roots: Vec<PathBuf>,
    snippets: bool,
    watch_files_dynamically: bool,
    pull_configuration: bool,
}

impl Default for ServerState {
    fn default() -> Self {
        ServerState {
            encoding: PositionEncoding::Utf16,
            settings: Settings::default(),
            include: None,
            roots: Vec::new(),
            snippets: false,
            watch_files_dynamically: false,
            pull_configuration: false,
        }
    }
}

impl ServerState {
    fn set_settings(&mut self, settings: Settings) -> Vec<String> {
        let mut problems = Vec::new();
        self.include = match Globs::new(&settings.include) {
            _ if settings.include.is_empty() => None,
            Ok(globs) => Some(globs),
            Err(e) => {
                problems.push(format!("`include`: {}", e.message));
                None
            }
        };
        self.settings = settings;
        problems
    }

    /// Whether the client's `include` names `path`: its globs are the
    /// config's (gitignore-like), relative to each workspace folder.
    fn included_by_settings(&self, path: &Path) -> bool {
        let Some(include) = &self.include else {
            return false;
        };
        self.roots.iter().any(|root| {
            path.strip_prefix(root)
                .is_ok_and(|relative| include.matches(relative))
        }) || (self.roots.is_empty() && include.matches(path))
    }
}

/// What the server knows of a Terraform module from its analyses.
#[derive(Debug, Default)]
struct ModuleRecord {
    /// The ticket of the latest analysis scheduled.
    scheduled: u64,
    /// The ticket of the latest analysis whose result was queued.
    queued: u64,
    /// The open documents that result was published to.
    targets: Vec<Uri>,
    /// Every file it read, normalised: a change to any of them changes the
    /// module's findings.
    read: Vec<PathBuf>,
}

/// One analysis of a module, with what it needs from the server's state.
struct ModuleJob {
    dir: PathBuf,
    ticket: u64,
    /// Every open document (the module's files, and any file it reads),
    /// each with its scope.
    open: Vec<Snapshot>,
    scopes: Vec<Scope>,
    /// Under the config of the module's folder.
    options: AnalyzeOptions,
}

/// Analyses documents and queues their diagnostics. Cheap to clone, so that
/// large documents can be analysed on a blocking thread.
#[derive(Clone)]
struct Pipeline {
    documents: Arc<Mutex<DocumentStore>>,
    publisher: Publisher,
    disk: Arc<DiskCache>,
    modules: Arc<Mutex<HashMap<PathBuf, ModuleRecord>>>,
    tickets: Arc<AtomicU64>,
}

impl Pipeline {
    fn modules(&self) -> std::sync::MutexGuard<'_, HashMap<PathBuf, ModuleRecord>> {
        self.modules
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Analyses one version of a document on its own (a policy, or a host
    /// file read alone: a template, a template file) and queues the result,
    /// unless the document has moved on in the meantime. `None`: no reader
    /// takes the document, so nothing is shown.
    fn analyze(&self, snapshot: Snapshot, scope: Scope, unit: Option<Unit>) {
        let uri = &snapshot.uri;
        // A burst of edits to a large document queues one analysis per
        // version; the stale ones skip the work.
        if !lock(&self.documents).is_current(uri, snapshot.revision) {
            return;
        }
        let version = snapshot.version();
        let (analysis, kind) = match &unit {
            Some(Unit::Policy) => (
                analysis::run(&snapshot.text, version, &scope),
                Some(HostKind::Policy),
            ),
            Some(unit @ Unit::File(kind)) => {
                let open = [snapshot.clone()];
                let mut result =
                    hosts::analyze(unit, Some(&snapshot), &open, &self.disk, &scope.options);
                let files: Arc<[FileRead]> = std::mem::take(&mut result.files).into();
                let path = hosts::host_path(&snapshot);
                (
                    analysis::host_document(&result, &files, &path, version, &scope),
                    Some(*kind),
                )
            }
            Some(Unit::Module(_)) | None => (DocumentAnalysis::silent(version), None),
        };
        if let Some(panic) = &analysis.panic {
            // The findings published for an earlier version stay: an empty
            // list would tell the user the bug fixed their policy.
            eprintln!(
                "policy-lsp: the analyzer panicked on {} (version {version}): {panic}",
                uri.as_str(),
            );
            return;
        }
        let diagnostics = analysis::lsp_diagnostics(&analysis, uri, &snapshot.mapper());
        // Check and enqueue under one lock: results enter the queue in
        // version order (see `publisher`).
        let mut store = lock(&self.documents);
        let Some(document) = store.get_mut(uri) else {
            return;
        };
        if document.revision() != snapshot.revision {
            return;
        }
        self.record(document, &snapshot, analysis, diagnostics, kind);
    }

    /// Keeps a document's analysis and queues its diagnostics. Called with
    /// the store locked, for the revision the analysis read.
    fn record(
        &self,
        document: &mut Document,
        snapshot: &Snapshot,
        analysis: DocumentAnalysis,
        diagnostics: Vec<Diagnostic>,
        kind: Option<HostKind>,
    ) {
        if analysis.is_policy {
            document.seen_policy = true;
            document.kind = kind.or(document.kind);
        }
        let publish = analysis.shown || document.published;
        document.published = analysis.shown;
        document.analysis = Some(Arc::new(analysis));
        if publish {
            self.publisher.send(Job::Publish {
                uri: snapshot.uri.clone(),
                revision: snapshot.revision,
                diagnostics,
            });
        }
    }

    /// Analyses a Terraform module and queues each open document's part of
    /// the result. Documents the module's previous result went to and this
    /// one does not (a template no longer rendered) are analysed on their own.
    fn analyze_module(&self, job: ModuleJob) {
        if self
            .modules()
            .get(&job.dir)
            .is_some_and(|r| r.scheduled > job.ticket)
        {
            // A newer analysis of the module is on its way.
            return;
        }
        let unit = Unit::Module(job.dir.clone());
        let mut result = hosts::analyze(&unit, None, &job.open, &self.disk, &job.options);
        if let Some(panic) = &result.panic {
            // As for one document: what the module's files show stays.
            eprintln!(
                "policy-lsp: the analyzer panicked on the module {}: {panic}",
                job.dir.display()
            );
            return;
        }
        let read: Vec<PathBuf> = result
            .files
            .iter()
            .map(|f| hosts::normalize(Path::new(&f.path)))
            .collect();
        let mut targets: Vec<(usize, String)> = Vec::new();
        for file in &result.files {
            if let Some(i) = file.open.filter(|i| !targets.iter().any(|(t, _)| t == i)) {
                targets.push((i, file.path.clone()));
            }
        }
        let files: Arc<[FileRead]> = std::mem::take(&mut result.files).into();
        let converted: Vec<(usize, DocumentAnalysis, Vec<Diagnostic>)> = targets
            .iter()
            .filter_map(|(i, path)| {
                let snapshot = &job.open[*i];
                let scope = job.scopes.get(*i)?;
                let analysis =
                    analysis::host_document(&result, &files, path, snapshot.version(), scope);
                let diagnostics =
                    analysis::lsp_diagnostics(&analysis, &snapshot.uri, &snapshot.mapper());
                Some((*i, analysis, diagnostics))
            })
            .collect();
        let orphans: Vec<Uri> = {
            let mut store = lock(&self.documents);
            let mut modules = self.modules();
            let record = modules.entry(job.dir.clone()).or_default();
            if record.queued > job.ticket {
                return;
            }
            record.queued = job.ticket;
            record.read = read;
            let now: Vec<Uri> = targets
                .iter()
                .map(|(i, _)| job.open[*i].uri.clone())
                .collect();
            let orphans = record
                .targets
                .iter()
                .filter(|uri| !now.contains(uri))
                .cloned()
                .collect();
            record.targets = now;
            drop(modules);
            for (i, analysis, diagnostics) in converted {
                let snapshot = &job.open[i];
                let Some(document) = store.get_mut(&snapshot.uri) else {
                    continue;
                };
                // A document edited since is in a newer analysis of the module.
                if document.revision() == snapshot.revision {
                    self.record(document, snapshot, analysis, diagnostics, None);
                }
            }
            orphans
        };
        for uri in orphans {
            let Some(i) = job.open.iter().position(|s| s.uri == uri) else {
                continue;
            };
            let (snapshot, scope) = (&job.open[i], job.scopes[i].clone());
            let kind = lock(&self.documents).get(&uri).and_then(|d| d.kind);
            let unit = single_unit(hosts::reader_of(
                &hosts::host_path(snapshot),
                &snapshot.text,
                kind,
            ));
            self.analyze(snapshot.clone(), scope, unit);
        }
    }
}

/// The unit of a document read on its own by `reader`.
fn single_unit(reader: Option<HostKind>) -> Option<Unit> {
    match reader? {
        HostKind::Policy => Some(Unit::Policy),
        kind => Some(Unit::File(kind)),
    }
}

/// How the editor features read a document.
enum Source {
    /// As a JSON policy: a policy document, or a template file no module
    /// renders (its text is the policy, placeholders and all).
    Json,
    /// Through the policies its host renders.
    Host(Box<Hosted>),
}

/// A document in a host, and what reading the host takes.
struct Hosted {
    unit: Unit,
    kind: HostKind,
    /// Every open document, for a module's files and what it reads.
    open: Vec<Snapshot>,
    options: AnalyzeOptions,
    disk: Arc<DiskCache>,
}

impl Hosted {
    /// Whether the document's own text is a policy in JSON (a template
    /// file, or a policy a module reads with `file()`), which the JSON
    /// features can read where no rendered policy covers the cursor.
    fn reads_as_json(&self) -> bool {
        matches!(self.kind, HostKind::Template | HostKind::Policy)
    }
}

impl Source {
    /// The policies the host renders, with `snapshot`'s text in place of the
    /// document's (a completion probe's, or the document's own).
    fn policies(&self, snapshot: &Snapshot) -> Vec<policy_analyzer::host::EmbeddedPolicy> {
        let Source::Host(host) = self else {
            return Vec::new();
        };
        let Hosted {
            unit,
            open,
            options,
            disk,
            ..
        } = host.as_ref();
        let open: Vec<Snapshot> = open
            .iter()
            .map(|s| {
                if s.uri == snapshot.uri {
                    snapshot.clone()
                } else {
                    s.clone()
                }
            })
            .collect();
        hosts::policies(unit, Some(snapshot), &open, disk, options)
    }
}

pub struct Backend {
    client: Client,
    pipeline: Pipeline,
    state: RwLock<ServerState>,
    /// The `policy-check.toml` of each directory, read leniently: a config
    /// that an edit breaks keeps its last good version.
    configs: Mutex<Discovery>,
}

impl Backend {
    pub fn new(client: Client) -> Backend {
        let documents = Arc::new(Mutex::new(DocumentStore::default()));
        let publisher = Publisher::spawn(client.clone(), Arc::clone(&documents));
        Backend {
            client,
            pipeline: Pipeline {
                documents,
                publisher,
                disk: Arc::new(DiskCache::default()),
                modules: Arc::new(Mutex::new(HashMap::new())),
                tickets: Arc::new(AtomicU64::new(0)),
            },
            state: RwLock::new(ServerState::default()),
            configs: Mutex::new(Discovery::new(
                Arc::new(Overrides::default()),
                None,
                Mode::Lenient,
            )),
        }
    }

    fn state(&self) -> std::sync::RwLockReadGuard<'_, ServerState> {
        self.state
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn state_mut(&self) -> std::sync::RwLockWriteGuard<'_, ServerState> {
        self.state
            .write()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn encoding(&self) -> PositionEncoding {
        self.state().encoding
    }

    /// The project settings governing `path` (the defaults for a document
    /// without a file); a config's errors and warnings are shown when it is
    /// read, which is once per change to it.
    fn config_for(&self, path: Option<&Path>) -> Arc<policy_workspace::Settings> {
        let (settings, errors) = {
            let mut configs = self
                .configs
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner());
            let settings = match path {
                Some(path) => configs.for_file(path),
                None => Arc::new(policy_workspace::Settings::new(
                    None,
                    Arc::new(Overrides::default()),
                )),
            };
            (settings, configs.take_errors())
        };
        self.report_config_errors(&errors, settings.config().is_some());
        settings
    }

    /// Which `policy-check.toml` governs `path`, and what its last reading
    /// found, for the editor's status. Reading it here for the first time
    /// reports its errors as [`Backend::config_for`] does.
    fn config_in_use(&self, path: &Path) -> ConfigInUse {
        let (in_use, kept, errors) = {
            let mut configs = self
                .configs
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner());
            let in_use = configs.in_use_for_file(path);
            let kept = configs.for_file(path).config().is_some();
            (in_use, kept, configs.take_errors())
        };
        self.report_config_errors(&errors, kept);
        in_use
    }

    /// Shows the errors and warnings of a config that was just read: once
    /// per change to it.
    fn report_config_errors(&self, errors: &[ConfigError], kept_a_config: bool) {
        if errors.is_empty() {
            return;
        }
        let lines: Vec<String> = errors.iter().map(ToString::to_string).collect();
        let kept = if kept_a_config {
            "the last version that could be read still applies"
        } else {
            "the default settings apply"
        };
        self.warn(format!("policy-check: {} ({kept})", lines.join("\n")));
    }

    /// Shows a warning without making the caller await (handlers that hold
    /// the store must not await).
    fn warn(&self, message: String) {
        let client = self.client.clone();
        tokio::spawn(async move {
            client.show_message(MessageType::WARNING, message).await;
        });
    }

    fn scope_for(&self, document: &Document, config: &Arc<policy_workspace::Settings>) -> Scope {
        let state = self.state();
        let path = document.path.as_deref();
        let included = path
            .is_some_and(|path| state.included_by_settings(path) || config.named_by_include(path));
        let excluded = path.is_some_and(|path| config.excludes(path, true));
        Scope {
            options: path
                .map(|path| config.options_for(path).into_owned())
                .unwrap_or_default(),
            enabled: state.settings.enable && !excluded,
            min_severity: state.settings.min_severity,
            included,
            seen_policy: document.seen_policy,
            project: path.map(|path| Project {
                settings: Arc::clone(config),
                path: path.to_path_buf(),
            }),
        }
    }

    /// Analyses the current version of `uri` (and of the module it belongs
    /// to, or that reads it).
    fn schedule_analysis(&self, uri: &Uri) {
        self.schedule(std::slice::from_ref(uri), Vec::new());
    }

    /// Analyses the current versions of `uris` and of the modules in
    /// `modules`: a policy or template inline when it is small (tens of
    /// microseconds to a millisecond), on a blocking thread when it is large;
    /// a module, which reads files from disk, always on a blocking thread.
    fn schedule(&self, uris: &[Uri], mut modules: Vec<PathBuf>) {
        let encoding = self.encoding();
        // Documents read on their own: snapshot, scope, reader.
        let mut singles: Vec<(Snapshot, Scope, Option<HostKind>)> = Vec::new();
        let mut open: Vec<Snapshot> = Vec::new();
        let mut scopes: Vec<Scope> = Vec::new();
        {
            let store = lock(&self.pipeline.documents);
            let records = self.pipeline.modules();
            for uri in uris {
                let Some(document) = store.get(uri) else {
                    continue;
                };
                let mut read_by_a_module = false;
                if let Some(path) = document.path.as_deref().map(hosts::normalize) {
                    for (dir, record) in records.iter() {
                        if record.read.contains(&path) {
                            read_by_a_module = true;
                            if !modules.contains(dir) {
                                modules.push(dir.clone());
                            }
                        }
                    }
                }
                if let Some(dir) = hosts::module_of(document.path.as_deref()) {
                    if !modules.contains(&dir) {
                        modules.push(dir);
                    }
                    continue;
                }
                // A file a module reads (a template it renders, a policy
                // `file()` loads) is checked through the module, in the
                // context of its key: one result per document.
                if read_by_a_module {
                    continue;
                }
                let snapshot = document.snapshot(uri, encoding);
                let reader =
                    hosts::reader_of(&hosts::host_path(&snapshot), &snapshot.text, document.kind);
                let config = self.config_for(document.path.as_deref());
                singles.push((snapshot, self.scope_for(document, &config), reader));
            }
            drop(records);
            let templates = singles
                .iter()
                .any(|(_, _, reader)| *reader == Some(HostKind::Template));
            if !modules.is_empty() || templates {
                for uri in store.uris() {
                    let Some(document) = store.get(&uri) else {
                        continue;
                    };
                    let config = self.config_for(document.path.as_deref());
                    scopes.push(self.scope_for(document, &config));
                    open.push(document.snapshot(&uri, encoding));
                }
            }
        }
        for (snapshot, scope, reader) in singles {
            if reader == Some(HostKind::Template) {
                let renderer = snapshot
                    .path
                    .as_deref()
                    .and_then(|path| hosts::modules_rendering(path, &open, &self.pipeline.disk));
                if let Some(dir) = renderer {
                    if !modules.contains(&dir) {
                        modules.push(dir);
                    }
                    continue;
                }
            }
            let unit = single_unit(reader);
            let pipeline = self.pipeline.clone();
            if snapshot.text.len() < LARGE_DOCUMENT {
                pipeline.analyze(snapshot, scope, unit);
            } else {
                tokio::task::spawn_blocking(move || pipeline.analyze(snapshot, scope, unit));
            }
        }
        for dir in modules {
            let ticket = self.pipeline.tickets.fetch_add(1, Ordering::Relaxed) + 1;
            self.pipeline
                .modules()
                .entry(dir.clone())
                .or_default()
                .scheduled = ticket;
            let main = dir.join("main.tf");
            let options = self.config_for(Some(&main)).options_for(&main).into_owned();
            let job = ModuleJob {
                dir,
                ticket,
                open: open.clone(),
                scopes: scopes.clone(),
                options,
            };
            let pipeline = self.pipeline.clone();
            tokio::task::spawn_blocking(move || pipeline.analyze_module(job));
        }
    }

    fn reanalyze_all(&self) {
        let uris = lock(&self.pipeline.documents).uris();
        self.schedule(&uris, Vec::new());
    }

    /// Whether the server speaks about `document` at all: when enabled, and
    /// the document is (or was, since it opened) a policy, a template or
    /// module file holding one, or is named by an `include` glob. The
    /// features stay silent elsewhere, so that attaching the server to every
    /// JSON and YAML file adds no completions to `package.json`.
    fn speaks_about(&self, document: &Document) -> bool {
        let config = self.config_for(document.path.as_deref());
        let scope = self.scope_for(document, &config);
        scope.enabled && (document.seen_policy || scope.included)
    }

    /// The current text of `uri` and how the features read it, if the
    /// server speaks about it.
    fn source(&self, uri: &Uri) -> Option<(Snapshot, Source)> {
        let encoding = self.encoding();
        let (snapshot, reader, module, options, open) = {
            let store = lock(&self.pipeline.documents);
            let document = store.get(uri)?;
            if !self.speaks_about(document) {
                return None;
            }
            let snapshot = document.snapshot(uri, encoding);
            let reader =
                hosts::reader_of(&hosts::host_path(&snapshot), &snapshot.text, document.kind);
            let path = document.path.as_deref().map(hosts::normalize);
            let module = hosts::module_of(document.path.as_deref()).or_else(|| {
                let path = path.as_ref()?;
                self.pipeline
                    .modules()
                    .iter()
                    .find(|(_, record)| record.read.contains(path))
                    .map(|(dir, _)| dir.clone())
            });
            let hosted = module.is_some()
                || !matches!(reader, None | Some(HostKind::Policy | HostKind::Template));
            if !hosted && reader != Some(HostKind::Template) {
                return Some((snapshot, Source::Json));
            }
            let options: AnalyzeOptions = match document.path.as_deref() {
                Some(path) => self.config_for(Some(path)).options_for(path).into_owned(),
                None => AnalyzeOptions::default(),
            };
            let open: Vec<Snapshot> = store
                .uris()
                .into_iter()
                .filter_map(|u| Some(store.get(&u)?.snapshot(&u, encoding)))
                .collect();
            (snapshot, reader, module, options, open)
        };
        let module = module.or_else(|| {
            (reader == Some(HostKind::Template))
                .then(|| {
                    hosts::modules_rendering(snapshot.path.as_deref()?, &open, &self.pipeline.disk)
                })
                .flatten()
        });
        let (unit, kind) = match (module, reader) {
            (Some(dir), reader) => (Unit::Module(dir), reader.unwrap_or(HostKind::Terraform)),
            (None, Some(HostKind::Template) | Some(HostKind::Policy) | None) => {
                return Some((snapshot, Source::Json))
            }
            (None, Some(kind)) => (Unit::File(kind), kind),
        };
        let source = Source::Host(Box::new(Hosted {
            unit,
            kind,
            open,
            options,
            disk: Arc::clone(&self.pipeline.disk),
        }));
        Some((snapshot, source))
    }

    /// Runs a read-only feature on the current text of `uri`. A panic in a
    /// feature (a bug) answers "nothing here" instead of ending the session.
    /// Large documents and hosts (which render policies, and for a module
    /// read files) are served on a blocking thread.
    async fn with_source<T, F>(&self, uri: &Uri, feature: F) -> Option<T>
    where
        T: Send + 'static,
        F: FnOnce(&Snapshot, &Source) -> Option<T> + Send + 'static,
    {
        let (snapshot, source) = self.source(uri)?;
        let blocking = snapshot.text.len() >= LARGE_DOCUMENT || matches!(source, Source::Host(_));
        let run = move || {
            catch_unwind(AssertUnwindSafe(|| feature(&snapshot, &source))).unwrap_or_else(|_| {
                eprintln!(
                    "policy-lsp: a request on {} panicked",
                    snapshot.uri.as_str()
                );
                None
            })
        };
        if blocking {
            tokio::task::spawn_blocking(run).await.ok().flatten()
        } else {
            run()
        }
    }

    async fn pull_settings(&self) -> Option<Settings> {
        if !self.state().pull_configuration {
            return None;
        }
        let items = vec![ConfigurationItem {
            scope_uri: None,
            section: Some(settings::SECTION.to_string()),
        }];
        let values = self.client.configuration(items).await.ok()?;
        // The answer is the section's content; an absent section is `null`.
        let value = values.into_iter().next()?;
        Settings::from_value(&serde_json::json!({ settings::SECTION: value }))
    }

    fn apply_settings(&self, settings: Settings) {
        let problems = self.state_mut().set_settings(settings);
        if !problems.is_empty() {
            self.warn(format!("policy-check settings: {}", problems.join("; ")));
        }
    }

    /// Whether a change to `uri` changes the project's settings: a config
    /// file, or a rule file of a pack a config names.
    fn is_settings_file(&self, uri: &Uri) -> bool {
        is_config_file(uri)
            || file_path(uri).is_some_and(|path| {
                self.configs
                    .lock()
                    .unwrap_or_else(|poisoned| poisoned.into_inner())
                    .is_pack_file(&path)
            })
    }

    /// Drops every cached config, looks each open document's up again,
    /// re-publishes, and tells the client which config is in use now.
    async fn reload_configs(&self) {
        self.configs
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .clear();
        self.reanalyze_all();
        self.send_status().await;
    }

    /// `policyCheck/status`: the version, and the config of the first
    /// workspace folder.
    async fn send_status(&self) {
        let root = self.state().roots.first().cloned();
        // A config governs the files of its directory and below: any name
        // in the root stands for them.
        let config = root
            .map(|root| self.config_in_use(&root.join(policy_workspace::FILE_NAME)))
            .unwrap_or_default();
        let params = StatusParams {
            version: env!("CARGO_PKG_VERSION").to_string(),
            config: ConfigStatus::of(&config),
        };
        self.client
            .send_notification::<status::Status>(params)
            .await;
    }

    /// `policyCheck/configFor`: the config that governs a document.
    pub async fn config_for_document(&self, params: ConfigForParams) -> Result<ConfigStatus> {
        let config = file_path(&params.uri)
            .map(|path| self.config_in_use(&path))
            .unwrap_or_default();
        Ok(ConfigStatus::of(&config))
    }
}

fn is_config_file(uri: &Uri) -> bool {
    file_path(uri).is_some_and(|p| {
        p.file_name()
            .is_some_and(|n| n == policy_workspace::FILE_NAME)
    })
}

fn workspace_roots(params: &InitializeParams) -> Vec<PathBuf> {
    let mut roots: Vec<PathBuf> = params
        .workspace_folders
        .iter()
        .flatten()
        .filter_map(|folder| file_path(&folder.uri))
        .collect();
    #[allow(deprecated)] // Older clients send only `rootUri`.
    if roots.is_empty() {
        roots.extend(params.root_uri.as_ref().and_then(file_path));
    }
    roots
}

fn completion_kind(kind: ItemKind) -> CompletionItemKind {
    match kind {
        ItemKind::Action => CompletionItemKind::FUNCTION,
        ItemKind::Wildcard => CompletionItemKind::CONSTANT,
        ItemKind::Operator => CompletionItemKind::OPERATOR,
        ItemKind::ConditionKey => CompletionItemKind::VARIABLE,
        ItemKind::Value => CompletionItemKind::VALUE,
        ItemKind::Element => CompletionItemKind::PROPERTY,
    }
}

impl LanguageServer for Backend {
    async fn initialize(&self, params: InitializeParams) -> Result<InitializeResult> {
        let capabilities = &params.capabilities;
        let encoding = convert::negotiate_encoding(
            capabilities
                .general
                .as_ref()
                .and_then(|g| g.position_encodings.as_deref()),
        );
        let workspace = capabilities.workspace.as_ref();
        let snippets = capabilities
            .text_document
            .as_ref()
            .and_then(|t| t.completion.as_ref())
            .and_then(|c| c.completion_item.as_ref())
            .and_then(|i| i.snippet_support)
            .unwrap_or(false);
        {
            let mut state = self.state_mut();
            state.encoding = encoding;
            state.snippets = snippets;
            state.roots = workspace_roots(&params);
            state.watch_files_dynamically = workspace
                .and_then(|w| w.did_change_watched_files.as_ref())
                .and_then(|w| w.dynamic_registration)
                .unwrap_or(false);
            state.pull_configuration = workspace.and_then(|w| w.configuration).unwrap_or(false);
        }
        if let Some(settings) = params
            .initialization_options
            .as_ref()
            .and_then(Settings::from_value)
        {
            self.apply_settings(settings);
        }
        Ok(InitializeResult {
            capabilities: ServerCapabilities {
                position_encoding: Some(convert::encoding_kind(encoding)),
                text_document_sync: Some(TextDocumentSyncCapability::Options(
                    TextDocumentSyncOptions {
                        open_close: Some(true),
                        change: Some(TextDocumentSyncKind::INCREMENTAL),
                        save: Some(TextDocumentSyncSaveOptions::Supported(true)),
                        ..TextDocumentSyncOptions::default()
                    },
                )),
                hover_provider: Some(HoverProviderCapability::Simple(true)),
                completion_provider: Some(CompletionOptions {
                    // `"` opens a value or key, `:` follows `kms`, `.` splits
                    // a ViaService endpoint.
                    trigger_characters: Some(vec!["\"".into(), ":".into(), ".".into()]),
                    ..CompletionOptions::default()
                }),
                code_action_provider: Some(CodeActionProviderCapability::Options(
                    CodeActionOptions {
                        code_action_kinds: Some(vec![
                            CodeActionKind::QUICKFIX,
                            CodeActionKind::from(FIX_ALL_KIND),
                        ]),
                        ..CodeActionOptions::default()
                    },
                )),
                document_symbol_provider: Some(OneOf::Left(true)),
                ..ServerCapabilities::default()
            },
            server_info: Some(ServerInfo {
                name: "policy-lsp".into(),
                version: Some(env!("CARGO_PKG_VERSION").into()),
            }),
        })
    }

    async fn initialized(&self, _: InitializedParams) {
        if self.state().watch_files_dynamically {
            let options = DidChangeWatchedFilesRegistrationOptions {
                watchers: vec![
                    FileSystemWatcher {
                        glob_pattern: GlobPattern::String(format!(
                            "**/{}",
                            policy_workspace::FILE_NAME
                        )),
                        kind: None,
                    },
                    // The rule files of the packs the configs name.
                    FileSystemWatcher {
                        glob_pattern: GlobPattern::String("**/*.toml".into()),
                        kind: None,
                    },
                ],
            };
            let registration = Registration {
                id: "policy-check-config-watcher".into(),
                method: "workspace/didChangeWatchedFiles".into(),
                register_options: serde_json::to_value(options).ok(),
            };
            if let Err(err) = self.client.register_capability(vec![registration]).await {
                eprintln!(
                    "policy-lsp: cannot watch {}: {err}",
                    policy_workspace::FILE_NAME
                );
            }
        }
        if let Some(settings) = self.pull_settings().await {
            self.apply_settings(settings);
            self.reanalyze_all();
        }
        self.send_status().await;
    }

    async fn shutdown(&self) -> Result<()> {
        Ok(())
    }

    async fn did_open(&self, params: DidOpenTextDocumentParams) {
        let item = params.text_document;
        let document = Document::new(&item.uri, item.version, item.text);
        lock(&self.pipeline.documents).open(item.uri.clone(), document);
        self.schedule_analysis(&item.uri);
    }

    async fn did_change(&self, params: DidChangeTextDocumentParams) {
        let uri = params.text_document.uri;
        let encoding = self.encoding();
        {
            let mut store = lock(&self.pipeline.documents);
            let Some(document) = store.get_mut(&uri) else {
                // A change to a document that was never opened: nothing to apply it to.
                return;
            };
            document.apply_changes(
                &params.content_changes,
                params.text_document.version,
                encoding,
            );
        }
        self.schedule_analysis(&uri);
    }

    async fn did_save(&self, params: DidSaveTextDocumentParams) {
        // Clients that cannot watch files still tell us when the config is
        // saved from the editor.
        if self.is_settings_file(&params.text_document.uri) {
            self.reload_configs().await;
        }
    }

    async fn did_close(&self, params: DidCloseTextDocumentParams) {
        let uri = params.text_document.uri;
        let closed = lock(&self.pipeline.documents).close(&uri);
        let Some(closed) = closed else {
            return;
        };
        // The modules that published to it, or read it, read it from disk
        // now; they are analysed again for their other open documents.
        let path = closed.path.as_deref().map(hosts::normalize);
        let modules: Vec<PathBuf> = {
            let store = lock(&self.pipeline.documents);
            self.pipeline
                .modules()
                .iter()
                .filter(|(_, record)| {
                    let involved = record.targets.contains(&uri)
                        || path.as_ref().is_some_and(|p| record.read.contains(p));
                    involved
                        && record
                            .targets
                            .iter()
                            .any(|t| t != &uri && store.get(t).is_some())
                })
                .map(|(dir, _)| dir.clone())
                .collect()
        };
        if closed.published {
            self.pipeline.publisher.send(Job::Clear { uri });
        }
        if !modules.is_empty() {
            self.schedule(&[], modules);
        }
    }

    async fn did_change_configuration(&self, params: DidChangeConfigurationParams) {
        // Push-style clients send the settings; pull-style ones send `null`
        // and expect us to ask.
        let settings = match Settings::from_value(&params.settings) {
            Some(settings) => Some(settings),
            None => self.pull_settings().await,
        };
        if let Some(settings) = settings {
            self.apply_settings(settings);
        }
        self.reanalyze_all();
    }

    async fn did_change_watched_files(&self, params: DidChangeWatchedFilesParams) {
        if params
            .changes
            .iter()
            .any(|change| self.is_settings_file(&change.uri))
        {
            self.reload_configs().await;
        }
    }

    async fn hover(&self, params: HoverParams) -> Result<Option<Hover>> {
        let position = params.text_document_position_params.position;
        let uri = params.text_document_position_params.text_document.uri;
        Ok(self
            .with_source(&uri, move |snapshot, source| {
                let mapper = snapshot.mapper();
                let offset = mapper.offset(position);
                let found = match source {
                    Source::Json => hover::hover(&snapshot.text, offset),
                    Source::Host(host) => {
                        let policies = source.policies(snapshot);
                        embedded::hover(&policies, &hosts::host_path(snapshot), offset).or_else(
                            || {
                                // A template file's text is JSON too.
                                host.reads_as_json()
                                    .then(|| hover::hover(&snapshot.text, offset))
                                    .flatten()
                            },
                        )
                    }
                }?;
                Some(Hover {
                    contents: HoverContents::Markup(MarkupContent {
                        kind: MarkupKind::Markdown,
                        value: found.markdown,
                    }),
                    range: found.range.map(|r| mapper.range(r)),
                })
            })
            .await)
    }

    async fn completion(&self, params: CompletionParams) -> Result<Option<CompletionResponse>> {
        let position = params.text_document_position.position;
        let uri = params.text_document_position.text_document.uri;
        let snippets = self.state().snippets;
        Ok(self
            .with_source(&uri, move |snapshot, source| {
                let mapper = snapshot.mapper();
                let offset = mapper.offset(position);
                let items = match source {
                    Source::Json => completion::complete(&snapshot.text, offset, snippets),
                    Source::Host(host) => {
                        let syntax = Syntax::of(host.kind, &snapshot.text);
                        let path = hosts::host_path(snapshot);
                        let items = embedded::complete(
                            &snapshot.text,
                            offset,
                            &path,
                            syntax,
                            snippets,
                            |probe| {
                                let probe = Snapshot {
                                    text: Arc::new(probe.to_string()),
                                    ..snapshot.clone()
                                };
                                source.policies(&probe)
                            },
                        );
                        if items.is_empty() && host.reads_as_json() {
                            completion::complete(&snapshot.text, offset, snippets)
                        } else {
                            items
                        }
                    }
                };
                let items: Vec<CompletionItem> = items
                    .into_iter()
                    .map(|item| CompletionItem {
                        kind: Some(completion_kind(item.kind)),
                        detail: item.detail,
                        documentation: item.documentation.map(|value| {
                            Documentation::MarkupContent(MarkupContent {
                                kind: MarkupKind::Markdown,
                                value,
                            })
                        }),
                        sort_text: Some(format!("{}{}", item.sort_group, item.label)),
                        filter_text: Some(item.label.clone()),
                        insert_text_format: Some(if item.snippet {
                            InsertTextFormat::SNIPPET
                        } else {
                            InsertTextFormat::PLAIN_TEXT
                        }),
                        text_edit: Some(CompletionTextEdit::Edit(TextEdit::new(
                            mapper.range(item.range),
                            item.insert,
                        ))),
                        additional_text_edits: (!item.additional.is_empty()).then(|| {
                            item.additional
                                .iter()
                                .map(|e| TextEdit::new(mapper.range(e.range), e.insert.clone()))
                                .collect()
                        }),
                        tags: item.deprecated.then(|| vec![CompletionItemTag::DEPRECATED]),
                        label: item.label,
                        ..CompletionItem::default()
                    })
                    .collect();
                Some(CompletionResponse::List(CompletionList {
                    is_incomplete: false,
                    items,
                }))
            })
            .await)
    }

    async fn code_action(&self, params: CodeActionParams) -> Result<Option<CodeActionResponse>> {
        let uri = params.text_document.uri;
        // The analysis the diagnostics were published from; if it is not for
        // the current text yet (a large document or a module still being
        // analysed), one is run now.
        let current = {
            let store = lock(&self.pipeline.documents);
            let Some(document) = store.get(&uri).filter(|d| self.speaks_about(d)) else {
                return Ok(None);
            };
            document
                .analysis
                .clone()
                .filter(|a| a.version == document.version)
        };
        let scope = match current {
            Some(_) => None,
            None => {
                let store = lock(&self.pipeline.documents);
                store.get(&uri).map(|document| {
                    let config = self.config_for(document.path.as_deref());
                    self.scope_for(document, &config)
                })
            }
        };
        let only = params.context.only;
        let range = params.range;
        Ok(self
            .with_source(&uri, move |snapshot, source| {
                let analysis = match current {
                    Some(analysis) => analysis,
                    None => Arc::new(fresh_analysis(snapshot, source, &scope.unwrap_or_default())),
                };
                let mapper = snapshot.mapper();
                let actions = code_action::code_actions(
                    &analysis,
                    &snapshot.uri,
                    &mapper,
                    mapper.text_range(range),
                    only.as_deref(),
                );
                Some(actions)
            })
            .await)
    }

    async fn document_symbol(
        &self,
        params: DocumentSymbolParams,
    ) -> Result<Option<DocumentSymbolResponse>> {
        let uri = params.text_document.uri;
        Ok(self
            .with_source(&uri, |snapshot, source| {
                let mapper = snapshot.mapper();
                let found = match source {
                    Source::Json => symbols::document_symbols(&mapper),
                    Source::Host(host) => {
                        let policies = source.policies(snapshot);
                        let found =
                            symbols::host_symbols(&policies, &hosts::host_path(snapshot), &mapper);
                        if found.is_empty() && host.reads_as_json() {
                            symbols::document_symbols(&mapper)
                        } else {
                            found
                        }
                    }
                };
                Some(DocumentSymbolResponse::Nested(found))
            })
            .await)
    }
}

/// An analysis of the document's current text, for a code action asked
/// before the published one caught up.
fn fresh_analysis(snapshot: &Snapshot, source: &Source, scope: &Scope) -> DocumentAnalysis {
    let version = snapshot.version();
    match source {
        Source::Host(host) => {
            let mut result = hosts::analyze(
                &host.unit,
                Some(snapshot),
                &host.open,
                &host.disk,
                &scope.options,
            );
            let files: Arc<[FileRead]> = std::mem::take(&mut result.files).into();
            analysis::host_document(&result, &files, &hosts::host_path(snapshot), version, scope)
        }
        Source::Json => {
            let reader = hosts::reader_of(&hosts::host_path(snapshot), &snapshot.text, None);
            match reader {
                Some(HostKind::Template) => {
                    let unit = Unit::File(HostKind::Template);
                    let open = [snapshot.clone()];
                    let mut result = hosts::analyze(
                        &unit,
                        Some(snapshot),
                        &open,
                        &DiskCache::default(),
                        &scope.options,
                    );
                    let files: Arc<[FileRead]> = std::mem::take(&mut result.files).into();
                    let path = hosts::host_path(snapshot);
                    analysis::host_document(&result, &files, &path, version, scope)
                }
                _ => analysis::run(&snapshot.text, version, scope),
            }
        }
    }
}
