use crate::catalog::distance;
use crate::diagnostic::{Fix, Severity};
use crate::rules::edits::insert_first_member;
use crate::rules::shared::{capped, Findings};
use crate::rules::structure::policy_like;
use crate::rules::{Check, Context, Emitter, FixAvailability, Pack, Rule};
use crate::text::TextRange;

pub(crate) static RULE: Rule = Rule {
    code: "PC108",
    name: "invalid-version",
    pack: Pack::Structure,
    severity: Severity::Error,
    fix: FixAvailability::Sometimes,
    tags: &[],
    summary: "Version is missing, is not a policy-language version, or is the old 2008-10-17",
    docs: r#"## What it does
Checks the policy's `Version`:
- a value other than `2012-10-17` and `2008-10-17` (often a date such as
  `2012-10-18` or the day the policy was written) is an error;
- no `Version` at all is a warning: the policy is then read under the old
  2008-10-17 language;
- `2008-10-17` is reported for information.

## Why it matters
`Version` is not a date of the policy but the version of the policy language,
and IAM knows exactly two. Any other value makes KMS reject the policy. With
`2008-10-17`, or without `Version`, newer features do not work: policy
variables such as `${aws:username}` or `${aws:PrincipalTag/team}` are
literal text, so a `Resource` or condition that uses one matches only that
text. The KMS guide names `Version` as a required element of a key policy and
says to set it to 2012-10-17.

## Example
```json
{
  "Version": "2021-01-01",
  "Statement": [ ... ]
}
```

## Use instead
```json
{
  "Version": "2012-10-17",
  "Statement": [ ... ]
}
```

## Fix
The fix sets `Version` to `2012-10-17` (adding it when it is missing). It is
safe when the policy contains no `${...}` text, whose meaning changes from
literal text to a policy variable, and when a wrong value is a near miss such
as `2012-10-18`; otherwise it is marked for review.

## Sources
- IAM User Guide, "IAM JSON policy elements: Version": IAM supports `2012-10-17` and `2008-10-17`; with `2008-10-17` "variables such as `${aws:username}` aren't recognized as variables and are instead treated as literal strings" (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_version.html).
- IAM User Guide, "IAM policy elements: Variables and tags": "If you don't include the `Version` element and set it to an appropriate version date, variables like `${aws:username}` are treated as literal strings" (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_variables.html).
- IAM User Guide, "Grammar of the IAM JSON policy language": `<version_block> = "Version" : ("2008-10-17" | "2012-10-17")` (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_grammar.html).
- AWS KMS Developer Guide, "Creating a key policy": `Version` is a required element; set it to 2012-10-17 (https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-overview.html).
"#,
    check: Check::Policy(check),
};

const CURRENT: &str = "2012-10-17";
const OLD: &str = "2008-10-17";

fn check(ctx: &Context<'_>, out: &mut Emitter<'_>) {
    let out = &mut Findings::new(out);
    if !policy_like(ctx) {
        return;
    }
    let Some(root) = ctx.policy.root else { return };
    // `${` anywhere means a fix to 2012-10-17 may turn literal text into variables.
    let has_variables = || memchr::memmem::find(ctx.text.as_bytes(), b"${").is_some();
    match (&ctx.policy.version_element, &ctx.policy.version) {
        (None, _) if ctx.policy.is_policy() => {
            let fix = insert_first_member(ctx.tree, ctx.text, root, "Version", "\"2012-10-17\"")
                .map(|e| {
                    let fix =
                        Fix::replace("Add `\"Version\": \"2012-10-17\"`", e.range, e.replacement);
                    if has_variables() {
                        fix.unsafe_()
                    } else {
                        fix
                    }
                });
            let at = ctx.tree.range(root).start as usize;
            let d = out
                .diagnostic(
                    TextRange::new(at, at + 1),
                    "the policy has no `Version`: it is then read under the 2008-10-17 policy language, where policy variables such as `${aws:username}` are literal text; KMS expects `\"Version\": \"2012-10-17\"`",
                )
                .with_help("add `\"Version\": \"2012-10-17\"` as the first element of the policy")
                .with_fix_opt(fix)
                .with_severity(capped(ctx, &RULE, Severity::Warning))
                .at_node(ctx.tree, root);
            out.push(d);
        }
        // No Statement yet (missing-element), or not a string (invalid-element-type).
        (None, _) | (Some(_), None) => {}
        (Some(_), Some(version)) if version.value == CURRENT => {}
        (Some(_), Some(version)) if version.value == OLD => {
            let mut fix = Fix::replace("Use version 2012-10-17", version.range, "\"2012-10-17\"");
            if has_variables() {
                fix = fix.unsafe_();
            }
            let d = out
                .diagnostic(
                    version.range,
                    "`Version` 2008-10-17 is the old policy language: policy variables such as `${aws:username}` are literal text under it; AWS recommends 2012-10-17 for every policy",
                )
                .with_help("use `\"Version\": \"2012-10-17\"`; check first that no `${...}` text in the policy is meant literally")
                .with_fix(fix)
                .with_severity(capped(ctx, &RULE, Severity::Info))
                .at_node(ctx.tree, version.node);
            out.push(d);
        }
        (Some(_), Some(version)) => {
            let value = version.value;
            let near = distance(value.trim(), CURRENT) <= 2;
            let mut fix = Fix::replace("Use version 2012-10-17", version.range, "\"2012-10-17\"");
            if !near || has_variables() {
                fix = fix.unsafe_();
            }
            let why = if looks_like_date(value.trim()) {
                " (it is the version of the policy language, not a date of the policy)"
            } else {
                ""
            };
            let d = out
                .diagnostic(
                    version.range,
                    format!("`Version` \"{value}\" is not a policy-language version{why}: AWS knows only 2012-10-17 and 2008-10-17, so KMS rejects the policy"),
                )
                .with_help("use `\"Version\": \"2012-10-17\"`, the current policy language")
                .with_fix(fix)
                .at_node(ctx.tree, version.node);
            out.push(d);
        }
    }
}

/// `YYYY-MM-DD` or similar: digits and dashes with a dash.
fn looks_like_date(s: &str) -> bool {
    s.contains('-') && s.bytes().all(|b| b.is_ascii_digit() || b == b'-')
}
