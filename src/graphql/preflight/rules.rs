//! Validation rules the engine misses, checked on the whole document before it runs.
//!
//! * Directives must exist, stand where their definition allows, appear once per place,
//!   and get exactly their arguments — on every field, `__typename` included (the engine
//!   does not look at directives on `__typename`, so `{ __typename @nope }` ran).
//! * A variable may only be used where its type fits (the spec's "All Variable Usages Are
//!   Allowed"): `$n: String` cannot feed an `Int`, nor `String!` an `ID!`, nor a nullable
//!   variable without a default a non-null position.

use std::collections::{HashMap, HashSet};

use async_graphql::parser::types::{
    BaseType, Directive, ExecutableDocument, OperationType, Selection, SelectionSet, Type,
};
use async_graphql::{Name, Pos, Positioned, ServerError};
use async_graphql_value::Value;

use super::request_error;
use super::schema_index::{InputValueDef, SchemaIndex, TypeKind, innermost};

/// Every rule broken by `document`.
pub fn check(index: &SchemaIndex, document: &ExecutableDocument) -> Vec<ServerError> {
    let mut pass = Pass {
        index,
        errors: Vec::new(),
        usages: HashMap::new(),
        spreads: HashMap::new(),
    };
    let mut operations = Vec::new();
    for (name, operation) in document.operations.iter() {
        let scope = Scope::Operation(name.map(Name::as_str));
        let (root, location) = match operation.node.ty {
            OperationType::Query => (Some(index.query_type.as_str()), "QUERY"),
            OperationType::Mutation => (index.mutation_type.as_deref(), "MUTATION"),
            OperationType::Subscription => (index.subscription_type.as_deref(), "SUBSCRIPTION"),
        };
        pass.directives(scope, &operation.node.directives, location);
        for definition in &operation.node.variable_definitions {
            pass.directives(scope, &definition.node.directives, "VARIABLE_DEFINITION");
        }
        pass.selection_set(scope, root, &operation.node.selection_set.node);
        operations.push((scope, operation));
    }
    for (name, fragment) in &document.fragments {
        let scope = Scope::Fragment(name.as_str());
        pass.directives(scope, &fragment.node.directives, "FRAGMENT_DEFINITION");
        let on = fragment.node.type_condition.node.on.node.as_str();
        pass.selection_set(scope, Some(on), &fragment.node.selection_set.node);
    }
    for (scope, operation) in operations {
        let definitions: HashMap<&str, &Positioned<_>> = operation
            .node
            .variable_definitions
            .iter()
            .map(|definition| (definition.node.name.node.as_str(), definition))
            .collect();
        let mut broken = Vec::new();
        for usage in pass.reachable_usages(scope) {
            let Some(definition) = definitions.get(usage.variable) else {
                continue; // An undefined variable: the engine reports it.
            };
            let variable_type = &definition.node.var_type.node;
            let has_default = definition
                .node
                .default_value
                .as_ref()
                .is_some_and(|value| value.node != async_graphql::Value::Null);
            if !usage_allowed(variable_type, has_default, usage) {
                broken.push(request_error(
                    format!(
                        "Variable \"${}\" of type \"{variable_type}\" used in position expecting type \"{}\"",
                        usage.variable, usage.location_type
                    ),
                    vec![definition.pos, usage.pos],
                ));
            }
        }
        pass.errors.extend(broken);
    }
    pass.errors
}

/// An operation (by name) or a fragment: where variables are used.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Scope<'a> {
    Operation(Option<&'a str>),
    Fragment(&'a str),
}

/// A variable used in a position of a given type.
struct Usage<'a> {
    variable: &'a str,
    location_type: Type,
    location_has_default: bool,
    pos: Pos,
}

struct Pass<'a> {
    index: &'a SchemaIndex,
    errors: Vec<ServerError>,
    usages: HashMap<Scope<'a>, Vec<Usage<'a>>>,
    spreads: HashMap<Scope<'a>, HashSet<&'a str>>,
}

impl<'a> Pass<'a> {
    fn selection_set(&mut self, scope: Scope<'a>, parent: Option<&str>, set: &'a SelectionSet) {
        for selection in &set.items {
            match &selection.node {
                Selection::Field(field) => {
                    self.directives(scope, &field.node.directives, "FIELD");
                    let definition =
                        parent.and_then(|parent| self.index.field(parent, &field.node.name.node));
                    if let Some(definition) = definition {
                        for (name, value) in &field.node.arguments {
                            if let Some(argument) = definition.args.get(name.node.as_str()) {
                                self.record_usages(scope, &value.node, argument, value.pos);
                            }
                        }
                    }
                    let child = definition
                        .map(|definition| innermost(&definition.ty))
                        .filter(|name| self.index.named(name).is_some_and(|ty| ty.is_composite()));
                    self.selection_set(scope, child, &field.node.selection_set.node);
                }
                Selection::FragmentSpread(spread) => {
                    self.directives(scope, &spread.node.directives, "FRAGMENT_SPREAD");
                    self.spreads
                        .entry(scope)
                        .or_default()
                        .insert(spread.node.fragment_name.node.as_str());
                }
                Selection::InlineFragment(inline) => {
                    self.directives(scope, &inline.node.directives, "INLINE_FRAGMENT");
                    let on = match &inline.node.type_condition {
                        Some(condition) => Some(condition.node.on.node.as_str()),
                        None => parent,
                    };
                    self.selection_set(scope, on, &inline.node.selection_set.node);
                }
            }
        }
    }

    fn directives(
        &mut self,
        scope: Scope<'a>,
        directives: &'a [Positioned<Directive>],
        location: &str,
    ) {
        let mut seen = HashSet::new();
        for directive in directives {
            let name = directive.node.name.node.as_str();
            let Some(definition) = self.index.directive(name) else {
                self.errors.push(request_error(
                    format!("Unknown directive \"@{name}\"."),
                    vec![directive.pos],
                ));
                continue;
            };
            if !definition
                .locations
                .iter()
                .any(|allowed| allowed == location)
            {
                self.errors.push(request_error(
                    format!("Directive \"@{name}\" may not be used on {location}."),
                    vec![directive.pos],
                ));
            }
            if !seen.insert(name) {
                self.errors.push(request_error(
                    format!("The directive \"@{name}\" can only be used once at this location."),
                    vec![directive.pos],
                ));
            }
            for (argument, value) in &directive.node.arguments {
                match definition.args.get(argument.node.as_str()) {
                    Some(expected) => {
                        if !literal_fits(self.index, &value.node, &expected.ty) {
                            self.errors.push(request_error(
                                format!(
                                    "Argument \"{}\" of directive \"@{name}\" expects type \"{}\".",
                                    argument.node, expected.ty
                                ),
                                vec![value.pos],
                            ));
                        }
                        self.record_usages(scope, &value.node, expected, value.pos);
                    }
                    None => self.errors.push(request_error(
                        format!(
                            "Unknown argument \"{}\" on directive \"@{name}\".",
                            argument.node
                        ),
                        vec![argument.pos],
                    )),
                }
            }
            for (argument, expected) in &definition.args {
                let given = directive
                    .node
                    .arguments
                    .iter()
                    .any(|(name, _)| name.node.as_str() == argument);
                if !given && !expected.ty.nullable && !expected.has_default {
                    self.errors.push(request_error(
                        format!(
                            "Directive \"@{name}\" argument \"{argument}\" of type \"{}\" is required.",
                            expected.ty
                        ),
                        vec![directive.pos],
                    ));
                }
            }
        }
    }

    /// Records every variable inside `value`, a value for a position of type `expected`.
    fn record_usages(
        &mut self,
        scope: Scope<'a>,
        value: &'a Value,
        expected: &InputValueDef,
        pos: Pos,
    ) {
        self.record_value(scope, value, &expected.ty, expected.has_default, pos);
    }

    fn record_value(
        &mut self,
        scope: Scope<'a>,
        value: &'a Value,
        expected: &Type,
        has_default: bool,
        pos: Pos,
    ) {
        match value {
            Value::Variable(name) => self.usages.entry(scope).or_default().push(Usage {
                variable: name.as_str(),
                location_type: expected.clone(),
                location_has_default: has_default,
                pos,
            }),
            Value::List(items) => {
                let item_type = match &expected.base {
                    BaseType::List(inner) => inner.as_ref().clone(),
                    BaseType::Named(_) => Type {
                        nullable: true,
                        ..expected.clone()
                    },
                };
                for item in items {
                    self.record_value(scope, item, &item_type, false, pos);
                }
            }
            Value::Object(fields) => {
                let BaseType::Named(type_name) = &expected.base else {
                    return;
                };
                let Some(input) = self.index.named(type_name) else {
                    return;
                };
                let input_fields: Vec<(&'a Value, InputValueDef)> = fields
                    .iter()
                    .filter_map(|(name, value)| {
                        input
                            .input_fields
                            .get(name.as_str())
                            .map(|field| (value, field.clone()))
                    })
                    .collect();
                for (value, field) in input_fields {
                    self.record_value(scope, value, &field.ty, field.has_default, pos);
                }
            }
            _ => {}
        }
    }

    /// The usages of `scope` and of every fragment it reaches through spreads.
    fn reachable_usages(&self, scope: Scope<'a>) -> Vec<&Usage<'a>> {
        let mut found = Vec::new();
        let mut visited = HashSet::new();
        let mut pending = vec![scope];
        while let Some(current) = pending.pop() {
            if !visited.insert(current) {
                continue;
            }
            if let Some(usages) = self.usages.get(&current) {
                found.extend(usages);
            }
            if let Some(spreads) = self.spreads.get(&current) {
                pending.extend(spreads.iter().map(|name| Scope::Fragment(name)));
            }
        }
        found
    }
}

/// The spec's IsVariableUsageAllowed.
fn usage_allowed(variable_type: &Type, variable_has_default: bool, usage: &Usage<'_>) -> bool {
    let location = &usage.location_type;
    if !location.nullable && variable_type.nullable {
        if !variable_has_default && !usage.location_has_default {
            return false;
        }
        let nullable_location = Type {
            nullable: true,
            ..location.clone()
        };
        return types_compatible(variable_type, &nullable_location);
    }
    types_compatible(variable_type, location)
}

/// The spec's AreTypesCompatible.
fn types_compatible(variable: &Type, location: &Type) -> bool {
    if !location.nullable {
        if variable.nullable {
            return false;
        }
        return types_compatible(&nullable(variable), &nullable(location));
    }
    if !variable.nullable {
        return types_compatible(&nullable(variable), location);
    }
    match (&variable.base, &location.base) {
        (BaseType::List(variable_item), BaseType::List(location_item)) => {
            types_compatible(variable_item, location_item)
        }
        (BaseType::Named(variable_name), BaseType::Named(location_name)) => {
            variable_name == location_name
        }
        _ => false,
    }
}

fn nullable(ty: &Type) -> Type {
    Type {
        nullable: true,
        ..ty.clone()
    }
}

/// Whether a literal (variables aside) can stand for `ty`; directive arguments only, since
/// the engine checks field arguments itself.
fn literal_fits(index: &SchemaIndex, value: &Value, ty: &Type) -> bool {
    match value {
        Value::Variable(_) => true,
        Value::Null => ty.nullable,
        _ => match &ty.base {
            BaseType::List(item) => match value {
                Value::List(items) => items
                    .iter()
                    .all(|item_value| literal_fits(index, item_value, item)),
                single => literal_fits(index, single, item),
            },
            BaseType::Named(name) => match (name.as_str(), value) {
                ("Boolean", Value::Boolean(_))
                | ("String" | "ID", Value::String(_))
                | ("Float", Value::Number(_)) => true,
                ("Int" | "ID", Value::Number(number)) => number
                    .as_i64()
                    .is_some_and(|int| i32::try_from(int).is_ok() || name.as_str() == "ID"),
                (_, value) => match index.named(name).and_then(|named| named.kind) {
                    Some(TypeKind::Enum) => matches!(value, Value::Enum(_)),
                    Some(TypeKind::Scalar) => {
                        !matches!(name.as_str(), "Boolean" | "String" | "ID" | "Float" | "Int")
                    }
                    Some(TypeKind::InputObject) => matches!(value, Value::Object(_)),
                    _ => false,
                },
            },
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ty(text: &str) -> Type {
        Type::new(text).unwrap_or_else(|| Type {
            base: BaseType::Named(Name::new("?")),
            nullable: true,
        })
    }

    fn allowed(variable: &str, has_default: bool, location: &str) -> bool {
        let usage = Usage {
            variable: "v",
            location_type: ty(location),
            location_has_default: false,
            pos: Pos::default(),
        };
        usage_allowed(&ty(variable), has_default, &usage)
    }

    #[test]
    fn variables_fit_only_positions_of_their_type() {
        assert!(allowed("Int", false, "Int"));
        assert!(allowed("Int!", false, "Int"));
        assert!(!allowed("Int", false, "Int!"));
        assert!(
            allowed("Int", true, "Int!"),
            "a default stands in for non-null"
        );
        assert!(!allowed("String", false, "Int"));
        assert!(!allowed("String!", false, "ID!"));
        assert!(allowed("[ID!]!", false, "[ID!]!"));
        assert!(allowed("[ID!]!", false, "[ID]"));
        assert!(!allowed("[ID]", false, "[ID!]"));
        assert!(!allowed("ID", false, "[ID]"));
        assert!(!allowed("[ID]", false, "ID"));
    }
}
