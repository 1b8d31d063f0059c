//! SQLite's stand-in for `NOTIFY`: a command-line tool writes the changes it publishes to
//! the `change_outbox` table, and every server on the same file reads the rows it has not
//! seen a few times a second and hands them on like its own. Rows older than
//! [`KEPT_FOR`] are removed by the next tool that writes; a server starts reading at the
//! newest row when it starts (what happened before was never its subscribers' business).
//!
//! Both sides use the pool directly, beside the statement counter: tests count what
//! requests cost, and these statements belong to no request.

use std::time::Duration;

use sea_orm::DatabaseConnection;

use super::{Change, EventBus, decode};
use crate::clock;

/// How often a server looks for new rows (the added delay of a tool's change).
const POLL_EVERY: Duration = Duration::from_millis(200);
/// How long a row is kept: far longer than any server takes to read it.
const KEPT_FOR: Duration = Duration::from_secs(600);
/// Rows read in one look.
const ROWS_AT_ONCE: i64 = 1_000;

/// Writes `changes` as one row, and clears out rows past [`KEPT_FOR`].
pub(super) async fn write(db: &DatabaseConnection, changes: &[Change]) {
    if changes.is_empty() {
        return;
    }
    let payload = match serde_json::to_string(changes) {
        Ok(payload) => payload,
        Err(error) => {
            tracing::error!(%error, "cannot encode changes");
            return;
        }
    };
    let pool = db.get_sqlite_connection_pool();
    let now = clock::now().timestamp_millis();
    let written =
        sea_orm::sqlx::query("INSERT INTO change_outbox (changes, written_ms) VALUES ($1, $2)")
            .bind(payload)
            .bind(now)
            .execute(pool)
            .await;
    if let Err(error) = written {
        tracing::warn!(%error, changes = changes.len(), "cannot write changes for the servers");
        return;
    }
    let oldest_kept = now - i64::try_from(KEPT_FOR.as_millis()).unwrap_or(i64::MAX);
    let cleared = sea_orm::sqlx::query("DELETE FROM change_outbox WHERE written_ms < $1")
        .bind(oldest_kept)
        .execute(pool)
        .await;
    if let Err(error) = cleared {
        tracing::warn!(%error, "cannot clear old changes");
    }
}

/// Hands every row written after the server started to `bus`'s subscribers, until the task
/// is stopped.
pub(super) async fn tail(bus: &EventBus, db: &DatabaseConnection) {
    let pool = db.get_sqlite_connection_pool();
    let mut ticker = tokio::time::interval(POLL_EVERY);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut last_seen = loop {
        ticker.tick().await;
        let newest: Result<(i64,), _> =
            sea_orm::sqlx::query_as("SELECT coalesce(max(seq), 0) FROM change_outbox")
                .fetch_one(pool)
                .await;
        match newest {
            Ok((seq,)) => break seq,
            Err(error) => tracing::warn!(%error, "cannot read the change outbox; retrying"),
        }
    };
    loop {
        ticker.tick().await;
        let rows: Result<Vec<(i64, String)>, _> = sea_orm::sqlx::query_as(
            "SELECT seq, changes FROM change_outbox WHERE seq > $1 ORDER BY seq LIMIT $2",
        )
        .bind(last_seen)
        .bind(ROWS_AT_ONCE)
        .fetch_all(pool)
        .await;
        let rows = match rows {
            Ok(rows) => rows,
            Err(error) => {
                tracing::warn!(%error, "cannot read the change outbox");
                continue;
            }
        };
        for (seq, changes) in rows {
            last_seen = seq;
            match decode(&changes) {
                Ok(changes) => changes.into_iter().for_each(|change| bus.hand_on(change)),
                Err(error) => tracing::warn!(%error, seq, "ignoring malformed changes"),
            }
        }
    }
}
