//! Bounds on an operation's size, checked before the engine parses or validates it.
//!
//! Two hazards of the engine: the parser recurses without bound on nested value literals,
//! so the raw text's bracket nesting is bounded before parsing; and validation expands
//! fragments without memoising them, so the expanded field count is computed (memoised)
//! and bounded before validation runs.

use std::collections::HashMap;

use async_graphql::Name;
use async_graphql::parser::types::{
    DocumentOperations, ExecutableDocument, Selection, SelectionSet,
};

use crate::error::AppError;

/// Longest operation text, in bytes.
pub const MAX_QUERY_BYTES: usize = 64 * 1024;
/// Deepest nesting of `{`, `[` and `(` in an operation's text.
pub const MAX_NESTING: usize = 32;
/// Most fragment definitions in one document.
pub const MAX_FRAGMENTS: usize = 100;

/// Bounds the operation text: size, and bracket nesting outside strings and comments.
///
/// # Errors
/// `QUERY_TOO_COMPLEX` when a bound is exceeded.
pub fn check_source(query: &str) -> Result<(), AppError> {
    if query.len() > MAX_QUERY_BYTES {
        return Err(AppError::QueryTooComplex(format!(
            "the operation is longer than {MAX_QUERY_BYTES} bytes"
        )));
    }
    if max_nesting(query.as_bytes()) > MAX_NESTING {
        return Err(AppError::QueryTooComplex(format!(
            "the operation nests deeper than {MAX_NESTING} levels"
        )));
    }
    Ok(())
}

/// The deepest bracket nesting of GraphQL source text, skipping strings and comments.
fn max_nesting(source: &[u8]) -> usize {
    let (mut depth, mut deepest, mut at) = (0usize, 0usize, 0usize);
    while at < source.len() {
        match source[at] {
            b'#' => {
                while at < source.len() && !matches!(source[at], b'\n' | b'\r') {
                    at += 1;
                }
            }
            b'"' if source[at..].starts_with(b"\"\"\"") => {
                at += 3;
                while at < source.len() && !source[at..].starts_with(b"\"\"\"") {
                    // `\"""` is an escaped delimiter inside a block string.
                    at += if source[at..].starts_with(b"\\\"\"\"") {
                        4
                    } else {
                        1
                    };
                }
                at += 2;
            }
            b'"' => {
                at += 1;
                while at < source.len() && source[at] != b'"' {
                    at += if source[at] == b'\\' { 2 } else { 1 };
                }
            }
            b'{' | b'[' | b'(' => {
                depth += 1;
                deepest = deepest.max(depth);
            }
            b'}' | b']' | b')' => depth = depth.saturating_sub(1),
            _ => {}
        }
        at += 1;
    }
    deepest
}

/// Bounds a parsed document: fragment definitions, and fields once fragments are expanded.
///
/// # Errors
/// `QUERY_TOO_COMPLEX` when a bound is exceeded.
pub fn check_document(document: &ExecutableDocument, max_fields: usize) -> Result<(), AppError> {
    if document.fragments.len() > MAX_FRAGMENTS {
        return Err(AppError::QueryTooComplex(format!(
            "the document defines more than {MAX_FRAGMENTS} fragments"
        )));
    }
    let mut counter = FieldCounter {
        document,
        sizes: HashMap::new(),
    };
    let operations: Vec<&SelectionSet> = match &document.operations {
        DocumentOperations::Single(operation) => vec![&operation.node.selection_set.node],
        DocumentOperations::Multiple(operations) => operations
            .values()
            .map(|operation| &operation.node.selection_set.node)
            .collect(),
    };
    let total = operations.into_iter().fold(0usize, |total, set| {
        total.saturating_add(counter.selection_set(set))
    });
    if total > max_fields {
        return Err(AppError::QueryTooComplex(format!(
            "the operation selects {total} fields once fragments are expanded; the limit is {max_fields}"
        )));
    }
    Ok(())
}

/// Counts fields with fragments expanded, computing each fragment's size once.
struct FieldCounter<'a> {
    document: &'a ExecutableDocument,
    /// `None` while a fragment is being counted: a cycle (rejected later by validation)
    /// then counts as zero instead of recursing forever.
    sizes: HashMap<&'a Name, Option<usize>>,
}

impl<'a> FieldCounter<'a> {
    fn selection_set(&mut self, set: &'a SelectionSet) -> usize {
        set.items.iter().fold(0usize, |total, selection| {
            let size = match &selection.node {
                Selection::Field(field) => {
                    1usize.saturating_add(self.selection_set(&field.node.selection_set.node))
                }
                Selection::FragmentSpread(spread) => self.fragment(&spread.node.fragment_name.node),
                Selection::InlineFragment(inline) => {
                    self.selection_set(&inline.node.selection_set.node)
                }
            };
            total.saturating_add(size)
        })
    }

    fn fragment(&mut self, name: &'a Name) -> usize {
        match self.sizes.get(name) {
            Some(Some(size)) => return *size,
            Some(None) => return 0,
            None => {}
        }
        let Some(fragment) = self.document.fragments.get(name) else {
            return 0;
        };
        self.sizes.insert(name, None);
        let size = self.selection_set(&fragment.node.selection_set.node);
        self.sizes.insert(name, Some(size));
        size
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nesting_ignores_strings_and_comments() {
        assert_eq!(max_nesting(b"{ a(x: \"[[[[\") { b } }"), 2);
        assert_eq!(max_nesting(b"{ a # {{{{{{\n }"), 1);
        assert_eq!(max_nesting(b"{ a(x: \"\"\" {{{ \\\"\"\" [[[ \"\"\") }"), 2);
        assert_eq!(max_nesting(b"{ a(x: \"\\\"[[\") }"), 2);
    }

    #[test]
    fn deeply_nested_values_are_rejected_before_parsing() {
        let query = format!("{{ a(x: {}1{}) }}", "[".repeat(5000), "]".repeat(5000));
        assert!(matches!(
            check_source(&query),
            Err(AppError::QueryTooComplex(_))
        ));
    }

    #[test]
    fn exponential_fragments_are_counted_without_expanding_them() -> Result<(), AppError> {
        let mut query = String::from("query { ...F0 }\n");
        for level in 0..40 {
            query.push_str(&format!(
                "fragment F{level} on Query {{ ...F{next} ...F{next} }}\n",
                next = level + 1
            ));
        }
        query.push_str("fragment F40 on Query { __typename }\n");
        let document = async_graphql::parser::parse_query(&query)
            .map_err(|e| AppError::bad_input("query", e.to_string()))?;
        assert!(matches!(
            check_document(&document, 2_000),
            Err(AppError::QueryTooComplex(_))
        ));
        Ok(())
    }

    #[test]
    fn fragment_cycles_do_not_hang_the_counter() -> Result<(), AppError> {
        let query = "query { ...A } fragment A on Query { ...B } fragment B on Query { ...A }";
        let document = async_graphql::parser::parse_query(query)
            .map_err(|e| AppError::bad_input("query", e.to_string()))?;
        check_document(&document, 10)
    }
}
