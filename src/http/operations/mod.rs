//! Operations whose results stream to a client — over WebSocket (`ws`) or Server-Sent
//! Events (`event_stream`): checked, started, shaped and serialised the same way whatever
//! carries them.

mod shared;

use std::sync::Arc;

use async_graphql::parser::types::{ExecutableDocument, OperationType};
use futures_util::StreamExt;

use crate::auth::Viewer;
use crate::error::{AppError, tag_untagged_errors};
use crate::graphql::preflight::{Prepared, Refusal, Transport};
use crate::graphql::shape::{ResponseShape, cap_errors};
use crate::graphql::{ClientAddr, guard, loaders};
use crate::telemetry::metrics::{self, Outcome};

use super::{HttpState, budget, responses};

use shared::OperationKey;
pub use shared::SharedOperations;

/// What an operation produces.
#[derive(Clone)]
pub enum Emitted {
    /// One result (`next`), as JSON.
    Payload(Arc<str>),
    /// The operation failed before producing results (`error`).
    Failed(Arc<Vec<async_graphql::ServerError>>),
    /// No more results (`complete`).
    Done,
}

/// The results of a started operation, ending with [`Emitted::Done`].
pub type OperationStream = std::pin::Pin<Box<dyn futures_util::Stream<Item = Emitted> + Send>>;

/// When a live connection signed in with a credential expiring at `expires_at` must end:
/// at its expiry, and at the latest after an access token's lifetime — a personal token
/// may live for a year and be revoked meanwhile, so the client reconnects (and is checked
/// again).
pub fn live_until(
    expires_at: Option<chrono::DateTime<chrono::Utc>>,
    access_token_seconds: u64,
) -> tokio::time::Instant {
    let longest = std::time::Duration::from_secs(access_token_seconds.max(1));
    let left = expires_at.map_or(longest, |at| {
        (at - chrono::Utc::now())
            .to_std()
            .unwrap_or_default()
            .min(longest)
    });
    tokio::time::Instant::now() + left
}

/// Starts one operation arriving by `transport`: its results as a stream, or why it was
/// refused. Anonymous subscriptions join the shared execution of their operation (see
/// `shared`).
pub fn start(
    state: &HttpState,
    client: ClientAddr,
    mut request: async_graphql::Request,
    viewer: Viewer,
    transport: Transport,
) -> Result<OperationStream, Vec<async_graphql::ServerError>> {
    let name = request.operation_name.clone();
    let refused = |errors: Vec<async_graphql::ServerError>| {
        metrics::request(transport, None, name.as_deref(), Outcome::Refused, None);
        metrics::graphql_errors(&errors);
        Err(errors)
    };
    let prepared = match state.preflight.check(&mut request, transport) {
        Ok(prepared) => prepared,
        Err(Refusal::Invalid(mut errors)) => {
            cap_errors(&mut errors);
            return refused(errors);
        }
        Err(Refusal::WrongTransport(error)) => return refused(vec![error.into_server_error()]),
    };
    let quota = match budget::charge(state, viewer, client, prepared.cost) {
        Ok(quota) => quota,
        Err((error, _)) => return refused(vec![error.into_server_error()]),
    };
    metrics::request(
        transport,
        Some(prepared.operation),
        prepared.operation_name.as_deref(),
        Outcome::Ok,
        None,
    );
    let field = prepared.subscription_field.clone();
    let request = match quota {
        Some(quota) => request.data(quota),
        None => request,
    };
    Ok(counted(
        field,
        begin(state, client, request, viewer, prepared),
    ))
}

/// Runs a checked operation; anonymous subscriptions join the shared execution of their
/// operation.
fn begin(
    state: &HttpState,
    client: ClientAddr,
    request: async_graphql::Request,
    viewer: Viewer,
    prepared: Prepared,
) -> OperationStream {
    let variables = serde_json::to_string(&request.variables);
    if let (OperationType::Subscription, Viewer::Anonymous, Ok(variables)) =
        (prepared.operation, viewer, variables)
    {
        let key = OperationKey {
            query: request.query.clone(),
            operation_name: request.operation_name.clone(),
            variables,
        };
        let shared = state.shared.join(key, || {
            execute(state, client, request, viewer, prepared.document)
        });
        return Box::pin(shared);
    }
    execute(state, client, request, viewer, prepared.document)
}

/// `results`, counted among the active subscriptions of `field` while it lives.
fn counted(field: Option<String>, results: OperationStream) -> OperationStream {
    let Some(field) = field else {
        return results;
    };
    /// Counts the subscription until dropped.
    struct Active(String);
    impl Drop for Active {
        fn drop(&mut self) {
            metrics::subscription(&self.0, -1.0);
        }
    }
    metrics::subscription(&field, 1.0);
    let active = Active(field);
    Box::pin(results.map(move |emitted| {
        let _counted = &active;
        emitted
    }))
}

/// Runs a prepared operation, each result shaped and serialised as it comes.
fn execute(
    state: &HttpState,
    client: ClientAddr,
    request: async_graphql::Request,
    viewer: Viewer,
    document: Arc<ExecutableDocument>,
) -> OperationStream {
    let variables = request.variables.clone();
    let operation_name = request.operation_name.clone();
    let preflight = Arc::clone(&state.preflight);
    let max_bytes = state.app.config.limits.max_response_bytes;
    let request = request
        .data(viewer)
        .data(client)
        .data(loaders::for_request(&state.app));
    let mut first = true;
    let results = guard::stream(state.schema.execute_stream(request)).map(move |mut response| {
        tag_untagged_errors(&mut response.errors);
        // An operation that fails before producing data (validation) is an `error`.
        let failed =
            first && response.data == async_graphql::Value::Null && !response.errors.is_empty();
        first = false;
        metrics::graphql_errors(&response.errors);
        if failed {
            cap_errors(&mut response.errors);
            return Emitted::Failed(Arc::new(response.errors));
        }
        ResponseShape {
            index: preflight.index(),
            document: &document,
            operation_name: operation_name.as_deref(),
            variables: &variables,
        }
        .apply(&mut response);
        Emitted::Payload(payload(&response, max_bytes).into())
    });
    Box::pin(results.chain(futures_util::stream::once(async { Emitted::Done })))
}

/// A result as the JSON of a `next` payload, or a `RESPONSE_TOO_LARGE` error in its place.
fn payload(response: &async_graphql::Response, max_bytes: usize) -> String {
    #[derive(serde::Serialize)]
    struct Payload<'a> {
        data: &'a async_graphql::Value,
        #[serde(skip_serializing_if = "<[async_graphql::ServerError]>::is_empty")]
        errors: &'a [async_graphql::ServerError],
    }
    let body = Payload {
        data: &response.data,
        errors: &response.errors,
    };
    let error = match responses::serialize_bounded(&body, max_bytes) {
        Ok(Some(bytes)) => match String::from_utf8(bytes) {
            Ok(text) => return text,
            Err(cause) => AppError::internal(cause),
        },
        Ok(None) => AppError::ResponseTooLarge { limit: max_bytes },
        Err(cause) => AppError::internal(cause),
    };
    errors_payload(error)
}

/// A payload holding only `error`.
pub fn errors_payload(error: AppError) -> String {
    errors_json(&[error.into_server_error()])
}

/// A payload holding only `errors`.
pub fn errors_json(errors: &[async_graphql::ServerError]) -> String {
    match serde_json::to_string(&ErrorsOnly { errors }) {
        Ok(text) => text,
        Err(cause) => {
            tracing::error!(%cause, "cannot serialise an error");
            String::from(
                r#"{"errors":[{"message":"internal server error","extensions":{"code":"INTERNAL_SERVER_ERROR"}}]}"#,
            )
        }
    }
}

#[derive(serde::Serialize)]
struct ErrorsOnly<'a> {
    errors: &'a [async_graphql::ServerError],
}
