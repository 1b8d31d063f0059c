//! What an introspection selection costs, counted on the real schema.
//!
//! The engine counts an introspection list as one field, whatever it holds, so 850 bytes of
//! `__schema { types { interfaces { possibleTypes { … } } } }` could answer 26 MB. Here an
//! introspection field costs 1 plus its children, and a list field multiplies its
//! children by the list's real length — `types` by every type, `fields` by that type's
//! fields — exactly the number of fields the answer would hold. Each (selection set, type)
//! pair is counted once and remembered, so counting stays cheap however the selection
//! nests.
//!
//! Independently, the lists that lead from one type to others (`fields`, `inputFields`,
//! `interfaces`, `possibleTypes`) may nest at most [`MAX_TYPE_LIST_NESTING`] deep: the
//! standard introspection queries (graphql-js', Apollo's, GraphQL Code Generator's) nest
//! them once.

use std::collections::{HashMap, HashSet};

use async_graphql::Variables;
use async_graphql::parser::types::{
    BaseType, ExecutableDocument, Field, Selection, SelectionSet, Type,
};
use async_graphql_value::Value;

use super::schema_index::{NamedType, SchemaIndex};

/// How deep `fields`, `inputFields`, `interfaces` and `possibleTypes` may nest.
pub const MAX_TYPE_LIST_NESTING: usize = 3;

/// Fields of `__Type` that lead to more types.
const TYPE_LISTS: [&str; 4] = ["fields", "inputFields", "interfaces", "possibleTypes"];

/// The cost of the introspection in an operation, and how deep its type lists nest.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct IntrospectionCost {
    pub fields: u64,
    pub type_list_nesting: usize,
}

impl IntrospectionCost {
    /// The cost of two selections side by side.
    fn and(self, other: Self) -> Self {
        Self {
            fields: self.fields.saturating_add(other.fields),
            type_list_nesting: self.type_list_nesting.max(other.type_list_nesting),
        }
    }
}

/// Counts the introspection fields (`__schema`, `__type`) among `root`'s selections.
pub fn cost(
    index: &SchemaIndex,
    document: &ExecutableDocument,
    root: &SelectionSet,
    variables: &Variables,
) -> IntrospectionCost {
    let mut counter = Counter {
        index,
        document,
        variables,
        memo: HashMap::new(),
        expanding: HashSet::new(),
    };
    let mut total = IntrospectionCost::default();
    for field in counter.fields(root) {
        let node = match field.name.node.as_str() {
            "__schema" => Node::Schema,
            "__type" => match counter.type_argument(field) {
                Some(name) => Node::Named(name),
                // Unknown at this point: count the dearest type.
                None => Node::Dearest,
            },
            _ => continue,
        };
        let cost = counter.node(&field.selection_set.node, node);
        total.fields = total.fields.saturating_add(1).saturating_add(cost.fields);
        total.type_list_nesting = total.type_list_nesting.max(cost.type_list_nesting);
    }
    total
}

/// An object of the introspection schema.
#[derive(Clone, Copy)]
enum Node<'a> {
    Schema,
    /// A `__Type` for a named type.
    Named(&'a str),
    /// A `__Type` of kind `NON_NULL` wrapping this type made nullable.
    NonNull(&'a Type),
    /// A `__Type` of kind `LIST`: this (list) type, nullable.
    List(&'a Type),
    /// A `__Type` whose name is only known at run time: the costliest of all.
    Dearest,
    Field(&'a NamedType, &'a str),
    InputValue(&'a Type),
    EnumValue,
    Directive(&'a str),
}

struct Counter<'a> {
    index: &'a SchemaIndex,
    document: &'a ExecutableDocument,
    variables: &'a Variables,
    memo: HashMap<(*const SelectionSet, &'a str), IntrospectionCost>,
    /// Fragments being expanded: a cycle (refused later by validation) is not followed.
    expanding: HashSet<&'a str>,
}

impl<'a> Counter<'a> {
    /// The fields of a selection set, fragments expanded (directives and type conditions
    /// are ignored: the count is an upper bound).
    fn fields(&mut self, set: &'a SelectionSet) -> Vec<&'a Field> {
        let mut fields = Vec::new();
        self.collect(set, &mut fields);
        fields
    }

    fn collect(&mut self, set: &'a SelectionSet, into: &mut Vec<&'a Field>) {
        for selection in &set.items {
            match &selection.node {
                Selection::Field(field) => into.push(&field.node),
                Selection::InlineFragment(inline) => {
                    self.collect(&inline.node.selection_set.node, into);
                }
                Selection::FragmentSpread(spread) => {
                    let name = spread.node.fragment_name.node.as_str();
                    let Some(fragment) = self.document.fragments.get(name) else {
                        continue;
                    };
                    if self.expanding.insert(name) {
                        self.collect(&fragment.node.selection_set.node, into);
                        self.expanding.remove(name);
                    }
                }
            }
        }
    }

    fn type_argument(&self, field: &'a Field) -> Option<&'a str> {
        let value = &field.get_argument("name")?.node;
        let name = match value {
            Value::String(name) => name.as_str(),
            Value::Variable(variable) => match self.variables.get(variable) {
                Some(async_graphql::Value::String(name)) => {
                    return self
                        .index
                        .type_names()
                        .iter()
                        .find(|known| known == &name)
                        .map(String::as_str);
                }
                _ => return None,
            },
            _ => return None,
        };
        Some(name)
    }

    fn node(&mut self, set: &'a SelectionSet, node: Node<'a>) -> IntrospectionCost {
        match node {
            Node::Named(name) => {
                let key = (std::ptr::from_ref(set), name);
                if let Some(cost) = self.memo.get(&key) {
                    return *cost;
                }
                // A cycle through the same pair is impossible: each step consumes a level
                // of the (finite) selection.
                let cost = self.selection(set, node);
                self.memo.insert(key, cost);
                cost
            }
            Node::Dearest => {
                let names: Vec<&'a str> =
                    self.index.type_names().iter().map(String::as_str).collect();
                names
                    .into_iter()
                    .map(|name| self.node(set, Node::Named(name)))
                    .fold(IntrospectionCost::default(), |dearest, cost| {
                        if cost.fields > dearest.fields {
                            cost
                        } else {
                            dearest
                        }
                    })
            }
            _ => self.selection(set, node),
        }
    }

    fn selection(&mut self, set: &'a SelectionSet, node: Node<'a>) -> IntrospectionCost {
        let mut total = IntrospectionCost::default();
        for field in self.fields(set) {
            let child = &field.selection_set.node;
            let name = field.name.node.as_str();
            let mut cost = self.children(child, node, name);
            if node_is_type(node) && TYPE_LISTS.contains(&name) {
                cost.type_list_nesting += 1;
            }
            total.fields = total.fields.saturating_add(1).saturating_add(cost.fields);
            total.type_list_nesting = total.type_list_nesting.max(cost.type_list_nesting);
        }
        total
    }

    /// The cost of what field `name` of `node` holds, selected with `set`.
    fn children(&mut self, set: &'a SelectionSet, node: Node<'a>, name: &str) -> IntrospectionCost {
        let index = self.index;
        let items: Vec<Node<'a>> = match (node, name) {
            (Node::Schema, "types") => index
                .type_names()
                .iter()
                .map(|name| Node::Named(name))
                .collect(),
            (Node::Schema, "queryType") => vec![Node::Named(index.query_type.as_str())],
            (Node::Schema, "mutationType") => index
                .mutation_type
                .as_deref()
                .map(Node::Named)
                .into_iter()
                .collect(),
            (Node::Schema, "subscriptionType") => index
                .subscription_type
                .as_deref()
                .map(Node::Named)
                .into_iter()
                .collect(),
            (Node::Schema, "directives") => {
                return self.directives(set);
            }
            (Node::Named(type_name), _) => {
                let Some(named) = index.named(type_name) else {
                    return IntrospectionCost::default();
                };
                type_members(named, name)
            }
            (Node::NonNull(ty), "ofType") => vec![nullable_node(ty)],
            (Node::List(ty), "ofType") => match &ty.base {
                BaseType::List(item) => vec![type_node(item)],
                BaseType::Named(name) => vec![Node::Named(name.as_str())],
            },
            (Node::Dearest, _) => return IntrospectionCost::default(),
            (Node::Field(owner, field), "args") => {
                argument_nodes(owner.fields.get(field).map(|definition| &definition.args))
            }
            (Node::Field(owner, field), "type") => owner
                .fields
                .get(field)
                .map(|definition| vec![type_node(&definition.ty)])
                .unwrap_or_default(),
            (Node::InputValue(ty), "type") => vec![type_node(ty)],
            (Node::Directive(directive), "args") => argument_nodes(
                index
                    .directive(directive)
                    .map(|definition| &definition.args),
            ),
            (Node::Directive(directive), "locations") => {
                let count = index
                    .directive(directive)
                    .map_or(0, |definition| definition.locations.len());
                return IntrospectionCost {
                    fields: count as u64,
                    type_list_nesting: 0,
                };
            }
            _ => return IntrospectionCost::default(),
        };
        items
            .into_iter()
            .fold(IntrospectionCost::default(), |total, item| {
                total.and(self.node(set, item))
            })
    }

    fn directives(&mut self, set: &'a SelectionSet) -> IntrospectionCost {
        let names: Vec<&'a str> = self.index.directive_names().collect();
        names
            .into_iter()
            .fold(IntrospectionCost::default(), |total, name| {
                total.and(self.node(set, Node::Directive(name)))
            })
    }
}

fn node_is_type(node: Node<'_>) -> bool {
    matches!(
        node,
        Node::Named(_) | Node::NonNull(_) | Node::List(_) | Node::Dearest
    )
}

/// The `__InputValue`s of a field's or directive's arguments.
fn argument_nodes(
    arguments: Option<&std::collections::HashMap<String, super::schema_index::InputValueDef>>,
) -> Vec<Node<'_>> {
    arguments
        .map(|arguments| {
            arguments
                .values()
                .map(|argument| Node::InputValue(&argument.ty))
                .collect()
        })
        .unwrap_or_default()
}

/// The members of a named type that field `name` of its `__Type` lists.
fn type_members<'a>(named: &'a NamedType, name: &str) -> Vec<Node<'a>> {
    match name {
        "fields" => named
            .fields
            .keys()
            .map(|field| Node::Field(named, field.as_str()))
            .collect(),
        "interfaces" => named
            .interfaces
            .iter()
            .map(|name| Node::Named(name))
            .collect(),
        "possibleTypes" => named
            .possible_types
            .iter()
            .map(|name| Node::Named(name))
            .collect(),
        "enumValues" => vec![Node::EnumValue; named.enum_values.len()],
        "inputFields" => named
            .input_fields
            .values()
            .map(|field| Node::InputValue(&field.ty))
            .collect(),
        _ => Vec::new(),
    }
}

/// The `__Type` of a type reference.
fn type_node(ty: &Type) -> Node<'_> {
    if ty.nullable {
        nullable_node(ty)
    } else {
        Node::NonNull(ty)
    }
}

/// The `__Type` of a type reference with its non-null wrapper taken off.
fn nullable_node(ty: &Type) -> Node<'_> {
    match &ty.base {
        BaseType::Named(name) => Node::Named(name.as_str()),
        BaseType::List(_) => Node::List(ty),
    }
}
