//! JSON syntax with byte ranges for every key and value.
//!
//! Parsing never fails and never panics: [`parse`] always returns a [`Tree`]
//! (possibly partial) plus the [`SyntaxError`]s it met. The parser keeps its
//! own explicit stack, so deeply nested input cannot overflow the call stack.
//!
//! The parser is hand-written rather than taken from a JSON crate because the
//! analyzer needs what general parsers drop: the range of every key, every
//! duplicate key (AWS keeps one and silently discards the other), comments and
//! trailing commas reported as errors while parsing goes on, and recovery after
//! invalid text so that the rest of the policy is still checked.

mod lexer;
mod parser;
mod tree;

pub use parser::parse;
pub use tree::{Member, Node, NodeId, NodeKind, Tree};

use crate::text::TextRange;

/// What kind of syntax problem was found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SyntaxErrorKind {
    /// The text is not valid JSON at this point.
    Invalid,
    /// A key repeats an earlier key of the same object (`first` is the earlier key).
    DuplicateKey { first: TextRange },
    /// A `//` or `/* */` comment.
    Comment,
    /// A comma before `}` or `]`.
    TrailingComma,
}

/// A problem found while parsing.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SyntaxError {
    pub kind: SyntaxErrorKind,
    pub range: TextRange,
    pub message: String,
    /// A second place that explains the error (where an unclosed object opens).
    pub related: Option<(TextRange, String)>,
}

/// The result of parsing: the tree and the errors met on the way.
#[derive(Debug)]
pub struct Parse<'a> {
    pub tree: Tree<'a>,
    pub errors: Vec<SyntaxError>,
}

#[cfg(test)]
mod tests;
