//! The LSP server: protocol handlers wired to the document store, the
//! analysis pipeline and the editor features.
//!
//! Ordering rule: every notification that changes a document updates the
//! store synchronously, before its handler awaits anything; the analysis and
//! the publication then go through [`Pipeline`], which never publishes a
//! result for a version the document has moved past (see `publisher`).

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, RwLock};

use globset::GlobSet;
use policy_analyzer::{AnalyzeOptions, PositionEncoding};
use tower_lsp_server::jsonrpc::Result;
use tower_lsp_server::lsp_types::*;
use tower_lsp_server::{Client, LanguageServer};

use crate::analysis::{self, Panicked, Scope};
use crate::code_action::{self, FIX_ALL_KIND};
use crate::completion::{self, ItemKind};
use crate::config::{self, ConfigCache, ProjectConfig};
use crate::documents::{file_path, Document, DocumentStore, Snapshot};
use crate::publisher::{lock, Job, Publisher};
use crate::settings::{self, Settings};
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
    include: GlobSet,
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
            include: GlobSet::empty(),
            roots: Vec::new(),
            snippets: false,
            watch_files_dynamically: false,
            pull_configuration: false,
        }
    }
}

impl ServerState {
    fn set_settings(&mut self, settings: Settings) -> Vec<String> {
        let (include, problems) = config::compile_globs(&settings.include);
        self.include = include;
        self.settings = settings;
        problems
    }

    fn included_by_settings(&self, path: &Path) -> bool {
        self.include.is_match(path)
            || self.roots.iter().any(|root| {
                path.strip_prefix(root)
                    .is_ok_and(|rel| self.include.is_match(rel))
            })
    }
}

/// Analyses documents and queues their diagnostics. Cheap to clone, so that
/// large documents can be analysed on a blocking thread.
#[derive(Clone)]
struct Pipeline {
    documents: Arc<Mutex<DocumentStore>>,
    publisher: Publisher,
}

impl Pipeline {
    /// Analyses one version of a document and queues the result, unless the
    /// document has moved on in the meantime.
    fn analyze(&self, snapshot: Snapshot, scope: Scope) {
        let uri = &snapshot.uri;
        // A burst of edits to a large document queues one analysis per
        // version; the stale ones skip the work.
        if !lock(&self.documents).is_current(uri, snapshot.revision) {
            return;
        }
        let analysis = match analysis::run(&snapshot.text, snapshot.version(), &scope) {
            Ok(analysis) => analysis,
            Err(Panicked(panic)) => {
                // The findings published for an earlier version stay: an
                // empty list would tell the user the bug fixed their policy.
                eprintln!(
                    "policy-lsp: the analyzer panicked on {} (version {}): {panic}",
                    uri.as_str(),
                    snapshot.version()
                );
                return;
            }
        };
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
        document.seen_policy |= analysis.is_policy;
        let publish = analysis.shown || document.published;
        document.published = analysis.shown;
        document.analysis = Some(Arc::new(analysis));
        if publish {
            self.publisher.send(Job::Publish {
                uri: uri.clone(),
                revision: snapshot.revision,
                diagnostics,
            });
        }
    }
}

pub struct Backend {
    client: Client,
    pipeline: Pipeline,
    state: RwLock<ServerState>,
    configs: Mutex<ConfigCache>,
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
            },
            state: RwLock::new(ServerState::default()),
            configs: Mutex::new(ConfigCache::default()),
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

    /// The config governing `path`; problems in a freshly read config are
    /// shown to the user once.
    fn config_for(&self, path: Option<&Path>) -> Option<Arc<ProjectConfig>> {
        let lookup = self
            .configs
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .for_document(path?);
        if let Some(config) = lookup.config.as_ref().filter(|_| lookup.freshly_loaded) {
            if !config.problems.is_empty() {
                self.warn(format!(
                    "policy-check: {}:\n{}",
                    config.file.display(),
                    config.problems.join("\n")
                ));
            }
        }
        lookup.config
    }

    /// Shows a warning without making the caller await (handlers that hold
    /// the store must not await).
    fn warn(&self, message: String) {
        let client = self.client.clone();
        tokio::spawn(async move {
            client.show_message(MessageType::WARNING, message).await;
        });
    }

    fn scope_for(&self, document: &Document, config: Option<&ProjectConfig>) -> Scope {
        let state = self.state();
        let included = document.path.as_deref().is_some_and(|path| {
            state.included_by_settings(path) || config.is_some_and(|c| c.includes(path))
        });
        Scope {
            options: AnalyzeOptions {
                rules: config.map(|c| c.rules.clone()).unwrap_or_default(),
                profile: None,
            },
            enabled: state.settings.enable,
            min_severity: state.settings.min_severity,
            included,
            seen_policy: document.seen_policy,
        }
    }

    /// Analyses the current version of `uri`: inline for ordinary documents
    /// (tens of microseconds), on a blocking thread for large ones.
    fn schedule_analysis(&self, uri: &Uri) {
        let encoding = self.encoding();
        let (snapshot, scope) = {
            let store = lock(&self.pipeline.documents);
            let Some(document) = store.get(uri) else {
                return;
            };
            let config = self.config_for(document.path.as_deref());
            (
                document.snapshot(uri, encoding),
                self.scope_for(document, config.as_deref()),
            )
        };
        if snapshot.text.len() < LARGE_DOCUMENT {
            self.pipeline.analyze(snapshot, scope);
        } else {
            let pipeline = self.pipeline.clone();
            tokio::task::spawn_blocking(move || pipeline.analyze(snapshot, scope));
        }
    }

    fn reanalyze_all(&self) {
        let uris = lock(&self.pipeline.documents).uris();
        for uri in uris {
            self.schedule_analysis(&uri);
        }
    }

    /// Whether the server speaks about `document` at all: when enabled, and
    /// the document is (or was, since it opened) a policy or is named by an
    /// `include` glob. The features stay silent elsewhere, so that attaching
    /// the server to every JSON file adds no completions to `package.json`.
    fn speaks_about(&self, document: &Document) -> bool {
        if !self.state().settings.enable {
            return false;
        }
        document.seen_policy || {
            let config = self.config_for(document.path.as_deref());
            self.scope_for(document, config.as_deref()).included
        }
    }

    /// The current text of `uri`, if the server speaks about it.
    fn snapshot(&self, uri: &Uri) -> Option<Snapshot> {
        let encoding = self.encoding();
        let store = lock(&self.pipeline.documents);
        let document = store.get(uri)?;
        self.speaks_about(document)
            .then(|| document.snapshot(uri, encoding))
    }

    /// Runs a read-only feature on the current text of `uri`. A panic in a
    /// feature (a bug) answers "nothing here" instead of ending the session.
    async fn with_snapshot<T, F>(&self, uri: &Uri, feature: F) -> Option<T>
    where
        T: Send + 'static,
        F: FnOnce(&Snapshot) -> Option<T> + Send + 'static,
    {
        let snapshot = self.snapshot(uri)?;
        let large = snapshot.text.len() >= LARGE_DOCUMENT;
        let run = move || {
            catch_unwind(AssertUnwindSafe(|| feature(&snapshot))).unwrap_or_else(|_| {
                eprintln!(
                    "policy-lsp: a request on {} panicked",
                    snapshot.uri.as_str()
                );
                None
            })
        };
        if large {
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

    /// Drops every cached config, looks each open document's up again and
    /// re-publishes.
    fn reload_configs(&self) {
        self.configs
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .clear();
        self.reanalyze_all();
    }
}

fn is_config_file(uri: &Uri) -> bool {
    file_path(uri).is_some_and(|p| p.file_name().is_some_and(|n| n == config::FILE_NAME))
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
                watchers: vec![FileSystemWatcher {
                    glob_pattern: GlobPattern::String(format!("**/{}", config::FILE_NAME)),
                    kind: None,
                }],
            };
            let registration = Registration {
                id: "policy-check-config-watcher".into(),
                method: "workspace/didChangeWatchedFiles".into(),
                register_options: serde_json::to_value(options).ok(),
            };
            if let Err(err) = self.client.register_capability(vec![registration]).await {
                eprintln!("policy-lsp: cannot watch {}: {err}", config::FILE_NAME);
            }
        }
        if let Some(settings) = self.pull_settings().await {
            self.apply_settings(settings);
            self.reanalyze_all();
        }
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
        if is_config_file(&params.text_document.uri) {
            self.reload_configs();
        }
    }

    async fn did_close(&self, params: DidCloseTextDocumentParams) {
        let uri = params.text_document.uri;
        let closed = lock(&self.pipeline.documents).close(&uri);
        if closed.is_some_and(|d| d.published) {
            self.pipeline.publisher.send(Job::Clear { uri });
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
            .any(|change| is_config_file(&change.uri))
        {
            self.reload_configs();
        }
    }

    async fn hover(&self, params: HoverParams) -> Result<Option<Hover>> {
        let position = params.text_document_position_params.position;
        let uri = params.text_document_position_params.text_document.uri;
        Ok(self
            .with_snapshot(&uri, move |snapshot| {
                let mapper = snapshot.mapper();
                let found = hover::hover(&snapshot.text, mapper.offset(position))?;
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
            .with_snapshot(&uri, move |snapshot| {
                let mapper = snapshot.mapper();
                let items = completion::complete(&snapshot.text, mapper.offset(position), snippets);
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
        // the current text yet (a large document still being analysed), one
        // is run now.
        let (analysis, scope) = {
            let store = lock(&self.pipeline.documents);
            let Some(document) = store.get(&uri).filter(|d| self.speaks_about(d)) else {
                return Ok(None);
            };
            let current = document
                .analysis
                .clone()
                .filter(|a| a.version == document.version);
            let scope = current.is_none().then(|| {
                let config = self.config_for(document.path.as_deref());
                self.scope_for(document, config.as_deref())
            });
            (current, scope)
        };
        let only = params.context.only;
        let range = params.range;
        Ok(self
            .with_snapshot(&uri, move |snapshot| {
                let analysis = match analysis {
                    Some(analysis) => analysis,
                    None => Arc::new(
                        analysis::run(
                            &snapshot.text,
                            snapshot.version(),
                            &scope.unwrap_or_default(),
                        )
                        .ok()?,
                    ),
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
            .with_snapshot(&uri, |snapshot| {
                Some(DocumentSymbolResponse::Nested(symbols::document_symbols(
                    &snapshot.mapper(),
                )))
            })
            .await)
    }
}
