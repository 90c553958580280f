//! What rules of every pack share: the budget that keeps one rule's work
//! bounded on hostile input (the `Emitter` bounds the findings), the statements a rule may judge, and
//! small helpers for messages and severities.

use super::{Context, Emitter, Rule};
use crate::diagnostic::{Diagnostic, Severity};
use crate::model::Statement;
use crate::syntax::{NodeId, Tree};
use crate::text::TextRange;

/// At most this many steps (statements or values looked at) of one rule in one
/// document. A 32 KB key policy has a few thousand values at most, so real
/// policies never reach it; it keeps a 50 MB input from costing minutes.
pub(crate) const MAX_STEPS_PER_RULE: usize = 100_000;

/// At most this many entries of one list (`Action`, `Resource`, principal
/// values) are compared with each other.
pub(crate) const MAX_ENTRIES_PER_LIST: usize = 10_000;

/// A rule's emitter with a budget of steps: it tells the rule to stop after
/// [`MAX_STEPS_PER_RULE`] steps. Until then the rule goes on even when the
/// emitter keeps no more findings, so that its summary counts them all.
pub(crate) struct Findings<'e, 'r> {
    out: &'e mut Emitter<'r>,
    steps: usize,
}

impl<'e, 'r> Findings<'e, 'r> {
    pub(crate) fn new(out: &'e mut Emitter<'r>) -> Self {
        Findings {
            out,
            steps: MAX_STEPS_PER_RULE,
        }
    }

    pub(crate) fn diagnostic(&self, range: TextRange, message: impl Into<String>) -> Diagnostic {
        self.out.diagnostic(range, message)
    }

    pub(crate) fn push(&mut self, diagnostic: Diagnostic) {
        self.out.push(diagnostic);
    }

    /// See [`Emitter::is_full`].
    pub(crate) fn is_full(&self) -> bool {
        self.out.is_full()
    }

    /// Takes one step; true when the rule should stop looking (the steps
    /// are used up).
    pub(crate) fn full(&mut self) -> bool {
        if self.steps == 0 {
            return true;
        }
        self.steps -= 1;
        false
    }
}

/// A statement's label (`statement "Sid"` or `statement #2`), written only
/// when a message is formatted: most statements have no finding.
#[derive(Clone, Copy)]
pub(crate) struct Label<'a, 't>(pub &'a Statement<'t>);

impl std::fmt::Display for Label<'_, '_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0.label())
    }
}

/// Whether `range` holds no invalid JSON. What the parser recovered from
/// invalid text (a template directive such as `%{ for ... }`, a missing comma)
/// is not what the author wrote, so the rules do not judge it: the syntax
/// errors are the finding there.
pub(crate) fn intact(ctx: &Context<'_>, range: TextRange) -> bool {
    !ctx.overlaps_invalid(range)
}

/// The statements of the model that hold no invalid JSON (see [`intact`])
/// and are not a CloudFormation intrinsic (`{"Fn::If": [...]}`), which
/// `invalid-element-type` reports.
pub(crate) fn statements<'c, 't>(
    ctx: &'c Context<'t>,
) -> impl Iterator<Item = &'c Statement<'t>> + 'c {
    ctx.policy
        .statements
        .iter()
        .filter(move |s| intact(ctx, s.range) && intrinsic(ctx.tree, s.node).is_none())
}

/// The function name when `node` is a CloudFormation intrinsic function
/// (`{"Ref": ...}`, `{"Fn::Sub": ...}`): an object with one such key.
pub(crate) fn intrinsic<'t>(tree: &'t Tree<'t>, node: NodeId) -> Option<&'t str> {
    match tree.members(node) {
        [only] if only.key == "Ref" || only.key.starts_with("Fn::") => Some(only.key.as_ref()),
        _ => None,
    }
}

/// The severity for a finding that the rule reports at most at `cap`: the
/// configured severity of the rule, lowered to `cap` when it is higher.
pub(crate) fn capped(ctx: &Context<'_>, rule: &Rule, cap: Severity) -> Severity {
    ctx.options.rules.severity_of(rule).min(cap)
}
