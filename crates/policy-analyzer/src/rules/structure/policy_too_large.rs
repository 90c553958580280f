use crate::diagnostic::Severity;
use crate::rules::shared::{capped, Findings};
use crate::rules::{Check, Context, Emitter, FixAvailability, Pack, Rule};
use crate::text::TextRange;
use crate::KEY_POLICY_MAX_BYTES;

pub(crate) static RULE: Rule = Rule {
    code: "PC110",
    name: "policy-too-large",
    pack: Pack::Structure,
    severity: Severity::Error,
    fix: FixAvailability::None,
    tags: &[],
    summary: "The key policy is larger than KMS's 32 KB limit",
    docs: r#"## What it does
Reports a key policy larger than 32,768 bytes. The file is measured as it is
written (UTF-8 bytes, white space included) and again without the white space
between JSON tokens:
- over the limit even without white space: an error;
- over the limit only because of indentation and line breaks: a warning.

## Why it matters
KMS rejects a key policy document larger than 32 KB (32,768 bytes), so the key
cannot be created or its policy updated, which often surfaces only at deploy
time. KMS documents the limit on the document it receives; it does not say
that white space is excluded (IAM's own policy quotas exclude it, KMS's do
not say so), so whether an indented policy near the limit is accepted depends
on how the tool that sends it formats it. CloudFormation, Terraform's
`jsonencode` and `jq -c` send compact JSON; a pasted or `file()`-loaded policy
keeps its indentation.

## Example
A key policy that grants each of 150 roles its own statement.

## Use instead
One statement listing all the roles in its `Principal`, wildcards such as
`kms:GenerateDataKey*` in place of long action lists, or an account-root
statement that lets IAM policies grant the roles access.

## Fix
Shorten the policy as above, or, when only white space pushes it over the
limit, send it minified. There is no automatic fix.

## Sources
- AWS KMS Developer Guide, "Creating a key policy" ("Key policy format"): "Up to 32 kilobytes (32,768 bytes)" (https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-overview.html).
- AWS KMS API Reference, PutKeyPolicy: the `Policy` parameter is the key policy document; the SDK documentation states "The policy size limit is 32 KiB (32768 bytes)" (https://docs.aws.amazon.com/kms/latest/APIReference/API_PutKeyPolicy.html).
- IAM User Guide, "Grammar of the IAM JSON policy language": for IAM policies "Policy size calculations do not include white space characters" (a rule KMS does not state for key policies) (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_grammar.html).
"#,
    check: Check::Policy(check),
};

fn check(ctx: &Context<'_>, out: &mut Emitter<'_>) {
    let out = &mut Findings::new(out);
    if !ctx.policy.is_policy() || ctx.text.len() <= KEY_POLICY_MAX_BYTES {
        return;
    }
    let Some(root) = ctx.policy.root else { return };
    let written = ctx.text.len();
    let compact = compact_len(ctx.text);
    let at = ctx.tree.range(root).start as usize;
    let mut limit = KEY_POLICY_MAX_BYTES;
    while !ctx.text.is_char_boundary(limit) {
        limit -= 1;
    }
    let limit_end = ctx.text[limit..]
        .chars()
        .next()
        .map_or(limit, |c| limit + c.len_utf8());
    let mut d = if compact > KEY_POLICY_MAX_BYTES {
        out.diagnostic(
            TextRange::new(at, at + 1),
            format!(
                "the key policy is {written} bytes ({compact} without white space): KMS accepts key policies of at most {KEY_POLICY_MAX_BYTES} bytes (32 KB), so it rejects this one"
            ),
        )
        .with_help("shorten the policy: merge statements that share principals and conditions, use wildcards such as `kms:GenerateDataKey*`, or grant access through IAM policies (which the account-root statement enables)")
    } else {
        out.diagnostic(
            TextRange::new(at, at + 1),
            format!(
                "the key policy is {written} bytes as written, over KMS's {KEY_POLICY_MAX_BYTES}-byte limit; without white space it is {compact} bytes, so KMS accepts it only if it is sent without the indentation"
            ),
        )
        .with_help("send the policy minified (CloudFormation, Terraform's `jsonencode` and `jq -c` do), or shorten it")
        .with_severity(capped(ctx, &RULE, Severity::Warning))
    };
    d = d
        .with_related(
            TextRange::new(limit, limit_end),
            format!("the document passes {KEY_POLICY_MAX_BYTES} bytes here"),
        )
        .at_node(ctx.tree, root);
    out.push(d);
}

/// The length in bytes of the text without white space outside strings.
fn compact_len(text: &str) -> usize {
    let mut len = 0;
    let mut in_string = false;
    let mut escaped = false;
    for &b in text.as_bytes() {
        if in_string {
            len += 1;
            if escaped {
                escaped = false;
            } else if b == b'\\' {
                escaped = true;
            } else if b == b'"' {
                in_string = false;
            }
        } else if !matches!(b, b' ' | b'\t' | b'\n' | b'\r') {
            len += 1;
            in_string = b == b'"';
        }
    }
    len
}

#[cfg(test)]
mod tests {
    use super::compact_len;

    #[test]
    fn counts_bytes_without_white_space_outside_strings() {
        assert_eq!(
            compact_len("{ \"a b\" : [ 1 ,\n\t2 ] }"),
            "{\"a b\":[1,2]}".len()
        );
        assert_eq!(
            compact_len(r#"{"a\" b": "c d"}"#),
            r#"{"a\" b":"c d"}"#.len()
        );
        assert_eq!(compact_len("\"é\""), 4);
    }
}
