//! The shared store of automatic persisted queries (see migration 000026).

use sea_orm::{ConnectionTrait, Value};

use crate::clock;
use crate::db::Database;
use crate::error::AppResult;
use crate::services::sql::statement;

/// The document stored under `hash`, marking it used.
pub async fn load(db: &Database, hash: &str) -> AppResult<Option<String>> {
    let backend = db.backend();
    let row = db
        .reader()
        .query_one_raw(statement(
            backend,
            "SELECT document FROM persisted_queries WHERE hash = ?",
            vec![hash.into()],
        ))
        .await?;
    let Some(row) = row else {
        return Ok(None);
    };
    let document: String = row.try_get_by_index(0)?;
    db.writer()
        .execute_raw(statement(
            backend,
            "UPDATE persisted_queries SET last_used_at = ? WHERE hash = ?",
            vec![now(), hash.into()],
        ))
        .await?;
    Ok(Some(document))
}

/// Stores `document` under `hash` (its SHA-256), or marks it used when already there.
pub async fn save(db: &Database, hash: &str, document: &str) -> AppResult<()> {
    db.writer()
        .execute_raw(statement(
            db.backend(),
            "INSERT INTO persisted_queries (hash, document, last_used_at) VALUES (?, ?, ?) \
             ON CONFLICT (hash) DO UPDATE SET last_used_at = excluded.last_used_at",
            vec![hash.into(), document.into(), now()],
        ))
        .await?;
    Ok(())
}

/// Deletes all but the `keep` most recently used documents (and any used at the same
/// instant as the newest one deleted); the number deleted.
pub async fn prune(db: &Database, keep: u64) -> AppResult<u64> {
    let keep = i64::try_from(keep).unwrap_or(i64::MAX);
    let result = db
        .writer()
        .execute_raw(statement(
            db.backend(),
            "DELETE FROM persisted_queries WHERE last_used_at <= \
             (SELECT last_used_at FROM persisted_queries ORDER BY last_used_at DESC LIMIT 1 OFFSET ?)",
            vec![keep.into()],
        ))
        .await?;
    Ok(result.rows_affected())
}

fn now() -> Value {
    clock::stored(clock::now()).into()
}
