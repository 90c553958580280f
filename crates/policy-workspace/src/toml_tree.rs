//! A TOML document as toml's tree of spanned values (`DeTable`, `DeValue`):
//! every key and value keeps its byte range, so that the config and the rule
//! packs can name the line (and column) of any mistake.
//!
//! serde over the tree stops at the first error it meets, and toml keeps a
//! table's keys in name order, not in the file's. [`read`] reports the
//! error a reader meets first, going down the file, whatever the keys'
//! names.

use std::borrow::Cow;
use std::ops::Range;

use serde::de::DeserializeOwned;
use toml::de::{DeArray, DeTable, DeValue, Error, ValueDeserializer};
use toml::Spanned;

/// A parsed document, or a part of one: a value and its byte range.
pub(crate) type Tree<'text> = Spanned<DeValue<'text>>;

/// A document that is not TOML: where, and toml's message.
pub(crate) struct SyntaxError {
    pub span: Option<Range<usize>>,
    pub message: String,
}

/// Parses a whole document into a tree whose root is its table.
pub(crate) fn parse(text: &str) -> Result<Tree<'_>, SyntaxError> {
    let root = DeTable::parse(text).map_err(|error| SyntaxError {
        span: syntax_error_span(text, &error),
        message: error.message().to_string(),
    })?;
    let span = root.span();
    Ok(Spanned::new(span, DeValue::Table(root.into_inner())))
}

/// An array left open at the end of the file is reported where toml_edit,
/// the parser before toml 1, reported it, and on the line users have seen:
/// at the end of the text, past the whitespace and comments an array may
/// hold, rather than at its last element. Other errors are where toml puts
/// them.
fn syntax_error_span(text: &str, error: &Error) -> Option<Range<usize>> {
    let span = error.span()?;
    let open_array_at_the_end = error.message().starts_with("unclosed array,")
        && text.get(span.start..).is_some_and(|rest| {
            rest.lines()
                .map(str::trim)
                .all(|line| line.is_empty() || line.starts_with('#'))
        });
    if open_array_at_the_end {
        Some(text.len()..text.len())
    } else {
        Some(span)
    }
}

/// Where an error is, if anywhere. An error of the document as a whole (a
/// key missing at the top level) has the document's span, which toml leaves
/// empty: it has no line of its own.
pub(crate) fn span_of(error: &Error) -> Option<Range<usize>> {
    error.span().filter(|span| !span.is_empty())
}

/// What [`read`] found.
pub(crate) struct Read<T> {
    /// The value, or the error first in the file.
    pub value: Result<T, Error>,
    /// The unknown keys that were left out, in file order.
    pub skipped: Vec<Error>,
}

/// Deserializes `tree`. With `skip_unknown_keys`, a key that `T` does not
/// know is left out (and listed in [`Read::skipped`]) rather than an error.
///
/// On an error, the entry at fault is taken out and the rest read again, to
/// find the errors that keys earlier in the file but later in name order
/// would give; the first in the file is reported. An error of a table or
/// array an entry was taken out of (now a key is missing) is of this
/// search's making, and left aside.
///
/// Each reading goes over the whole document, so a file of thousands of
/// faulty or unknown keys is read at most [`MAX_READINGS`] times: then the
/// first in the file of the errors met so far is reported.
pub(crate) fn read<T: DeserializeOwned>(tree: &Tree<'_>, skip_unknown_keys: bool) -> Read<T> {
    // Copied only once an entry is to be taken out.
    let mut tree = Cow::Borrowed(tree);
    let mut skipped = Vec::new();
    let mut first: Option<Error> = None;
    // The spans of the tables and arrays that entries were taken out of.
    let mut taken_from: Vec<Range<usize>> = Vec::new();
    let mut readings = 0;
    let value = loop {
        readings += 1;
        let error = match T::deserialize(ValueDeserializer::from(tree.as_ref().clone())) {
            Ok(value) => break first.map_or(Ok(value), Err),
            Err(error) => error,
        };
        let span = span_of(&error);
        let of_this_search = span.as_ref().is_some_and(|span| taken_from.contains(span));
        if readings == MAX_READINGS {
            break Err(match first {
                Some(first) if of_this_search || start_of(&first) <= start_of(&error) => first,
                _ => error,
            });
        }
        let unknown_key = skip_unknown_keys && error.message().starts_with("unknown field");
        let removed_from = span
            .as_ref()
            .and_then(|span| remove_entry_at(tree.to_mut(), span));
        if unknown_key && removed_from.is_some() {
            skipped.push(error);
            continue;
        }
        let before_first = first
            .as_ref()
            .is_none_or(|first| start_of(&error) < start_of(first));
        if !of_this_search && before_first {
            first = Some(error);
        }
        match removed_from {
            Some(container) => taken_from.push(container),
            None => {
                break Err(first.expect(
                    "the first error met is kept, and entries are taken out only after it",
                ))
            }
        }
    };
    skipped.sort_by_key(start_of);
    Read { value, skipped }
}

/// How many times [`read`] reads a document at most.
const MAX_READINGS: usize = 64;

/// Where an error starts, for ordering; errors of the whole document last.
fn start_of(error: &Error) -> usize {
    span_of(error).map_or(usize::MAX, |span| span.start)
}

/// Removes the innermost entry that `span` is the key or the value of: a
/// key of a table (with its value) or an element of an array. Returns the
/// span of the table or array it was in.
fn remove_entry_at(tree: &mut Tree<'_>, span: &Range<usize>) -> Option<Range<usize>> {
    let container = tree.span();
    match tree.get_mut() {
        DeValue::Table(table) => {
            if let Some(inner) = table
                .iter_mut()
                .find_map(|(_, value)| remove_entry_at(value, span))
            {
                return Some(inner);
            }
            let name = table
                .iter()
                .find(|(key, value)| key.span().start == span.start || value.span() == *span)
                .map(|(key, _)| key.get_ref().to_string())?;
            table.remove(name.as_str()).map(|_| container)
        }
        DeValue::Array(array) => {
            if let Some(inner) = array
                .iter_mut()
                .find_map(|element| remove_entry_at(element, span))
            {
                return Some(inner);
            }
            let at = array.iter().position(|element| element.span() == *span)?;
            // An array has no `remove`: it is rebuilt without the element.
            let elements = std::mem::replace(array, DeArray::new());
            *array = elements
                .into_iter()
                .enumerate()
                .filter_map(|(i, element)| (i != at).then_some(element))
                .collect();
            Some(container)
        }
        _ => None,
    }
}
