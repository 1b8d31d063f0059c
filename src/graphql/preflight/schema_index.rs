//! What the checks before execution, and the shaping after it, need to know about the
//! served schema: its types, fields, arguments and directives.
//!
//! Built once, at start-up, from the engine's own answer to a full introspection query, so
//! it can never disagree with what the engine serves.

use std::collections::HashMap;

use async_graphql::parser::types::{BaseType, Type};
use async_graphql::{Name, Request};
use serde::Deserialize;

use crate::graphql::AppSchema;

/// The kind of a named type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum TypeKind {
    Scalar,
    Object,
    Interface,
    Union,
    Enum,
    InputObject,
    List,
    NonNull,
}

/// A named type of the schema.
#[derive(Debug, Default)]
pub struct NamedType {
    pub kind: Option<TypeKind>,
    pub fields: HashMap<String, FieldDef>,
    pub interfaces: Vec<String>,
    pub possible_types: Vec<String>,
    pub enum_values: Vec<String>,
    pub input_fields: HashMap<String, InputValueDef>,
}

impl NamedType {
    /// Whether values of this type take one of several object types at run time.
    pub fn is_abstract(&self) -> bool {
        matches!(self.kind, Some(TypeKind::Interface | TypeKind::Union))
    }

    /// Whether values of this type have fields (and need a selection set).
    pub fn is_composite(&self) -> bool {
        matches!(
            self.kind,
            Some(TypeKind::Object | TypeKind::Interface | TypeKind::Union)
        )
    }
}

/// A field of an object or interface type.
#[derive(Debug, Clone)]
pub struct FieldDef {
    pub ty: Type,
    pub args: HashMap<String, InputValueDef>,
}

/// An argument, or a field of an input object.
#[derive(Debug, Clone)]
pub struct InputValueDef {
    pub ty: Type,
    pub has_default: bool,
}

/// A directive definition.
#[derive(Debug, Clone)]
pub struct DirectiveDef {
    pub locations: Vec<String>,
    pub args: HashMap<String, InputValueDef>,
}

/// The served schema, indexed.
#[derive(Debug)]
pub struct SchemaIndex {
    types: HashMap<String, NamedType>,
    directives: HashMap<String, DirectiveDef>,
    /// Type names in the order `__schema { types }` lists them.
    type_order: Vec<String>,
    pub query_type: String,
    pub mutation_type: Option<String>,
    pub subscription_type: Option<String>,
    typename_field: FieldDef,
    schema_field: FieldDef,
    type_field: FieldDef,
}

/// Why the index could not be built (a bug: the engine's introspection is always valid).
#[derive(Debug, thiserror::Error)]
#[error("cannot index the schema: {0}")]
pub struct IndexError(String);

impl SchemaIndex {
    /// Indexes `schema` by running a full introspection query against it.
    ///
    /// # Errors
    /// The introspection failed or could not be read.
    pub async fn of(schema: &AppSchema) -> Result<Self, IndexError> {
        let response = schema.execute(Request::new(FULL_INTROSPECTION)).await;
        if let Some(error) = response.errors.first() {
            return Err(IndexError(error.message.clone()));
        }
        let json = response
            .data
            .into_json()
            .map_err(|error| IndexError(error.to_string()))?;
        let data: IntrospectionData =
            serde_json::from_value(json).map_err(|error| IndexError(error.to_string()))?;
        Self::from_introspection(data.schema)
    }

    fn from_introspection(schema: WireSchema) -> Result<Self, IndexError> {
        let mut types = HashMap::new();
        let mut type_order = Vec::with_capacity(schema.types.len());
        for wire in schema.types {
            let name = wire.name.clone().unwrap_or_default();
            type_order.push(name.clone());
            types.insert(name, NamedType::from_wire(wire)?);
        }
        let mut directives = HashMap::new();
        for wire in schema.directives {
            directives.insert(
                wire.name,
                DirectiveDef {
                    locations: wire.locations,
                    args: input_values(wire.args)?,
                },
            );
        }
        let named = |name: &str, nullable: bool| Type {
            base: BaseType::Named(Name::new(name)),
            nullable,
        };
        let mut type_args = HashMap::new();
        type_args.insert(
            "name".to_owned(),
            InputValueDef {
                ty: named("String", false),
                has_default: false,
            },
        );
        Ok(Self {
            types,
            directives,
            type_order,
            query_type: schema.query_type.name,
            mutation_type: schema.mutation_type.map(|root| root.name),
            subscription_type: schema.subscription_type.map(|root| root.name),
            typename_field: FieldDef {
                ty: named("String", false),
                args: HashMap::new(),
            },
            schema_field: FieldDef {
                ty: named("__Schema", false),
                args: HashMap::new(),
            },
            type_field: FieldDef {
                ty: named("__Type", true),
                args: type_args,
            },
        })
    }

    /// A named type.
    pub fn named(&self, name: &str) -> Option<&NamedType> {
        self.types.get(name)
    }

    /// Every named type, in introspection order.
    pub fn type_names(&self) -> &[String] {
        &self.type_order
    }

    /// A field of a composite type, including the meta-fields (`__typename` everywhere,
    /// `__schema` and `__type` on the query root).
    pub fn field(&self, type_name: &str, field_name: &str) -> Option<&FieldDef> {
        match field_name {
            "__typename" => Some(&self.typename_field),
            "__schema" if type_name == self.query_type => Some(&self.schema_field),
            "__type" if type_name == self.query_type => Some(&self.type_field),
            _ => self.types.get(type_name)?.fields.get(field_name),
        }
    }

    /// A directive definition.
    pub fn directive(&self, name: &str) -> Option<&DirectiveDef> {
        self.directives.get(name)
    }

    /// The names of every directive.
    pub fn directive_names(&self) -> impl Iterator<Item = &str> {
        self.directives.keys().map(String::as_str)
    }

    /// Whether an object of type `object` is of type `condition` (itself, an interface it
    /// implements, or a union holding it).
    pub fn applies(&self, condition: &str, object: &str) -> bool {
        condition == object
            || self
                .types
                .get(condition)
                .is_some_and(|ty| ty.possible_types.iter().any(|name| name == object))
    }

    /// The object types a value of type `name` may have at run time.
    pub fn possible_types<'a>(&'a self, name: &'a str) -> Vec<&'a str> {
        match self.types.get(name) {
            Some(ty) if matches!(ty.kind, Some(TypeKind::Interface | TypeKind::Union)) => {
                ty.possible_types.iter().map(String::as_str).collect()
            }
            _ => vec![name],
        }
    }
}

/// The named type at the bottom of `ty`'s list and non-null wrappers.
pub fn innermost(ty: &Type) -> &str {
    match &ty.base {
        BaseType::Named(name) => name.as_str(),
        BaseType::List(inner) => innermost(inner),
    }
}

impl NamedType {
    fn from_wire(wire: WireType) -> Result<Self, IndexError> {
        let mut fields = HashMap::new();
        for field in wire.fields.unwrap_or_default() {
            fields.insert(
                field.name,
                FieldDef {
                    ty: field.ty.to_type()?,
                    args: input_values(field.args)?,
                },
            );
        }
        Ok(Self {
            kind: Some(wire.kind),
            fields,
            interfaces: names(wire.interfaces),
            possible_types: names(wire.possible_types),
            enum_values: wire
                .enum_values
                .unwrap_or_default()
                .into_iter()
                .map(|value| value.name)
                .collect(),
            input_fields: input_values(wire.input_fields.unwrap_or_default())?,
        })
    }
}

fn names(refs: Option<Vec<WireTypeRef>>) -> Vec<String> {
    refs.unwrap_or_default()
        .into_iter()
        .filter_map(|reference| reference.name)
        .collect()
}

fn input_values(values: Vec<WireInputValue>) -> Result<HashMap<String, InputValueDef>, IndexError> {
    values
        .into_iter()
        .map(|value| {
            Ok((
                value.name,
                InputValueDef {
                    ty: value.ty.to_type()?,
                    has_default: value.default_value.is_some(),
                },
            ))
        })
        .collect()
}

/// Everything the index needs, with every deprecated member included.
const FULL_INTROSPECTION: &str = r"
query PaperboardSchemaIndex {
  __schema {
    queryType { name }
    mutationType { name }
    subscriptionType { name }
    types {
      kind name
      fields(includeDeprecated: true) { name args(includeDeprecated: true) { ...Input } type { ...Ref } }
      inputFields(includeDeprecated: true) { ...Input }
      interfaces { name }
      possibleTypes { name }
      enumValues(includeDeprecated: true) { name }
    }
    directives { name locations args(includeDeprecated: true) { ...Input } }
  }
}
fragment Input on __InputValue { name defaultValue type { ...Ref } }
fragment Ref on __Type {
  kind name ofType { kind name ofType { kind name ofType { kind name ofType {
    kind name ofType { kind name ofType { kind name ofType { kind name } } } } } } }
}
";

#[derive(Deserialize)]
struct IntrospectionData {
    #[serde(rename = "__schema")]
    schema: WireSchema,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct WireSchema {
    query_type: WireRoot,
    mutation_type: Option<WireRoot>,
    subscription_type: Option<WireRoot>,
    types: Vec<WireType>,
    directives: Vec<WireDirective>,
}

#[derive(Deserialize)]
struct WireRoot {
    name: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct WireType {
    kind: TypeKind,
    name: Option<String>,
    fields: Option<Vec<WireField>>,
    input_fields: Option<Vec<WireInputValue>>,
    interfaces: Option<Vec<WireTypeRef>>,
    possible_types: Option<Vec<WireTypeRef>>,
    enum_values: Option<Vec<WireEnumValue>>,
}

#[derive(Deserialize)]
struct WireField {
    name: String,
    args: Vec<WireInputValue>,
    #[serde(rename = "type")]
    ty: WireTypeRef,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct WireInputValue {
    name: String,
    default_value: Option<String>,
    #[serde(rename = "type")]
    ty: WireTypeRef,
}

#[derive(Deserialize)]
struct WireEnumValue {
    name: String,
}

#[derive(Deserialize)]
struct WireDirective {
    name: String,
    locations: Vec<String>,
    args: Vec<WireInputValue>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct WireTypeRef {
    kind: Option<TypeKind>,
    name: Option<String>,
    of_type: Option<Box<WireTypeRef>>,
}

impl WireTypeRef {
    fn to_type(&self) -> Result<Type, IndexError> {
        let inner = || {
            self.of_type
                .as_deref()
                .ok_or_else(|| IndexError("a wrapper type without ofType".to_owned()))
        };
        match self.kind {
            Some(TypeKind::NonNull) => Ok(Type {
                nullable: false,
                ..inner()?.to_type()?
            }),
            Some(TypeKind::List) => Ok(Type {
                base: BaseType::List(Box::new(inner()?.to_type()?)),
                nullable: true,
            }),
            _ => Ok(Type {
                base: BaseType::Named(Name::new(self.name.as_deref().unwrap_or_default())),
                nullable: true,
            }),
        }
    }
}
