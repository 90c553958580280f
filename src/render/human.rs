//! The human format: miette's graphical report with the source snippet,
//! labels and help.

use miette::{GraphicalReportHandler, GraphicalTheme, LabeledSpan, MietteDiagnostic, NamedSource};
use policy_analyzer::{Applicability, Diagnostic, Severity};

/// Renders one file's diagnostics.
pub fn render(
    path: &str,
    text: &str,
    diagnostics: &[Diagnostic],
    color: bool,
    width: usize,
) -> String {
    let theme = if color {
        GraphicalTheme::unicode()
    } else {
        GraphicalTheme::unicode_nocolor()
    };
    let handler = GraphicalReportHandler::new_themed(theme)
        .with_width(width)
        .with_links(false)
        .with_context_lines(1);
    let mut out = String::new();
    for d in diagnostics {
        let report = miette::Report::new(to_miette(d))
            .with_source_code(NamedSource::new(path, text.to_string()).with_language("json"));
        if handler.render_report(&mut out, report.as_ref()).is_err() {
            // Rendering only fails on a broken formatter; fall back to one line.
            out.push_str(&format!("{}: {} {}\n", path, d.code, d.message));
        }
    }
    out
}

fn to_miette(d: &Diagnostic) -> MietteDiagnostic {
    let severity = match d.severity {
        Severity::Error => miette::Severity::Error,
        Severity::Warning => miette::Severity::Warning,
        Severity::Info | Severity::Hint => miette::Severity::Advice,
    };
    let mut labels = vec![LabeledSpan::new_primary_with_span(
        Some(d.name.to_string()),
        (d.range.start as usize, d.range.len()),
    )];
    labels.extend(d.related.iter().map(|r| {
        LabeledSpan::new_with_span(
            Some(r.label.clone()),
            (r.range.start as usize, r.range.len()),
        )
    }));
    let mut help = d.help.clone();
    if let Some(fix) = &d.fix {
        let kind = match fix.applicability {
            Applicability::Safe => "fix",
            Applicability::Unsafe => "fix (review before applying)",
        };
        let line = format!("{kind}: {}", fix.title);
        help = Some(match help {
            Some(h) => format!("{h}\n{line}"),
            None => line,
        });
    }
    let mut m = MietteDiagnostic::new(d.message.clone())
        .with_code(format!("{}({})", d.code, severity_word(d.severity)))
        .with_severity(severity)
        .with_labels(labels);
    if let Some(h) = help {
        m = m.with_help(h);
    }
    m
}

fn severity_word(s: Severity) -> &'static str {
    s.as_str()
}
