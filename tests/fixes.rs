//! Every fix offered on every fixture and example, applied on its own and the
//! result analysed again:
//! - the result still parses (no more syntax findings than before);
//! - the finding the fix was for is gone;
//! - no finding at warning or above appears that was not there before;
//! - a fix marked safe grants nobody anything new: for the principals the
//!   policy names, a role of another account and a role of the key's
//!   account, and the main KMS actions, the evaluator finds no request the
//!   fixed policy allows that the original did not. A fix that can widen
//!   access must be marked unsafe.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use policy_analyzer::eval::search::find_allowed_request;
use policy_analyzer::eval::{EvalOptions, PrincipalValue, RequestPrincipal};
use policy_analyzer::host::{self, HostFile, HostKind};
use policy_analyzer::model::Policy;
use policy_analyzer::{analyze, Applicability, Diagnostic, Fix, Severity};
use policy_check::files::{terraform_module_files, FsLoader};

const ROOT: &str = env!("CARGO_MANIFEST_DIR");

/// One document to analyse: a policy, a template, or a module's files.
#[derive(Clone)]
struct Doc {
    /// Display path -> text, every file the analysis reads.
    files: BTreeMap<String, String>,
    kind: Kind,
}

#[derive(Clone, Copy, PartialEq)]
enum Kind {
    Policy,
    Host(HostKind),
    Module,
}

fn display(path: &Path) -> String {
    path.strip_prefix(ROOT)
        .unwrap_or(path)
        .to_string_lossy()
        .replace('\\', "/")
}

/// Every fixture and example, as documents.
fn documents() -> Vec<Doc> {
    let mut out = Vec::new();
    for dir in ["fixtures", "examples"] {
        collect(&Path::new(ROOT).join(dir), &mut out);
    }
    out
}

fn collect(dir: &Path, out: &mut Vec<Doc>) {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    entries.sort();
    if entries
        .iter()
        .any(|p| p.file_name().is_some_and(|n| n == "main.tf"))
    {
        let mut files = BTreeMap::new();
        for p in terraform_module_files(dir).unwrap() {
            files.insert(display(&p), std::fs::read_to_string(&p).unwrap());
        }
        out.push(Doc {
            files,
            kind: Kind::Module,
        });
        return;
    }
    for path in entries {
        if path.is_dir() {
            collect(&path, out);
            continue;
        }
        let name = display(&path);
        let Ok(text) = std::fs::read_to_string(&path) else {
            continue; // not UTF-8: no fix to apply
        };
        let kind = match HostKind::detect(&name, &text) {
            Some(HostKind::Policy) => Kind::Policy,
            Some(HostKind::Terraform) | None => continue,
            Some(kind) => Kind::Host(kind),
        };
        if kind == Kind::Policy && !name.ends_with(".json") {
            continue; // profiles, expectations, READMEs
        }
        out.push(Doc {
            files: BTreeMap::from([(name, text)]),
            kind,
        });
    }
}

fn analyse(doc: &Doc) -> Vec<Diagnostic> {
    let options = policy_analyzer::AnalyzeOptions::default();
    match doc.kind {
        Kind::Policy => {
            let (name, text) = doc.files.iter().next().unwrap();
            let mut ds = analyze(text, &options).diagnostics;
            for d in &mut ds {
                d.file = Some(name.as_str().into());
            }
            ds
        }
        Kind::Host(kind) => {
            let (name, text) = doc.files.iter().next().unwrap();
            host::analyze_file(kind, HostFile { path: name, text }, &FsLoader, &options).diagnostics
        }
        Kind::Module => {
            let files: Vec<HostFile<'_>> = doc
                .files
                .iter()
                .map(|(path, text)| HostFile { path, text })
                .collect();
            host::terraform::analyze_module(&files, &FsLoader, &options).diagnostics
        }
    }
}

const SYNTAX: [&str; 3] = ["PC001", "PC006", "PC007"];

/// A finding as it can be recognised after an edit: by its code and the
/// JSON pointer of what it flags, with array indices left out (a statement
/// inserted or deleted renumbers the rest) and letter case ignored (a fix may
/// rewrite the key the pointer names); without a pointer, by its message,
/// with numbers and statement labels left out. A service's request that is
/// denied (PC402), delegated (PC403) or denied by a Deny (PC405) is one
/// finding whatever form it takes.
fn key(d: &Diagnostic) -> (String, String) {
    let code = match d.code {
        "PC402" | "PC403" | "PC405" => "service-request",
        code => code,
    };
    let subject = match &d.pointer {
        Some(pointer) if code != "service-request" => {
            let mut parts: Vec<String> = Vec::new();
            for part in pointer.split('/') {
                // A fix may move a key to another operator (`StringLike` to
                // `ArnLike`): the key and its value stay what they were.
                let after_condition = parts.last().is_some_and(|p| p == "condition");
                parts.push(
                    if after_condition
                        || (!part.is_empty() && part.bytes().all(|b| b.is_ascii_digit()))
                    {
                        "_".to_string()
                    } else {
                        part.to_ascii_lowercase()
                    },
                );
            }
            parts.join("/")
        }
        _ => normalized(&d.message),
    };
    (code.to_string(), subject)
}

/// A message without the parts an edit elsewhere changes: numbers, statement
/// labels, letter case; for a service's request, the clause that says what it
/// needs (`needs kms:Decrypt as role ...`).
fn normalized(message: &str) -> String {
    let lower = message.to_ascii_lowercase();
    // `... needs kms:Decrypt as role arn:..., but ...` and `... denies
    // kms:Decrypt as a principal of account ..., which ... needs`: the
    // request is the action and the caller.
    let lower = match lower.find(" as ") {
        Some(at) => {
            let action = lower[..at].rsplit(' ').next().unwrap_or_default();
            let caller = lower[at + 4..].split([',', ';']).next().unwrap_or_default();
            format!("{action} as {caller}")
        }
        None => lower,
    };
    let mut out = String::with_capacity(lower.len());
    let mut rest = lower.as_str();
    while let Some(at) = rest.find("statement ") {
        out.push_str(&rest[..at + "statement ".len()]);
        rest = &rest[at + "statement ".len()..];
        if let Some(quoted) = rest.strip_prefix('"') {
            rest = quoted.split_once('"').map_or("", |(_, r)| r);
            out.push('_');
        } else if let Some(numbered) = rest.strip_prefix('#') {
            rest = numbered.trim_start_matches(|c: char| c.is_ascii_digit());
            out.push('_');
        }
    }
    out.push_str(rest);
    out.chars()
        .map(|c| if c.is_ascii_digit() { '_' } else { c })
        .collect()
}

fn count(ds: &[Diagnostic], k: &(String, String)) -> usize {
    ds.iter().filter(|d| key(d) == *k).count()
}

/// The principals to probe a policy with: those it names, a role of an
/// account it never names, and a role of each account it names.
fn probes(policy: &Policy<'_>) -> Vec<RequestPrincipal> {
    let mut out = vec![RequestPrincipal::role("999999999999", "probe-outsider")];
    for m in policy_analyzer::eval::accounts::mentioned_accounts(policy) {
        for p in [
            RequestPrincipal::AccountRoot {
                account: m.account.clone(),
            },
            RequestPrincipal::role(&m.account, "probe-insider"),
        ] {
            if !out.contains(&p) {
                out.push(p);
            }
        }
    }
    for st in &policy.statements {
        for (kind, text) in st.principal.iter().flat_map(|p| p.values()) {
            let p = match PrincipalValue::parse(kind, text.value) {
                PrincipalValue::Arn(arn) if arn.contains(":role/") || arn.contains(":user/") => {
                    PrincipalValue::Arn(arn)
                        .account()
                        .map(|account| RequestPrincipal::Iam {
                            arn: arn.to_string(),
                            account: account.to_string(),
                        })
                }
                PrincipalValue::Service(s) => Some(RequestPrincipal::Service(s.to_string())),
                _ => None,
            };
            if let Some(p) = p.filter(|p| !out.contains(p)) {
                out.push(p);
            }
        }
    }
    out.truncate(10);
    out
}

const ACTIONS: [&str; 12] = [
    "kms:Decrypt",
    "kms:Encrypt",
    "kms:GenerateDataKey",
    "kms:ReEncryptFrom",
    "kms:CreateGrant",
    "kms:RetireGrant",
    "kms:DescribeKey",
    "kms:Sign",
    "kms:PutKeyPolicy",
    "kms:ScheduleKeyDeletion",
    "kms:DisableKey",
    "kms:TagResource",
];

/// The (principal, action) pairs of `probes` that `text` allows.
fn allowed(text: &str, probes: &[RequestPrincipal]) -> Vec<(String, &'static str)> {
    let parsed = policy_analyzer::syntax::parse(text);
    let policy = Policy::from_tree(&parsed.tree);
    let options = EvalOptions::default();
    let mut out = Vec::new();
    for p in probes {
        for action in ACTIONS {
            if find_allowed_request(&policy, p.clone(), action, &options, &|e| e.is_allowed())
                .is_some()
            {
                out.push((p.describe(), action));
            }
        }
    }
    out
}

#[test]
fn every_fix_applies_cleanly_resolves_its_finding_and_widens_nothing_unless_unsafe() {
    let mut applied = 0;
    let mut checked_safe = 0;
    let mut failures = Vec::new();
    for doc in documents() {
        let before = analyse(&doc);
        let syntax_before = before.iter().filter(|d| SYNTAX.contains(&d.code)).count();
        let policy_text =
            (doc.kind == Kind::Policy).then(|| doc.files.values().next().unwrap().clone());
        let probes_and_base = policy_text.as_ref().map(|text| {
            let parsed = policy_analyzer::syntax::parse(text);
            let policy = Policy::from_tree(&parsed.tree);
            let probes = probes(&policy);
            let base = allowed(text, &probes);
            (probes, base)
        });
        for d in &before {
            let Some(fix) = &d.fix else { continue };
            let Some(file) = d.file.as_deref().filter(|f| doc.files.contains_key(*f)) else {
                continue; // a template a module renders: not re-read here
            };
            applied += 1;
            let mut fixed_doc = doc.clone();
            let fixed_text = Fix::apply(fix, &doc.files[file]);
            fixed_doc.files.insert(file.to_string(), fixed_text.clone());
            let after = analyse(&fixed_doc);
            let what = format!(
                "{file}: {} `{}` ({:?})",
                d.code, fix.title, fix.applicability
            );
            let syntax_after = after.iter().filter(|d| SYNTAX.contains(&d.code)).count();
            if syntax_after > syntax_before {
                failures.push(format!("{what}: the result no longer parses"));
                continue;
            }
            if count(&after, &key(d)) >= count(&before, &key(d)) {
                failures.push(format!("{what}: the finding is still there: {}", d.message));
            }
            for new in after.iter().filter(|n| n.severity >= Severity::Warning) {
                if count(&after, &key(new)) > count(&before, &key(new)) {
                    failures.push(format!(
                        "{what}: a new {} {}: {}",
                        new.severity, new.code, new.message
                    ));
                }
            }
            if let (Some((probes, base)), Applicability::Safe) =
                (&probes_and_base, fix.applicability)
            {
                checked_safe += 1;
                let widened: Vec<_> = allowed(&fixed_text, probes)
                    .into_iter()
                    .filter(|pair| !base.contains(pair))
                    .collect();
                if !widened.is_empty() {
                    failures.push(format!(
                        "{what}: a safe fix grants what the policy did not: {widened:?}"
                    ));
                }
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {applied} fixes:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert!(applied > 150, "only {applied} fixes were applied");
    assert!(
        checked_safe > 60,
        "only {checked_safe} safe fixes were probed"
    );
}
