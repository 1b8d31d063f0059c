//! GraphQL-shaped HTTP responses.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use crate::error::{AppError, tag_untagged_errors};

const JSON: HeaderValue = HeaderValue::from_static("application/json");

/// A GraphQL response: always 200 with JSON, errors (if any) inside.
pub fn graphql(mut response: async_graphql::Response) -> Response {
    tag_untagged_errors(&mut response.errors);
    json(StatusCode::OK, &response)
}

/// A request-level failure, as `{"errors": [...]}` with the given status.
pub fn error(status: StatusCode, error: AppError) -> Response {
    let body = async_graphql::Response::from_errors(vec![error.into_server_error()]);
    json(status, &body)
}

fn json(status: StatusCode, body: &impl serde::Serialize) -> Response {
    match serde_json::to_vec(body) {
        Ok(bytes) => (status, [(header::CONTENT_TYPE, JSON)], bytes).into_response(),
        Err(cause) => {
            tracing::error!(error = %cause, "serialising a response failed");
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    }
}
