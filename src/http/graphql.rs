//! GraphQL over HTTP: `POST /graphql` (JSON body), `GET /graphql` (queries only), and
//! GraphiQL for browsers.
//!
//! The stock async-graphql handlers are not used: they read bodies without a limit, run
//! mutations sent by GET or as forms (CSRF), and accept batches.

use std::net::{IpAddr, SocketAddr};

use axum::body::Body;
use axum::extract::{ConnectInfo, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};

use crate::auth::{Viewer, bearer_token};
use crate::error::AppError;
use crate::graphql::limits::{self, Refusal, Transport};
use crate::graphql::{ClientAddr, loaders};
use crate::services::accounts;

use super::{HttpState, graphiql, responses, ws};

/// Largest accepted request body.
pub const MAX_BODY_BYTES: usize = 64 * 1024;

/// `POST /graphql`: one operation as `application/json`.
pub async fn graphql_post(
    State(state): State<HttpState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
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
    let caller = match Caller::identify(&state, &headers, peer).await {
        Ok(caller) => caller,
        Err(refused) => return refused,
    };
    execute(&state, request, Transport::HttpPost, caller).await
}

/// `GET /graphql`: GraphiQL for a browser, otherwise a query from the URL's parameters.
pub async fn graphql_get(
    State(state): State<HttpState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    request: axum::extract::Request,
) -> Response {
    let (parts, _body) = request.into_parts();
    let headers = &parts.headers;
    if is_websocket_upgrade(headers) {
        let client = ClientAddr(Some(client_ip(&state, headers, peer)));
        return ws::upgrade(state, client, parts).await;
    }
    let raw_query = parts.uri.query().unwrap_or_default().to_owned();
    if wants_html(headers) && !raw_query.split('&').any(|pair| pair.starts_with("query=")) {
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
    let caller = match Caller::identify(&state, headers, peer).await {
        Ok(caller) => caller,
        Err(refused) => return refused,
    };
    execute(&state, request, Transport::HttpGet, caller).await
}

/// Who sent a request: the viewer its bearer token stands for, and its address.
struct Caller {
    viewer: Viewer,
    addr: ClientAddr,
}

impl Caller {
    /// No `Authorization` header is an anonymous viewer; a header that is present but not a
    /// valid bearer token is refused with 401, never downgraded to anonymous.
    async fn identify(
        state: &HttpState,
        headers: &HeaderMap,
        peer: SocketAddr,
    ) -> Result<Self, Response> {
        let addr = ClientAddr(Some(client_ip(state, headers, peer)));
        let mut values = headers.get_all(header::AUTHORIZATION).iter();
        let Some(header) = values.next() else {
            return Ok(Self {
                viewer: Viewer::Anonymous,
                addr,
            });
        };
        // Two credentials are ambiguous: refuse rather than pick one.
        let token = header
            .to_str()
            .ok()
            .filter(|_| values.next().is_none())
            .and_then(bearer_token);
        let viewer = match token {
            Some(token) => accounts::authenticate(&state.app.db, &state.app.auth, token)
                .await
                .map(|authenticated| authenticated.viewer),
            None => Err(AppError::Unauthenticated(
                "send exactly one Authorization header, `Bearer <token>`",
            )),
        };
        match viewer {
            Ok(viewer) => Ok(Self { viewer, addr }),
            Err(error @ AppError::Unauthenticated(_)) => Err(unauthorized(error)),
            Err(error) => Err(responses::error(StatusCode::INTERNAL_SERVER_ERROR, error)),
        }
    }
}

fn unauthorized(error: AppError) -> Response {
    let mut response = responses::error(StatusCode::UNAUTHORIZED, error);
    response.headers_mut().insert(
        header::WWW_AUTHENTICATE,
        HeaderValue::from_static("Bearer error=\"invalid_token\""),
    );
    response
}

/// The peer address, or the last `X-Forwarded-For` entry when a trusted proxy writes it.
fn client_ip(state: &HttpState, headers: &HeaderMap, peer: SocketAddr) -> IpAddr {
    if state.app.auth.trust_forwarded_for
        && let Some(forwarded) = headers
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|value| value.to_str().ok())
            .flat_map(|value| value.split(','))
            .filter_map(|entry| entry.trim().parse::<IpAddr>().ok())
            .next_back()
    {
        return forwarded;
    }
    peer.ip()
}

/// Applies the operation limits, then runs the operation for the caller.
async fn execute(
    state: &HttpState,
    mut request: async_graphql::Request,
    transport: Transport,
    caller: Caller,
) -> Response {
    match limits::prepare(&mut request, transport, state.app.config.limits.max_fields) {
        Ok(_) => {
            let request = request
                .data(caller.viewer)
                .data(caller.addr)
                .data(loaders::for_request(&state.app));
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

fn is_websocket_upgrade(headers: &HeaderMap) -> bool {
    headers
        .get(header::UPGRADE)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| value.eq_ignore_ascii_case("websocket"))
}

fn wants_html(headers: &HeaderMap) -> bool {
    headers
        .get(header::ACCEPT)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|accept| accept.contains("text/html"))
}
