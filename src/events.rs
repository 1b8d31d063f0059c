//! The event bus behind subscriptions.
//!
//! Writers publish small [`Change`]s after their transaction commits. A change reaches the
//! instance's *hub* — in-process on SQLite; through PostgreSQL `LISTEN/NOTIFY` on PostgreSQL,
//! so that every instance sharing the database hears every change. The hub loads what the
//! change is about once (the paper, its byline, its submitter) and broadcasts it to the
//! instance's subscribers, who filter it in memory.
//!
//! Slow consumers: the broadcast keeps the last [`BUFFERED_EVENTS`] events. A subscriber
//! that falls further behind is *told*: its stream yields a `RATE_LIMITED` error carrying
//! `missedEvents`, then continues with the newest events. Nothing grows without bound.

use std::sync::Arc;

use entity::{paper, user};
use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, Statement};
use serde::{Deserialize, Serialize};
use tokio::sync::{broadcast, mpsc, watch};

use crate::db::Database;
use crate::graphql::loaders::{self, RequestLoader};
use crate::services::bylines::{self, Byline};
use crate::services::{papers, users};
use crate::state::AppState;

/// Events kept for subscribers that are behind.
pub const BUFFERED_EVENTS: usize = 1_024;
/// The PostgreSQL notification channel.
const CHANNEL: &str = "paperboard_events";
/// The pause between attempts to (re)connect the `LISTEN` connection.
const LISTEN_RETRY: std::time::Duration = std::time::Duration::from_millis(250);
/// Changes queued for the hub before publishers wait.
const PENDING_CHANGES: usize = 4_096;

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
    fn paper_id(self) -> i64 {
        match self {
            Self::PaperAdded { paper_id } | Self::UpvoteChanged { paper_id, .. } => paper_id,
        }
    }
}

/// A change with what subscribers need to resolve it, loaded once per instance.
pub struct PaperEvent {
    pub change: Change,
    pub paper: Arc<paper::Model>,
    pub byline: Byline,
    pub submitter: Option<user::Model>,
    /// Shared by every subscriber resolving this event, so that their field loads batch.
    pub loader: Arc<RequestLoader>,
}

/// Where an instance's writers publish.
#[derive(Clone)]
enum Publisher {
    /// Straight to this instance's hub.
    InProcess(mpsc::Sender<Change>),
    /// `NOTIFY`, heard by the hub of every instance (this one included).
    Postgres(DatabaseConnection),
}

/// The instance's event bus: publish changes, subscribe to events.
pub struct EventBus {
    publisher: Publisher,
    events: broadcast::Sender<Arc<PaperEvent>>,
    /// Whether changes of other instances can be heard: always in process; on PostgreSQL
    /// while the `LISTEN` connection is up.
    listening: watch::Sender<bool>,
}

impl EventBus {
    /// A bus for `db`, and the receiving end its hub runs on (see [`run_hub`]).
    pub fn new(db: &Database) -> (Self, HubInput) {
        let (events, _) = broadcast::channel(BUFFERED_EVENTS);
        if db.backend() == DbBackend::Postgres {
            let bus = Self {
                publisher: Publisher::Postgres(db.writer().clone()),
                events,
                listening: watch::Sender::new(false),
            };
            (bus, HubInput::Postgres)
        } else {
            let (changes, received) = mpsc::channel(PENDING_CHANGES);
            let bus = Self {
                publisher: Publisher::InProcess(changes),
                events,
                listening: watch::Sender::new(true),
            };
            (bus, HubInput::InProcess(received))
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
        }
    }

    /// A new subscriber.
    pub fn subscribe(&self) -> broadcast::Receiver<Arc<PaperEvent>> {
        self.events.subscribe()
    }

    /// Whether changes are being heard (see `/readyz`).
    pub fn is_listening(&self) -> bool {
        *self.listening.borrow()
    }

    /// Waits until changes are heard, at most `limit`; whether they are.
    pub async fn wait_listening(&self, limit: std::time::Duration) -> bool {
        let mut listening = self.listening.subscribe();
        tokio::time::timeout(limit, listening.wait_for(|listening| *listening))
            .await
            .is_ok_and(|outcome| outcome.is_ok())
    }
}

/// Publishes `change` with `NOTIFY` (also used by the import command, which has no bus).
pub async fn notify(db: &DatabaseConnection, change: Change) {
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

/// What the hub listens to.
pub enum HubInput {
    InProcess(mpsc::Receiver<Change>),
    Postgres,
}

/// Receives changes until the server stops, and broadcasts them as events.
pub async fn run_hub(state: AppState, input: HubInput) {
    match input {
        HubInput::InProcess(mut changes) => {
            while let Some(change) = changes.recv().await {
                broadcast(&state, change).await;
            }
        }
        HubInput::Postgres => listen(&state).await,
    }
}

async fn listen(state: &AppState) {
    use sea_orm::sqlx::postgres::PgListener;
    let pool = state.db.writer().get_postgres_connection_pool();
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
        state.events.listening.send_replace(true);
        // `try_recv` reports a lost connection instead of reconnecting silently; a new
        // listener is then made above, so that readiness knows when changes are heard.
        loop {
            match listener.try_recv().await {
                Ok(Some(notification)) => {
                    match serde_json::from_str::<Change>(notification.payload()) {
                        Ok(change) => broadcast(state, change).await,
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
        state.events.listening.send_replace(false);
    }
}

/// Loads what `change` is about and hands it to every subscriber of this instance.
async fn broadcast(state: &AppState, change: Change) {
    if state.events.events.receiver_count() == 0 {
        return;
    }
    match load(state, change).await {
        Ok(Some(event)) => {
            let _no_subscribers_left = state.events.events.send(Arc::new(event));
        }
        Ok(None) => {}
        Err(error) => tracing::warn!(?error, ?change, "cannot load an event"),
    }
}

async fn load(state: &AppState, change: Change) -> crate::error::AppResult<Option<PaperEvent>> {
    let db = state.db.reader();
    let Some(paper) = papers::by_id(db, change.paper_id()).await? else {
        return Ok(None);
    };
    let byline = bylines::load(db, &state.bylines, &[paper.id])
        .await?
        .remove(&paper.id)
        .unwrap_or_default();
    let submitter = match paper.submitted_by {
        Some(id) => users::by_id(db, id).await?,
        None => None,
    };
    Ok(Some(PaperEvent {
        change,
        paper: Arc::new(paper),
        byline,
        submitter,
        loader: Arc::new(loaders::for_request(state)),
    }))
}
