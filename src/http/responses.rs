//! GraphQL-shaped HTTP responses, in the media type the client asked for.
//!
//! GraphQL over HTTP (the current draft) defines `application/graphql-response+json`: a
//! request that never started executing (it did not parse, validate, or its variables did
//! not fit) answers 400 with no `data` key. Clients that ask for the legacy
//! `application/json` (or nothing, or `*/*`) get 200 for those, also without `data`.
//! Malformed HTTP requests (no `query`, bad JSON, parameters of the wrong type) are 400 in
//! both. Every body is bounded: past the configured size the answer is a single
//! `RESPONSE_TOO_LARGE` error, never a partial body.

use std::io::Write;

use async_graphql::ServerError;
use axum::body::Bytes;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use crate::error::{AppError, ErrorCode, UNAVAILABLE_RETRY_AFTER, tag_untagged_errors};
use crate::graphql::shape::cap_errors;

/// The media type of GraphQL responses in the current GraphQL-over-HTTP draft.
const GRAPHQL_RESPONSE_JSON: &str = "application/graphql-response+json";

/// The media type a client accepts for its answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Media {
    /// `application/json`: every GraphQL result is 200.
    Json,
    /// `application/graphql-response+json`: request errors are 400.
    GraphqlResponse,
}

impl Media {
    /// The type the `Accept` header prefers; `application/json` unless the client ranks
    /// `application/graphql-response+json` at least as high.
    pub fn negotiate(headers: &HeaderMap) -> Self {
        let mut graphql_response = None;
        let mut json = None;
        for value in headers
            .get_all(header::ACCEPT)
            .iter()
            .filter_map(|value| value.to_str().ok())
        {
            for entry in value.split(',') {
                let mut parts = entry.split(';');
                let essence = parts.next().unwrap_or_default().trim().to_ascii_lowercase();
                let quality = parts
                    .filter_map(|parameter| parameter.trim().strip_prefix("q="))
                    .find_map(|q| q.trim().parse::<f32>().ok())
                    .unwrap_or(1.0);
                let slot = match essence.as_str() {
                    GRAPHQL_RESPONSE_JSON => &mut graphql_response,
                    "application/json" | "application/*" | "*/*" => &mut json,
                    _ => continue,
                };
                *slot = Some(slot.map_or(quality, |seen: f32| seen.max(quality)));
            }
        }
        match (graphql_response, json) {
            (Some(preferred), other) if preferred > 0.0 && preferred >= other.unwrap_or(0.0) => {
                Self::GraphqlResponse
            }
            _ => Self::Json,
        }
    }

    fn content_type(self) -> HeaderValue {
        match self {
            Self::Json => HeaderValue::from_static("application/json; charset=utf-8"),
            Self::GraphqlResponse => {
                HeaderValue::from_static("application/graphql-response+json; charset=utf-8")
            }
        }
    }

    /// The status of an answer without `data`: the request never ran.
    fn request_error_status(self) -> StatusCode {
        match self {
            Self::Json => StatusCode::OK,
            Self::GraphqlResponse => StatusCode::BAD_REQUEST,
        }
    }
}

/// A GraphQL answer: `data` (unless absent) and `errors` (unless none).
#[derive(Serialize)]
struct Body<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    data: Option<&'a async_graphql::Value>,
    #[serde(skip_serializing_if = "<[ServerError]>::is_empty")]
    errors: &'a [ServerError],
}

/// The result of an execution; one that [never ran](never_ran) is answered as a request
/// error.
pub fn execution(
    mut response: async_graphql::Response,
    media: Media,
    max_bytes: usize,
) -> Response {
    tag_untagged_errors(&mut response.errors);
    cap_errors(&mut response.errors);
    if never_ran(&response) {
        return request_errors(response.errors, media);
    }
    let body = Body {
        data: Some(&response.data),
        errors: &response.errors,
    };
    let status = if response.errors.iter().any(is_unavailable) {
        StatusCode::SERVICE_UNAVAILABLE
    } else {
        StatusCode::OK
    };
    bounded(status, &body, media, max_bytes)
}

/// Whether an engine result never started executing: no `data`, and errors without a
/// path (the engine's own validation or limits).
pub fn never_ran(response: &async_graphql::Response) -> bool {
    response.data == async_graphql::Value::Null
        && !response.errors.is_empty()
        && response.errors.iter().all(|error| error.path.is_empty())
}

fn is_unavailable(error: &ServerError) -> bool {
    error
        .extensions
        .as_ref()
        .and_then(|extensions| extensions.get("code"))
        .is_some_and(|code| {
            *code == async_graphql::Value::from(ErrorCode::ServiceUnavailable.as_str())
        })
}

/// The body of an answer without errors, serialised once to be shared; `None` when it
/// has errors or passes `max_bytes` (it is then answered by [`execution`]).
pub fn shareable_body(response: &async_graphql::Response, max_bytes: usize) -> Option<Bytes> {
    if !response.errors.is_empty() {
        return None;
    }
    let body = Body {
        data: Some(&response.data),
        errors: &[],
    };
    serialize_bounded(&body, max_bytes)
        .ok()
        .flatten()
        .map(Bytes::from)
}

/// A 200 answer of a body from [`shareable_body`].
pub fn shared(body: Bytes, media: Media) -> Response {
    (
        StatusCode::OK,
        [(header::CONTENT_TYPE, media.content_type())],
        body,
    )
        .into_response()
}

/// A request that never started executing.
pub fn request_errors(mut errors: Vec<ServerError>, media: Media) -> Response {
    tag_untagged_errors(&mut errors);
    cap_errors(&mut errors);
    let body = Body {
        data: None,
        errors: &errors,
    };
    let status = if errors.iter().any(is_unavailable) {
        StatusCode::SERVICE_UNAVAILABLE
    } else {
        media.request_error_status()
    };
    bounded(status, &body, media, usize::MAX)
}

/// A request-level failure with the given status, as `{"errors": [...]}`.
pub fn error(status: StatusCode, error: AppError, media: Media) -> Response {
    server_error(status, error.into_server_error(), media)
}

/// [`error`] for an error the engine reported.
pub fn server_error(status: StatusCode, error: ServerError, media: Media) -> Response {
    let errors = [error];
    let body = Body {
        data: None,
        errors: &errors,
    };
    bounded(status, &body, media, usize::MAX)
}

/// Serialises `body`, or answers `RESPONSE_TOO_LARGE` once it passes `max_bytes`. A 503
/// tells the client when to retry.
fn bounded(status: StatusCode, body: &Body<'_>, media: Media, max_bytes: usize) -> Response {
    crate::telemetry::metrics::graphql_errors(body.errors);
    let mut response = serialized(status, body, media, max_bytes);
    if status == StatusCode::SERVICE_UNAVAILABLE {
        response.headers_mut().insert(
            header::RETRY_AFTER,
            HeaderValue::from(UNAVAILABLE_RETRY_AFTER.as_secs()),
        );
    }
    response
}

fn serialized(status: StatusCode, body: &Body<'_>, media: Media, max_bytes: usize) -> Response {
    match serialize_bounded(body, max_bytes) {
        Ok(Some(bytes)) => (
            status,
            [(header::CONTENT_TYPE, media.content_type())],
            bytes,
        )
            .into_response(),
        Ok(None) => {
            tracing::warn!(
                limit = max_bytes,
                "response over the size limit replaced by an error"
            );
            let errors = [AppError::ResponseTooLarge { limit: max_bytes }.into_server_error()];
            let replacement = Body {
                data: None,
                errors: &errors,
            };
            let status = media.request_error_status();
            match serde_json::to_vec(&replacement) {
                Ok(bytes) => (
                    status,
                    [(header::CONTENT_TYPE, media.content_type())],
                    bytes,
                )
                    .into_response(),
                Err(_) => StatusCode::INTERNAL_SERVER_ERROR.into_response(),
            }
        }
        Err(cause) => {
            tracing::error!(error = %cause, "serialising a response failed");
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    }
}

/// `value` as JSON, or `None` when it would take more than `max_bytes`; serialisation
/// stops at the limit, so an oversized answer is never held whole.
pub fn serialize_bounded(
    value: &impl Serialize,
    max_bytes: usize,
) -> Result<Option<Vec<u8>>, serde_json::Error> {
    let mut writer = BoundedWriter {
        bytes: Vec::new(),
        max_bytes,
    };
    match serde_json::to_writer(&mut writer, value) {
        Ok(()) => Ok(Some(writer.bytes)),
        Err(error) if error.is_io() => Ok(None),
        Err(error) => Err(error),
    }
}

struct BoundedWriter {
    bytes: Vec<u8>,
    max_bytes: usize,
}

impl Write for BoundedWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if self.bytes.len().saturating_add(buf.len()) > self.max_bytes {
            return Err(std::io::Error::other("response size limit reached"));
        }
        self.bytes.extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn accept(value: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        if let Ok(value) = HeaderValue::from_str(value) {
            headers.insert(header::ACCEPT, value);
        }
        headers
    }

    #[test]
    fn the_graphql_response_type_is_used_when_ranked_first() {
        assert_eq!(Media::negotiate(&HeaderMap::new()), Media::Json);
        assert_eq!(Media::negotiate(&accept("*/*")), Media::Json);
        assert_eq!(Media::negotiate(&accept("application/json")), Media::Json);
        assert_eq!(
            Media::negotiate(&accept("application/graphql-response+json")),
            Media::GraphqlResponse
        );
        assert_eq!(
            Media::negotiate(&accept(
                "application/graphql-response+json, application/json;q=0.9"
            )),
            Media::GraphqlResponse
        );
        assert_eq!(
            Media::negotiate(&accept(
                "application/graphql-response+json;q=0.5, application/json"
            )),
            Media::Json
        );
    }

    #[test]
    fn serialisation_stops_at_the_limit() -> Result<(), serde_json::Error> {
        let big = vec!["x".repeat(100); 100];
        assert!(serialize_bounded(&big, 1_000)?.is_none());
        assert!(serialize_bounded(&big, 100_000)?.is_some());
        Ok(())
    }
}
