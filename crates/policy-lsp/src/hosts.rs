//! Documents that hold key policies inside something else: which reader a
//! document needs, the files a Terraform module is read with, and the
//! analyses and rendered policies of a host.
//!
//! A JSON policy is one document and one analysis. A CloudFormation template
//! is too, through its host reader. A Terraform file is not: Terraform reads
//! every `.tf` file of a folder as one module, and `file()` and
//! `templatefile()` read more. So an edit in one document can change the
//! findings of several, and a finding can belong to a document other than
//! the one edited. This module gathers a module's files (an open document's
//! text first, the disk otherwise) and records every file an analysis read,
//! so that the server can publish to each open one.

use std::cell::RefCell;
use std::collections::HashMap;
use std::io::Read as _;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Component, Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::SystemTime;

use policy_analyzer::host::{
    self, is_terraform_module_file, EmbeddedPolicy, HostFile, HostKind, Loader,
};
use policy_analyzer::{AnalyzeOptions, Diagnostic};
use tower_lsp_server::lsp_types::Uri;

use crate::documents::Snapshot;

/// How a document is analysed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Unit {
    /// A key policy document: `policy_analyzer::analyze` on its text.
    Policy,
    /// A file a host reader reads on its own: a CloudFormation template, a
    /// Terraform plan, a template file no module renders.
    File(HostKind),
    /// The Terraform module of this folder: the document is one of its files,
    /// or a file its `file()` or `templatefile()` reads.
    Module(PathBuf),
}

/// The path an analysis names a document by (`Diagnostic::file`): its file
/// system path, or for a document without one (an unsaved buffer) its URI.
pub fn host_path(snapshot: &Snapshot) -> String {
    match &snapshot.path {
        Some(path) => path.to_string_lossy().into_owned(),
        None => snapshot.uri.as_str().to_string(),
    }
}

/// The reader a document's text needs: what its name and text say, unless
/// that is only "a policy, perhaps" (or nothing) and an earlier text was
/// recognised as more. While a template is being edited its marks can vanish
/// for a moment (a deleted `AWSTemplateFormatVersion` line), and that must
/// not turn it into a JSON policy or into nothing.
pub fn reader_of(path: &str, text: &str, seen: Option<HostKind>) -> Option<HostKind> {
    match HostKind::detect(path, text) {
        Some(kind) if kind != HostKind::Policy => Some(kind),
        detected => seen.or(detected),
    }
}

/// The folder whose module a document belongs to as one of its files.
pub fn module_of(path: Option<&Path>) -> Option<PathBuf> {
    let path = path?;
    let name = path.file_name()?.to_str()?;
    is_terraform_module_file(name).then(|| path.parent().map(Path::to_path_buf))?
}

/// A path with `.` and `..` taken out lexically, so that the paths a host
/// reader joins (`dir/./policy.json`, `dir/../shared/key.json.tpl`) compare
/// equal to the documents' own.
pub fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for component in path.components() {
        match component {
            Component::CurDir => {}
            Component::ParentDir => {
                if !out.pop() {
                    out.push("..");
                }
            }
            other => out.push(other),
        }
    }
    out
}

/// Files larger than this are not read from disk (as in the CLI).
const MAX_FILE_BYTES: u64 = 64 * 1024 * 1024;

/// Entries the disk cache holds before it starts over.
const DISK_CACHE_ENTRIES: usize = 4096;

/// The texts of files read from disk, by path, kept while their size and
/// modification time stay the same: a module is read again on every
/// keystroke in one of its files, and its other files rarely change.
#[derive(Debug, Default)]
pub struct DiskCache {
    files: Mutex<HashMap<PathBuf, Cached>>,
}

/// A file's modification time and size when read, and its text.
type Cached = (SystemTime, u64, Arc<String>);

impl DiskCache {
    pub fn read(&self, path: &Path) -> Result<Arc<String>, String> {
        let metadata = std::fs::metadata(path).map_err(|e| e.to_string())?;
        if !metadata.is_file() {
            return Err("not a file".into());
        }
        let stamp = (
            metadata.modified().unwrap_or(SystemTime::UNIX_EPOCH),
            metadata.len(),
        );
        {
            let files = self.lock();
            if let Some((modified, len, text)) = files.get(path) {
                if (*modified, *len) == stamp {
                    return Ok(Arc::clone(text));
                }
            }
        }
        if metadata.len() > MAX_FILE_BYTES {
            return Err(format!(
                "file too large: {} MiB (the limit is {} MiB)",
                metadata.len() / (1024 * 1024),
                MAX_FILE_BYTES / (1024 * 1024)
            ));
        }
        let mut bytes = Vec::new();
        std::fs::File::open(path)
            .and_then(|file| file.take(MAX_FILE_BYTES).read_to_end(&mut bytes))
            .map_err(|e| e.to_string())?;
        let text = Arc::new(String::from_utf8(bytes).map_err(|e| format!("not UTF-8 text: {e}"))?);
        let mut files = self.lock();
        if files.len() >= DISK_CACHE_ENTRIES {
            files.clear();
        }
        files.insert(path.to_path_buf(), (stamp.0, stamp.1, Arc::clone(&text)));
        Ok(text)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<PathBuf, Cached>> {
        self.files
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// A file an analysis read.
#[derive(Clone, Debug)]
pub struct FileRead {
    /// As the analysis names it (`Diagnostic::file`).
    pub path: String,
    pub text: Arc<String>,
    /// The open document it came from (an index into the snapshots the
    /// analysis was given), or `None` when it came from disk.
    pub open: Option<usize>,
    /// That document's URI, as the client spells it.
    pub uri: Option<Uri>,
}

/// The files a host reader may read: the open documents' texts first (what
/// the user sees, saved or not), the disk otherwise. Remembers what it gave.
pub struct Sources<'a> {
    open: &'a [Snapshot],
    /// `open`'s paths, normalised.
    open_paths: Vec<Option<PathBuf>>,
    disk: &'a DiskCache,
    read: RefCell<Vec<FileRead>>,
}

impl<'a> Sources<'a> {
    pub fn new(open: &'a [Snapshot], disk: &'a DiskCache) -> Self {
        Sources {
            open,
            open_paths: open
                .iter()
                .map(|s| s.path.as_deref().map(normalize))
                .collect(),
            disk,
            read: RefCell::new(Vec::new()),
        }
    }

    fn open_index(&self, path: &Path) -> Option<usize> {
        let path = normalize(path);
        self.open_paths
            .iter()
            .position(|p| p.as_deref() == Some(path.as_path()))
    }

    /// The text of `path`, recorded under the name the caller used.
    fn fetch(&self, path: &str) -> Result<Arc<String>, String> {
        if let Some(done) = self.read.borrow().iter().find(|f| f.path == path) {
            return Ok(Arc::clone(&done.text));
        }
        let (text, open) = match self.open_index(Path::new(path)) {
            Some(i) => (Arc::clone(&self.open[i].text), Some(i)),
            None => (self.disk.read(&normalize(Path::new(path)))?, None),
        };
        self.read.borrow_mut().push(FileRead {
            path: path.to_string(),
            text: Arc::clone(&text),
            open,
            uri: open.map(|i| self.open[i].uri.clone()),
        });
        Ok(text)
    }

    /// The `.tf`, `.tf.json` and variable files of the module in `dir`:
    /// those on disk and those open (also when never saved), in name order.
    fn module_files(&self, dir: &Path) -> Vec<String> {
        let mut paths: Vec<PathBuf> = std::fs::read_dir(dir)
            .map(|entries| {
                entries
                    .filter_map(|e| e.ok())
                    .filter(|e| e.file_type().is_ok_and(|t| t.is_file()))
                    .map(|e| e.path())
                    .filter(|p| module_of(Some(p)).is_some())
                    .collect()
            })
            .unwrap_or_default();
        let dir = normalize(dir);
        for path in self.open_paths.iter().flatten() {
            if module_of(Some(path)).as_deref() == Some(dir.as_path())
                && !paths.iter().any(|p| normalize(p) == *path)
            {
                paths.push(path.clone());
            }
        }
        paths.sort();
        paths
            .into_iter()
            .map(|p| p.to_string_lossy().into_owned())
            .collect()
    }

    pub fn into_read(self) -> Vec<FileRead> {
        self.read.into_inner()
    }
}

impl Loader for Sources<'_> {
    fn load(&self, path: &str) -> Result<String, String> {
        self.fetch(path).map(|text| text.as_str().to_owned())
    }
}

/// What a host analysis found.
#[derive(Debug, Default)]
pub struct HostResult {
    /// How many key policies the document or module holds.
    pub policies: usize,
    /// Every finding, each with its file.
    pub diagnostics: Vec<Diagnostic>,
    /// Every file read, the analysed document or the module's files first.
    pub files: Vec<FileRead>,
    /// The analyzer panicked (a bug); the message is for the log.
    pub panic: Option<String>,
}

/// Analyses a host document (`trigger`, one of `open`) or a module with the
/// reader `unit` names. Never panics.
pub fn analyze(
    unit: &Unit,
    trigger: Option<&Snapshot>,
    open: &[Snapshot],
    disk: &DiskCache,
    options: &AnalyzeOptions,
) -> HostResult {
    let sources = Sources::new(open, disk);
    let outcome = catch_unwind(AssertUnwindSafe(|| {
        with_files(unit, trigger, &sources, |kind, files| match kind {
            Some(kind) => host::analyze_file(kind, files[0], &sources, options),
            None => host::terraform::analyze_module(files, &sources, options),
        })
    }));
    let (analysis, panic) = match outcome {
        Ok(analysis) => (analysis.unwrap_or_default(), None),
        Err(payload) => (Default::default(), Some(panic_message(payload))),
    };
    HostResult {
        policies: analysis.policies,
        diagnostics: analysis.diagnostics,
        files: sources.into_read(),
        panic,
    }
}

/// The key policies of a host document or module, rendered, for the editor
/// features. `open` may hold a document's text as edited for the occasion
/// (completion's probe); `None` when there is nothing to read or it panicked.
pub fn policies(
    unit: &Unit,
    trigger: Option<&Snapshot>,
    open: &[Snapshot],
    disk: &DiskCache,
    options: &AnalyzeOptions,
) -> Vec<EmbeddedPolicy> {
    let sources = Sources::new(open, disk);
    catch_unwind(AssertUnwindSafe(|| {
        with_files(unit, trigger, &sources, |kind, files| match kind {
            Some(kind) => host::policies(kind, files[0], &sources, options),
            None => host::terraform::policies(files, &sources, options),
        })
    }))
    .ok()
    .flatten()
    .unwrap_or_default()
}

/// Reads the unit's files through `sources` and calls `read` with them: the
/// document alone and its reader, or the module's files and `None`.
fn with_files<T>(
    unit: &Unit,
    trigger: Option<&Snapshot>,
    sources: &Sources<'_>,
    read: impl FnOnce(Option<HostKind>, &[HostFile<'_>]) -> T,
) -> Option<T> {
    let (kind, paths) = match unit {
        Unit::Policy => (Some(HostKind::Policy), vec![host_path(trigger?)]),
        Unit::File(kind) => (Some(*kind), vec![host_path(trigger?)]),
        Unit::Module(dir) => (None, sources.module_files(dir)),
    };
    let mut texts = Vec::with_capacity(paths.len());
    for path in paths {
        // The trigger is read from its snapshot even without a file path.
        let text = match trigger.filter(|t| host_path(t) == path) {
            Some(t) => {
                let index = sources.open.iter().position(|s| s.uri == t.uri);
                sources.read.borrow_mut().push(FileRead {
                    path: path.clone(),
                    text: Arc::clone(&t.text),
                    open: index,
                    uri: Some(t.uri.clone()),
                });
                Arc::clone(&t.text)
            }
            // A member that cannot be read (gone, not UTF-8) is left out, as
            // a module without it is what Terraform would fail on anyway.
            None => match sources.fetch(&path) {
                Ok(text) => text,
                Err(_) => continue,
            },
        };
        texts.push((path, text));
    }
    if texts.is_empty() {
        return None;
    }
    let files: Vec<HostFile<'_>> = texts
        .iter()
        .map(|(path, text)| HostFile { path, text })
        .collect();
    Some(read(kind, &files))
}

pub fn panic_message(payload: Box<dyn std::any::Any + Send>) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "unknown panic".to_string())
}

/// The module folders, among a template file's folder and the two above it
/// (where modules keep `templates/` and `policies/`), whose `templatefile()`
/// calls render `path`: such a template is checked through its module, as
/// the CLI does.
pub fn modules_rendering(path: &Path, open: &[Snapshot], disk: &DiskCache) -> Option<PathBuf> {
    let target = normalize(path);
    let sources = Sources::new(open, disk);
    for dir in path.ancestors().skip(1).take(3) {
        let paths = sources.module_files(dir);
        if paths.is_empty() {
            continue;
        }
        let texts: Vec<(String, Arc<String>)> = paths
            .into_iter()
            .filter_map(|p| Some((p.clone(), sources.fetch(&p).ok()?)))
            .collect();
        let files: Vec<HostFile<'_>> = texts
            .iter()
            .map(|(path, text)| HostFile { path, text })
            .collect();
        let rendered = catch_unwind(AssertUnwindSafe(|| host::terraform::files_read(&files)))
            .unwrap_or_default();
        if rendered.iter().any(|r| normalize(Path::new(r)) == target) {
            return Some(dir.to_path_buf());
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use std::str::FromStr;

    use policy_analyzer::{LineIndex, PositionEncoding};

    use super::*;
    use crate::documents::Revision;

    pub fn snapshot(path: &Path, text: &str) -> Snapshot {
        Snapshot {
            uri: Uri::from_str(&format!("file://{}", path.display())).unwrap(),
            path: Some(path.to_path_buf()),
            revision: Revision {
                opened: 1,
                version: 1,
            },
            text: Arc::new(text.to_string()),
            line_index: Arc::new(LineIndex::new(text)),
            encoding: PositionEncoding::Utf16,
        }
    }

    #[test]
    fn paths_normalise_lexically() {
        assert_eq!(
            normalize(Path::new("/a/b/./c/../d.json")),
            PathBuf::from("/a/b/d.json")
        );
        assert_eq!(normalize(Path::new("../x")), PathBuf::from("../x"));
    }

    #[test]
    fn module_files_are_terraform_files_and_variables() {
        assert_eq!(
            module_of(Some(Path::new("/m/main.tf"))),
            Some(PathBuf::from("/m"))
        );
        assert!(module_of(Some(Path::new("/m/terraform.tfvars"))).is_some());
        assert!(module_of(Some(Path::new("/m/x.auto.tfvars.json"))).is_some());
        assert!(module_of(Some(Path::new("/m/policy.json.tpl"))).is_none());
        assert!(module_of(None).is_none());
    }

    #[test]
    fn a_recognised_reader_survives_a_text_that_hides_it() {
        let yaml = "Resources:\n  Key:\n    Type: AWS::KMS::Key\n";
        assert_eq!(
            reader_of("t.yaml", yaml, None),
            Some(HostKind::CloudFormation)
        );
        // The marks deleted for a moment.
        assert_eq!(reader_of("t.yaml", "Resources:\n", None), None);
        assert_eq!(
            reader_of("t.yaml", "Resources:\n", Some(HostKind::CloudFormation)),
            Some(HostKind::CloudFormation)
        );
        assert_eq!(
            reader_of(
                "t.json",
                "{\"Resources\": {}}",
                Some(HostKind::CloudFormation)
            ),
            Some(HostKind::CloudFormation)
        );
        // A policy that becomes a template is a template.
        assert_eq!(
            reader_of(
                "t.json",
                "{\"AWSTemplateFormatVersion\": \"2010-09-09\"}",
                Some(HostKind::Policy)
            ),
            Some(HostKind::CloudFormation)
        );
    }

    /// A temporary folder, removed afterwards.
    pub struct TempDir(pub PathBuf);

    impl TempDir {
        pub fn new(name: &str) -> TempDir {
            let dir =
                std::env::temp_dir().join(format!("policy-lsp-unit-{name}-{}", std::process::id()));
            let _ = std::fs::remove_dir_all(&dir);
            std::fs::create_dir_all(&dir).unwrap();
            TempDir(dir)
        }
    }

    impl Drop for TempDir {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }

    #[test]
    fn sources_read_open_documents_first_then_the_disk_and_remember_both() {
        let dir = TempDir::new("sources");
        std::fs::write(dir.0.join("main.tf"), "saved").unwrap();
        std::fs::write(dir.0.join("vars.tf"), "on disk").unwrap();
        std::fs::write(dir.0.join("README.md"), "not a module file").unwrap();
        std::fs::create_dir(dir.0.join("policies")).unwrap();
        std::fs::write(dir.0.join("policies/key.json.tpl"), "template").unwrap();
        let open = vec![
            snapshot(&dir.0.join("main.tf"), "edited, unsaved"),
            snapshot(&dir.0.join("new.tf"), "never saved"),
        ];
        let disk = DiskCache::default();
        let sources = Sources::new(&open, &disk);
        let members = sources.module_files(&dir.0);
        let names: Vec<&str> = members
            .iter()
            .map(|p| p.rsplit('/').next().unwrap())
            .collect();
        assert_eq!(names, ["main.tf", "new.tf", "vars.tf"]);
        assert_eq!(
            sources.load(&members[0]).unwrap(),
            "edited, unsaved",
            "the open text wins over the saved one"
        );
        assert_eq!(sources.load(&members[2]).unwrap(), "on disk");
        // A path the reader joined, with `.` and `..` in it.
        let joined = format!("{}/./policies/../policies/key.json.tpl", dir.0.display());
        assert_eq!(sources.load(&joined).unwrap(), "template");
        assert!(sources
            .load(&format!("{}/missing.json", dir.0.display()))
            .is_err());
        let read = sources.into_read();
        let origins: Vec<(&str, Option<usize>)> = read
            .iter()
            .map(|f| (f.path.rsplit('/').next().unwrap(), f.open))
            .collect();
        assert_eq!(
            origins,
            [
                ("main.tf", Some(0)),
                ("vars.tf", None),
                ("key.json.tpl", None)
            ]
        );
    }

    #[test]
    fn the_disk_cache_sees_a_changed_file() {
        let dir = TempDir::new("cache");
        let path = dir.0.join("a.tf");
        std::fs::write(&path, "one").unwrap();
        let cache = DiskCache::default();
        assert_eq!(cache.read(&path).unwrap().as_str(), "one");
        std::fs::write(&path, "three").unwrap();
        assert_eq!(cache.read(&path).unwrap().as_str(), "three");
        assert!(cache.read(&dir.0).is_err(), "a folder is not a file");
    }

    #[test]
    fn a_template_is_analysed_with_its_path_and_its_text() {
        let text = "AWSTemplateFormatVersion: '2010-09-09'\nResources:\n  Key:\n    Type: AWS::KMS::Key\n    Properties:\n      KeyPolicy:\n        Version: '2012-10-17'\n        Statement:\n          - Effect: Allow\n            Principal: {AWS: !Sub 'arn:aws:iam::${AWS::AccountId}:root'}\n            Action: kms:Decrypts\n            Resource: '*'\n";
        let open = vec![snapshot(Path::new("/nowhere/t.yaml"), text)];
        let disk = DiskCache::default();
        let result = analyze(
            &Unit::File(HostKind::CloudFormation),
            Some(&open[0]),
            &open,
            &disk,
            &AnalyzeOptions::default(),
        );
        assert_eq!(result.policies, 1);
        assert!(result.panic.is_none());
        let typo = result
            .diagnostics
            .iter()
            .find(|d| d.code == "PC201")
            .expect("the misspelled action");
        assert_eq!(typo.file.as_deref(), Some("/nowhere/t.yaml"));
        assert_eq!(&text[typo.range.as_usize()], "kms:Decrypts");
        assert_eq!(result.files.len(), 1);
        assert_eq!(result.files[0].open, Some(0));
    }
}
