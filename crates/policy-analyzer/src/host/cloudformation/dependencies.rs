//! Circular dependencies between resources: `DependsOn`, `Ref`, `Fn::GetAtt`
//! and the names inside `Fn::Sub`. A key whose policy names a role whose
//! own policy names the key is the common case: CloudFormation rejects the
//! template ("Circular dependency between resources").

use std::sync::Arc;

use rustc_hash::FxHashMap;

use super::resolve::{Index, Problems};
use super::template::{Id, Kind, Template};
use crate::host::report;
use crate::rules::templates::reference_cycle;
use crate::text::TextRange;
use crate::AnalyzeOptions;

/// How deep a resource's properties are searched for references.
const MAX_DEPTH: usize = 64;

/// One dependency: the resource named and where.
struct Edge {
    to: usize,
    at: TextRange,
}

/// Reports each circle of dependencies once, at the reference that closes it.
pub(crate) fn report_cycles(
    t: &Template,
    index: &Index<'_>,
    path: &Arc<str>,
    options: &AnalyzeOptions,
    problems: &mut Problems,
) {
    let names = &index.order;
    let number: FxHashMap<&str, usize> = names.iter().enumerate().map(|(i, n)| (*n, i)).collect();
    let edges: Vec<Vec<Edge>> = names
        .iter()
        .map(|name| {
            let resource = &index.resources[name];
            let mut out = Vec::new();
            if let Some(depends) = t.get(resource.id, "DependsOn") {
                let items: Vec<Id> = match t.kind(depends) {
                    Kind::Seq(items) => items.clone(),
                    _ => vec![depends],
                };
                for item in items {
                    if let Some(&to) = t.str(item).and_then(|n| number.get(n)) {
                        out.push(Edge {
                            to,
                            at: t.node(item).range,
                        });
                    }
                }
            }
            if let Some(props) = resource.properties {
                references(t, props, &number, &mut out);
            }
            out
        })
        .collect();

    // Iterative depth-first search; a back edge closes a circle.
    #[derive(Clone, Copy, PartialEq)]
    enum Mark {
        New,
        Open,
        Done,
    }
    let mut mark = vec![Mark::New; names.len()];
    for start in 0..names.len() {
        if mark[start] != Mark::New {
            continue;
        }
        let mut stack: Vec<(usize, usize)> = vec![(start, 0)];
        mark[start] = Mark::Open;
        while let Some(&mut (node, ref mut next)) = stack.last_mut() {
            if let Some(edge) = edges[node].get(*next) {
                *next += 1;
                match mark[edge.to] {
                    Mark::New => {
                        mark[edge.to] = Mark::Open;
                        stack.push((edge.to, 0));
                    }
                    Mark::Open => {
                        let from = stack.iter().position(|&(n, _)| n == edge.to).unwrap_or(0);
                        let circle: Vec<&str> = stack[from..]
                            .iter()
                            .map(|&(n, _)| names[n])
                            .chain(std::iter::once(names[edge.to]))
                            .collect();
                        let at = crate::host::Location {
                            file: path.clone(),
                            range: edge.at,
                        };
                        problems.push(
                            report(
                                &reference_cycle::RULE,
                                options,
                                &at,
                                format!(
                                    "resources depend on each other in a circle ({}): CloudFormation rejects the template with a circular dependency",
                                    circle.join(" -> ")
                                ),
                            )
                            .map(|d| {
                                d.with_help("break the circle: for a key and a role that name each other, name the role in the key policy by a constructed ARN (`!Sub arn:${AWS::Partition}:iam::${AWS::AccountId}:role/Name`) instead of `!GetAtt Role.Arn`")
                            }),
                        );
                    }
                    Mark::Done => {}
                }
            } else {
                mark[node] = Mark::Done;
                stack.pop();
            }
        }
    }
}

/// The resources a value names through `Ref`, `Fn::GetAtt` or `Fn::Sub`.
fn references(t: &Template, id: Id, number: &FxHashMap<&str, usize>, out: &mut Vec<Edge>) {
    let mut stack = vec![(id, 0usize)];
    // An alias shares its anchor's node: each node is read once.
    let mut seen = rustc_hash::FxHashSet::default();
    while let Some((id, depth)) = stack.pop() {
        if depth > MAX_DEPTH || !seen.insert(id) {
            continue;
        }
        if let Some((entry, arg)) = t.call(id) {
            let at = entry.key_range.cover(t.node(arg).range);
            let named: Vec<String> = match entry.key.as_str() {
                "Ref" => t.str(arg).map(str::to_string).into_iter().collect(),
                "Fn::GetAtt" => match t.kind(arg) {
                    Kind::Scalar(s) => s
                        .value
                        .split('.')
                        .next()
                        .map(str::to_string)
                        .into_iter()
                        .collect(),
                    Kind::Seq(items) => items
                        .first()
                        .and_then(|&i| t.str(i))
                        .map(str::to_string)
                        .into_iter()
                        .collect(),
                    _ => Vec::new(),
                },
                "Fn::Sub" => {
                    let (template, vars) = match t.kind(arg) {
                        Kind::Seq(items) => (items.first().copied(), items.get(1).copied()),
                        _ => (Some(arg), None),
                    };
                    let text = template.and_then(|s| t.str(s)).unwrap_or_default();
                    let mut names = sub_names(text);
                    // A name the variable map gives is not a resource.
                    names.retain(|n| vars.is_none_or(|v| t.get(v, n).is_none()));
                    names
                }
                _ => Vec::new(),
            };
            for name in named {
                if let Some(&to) = number.get(name.as_str()) {
                    out.push(Edge { to, at });
                }
            }
        }
        match t.kind(id) {
            Kind::Map(entries) => stack.extend(entries.iter().map(|e| (e.value, depth + 1))),
            Kind::Seq(items) => stack.extend(items.iter().map(|&i| (i, depth + 1))),
            _ => {}
        }
    }
}

/// The resource names `${Name}` and `${Name.Attribute}` of a `Fn::Sub` string.
fn sub_names(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(open) = rest.find("${") {
        let after = &rest[open + 2..];
        let Some(close) = after.find('}') else { break };
        let name = &after[..close];
        if !name.starts_with('!') && !name.starts_with("AWS::") {
            out.push(
                name.split('.')
                    .next()
                    .unwrap_or_default()
                    .trim()
                    .to_string(),
            );
        }
        rest = &after[close + 1..];
    }
    out
}
