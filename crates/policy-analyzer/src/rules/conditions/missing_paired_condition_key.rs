use crate::diagnostic::Severity;
use crate::rules::{Check, Context, Emitter, FixAvailability, Pack, Rule};

pub(crate) static RULE: Rule = Rule {
    code: "PC319",
    name: "missing-paired-condition-key",
    pack: Pack::Conditions,
    severity: Severity::Warning,
    fix: FixAvailability::None,
    tags: &[],
    summary: "`aws:VpcSourceIp` in an Allow without `aws:SourceVpc` or `aws:SourceVpce`",
    docs: r#"## What it does
Reports an Allow statement that conditions on `aws:VpcSourceIp` without
also naming the VPC (`aws:SourceVpc`) or the VPC endpoint
(`aws:SourceVpce`) in its `Condition`.

## Why it matters
`aws:VpcSourceIp` is the private address of the caller inside *some* VPC.
Private ranges repeat across VPCs and accounts: `10.0.0.0/16` is the
default of countless VPCs, so the address alone says nothing about which
network the request came from. Paired with `aws:SourceVpc` or
`aws:SourceVpce` it says "from these addresses of this VPC". IAM Access
Analyzer reports the unpaired key as a security warning.

## Example
```json
"IpAddress": {"aws:VpcSourceIp": "10.0.0.0/16"}
```

## Use instead
```json
"IpAddress": {"aws:VpcSourceIp": "10.0.0.0/16"},
"StringEquals": {"aws:SourceVpc": "vpc-1a2b3c4d"}
```

## Fix
No automatic fix: add the VPC or VPC endpoint the addresses belong to.

## Sources
- IAM User Guide, "AWS global condition context keys", `aws:VpcSourceIp`: "use this key with aws:SourceVpc or aws:SourceVpce" (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-vpcsourceip).
- IAM User Guide, IAM policy validation check reference: "Security Warning – Missing paired condition keys", with `aws:VpcSourceIp` and `aws:SourceVPC` as its example (https://docs.aws.amazon.com/IAM/latest/UserGuide/access-analyzer-reference-policy-checks.html).
"#,
    check: Check::Policy(check),
};

fn check(ctx: &Context<'_>, out: &mut Emitter<'_>) {
    for statement in &ctx.policy.statements {
        if !statement.is_allow() {
            continue;
        }
        let Some(block) = &statement.condition else {
            continue;
        };
        let has = |name: &str| {
            block
                .entries()
                .any(|(_, k)| k.key.value.eq_ignore_ascii_case(name))
        };
        if has("aws:SourceVpc") || has("aws:SourceVpce") {
            continue;
        }
        let Some((_, key)) = block
            .entries()
            .find(|(_, k)| k.key.value.eq_ignore_ascii_case("aws:VpcSourceIp"))
        else {
            continue;
        };
        let d = out
            .diagnostic(
                key.key.range,
                format!(
                    "{} allows by `aws:VpcSourceIp` alone: private addresses repeat across VPCs and accounts, so without `aws:SourceVpc` or `aws:SourceVpce` the condition admits callers from any VPC that uses these addresses",
                    statement.label()
                ),
            )
            .with_help("add `\"StringEquals\": {\"aws:SourceVpc\": \"vpc-...\"}` (or `aws:SourceVpce`) to the same condition")
            .at_node(ctx.tree, key.value_node);
        out.push(d);
    }
}
