use crate::diagnostic::{Diagnostic, Severity};
use crate::rules::{Check, Context, Emitter, FixAvailability, Pack, Rule};
use crate::text::TextRange;
use crate::AnalyzeOptions;

pub(crate) static RULE: Rule = Rule {
    code: "PC005",
    name: "invalid-encoding",
    pack: Pack::Syntax,
    severity: Severity::Error,
    fix: FixAvailability::None,
    tags: &[],
    summary: "The file is not UTF-8 text",
    docs: r#"## What it does
Reports a file whose bytes are not valid UTF-8 (a binary file, or text saved
as Latin-1 or UTF-16), at the first invalid byte. Nothing else in the file is
checked.

## Why it matters
Policy documents are JSON, which must be UTF-8 when exchanged between systems.
AWS rejects a key policy that is not valid text.

## Example
A policy saved from an editor as UTF-16, or with a Latin-1 `é` in a Sid.

## Use instead
Save the file as UTF-8 (without a byte order mark).

## Fix
Re-encode the file as UTF-8, for example `iconv -f latin1 -t utf-8`.

## Sources
- RFC 8259, section 8.1: JSON text exchanged between systems must be encoded in UTF-8 (https://www.rfc-editor.org/rfc/rfc8259#section-8.1).
- AWS KMS Developer Guide, "Creating a key policy" ("Key policy format"): allowed characters in a key policy (https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-overview.html).
"#,
    check: Check::Policy(check),
};

fn check(_ctx: &Context<'_>, _out: &mut Emitter<'_>) {
    // Text handed to the analyzer is already UTF-8; `analyze_bytes` reports
    // the raw-bytes case through `diagnostic` below.
}

/// The diagnostic for bytes that are not UTF-8.
pub(crate) fn diagnostic(
    bytes: &[u8],
    err: &std::str::Utf8Error,
    options: &AnalyzeOptions,
) -> Diagnostic {
    let at = err.valid_up_to();
    let len = err.error_len().unwrap_or(bytes.len() - at).max(1);
    let range = TextRange::new(at, (at + len).min(bytes.len()));
    let shown: Vec<String> = bytes[range.as_usize()]
        .iter()
        .map(|b| format!("0x{b:02X}"))
        .collect();
    let emitter = Emitter::new(&RULE, &options.rules);
    emitter
        .diagnostic(
            range,
            format!(
                "the file is not valid UTF-8: {} at byte offset {} is not part of a UTF-8 character, so this is not a policy document AWS accepts",
                shown.join(" "),
                at
            ),
        )
        .with_help("save the file as UTF-8; if it is a binary file, exclude it from the check")
}
