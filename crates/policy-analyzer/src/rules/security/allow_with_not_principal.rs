use crate::diagnostic::Severity;
use crate::eval::search::{OutsideAccessSearch, OutsideCaller, MAX_SEARCHED_STATEMENTS};
use crate::eval::{covers_action, EvalOptions, PrincipalValue};
use crate::rules::{Check, Context, Emitter, FixAvailability, Pack, Rule};

pub(crate) static RULE: Rule = Rule {
    code: "PC502",
    name: "allow-with-not-principal",
    pack: Pack::Security,
    severity: Severity::Warning,
    fix: FixAvailability::None,
    tags: &[],
    summary: "An Allow statement with NotPrincipal grants every principal it does not list",
    docs: r#"## What it does
Reports an `Allow` statement that uses `NotPrincipal`.

## Why it matters
`NotPrincipal` with `Allow` grants the statement's actions to *every*
principal except the listed ones: every role and user of every other AWS
account and every service principal. It is almost always
meant the other way round. The exclusion is also narrower than it reads: a
role is left out only if its account is listed too, because IAM evaluates a
request as both the role and its account.

## Example
```json
{
  "Effect": "Allow",
  "NotPrincipal": {"AWS": "arn:aws:iam::111122223333:role/Untrusted"},
  "Action": "kms:Decrypt",
  "Resource": "*"
}
```

## Use instead
```json
{
  "Effect": "Allow",
  "Principal": {"AWS": "arn:aws:iam::111122223333:role/Reader"},
  "Action": "kms:Decrypt",
  "Resource": "*"
}
```

## Fix
Name the principals that need access in `Principal`. To keep everyone but a
few out, use `Deny` with `NotPrincipal` (listing the account ARN too) next
to narrow `Allow` statements.

## Sources
- IAM User Guide, "AWS JSON policy elements: NotPrincipal": NotPrincipal with Allow, and the need to list the account of an excluded principal (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_notprincipal.html).
- AWS KMS Developer Guide, "Creating a key policy" ("Principal"): which principals a key policy can name (https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-overview.html).
"#,
    check: Check::Policy(check),
};

fn check(ctx: &Context<'_>, out: &mut Emitter<'_>) {
    let options = EvalOptions::default();
    let search = OutsideAccessSearch::new(ctx.policy, &options);
    let mut searched = 0;
    for statement in &ctx.policy.statements {
        let Some(not_principal) = &statement.not_principal else {
            continue;
        };
        if !statement.is_allow() || statement.principal.is_some() {
            continue;
        }
        // `NotPrincipal: {"AWS": "*"}` leaves nobody in: it grants nothing.
        let excludes_everyone = not_principal.values().any(|(kind, text)| {
            PrincipalValue::parse(kind, text.value) == PrincipalValue::Everyone
        });
        if excludes_everyone {
            continue;
        }
        // Ask whether an outsider really gets in, to say what is at stake
        // (of as many statements as a search looks at; of the rest, what
        // NotPrincipal grants in principle is said).
        searched += 1;
        let reachable = searched > MAX_SEARCHED_STATEMENTS
            || ctx
                .catalog
                .actions()
                .iter()
                .filter(|a| a.effective_in_key_policy && covers_action(statement, &a.name))
                .any(|a| {
                    search
                        .find(statement.index, &a.name, &OutsideCaller::PUBLIC)
                        .is_some()
                });
        let who = if reachable {
            "the roles and users of every other AWS account, and service principals"
        } else {
            "today only its conditions keep other accounts out"
        };
        let mut d = out
            .diagnostic(
                not_principal.element.key_range,
                format!(
                    "{} allows every principal except those in NotPrincipal: {who}",
                    statement.label()
                ),
            )
            .at_node(ctx.tree, not_principal.element.value)
            .with_help(
                "name the principals that need access in Principal; to shut out a few, use Deny with \
                 NotPrincipal (listing their account too) next to narrow Allow statements",
            );
        for (kind, text) in not_principal.values().take(3) {
            let label = match PrincipalValue::parse(kind, text.value) {
                PrincipalValue::Account(_) => "left out, with every principal of this account",
                PrincipalValue::Arn(_) => "left out only if its account is listed too",
                _ => "left out",
            };
            d = d.with_related(text.range, label);
        }
        out.push(d);
    }
}
