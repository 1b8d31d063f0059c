//! Everything checked before an operation runs, on every transport (GET, POST, WebSocket).
//!
//! In order: the text's size and bracket nesting ([`limits`]); parsing; the expanded field
//! count; choosing the operation; whether the transport allows its type; the validation
//! rules the engine misses ([`rules`]); the variables against their declared types
//! ([`variables`]); and the real cost of any introspection ([`introspection`]). A request
//! that fails any of them is a *request error*: it never starts executing, and its answer
//! has no `data`. The engine's own validation and limits run afterwards, during execution.
//!
//! This runs outside the schema (not as an extension), which keeps per-field extension
//! hooks off the hot path.

mod cost;
mod introspection;
mod limits;
mod rules;
pub mod schema_index;
mod variables;

use std::sync::Arc;

use async_graphql::parser::types::{
    ExecutableDocument, OperationDefinition, OperationType, Selection, SelectionSet,
};
use async_graphql::{Pos, Positioned, ServerError};

use crate::config::GraphqlLimits;
use crate::error::AppError;

use super::shape::mark_empty_selections;

pub use introspection::MAX_TYPE_LIST_NESTING;
pub use limits::{MAX_FRAGMENTS, MAX_NESTING, MAX_QUERY_BYTES};
pub use schema_index::SchemaIndex;
pub use variables::ScalarCheck;

/// How an operation arrived: each transport allows different operation types.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transport {
    /// `POST /graphql`: queries and mutations.
    HttpPost,
    /// `GET /graphql`: queries only (a GET must not change anything).
    HttpGet,
    /// A WebSocket `subscribe` message: queries and subscriptions.
    WebSocket,
    /// `POST /graphql/stream` (Server-Sent Events): any operation.
    EventStreamPost,
    /// `GET /graphql/stream` (Server-Sent Events): queries and subscriptions.
    EventStreamGet,
}

impl Transport {
    fn allows(self, operation: OperationType) -> bool {
        match self {
            Self::HttpPost => operation != OperationType::Subscription,
            Self::HttpGet => operation == OperationType::Query,
            Self::WebSocket | Self::EventStreamGet => operation != OperationType::Mutation,
            Self::EventStreamPost => true,
        }
    }
}

/// Why a request was refused before execution.
#[derive(Debug)]
pub enum Refusal {
    /// The operation type is not allowed on this transport.
    WrongTransport(AppError),
    /// The request is not a valid operation for this schema (GraphQL's "request error").
    Invalid(Vec<ServerError>),
}

impl From<AppError> for Refusal {
    fn from(error: AppError) -> Self {
        Self::Invalid(vec![error.into_server_error()])
    }
}

/// A request that passed every check, ready to run.
pub struct Prepared {
    /// The type of the operation that will run.
    pub operation: OperationType,
    /// Whether it selects anything beyond `__typename` and introspection, which are
    /// answered without the database.
    pub needs_database: bool,
    /// Whether it is a query of root fields whose anonymous answer may be shared between
    /// anonymous callers until a change is published (or a second passes).
    pub shareable: bool,
    /// What the operation costs against the caller's budget (see [`cost`]): at least 1,
    /// at most the complexity limit.
    pub cost: u64,
    /// The name of the operation that will run, if it has one.
    pub operation_name: Option<String>,
    /// The subscription's field, for a subscription (which has exactly one).
    pub subscription_field: Option<String>,
    /// The parsed document as the engine runs it (with the markers of
    /// [`mark_empty_selections`]), also attached to the request: it is not parsed again.
    pub document: Arc<ExecutableDocument>,
}

/// The checks, with what they need to know.
pub struct Preflight {
    index: SchemaIndex,
    limits: GraphqlLimits,
    scalars: Vec<(&'static str, ScalarCheck)>,
}

impl Preflight {
    /// Checks against the schema `index`, within `limits`; `scalars` check the input values
    /// of custom scalars.
    pub fn new(
        index: SchemaIndex,
        limits: GraphqlLimits,
        scalars: Vec<(&'static str, ScalarCheck)>,
    ) -> Self {
        Self {
            index,
            limits,
            scalars,
        }
    }

    /// The schema index the checks use.
    pub fn index(&self) -> &SchemaIndex {
        &self.index
    }

    /// Checks `request` and attaches its parsed document.
    ///
    /// # Errors
    /// A [`Refusal`] saying why the request must not run.
    pub fn check(
        &self,
        request: &mut async_graphql::Request,
        transport: Transport,
    ) -> Result<Prepared, Refusal> {
        limits::check_source(&request.query)?;
        let document = async_graphql::parser::parse_query(&request.query).map_err(|error| {
            Refusal::Invalid(vec![request_error(
                format!("Syntax Error: {error}"),
                error.positions().collect(),
            )])
        })?;
        limits::check_document(&document, self.limits.max_fields)?;
        let (operation_name, operation) =
            select_operation(&document, request.operation_name.as_deref())
                .map_err(|message| Refusal::Invalid(vec![request_error(message, Vec::new())]))?;
        let operation_name = operation_name.map(str::to_owned);
        let operation_type = operation.node.ty;
        if !transport.allows(operation_type) {
            let message = match transport {
                Transport::HttpGet => "only queries may be sent with GET; use POST",
                Transport::HttpPost => {
                    "subscriptions need a WebSocket connection to /graphql or an event stream from /graphql/stream"
                }
                Transport::WebSocket => "send mutations over HTTP POST",
                Transport::EventStreamGet | Transport::EventStreamPost => {
                    "send mutations with POST"
                }
            };
            return Err(Refusal::WrongTransport(AppError::bad_input(
                "query", message,
            )));
        }
        let mut errors = rules::check(&self.index, &document);
        errors.extend(variables::check(
            &self.index,
            &self.scalars,
            &operation.node,
            &request.variables,
        ));
        if !errors.is_empty() {
            return Err(Refusal::Invalid(errors));
        }
        let introspection = introspection::cost(
            &self.index,
            &document,
            &operation.node.selection_set.node,
            &request.variables,
        );
        if introspection.type_list_nesting > MAX_TYPE_LIST_NESTING {
            return Err(AppError::QueryTooComplex(format!(
                "introspection nests `fields`, `inputFields`, `interfaces` and `possibleTypes` {} deep; at most {MAX_TYPE_LIST_NESTING} are allowed",
                introspection.type_list_nesting
            ))
            .into());
        }
        let limit = u64::try_from(self.limits.max_complexity).unwrap_or(u64::MAX);
        if introspection.fields > limit {
            return Err(AppError::QueryTooComplex(format!(
                "the introspection would answer {} fields; the complexity limit is {limit}",
                introspection.fields
            ))
            .into());
        }
        let root_type = match operation_type {
            OperationType::Query => Some(self.index.query_type.as_str()),
            OperationType::Mutation => self.index.mutation_type.as_deref(),
            OperationType::Subscription => self.index.subscription_type.as_deref(),
        };
        let fields_cost = root_type.map_or(0, |root| {
            cost::cost(
                &self.index,
                &document,
                &request.variables,
                root,
                &operation.node.selection_set.node,
            )
        });
        // Beyond the complexity limit the engine refuses the operation: it is charged the
        // limit, not an unbounded count.
        let cost = fields_cost
            .saturating_add(introspection.fields)
            .clamp(1, limit);
        let root_fields = root_field_names(&document, &operation.node.selection_set.node);
        let needs_database = selects_data(&root_fields);
        let shareable = is_shareable(operation_type, &root_fields);
        let subscription_field = (operation_type == OperationType::Subscription)
            .then(|| root_fields.first().map(|name| (*name).to_owned()))
            .flatten();
        let mut document = document;
        mark_empty_selections(&mut document);
        let document = Arc::new(document);
        request.set_parsed_query(ExecutableDocument::clone(&document));
        Ok(Prepared {
            operation: operation_type,
            needs_database,
            shareable,
            cost,
            operation_name,
            subscription_field,
            document,
        })
    }
}

/// The operation a request names, or the only one of its document.
fn select_operation<'a>(
    document: &'a ExecutableDocument,
    name: Option<&str>,
) -> Result<(Option<&'a str>, &'a Positioned<OperationDefinition>), String> {
    let mut operations = document.operations.iter();
    match name {
        Some(wanted) => document
            .operations
            .iter()
            .find(|(name, _)| name.is_some_and(|name| name.as_str() == wanted))
            .map(|(name, operation)| (name.map(|name| name.as_str()), operation))
            .ok_or_else(|| format!("Unknown operation named \"{wanted}\".")),
        None => match (operations.next(), operations.next()) {
            (Some((name, operation)), None) => Ok((name.map(|name| name.as_str()), operation)),
            (None, _) => Err("The document holds no operation.".to_owned()),
            (Some(_), Some(_)) => Err(
                "The document holds several operations: name one with `operationName`.".to_owned(),
            ),
        },
    }
}

/// Root fields whose answer to an anonymous caller is the same for every anonymous caller
/// and changes only through published changes (see `events::Change`) or, within a
/// second, the clock: the hot lists and lookups. `__typename` never changes.
pub const SHAREABLE_ROOT_FIELDS: [&str; 6] = [
    "__typename",
    "papers",
    "dailyPapers",
    "trendingPapers",
    "paper",
    "author",
];

/// The names of the fields of a root selection, fragments expanded (each fragment once).
fn root_field_names<'a>(document: &'a ExecutableDocument, set: &'a SelectionSet) -> Vec<&'a str> {
    fn walk<'a>(
        document: &'a ExecutableDocument,
        set: &'a SelectionSet,
        seen: &mut Vec<&'a str>,
        names: &mut Vec<&'a str>,
    ) {
        for selection in &set.items {
            match &selection.node {
                Selection::Field(field) => names.push(field.node.name.node.as_str()),
                Selection::InlineFragment(inline) => {
                    walk(document, &inline.node.selection_set.node, seen, names);
                }
                Selection::FragmentSpread(spread) => {
                    let name = spread.node.fragment_name.node.as_str();
                    if seen.contains(&name) {
                        continue;
                    }
                    seen.push(name);
                    if let Some(fragment) = document.fragments.get(name) {
                        walk(document, &fragment.node.selection_set.node, seen, names);
                    }
                }
            }
        }
    }
    let mut names = Vec::new();
    walk(document, set, &mut Vec::new(), &mut names);
    names
}

/// Whether a root selection holds any field other than the meta-fields `__typename`,
/// `__schema` and `__type`.
fn selects_data(root_fields: &[&str]) -> bool {
    root_fields
        .iter()
        .any(|name| !matches!(*name, "__typename" | "__schema" | "__type"))
}

/// Whether a query selects only [`SHAREABLE_ROOT_FIELDS`].
fn is_shareable(operation: OperationType, root_fields: &[&str]) -> bool {
    operation == OperationType::Query
        && root_fields
            .iter()
            .all(|name| SHAREABLE_ROOT_FIELDS.contains(name))
}

/// A request error (`BAD_USER_INPUT`) at `locations`.
pub fn request_error(message: impl Into<String>, locations: Vec<Pos>) -> ServerError {
    let mut error = AppError::bad_input("query", message.into()).into_server_error();
    error.locations = locations;
    error
}
