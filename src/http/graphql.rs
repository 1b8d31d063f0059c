//! GraphQL over HTTP: `POST /graphql` (JSON body), `GET /graphql` (queries only), and
//! GraphiQL for browsers.
//!
//! The stock async-graphql handlers are not used: they read bodies without a limit, run
//! mutations sent by GET or as forms (CSRF), and accept batches.

use axum::body::Body;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};

use crate::auth::Viewer;
use crate::error::AppError;
use crate::graphql::limits::{self, Refusal, Transport};
use crate::graphql::loaders;

use super::{HttpState, graphiql, responses};

/// Largest accepted request body.
pub const MAX_BODY_BYTES: usize = 64 * 1024;

/// `POST /graphql`: one operation as `application/json`.
pub async fn graphql_post(
    State(state): State<HttpState>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    if !is_json(&headers) {
        return responses::error(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            AppError::bad_input("Content-Type", "send the operation as application/json"),
        );
    }
    let Ok(bytes) = axum::body::to_bytes(body, MAX_BODY_BYTES).await else {
        return responses::error(
            StatusCode::PAYLOAD_TOO_LARGE,
            AppError::bad_input("body", format!("the body exceeds {MAX_BODY_BYTES} bytes")),
        );
    };
    if bytes.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'[') {
        return responses::error(
            StatusCode::BAD_REQUEST,
            AppError::bad_input("body", "batched operations are not supported: send one"),
        );
    }
    let request: async_graphql::Request = match serde_json::from_slice(&bytes) {
        Ok(request) => request,
        Err(_) => {
            return responses::error(
                StatusCode::BAD_REQUEST,
                AppError::bad_input(
                    "body",
                    "the body must be a JSON object with `query`, and optionally `operationName` and `variables`",
                ),
            );
        }
    };
    execute(&state, request, Transport::HttpPost, Viewer::Anonymous).await
}

/// `GET /graphql`: GraphiQL for a browser, otherwise a query from the URL's parameters.
pub async fn graphql_get(
    State(state): State<HttpState>,
    headers: HeaderMap,
    RawQuery(raw_query): RawQuery,
) -> Response {
    let raw_query = raw_query.unwrap_or_default();
    if wants_html(&headers) && !raw_query.split('&').any(|pair| pair.starts_with("query=")) {
        return Html(graphiql::PAGE).into_response();
    }
    let request = match async_graphql::http::parse_query_string(&raw_query) {
        Ok(request) if !request.query.is_empty() => request,
        _ => {
            return responses::error(
                StatusCode::BAD_REQUEST,
                AppError::bad_input("query", "pass the operation in the `query` URL parameter"),
            );
        }
    };
    execute(&state, request, Transport::HttpGet, Viewer::Anonymous).await
}

/// Applies the operation limits, then runs the operation for `viewer`.
async fn execute(
    state: &HttpState,
    mut request: async_graphql::Request,
    transport: Transport,
    viewer: Viewer,
) -> Response {
    match limits::prepare(&mut request, transport, state.app.config.limits.max_fields) {
        Ok(()) => {
            let request = request.data(viewer).data(loaders::for_request(&state.app));
            responses::graphql(state.schema.execute(request).await)
        }
        Err(Refusal::Invalid(error)) => {
            responses::graphql(async_graphql::Response::from_errors(vec![
                error.into_server_error(),
            ]))
        }
        Err(Refusal::WrongTransport(error)) if transport == Transport::HttpGet => {
            let mut response = responses::error(StatusCode::METHOD_NOT_ALLOWED, error);
            response
                .headers_mut()
                .insert(header::ALLOW, HeaderValue::from_static("POST"));
            response
        }
        Err(Refusal::WrongTransport(error)) => responses::error(StatusCode::BAD_REQUEST, error),
    }
}

fn is_json(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.split(';').next())
        .is_some_and(|essence| essence.trim().eq_ignore_ascii_case("application/json"))
}

fn wants_html(headers: &HeaderMap) -> bool {
    headers
        .get(header::ACCEPT)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|accept| accept.contains("text/html"))
}
