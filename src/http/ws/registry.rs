//! Live WebSocket connections: counted (overall and per user), told to close when the
//! server shuts down, and awaited so that shutdown closes every socket with 1001.
//!
//! axum's graceful shutdown drains HTTP requests but not upgraded connections; this is
//! what tracks those.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::{Notify, watch};

/// The registry of open sockets.
pub struct Sockets {
    max_per_user: usize,
    open: AtomicUsize,
    all_closed: Notify,
    per_user: Mutex<HashMap<i64, usize>>,
    closing: watch::Sender<bool>,
}

/// What kind of live connection is open.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LiveKind {
    WebSocket,
    EventStream,
}

impl LiveKind {
    fn label(self) -> &'static str {
        match self {
            Self::WebSocket => "websocket",
            Self::EventStream => "sse",
        }
    }
}

/// Held while a socket is open.
pub struct SocketGuard {
    sockets: Arc<Sockets>,
    kind: LiveKind,
}

/// Held while a signed-in user's socket is open.
pub struct UserSlot {
    sockets: Arc<Sockets>,
    user_id: i64,
}

impl Sockets {
    /// A registry allowing `max_per_user` sockets per signed-in user.
    pub fn new(max_per_user: usize) -> Arc<Self> {
        Arc::new(Self {
            max_per_user: max_per_user.max(1),
            open: AtomicUsize::new(0),
            all_closed: Notify::new(),
            per_user: Mutex::new(HashMap::new()),
            closing: watch::channel(false).0,
        })
    }

    /// Counts a new socket until the guard drops.
    pub fn track(self: &Arc<Self>, kind: LiveKind) -> SocketGuard {
        self.open.fetch_add(1, Ordering::SeqCst);
        crate::telemetry::metrics::connection(kind.label(), 1.0);
        SocketGuard {
            sockets: Arc::clone(self),
            kind,
        }
    }

    /// Claims one of `user_id`'s socket slots; `None` when they are all taken.
    pub fn claim_user(self: &Arc<Self>, user_id: i64) -> Option<UserSlot> {
        let mut per_user = self.lock();
        let count = per_user.entry(user_id).or_insert(0);
        if *count >= self.max_per_user {
            return None;
        }
        *count += 1;
        Some(UserSlot {
            sockets: Arc::clone(self),
            user_id,
        })
    }

    /// How many sockets are open.
    pub fn open(&self) -> usize {
        self.open.load(Ordering::SeqCst)
    }

    /// Flips to `true` when the server starts shutting down.
    pub fn closing(&self) -> watch::Receiver<bool> {
        self.closing.subscribe()
    }

    /// Tells every socket to close.
    pub fn close_all(&self) {
        self.closing.send_replace(true);
    }

    /// Waits until every socket has closed, or `timeout`; returns how many are left.
    pub async fn wait_closed(&self, timeout: Duration) -> usize {
        let wait = async {
            loop {
                let notified = self.all_closed.notified();
                if self.open() == 0 {
                    return;
                }
                notified.await;
            }
        };
        let _elapsed = tokio::time::timeout(timeout, wait).await;
        self.open()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<i64, usize>> {
        self.per_user
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

impl Drop for SocketGuard {
    fn drop(&mut self) {
        crate::telemetry::metrics::connection(self.kind.label(), -1.0);
        if self.sockets.open.fetch_sub(1, Ordering::SeqCst) == 1 {
            self.sockets.all_closed.notify_waiters();
        }
    }
}

impl Drop for UserSlot {
    fn drop(&mut self) {
        let mut per_user = self.sockets.lock();
        if let Some(count) = per_user.get_mut(&self.user_id) {
            *count -= 1;
            if *count == 0 {
                per_user.remove(&self.user_id);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_slots_are_bounded_and_released() {
        let sockets = Sockets::new(2);
        let first = sockets.claim_user(7);
        let second = sockets.claim_user(7);
        assert!(first.is_some() && second.is_some());
        assert!(sockets.claim_user(7).is_none());
        assert!(sockets.claim_user(8).is_some(), "per user");
        drop(first);
        assert!(sockets.claim_user(7).is_some());
    }

    #[tokio::test]
    async fn waiting_ends_when_the_last_socket_closes() {
        let sockets = Sockets::new(1);
        let guard = sockets.track(LiveKind::WebSocket);
        let waiter = {
            let sockets = Arc::clone(&sockets);
            tokio::spawn(async move { sockets.wait_closed(Duration::from_secs(5)).await })
        };
        tokio::task::yield_now().await;
        drop(guard);
        assert_eq!(waiter.await.ok(), Some(0));
    }
}
