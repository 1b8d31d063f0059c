//! The `DateTime` and `Date` scalars of the contract.

use async_graphql::{InputValueError, InputValueResult, Scalar, ScalarType, Value};
use chrono::{NaiveDate, SecondsFormat, Utc};

/// A point in time (see the scalar's description).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DateTime(pub chrono::DateTime<Utc>);

impl DateTime {
    /// Whether `value` is a valid input for this scalar.
    pub fn accepts(value: &Value) -> bool {
        <Self as ScalarType>::parse(value.clone()).is_ok()
    }
}

/// A point in time: RFC 3339, always UTC with microseconds on output
/// (`2026-11-26T09:30:00.000000Z`); any offset is accepted on input.
#[Scalar(
    name = "DateTime",
    specified_by_url = "https://datatracker.ietf.org/doc/html/rfc3339"
)]
impl ScalarType for DateTime {
    fn parse(value: Value) -> InputValueResult<Self> {
        match &value {
            Value::String(text) => chrono::DateTime::parse_from_rfc3339(text)
                .map(|at| Self(at.with_timezone(&Utc)))
                .map_err(|_| InputValueError::custom("expected an RFC 3339 timestamp")),
            _ => Err(InputValueError::expected_type(value)),
        }
    }

    fn to_value(&self) -> Value {
        Value::String(self.0.to_rfc3339_opts(SecondsFormat::Micros, true))
    }
}

/// A calendar date (see the scalar's description).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Date(pub NaiveDate);

impl Date {
    /// Whether `value` is a valid input for this scalar.
    pub fn accepts(value: &Value) -> bool {
        <Self as ScalarType>::parse(value.clone()).is_ok()
    }
}

/// A calendar date, `YYYY-MM-DD`.
#[Scalar(
    name = "Date",
    specified_by_url = "https://datatracker.ietf.org/doc/html/rfc3339#section-5.6"
)]
impl ScalarType for Date {
    fn parse(value: Value) -> InputValueResult<Self> {
        match &value {
            Value::String(text) if text.len() == 10 => NaiveDate::parse_from_str(text, "%Y-%m-%d")
                .map(Self)
                .map_err(|_| InputValueError::custom("expected a date as YYYY-MM-DD")),
            Value::String(_) => Err(InputValueError::custom("expected a date as YYYY-MM-DD")),
            _ => Err(InputValueError::expected_type(value)),
        }
    }

    fn to_value(&self) -> Value {
        // `NaiveDate`'s `Display` is ISO 8601, `YYYY-MM-DD`.
        Value::String(self.0.to_string())
    }
}
