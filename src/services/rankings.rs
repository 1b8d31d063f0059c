//! The ranking refresh, and the history that keeps old cursors walking their own ranking.
//!
//! Lists ordered by upvotes (`papers(orderBy: UPVOTES)`, `dailyPapers`, `trendingPapers`)
//! sort on `rank_count` and `hot_score`, which change only here: a refresh (every half
//! second by default) copies the live `upvote_count` of the papers whose upvotes changed
//! (queued by the upvote triggers) and starts a new ranking *generation*. So a first page
//! shows an upvote within about a second, while the sort keys never move under a reader's
//! feet in the middle of a statement.
//!
//! A walk through a ranked list must not repeat or skip papers when the ranking moves on
//! between its pages. Cursors carry the generation of the walk's first page, and each
//! refresh records, for every paper it re-ranks, the values it replaced
//! (`ranking_history`, tagged with the new generation). A later page of the walk is read
//! as of its generation: papers re-ranked since come from the history with their old
//! values, the others from the index (see `papers::list`). History is kept for
//! [`HISTORY_RETENTION`]; a cursor older than that still works, continuing from its keys
//! in the current ranking (it may then repeat or skip a paper that moved, never fail).

use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, DbBackend, Statement, TransactionTrait, Value};

use crate::clock;
use crate::db::Database;
use crate::domain::ranking::hot_score;
use crate::error::AppResult;

use super::sql;

/// How long the values a refresh replaced are kept: walks that start and end within an
/// hour are exact; the margin covers clock drift between instances.
pub const HISTORY_RETENTION: std::time::Duration = std::time::Duration::from_secs(65 * 60);

/// Papers updated per statement.
const CHUNK: usize = 500;
/// Serialises refreshes of several instances sharing one PostgreSQL database.
const REFRESH_LOCK_KEY: i64 = 0x7062_7261_6e6b_696e;

/// One paper's ranking values.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Ranked {
    id: i64,
    count: i32,
    score: f64,
}

/// Applies queued upvote changes to the ranking; the new generation, or `None` when no
/// paper's rank changed (the generation then stays).
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
    let next = generation(&transaction).await? + 1;
    // Locking the rows makes a concurrent upvote wait until this refresh commits, so its
    // re-queueing is not lost when the queue entries are deleted below.
    let lock = if backend == DbBackend::Postgres {
        " FOR UPDATE"
    } else {
        ""
    };
    let mut changed_any = false;
    for chunk in queued.chunks(CHUNK) {
        let rows = transaction
            .query_all_raw(sql::statement(
                backend,
                &format!(
                    "SELECT id, upvote_count, submitted_at, rank_count, hot_score FROM papers WHERE id IN ({}){lock}",
                    sql::placeholders(chunk.len())
                ),
                chunk.iter().map(|id| (*id).into()).collect(),
            ))
            .await?;
        let mut replaced = Vec::with_capacity(rows.len());
        let mut ranks = Vec::with_capacity(rows.len());
        for row in rows {
            let id: i64 = row.try_get("", "id")?;
            let count: i32 = row.try_get("", "upvote_count")?;
            let old = Ranked {
                id,
                count: row.try_get("", "rank_count")?,
                score: row.try_get("", "hot_score")?,
            };
            if count != old.count {
                let submitted_at: DateTime<Utc> = row.try_get("", "submitted_at")?;
                ranks.push(Ranked {
                    id,
                    count,
                    score: hot_score(count, submitted_at),
                });
                replaced.push(old);
            }
        }
        changed_any |= !ranks.is_empty();
        record_history(&transaction, backend, next, &replaced).await?;
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
    if !changed_any {
        // Upvotes that cancelled out: nothing to re-rank, and no new generation.
        transaction.commit().await?;
        return Ok(None);
    }
    transaction
        .execute_raw(sql::statement(
            backend,
            "UPDATE ranking_state SET generation = ? WHERE id = 1",
            vec![next.into()],
        ))
        .await?;
    transaction
        .execute_raw(sql::statement(
            backend,
            "INSERT INTO ranking_generations (generation, refreshed_at) VALUES (?, ?)",
            vec![next.into(), clock::now().into()],
        ))
        .await?;
    transaction.commit().await?;
    Ok(Some(next))
}

/// Keeps the values `replaced` had before generation `generation`.
async fn record_history(
    db: &impl ConnectionTrait,
    backend: DbBackend,
    generation: i64,
    replaced: &[Ranked],
) -> AppResult<()> {
    if replaced.is_empty() {
        return Ok(());
    }
    let rows = vec!["(?, ?, ?, ?)"; replaced.len()].join(", ");
    let values = replaced
        .iter()
        .flat_map(|old| {
            [
                old.id.into(),
                generation.into(),
                old.count.into(),
                old.score.into(),
            ]
        })
        .collect();
    db.execute_raw(sql::statement(
        backend,
        &format!(
            "INSERT INTO ranking_history (paper_id, generation, rank_count, hot_score) VALUES {rows}"
        ),
        values,
    ))
    .await?;
    Ok(())
}

/// One statement sets `rank_count` and `hot_score` of many papers.
async fn update_ranks(
    db: &impl ConnectionTrait,
    backend: DbBackend,
    ranks: &[Ranked],
) -> AppResult<()> {
    if ranks.is_empty() {
        return Ok(());
    }
    let mut counts = String::from("CASE id");
    let mut scores = String::from("CASE id");
    let mut count_values: Vec<Value> = Vec::with_capacity(ranks.len() * 2);
    let mut score_values: Vec<Value> = Vec::with_capacity(ranks.len() * 2);
    for rank in ranks {
        counts.push_str(" WHEN ? THEN ?");
        scores.push_str(" WHEN ? THEN ?");
        count_values.extend([rank.id.into(), rank.count.into()]);
        score_values.extend([rank.id.into(), rank.score.into()]);
    }
    let sql = format!(
        "UPDATE papers SET rank_count = {counts} END, hot_score = {scores} END WHERE id IN ({})",
        sql::placeholders(ranks.len())
    );
    let mut values = count_values;
    values.extend(score_values);
    values.extend(ranks.iter().map(|rank| Value::from(rank.id)));
    db.execute_raw(sql::statement(backend, &sql, values))
        .await?;
    Ok(())
}

/// Deletes the history of generations that began more than [`HISTORY_RETENTION`] ago; the
/// number of rows deleted.
///
/// # Errors
/// `INTERNAL_SERVER_ERROR` on database failure.
pub async fn prune_history(db: &Database) -> AppResult<u64> {
    let backend = db.backend();
    let retention = chrono::Duration::from_std(HISTORY_RETENTION).unwrap_or(chrono::Duration::MAX);
    let cutoff = clock::now() - retention;
    let writer = db.writer();
    let oldest_kept = writer
        .query_one_raw(sql::statement(
            backend,
            "SELECT MAX(generation) FROM ranking_generations WHERE refreshed_at < ?",
            vec![cutoff.into()],
        ))
        .await?
        .map(|row| row.try_get_by_index::<Option<i64>>(0))
        .transpose()?
        .flatten();
    let Some(expired) = oldest_kept else {
        return Ok(0);
    };
    // Cursors of generation `expired` or later need only rows of later generations.
    let history = writer
        .execute_raw(sql::statement(
            backend,
            "DELETE FROM ranking_history WHERE generation <= ?",
            vec![expired.into()],
        ))
        .await?
        .rows_affected();
    writer
        .execute_raw(sql::statement(
            backend,
            "DELETE FROM ranking_generations WHERE generation < ?",
            vec![expired.into()],
        ))
        .await?;
    Ok(history)
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
