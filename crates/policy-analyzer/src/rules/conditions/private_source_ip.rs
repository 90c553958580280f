use std::net::IpAddr;

use crate::diagnostic::Severity;
use crate::model::BaseOperator;
use crate::rules::conditions::{at_most, code, entries, list};
use crate::rules::{Check, Context, Emitter, FixAvailability, Pack, Rule};

pub(crate) static RULE: Rule = Rule {
    code: "PC317",
    name: "private-source-ip",
    pack: Pack::Conditions,
    severity: Severity::Error,
    fix: FixAvailability::None,
    tags: &[],
    summary: "`aws:SourceIp` compared with private addresses, which it never holds",
    docs: r#"## What it does
Reports `aws:SourceIp` under `IpAddress` or `NotIpAddress` with private
address ranges (`10.0.0.0/8`, `172.16.0.0/12`, `192.168.0.0/16`, loopback,
link-local, and the IPv6 unique-local `fc00::/7` and link-local `fe80::/10`):
an error when every value is private, a hint when only some are.

## Why it matters
`aws:SourceIp` is the public address a request comes from. A request from
inside a VPC through a VPC endpoint carries no `aws:SourceIp` at all (it
carries `aws:VpcSourceIp`), and a request over the internet comes from a
public address. So a private range never matches: under `IpAddress` the
condition is never true and the statement never applies; under
`NotIpAddress` it is always true and excludes nothing, so a Deny meant to
let the corporate network through denies it too, or an Allow meant to keep
it out lets everyone in.

## Example
```json
"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}
```

## Use instead
```json
"IpAddress": {"aws:VpcSourceIp": "10.0.0.0/8"},
"StringEquals": {"aws:SourceVpc": "vpc-1a2b3c4d"}
```

## Fix
No automatic fix: use `aws:VpcSourceIp` together with `aws:SourceVpc` or
`aws:SourceVpce` for addresses inside a VPC, or the public addresses of the
network's internet gateway or NAT.

## Sources
- IAM User Guide, "AWS global condition context keys", `aws:SourceIp`: the requester's IP address; requests through a VPC endpoint carry `aws:VpcSourceIp` instead (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-sourceip).
- IAM User Guide, IAM policy validation check reference: "Error – Private IP address", "Error – Private NotIpAddress", "Suggestion – Private IP address subset" (https://docs.aws.amazon.com/IAM/latest/UserGuide/access-analyzer-reference-policy-checks.html).
- RFC 1918 (private IPv4 ranges, https://www.rfc-editor.org/rfc/rfc1918) and RFC 4193 (IPv6 unique local addresses, https://www.rfc-editor.org/rfc/rfc4193).
"#,
    check: Check::Policy(check),
};

/// Whether an address range lies inside a private, loopback or link-local
/// range.
fn is_private(value: &str) -> bool {
    let (address, prefix) = value.trim().split_once('/').unwrap_or((value.trim(), ""));
    let Ok(ip) = address.parse::<IpAddr>() else {
        return false;
    };
    let prefix: Option<u8> = if prefix.is_empty() {
        None
    } else {
        prefix.parse().ok()
    };
    match ip {
        IpAddr::V4(v4) => {
            let [a, b, ..] = v4.octets();
            let (inside, min) = match (a, b) {
                (10, _) => (true, 8),
                (172, 16..=31) => (true, 12),
                (192, 168) => (true, 16),
                (127, _) => (true, 8),
                (169, 254) => (true, 16),
                _ => (false, 0),
            };
            inside && prefix.is_none_or(|p| p >= min)
        }
        IpAddr::V6(v6) => {
            let first = v6.segments()[0];
            let (inside, min) = if v6.is_loopback() {
                (true, 128)
            } else if first & 0xfe00 == 0xfc00 {
                (true, 7)
            } else if first & 0xffc0 == 0xfe80 {
                (true, 10)
            } else {
                (false, 0)
            };
            inside && prefix.is_none_or(|p| p >= min)
        }
    }
}

fn check(ctx: &Context<'_>, out: &mut Emitter<'_>) {
    for entry in entries(ctx.policy) {
        if !entry.key_name().eq_ignore_ascii_case("aws:SourceIp") {
            continue;
        }
        let Some(op) = entry.operator() else { continue };
        if !matches!(
            op.base,
            BaseOperator::IpAddress | BaseOperator::NotIpAddress
        ) {
            continue;
        }
        let private: Vec<_> = entry
            .key
            .values
            .iter()
            .filter(|v| is_private(v.value))
            .collect();
        if private.is_empty() {
            continue;
        }
        let all = private.len() == entry.key.values.len();
        let shown: Vec<String> = private.iter().map(|v| code(v.value)).collect();
        let consequence = match (op.base, all) {
            (BaseOperator::IpAddress, true) => format!(
                "so this `{}` condition is never true and {}",
                entry.op_name(),
                crate::rules::conditions::never_applies(entry.statement)
            ),
            (_, true) if entry.statement.is_deny() => format!(
                "so `{}` excludes nothing and the Deny applies to the private network too",
                entry.op_name()
            ),
            (_, true) => format!("so `{}` excludes nothing", entry.op_name()),
            (_, false) => "so these values never match and only the public ones count".to_string(),
        };
        let d = out
            .diagnostic(
                private[0].range,
                format!(
                    "`{}` on `aws:SourceIp` in {} {} private {}: `aws:SourceIp` is the public address a request comes from, and a request from inside a VPC carries `aws:VpcSourceIp` instead, {consequence}",
                    entry.op_name(),
                    entry.statement.label(),
                    if all { "lists only" } else { "lists" },
                    if shown.len() == 1 {
                        format!("range {}", shown[0])
                    } else {
                        format!("ranges {}", list(&shown, 3))
                    },
                ),
            )
            .with_help("for addresses inside a VPC use `aws:VpcSourceIp` together with `aws:SourceVpc` or `aws:SourceVpce`; for the internet, the network's public addresses")
            .at_node(ctx.tree, private[0].node);
        out.push(if all { d } else { at_most(d, Severity::Hint) });
    }
}

#[cfg(test)]
mod tests {
    use super::is_private;

    #[test]
    fn private_ranges() {
        for p in [
            "10.0.0.0/8",
            "10.1.2.3",
            "172.16.0.0/12",
            "172.31.255.0/24",
            "192.168.1.0/24",
            "127.0.0.1",
            "169.254.169.254",
            "fd00::/8",
            "fe80::1",
            "::1",
        ] {
            assert!(is_private(p), "{p}");
        }
        for p in [
            "203.0.113.0/24",
            "172.32.0.0/16",
            "0.0.0.0/0",
            "10.0.0.0/7",
            "192.0.0.0/8",
            "2001:db8::/32",
            "fc00::/6",
            "vpc-1",
        ] {
            assert!(!is_private(p), "{p}");
        }
    }
}
