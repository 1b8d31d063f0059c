//! Puts an engine response into the form the GraphQL spec gives it.
//!
//! The engine resolves an object's fields concurrently and writes each into the response
//! map as it completes, so `{ totalCount nodes }` could answer `nodes` first; the spec
//! orders a response map as the selection set orders its fields (CollectFields). This pass
//! reorders every map after execution, from the document.
//!
//! The engine also answers `null` for an object none of whose fields were selected — all
//! skipped by `@skip`/`@include`, or all in fragments of other types — where the spec
//! answers `{}`; and from its answer `null` cannot be told from an object that is really
//! absent. So before execution, every selection that might end up empty gets one hidden
//! field ([`EMPTY_MARKER`], a `__typename`), which keeps the engine from collapsing the
//! object; the marker is taken out again here.
//!
//! The same pass caps the number of errors, so an answer is never much larger than its
//! question.

use std::rc::Rc;

use async_graphql::indexmap::IndexMap;
use async_graphql::parser::types::{
    BaseType, Directive, DocumentOperations, ExecutableDocument, Field, OperationDefinition,
    OperationType, Selection, SelectionSet, Type,
};
use async_graphql::{Name, Pos, Positioned, ServerError, Value, Variables};

use crate::error::{AppError, ErrorCode};

use super::preflight::SchemaIndex;
use super::preflight::schema_index::{NamedType, innermost};

/// Most errors in one response before one more sums up the rest.
pub const MAX_ERRORS: usize = 50;

/// The response key of the hidden field that keeps a possibly empty selection an object.
/// Names starting with `__` are reserved by the spec, so no client's alias is taken.
pub const EMPTY_MARKER: &str = "__paperboardEmptySelection";

/// The fields of a selection for one object type, grouped by response key, in order,
/// with what shaping their values needs (worked out once per selection and type).
struct Collected<'a> {
    keys: Vec<CollectedKey<'a>>,
    /// Whether the hidden [`EMPTY_MARKER`] is among the keys.
    marked: bool,
}

struct CollectedKey<'a> {
    key: Name,
    /// The sub-selections of the fields under this key, when they have any.
    children: Vec<&'a SelectionSet>,
    /// The key's field type, when it has a sub-selection and the field is known.
    ty: Option<&'a Type>,
    /// Whether that type's named type is an interface or a union.
    abstract_type: bool,
}

/// What a response is shaped against.
pub struct ResponseShape<'a> {
    pub index: &'a SchemaIndex,
    pub document: &'a ExecutableDocument,
    pub operation_name: Option<&'a str>,
    pub variables: &'a Variables,
}

impl ResponseShape<'_> {
    /// Orders `response.data` as the operation selects it, takes the empty-selection
    /// markers out, and caps the errors.
    pub fn apply(&self, response: &mut async_graphql::Response) {
        cap_errors(&mut response.errors);
        let Some((root, set)) = self.root() else {
            return;
        };
        let mut shaper = Shaper {
            index: self.index,
            document: self.document,
            variables: self.effective_variables(),
            memo: Vec::new(),
        };
        if let Value::Object(map) = &mut response.data {
            shaper.object(map, root, &[set]);
        }
    }

    fn root(&self) -> Option<(&str, &SelectionSet)> {
        let operation = self
            .document
            .operations
            .iter()
            .find(|(name, _)| match self.operation_name {
                Some(wanted) => name.is_some_and(|name| name.as_str() == wanted),
                None => true,
            })
            .map(|(_, operation)| operation)?;
        let root = match operation.node.ty {
            OperationType::Query => Some(self.index.query_type.as_str()),
            OperationType::Mutation => self.index.mutation_type.as_deref(),
            OperationType::Subscription => self.index.subscription_type.as_deref(),
        }?;
        Some((root, &operation.node.selection_set.node))
    }

    /// The request's variables with the operation's defaults filled in.
    fn effective_variables(&self) -> Variables {
        let mut variables = self.variables.clone();
        if let Some((_, operation)) =
            self.document
                .operations
                .iter()
                .find(|(name, _)| match self.operation_name {
                    Some(wanted) => name.is_some_and(|name| name.as_str() == wanted),
                    None => true,
                })
        {
            for definition in &operation.node.variable_definitions {
                let name = &definition.node.name.node;
                if !variables.contains_key(name)
                    && let Some(default) = &definition.node.default_value
                {
                    variables.insert(name.clone(), default.node.clone());
                }
            }
        }
        variables
    }
}

/// Keeps the first [`MAX_ERRORS`] errors and adds one saying how many were left out.
/// Capping twice changes nothing.
pub fn cap_errors(errors: &mut Vec<ServerError>) {
    let already_capped = errors.last().is_some_and(|last| {
        last.extensions
            .as_ref()
            .is_some_and(|extensions| extensions.get(OMITTED).is_some())
    });
    if errors.len() <= MAX_ERRORS || already_capped {
        return;
    }
    let omitted = errors.len() - MAX_ERRORS;
    let code = errors[MAX_ERRORS]
        .extensions
        .as_ref()
        .and_then(|extensions| extensions.get("code"))
        .cloned()
        .unwrap_or_else(|| Value::from(ErrorCode::BadUserInput.as_str()));
    errors.truncate(MAX_ERRORS);
    let mut summary = AppError::bad_input(
        "query",
        format!("{omitted} more errors were left out; fix the ones above first"),
    )
    .into_server_error();
    let extensions = summary.extensions.get_or_insert_with(Default::default);
    extensions.set("code", code);
    extensions.set(OMITTED, i32::try_from(omitted).unwrap_or(i32::MAX));
    errors.push(summary);
}

/// The extension of the error that sums up the ones left out.
const OMITTED: &str = "omittedErrors";

struct Shaper<'a> {
    index: &'a SchemaIndex,
    document: &'a ExecutableDocument,
    variables: Variables,
    /// Collected fields by (type name, selection sets). A request holds a handful of
    /// pairs, so a list searched by address beats hashing the key for every object.
    memo: Vec<(MemoKey, Rc<Collected<'a>>)>,
}

/// A type name (by address: names come from the schema index) and the selection sets.
#[derive(PartialEq, Eq)]
struct MemoKey {
    type_name: (usize, usize),
    sets: SetsKey,
}

/// The identity of the selection sets an object's fields are collected from: almost always
/// one, so that case costs no allocation.
#[derive(PartialEq, Eq)]
enum SetsKey {
    One(usize),
    Many(Vec<usize>),
}

impl SetsKey {
    fn of(sets: &[&SelectionSet]) -> Self {
        match sets {
            [one] => Self::One(std::ptr::from_ref(*one) as usize),
            many => Self::Many(
                many.iter()
                    .map(|set| std::ptr::from_ref(*set) as usize)
                    .collect(),
            ),
        }
    }
}

impl<'a> Shaper<'a> {
    fn object(
        &mut self,
        map: &mut IndexMap<Name, Value>,
        type_name: &'a str,
        sets: &[&'a SelectionSet],
    ) {
        let collected = self.collect(type_name, sets);
        reorder(map, &collected.keys);
        if collected.marked {
            map.shift_remove(EMPTY_MARKER);
        }
        // The map now follows the collected order: walk both together.
        let mut keys = collected.keys.iter();
        for (key, value) in map.iter_mut() {
            let Some(entry) = keys.by_ref().find(|entry| entry.key == *key) else {
                break;
            };
            if let Some(ty) = entry.ty {
                self.value(value, ty, entry.abstract_type, &entry.children);
            }
        }
    }

    fn value(
        &mut self,
        value: &mut Value,
        ty: &'a Type,
        abstract_type: bool,
        sets: &[&'a SelectionSet],
    ) {
        match value {
            Value::List(items) => {
                let item_type = match &ty.base {
                    BaseType::List(item) => item.as_ref(),
                    BaseType::Named(_) => ty,
                };
                for item in items.iter_mut() {
                    self.value(item, item_type, abstract_type, sets);
                }
            }
            Value::Object(map) => {
                let declared = innermost(ty);
                let runtime = if abstract_type {
                    self.runtime_type(declared, map, sets)
                } else {
                    Some(declared)
                };
                if let Some(runtime) = runtime {
                    self.object(map, runtime, sets);
                }
            }
            _ => {}
        }
    }

    /// The object type of a value declared as the interface or union `declared`: the
    /// possible type whose selection yields exactly the value's keys.
    fn runtime_type(
        &mut self,
        declared: &'a str,
        map: &IndexMap<Name, Value>,
        sets: &[&'a SelectionSet],
    ) -> Option<&'a str> {
        let index = self.index;
        index
            .possible_types(declared)
            .into_iter()
            .find(|candidate| {
                let collected = self.collect(candidate, sets);
                collected.keys.len() == map.len()
                    && collected
                        .keys
                        .iter()
                        .all(|entry| map.contains_key(&entry.key))
            })
    }

    /// The spec's CollectFields for an object of type `type_name` over `sets`.
    fn collect(&mut self, type_name: &'a str, sets: &[&'a SelectionSet]) -> Rc<Collected<'a>> {
        let key = MemoKey {
            type_name: (type_name.as_ptr() as usize, type_name.len()),
            sets: SetsKey::of(sets),
        };
        if let Some((_, collected)) = self.memo.iter().find(|(known, _)| *known == key) {
            return Rc::clone(collected);
        }
        let mut fields: Vec<(Name, Vec<&'a Field>)> = Vec::new();
        let mut visited = Vec::new();
        for set in sets {
            self.collect_into(type_name, set, &mut fields, &mut visited);
        }
        let index = self.index;
        let keys = fields
            .into_iter()
            .map(|(key, fields)| {
                let children: Vec<&'a SelectionSet> = fields
                    .iter()
                    .map(|field| &field.selection_set.node)
                    .filter(|set| !set.items.is_empty())
                    .collect();
                let ty = fields
                    .first()
                    .filter(|_| !children.is_empty())
                    .and_then(|field| index.field(type_name, &field.name.node))
                    .map(|definition| &definition.ty);
                let abstract_type = ty.is_some_and(|ty| {
                    index
                        .named(innermost(ty))
                        .is_some_and(NamedType::is_abstract)
                });
                CollectedKey {
                    key,
                    children,
                    ty,
                    abstract_type,
                }
            })
            .collect::<Vec<_>>();
        let marked = keys.iter().any(|entry| entry.key == EMPTY_MARKER);
        let collected = Rc::new(Collected { keys, marked });
        self.memo.push((key, Rc::clone(&collected)));
        collected
    }

    fn collect_into(
        &self,
        type_name: &str,
        set: &'a SelectionSet,
        collected: &mut Vec<(Name, Vec<&'a Field>)>,
        visited: &mut Vec<&'a str>,
    ) {
        for selection in &set.items {
            if !self.included(selection.node.directives()) {
                continue;
            }
            match &selection.node {
                Selection::Field(field) => {
                    let key = &field.node.response_key().node;
                    match collected.iter_mut().find(|(existing, _)| existing == key) {
                        Some((_, fields)) => fields.push(&field.node),
                        None => collected.push((key.clone(), vec![&field.node])),
                    }
                }
                Selection::FragmentSpread(spread) => {
                    let name = spread.node.fragment_name.node.as_str();
                    if visited.contains(&name) {
                        continue;
                    }
                    visited.push(name);
                    let Some(fragment) = self.document.fragments.get(name) else {
                        continue;
                    };
                    let condition = fragment.node.type_condition.node.on.node.as_str();
                    if self.index.applies(condition, type_name) {
                        self.collect_into(
                            type_name,
                            &fragment.node.selection_set.node,
                            collected,
                            visited,
                        );
                    }
                }
                Selection::InlineFragment(inline) => {
                    let applies = inline.node.type_condition.as_ref().is_none_or(|condition| {
                        self.index
                            .applies(condition.node.on.node.as_str(), type_name)
                    });
                    if applies {
                        self.collect_into(
                            type_name,
                            &inline.node.selection_set.node,
                            collected,
                            visited,
                        );
                    }
                }
            }
        }
    }

    fn included(&self, directives: &[Positioned<Directive>]) -> bool {
        included(directives, &self.variables)
    }
}

/// Whether `@skip` and `@include` keep a selection, given the variables.
fn included(directives: &[Positioned<Directive>], variables: &Variables) -> bool {
    directives.iter().all(|directive| {
        let condition = || match directive.node.get_argument("if").map(|value| &value.node) {
            Some(async_graphql_value::Value::Boolean(value)) => *value,
            Some(async_graphql_value::Value::Variable(name)) => {
                matches!(variables.get(name), Some(Value::Boolean(true)))
            }
            _ => false,
        };
        match directive.node.name.node.as_str() {
            "skip" => !condition(),
            "include" => condition(),
            _ => true,
        }
    })
}

/// Adds the hidden [`EMPTY_MARKER`] field to every selection set of `document` that has
/// no field sure to be selected (only fragments, or only fields under `@skip`/`@include`),
/// except a subscription's root, which must select exactly one field.
pub fn mark_empty_selections(document: &mut ExecutableDocument) {
    let operations: Vec<&mut Positioned<OperationDefinition>> = match &mut document.operations {
        DocumentOperations::Single(operation) => vec![operation],
        DocumentOperations::Multiple(operations) => operations.values_mut().collect(),
    };
    for operation in operations {
        let root_may_grow = operation.node.ty != OperationType::Subscription;
        mark(&mut operation.node.selection_set.node, root_may_grow);
    }
    // A fragment's own fields join the selection it is spread into, which decides.
    for fragment in document.fragments.values_mut() {
        mark(&mut fragment.node.selection_set.node, false);
    }
}

fn mark(set: &mut SelectionSet, may_grow: bool) {
    let mut sure_field = false;
    for selection in &mut set.items {
        let unconditional = selection.node.directives().is_empty();
        match &mut selection.node {
            Selection::Field(field) => {
                sure_field |= unconditional;
                mark(&mut field.node.selection_set.node, true);
            }
            Selection::InlineFragment(inline) => {
                mark(&mut inline.node.selection_set.node, false);
            }
            Selection::FragmentSpread(_) => {}
        }
    }
    if may_grow && !sure_field && !set.items.is_empty() {
        set.items.push(added_field(EMPTY_MARKER, "__typename"));
    }
}

/// A field the server adds to a client's selection, as `alias: name`, without arguments.
pub fn added_field(alias: &str, name: &str) -> Positioned<Selection> {
    Positioned::new(
        Selection::Field(Positioned::new(
            Field {
                alias: Some(Positioned::new(Name::new(alias), Pos::default())),
                name: Positioned::new(Name::new(name), Pos::default()),
                arguments: Vec::new(),
                directives: Vec::new(),
                selection_set: Positioned::new(SelectionSet::default(), Pos::default()),
            },
            Pos::default(),
        )),
        Pos::default(),
    )
}

/// Moves `map`'s entries into the order of `collected` (keys it does not name go last).
fn reorder(map: &mut IndexMap<Name, Value>, collected: &[CollectedKey<'_>]) {
    let mut expected = collected.iter();
    let in_order = map
        .keys()
        .all(|key| expected.by_ref().any(|entry| entry.key == *key));
    if in_order {
        return;
    }
    let position = |key: &Name| {
        collected
            .iter()
            .position(|entry| entry.key == *key)
            .unwrap_or(usize::MAX)
    };
    map.sort_by_cached_key(|key, _| position(key));
}
