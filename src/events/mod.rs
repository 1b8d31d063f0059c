//! The event bus: writers publish small [`Change`]s after their transaction commits, and
//! every instance hears every change.
//!
//! A change reaches the instance's *hub* — in process on SQLite; through PostgreSQL
//! `LISTEN/NOTIFY` on PostgreSQL, so that every instance sharing the database hears every
//! change — which hands it to the instance's subscribers. A command-line tool's changes
//! reach servers on SQLite through a table they read (see [`outbox`]). The bus knows only the database:
//! what a change means to GraphQL subscribers is `graphql::live`'s business.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use sea_orm::{DatabaseConnection, DbBackend};
use serde::{Deserialize, Serialize};
use tokio::sync::{broadcast, mpsc, watch};

use crate::db::Database;

mod outbox;

/// Changes kept for subscribers that are behind.
pub const BUFFERED_CHANGES: usize = 4_096;
/// The PostgreSQL notification channel.
const CHANNEL: &str = "paperboard_events";
/// Changes queued for the hub (or the notifier) before publishers wait.
const PENDING_CHANGES: usize = 4_096;
/// The largest notification payload sent; PostgreSQL refuses more than 8,000 bytes.
const NOTIFY_PAYLOAD_BYTES: usize = 7_000;
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
    /// A paper left the catalogue.
    PaperRemoved { paper_id: i64 },
    /// A paper's record was revised (a new version): title, abstract, byline, categories.
    PaperRevised { paper_id: i64 },
    /// The ranking refresh started `generation`: lists ordered by upvotes moved.
    RankingMoved { generation: i64 },
    /// A comment was added to a paper's discussion.
    CommentAdded { paper_id: i64, comment_id: i64 },
    /// A comment was edited, deleted, hidden or shown again, or its upvote count moved.
    CommentChanged { paper_id: i64, comment_id: i64 },
    /// Notifications `first_id..=last_id` were written (each id in the run).
    Notified { first_id: i64, last_id: i64 },
    /// What everyone sees of an account changed: its profile, role or ban, or it was
    /// deleted.
    UserChanged { user_id: i64 },
    /// Sign-ins or personal access tokens were revoked, or sign-ins' scopes narrowed: what
    /// their tokens may do changed.
    SignInsChanged,
}

impl Change {
    /// The paper a live update is about: an added paper or a new upvote count.
    pub fn live_paper_id(self) -> Option<i64> {
        match self {
            Self::PaperAdded { paper_id } | Self::UpvoteChanged { paper_id, .. } => Some(paper_id),
            Self::PaperRemoved { .. }
            | Self::PaperRevised { .. }
            | Self::RankingMoved { .. }
            | Self::CommentAdded { .. }
            | Self::CommentChanged { .. }
            | Self::Notified { .. }
            | Self::UserChanged { .. }
            | Self::SignInsChanged => None,
        }
    }

    /// Whether the change may end what a token lets its bearer do: a role, a ban, an
    /// account, a sign-in or a personal access token.
    pub fn concerns_accounts(self) -> bool {
        matches!(self, Self::UserChanged { .. } | Self::SignInsChanged)
    }
}

/// Where an instance's writers publish.
enum Publisher {
    /// Straight to this instance's hub.
    InProcess(mpsc::Sender<Change>),
    /// To this instance's notifier, which sends the changes waiting at a time as one
    /// `NOTIFY`, heard by the hub of every instance (this one included).
    Postgres(mpsc::Sender<Change>),
    /// One `NOTIFY` per change, for a tool that publishes a few and exits.
    PostgresDirect(DatabaseConnection),
    /// The outbox table that servers on the same SQLite file read: a command-line tool's.
    SqliteOutbox(DatabaseConnection),
}

/// The instance's event bus: publish changes, subscribe to them.
pub struct EventBus {
    publisher: Publisher,
    changes: broadcast::Sender<Change>,
    /// Whether changes of other instances can be heard: always in process; on PostgreSQL
    /// while the `LISTEN` connection is up.
    listening: watch::Sender<bool>,
    /// Moves on every change this instance publishes or hears, and whenever changes may
    /// have been missed (see [`EventBus::version`]).
    version: AtomicU64,
    /// The same, for the changes that concern accounts only (see
    /// [`EventBus::accounts_version`]).
    accounts_version: AtomicU64,
}

/// What the hub of a bus listens to (see [`run_hub`]).
pub enum HubInput {
    /// This instance's changes, and the database whose outbox tools write to.
    Sqlite {
        db: DatabaseConnection,
        pending: mpsc::Receiver<Change>,
    },
    /// The database, and the changes this instance's writers wait to notify.
    Postgres {
        db: DatabaseConnection,
        pending: mpsc::Receiver<Change>,
    },
}

impl EventBus {
    /// A bus for `db`, and the input its hub runs on.
    pub fn new(db: &Database) -> (Self, HubInput) {
        let (changes, _) = broadcast::channel(BUFFERED_CHANGES);
        let (sender, received) = mpsc::channel(PENDING_CHANGES);
        if db.backend() == DbBackend::Postgres {
            let bus = Self {
                publisher: Publisher::Postgres(sender),
                changes,
                listening: watch::Sender::new(false),
                version: AtomicU64::new(0),
                accounts_version: AtomicU64::new(0),
            };
            let input = HubInput::Postgres {
                db: db.writer().clone(),
                pending: received,
            };
            (bus, input)
        } else {
            let bus = Self {
                publisher: Publisher::InProcess(sender),
                changes,
                listening: watch::Sender::new(true),
                version: AtomicU64::new(0),
                accounts_version: AtomicU64::new(0),
            };
            let input = HubInput::Sqlite {
                db: db.writer().clone(),
                pending: received,
            };
            (bus, input)
        }
    }

    /// A bus that only publishes, for tools that serve no subscribers: the servers sharing
    /// the database hear its changes (by `NOTIFY` on PostgreSQL, through the outbox table on
    /// SQLite).
    pub fn publisher_only(db: &Database) -> Self {
        let publisher = if db.backend() == DbBackend::Postgres {
            Publisher::PostgresDirect(db.writer().clone())
        } else {
            Publisher::SqliteOutbox(db.writer().clone())
        };
        Self {
            publisher,
            changes: broadcast::channel(1).0,
            listening: watch::Sender::new(false),
            version: AtomicU64::new(0),
            accounts_version: AtomicU64::new(0),
        }
    }

    /// Publishes a committed change. Failing to publish loses a live update, never data:
    /// it is logged, not returned.
    pub async fn publish(&self, change: Change) {
        crate::telemetry::metrics::events_published(1);
        // What this instance wrote is visible to its own next request, before any
        // notification comes back.
        self.moved_on(change);
        match &self.publisher {
            Publisher::InProcess(pending) | Publisher::Postgres(pending) => {
                if pending.send(change).await.is_err() {
                    tracing::warn!(?change, "event hub stopped; change not delivered");
                }
            }
            Publisher::PostgresDirect(db) => notify(db, &[change]).await,
            Publisher::SqliteOutbox(db) => outbox::write(db, &[change]).await,
        }
    }

    /// Publishes `changes` together: a tool publishing the papers of a whole page sends
    /// them in as few notifications as fit (servers publish through their batching
    /// notifier anyway).
    pub async fn publish_all(&self, changes: &[Change]) {
        match &self.publisher {
            Publisher::PostgresDirect(db) => {
                crate::telemetry::metrics::events_published(changes.len());
                changes.iter().for_each(|&change| self.moved_on(change));
                for batch in notification_batches(changes) {
                    notify(db, batch).await;
                }
            }
            Publisher::SqliteOutbox(db) => {
                crate::telemetry::metrics::events_published(changes.len());
                changes.iter().for_each(|&change| self.moved_on(change));
                outbox::write(db, changes).await;
            }
            Publisher::InProcess(_) | Publisher::Postgres(_) => {
                for &change in changes {
                    self.publish(change).await;
                }
            }
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

    /// A number that is the same for two reads only if no change was published or heard
    /// between them, and changes were heard all along (on PostgreSQL, while `LISTEN`
    /// stays connected). What was read from the database at one version holds, for
    /// published changes, as long as the version stays.
    pub fn version(&self) -> Option<u64> {
        self.is_listening()
            .then(|| self.version.load(Ordering::Acquire))
    }

    /// Like [`EventBus::version`], but moved only by changes that
    /// [concern accounts](Change::concerns_accounts): what was read of a sign-in and its
    /// account at one version holds as long as it stays.
    pub fn accounts_version(&self) -> Option<u64> {
        self.is_listening()
            .then(|| self.accounts_version.load(Ordering::Acquire))
    }

    fn moved_on(&self, change: Change) {
        if change.concerns_accounts() {
            self.accounts_version.fetch_add(1, Ordering::AcqRel);
        }
        self.version.fetch_add(1, Ordering::AcqRel);
    }

    fn set_listening(&self, listening: bool) {
        self.everything_moved_on();
        self.listening.send_replace(listening);
        self.everything_moved_on();
    }

    fn everything_moved_on(&self) {
        self.accounts_version.fetch_add(1, Ordering::AcqRel);
        self.version.fetch_add(1, Ordering::AcqRel);
    }

    /// Takes a change heard through the database (a tool's, another instance's, or on
    /// PostgreSQL this one's own, heard back): it moves the version, and reaches subscribers.
    fn hand_on(&self, change: Change) {
        self.moved_on(change);
        self.deliver(change);
    }

    fn deliver(&self, change: Change) {
        // No subscriber is not an error.
        let _none_listening = self.changes.send(change);
    }
}

/// `changes` cut, in order, into runs that each fit one notification.
fn notification_batches(changes: &[Change]) -> Vec<&[Change]> {
    let mut batches = Vec::new();
    let mut start = 0;
    let mut bytes = 1;
    for (index, &change) in changes.iter().enumerate() {
        let size = encoded_len(change);
        if bytes + size > NOTIFY_PAYLOAD_BYTES && index > start {
            batches.push(&changes[start..index]);
            start = index;
            bytes = 1;
        }
        bytes += size;
    }
    if start < changes.len() {
        batches.push(&changes[start..]);
    }
    batches
}

/// Sends `changes` as one notification (a JSON array). It goes straight to the pool,
/// beside the statement counter: tests count what requests cost, and notifications are
/// sent in the background, in batches that mix requests.
async fn notify(db: &DatabaseConnection, changes: &[Change]) {
    let payload = match serde_json::to_string(changes) {
        Ok(payload) => payload,
        Err(error) => {
            tracing::error!(%error, "cannot encode changes");
            return;
        }
    };
    let sent = sea_orm::sqlx::query("SELECT pg_notify($1, $2)")
        .bind(CHANNEL)
        .bind(payload)
        .execute(db.get_postgres_connection_pool())
        .await;
    if let Err(error) = sent {
        tracing::warn!(%error, changes = changes.len(), "NOTIFY failed; changes not delivered");
    }
}

/// Notifies the changes this instance publishes, until the bus is dropped. Under load,
/// the changes published while one notification is sent go out together in the next:
/// one statement and one commit for many upvotes, and no wait when it is quiet.
async fn run_notifier(db: &DatabaseConnection, mut pending: mpsc::Receiver<Change>) {
    let mut batch = Vec::new();
    while let Some(first) = pending.recv().await {
        batch.push(first);
        let mut bytes = encoded_len(first);
        while bytes < NOTIFY_PAYLOAD_BYTES - MAX_CHANGE_BYTES {
            match pending.try_recv() {
                Ok(change) => {
                    bytes += encoded_len(change);
                    batch.push(change);
                }
                Err(_) => break,
            }
        }
        notify(db, &batch).await;
        batch.clear();
    }
}

/// An upper bound of one change's JSON, with its separator.
const MAX_CHANGE_BYTES: usize = 100;

fn encoded_len(change: Change) -> usize {
    serde_json::to_string(&change).map_or(MAX_CHANGE_BYTES, |json| json.len() + 1)
}

/// Receives changes until the task is stopped, and hands them to `bus`'s subscribers.
pub async fn run_hub(bus: &EventBus, input: HubInput) {
    match input {
        HubInput::Sqlite {
            db,
            pending: mut changes,
        } => {
            // `publish` moved the version on already: moving it again here would retire
            // the answers computed since, for nothing.
            let own = async {
                while let Some(change) = changes.recv().await {
                    bus.deliver(change);
                }
            };
            tokio::join!(own, outbox::tail(bus, &db));
        }
        HubInput::Postgres { db, pending } => {
            tokio::join!(listen(bus, &db), run_notifier(&db, pending));
        }
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
        bus.set_listening(true);
        // `try_recv` reports a lost connection instead of reconnecting silently; a new
        // listener is then made above, so that readiness knows when changes are heard.
        loop {
            match listener.try_recv().await {
                Ok(Some(notification)) => match decode(notification.payload()) {
                    Ok(changes) => changes.into_iter().for_each(|change| bus.hand_on(change)),
                    Err(error) => tracing::warn!(%error, "ignoring a malformed notification"),
                },
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
        bus.set_listening(false);
    }
}

/// A notification's changes: an array, or one change as instances before batching sent.
fn decode(payload: &str) -> serde_json::Result<Vec<Change>> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Payload {
        Many(Vec<Change>),
        One(Change),
    }
    Ok(match serde_json::from_str(payload)? {
        Payload::Many(changes) => changes,
        Payload::One(change) => vec![change],
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn many_changes_go_out_in_notifications_that_fit() -> serde_json::Result<()> {
        let changes: Vec<Change> = (1..=2_000)
            .map(|paper_id| Change::PaperAdded { paper_id })
            .collect();
        let batches = notification_batches(&changes);
        assert!(
            batches.len() > 1,
            "2,000 changes do not fit one notification"
        );
        let mut resent = Vec::new();
        for batch in batches {
            let payload = serde_json::to_string(batch)?;
            assert!(
                payload.len() <= NOTIFY_PAYLOAD_BYTES,
                "{} bytes",
                payload.len()
            );
            resent.extend(decode(&payload)?);
        }
        assert_eq!(resent, changes);
        assert!(notification_batches(&[]).is_empty());
        Ok(())
    }

    #[test]
    fn a_notification_holds_an_array_of_changes_or_one_change() -> serde_json::Result<()> {
        let changes = [
            Change::PaperAdded { paper_id: 7 },
            Change::UpvoteChanged {
                paper_id: 7,
                upvote_count: 3,
            },
        ];
        assert_eq!(decode(&serde_json::to_string(&changes)?)?, changes);
        assert_eq!(
            decode(&serde_json::to_string(&changes[1])?)?,
            vec![changes[1]]
        );
        assert!(decode("{\"kind\":\"nothing\"}").is_err());
        Ok(())
    }

    #[test]
    fn the_largest_batch_fits_a_notification() -> serde_json::Result<()> {
        let widest = Change::UpvoteChanged {
            paper_id: i64::MIN,
            upvote_count: i32::MIN,
        };
        assert!(encoded_len(widest) <= MAX_CHANGE_BYTES);
        // The notifier stops adding once one change more could pass the payload limit.
        let most = (NOTIFY_PAYLOAD_BYTES - MAX_CHANGE_BYTES) / encoded_len(widest) + 1;
        assert!(serde_json::to_string(&vec![widest; most])?.len() < 8_000);
        Ok(())
    }
}
