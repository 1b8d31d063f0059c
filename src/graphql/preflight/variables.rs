//! The spec's CoerceVariableValues, as a check before execution: a request whose variables
//! do not fit their declared types fails as a whole, before anything runs. (The engine let
//! `{"n": null}` through for `$n: Int!` and ran with the argument's default.)

use async_graphql::parser::types::{BaseType, OperationDefinition, Type};
use async_graphql::{Name, ServerError, Value, Variables};

use super::request_error;
use super::schema_index::{SchemaIndex, TypeKind};

/// Checks a custom scalar's input value.
pub type ScalarCheck = fn(&Value) -> bool;

/// Every variable of `operation` that is missing, null where it must not be, or of the
/// wrong shape.
pub fn check(
    index: &SchemaIndex,
    scalars: &[(&str, ScalarCheck)],
    operation: &OperationDefinition,
    variables: &Variables,
) -> Vec<ServerError> {
    let checker = Checker { index, scalars };
    let mut errors = Vec::new();
    for definition in &operation.variable_definitions {
        let name = &definition.node.name.node;
        let ty = &definition.node.var_type.node;
        let problem = match variables.get(name) {
            None if definition.node.default_value.is_some() || ty.nullable => None,
            None => Some(format!(
                "Variable \"${name}\" of required type \"{ty}\" was not provided."
            )),
            Some(value) => checker
                .fits(value, ty)
                .err()
                .map(|reason| format!("Variable \"${name}\" got invalid value {value}; {reason}")),
        };
        if let Some(message) = problem {
            errors.push(request_error(message, vec![definition.pos]));
        }
    }
    errors
}

struct Checker<'a> {
    index: &'a SchemaIndex,
    scalars: &'a [(&'a str, ScalarCheck)],
}

impl Checker<'_> {
    fn fits(&self, value: &Value, ty: &Type) -> Result<(), String> {
        if *value == Value::Null {
            return if ty.nullable {
                Ok(())
            } else {
                Err(format!(
                    "expected non-nullable type \"{ty}\" not to be null."
                ))
            };
        }
        match &ty.base {
            BaseType::List(item) => match value {
                Value::List(items) => items
                    .iter()
                    .try_for_each(|item_value| self.fits(item_value, item)),
                single => self.fits(single, item),
            },
            BaseType::Named(name) => self.fits_named(value, name),
        }
    }

    fn fits_named(&self, value: &Value, name: &Name) -> Result<(), String> {
        let wrong = || Err(format!("expected type \"{name}\"."));
        match name.as_str() {
            "Int" => match value {
                Value::Number(number)
                    if number
                        .as_i64()
                        .is_some_and(|int| i32::try_from(int).is_ok()) =>
                {
                    Ok(())
                }
                _ => Err("Int cannot represent this value (a 32-bit integer).".to_owned()),
            },
            "Float" => match value {
                Value::Number(_) => Ok(()),
                _ => wrong(),
            },
            "String" => match value {
                Value::String(_) => Ok(()),
                _ => wrong(),
            },
            "Boolean" => match value {
                Value::Boolean(_) => Ok(()),
                _ => wrong(),
            },
            "ID" => match value {
                Value::String(_) => Ok(()),
                Value::Number(number) if number.is_i64() || number.is_u64() => Ok(()),
                _ => wrong(),
            },
            other => self.fits_defined(value, name, other),
        }
    }

    fn fits_defined(&self, value: &Value, name: &Name, type_name: &str) -> Result<(), String> {
        let Some(named) = self.index.named(type_name) else {
            // An unknown type: validation reports it.
            return Ok(());
        };
        match named.kind {
            Some(TypeKind::Enum) => match value {
                Value::String(text) if named.enum_values.iter().any(|v| v == text) => Ok(()),
                Value::Enum(value) if named.enum_values.iter().any(|v| v == value.as_str()) => {
                    Ok(())
                }
                _ => Err(format!("\"{name}\" has no such value.")),
            },
            Some(TypeKind::Scalar) => {
                let check = self
                    .scalars
                    .iter()
                    .find(|(scalar, _)| *scalar == type_name)
                    .map(|(_, check)| *check);
                match check {
                    Some(check) if !check(value) => Err(format!("expected a valid \"{name}\".")),
                    _ => Ok(()),
                }
            }
            Some(TypeKind::InputObject) => {
                let Value::Object(fields) = value else {
                    return Err(format!("expected an object of type \"{name}\"."));
                };
                for field in fields.keys() {
                    if !named.input_fields.contains_key(field.as_str()) {
                        return Err(format!("\"{field}\" is not a field of \"{name}\"."));
                    }
                }
                for (field, definition) in &named.input_fields {
                    match fields.get(field.as_str()) {
                        Some(field_value) => self
                            .fits(field_value, &definition.ty)
                            .map_err(|reason| format!("at \"{field}\": {reason}"))?,
                        None if !definition.ty.nullable && !definition.has_default => {
                            return Err(format!(
                                "field \"{field}\" of required type \"{}\" was not provided.",
                                definition.ty
                            ));
                        }
                        None => {}
                    }
                }
                Ok(())
            }
            _ => Err(format!("\"{name}\" is not an input type.")),
        }
    }
}
