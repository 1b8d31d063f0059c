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
//!   ("access token expired"): the client reconnects with a fresh token. An anonymous socket
//!   never expires, and never sees more than anonymous data;
//! * keep-alives are sent periodically; server shutdown closes every socket with 1001.

mod protocol;

use std::collections::HashMap;
use std::time::Duration;

use axum::extract::FromRequestParts;
use axum::extract::ws::{CloseFrame, Message, Utf8Bytes, WebSocket, WebSocketUpgrade};
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};
use futures_util::stream::{SplitSink, SplitStream};
use futures_util::{SinkExt, StreamExt};
use serde_json::Value;
use tokio::sync::mpsc;
use tokio::task::AbortHandle;

use crate::auth::Viewer;
use crate::error::{AppError, tag_untagged_errors};
use crate::graphql::limits::{self, Refusal, Transport};
use crate::graphql::{ClientAddr, loaders};
use crate::services::accounts;

use super::{HttpState, responses};

use protocol::ClientMessage;
pub use protocol::Protocol;

/// How long a socket may wait before `connection_init`.
const INIT_TIMEOUT: Duration = Duration::from_secs(3);
/// Largest message (and frame) a client may send.
const MAX_MESSAGE_BYTES: usize = 64 * 1024;
/// Read buffer per socket; client messages are small, larger ones arrive in several reads.
const READ_BUFFER_BYTES: usize = 2 * 1024;
/// Outgoing messages queued per socket before operations wait for the client.
const OUTBOX: usize = 64;

/// Close codes of the graphql-transport-ws protocol (and 1001 for shutdown).
mod close {
    pub const GOING_AWAY: u16 = 1001;
    pub const PROTOCOL_ERROR: u16 = 1002;
    pub const TOO_BIG: u16 = 1009;
    pub const INTERNAL: u16 = 1011;
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

type Sink = SplitSink<WebSocket, Message>;
type Stream = SplitStream<WebSocket>;

/// A message for the socket, from an operation task.
enum Outgoing {
    Text(String),
    /// Operation `id` (generation `generation`) has finished.
    Finished {
        id: String,
        generation: u64,
    },
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
    async fn run(self, socket: WebSocket) {
        let sockets = std::sync::Arc::clone(&self.state.app.sockets);
        let _open = sockets.track();
        let (mut sink, mut stream) = socket.split();
        let outcome = self.serve(&mut sink, &mut stream).await;
        if let Err(closing) = outcome {
            let reason = truncate(&closing.reason, 120);
            let frame = CloseFrame {
                code: closing.code,
                reason: Utf8Bytes::from(reason),
            };
            let _ = sink.send(Message::Close(Some(frame))).await;
        }
        let _ = sink.close().await;
    }

    /// Runs the protocol; `Err` says how to close.
    async fn serve(&self, sink: &mut Sink, stream: &mut Stream) -> Result<(), Closing> {
        let mut closing = self.state.app.sockets.closing();
        let init = tokio::select! {
            init = tokio::time::timeout(INIT_TIMEOUT, stream.next()) => init,
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
                    _ => Closing::new(close::INTERNAL, "internal server error"),
                };
                if let Some(message) = self.protocol.connection_error(&closing.reason) {
                    let _ = sink.send(Message::Text(message.into())).await;
                }
                return Err(closing);
            }
        };
        let _slot = match viewer.user_id() {
            Some(user_id) => Some(self.state.app.sockets.claim_user(user_id).ok_or_else(|| {
                Closing::new(close::TOO_MANY, "Too many connections for this user")
            })?),
            None => None,
        };
        send(sink, self.protocol.ack()).await?;
        self.operate(sink, stream, viewer, expires_at, &mut closing)
            .await
    }

    /// The viewer of a `connection_init` payload and when its token expires.
    async fn authenticate(
        &self,
        payload: Option<&Value>,
    ) -> Result<(Viewer, Option<tokio::time::Instant>), AppError> {
        let header = payload.and_then(|payload| {
            payload
                .get("authorization")
                .or_else(|| payload.get("Authorization"))
        });
        let Some(header) = header else {
            return Ok((Viewer::Anonymous, None));
        };
        let token = header
            .as_str()
            .and_then(|value| value.split_once(' '))
            .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
            .map(|(_, token)| token.trim())
            .filter(|token| !token.is_empty());
        let Some(token) = token else {
            return Err(AppError::Unauthenticated("malformed authorization"));
        };
        let authenticated =
            accounts::authenticate(&self.state.app.db, &self.state.app.auth, token).await?;
        let left = (authenticated.expires_at - chrono::Utc::now())
            .to_std()
            .unwrap_or_default();
        Ok((
            authenticated.viewer,
            Some(tokio::time::Instant::now() + left),
        ))
    }

    async fn operate(
        &self,
        sink: &mut Sink,
        stream: &mut Stream,
        viewer: Viewer,
        expires_at: Option<tokio::time::Instant>,
        closing: &mut tokio::sync::watch::Receiver<bool>,
    ) -> Result<(), Closing> {
        let limits = &self.state.app.config.sockets;
        let (outbox, mut results) = mpsc::channel::<Outgoing>(OUTBOX);
        let mut operations = Operations::default();
        let period = Duration::from_secs(limits.keepalive_seconds.max(1));
        let mut keepalive = tokio::time::interval_at(tokio::time::Instant::now() + period, period);
        let expiry = async {
            match expires_at {
                Some(at) => tokio::time::sleep_until(at).await,
                None => std::future::pending().await,
            }
        };
        tokio::pin!(expiry);
        let outcome = loop {
            tokio::select! {
                incoming = stream.next() => {
                    let text = match incoming {
                        None | Some(Ok(Message::Close(_))) => break Ok(()),
                        Some(Err(error)) => break Err(read_failure(error)),
                        Some(Ok(Message::Text(text))) => text,
                        Some(Ok(Message::Binary(_))) => {
                            break Err(Closing::new(close::INVALID_MESSAGE, "Invalid message"));
                        }
                        Some(Ok(_)) => continue,
                    };
                    match self.protocol.parse(&text) {
                        None => break Err(Closing::new(close::INVALID_MESSAGE, "Invalid message")),
                        Some(ClientMessage::ConnectionInit(_)) => {
                            break Err(Closing::new(close::TOO_MANY, "Too many initialisation requests"));
                        }
                        Some(ClientMessage::Ping(payload)) => {
                            if let Err(closing) = send(sink, self.protocol.pong(payload)).await {
                                break Err(closing);
                            }
                        }
                        Some(ClientMessage::Pong) => {}
                        Some(ClientMessage::Terminate) => break Ok(()),
                        Some(ClientMessage::Complete { id }) => {
                            if operations.stop(&id) && self.protocol == Protocol::LegacyWs
                                && let Err(closing) = send(sink, self.protocol.complete(&id)).await
                            {
                                break Err(closing);
                            }
                        }
                        Some(ClientMessage::Subscribe { id, payload }) => {
                            if operations.is_running(&id) {
                                break Err(Closing::new(
                                    close::DUPLICATE_ID,
                                    format!("Subscriber for {id} already exists"),
                                ));
                            }
                            if operations.len() >= limits.max_operations_per_socket {
                                let error = AppError::RateLimited { retry_after: Duration::from_secs(1) };
                                let refused = self.protocol.error(&id, &[error.into_server_error()]);
                                if let Err(closing) = send(sink, refused).await {
                                    break Err(closing);
                                }
                                continue;
                            }
                            let generation = operations.next_generation();
                            let task = tokio::spawn(run_operation(
                                self.state.clone(),
                                self.protocol,
                                id.clone(),
                                generation,
                                *payload,
                                viewer,
                                self.client,
                                outbox.clone(),
                            ));
                            operations.start(id, generation, task.abort_handle());
                        }
                    }
                }
                Some(result) = results.recv() => match result {
                    Outgoing::Text(text) => {
                        if let Err(closing) = send(sink, text).await {
                            break Err(closing);
                        }
                    }
                    Outgoing::Finished { id, generation } => operations.finished(&id, generation),
                },
                _ = keepalive.tick() => {
                    if let Err(closing) = send(sink, self.protocol.keep_alive()).await {
                        break Err(closing);
                    }
                }
                () = &mut expiry => break Err(Closing::new(close::FORBIDDEN, "Forbidden: access token expired")),
                _ = closing.changed() => break Err(Closing::new(close::GOING_AWAY, "server shutting down")),
            }
        };
        operations.stop_all();
        outcome
    }
}

/// The operations running on one socket, by client-chosen id.
#[derive(Default)]
struct Operations {
    running: HashMap<String, (u64, AbortHandle)>,
    generations: u64,
}

impl Operations {
    fn len(&self) -> usize {
        self.running.len()
    }

    fn is_running(&self, id: &str) -> bool {
        self.running.contains_key(id)
    }

    fn next_generation(&mut self) -> u64 {
        self.generations += 1;
        self.generations
    }

    fn start(&mut self, id: String, generation: u64, task: AbortHandle) {
        self.running.insert(id, (generation, task));
    }

    /// Stops operation `id`; `true` when it was running.
    fn stop(&mut self, id: &str) -> bool {
        match self.running.remove(id) {
            Some((_, task)) => {
                task.abort();
                true
            }
            None => false,
        }
    }

    /// Forgets operation `id` if it is still the run that finished (the id may be reused).
    fn finished(&mut self, id: &str, generation: u64) {
        if self
            .running
            .get(id)
            .is_some_and(|(running, _)| *running == generation)
        {
            self.running.remove(id);
        }
    }

    fn stop_all(&mut self) {
        for (_, (_, task)) in self.running.drain() {
            task.abort();
        }
    }
}

/// Runs one operation and forwards its results to the socket.
#[expect(
    clippy::too_many_arguments,
    reason = "one task's whole context, passed once"
)]
async fn run_operation(
    state: HttpState,
    protocol: Protocol,
    id: String,
    generation: u64,
    mut request: async_graphql::Request,
    viewer: Viewer,
    client: ClientAddr,
    outbox: mpsc::Sender<Outgoing>,
) {
    let max_fields = state.app.config.limits.max_fields;
    if let Err(refusal) = limits::prepare(&mut request, Transport::WebSocket, max_fields) {
        let (Refusal::Invalid(error) | Refusal::WrongTransport(error)) = refusal;
        let _ = outbox
            .send(Outgoing::Text(
                protocol.error(&id, &[error.into_server_error()]),
            ))
            .await;
        let _ = outbox.send(Outgoing::Finished { id, generation }).await;
        return;
    }
    let request = request
        .data(viewer)
        .data(client)
        .data(loaders::for_request(&state.app));
    let mut results = state.schema.execute_stream(request);
    let mut first = true;
    while let Some(mut response) = results.next().await {
        tag_untagged_errors(&mut response.errors);
        // An operation that fails before producing data (parse, validation) is an `error`.
        if first && response.data == async_graphql::Value::Null && !response.errors.is_empty() {
            let _ = outbox
                .send(Outgoing::Text(protocol.error(&id, &response.errors)))
                .await;
            let _ = outbox.send(Outgoing::Finished { id, generation }).await;
            return;
        }
        first = false;
        if outbox
            .send(Outgoing::Text(protocol.next(&id, &response)))
            .await
            .is_err()
        {
            return;
        }
    }
    let _ = outbox.send(Outgoing::Text(protocol.complete(&id))).await;
    let _ = outbox.send(Outgoing::Finished { id, generation }).await;
}

/// How to close after a failed read: 1009 for an oversized message, 1002 otherwise.
fn read_failure(error: axum::Error) -> Closing {
    let cause = error.into_inner();
    match cause.downcast_ref::<tungstenite::Error>() {
        Some(tungstenite::Error::Capacity(_)) => Closing::new(close::TOO_BIG, "Message too big"),
        _ => Closing::new(close::PROTOCOL_ERROR, "Protocol error"),
    }
}

async fn send(sink: &mut Sink, text: String) -> Result<(), Closing> {
    sink.send(Message::Text(text.into()))
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
