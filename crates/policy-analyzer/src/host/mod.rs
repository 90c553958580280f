//! Hosts: files that hold key policies inside something else (a
//! CloudFormation template, a Terraform module, a template file).
//!
//! The analysis stays one. A host reader finds each policy, resolves what it
//! can of the host's expressions (the rest becomes [symbols](crate::symbolic)),
//! and renders the policy to JSON text with a [`SourceMap`] back to the host.
//! [`analyze_embedded`] runs the same rules over that text as over any policy
//! file, then maps every range of the result into the host, keeps a fix only
//! where its edits are valid in the host's syntax, and shows symbols as the
//! host spells them. Rules never know which host they run on.

pub mod cloudformation;
mod source_map;
pub mod terraform;
mod writer;

pub use source_map::{Location, Quoting, Replace, SourceMap};
pub use writer::{escape_into, HostString, Piece, PieceOrigin, PolicyWriter};

use std::sync::Arc;

use crate::diagnostic::{Diagnostic, Fix, TextEdit};
use crate::resources::KeyContext;
use crate::rules::{Emitter, Rule};
use crate::symbolic::{has_symbol, SymbolTable};
use crate::AnalyzeOptions;

/// A policy a host found, rendered to JSON.
#[derive(Clone, Debug)]
pub struct EmbeddedPolicy {
    /// The policy as JSON text; symbols stand for what the host could not resolve.
    pub json: String,
    /// Where each part of `json` is in the host.
    pub map: SourceMap,
    /// How the host spells each symbol.
    pub symbols: Arc<SymbolTable>,
    /// The key the policy belongs to, with the resources that use it.
    pub key: Option<KeyContext>,
    /// For a policy checked once per branch of a condition (`Fn::If`), which
    /// branch this is, in words: "where `HasService` is true". Findings not
    /// common to every variant say it; a policy of one variant says it in
    /// every finding (the default key policy of a key without one).
    pub branch: Option<String>,
    /// The host ranges of the branches this variant took, each with its
    /// label ("`HasService` is true"): a finding of some variants inside
    /// one says that branch rather than the whole variant.
    pub branches: Vec<(Location, String)>,
}

/// What the analysis of a policy a host found came to.
#[derive(Clone, Debug, Default)]
pub struct PolicyFindings {
    /// Every range is in a host file (`Diagnostic::file` is always set).
    pub diagnostics: Vec<Diagnostic>,
    /// The services whose needs were checked.
    pub services: Vec<&'static str>,
}

/// Analyses a policy a host found.
pub fn analyze_embedded(policy: &EmbeddedPolicy, options: &AnalyzeOptions) -> PolicyFindings {
    let analysis = crate::analyze_policy(&policy.json, options, policy.key.as_ref());
    let diagnostics = analysis
        .diagnostics
        .into_iter()
        .filter(|d| d.file.is_some() || !rests_on_unknown(&policy.json, d.range))
        .filter_map(|d| map_diagnostic(d, policy))
        .collect();
    PolicyFindings {
        diagnostics,
        services: analysis.services,
    }
}

/// Whether a finding is about one value that holds an unknown value of the
/// host (a parameter without a default, an expression only `apply` settles):
/// its range touches the unknown and spans no more than one token, so what
/// it says about the value (its form, its type, what it names) is a guess.
/// Findings about a statement or an element that merely contains an unknown
/// value stand.
fn rests_on_unknown(json: &str, range: crate::text::TextRange) -> bool {
    let Some(slice) = json.get(range.as_usize()) else {
        return false;
    };
    // The token the range lies in, when it lies inside a string.
    let token = if slice.contains(crate::symbolic::OPEN) {
        slice
    } else {
        let start = json[..range.start as usize].rfind('"');
        let end = json[range.end as usize..]
            .find('"')
            .map(|e| range.end as usize + e + 1);
        match (start, end) {
            // A sub-range of a string is about the unknown only if it is inside it.
            (Some(s), Some(e)) => {
                let inside = &json[s..e];
                return crate::symbolic::symbols(inside).any(|(r, symbol)| {
                    matches!(symbol, crate::symbolic::Symbol::Unknown(_))
                        && s + r.start <= range.start as usize
                        && range.end as usize <= s + r.end
                });
            }
            _ => return false,
        }
    };
    if !crate::symbolic::has_unknown(token) {
        return false;
    }
    // One token: no structure outside strings.
    let mut in_string = false;
    let mut escaped = false;
    for c in token.chars() {
        match c {
            _ if escaped => escaped = false,
            '\\' if in_string => escaped = true,
            '"' => in_string = !in_string,
            '{' | '}' | '[' | ']' | ',' | ':' if !in_string => return false,
            _ => {}
        }
    }
    true
}

/// Analyses the variants of one policy (one per combination of the
/// conditions its `Fn::If`s depend on) as one: a finding of every variant is
/// reported once, as it is; a finding of some variants says in which.
pub fn analyze_variants(variants: &[EmbeddedPolicy], options: &AnalyzeOptions) -> PolicyFindings {
    if let [only] = variants {
        let mut findings = analyze_embedded(only, options);
        if let Some(branch) = &only.branch {
            for d in &mut findings.diagnostics {
                d.message = format!("{} ({branch})", d.message);
            }
        }
        return findings;
    }
    let mut services: Vec<&'static str> = Vec::new();
    // Each finding with the variants it appears in, in first-seen order.
    let mut merged: Vec<(Diagnostic, Vec<usize>)> = Vec::new();
    let mut index: rustc_hash::FxHashMap<FindingKey, usize> = Default::default();
    for (i, variant) in variants.iter().enumerate() {
        let findings = analyze_embedded(variant, options);
        for service in findings.services {
            if !services.contains(&service) {
                services.push(service);
            }
        }
        for d in findings.diagnostics {
            let key = (
                d.code,
                d.file.clone(),
                d.range.start,
                d.range.end,
                d.message.clone(),
            );
            match index.get(&key) {
                Some(&at) => {
                    if !merged[at].1.contains(&i) {
                        merged[at].1.push(i);
                    }
                }
                None => {
                    index.insert(key, merged.len());
                    merged.push((d, vec![i]));
                }
            }
        }
    }
    let diagnostics = merged
        .into_iter()
        .map(|(mut d, seen)| {
            if seen.len() < variants.len() {
                let variant = &variants[seen[0]];
                let inside: Vec<&str> = variant
                    .branches
                    .iter()
                    .filter(|(at, _)| {
                        Some(&at.file) == d.file.as_ref()
                            && at.range.start <= d.range.start
                            && d.range.end <= at.range.end
                    })
                    .map(|(_, label)| label.as_str())
                    .collect();
                if !inside.is_empty() {
                    d.message = format!("{} (where {})", d.message, inside.join(" and "));
                } else if let Some(branch) = variant.branch.as_deref() {
                    d.message = format!("{} ({branch})", d.message);
                }
            }
            d
        })
        .collect();
    PolicyFindings {
        diagnostics,
        services,
    }
}

/// What makes two findings of different variants the same finding.
type FindingKey = (&'static str, Option<Arc<str>>, u32, u32, String);

/// A finding of a rule the host readers report (a YAML error, a reference
/// to nothing), located in the host; `None` when the configuration turns
/// the rule off.
pub fn report(
    rule: &'static Rule,
    options: &AnalyzeOptions,
    at: &Location,
    message: impl Into<String>,
) -> Option<Diagnostic> {
    if !options.rules.is_enabled(rule) {
        return None;
    }
    let emitter = Emitter::new(rule, &options.rules);
    Some(emitter.diagnostic(at.range, message).at_location(at))
}

/// The character at a parser's error offset, as a range of `text`: the
/// offset clamped to the text and moved back to the start of the character
/// it lies in (hcl-edit gives byte offsets that may fall inside one), to
/// the end of that character. Empty at the end of the text.
pub(crate) fn char_at(text: &str, offset: usize) -> crate::text::TextRange {
    let mut start = offset.min(text.len());
    while !text.is_char_boundary(start) {
        start -= 1;
    }
    let end = text[start..]
        .chars()
        .next()
        .map_or(start, |c| start + c.len_utf8());
    crate::text::TextRange::new(start, end)
}

/// Which reader a file needs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HostKind {
    /// A key policy document, as JSON.
    Policy,
    /// A CloudFormation template, JSON or YAML.
    CloudFormation,
    /// A file of a Terraform module (`.tf`, `.tf.json`): read with the
    /// module's other files.
    Terraform,
    /// The JSON of `terraform show -json` (a plan or state).
    TerraformPlan,
    /// A template file that `templatefile()` renders (`.tpl`, `.tftpl`).
    Template,
}

impl HostKind {
    /// The reader for a file, from its name and, where the name does not
    /// settle it, its text; `None` for a file no reader takes (other YAML,
    /// other JSON is still a candidate policy: the policy reader says
    /// whether it holds one). This is the one place that picks a reader.
    pub fn detect(path: &str, text: &str) -> Option<HostKind> {
        let name = path.rsplit(['/', '\\']).next().unwrap_or(path);
        let lower = name.to_ascii_lowercase();
        if lower.ends_with(".tf") || lower.ends_with(".tf.json") {
            return Some(HostKind::Terraform);
        }
        if lower.ends_with(".tpl") || lower.ends_with(".tftpl") {
            return Some(HostKind::Template);
        }
        let yaml = lower.ends_with(".yaml") || lower.ends_with(".yml");
        let bytes = text.as_bytes();
        let has = |needle: &str| memchr::memmem::find(bytes, needle.as_bytes()).is_some();
        if yaml || lower.ends_with(".template") || !text.trim_start().starts_with(['{', '[']) {
            // YAML (or a `.template` in either syntax): only a template.
            if has("AWSTemplateFormatVersion") || (has("Resources") && has("AWS::")) {
                return Some(HostKind::CloudFormation);
            }
            return (!yaml).then_some(HostKind::Policy);
        }
        // JSON: a policy unless it carries a template's or a plan's marks.
        if has("\"AWSTemplateFormatVersion\"")
            || (has("\"Resources\"") && has("\"AWS::") && has("\"Type\""))
        {
            return Some(HostKind::CloudFormation);
        }
        if has("\"format_version\"")
            && (has("\"planned_values\"") || has("\"resource_changes\"") || has("\"values\""))
        {
            return Some(HostKind::TerraformPlan);
        }
        if has_template_syntax(text) && terraform::parses_as_template(text) {
            return Some(HostKind::Template);
        }
        Some(HostKind::Policy)
    }
}

/// Whether JSON text is a Terraform template to render (`templatefile()`)
/// rather than a policy: a `%{...}` directive, or a `${...}` placeholder
/// that is not a policy variable (policy variables name a condition key,
/// which always holds a `:`, as in `${aws:username}`, or are IAM's escapes
/// `${*}`, `${?}`, `${$}`). A placeholder of another template language
/// (`${SSM::name}`, `${ACCEL_LOOKUP::...}`) is no Terraform expression:
/// such a file is read as a policy.
fn has_template_syntax(text: &str) -> bool {
    let bytes = text.as_bytes();
    let mut placeholders = memchr::memmem::find_iter(bytes, b"${").filter_map(|at| {
        let inner = &text[at + 2..];
        let end = inner.find(['}', '"', '\n']).unwrap_or(inner.len());
        inner[end..].starts_with('}').then(|| &inner[..end])
    });
    let mut template = memchr::memmem::find(bytes, b"%{").is_some();
    for name in placeholders.by_ref() {
        if name.contains("::") {
            return false;
        }
        template |= !name.contains(':') && !matches!(name, "" | "*" | "?" | "$");
    }
    template
}

/// Whether Terraform reads a file named `name` as part of its directory's
/// module: configuration (`.tf`, `.tf.json`) and variable values
/// (`terraform.tfvars`, `*.auto.tfvars`, and their `.json` forms). The CLI's
/// walk and the language server group files into modules by this.
pub fn is_terraform_module_file(name: &str) -> bool {
    name.ends_with(".tf")
        || name.ends_with(".tf.json")
        || name == "terraform.tfvars"
        || name == "terraform.tfvars.json"
        || name.ends_with(".auto.tfvars")
        || name.ends_with(".auto.tfvars.json")
}

/// One file of a host, as the caller read it.
#[derive(Clone, Copy, Debug)]
pub struct HostFile<'a> {
    /// The path as the user names it; diagnostics carry it.
    pub path: &'a str,
    pub text: &'a str,
}

/// Reads the other files a host names (Terraform's `file()` and
/// `templatefile()`): the analyzer does no I/O of its own.
pub trait Loader {
    /// The text of the file at `path` (joined by the host, as written after
    /// resolving `path.module`), or why it cannot be read.
    fn load(&self, path: &str) -> Result<String, String>;
}

/// A loader that reads nothing (for text that stands alone, such as an
/// editor buffer of a file that names no other).
pub struct NoFiles;

impl Loader for NoFiles {
    fn load(&self, path: &str) -> Result<String, String> {
        Err(format!("{path} is not available"))
    }
}

/// What a host reader found.
#[derive(Clone, Debug, Default)]
pub struct HostAnalysis {
    /// Every finding, each with its file set (`Diagnostic::file`).
    pub diagnostics: Vec<Diagnostic>,
    /// How many keys or key policies the host holds: none means the file is
    /// not one policy-check checks (a template without keys).
    pub policies: usize,
    /// The services checked, once per policy that was checked for each.
    pub services: Vec<&'static str>,
}

/// Analyses one file with the reader its kind needs. A Terraform file is
/// read as a module of its own; [`terraform::analyze_module`] reads a
/// directory's files together.
pub fn analyze_file(
    kind: HostKind,
    file: HostFile<'_>,
    loader: &dyn Loader,
    options: &AnalyzeOptions,
) -> HostAnalysis {
    match kind {
        HostKind::Policy => {
            let analysis = crate::analyze(file.text, options);
            let path: Arc<str> = file.path.into();
            HostAnalysis {
                policies: usize::from(analysis.is_policy),
                services: analysis.services,
                diagnostics: analysis
                    .diagnostics
                    .into_iter()
                    .map(|mut d| {
                        d.file = Some(path.clone());
                        d
                    })
                    .collect(),
            }
        }
        HostKind::CloudFormation => cloudformation::analyze(file, options),
        HostKind::Terraform => terraform::analyze_module(&[file], loader, options),
        HostKind::TerraformPlan => terraform::analyze_plan(file, options),
        HostKind::Template => terraform::analyze_template(file, options),
    }
}

/// The key policies a host file holds, rendered (for each key, its first
/// variant): what an editor's hover and completion read, through
/// [`SourceMap::rendered_offset`] and [`SourceMap::locate`].
pub fn policies(
    kind: HostKind,
    file: HostFile<'_>,
    loader: &dyn Loader,
    options: &AnalyzeOptions,
) -> Vec<EmbeddedPolicy> {
    match kind {
        HostKind::CloudFormation => cloudformation::policies(file, options),
        HostKind::Terraform => terraform::policies(&[file], loader, options),
        HostKind::Policy | HostKind::TerraformPlan | HostKind::Template => Vec::new(),
    }
}

/// Takes a diagnostic of the rendered text into the host.
fn map_diagnostic(mut d: Diagnostic, policy: &EmbeddedPolicy) -> Option<Diagnostic> {
    let symbols = &policy.symbols;
    // A finding about the key's resource context is located in the host
    // already, and so are its fix's edits.
    let in_host = d.file.is_some();
    if !in_host {
        let at = policy.map.locate(d.range)?;
        d.range = at.range;
        d.file = Some(at.file);
    }
    d.related.retain_mut(|r| {
        if r.file.is_some() {
            return true;
        }
        match policy.map.locate(r.range) {
            Some(at) => {
                r.range = at.range;
                r.file = Some(at.file);
                true
            }
            None => false,
        }
    });
    if !in_host {
        // An editor applies a fix to the document the diagnostic is in, so
        // a fix whose edits land in another file of the host is dropped.
        d.fix = d
            .fix
            .take()
            .and_then(|fix| map_fix(fix, &policy.map))
            .filter(|(file, _)| file.is_none() || *file == d.file)
            .map(|(_, fix)| fix);
    }
    d.message = symbols.display(&d.message).into_owned();
    if let Some(help) = &mut d.help {
        *help = symbols.display(help).into_owned();
    }
    for r in &mut d.related {
        r.label = symbols.display(&r.label).into_owned();
    }
    if let Some(fix) = &mut d.fix {
        fix.title = symbols.display(&fix.title).into_owned();
    }
    Some(d)
}

/// A fix whose every edit the host accepts, all in one file, none
/// overlapping, with that file; `None` otherwise. A fix that would write a
/// symbol (text the host never wrote) is dropped too.
fn map_fix(fix: Fix, map: &SourceMap) -> Option<(Option<Arc<str>>, Fix)> {
    let mut file: Option<Arc<str>> = None;
    let mut edits = Vec::with_capacity(fix.edits.len());
    for edit in &fix.edits {
        if has_symbol(&edit.replacement) {
            return None;
        }
        let at = map.edit(edit.range, &edit.replacement)?;
        match &file {
            Some(f) if *f != at.file => return None,
            None => file = Some(at.file.clone()),
            _ => {}
        }
        edits.push(TextEdit {
            range: at.range,
            replacement: edit.replacement.clone(),
        });
    }
    edits.sort_by_key(|e| (e.range.start, e.range.end));
    if edits.windows(2).any(|w| w[0].range.end > w[1].range.start) {
        return None;
    }
    Some((file, Fix { edits, ..fix }))
}
