//! The event bus: writers publish small [`Change`]s after their transaction commits, and
//! every instance hears every change.
//!
//! A change reaches the instance's *hub* — in process on SQLite; through PostgreSQL
//! `LISTEN/NOTIFY` on PostgreSQL, so that every instance sharing the database hears every
//! change — which hands it to the instance's subscribers. The bus knows only the database:
//! what a change means to GraphQL subscribers is `graphql::live`'s business.

use std::time::Duration;

use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, Statement};
use serde::{Deserialize, Serialize};
use tokio::sync::{broadcast, mpsc, watch};

use crate::db::Database;

/// Changes kept for subscribers that are behind.
pub const BUFFERED_CHANGES: usize = 4_096;
/// The PostgreSQL notification channel.
const CHANNEL: &str = "paperboard_events";
/// Changes queued for the hub before publishers wait.
const PENDING_CHANGES: usize = 4_096;
/// The pause between attempts to (re)connect the `LISTEN` connection.
const LISTEN_RETRY: Duration = Duration::from_millis(250);

/// Something that changed, as writers publish it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Change {
    /// A paper entered the catalogue (submitted or imported).
    PaperAdded { paper_id: i64 },
    /// A paper's upvote count changed to `upvote_count`.
    UpvoteChanged { paper_id: i64, upvote_count: i32 },
}

impl Change {
    /// The paper the change is about.
    pub fn paper_id(self) -> i64 {
        match self {
            Self::PaperAdded { paper_id } | Self::UpvoteChanged { paper_id, .. } => paper_id,
        }
    }
}

/// Where an instance's writers publish.
enum Publisher {
    /// Straight to this instance's hub.
    InProcess(mpsc::Sender<Change>),
    /// `NOTIFY`, heard by the hub of every instance (this one included).
    Postgres(DatabaseConnection),
    /// Nowhere: a command-line tool on SQLite, whose servers run in other processes.
    Nowhere,
}

/// The instance's event bus: publish changes, subscribe to them.
pub struct EventBus {
    publisher: Publisher,
    changes: broadcast::Sender<Change>,
    /// Whether changes of other instances can be heard: always in process; on PostgreSQL
    /// while the `LISTEN` connection is up.
    listening: watch::Sender<bool>,
}

/// What the hub of a bus listens to (see [`run_hub`]).
pub enum HubInput {
    InProcess(mpsc::Receiver<Change>),
    Postgres(DatabaseConnection),
}

impl EventBus {
    /// A bus for `db`, and the input its hub runs on.
    pub fn new(db: &Database) -> (Self, HubInput) {
        let (changes, _) = broadcast::channel(BUFFERED_CHANGES);
        if db.backend() == DbBackend::Postgres {
            let bus = Self {
                publisher: Publisher::Postgres(db.writer().clone()),
                changes,
                listening: watch::Sender::new(false),
            };
            (bus, HubInput::Postgres(db.writer().clone()))
        } else {
            let (sender, received) = mpsc::channel(PENDING_CHANGES);
            let bus = Self {
                publisher: Publisher::InProcess(sender),
                changes,
                listening: watch::Sender::new(true),
            };
            (bus, HubInput::InProcess(received))
        }
    }

    /// A bus that only publishes, for tools that serve no subscribers: on PostgreSQL the
    /// servers sharing the database hear its changes; a SQLite server runs in another
    /// process and is not told.
    pub fn publisher_only(db: &Database) -> Self {
        let publisher = if db.backend() == DbBackend::Postgres {
            Publisher::Postgres(db.writer().clone())
        } else {
            Publisher::Nowhere
        };
        Self {
            publisher,
            changes: broadcast::channel(1).0,
            listening: watch::Sender::new(false),
        }
    }

    /// Publishes a committed change. Failing to publish loses a live update, never data:
    /// it is logged, not returned.
    pub async fn publish(&self, change: Change) {
        match &self.publisher {
            Publisher::InProcess(changes) => {
                if changes.send(change).await.is_err() {
                    tracing::warn!(?change, "event hub stopped; change not delivered");
                }
            }
            Publisher::Postgres(db) => notify(db, change).await,
            Publisher::Nowhere => {}
        }
    }

    /// A new subscriber to every change the hub hears.
    pub fn subscribe(&self) -> broadcast::Receiver<Change> {
        self.changes.subscribe()
    }

    /// Whether changes are being heard (see `/readyz`).
    pub fn is_listening(&self) -> bool {
        *self.listening.borrow()
    }

    /// Waits until changes are heard, at most `limit`; whether they are.
    pub async fn wait_listening(&self, limit: Duration) -> bool {
        let mut listening = self.listening.subscribe();
        tokio::time::timeout(limit, listening.wait_for(|listening| *listening))
            .await
            .is_ok_and(|outcome| outcome.is_ok())
    }

    fn hand_on(&self, change: Change) {
        // No subscriber is not an error.
        let _none_listening = self.changes.send(change);
    }
}

async fn notify(db: &DatabaseConnection, change: Change) {
    let payload = match serde_json::to_string(&change) {
        Ok(payload) => payload,
        Err(error) => {
            tracing::error!(%error, "cannot encode a change");
            return;
        }
    };
    let sent = db
        .execute_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "SELECT pg_notify($1, $2)",
            [CHANNEL.into(), payload.into()],
        ))
        .await;
    if let Err(error) = sent {
        tracing::warn!(%error, ?change, "NOTIFY failed; change not delivered");
    }
}

/// Receives changes until the task is stopped, and hands them to `bus`'s subscribers.
pub async fn run_hub(bus: &EventBus, input: HubInput) {
    match input {
        HubInput::InProcess(mut changes) => {
            while let Some(change) = changes.recv().await {
                bus.hand_on(change);
            }
        }
        HubInput::Postgres(db) => listen(bus, &db).await,
    }
}

async fn listen(bus: &EventBus, db: &DatabaseConnection) {
    use sea_orm::sqlx::postgres::PgListener;
    let pool = db.get_postgres_connection_pool();
    loop {
        let mut listener = match PgListener::connect_with(pool).await {
            Ok(listener) => listener,
            Err(error) => {
                tracing::error!(%error, "cannot LISTEN; retrying");
                tokio::time::sleep(LISTEN_RETRY).await;
                continue;
            }
        };
        if let Err(error) = listener.listen(CHANNEL).await {
            tracing::error!(%error, "cannot LISTEN; retrying");
            tokio::time::sleep(LISTEN_RETRY).await;
            continue;
        }
        bus.listening.send_replace(true);
        // `try_recv` reports a lost connection instead of reconnecting silently; a new
        // listener is then made above, so that readiness knows when changes are heard.
        loop {
            match listener.try_recv().await {
                Ok(Some(notification)) => {
                    match serde_json::from_str::<Change>(notification.payload()) {
                        Ok(change) => bus.hand_on(change),
                        Err(error) => tracing::warn!(%error, "ignoring a malformed notification"),
                    }
                }
                Ok(None) => {
                    tracing::warn!("LISTEN connection lost; reconnecting");
                    break;
                }
                Err(error) => {
                    tracing::warn!(%error, "LISTEN connection failed; reconnecting");
                    break;
                }
            }
        }
        // Changes notified until the new listener listens are not heard.
        bus.listening.send_replace(false);
    }
}
