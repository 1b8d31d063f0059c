//! The ranking refresh.
//!
//! Lists ordered by upvotes (`papers(orderBy: UPVOTES)`, `dailyPapers`, `trendingPapers`)
//! sort on `rank_count` and `hot_score`, which change only here: every refresh copies the
//! live `upvote_count` of the papers whose upvotes changed (queued by the upvote triggers)
//! and bumps the ranking generation. Between refreshes ranked lists are frozen, so a walk
//! through one never sees a paper twice or misses one; cursors carry the generation they
//! were issued in, and a cursor of an older generation is refused (start again). The
//! displayed `upvoteCount` is always live.

use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, DbBackend, Statement, TransactionTrait, Value};

use crate::db::Database;
use crate::error::AppResult;
use crate::ranking::hot_score;

use super::sql;

/// Papers updated per statement.
const CHUNK: usize = 500;
/// Serialises refreshes of several instances sharing one PostgreSQL database.
const REFRESH_LOCK_KEY: i64 = 0x7062_7261_6e6b_696e;

/// Applies queued upvote changes to the ranking; the new generation, or `None` when nothing
/// had changed (the generation, and every cursor, then stays valid).
///
/// # Errors
/// `INTERNAL_SERVER_ERROR` on database failure (nothing changes).
pub async fn refresh(db: &Database) -> AppResult<Option<i64>> {
    let backend = db.backend();
    let transaction = db.writer().begin().await?;
    if backend == DbBackend::Postgres {
        transaction
            .execute_raw(Statement::from_sql_and_values(
                backend,
                "SELECT pg_advisory_xact_lock($1)",
                [REFRESH_LOCK_KEY.into()],
            ))
            .await?;
    }
    let queued: Vec<i64> = transaction
        .query_all_raw(Statement::from_string(
            backend,
            "SELECT paper_id FROM ranking_queue",
        ))
        .await?
        .iter()
        .map(|row| row.try_get_by_index::<i64>(0))
        .collect::<Result<_, _>>()?;
    if queued.is_empty() {
        return Ok(None);
    }
    // Locking the rows makes a concurrent upvote wait until this refresh commits, so its
    // re-queueing is not lost when the queue entries are deleted below.
    let lock = if backend == DbBackend::Postgres {
        " FOR UPDATE"
    } else {
        ""
    };
    for chunk in queued.chunks(CHUNK) {
        let rows = transaction
            .query_all_raw(sql::statement(
                backend,
                &format!(
                    "SELECT id, upvote_count, submitted_at FROM papers WHERE id IN ({}){lock}",
                    sql::placeholders(chunk.len())
                ),
                chunk.iter().map(|id| (*id).into()).collect(),
            ))
            .await?;
        let mut ranks = Vec::with_capacity(rows.len());
        for row in rows {
            let id: i64 = row.try_get("", "id")?;
            let count: i32 = row.try_get("", "upvote_count")?;
            let submitted_at: DateTime<Utc> = row.try_get("", "submitted_at")?;
            ranks.push((id, count, hot_score(count, submitted_at)));
        }
        update_ranks(&transaction, backend, &ranks).await?;
        transaction
            .execute_raw(sql::statement(
                backend,
                &format!(
                    "DELETE FROM ranking_queue WHERE paper_id IN ({})",
                    sql::placeholders(chunk.len())
                ),
                chunk.iter().map(|id| (*id).into()).collect(),
            ))
            .await?;
    }
    let generation = transaction
        .query_one_raw(Statement::from_string(
            backend,
            "UPDATE ranking_state SET generation = generation + 1 WHERE id = 1 RETURNING generation",
        ))
        .await?
        .map(|row| row.try_get_by_index::<i64>(0))
        .transpose()?;
    transaction.commit().await?;
    Ok(generation)
}

/// One statement sets `rank_count` and `hot_score` of many papers.
async fn update_ranks(
    db: &impl ConnectionTrait,
    backend: DbBackend,
    ranks: &[(i64, i32, f64)],
) -> AppResult<()> {
    if ranks.is_empty() {
        return Ok(());
    }
    let mut counts = String::from("CASE id");
    let mut scores = String::from("CASE id");
    let mut count_values: Vec<Value> = Vec::with_capacity(ranks.len() * 2);
    let mut score_values: Vec<Value> = Vec::with_capacity(ranks.len() * 2);
    for (id, count, score) in ranks {
        counts.push_str(" WHEN ? THEN ?");
        scores.push_str(" WHEN ? THEN ?");
        count_values.extend([(*id).into(), (*count).into()]);
        score_values.extend([(*id).into(), (*score).into()]);
    }
    let sql = format!(
        "UPDATE papers SET rank_count = {counts} END, hot_score = {scores} END WHERE id IN ({})",
        sql::placeholders(ranks.len())
    );
    let mut values = count_values;
    values.extend(score_values);
    values.extend(ranks.iter().map(|(id, _, _)| Value::from(*id)));
    db.execute_raw(sql::statement(backend, &sql, values))
        .await?;
    Ok(())
}

/// The current ranking generation.
///
/// # Errors
/// `INTERNAL_SERVER_ERROR` on database failure.
pub async fn generation(db: &impl ConnectionTrait) -> AppResult<i64> {
    let row = db
        .query_one_raw(Statement::from_string(
            db.get_database_backend(),
            "SELECT generation FROM ranking_state WHERE id = 1",
        ))
        .await?;
    Ok(row
        .map(|row| row.try_get_by_index::<i64>(0))
        .transpose()?
        .unwrap_or(0))
}
