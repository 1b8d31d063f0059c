//! GraphQL over Server-Sent Events on `/graphql/stream`, in the distinct-connections mode
//! of the protocol the `graphql-sse` client speaks: one operation per request (`POST` with
//! a JSON body, or `GET` with URL parameters), answered `200 text/event-stream` with a
//! `next` event per result and a final `complete`. Errors found before execution travel
//! as a `next` event too (a 4xx would make an `EventSource` fail without telling why);
//! only a request that is not one (bad body, invalid credentials) is an HTTP error.
//!
//! It shares everything with the WebSocket transports: credentials (`Authorization`
//! header), the per-user bound on live connections, the shared executions of anonymous
//! subscriptions, and the end of the stream when the credential expires (a last `next`
//! with `UNAUTHENTICATED`, then `complete`) or the server shuts down.

use std::convert::Infallible;
use std::time::Duration;

use axum::body::Body;
use axum::extract::{ConnectInfo, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use futures_util::{Stream, StreamExt};

use crate::auth::Viewer;
use crate::error::AppError;
use crate::graphql::preflight::Transport;
use crate::telemetry::metrics;

use super::HttpState;
use super::graphql::{Caller, read_get, read_post};
use super::listener::PeerAddr;
use super::operations::{self, Emitted, OperationStream};
use super::responses::{self, Media};
use super::ws::LiveKind;

/// `POST /graphql/stream`: any operation, as JSON.
pub async fn stream_post(
    State(state): State<HttpState>,
    ConnectInfo(PeerAddr(peer)): ConnectInfo<PeerAddr>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let media = Media::negotiate(&headers);
    let request = match read_post(&headers, body, media).await {
        Ok(request) => request,
        Err(refused) => return refused,
    };
    open(
        state,
        &headers,
        media,
        peer,
        request,
        Transport::EventStreamPost,
    )
    .await
}

/// `GET /graphql/stream`: a query or subscription from the URL's parameters.
pub async fn stream_get(
    State(state): State<HttpState>,
    ConnectInfo(PeerAddr(peer)): ConnectInfo<PeerAddr>,
    request: axum::extract::Request,
) -> Response {
    let (parts, _body) = request.into_parts();
    let media = Media::negotiate(&parts.headers);
    let request = match read_get(&parts.uri) {
        Ok(request) => request,
        Err(error) => return responses::error(StatusCode::BAD_REQUEST, error, media),
    };
    open(
        state,
        &parts.headers,
        media,
        peer,
        request,
        Transport::EventStreamGet,
    )
    .await
}

/// Identifies the caller, starts the operation and streams its results.
async fn open(
    state: HttpState,
    headers: &HeaderMap,
    media: Media,
    peer: std::net::SocketAddr,
    mut request: async_graphql::Request,
    transport: Transport,
) -> Response {
    let caller = match Caller::identify(&state, headers, peer, media).await {
        Ok(caller) => caller,
        Err(refused) => return refused,
    };
    let slot = match caller.viewer.user_id() {
        Some(user_id) => match state.sockets.claim_user(user_id) {
            Some(slot) => Some(slot),
            None => {
                return responses::error(
                    StatusCode::TOO_MANY_REQUESTS,
                    AppError::RateLimited {
                        retry_after: Duration::from_secs(1),
                    },
                    media,
                );
            }
        },
        None => None,
    };
    let results = match state.app.persisted.resolve(&mut request).await {
        Err(error) => failed(vec![error.into_server_error()]),
        Ok(_) if request.query.is_empty() => failed(vec![
            AppError::bad_input("query", "pass the operation as `query`").into_server_error(),
        ]),
        Ok(_) => operations::start(&state, caller.addr, request, caller.viewer, transport)
            .unwrap_or_else(failed),
    };
    let live = Live {
        results,
        ends: ending(&state, caller.viewer, caller.live_until),
        // Held while the stream lives: counted among open connections, and against the
        // user's bound.
        _held: (state.sockets.track(LiveKind::EventStream), slot),
    };
    let keepalive = Duration::from_secs(state.app.config.sockets.keepalive_seconds.max(1));
    let mut response = Sse::new(events(live))
        .keep_alive(KeepAlive::new().interval(keepalive))
        .into_response();
    let response_headers = response.headers_mut();
    response_headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    // Proxies that buffer answers (nginx) would hold every event back.
    response_headers.insert("x-accel-buffering", HeaderValue::from_static("no"));
    response
}

/// Why a stream ends before its operation does.
enum Ending {
    Expired,
    ShuttingDown,
}

/// An open stream: the operation's results, and what ends it early.
struct Live {
    results: OperationStream,
    ends: std::pin::Pin<Box<dyn std::future::Future<Output = Ending> + Send>>,
    _held: (super::ws::SocketGuard, Option<super::ws::UserSlot>),
}

/// Resolves when the caller's credential expires or the server shuts down.
fn ending(
    state: &HttpState,
    viewer: Viewer,
    live_until: Option<tokio::time::Instant>,
) -> std::pin::Pin<Box<dyn std::future::Future<Output = Ending> + Send>> {
    let mut closing = state.sockets.closing();
    let expires = match viewer {
        Viewer::Anonymous => None,
        Viewer::User { .. } => live_until,
    };
    Box::pin(async move {
        let expiry = async {
            match expires {
                Some(at) => tokio::time::sleep_until(at).await,
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            () = expiry => Ending::Expired,
            _ = closing.changed() => Ending::ShuttingDown,
        }
    })
}

/// A stream that only reports `errors` (the operation never started).
fn failed(errors: Vec<async_graphql::ServerError>) -> OperationStream {
    Box::pin(futures_util::stream::once(async move {
        Emitted::Failed(std::sync::Arc::new(errors))
    }))
}

/// The protocol's events for an open stream, ending after `complete`.
fn events(live: Live) -> impl Stream<Item = Result<Event, Infallible>> + Send {
    futures_util::stream::unfold(Some(live), |live| async move {
        let mut live = live?;
        let (events, more) = tokio::select! {
            emitted = live.results.next() => match emitted {
                Some(Emitted::Payload(json)) => {
                    metrics::result_delivered("sse");
                    (vec![next(&json)], true)
                }
                Some(Emitted::Failed(errors)) => {
                    (vec![next(&operations::errors_json(&errors)), complete()], false)
                }
                Some(Emitted::Done) | None => (vec![complete()], false),
            },
            ending = &mut live.ends => match ending {
                Ending::Expired => {
                    let error = AppError::Unauthenticated("access token expired");
                    (vec![next(&operations::errors_payload(error)), complete()], false)
                }
                Ending::ShuttingDown => (Vec::new(), false),
            },
        };
        let events = futures_util::stream::iter(events.into_iter().map(Ok));
        Some((events, more.then_some(live)))
    })
    .flatten()
}

fn next(json: &str) -> Event {
    Event::default().event("next").data(json)
}

/// `complete`, with an empty `data` line: `EventSource` drops an event without one.
fn complete() -> Event {
    Event::default().event("complete").data("")
}
