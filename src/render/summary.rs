//! The human summary line: `Checked 12 files in 8 ms: 2 errors, 1 warning`.

use std::time::Duration;

use policy_analyzer::Severity;

use crate::report::Summary;

pub fn line(summary: &Summary, color: bool) -> String {
    const SEVERITIES: [(Severity, &str, &str); 4] = [
        (Severity::Error, "error", "errors"),
        (Severity::Warning, "warning", "warnings"),
        (Severity::Info, "info", "info"),
        (Severity::Hint, "hint", "hints"),
    ];
    let counted = |shown: bool| -> Vec<String> {
        SEVERITIES
            .into_iter()
            .filter(|&(s, _, _)| summary.count(s) > 0 && (s >= summary.min_severity) == shown)
            .map(|(s, one, many)| count(summary.count(s), one, many))
            .collect()
    };
    let mut findings = counted(true);
    let hidden = counted(false);
    if findings.is_empty() {
        findings.push(if hidden.is_empty() {
            "no findings".to_string()
        } else {
            "no problems".to_string()
        });
    }
    let mut line = format!(
        "Checked {} in {}: {}",
        count(summary.files_checked, "file", "files"),
        duration(summary.elapsed),
        findings.join(", ")
    );
    if !hidden.is_empty() {
        let lowest = SEVERITIES
            .into_iter()
            .filter(|&(s, _, _)| summary.count(s) > 0)
            .map(|(s, _, _)| s)
            .min()
            .unwrap_or(Severity::Hint);
        line.push_str(&format!(
            " ({} not shown; --min-severity {lowest} shows them)",
            join(&hidden)
        ));
    }
    if !summary.services.is_empty() {
        let services: Vec<String> = summary
            .services
            .iter()
            .map(|(service, keys)| format!("{service} ({})", count(*keys, "key", "keys")))
            .collect();
        line.push_str(&format!("; services checked: {}", services.join(", ")));
    }
    if summary.fixed > 0 {
        let verb = if summary.diff_only {
            "would fix"
        } else {
            "fixed"
        };
        line.push_str(&format!(
            "; {verb} {}",
            count(summary.fixed, "finding", "findings")
        ));
    }
    if summary.suppressed > 0 {
        line.push_str(&format!("; {} suppressed", summary.suppressed));
    }
    if summary.baselined > 0 {
        line.push_str(&format!("; {} in the baseline", summary.baselined));
    }
    if summary.errors > 0 {
        line.push_str(&format!(
            "; {} could not be read or used",
            count(summary.errors, "file or config", "files or configs")
        ));
    }
    if color {
        let failed = summary.errors > 0
            || summary.count(Severity::Error) > 0
            || summary.count(Severity::Warning) > 0;
        let style = if failed { "\x1b[1m" } else { "\x1b[1;32m" };
        line = format!("{style}{line}\x1b[0m");
    }
    line
}

fn join(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}

fn count(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// `--statistics`: how many findings each rule has, most first.
pub fn statistics(summary: &Summary) -> String {
    let mut rows: Vec<(&(&str, &str), &usize)> = summary.by_rule.iter().collect();
    rows.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
    let width = rows
        .iter()
        .map(|(_, n)| n.to_string().len())
        .max()
        .unwrap_or(1);
    let mut out = String::new();
    for ((code, name), n) in rows {
        out.push_str(&format!("{n:>width$}  {code}  {name}\n"));
    }
    out
}

fn duration(d: Duration) -> String {
    if d < Duration::from_secs(1) {
        format!("{} ms", d.as_millis())
    } else {
        format!("{:.2} s", d.as_secs_f64())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_and_plurals() {
        let mut s = Summary {
            files_checked: 12,
            elapsed: Duration::from_millis(8),
            ..Summary::default()
        };
        assert_eq!(line(&s, false), "Checked 12 files in 8 ms: no findings");
        s.findings = [3, 0, 1, 2];
        s.errors = 1;
        s.files_checked = 1;
        assert_eq!(
            line(&s, false),
            "Checked 1 file in 8 ms: 2 errors, 1 warning, 3 hints; 1 file or config could not be read or used"
        );
    }
}
