//! Accepting connections: a cap on how many are open, and timeouts for clients that hold a
//! connection without using it.
//!
//! axum (through hyper) keeps a connection open as long as the client does: one that sends
//! nothing, drips its headers a byte a second, or idles after a request held a socket and
//! a file descriptor indefinitely. Here every accepted connection goes through
//! [`Watched`], which follows where the connection is in its request cycle from the bytes
//! that pass and closes it when
//!
//! * a request's headers (from their first byte, or from the accept) are not complete
//!   within the header timeout — a slow body is not cut here but by the request timeout
//!   (408);
//! * no new request starts within the idle timeout after a response.
//!
//! Upgraded connections (WebSockets) keep their own keep-alive rules. Beyond the
//! connection cap, a new connection gets a `503` with `SERVICE_UNAVAILABLE` and
//! `Retry-After`, and is closed, so idle sockets cannot exhaust the open-file limit.

use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, ready};
use std::time::Duration;

use axum::extract::connect_info::Connected;
use axum::serve::IncomingStream;
use tokio::io::{AsyncRead, AsyncWrite, AsyncWriteExt, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio::time::{Instant, Sleep};

/// How long a refused connection is given to take its 503.
const REFUSAL_WRITE_TIMEOUT: Duration = Duration::from_secs(1);
/// The body a connection over the cap is told.
const REFUSAL_BODY: &str = r#"{"errors":[{"message":"too many open connections; retry shortly","extensions":{"code":"SERVICE_UNAVAILABLE","retryAfterSeconds":5}}]}"#;

/// Timeouts and the cap of [`Watched`] connections.
#[derive(Debug, Clone, Copy)]
pub struct ConnectionRules {
    /// Time for a request's headers, from their first byte (or the accept).
    pub header_timeout: Duration,
    /// Time for the next request to start after a response.
    pub idle_timeout: Duration,
    /// Connections open at once.
    pub max_connections: usize,
}

/// A TCP listener that applies [`ConnectionRules`].
pub struct GuardedListener {
    listener: TcpListener,
    rules: ConnectionRules,
    slots: Arc<Semaphore>,
}

impl GuardedListener {
    /// Wraps `listener`.
    pub fn new(listener: TcpListener, rules: ConnectionRules) -> Self {
        Self {
            listener,
            rules,
            slots: Arc::new(Semaphore::new(rules.max_connections.max(1))),
        }
    }
}

impl axum::serve::Listener for GuardedListener {
    type Io = Watched<TcpStream>;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        loop {
            let (stream, addr) = match self.listener.accept().await {
                Ok(accepted) => accepted,
                Err(error) => {
                    pause_after_accept_error(&error).await;
                    continue;
                }
            };
            let Ok(slot) = Arc::clone(&self.slots).try_acquire_owned() else {
                tracing::warn!(client = %addr, "connection refused: too many open connections");
                tokio::spawn(refuse(stream));
                continue;
            };
            return (Watched::new(stream, self.rules, slot), addr);
        }
    }

    fn local_addr(&self) -> io::Result<Self::Addr> {
        self.listener.local_addr()
    }
}

/// The peer address of a connection, for `ConnectInfo`.
#[derive(Debug, Clone, Copy)]
pub struct PeerAddr(pub SocketAddr);

impl Connected<IncomingStream<'_, GuardedListener>> for PeerAddr {
    fn connect_info(stream: IncomingStream<'_, GuardedListener>) -> Self {
        Self(*stream.remote_addr())
    }
}

/// Answers a connection over the cap with a 503 and closes it.
async fn refuse(mut stream: TcpStream) {
    let response = format!(
        "HTTP/1.1 503 Service Unavailable\r\ncontent-type: application/json\r\nretry-after: 5\r\nconnection: close\r\ncontent-length: {}\r\n\r\n{REFUSAL_BODY}",
        REFUSAL_BODY.len()
    );
    let write = async {
        stream.write_all(response.as_bytes()).await?;
        stream.shutdown().await
    };
    let _ = tokio::time::timeout(REFUSAL_WRITE_TIMEOUT, write).await;
}

/// Connection errors concern one client; anything else (such as running out of file
/// descriptors) is logged and waited out, as hyper and axum do.
async fn pause_after_accept_error(error: &io::Error) {
    if matches!(
        error.kind(),
        io::ErrorKind::ConnectionRefused
            | io::ErrorKind::ConnectionAborted
            | io::ErrorKind::ConnectionReset
    ) {
        return;
    }
    tracing::error!(%error, "accept failed");
    tokio::time::sleep(Duration::from_secs(1)).await;
}

/// Where a connection is in its request cycle.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    /// Reading a request's headers since `started`; `tail` holds the last bytes seen, to
    /// find the blank line that ends them across reads.
    Head { started: Instant, tail: [u8; 3] },
    /// Headers read: the request is being handled (its body has the request timeout).
    Handling,
    /// A response was written at `since`; no new request yet.
    Idle { since: Instant },
    /// Switched protocols (WebSocket): no deadlines here.
    Upgraded,
}

/// A connection that is closed when it breaks a deadline of its [`Phase`]. It holds its
/// slot under the connection cap until dropped.
pub struct Watched<T> {
    inner: T,
    rules: ConnectionRules,
    phase: Phase,
    timer: Option<Pin<Box<Sleep>>>,
    _slot: OwnedSemaphorePermit,
}

impl<T> Watched<T> {
    fn new(inner: T, rules: ConnectionRules, slot: OwnedSemaphorePermit) -> Self {
        Self {
            inner,
            rules,
            phase: Phase::Head {
                started: Instant::now(),
                tail: [0; 3],
            },
            timer: None,
            _slot: slot,
        }
    }

    fn deadline(&self) -> Option<Instant> {
        match self.phase {
            Phase::Head { started, .. } => Some(started + self.rules.header_timeout),
            Phase::Idle { since } => Some(since + self.rules.idle_timeout),
            Phase::Handling | Phase::Upgraded => None,
        }
    }

    fn saw_read(&mut self, bytes: &[u8]) {
        if let Phase::Idle { .. } = self.phase {
            self.phase = Phase::Head {
                started: Instant::now(),
                tail: [0; 3],
            };
        }
        if let Phase::Head { started, tail } = self.phase {
            self.phase = match headers_end(tail, bytes) {
                Ok(()) => Phase::Handling,
                Err(tail) => Phase::Head { started, tail },
            };
        }
    }

    fn saw_write(&mut self, first_bytes: &[u8], cx: &mut Context<'_>) {
        self.phase = match self.phase {
            Phase::Upgraded => Phase::Upgraded,
            Phase::Handling if first_bytes.starts_with(b"HTTP/1.1 101") => Phase::Upgraded,
            // `100 Continue` invites the body: the request is still being handled.
            Phase::Handling if first_bytes.starts_with(b"HTTP/1.1 100") => Phase::Handling,
            _ => Phase::Idle {
                since: Instant::now(),
            },
        };
        // hyper may not poll the read side again until the client sends something: the
        // connection's task must be woken at the idle deadline by the timer itself.
        self.expired(cx);
    }

    /// Whether the current deadline has passed; otherwise makes sure the task is woken by
    /// then. The timer is moved only when the deadline comes sooner than it is set for:
    /// a timer that fires early is simply set again, so the usual request cycle (idle,
    /// headers, handling) does not move it at every request.
    fn expired(&mut self, cx: &mut Context<'_>) -> bool {
        let Some(deadline) = self.deadline() else {
            return false;
        };
        if Instant::now() >= deadline {
            return true;
        }
        let timer = self
            .timer
            .get_or_insert_with(|| Box::pin(tokio::time::sleep_until(deadline)));
        if timer.is_elapsed() || timer.deadline() > deadline {
            timer.as_mut().reset(deadline);
        }
        if timer.as_mut().poll(cx).is_ready() {
            // Fired for an earlier deadline that has since moved on.
            timer.as_mut().reset(deadline);
            let _pending = timer.as_mut().poll(cx);
        }
        false
    }
}

/// `Ok` when the bytes (after the previous `tail`) hold the blank line ending the
/// headers; otherwise the new tail.
fn headers_end(tail: [u8; 3], bytes: &[u8]) -> Result<(), [u8; 3]> {
    let mut window = tail;
    for &byte in bytes {
        if window == *b"\r\n\r" && byte == b'\n' {
            return Ok(());
        }
        window = [window[1], window[2], byte];
    }
    Err(window)
}

fn timed_out() -> io::Error {
    io::Error::new(io::ErrorKind::TimedOut, "connection timed out")
}

impl<T: AsyncRead + Unpin> AsyncRead for Watched<T> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        match Pin::new(&mut self.inner).poll_read(cx, buf) {
            Poll::Ready(Ok(())) => {
                if buf.filled().len() > before {
                    self.saw_read(&buf.filled()[before..]);
                }
                Poll::Ready(Ok(()))
            }
            Poll::Ready(Err(error)) => Poll::Ready(Err(error)),
            Poll::Pending if self.expired(cx) => Poll::Ready(Err(timed_out())),
            Poll::Pending => Poll::Pending,
        }
    }
}

impl<T: AsyncWrite + Unpin> AsyncWrite for Watched<T> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let written = ready!(Pin::new(&mut self.inner).poll_write(cx, buf))?;
        if written > 0 {
            self.saw_write(buf, cx);
        }
        Poll::Ready(Ok(written))
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let written = ready!(Pin::new(&mut self.inner).poll_write_vectored(cx, bufs))?;
        if written > 0 {
            let first = bufs
                .iter()
                .find(|buf| !buf.is_empty())
                .map_or(&[][..], |buf| &buf[..]);
            self.saw_write(first, cx);
        }
        Poll::Ready(Ok(written))
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_end_of_headers_is_found_across_reads() {
        assert_eq!(
            headers_end([0; 3], b"GET / HTTP/1.1\r\nHost: x\r\n\r\n"),
            Ok(())
        );
        let tail = headers_end([0; 3], b"GET / HTTP/1.1\r\nHost: x\r\n\r");
        assert_eq!(tail, Err(*b"\r\n\r"));
        assert_eq!(headers_end(*b"\r\n\r", b"\n"), Ok(()));
        assert!(headers_end([0; 3], b"GET / HTTP/1.1\r\nHost").is_err());
    }
}
