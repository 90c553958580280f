//! A run: the walk on one thread, the checks in parallel, the output in path
//! order through one buffered standard output.
//!
//! The walk sends files in batches; each batch is checked and rendered in
//! parallel and then written in order, so memory holds one batch in flight,
//! not the whole run, and the walk of the next batch overlaps the checks.

use std::io::{self, BufWriter, IsTerminal, Write};
use std::sync::mpsc::sync_channel;
use std::sync::Arc;
use std::time::Instant;

use rayon::prelude::*;

use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};

use policy_analyzer::host::{self, HostFile, HostKind, Loader};
use policy_analyzer::user_rules::UserRules;
use policy_analyzer::{AnalyzeOptions, Diagnostic};
use policy_workspace::suppress::{self, FileText};

use crate::baseline::{self, Baseline};
use crate::cli::Args;
use crate::files::{self, Entry, FsLoader, Job, Reader};
use crate::fix::{self, FixMode, FixedFile};
use crate::glob::Globs;
use crate::render::{self, Renderer};
use crate::report::{exit_code, CheckedFile, Level, Problem, Summary};
use crate::selector;
use crate::settings::{Discovery, Overrides, Settings};

/// Files per batch: enough to keep every core busy, few enough that memory
/// stays flat.
const BATCH: usize = 256;

/// What checking one file came to.
enum Outcome {
    Checked {
        /// Each checked file's output, in order.
        rendered: Vec<String>,
        summary: Summary,
        failed: bool,
        /// How many files the job checked (a module's several).
        files: usize,
        /// What the config's suppressions did, per file.
        suppressions: Vec<SuppressionUse>,
        /// `--write-baseline`: the records of the findings.
        records: Vec<baseline::Pending>,
        /// The user rules the files were checked with.
        user_rules: Option<Arc<UserRules>>,
    },
    /// Found by a walk but not a policy (or binary, or empty): nothing to say.
    Ignored,
    Problem(Problem),
}

/// Which of a config's suppressions one file could use, and used.
struct SuppressionUse {
    settings: Arc<Settings>,
    used: Vec<usize>,
    in_play: Vec<usize>,
}

/// Over the run: per config file, its settings, the suppressions some file
/// could use, and those some file used.
type SuppressionLedger = HashMap<PathBuf, (Arc<Settings>, BTreeSet<usize>, BTreeSet<usize>)>;

/// Runs the check; returns the exit code.
pub fn run(args: &Args, start: Instant) -> u8 {
    let color_stderr = args.color.enabled(io::stderr().is_terminal());
    let overrides = match overrides(args) {
        Ok(overrides) => Arc::new(overrides),
        Err(message) => {
            eprintln!("{} {message}", error_prefix(color_stderr));
            return 2;
        }
    };
    let config = match (&args.config, args.no_config) {
        (Some(path), _) => Some(Some(path.as_path())),
        (None, true) => Some(None),
        (None, false) => None,
    };
    let discovery = Discovery::new(overrides.clone(), config, policy_workspace::Mode::Strict);

    let stdout = io::stdout();
    let to_terminal = args.output_file.is_none() && stdout.is_terminal();
    let color = args.color.enabled(to_terminal);
    let width = terminal_size::terminal_size()
        .filter(|_| to_terminal)
        .map_or(100, |(w, _)| w.0 as usize);
    let mut renderer =
        render::renderer(args.format, color, width, args.quiet, overrides.cwd.clone());
    let sink: Box<dyn Write> = match &args.output_file {
        Some(path) => match std::fs::File::create(path) {
            Ok(file) => Box::new(file),
            Err(e) => {
                eprintln!(
                    "{} --output-file {}: {}",
                    error_prefix(color_stderr),
                    path.display(),
                    files::io_message(&e)
                );
                return 2;
            }
        },
        None => Box::new(stdout.lock()),
    };
    let mut out = BufWriter::with_capacity(64 * 1024, sink);

    let mut paths = args.paths.clone();
    if paths.is_empty() {
        paths.push(if args.stdin_filename.is_some() {
            "-".into()
        } else {
            ".".into()
        });
    }

    let fixing = {
        let mode = if args.unsafe_fixes {
            FixMode::SafeAndUnsafe
        } else {
            FixMode::Safe
        };
        match (args.fix, args.diff) {
            (true, _) => Fixing::Write(mode),
            (false, true) => Fixing::Diff(mode),
            (false, false) => Fixing::No,
        }
    };
    let min_severity = args
        .min_severity
        .map(Into::into)
        .unwrap_or_else(|| args.format.default_min_severity());
    let baseline = match args.baseline.as_deref().map(Baseline::load).transpose() {
        Ok(baseline) => baseline,
        Err(message) => {
            eprintln!("{} {message}", error_prefix(color_stderr));
            return 2;
        }
    };
    let view = View {
        fixing,
        min_severity,
        statistics: args.statistics,
        baseline,
        write_baseline: args.write_baseline.as_deref().map(baseline::Writer::new),
    };
    let view = &view;
    let mut summary = Summary {
        diff_only: matches!(fixing, Fixing::Diff(_)),
        min_severity,
        ..Summary::default()
    };
    let mut failed = false;
    let mut ledger = SuppressionLedger::new();
    let mut records = Vec::new();
    let written = std::thread::scope(|scope| -> io::Result<()> {
        let (sender, batches) = sync_channel::<Vec<Entry>>(2);
        let walk_overrides = overrides.clone();
        let stdin_filename = args.stdin_filename.as_deref();
        let paths = &paths;
        scope.spawn(move || {
            let mut batch = Vec::with_capacity(BATCH);
            files::walk(paths, stdin_filename, walk_overrides, discovery, |entry| {
                batch.push(entry);
                if batch.len() == BATCH {
                    let full = std::mem::replace(&mut batch, Vec::with_capacity(BATCH));
                    return sender.send(full).is_ok();
                }
                true
            });
            let _ = sender.send(batch);
        });

        // The main thread waits for the walk's first batch anyway.
        policy_analyzer::prepare();
        renderer.begin(&mut out)?;
        for batch in batches {
            let renderer_ref: &dyn Renderer = &*renderer;
            let outcomes: Vec<Outcome> = batch
                .into_par_iter()
                .map(|entry| match entry {
                    Entry::Check(job) => check_or_report_panic(&job, renderer_ref, view),
                    Entry::Problem(problem) => Outcome::Problem(problem),
                })
                .collect();
            for outcome in outcomes {
                match outcome {
                    Outcome::Checked {
                        rendered,
                        summary: file,
                        failed: file_failed,
                        files,
                        suppressions,
                        records: file_records,
                        user_rules,
                    } => {
                        if let Some(rules) = &user_rules {
                            renderer.user_rules(rules);
                        }
                        summary.files_checked += files;
                        summary.add(&file);
                        failed |= file_failed;
                        records.extend(file_records);
                        for usage in suppressions {
                            let Some(config) = usage.settings.config_path() else {
                                continue;
                            };
                            let (_, in_play, used) =
                                ledger.entry(config.to_path_buf()).or_insert_with(|| {
                                    (usage.settings.clone(), BTreeSet::new(), BTreeSet::new())
                                });
                            in_play.extend(usage.in_play);
                            used.extend(usage.used);
                        }
                        for file in &rendered {
                            renderer.write_file(&mut out, file)?;
                        }
                    }
                    Outcome::Ignored => {}
                    Outcome::Problem(problem) => {
                        match problem.level {
                            Level::Error => summary.errors += 1,
                            Level::Skipped => summary.skipped += 1,
                        }
                        if problem.level == Level::Error || !args.quiet {
                            // Flushed first, so that the message lands after
                            // the output of the files before it.
                            out.flush()?;
                            eprintln!("{}", problem_line(&problem, color_stderr));
                        }
                        renderer.problem(&mut out, &problem)?;
                    }
                }
            }
        }
        failed |= report_unused_suppressions(
            &ledger,
            &overrides.cwd,
            &mut *renderer,
            &mut out,
            &mut summary,
            view,
        )?;
        Ok(())
    });

    if let Some(writer) = &view.write_baseline {
        match writer.write(records) {
            Ok(count) => {
                if !args.quiet {
                    eprintln!(
                        "note: wrote {count} finding{} to the baseline {}",
                        if count == 1 { "" } else { "s" },
                        args.write_baseline
                            .as_deref()
                            .unwrap_or(Path::new(""))
                            .display()
                    );
                }
                // The findings are accepted: only files that could not be
                // checked fail the run.
                failed = false;
            }
            Err(e) => {
                eprintln!(
                    "{} --write-baseline: {}",
                    error_prefix(color_stderr),
                    files::io_message(&e)
                );
                summary.errors += 1;
            }
        }
    }

    if args.statistics {
        if let Err(e) = out.write_all(render::summary::statistics(&summary).as_bytes()) {
            eprintln!(
                "{} cannot write the output: {}",
                error_prefix(color_stderr),
                files::io_message(&e)
            );
        }
    }
    summary.elapsed = start.elapsed();
    let code = exit_code(summary.errors > 0, failed);
    let finished = written
        .and_then(|()| renderer.finish(&mut out, &summary, code))
        .and_then(|()| out.flush());
    match finished {
        Ok(()) => code,
        // A closed pipe (`policy-check | head`) is the reader's choice, not an error.
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => code,
        Err(e) => {
            eprintln!(
                "{} cannot write the output: {}",
                error_prefix(color_stderr),
                files::io_message(&e)
            );
            2
        }
    }
}

/// [`check`], turning a panic (a bug) into an error for this file alone, so
/// the other files are still checked. The panic message is already on
/// standard error, from the default hook.
fn check_or_report_panic(job: &Job, renderer: &dyn Renderer, view: &View) -> Outcome {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| check(job, renderer, view)))
        .unwrap_or_else(|_| {
            Outcome::Problem(Problem::error(
                &job.display,
                "internal error while checking this file (a bug: please report it with the file)",
            ))
        })
}

/// What a run does with what it finds: fix it, filter it, record it, and
/// show what.
#[derive(Debug)]
pub struct View {
    pub fixing: Fixing,
    /// Findings below this are counted, not shown.
    pub min_severity: policy_analyzer::Severity,
    /// `--statistics`: counts per rule instead of findings.
    pub statistics: bool,
    /// `--baseline`: the findings not to report.
    pub baseline: Option<Baseline>,
    /// `--write-baseline`: where to record the findings.
    pub write_baseline: Option<baseline::Writer>,
}

/// Whether and how a run fixes what it finds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fixing {
    /// Report only.
    No,
    /// Apply fixes and write the files (`--fix`).
    Write(FixMode),
    /// Apply fixes in memory and print the diff (`--diff`).
    Diff(FixMode),
}

/// How a job's files are analysed, as often as fixing needs.
#[derive(Clone, Copy)]
enum Analyzer {
    Policy,
    Host(HostKind),
    Module,
}

impl Analyzer {
    /// The findings, and the services checked (once per policy).
    fn analyze(
        self,
        files: &[FixedFile],
        options: &AnalyzeOptions,
    ) -> (Vec<Diagnostic>, Vec<&'static str>) {
        match self {
            Analyzer::Policy => {
                let analysis = policy_analyzer::analyze(&files[0].text, options);
                (analysis.diagnostics, analysis.services)
            }
            Analyzer::Host(kind) => {
                let file = HostFile {
                    path: &files[0].path,
                    text: &files[0].text,
                };
                let analysis = host::analyze_file(kind, file, &Overlay(files), options);
                (analysis.diagnostics, analysis.services)
            }
            Analyzer::Module => {
                let module: Vec<HostFile<'_>> = files
                    .iter()
                    .filter(|f| {
                        files::is_terraform_module_file(
                            f.path.rsplit('/').next().unwrap_or(&f.path),
                        )
                    })
                    .map(|f| HostFile {
                        path: &f.path,
                        text: &f.text,
                    })
                    .collect();
                let analysis = host::terraform::analyze_module(&module, &Overlay(files), options);
                (analysis.diagnostics, analysis.services)
            }
        }
    }
}

/// Reads what a host names from the job's own texts first (as fixed so
/// far), then from the file system.
struct Overlay<'f>(&'f [FixedFile]);

impl Loader for Overlay<'_> {
    fn load(&self, path: &str) -> Result<String, String> {
        let wanted = path.strip_prefix("./").unwrap_or(path);
        match self.0.iter().find(|f| f.path == wanted) {
            Some(f) => Ok(f.text.clone()),
            None => FsLoader.load(path),
        }
    }
}

/// Reads, analyses and renders one job: a file, or a Terraform module.
fn check(job: &Job, renderer: &dyn Renderer, view: &View) -> Outcome {
    match &job.reader {
        Reader::File => check_file(job, renderer, view),
        Reader::TerraformModule(files) => check_module(job, files, renderer, view),
    }
}

fn check_file(job: &Job, renderer: &dyn Renderer, view: &View) -> Outcome {
    let skip = |why: &str| {
        if job.named {
            Outcome::Problem(Problem::skipped(&job.display, why))
        } else {
            Outcome::Ignored
        }
    };
    let bytes = match job.read() {
        Ok(bytes) => bytes,
        Err(e) => return Outcome::Problem(Problem::error(&job.display, files::io_message(&e))),
    };
    if files::is_binary(&bytes) {
        return if job.named {
            Outcome::Problem(Problem::error(
                &job.display,
                "binary file (it contains NUL bytes); not checked",
            ))
        } else {
            Outcome::Ignored
        };
    }
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return skip("empty file; not checked");
    }
    let options = job.settings.options_for(&job.absolute);
    let kind = std::str::from_utf8(&bytes)
        .map(|text| HostKind::detect(&job.display, text))
        .unwrap_or(Some(HostKind::Policy));
    let kind = match kind {
        Some(kind) => kind,
        None => return skip("not a key policy or CloudFormation template; not checked"),
    };
    // A template a module renders, or a policy it reads with `file()`, is
    // checked through the module's job, with its values, and only there.
    if matches!(kind, HostKind::Template | HostKind::Policy)
        && !job.named
        && files::read_by_a_module(&job.absolute)
    {
        return Outcome::Ignored;
    }
    if kind == HostKind::Policy {
        let document = files::read_policy(&bytes, &options);
        if !document.analysis.is_policy && document.utf8 {
            return skip("not a key policy: the top level has no \"Statement\"; not checked");
        }
        let text = document.text.into_owned();
        // A file that is not UTF-8 is reported, never fixed.
        if view.fixing == Fixing::No || !document.utf8 {
            let services = document.analysis.services;
            return checked(
                job,
                renderer,
                view,
                vec![(job.display.clone(), text, document.analysis.diagnostics)],
                0,
                services,
            );
        }
        return fix_job(
            job,
            renderer,
            view,
            Analyzer::Policy,
            vec![(job.display.clone(), text)],
            &options,
        );
    }
    let text = String::from_utf8(bytes).expect("checked above");
    let files = vec![(job.display.clone(), text)];
    if view.fixing != Fixing::No {
        return fix_job(job, renderer, view, Analyzer::Host(kind), files, &options);
    }
    let current = as_fixed(files);
    let (diagnostics, services) = Analyzer::Host(kind).analyze(&current, &options);
    let mut results = current
        .into_iter()
        .map(|f| (f.path, f.text, Vec::new()))
        .collect();
    distribute(&mut results, diagnostics);
    checked(job, renderer, view, results, 0, services)
}

fn as_fixed(files: Vec<(String, String)>) -> Vec<FixedFile> {
    files
        .into_iter()
        .map(|(path, text)| FixedFile {
            path,
            original: String::new(),
            text,
        })
        .collect()
}

/// Fixes a job's files until they are stable, writes them (or prints their
/// diff), and renders what remains.
fn fix_job(
    job: &Job,
    renderer: &dyn Renderer,
    view: &View,
    analyzer: Analyzer,
    mut files: Vec<(String, String)>,
    options: &AnalyzeOptions,
) -> Outcome {
    let mode = match view.fixing {
        Fixing::Write(mode) | Fixing::Diff(mode) => mode,
        Fixing::No => FixMode::Safe,
    };
    // Files beyond the job's that findings with fixes name (a template a
    // module renders) are fixed with it.
    let (first, _) = analyzer.analyze(&as_fixed(files.clone()), options);
    for d in first.iter().filter(|d| d.fix.is_some()) {
        if let Some(other) = d.file.as_deref() {
            if !files.iter().any(|(p, _)| p == other) {
                if let Ok(text) = FsLoader.load(other) {
                    files.push((other.to_string(), text));
                }
            }
        }
    }
    let mut services = Vec::new();
    let fixed = fix::fix_until_stable(files, mode, |current| {
        let (diagnostics, checked) = analyzer.analyze(current, options);
        services = checked;
        diagnostics
    });
    let mut diffs = String::new();
    for file in fixed.files.iter().filter(|f| f.changed()) {
        match view.fixing {
            Fixing::Diff(_) => diffs.push_str(&fix::unified_diff(file)),
            Fixing::Write(_) if job.source == files::Source::Stdin => {
                // The fixed text is the output; findings go to standard error.
                let _ = io::stdout().lock().write_all(file.text.as_bytes());
            }
            _ => {
                if let Err(e) = fix::write_atomically(Path::new(&file.path), &file.text) {
                    return Outcome::Problem(Problem::error(
                        &file.path,
                        format!("cannot write the fixed file: {}", files::io_message(&e)),
                    ));
                }
            }
        }
    }
    let mut results: Vec<(String, String, Vec<Diagnostic>)> = fixed
        .files
        .into_iter()
        .map(|f| (f.path, f.text, Vec::new()))
        .collect();
    distribute(&mut results, fixed.diagnostics);
    let mut outcome = checked(job, renderer, view, results, fixed.fixed, services);
    if let Outcome::Checked { rendered, .. } = &mut outcome {
        if !diffs.is_empty() {
            rendered.insert(0, diffs);
        }
    }
    outcome
}

/// Checks the files of a Terraform module together.
fn check_module(job: &Job, paths: &[PathBuf], renderer: &dyn Renderer, view: &View) -> Outcome {
    let mut texts = Vec::with_capacity(paths.len());
    for path in paths {
        let shown = files::display(path);
        let read = files::FsLoader.load(&path.to_string_lossy());
        match read {
            Ok(text) => texts.push((shown, text)),
            Err(e) => return Outcome::Problem(Problem::error(shown, e)),
        }
    }
    let options = job.settings.options_for(&job.absolute);
    if view.fixing != Fixing::No {
        return fix_job(job, renderer, view, Analyzer::Module, texts, &options);
    }
    let current = as_fixed(texts);
    let (diagnostics, services) = Analyzer::Module.analyze(&current, &options);
    let mut results: Vec<(String, String, Vec<Diagnostic>)> = current
        .into_iter()
        .map(|f| (f.path, f.text, Vec::new()))
        .collect();
    distribute(&mut results, diagnostics);
    checked(job, renderer, view, results, 0, services)
}

/// Sorts findings into the files they are in (adding files a finding names
/// beyond those read, such as a template a module renders), each file's in
/// order of position.
fn distribute(results: &mut Vec<(String, String, Vec<Diagnostic>)>, diagnostics: Vec<Diagnostic>) {
    for d in diagnostics {
        let file = d
            .file
            .as_deref()
            .map(str::to_string)
            .unwrap_or_else(|| results[0].0.clone());
        let at = match results.iter().position(|(path, _, _)| *path == file) {
            Some(at) => at,
            None => {
                let text = files::FsLoader.load(&file).unwrap_or_default();
                results.push((file, text, Vec::new()));
                results.len() - 1
            }
        };
        results[at].2.push(d);
    }
    for (_, _, diagnostics) in results.iter_mut() {
        diagnostics.sort_by(|a, b| {
            (a.range.start, a.range.end, a.code).cmp(&(b.range.start, b.range.end, b.code))
        });
    }
}

/// The outcome of checked files: each one's findings rendered in turn. The
/// per-file ignores of a file the job did not start from (another file of a
/// module, a template it renders) are that file's own.
fn checked(
    job: &Job,
    renderer: &dyn Renderer,
    view: &View,
    results: Vec<(String, String, Vec<Diagnostic>)>,
    fixed: usize,
    services: Vec<&'static str>,
) -> Outcome {
    let mut rendered = Vec::with_capacity(results.len());
    let mut summary = Summary {
        fixed,
        ..Summary::default()
    };
    for service in services {
        *summary.services.entry(service).or_default() += 1;
    }
    let mut failed = false;
    let files = results.len();
    let (texts, findings): (Vec<(String, String)>, Vec<Vec<Diagnostic>>) = results
        .into_iter()
        .map(|(path, text, diagnostics)| ((path, text), diagnostics))
        .unzip();
    let mut suppressions = Vec::with_capacity(texts.len());
    let mut records = Vec::new();
    for ((path, text), mut diagnostics) in texts.iter().zip(findings) {
        let absolute = if *path == job.display {
            job.absolute.clone()
        } else {
            std::path::absolute(path).unwrap_or_else(|_| PathBuf::from(path))
        };
        let options = job.settings.options_for(&absolute);
        if *path != job.display {
            diagnostics.retain(|d| !options.rules.disabled.contains(&d.code));
        }
        let file = FileText {
            path,
            absolute: &absolute,
            text,
        };
        let applied = suppress::apply(&job.settings, &options, file, diagnostics);
        summary.suppressed += applied.suppressed;
        if !applied.in_play.is_empty() {
            suppressions.push(SuppressionUse {
                settings: job.settings.clone(),
                used: applied.used,
                in_play: applied.in_play,
            });
        }
        let mut diagnostics = applied.kept;
        if let Some(baseline) = &view.baseline {
            summary.baselined += baseline.filter(&absolute, text, &mut diagnostics);
        }
        if let Some(writer) = &view.write_baseline {
            records.extend(writer.records(&absolute, text, &diagnostics));
        }
        summary.add_findings(&diagnostics);
        failed |= diagnostics
            .iter()
            .any(|d| d.severity >= job.settings.fail_on);
        if view.statistics {
            continue;
        }
        // Counted above; shown from the minimum severity up.
        diagnostics.retain(|d| d.severity >= view.min_severity);
        rendered.push(renderer.render_file(&CheckedFile {
            path,
            text,
            diagnostics: &diagnostics,
            others: &texts,
        }));
    }
    Outcome::Checked {
        rendered,
        summary,
        failed,
        files,
        suppressions,
        records,
        user_rules: job.settings.options_for(&job.absolute).user_rules.clone(),
    }
}

/// Reports the config suppressions that some checked file could have used
/// and none did, in their config files. Returns whether one fails the run.
fn report_unused_suppressions(
    ledger: &SuppressionLedger,
    cwd: &Path,
    renderer: &mut dyn Renderer,
    out: &mut dyn Write,
    summary: &mut Summary,
    view: &View,
) -> io::Result<bool> {
    let mut failed = false;
    let mut configs: Vec<_> = ledger.iter().collect();
    configs.sort_by(|a, b| a.0.cmp(b.0));
    for (path, (settings, in_play, used)) in configs {
        let unused: Vec<usize> = in_play.difference(used).copied().collect();
        if unused.is_empty() {
            continue;
        }
        let Ok(text) = std::fs::read_to_string(path) else {
            continue;
        };
        let options = settings.options_for(path);
        let mut diagnostics: Vec<Diagnostic> = unused
            .iter()
            .filter_map(|&i| {
                suppress::unused_config_suppression(&settings.suppressions()[i], &text, &options)
            })
            .collect();
        if let Some(baseline) = &view.baseline {
            summary.baselined += baseline.filter(path, &text, &mut diagnostics);
        }
        summary.add_findings(&diagnostics);
        failed |= diagnostics.iter().any(|d| d.severity >= settings.fail_on);
        diagnostics.retain(|d| d.severity >= view.min_severity);
        if view.statistics || diagnostics.is_empty() {
            continue;
        }
        let shown = path.strip_prefix(cwd).unwrap_or(path).to_string_lossy();
        let rendered = renderer.render_file(&CheckedFile {
            path: &shown,
            text: &text,
            diagnostics: &diagnostics,
            others: &[],
        });
        renderer.write_file(out, &rendered)?;
    }
    Ok(failed)
}

/// The command line's overrides, or a usage error.
fn overrides(args: &Args) -> Result<Overrides, String> {
    let cwd =
        std::env::current_dir().map_err(|e| format!("cannot read the current directory: {e}"))?;
    let globs = |flag: &str, patterns: &[String]| -> Result<Option<Globs>, String> {
        if patterns.is_empty() {
            return Ok(None);
        }
        Globs::new(patterns)
            .map(Some)
            .map_err(|e| format!("--{flag}: {}", e.message))
    };
    // A selector names a built-in rule or a rule of the packs of the config
    // that governs the current directory; each config resolves it again
    // against its own packs.
    let needs_packs = args
        .select
        .iter()
        .chain(&args.ignore)
        .any(|s| selector::resolve(s).is_err());
    let user = if needs_packs {
        user_rules_here(args, &cwd)
    } else {
        Arc::default()
    };
    let selectors = |flag: &str, selectors: &[String]| {
        selector::resolve_all_with(selectors.iter().map(String::as_str), &user)
            .map(|_| selectors.to_vec())
            .map_err(|e| format!("--{flag}: {e}"))
    };
    Ok(Overrides {
        include: globs("include", &args.include)?,
        exclude: globs("exclude", &args.exclude)?,
        select: if args.select.is_empty() {
            None
        } else {
            Some(selectors("select", &args.select)?)
        },
        ignore: selectors("ignore", &args.ignore)?,
        fail_on: args.fail_on.map(Into::into),
        cwd,
    })
}

/// The user rules of the config that governs the current directory (or of
/// `--config`): what `--select`, `--ignore`, `--explain` and `--list-rules`
/// know besides the built-in rules.
pub fn user_rules_here(args: &Args, cwd: &Path) -> Arc<UserRules> {
    let config = match (&args.config, args.no_config) {
        (Some(path), _) => Some(Some(path.as_path())),
        (None, true) => Some(None),
        (None, false) => None,
    };
    let overrides = Arc::new(Overrides {
        cwd: cwd.to_path_buf(),
        ..Overrides::default()
    });
    let mut discovery = Discovery::new(overrides, config, policy_workspace::Mode::Strict);
    let settings = discovery.for_directory(cwd);
    let rules = settings.user_rules().clone();
    Arc::new(rules)
}

/// `error:` for standard error, in colour when `--color` says so for it.
fn error_prefix(color: bool) -> &'static str {
    if color {
        "\x1b[1;31merror:\x1b[0m"
    } else {
        "error:"
    }
}

/// A problem as one line on standard error.
fn problem_line(problem: &Problem, color: bool) -> String {
    match problem.level {
        Level::Error => format!(
            "{} {}: {}",
            error_prefix(color),
            problem.location(),
            problem.message
        ),
        Level::Skipped => format!("note: {}: {}", problem.location(), problem.message),
    }
}
