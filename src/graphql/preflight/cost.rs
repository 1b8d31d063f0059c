//! What an operation costs against the caller's hourly budget: the number of fields its
//! answer may hold, counted as the schema's complexity rules count them — every field 1
//! plus what it holds, a connection's children once per node of its page (`first` or
//! `last`, 20 when absent, at most 100), `nodes` once per id — with fragments expanded
//! (both sides of a type condition counted: an upper bound). Introspection is counted by
//! [`super::introspection`].

use async_graphql::Variables;
use async_graphql::parser::types::{ExecutableDocument, Field, Selection, SelectionSet};
use async_graphql_value::Value;

use crate::pagination::{DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE};

use super::schema_index::{SchemaIndex, innermost};

/// The cost of `set`, selected on the type `parent` (the root type for an operation).
pub fn cost(
    index: &SchemaIndex,
    document: &ExecutableDocument,
    variables: &Variables,
    parent: &str,
    set: &SelectionSet,
) -> u64 {
    Counter {
        index,
        document,
        variables,
        expanding: Vec::new(),
    }
    .set(parent, set)
}

struct Counter<'a> {
    index: &'a SchemaIndex,
    document: &'a ExecutableDocument,
    variables: &'a Variables,
    /// Fragments being expanded: a cycle (refused by validation) is not followed.
    expanding: Vec<&'a str>,
}

impl<'a> Counter<'a> {
    fn set(&mut self, parent: &str, set: &'a SelectionSet) -> u64 {
        let mut total: u64 = 0;
        for selection in &set.items {
            let cost = match &selection.node {
                Selection::Field(field) => self.field(parent, &field.node),
                Selection::InlineFragment(inline) => {
                    let on = inline
                        .node
                        .type_condition
                        .as_ref()
                        .map_or(parent, |condition| condition.node.on.node.as_str());
                    self.set(on, &inline.node.selection_set.node)
                }
                Selection::FragmentSpread(spread) => {
                    let name = spread.node.fragment_name.node.as_str();
                    match self.document.fragments.get(name) {
                        Some(fragment) if !self.expanding.contains(&name) => {
                            self.expanding.push(name);
                            let on = fragment.node.type_condition.node.on.node.as_str();
                            let cost = self.set(on, &fragment.node.selection_set.node);
                            self.expanding.pop();
                            cost
                        }
                        _ => 0,
                    }
                }
            };
            total = total.saturating_add(cost);
        }
        total
    }

    fn field(&mut self, parent: &str, field: &'a Field) -> u64 {
        let name = field.name.node.as_str();
        // Introspection has its own, exact count.
        if name == "__schema" || name == "__type" {
            return 0;
        }
        let Some(definition) = self.index.field(parent, name) else {
            return 1;
        };
        let child_type = innermost(&definition.ty);
        let children = self.set(child_type, &field.selection_set.node);
        let times = if name == "nodes" && parent == self.index.query_type {
            self.list_length(field, "ids")
        } else if child_type.ends_with("Connection") {
            self.page_size(field)
        } else {
            1
        };
        times.saturating_mul(children).saturating_add(1)
    }

    /// The page a connection field asks for, as the complexity rules bound it.
    fn page_size(&self, field: &Field) -> u64 {
        let size = ["first", "last"]
            .into_iter()
            .find_map(|argument| self.integer(field, argument))
            .map_or(DEFAULT_PAGE_SIZE, |size| u64::try_from(size).unwrap_or(1));
        size.clamp(1, MAX_PAGE_SIZE)
    }

    fn integer(&self, field: &Field, argument: &str) -> Option<i64> {
        match &field.get_argument(argument)?.node {
            Value::Number(number) => number.as_i64(),
            Value::Variable(variable) => match self.variables.get(variable) {
                Some(async_graphql::Value::Number(number)) => number.as_i64(),
                _ => None,
            },
            _ => None,
        }
    }

    fn list_length(&self, field: &Field, argument: &str) -> u64 {
        let length = match field.get_argument(argument).map(|value| &value.node) {
            Some(Value::List(items)) => items.len(),
            Some(Value::Variable(variable)) => match self.variables.get(variable) {
                Some(async_graphql::Value::List(items)) => items.len(),
                _ => 1,
            },
            _ => 1,
        };
        u64::try_from(length).unwrap_or(u64::MAX)
    }
}
