//! Which files are checked, and how they are read: walking directories,
//! include and exclude, and the one place that picks a reader for a file.

use std::borrow::Cow;
use std::collections::HashSet;
use std::io::{self, Read};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use policy_analyzer::{analyze, analyze_bytes, Analysis, AnalyzeOptions};

use crate::config::ConfigError;
use crate::report::Problem;
use crate::settings::{Discovery, Overrides, Settings};

/// Files larger than this are reported instead of read (key policies are at
/// most 32 KB; the limit only guards memory).
pub const MAX_FILE_BYTES: u64 = 64 * 1024 * 1024;

/// What a read takes first: a key policy is at most 32 KB.
const FIRST_READ_BYTES: usize = 32 * 1024;

/// How a job's files become analyses. Which host reader a file needs is
/// decided by `policy_analyzer::host::HostKind::detect`, from its name and
/// text, once it is read; a Terraform module is one job for its folder.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Reader {
    /// One file: a key policy, a CloudFormation template, a template file,
    /// a Terraform plan.
    File,
    /// The `.tf`, `.tf.json` and variable files of one folder, read together.
    TerraformModule(Vec<PathBuf>),
}

/// A file as read, with its analysis.
pub struct Document<'b> {
    pub text: Cow<'b, str>,
    pub analysis: Analysis,
    /// Whether the bytes were UTF-8. A file that is not is reported even when
    /// the analyzer cannot tell whether it is a policy.
    pub utf8: bool,
}

/// Analyses a key policy's bytes.
pub fn read_policy<'b>(bytes: &'b [u8], options: &AnalyzeOptions) -> Document<'b> {
    match std::str::from_utf8(bytes) {
        Ok(text) => Document {
            analysis: analyze(text, options),
            text: Cow::Borrowed(text),
            utf8: true,
        },
        // The analyzer reports where the encoding breaks; the renderers
        // show the text with replacement characters.
        Err(_) => Document {
            analysis: analyze_bytes(bytes, options),
            text: String::from_utf8_lossy(bytes),
            utf8: false,
        },
    }
}

/// Where a file's bytes come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    File(PathBuf),
    Stdin,
}

/// One file to check.
pub struct Job {
    pub source: Source,
    /// The path shown to the user.
    pub display: String,
    /// The absolute path, for matching globs.
    pub absolute: PathBuf,
    /// Named on the command line (or standard input), not found by a walk:
    /// a file that is not a policy is then reported, not silently skipped.
    pub named: bool,
    pub reader: Reader,
    pub settings: Arc<Settings>,
}

impl Job {
    /// Reads the file, refusing more than [`MAX_FILE_BYTES`].
    pub fn read(&self) -> io::Result<Vec<u8>> {
        let mut bytes = Vec::new();
        let limit = MAX_FILE_BYTES + 1;
        match &self.source {
            Source::Stdin => {
                io::stdin().lock().take(limit).read_to_end(&mut bytes)?;
            }
            Source::File(path) => {
                let mut file = std::fs::File::open(path)?;
                // A key policy fits the first read; only a file that does not
                // is measured, so that a huge one is refused unread.
                bytes.reserve_exact(FIRST_READ_BYTES);
                (&mut file)
                    .take(FIRST_READ_BYTES as u64)
                    .read_to_end(&mut bytes)?;
                if bytes.len() == FIRST_READ_BYTES {
                    let len = file.metadata()?.len();
                    if len > MAX_FILE_BYTES {
                        return Err(too_large(len));
                    }
                    bytes.reserve_exact((len as usize + 1).saturating_sub(bytes.len()));
                    file.take(limit - bytes.len() as u64)
                        .read_to_end(&mut bytes)?;
                }
            }
        }
        if bytes.len() as u64 > MAX_FILE_BYTES {
            return Err(too_large(bytes.len() as u64));
        }
        Ok(bytes)
    }
}

fn too_large(len: u64) -> io::Error {
    io::Error::other(format!(
        "file too large: {} MiB (the limit is {} MiB; a key policy is at most 32 KB)",
        len / (1024 * 1024),
        MAX_FILE_BYTES / (1024 * 1024)
    ))
}

/// Reads the files a host names (Terraform's `file()` and `templatefile()`)
/// from the file system, under the same size limit as the files checked.
pub struct FsLoader;

impl policy_analyzer::host::Loader for FsLoader {
    fn load(&self, path: &str) -> Result<String, String> {
        let file = std::fs::File::open(path).map_err(|e| e.to_string())?;
        let mut bytes = Vec::new();
        file.take(MAX_FILE_BYTES + 1)
            .read_to_end(&mut bytes)
            .map_err(|e| e.to_string())?;
        if bytes.len() as u64 > MAX_FILE_BYTES {
            return Err(too_large(bytes.len() as u64).to_string());
        }
        String::from_utf8(bytes).map_err(|e| format!("not UTF-8 text: {e}"))
    }
}

/// Whether a file is read by a `templatefile()` or `file()` call of a
/// Terraform module in its folder or the two above it (where modules keep
/// `templates/` and `policies/` folders): such a module's check covers it.
pub fn read_by_a_module(file: &Path) -> bool {
    reading_module(file).is_some()
}

/// The folder of the Terraform module whose `templatefile()` or `file()`
/// reads `file`, looking up to three folders up.
pub fn reading_module(file: &Path) -> Option<PathBuf> {
    let target = std::fs::canonicalize(file).ok()?;
    file.ancestors()
        .skip(1)
        .take(3)
        .map(|dir| match dir.as_os_str().is_empty() {
            true => Path::new("."),
            false => dir,
        })
        .find(|dir| files_read_by_module_in(dir).contains(&target))
        .map(Path::to_path_buf)
}

/// The files (canonical paths) the Terraform module in `dir` reads, worked
/// out once per folder and run: every JSON file and template of a walk asks
/// about the folders above it.
fn files_read_by_module_in(dir: &Path) -> Arc<Vec<PathBuf>> {
    type Reads = std::collections::HashMap<PathBuf, Arc<Vec<PathBuf>>>;
    static READS: std::sync::OnceLock<Mutex<Reads>> = std::sync::OnceLock::new();
    let reads = READS.get_or_init(Mutex::default);
    if let Some(known) = reads.lock().expect("module reads lock").get(dir) {
        return Arc::clone(known);
    }
    let paths = terraform_module_files(dir).unwrap_or_default();
    let read = if paths.is_empty() {
        Vec::new()
    } else {
        let texts: Vec<(String, String)> = paths
            .iter()
            .filter_map(|p| Some((display(p), std::fs::read_to_string(p).ok()?)))
            .collect();
        let files: Vec<policy_analyzer::host::HostFile<'_>> = texts
            .iter()
            .map(|(path, text)| policy_analyzer::host::HostFile { path, text })
            .collect();
        policy_analyzer::host::terraform::files_read(&files)
            .iter()
            .filter_map(|r| std::fs::canonicalize(r).ok())
            .collect()
    };
    let read = Arc::new(read);
    reads
        .lock()
        .expect("module reads lock")
        .insert(dir.to_path_buf(), Arc::clone(&read));
    read
}

/// Whether Terraform reads `name` as part of its directory's module:
/// configuration (`.tf`, `.tf.json`) and variable values
/// (`terraform.tfvars`, `*.auto.tfvars`, and their `.json` forms).
pub fn is_terraform_module_file(name: &str) -> bool {
    policy_analyzer::host::is_terraform_module_file(name)
}

/// The files of the Terraform module in `dir`, in name order.
pub fn terraform_module_files(dir: &Path) -> io::Result<Vec<PathBuf>> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)?
        .filter_map(|e| e.ok())
        .filter(|e| e.file_type().is_ok_and(|t| t.is_file()))
        .filter(|e| is_terraform_module_file(&e.file_name().to_string_lossy()))
        .map(|e| e.path())
        .collect();
    files.sort();
    Ok(files)
}

/// Whether bytes look binary: a NUL byte in the first 8 KiB, as git decides.
pub fn is_binary(bytes: &[u8]) -> bool {
    bytes[..bytes.len().min(8192)].contains(&0)
}

/// What the walk yields, in path order.
pub enum Entry {
    Check(Job),
    Problem(Problem),
}

/// The shown form of a path: as given, without a leading `./`.
pub fn display(path: &Path) -> String {
    let s = path.to_string_lossy();
    s.strip_prefix("./").unwrap_or(&s).to_string()
}

/// Finds the files to check under `paths` and sends them to `emit` in path
/// order: the paths sorted, each directory walked in name order. Stops when
/// `emit` returns false.
pub fn walk(
    paths: &[PathBuf],
    stdin_filename: Option<&Path>,
    overrides: Arc<Overrides>,
    discovery: Discovery,
    mut emit: impl FnMut(Entry) -> bool,
) {
    let discovery = Arc::new(Mutex::new(discovery));
    let settings_for =
        |absolute: &Path, emit: &mut dyn FnMut(Entry) -> bool| -> Option<Arc<Settings>> {
            let mut discovery = discovery.lock().expect("discovery lock");
            let settings = discovery.for_file(absolute);
            for error in discovery.take_errors() {
                if !emit(Entry::Problem(config_problem(error))) {
                    return None;
                }
            }
            Some(settings)
        };

    let mut modules = Modules::default();
    let mut paths: Vec<&PathBuf> = paths.iter().collect();
    paths.sort();
    paths.dedup();
    // A file inside a directory that is also named is checked by the walk
    // of that directory, in its place in the path order, once, and still as
    // a named file.
    let directories: Vec<PathBuf> = paths
        .iter()
        .filter(|p| p.is_dir())
        .map(|p| overrides.absolute(p))
        .collect();
    let named_inside: HashSet<PathBuf> = paths
        .iter()
        .map(|p| overrides.absolute(p))
        .filter(|a| directories.iter().any(|d| d != a && a.starts_with(d)) && a.exists())
        .collect();
    for path in paths {
        if named_inside.contains(&overrides.absolute(path)) {
            continue;
        }
        if path.as_os_str() == "-" {
            let name = stdin_filename.unwrap_or(Path::new("-"));
            let absolute = overrides.absolute(name);
            let Some(settings) = settings_for(&absolute, &mut emit) else {
                return;
            };
            if settings.excludes(&absolute, true) {
                continue;
            }
            let job = Job {
                source: Source::Stdin,
                display: display(name),
                reader: Reader::File,
                absolute,
                named: true,
                settings,
            };
            if !emit(Entry::Check(job)) {
                return;
            }
            continue;
        }
        let metadata = match std::fs::metadata(path) {
            Ok(metadata) => metadata,
            Err(e) => {
                if !emit(Entry::Problem(Problem::error(
                    display(path),
                    io_message(&e),
                ))) {
                    return;
                }
                continue;
            }
        };
        if !metadata.is_dir() {
            let absolute = overrides.absolute(path);
            let Some(settings) = settings_for(&absolute, &mut emit) else {
                return;
            };
            if settings.excludes(&absolute, true) {
                continue;
            }
            // A template a module renders, or a policy it reads with
            // `file()`, is checked through the module, with its values, as in
            // a walk: pre-commit names them and the module's files alike.
            let module = (is_template_name(path) || is_json_name(path))
                .then(|| reading_module(path))
                .flatten();
            let (reader, shown) = match &module {
                Some(dir) => (modules.reader_for_dir(dir), display(dir)),
                None => (modules.reader_for(path), display(path)),
            };
            let Some(reader) = reader else {
                continue;
            };
            let job = Job {
                source: Source::File(path.clone()),
                display: shown,
                reader,
                absolute,
                named: true,
                settings,
            };
            if !emit(Entry::Check(job)) {
                return;
            }
            continue;
        }

        let walker = {
            let discovery = discovery.clone();
            let overrides = overrides.clone();
            ignore::WalkBuilder::new(path)
                .follow_links(true)
                .sort_by_file_name(|a, b| a.cmp(b))
                // Excluded directories are not entered at all. Their
                // settings are those of the directory that contains them.
                .filter_entry(move |entry| {
                    if entry.depth() == 0 || !entry.file_type().is_some_and(|t| t.is_dir()) {
                        return true;
                    }
                    let absolute = overrides.absolute(entry.path());
                    let mut discovery = discovery.lock().expect("discovery lock");
                    !discovery.for_file(&absolute).excludes(&absolute, false)
                })
                .build()
        };
        for result in walker {
            let entry = match result {
                Ok(entry) => entry,
                Err(error) => {
                    // A broken link to a file the walk would not check
                    // anyway (README.txt, a stale build output) is not the
                    // user's problem; one to a file it would check is.
                    if let Some(link) = broken_link(&error) {
                        let absolute = overrides.absolute(&link);
                        let Some(settings) = settings_for(&absolute, &mut emit) else {
                            return;
                        };
                        if !settings.includes(&absolute) || settings.excludes(&absolute, false) {
                            continue;
                        }
                        let problem = Problem::error(
                            display(&link),
                            "broken symbolic link: its target does not exist",
                        );
                        if !emit(Entry::Problem(problem)) {
                            return;
                        }
                        continue;
                    }
                    if !emit(Entry::Problem(walk_problem(&error, path))) {
                        return;
                    }
                    continue;
                }
            };
            if !entry.file_type().is_some_and(|t| t.is_file()) {
                continue;
            }
            let absolute = overrides.absolute(entry.path());
            let Some(settings) = settings_for(&absolute, &mut emit) else {
                return;
            };
            let named = named_inside.contains(&absolute);
            if !(named || settings.includes(&absolute)) || settings.excludes(&absolute, false) {
                continue;
            }
            let path = entry.into_path();
            let Some(reader) = modules.reader_for(&path) else {
                continue;
            };
            let job = Job {
                display: display(&path),
                reader,
                source: Source::File(path),
                absolute,
                named,
                settings,
            };
            if !emit(Entry::Check(job)) {
                return;
            }
        }
    }
}

/// The Terraform modules a walk has met: a module is checked once, as the
/// job of the first of its files met.
#[derive(Default)]
struct Modules {
    seen: HashSet<PathBuf>,
}

impl Modules {
    /// The reader of a job for `path`, or `None` when its module is checked already.
    fn reader_for(&mut self, path: &Path) -> Option<Reader> {
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy())
            .unwrap_or_default();
        if !(name.ends_with(".tf") || name.ends_with(".tf.json")) {
            return Some(Reader::File);
        }
        let dir = path.parent().unwrap_or(Path::new(".")).to_path_buf();
        if !self.seen.insert(dir.clone()) {
            return None;
        }
        let dir = if dir.as_os_str().is_empty() {
            PathBuf::from(".")
        } else {
            dir
        };
        let files = terraform_module_files(&dir).unwrap_or_else(|_| vec![path.to_path_buf()]);
        Some(Reader::TerraformModule(files))
    }

    /// The reader of the module in `dir`, or `None` when it is checked already.
    fn reader_for_dir(&mut self, dir: &Path) -> Option<Reader> {
        let files = terraform_module_files(dir).ok()?;
        let first = files.first()?.clone();
        self.reader_for(&first)
    }
}

/// Whether a file's name says it is JSON, which a module may read with `file()`.
fn is_json_name(path: &Path) -> bool {
    path.extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("json"))
}

/// Whether a file's name says it is a Terraform template (`templatefile()`'s
/// conventional extensions).
fn is_template_name(path: &Path) -> bool {
    let name = path.to_string_lossy();
    name.ends_with(".tpl") || name.ends_with(".tftpl")
}

fn config_problem(error: ConfigError) -> Problem {
    let what = if error.rule_pack {
        "invalid rule"
    } else {
        "invalid config"
    };
    Problem {
        line: error.line,
        column: error.column,
        ..Problem::error(display(&error.path), format!("{what}: {}", error.message))
    }
}

/// An I/O error without Rust's `(os error N)` suffix.
pub fn io_message(error: &io::Error) -> String {
    let message = error.to_string();
    match message.find(" (os error") {
        Some(at) => message[..at].to_string(),
        None => message,
    }
}

/// The walk wraps the OS error in its own message ("IO error for operation
/// on ./x: ..."), and the path is shown anyway: keep only the reason.
fn walk_io_message(error: &io::Error) -> String {
    if error.raw_os_error().is_some() || error.get_ref().is_none() {
        return io_message(error);
    }
    let reason = error.kind().to_string();
    let mut chars = reason.chars();
    chars
        .next()
        .map_or(reason.clone(), |c| c.to_uppercase().chain(chars).collect())
}

/// The path of a symbolic link whose target does not exist, when that is
/// what the walk met.
fn broken_link(error: &ignore::Error) -> Option<PathBuf> {
    let mut path = None;
    let mut error = error;
    loop {
        match error {
            ignore::Error::WithPath { path: p, err } => {
                path.get_or_insert(p.clone());
                error = err;
            }
            ignore::Error::WithDepth { err, .. } | ignore::Error::WithLineNumber { err, .. } => {
                error = err
            }
            ignore::Error::Io(e) if e.kind() == io::ErrorKind::NotFound => {
                let path = path?;
                return std::fs::symlink_metadata(&path)
                    .is_ok_and(|m| m.file_type().is_symlink())
                    .then_some(path);
            }
            _ => return None,
        }
    }
}

/// A walk error, with the path it concerns and a plain message.
fn walk_problem(error: &ignore::Error, root: &Path) -> Problem {
    let mut path = None;
    let mut error = error;
    loop {
        match error {
            ignore::Error::WithPath { path: p, err } => {
                path.get_or_insert(p.clone());
                error = err;
            }
            ignore::Error::WithDepth { err, .. } | ignore::Error::WithLineNumber { err, .. } => {
                error = err
            }
            _ => break,
        }
    }
    let message = match error {
        ignore::Error::Loop { ancestor, child } => {
            path = Some(child.clone());
            format!("symbolic link loop: it leads back to {}", display(ancestor))
        }
        ignore::Error::Io(e) => walk_io_message(e),
        other => other.to_string(),
    };
    Problem::error(display(path.as_deref().unwrap_or(root)), message)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn binary_means_a_nul_byte_early() {
        assert!(is_binary(b"PNG\0\x01"));
        assert!(!is_binary(b"{\"Statement\": []}"));
    }

    #[test]
    fn shown_paths_drop_a_leading_dot_slash() {
        assert_eq!(display(Path::new("./a/b.json")), "a/b.json");
        assert_eq!(display(Path::new("/a/b.json")), "/a/b.json");
    }
}
