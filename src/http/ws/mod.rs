//! GraphQL over WebSocket on `/graphql`, in both subprotocols.
//!
//! The connection handler is written here rather than taken from async-graphql, because
//! the stock one has no `connection_init` timeout, accepts duplicate operation ids, runs
//! any number of operations per socket and runs mutations. Here:
//!
//! * a socket must send `connection_init` within 3 s (else 4408); its payload may carry
//!   `authorization` (or `Authorization`) = `Bearer <token>`; a present but invalid token
//!   closes the socket with 4403 and no `connection_ack`; a second `connection_init` is 4429;
//! * a duplicate operation id closes with 4409, an invalid message with 4400 (close reasons
//!   stay under 123 bytes), a message over 64 KiB with 1009;
//! * operations per socket and sockets per signed-in user are bounded;
//! * when the access token a socket signed in with expires, the socket is closed with 4403
//!   ("access token expired"): the client reconnects with a fresh token. A socket signed in
//!   with a personal access token is closed the same way after an access token's lifetime,
//!   so that a revoked token is noticed when the client reconnects. An anonymous socket
//!   never expires, and never sees more than anonymous data;
//! * keep-alives are sent periodically; server shutdown closes every socket with 1001.

mod protocol;
mod registry;

use std::sync::Arc;
use std::time::Duration;

use axum::extract::FromRequestParts;
use axum::extract::ws::{CloseFrame, Message, Utf8Bytes, WebSocket, WebSocketUpgrade};
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};
use futures_util::{SinkExt, StreamExt};
use serde_json::Value;
use tokio_stream::StreamMap;

use crate::auth::{Viewer, bearer_token};
use crate::error::AppError;
use crate::graphql::ClientAddr;
use crate::graphql::preflight::Transport;
use crate::services::credentials;
use crate::telemetry::metrics;

use super::operations::{self, Emitted, OperationStream};
use super::{HttpState, responses};

use protocol::ClientMessage;
pub use protocol::Protocol;
pub use registry::{LiveKind, SocketGuard, Sockets, UserSlot};

/// How long a socket may wait before `connection_init`.
const INIT_TIMEOUT: Duration = Duration::from_secs(3);
/// Largest message (and frame) a client may send.
const MAX_MESSAGE_BYTES: usize = 64 * 1024;
/// Read buffer per socket; client messages are small, larger ones arrive in several reads.
const READ_BUFFER_BYTES: usize = 1024;

/// Close codes of the graphql-transport-ws protocol (and 1001 for shutdown).
mod close {
    pub const GOING_AWAY: u16 = 1001;
    pub const PROTOCOL_ERROR: u16 = 1002;
    pub const TOO_BIG: u16 = 1009;
    pub const INTERNAL: u16 = 1011;
    pub const TRY_AGAIN_LATER: u16 = 1013;
    pub const INVALID_MESSAGE: u16 = 4400;
    pub const UNAUTHORIZED: u16 = 4401;
    pub const FORBIDDEN: u16 = 4403;
    pub const INIT_TIMEOUT: u16 = 4408;
    pub const DUPLICATE_ID: u16 = 4409;
    pub const TOO_MANY: u16 = 4429;
}

/// Accepts the WebSocket upgrade of a `GET /graphql`, if it offers a known subprotocol.
pub async fn upgrade(state: HttpState, client: ClientAddr, mut parts: Parts) -> Response {
    let upgrade = match WebSocketUpgrade::from_request_parts(&mut parts, &state).await {
        Ok(upgrade) => upgrade.protocols(Protocol::NAMES),
        Err(rejection) => return rejection.into_response(),
    };
    let Some(protocol) = upgrade
        .selected_protocol()
        .and_then(|name| name.to_str().ok())
        .and_then(Protocol::from_name)
    else {
        return responses::error(
            StatusCode::BAD_REQUEST,
            AppError::bad_input(
                "Sec-WebSocket-Protocol",
                "use the graphql-transport-ws or graphql-ws subprotocol",
            ),
            responses::Media::Json,
        );
    };
    upgrade
        .max_message_size(MAX_MESSAGE_BYTES)
        .max_frame_size(MAX_MESSAGE_BYTES)
        // tungstenite allocates its read buffer up front (128 KiB by default): at ten
        // thousand idle sockets that alone would be over a gigabyte.
        .read_buffer_size(READ_BUFFER_BYTES)
        .write_buffer_size(0)
        .on_upgrade(move |socket| {
            Connection {
                state,
                protocol,
                client,
            }
            .run(socket)
        })
}

struct Connection {
    state: HttpState,
    protocol: Protocol,
    client: ClientAddr,
}

/// A way the connection ends, with its close frame.
struct Closing {
    code: u16,
    reason: String,
}

impl Closing {
    fn new(code: u16, reason: impl Into<String>) -> Self {
        Self {
            code,
            reason: reason.into(),
        }
    }
}

impl Connection {
    async fn run(self, mut socket: WebSocket) {
        let sockets = Arc::clone(&self.state.sockets);
        let _open = sockets.track(LiveKind::WebSocket);
        // One task reads and writes the socket, so it is not split: no lock around each
        // half on every poll.
        let outcome = self.serve(&mut socket).await;
        if let Err(closing) = outcome {
            let reason = truncate(&closing.reason, 120);
            let frame = CloseFrame {
                code: closing.code,
                reason: Utf8Bytes::from(reason),
            };
            let _ = socket.send(Message::Close(Some(frame))).await;
        }
        let _ = socket.close().await;
    }

    /// Runs the protocol; `Err` says how to close.
    async fn serve(&self, socket: &mut WebSocket) -> Result<(), Closing> {
        let mut closing = self.state.sockets.closing();
        let init = tokio::select! {
            init = tokio::time::timeout(INIT_TIMEOUT, socket.next()) => init,
            _ = closing.changed() => return Err(Closing::new(close::GOING_AWAY, "server shutting down")),
        };
        let payload = match init {
            Err(_) => {
                return Err(Closing::new(
                    close::INIT_TIMEOUT,
                    "Connection initialisation timeout",
                ));
            }
            Ok(None | Some(Ok(Message::Close(_)))) => return Ok(()),
            Ok(Some(Err(error))) => return Err(read_failure(error)),
            Ok(Some(Ok(Message::Text(text)))) => match self.protocol.parse(&text) {
                Some(ClientMessage::ConnectionInit(payload)) => payload,
                Some(ClientMessage::Subscribe { .. }) => {
                    return Err(Closing::new(close::UNAUTHORIZED, "Unauthorized"));
                }
                _ => return Err(Closing::new(close::INVALID_MESSAGE, "Invalid message")),
            },
            Ok(Some(Ok(_))) => return Err(Closing::new(close::INVALID_MESSAGE, "Invalid message")),
        };
        let (viewer, expires_at) = match self.authenticate(payload.as_ref()).await {
            Ok(signed_in) => signed_in,
            Err(error) => {
                let closing = match error {
                    AppError::Unauthenticated(_) => {
                        Closing::new(close::FORBIDDEN, "Forbidden: invalid access token")
                    }
                    AppError::ServiceUnavailable { .. } => {
                        Closing::new(close::TRY_AGAIN_LATER, "service unavailable: retry shortly")
                    }
                    _ => Closing::new(close::INTERNAL, "internal server error"),
                };
                if let Some(message) = self.protocol.connection_error(&closing.reason) {
                    let _ = socket.send(Message::Text(message.into())).await;
                }
                return Err(closing);
            }
        };
        let _slot = match viewer.user_id() {
            Some(user_id) => Some(self.state.sockets.claim_user(user_id).ok_or_else(|| {
                Closing::new(close::TOO_MANY, "Too many connections for this user")
            })?),
            None => None,
        };
        send(socket, self.protocol.ack()).await?;
        self.operate(socket, viewer, expires_at, &mut closing).await
    }

    /// The viewer of a `connection_init` payload and when its token expires.
    async fn authenticate(
        &self,
        payload: Option<&Value>,
    ) -> Result<(Viewer, Option<tokio::time::Instant>), AppError> {
        let lower = payload.and_then(|payload| payload.get("authorization"));
        let upper = payload.and_then(|payload| payload.get("Authorization"));
        // Two credentials are ambiguous, as two `Authorization` headers are over HTTP.
        let header = match (lower, upper) {
            (Some(_), Some(_)) => return Err(AppError::Unauthenticated("two authorizations")),
            (Some(one), None) | (None, Some(one)) => one,
            (None, None) => return Ok((Viewer::Anonymous, None)),
        };
        let token = header.as_str().and_then(bearer_token);
        let Some(token) = token else {
            return Err(AppError::Unauthenticated("malformed authorization"));
        };
        let app = &self.state.app;
        let authenticated = credentials::authenticate(app.services(), &app.auth, token).await?;
        let until = operations::live_until(
            authenticated.expires_at,
            self.state.app.config.auth.access_token_seconds,
        );
        Ok((authenticated.viewer, Some(until)))
    }

    async fn operate(
        &self,
        socket: &mut WebSocket,
        viewer: Viewer,
        expires_at: Option<tokio::time::Instant>,
        closing: &mut tokio::sync::watch::Receiver<bool>,
    ) -> Result<(), Closing> {
        let limits = &self.state.app.config.sockets;
        // Every operation's results are polled here, in the socket's own task: no task or
        // channel per operation, and a slow socket simply stops pulling (see `events`).
        let mut operations: StreamMap<String, OperationStream> = StreamMap::new();
        let period = Duration::from_secs(limits.keepalive_seconds.max(1));
        let mut keepalive = tokio::time::interval_at(tokio::time::Instant::now() + period, period);
        let expiry = async {
            match expires_at {
                Some(at) => tokio::time::sleep_until(at).await,
                None => std::future::pending().await,
            }
        };
        tokio::pin!(expiry);
        // Created once: a fresh `changed()` per turn of the loop would enter and leave the
        // shutdown signal's waiter list on every delivered event.
        let shutdown = closing.changed();
        tokio::pin!(shutdown);
        loop {
            tokio::select! {
                incoming = socket.next() => {
                    if self.receive(socket, &mut operations, viewer, incoming).await? == Flow::Stop {
                        return Ok(());
                    }
                }
                Some((id, emitted)) = operations.next(), if !operations.is_empty() => {
                    deliver(socket, self.protocol, &mut operations, &id, emitted).await?;
                }
                _ = keepalive.tick() => send(socket, self.protocol.keep_alive()).await?,
                () = &mut expiry => {
                    return Err(Closing::new(close::FORBIDDEN, "Forbidden: access token expired"));
                }
                _ = &mut shutdown => {
                    return Err(Closing::new(close::GOING_AWAY, "server shutting down"));
                }
            }
        }
    }

    /// Handles one frame from the client.
    async fn receive(
        &self,
        socket: &mut WebSocket,
        operations: &mut StreamMap<String, OperationStream>,
        viewer: Viewer,
        incoming: Option<Result<Message, axum::Error>>,
    ) -> Result<Flow, Closing> {
        let invalid = || Closing::new(close::INVALID_MESSAGE, "Invalid message");
        let text = match incoming {
            None | Some(Ok(Message::Close(_))) => return Ok(Flow::Stop),
            Some(Err(error)) => return Err(read_failure(error)),
            Some(Ok(Message::Text(text))) => text,
            Some(Ok(Message::Binary(_))) => return Err(invalid()),
            Some(Ok(_)) => return Ok(Flow::Continue),
        };
        match self.protocol.parse(&text).ok_or_else(invalid)? {
            ClientMessage::ConnectionInit(_) => {
                return Err(Closing::new(
                    close::TOO_MANY,
                    "Too many initialisation requests",
                ));
            }
            ClientMessage::Ping(payload) => send(socket, self.protocol.pong(payload)).await?,
            ClientMessage::Pong => {}
            ClientMessage::Terminate => return Ok(Flow::Stop),
            ClientMessage::Complete { id } => {
                if operations.remove(&id).is_some() && self.protocol == Protocol::LegacyWs {
                    send(socket, self.protocol.complete(&id)).await?;
                }
            }
            ClientMessage::Subscribe { id, payload } => {
                self.subscribe(socket, operations, viewer, id, *payload)
                    .await?;
            }
        }
        Ok(Flow::Continue)
    }

    /// Starts operation `id`, unless the id is taken (which closes the socket) or the
    /// socket runs as many operations as it may (an `error` for this one).
    async fn subscribe(
        &self,
        socket: &mut WebSocket,
        operations: &mut StreamMap<String, OperationStream>,
        viewer: Viewer,
        id: String,
        request: async_graphql::Request,
    ) -> Result<(), Closing> {
        if operations.contains_key(&id) {
            return Err(Closing::new(
                close::DUPLICATE_ID,
                format!("Subscriber for {id} already exists"),
            ));
        }
        if operations.len() >= self.state.app.config.sockets.max_operations_per_socket {
            let error = AppError::RateLimited {
                retry_after: Duration::from_secs(1),
            };
            return send(
                socket,
                self.protocol.error(&id, &[error.into_server_error()]),
            )
            .await;
        }
        // A hash names a document taught over HTTP (or a trusted one); sockets never teach.
        let mut request = request;
        if let Err(error) = self.state.app.persisted.resolve(&mut request).await {
            return send(
                socket,
                self.protocol.error(&id, &[error.into_server_error()]),
            )
            .await;
        }
        match operations::start(
            &self.state,
            self.client,
            request,
            viewer,
            Transport::WebSocket,
        ) {
            Ok(results) => {
                operations.insert(id, results);
                Ok(())
            }
            Err(errors) => send(socket, self.protocol.error(&id, &errors)).await,
        }
    }
}

/// Whether the socket goes on after a frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Flow {
    Continue,
    Stop,
}

/// Sends what an operation produced.
async fn deliver(
    socket: &mut WebSocket,
    protocol: Protocol,
    operations: &mut StreamMap<String, OperationStream>,
    id: &str,
    emitted: Emitted,
) -> Result<(), Closing> {
    let text = match emitted {
        Emitted::Failed(errors) => {
            operations.remove(id);
            protocol.error(id, &errors)
        }
        Emitted::Payload(payload) => {
            metrics::result_delivered("websocket");
            protocol.next(id, &payload)
        }
        Emitted::Done => protocol.complete(id),
    };
    send(socket, text).await
}

/// How to close after a failed read: 1009 for an oversized message, 1002 otherwise.
fn read_failure(error: axum::Error) -> Closing {
    let cause = error.into_inner();
    match cause.downcast_ref::<tungstenite::Error>() {
        Some(tungstenite::Error::Capacity(_)) => Closing::new(close::TOO_BIG, "Message too big"),
        _ => Closing::new(close::PROTOCOL_ERROR, "Protocol error"),
    }
}

async fn send(socket: &mut WebSocket, text: String) -> Result<(), Closing> {
    socket
        .send(Message::Text(text.into()))
        .await
        .map_err(|_| Closing::new(close::GOING_AWAY, "send failed"))
}

/// `text` cut to at most `max` bytes on a character boundary.
fn truncate(text: &str, max: usize) -> String {
    let mut end = text.len().min(max);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    text[..end].to_owned()
}
