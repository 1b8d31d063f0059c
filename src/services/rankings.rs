//! The ranking refresh, and the history that keeps old cursors walking their own ranking.
//!
//! Lists ordered by upvotes (`papers(orderBy: UPVOTES)`, `dailyPapers`, `trendingPapers`)
//! sort on `rank_count` and `hot_score`, which change only here: a refresh (every half
//! second by default) copies the live `upvote_count` of the papers whose upvotes changed
//! (queued by the upvote triggers), in short transactions of a batch of papers each, and
//! each batch starts a new ranking *generation*. So a first page
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
use entity::{paper, ranking_generation, ranking_history, ranking_queue, ranking_state};
use sea_orm::sea_query::{Expr, LockBehavior, LockType};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DbBackend, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect, TransactionTrait, Value,
};

use crate::clock;
use crate::db::{Database, Exclusive};
use crate::domain::ranking::hot_score;
use crate::error::AppResult;
use crate::events::{Change, EventBus};

use super::sql;

/// How long the values a refresh replaced are kept: walks that start and end within an
/// hour are exact; the margin covers clock drift between instances.
pub const HISTORY_RETENTION: std::time::Duration = std::time::Duration::from_secs(65 * 60);

/// Papers re-ranked per transaction. On PostgreSQL a batch holds only its papers' rows, so
/// upvotes of other papers never wait for it; each statement binds five values per paper.
const RERANKED_PER_TRANSACTION: usize = 200;
/// On SQLite a batch holds the one writer, and every upvote queues behind it: re-ranking
/// 200 papers takes about 23 ms there (50 about 6 ms, on the 2-core bench machine).
const RERANKED_PER_SQLITE_TRANSACTION: usize = 50;

/// What re-ranking a paper reads: id, `upvote_count`, `rank_count`, `hot_score` and
/// `submitted_at`.
type RankingInputs = (i64, i32, i32, f64, DateTime<Utc>);

/// One paper's ranking values.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Ranked {
    id: i64,
    count: i32,
    score: f64,
}

/// Applies queued upvote changes to the ranking, a batch of papers per transaction; the
/// newest generation started, or `None` when no paper's rank changed.
///
/// Each batch that re-ranks a paper is a generation of its own, published on `events` once
/// committed. Papers queued after the refresh began, and papers an upvote is writing at
/// that moment, wait for the next one.
///
/// # Errors
/// `INTERNAL_SERVER_ERROR` on database failure (batches committed before it stay).
pub async fn refresh(db: &Database, events: &EventBus) -> AppResult<Option<i64>> {
    let queued: Vec<i64> = ranking_queue::Entity::find()
        .select_only()
        .column(ranking_queue::Column::PaperId)
        .order_by_asc(ranking_queue::Column::PaperId)
        .into_tuple()
        .all(db.writer())
        .await?;
    let per_transaction = match db.backend() {
        DbBackend::Sqlite => RERANKED_PER_SQLITE_TRANSACTION,
        _ => RERANKED_PER_TRANSACTION,
    };
    let mut newest = None;
    for batch in queued.chunks(per_transaction) {
        if let Some(generation) = refresh_batch(db, batch).await? {
            events.publish(Change::RankingMoved { generation }).await;
            newest = Some(generation);
        }
    }
    Ok(newest)
}

/// Re-ranks the papers of `batch` in one transaction; the generation it started, if any
/// paper's rank changed.
async fn refresh_batch(db: &Database, batch: &[i64]) -> AppResult<Option<i64>> {
    let transaction = db.writer().begin().await?;
    Exclusive::RankingRefresh.lock(&transaction).await?;
    // An upvote updates its paper's row before it queues the paper. Holding the rows we
    // re-rank makes an upvote that comes after wait for this commit, so its queueing is not
    // lost to the delete below; skipping rows an upvote holds leaves that paper queued for
    // the next refresh instead of waiting for the upvote (SQLite has one writer: no waits).
    let papers: Vec<RankingInputs> = paper::Entity::find()
        .select_only()
        .columns([
            paper::Column::Id,
            paper::Column::UpvoteCount,
            paper::Column::RankCount,
            paper::Column::HotScore,
            paper::Column::SubmittedAt,
        ])
        .filter(paper::Column::Id.is_in(batch.iter().copied()))
        .lock_with_behavior(LockType::Update, LockBehavior::SkipLocked)
        .into_tuple()
        .all(&transaction)
        .await?;
    if papers.is_empty() {
        return Ok(None);
    }
    let next = generation(&transaction).await? + 1;
    let mut replaced = Vec::new();
    let mut ranks = Vec::new();
    for &(id, upvote_count, rank_count, score, submitted_at) in &papers {
        if upvote_count != rank_count {
            ranks.push(Ranked {
                id,
                count: upvote_count,
                score: hot_score(upvote_count, submitted_at),
            });
            replaced.push(ranking_history::ActiveModel {
                paper_id: Set(id),
                generation: Set(next),
                rank_count: Set(rank_count),
                hot_score: Set(score),
            });
        }
    }
    ranking_queue::Entity::delete_many()
        .filter(ranking_queue::Column::PaperId.is_in(papers.iter().map(|paper| paper.0)))
        .exec(&transaction)
        .await?;
    if ranks.is_empty() {
        // Upvotes that cancelled out: nothing to re-rank, and no new generation.
        transaction.commit().await?;
        return Ok(None);
    }
    ranking_history::Entity::insert_many(replaced)
        .exec(&transaction)
        .await?;
    update_ranks(&transaction, db.backend(), &ranks).await?;
    ranking_state::Entity::update_many()
        .col_expr(ranking_state::Column::Generation, Expr::val(next))
        .filter(ranking_state::Column::Id.eq(STATE_ROW))
        .exec(&transaction)
        .await?;
    ranking_generation::Entity::insert(ranking_generation::ActiveModel {
        generation: Set(next),
        refreshed_at: Set(clock::now()),
    })
    .exec(&transaction)
    .await?;
    transaction.commit().await?;
    Ok(Some(next))
}

/// One statement sets `rank_count` and `hot_score` of many papers, joined to a list of
/// values: a refresh under load re-ranks hundreds, and the query builder would issue one
/// statement per paper.
async fn update_ranks(
    db: &impl ConnectionTrait,
    backend: DbBackend,
    ranks: &[Ranked],
) -> AppResult<()> {
    if ranks.is_empty() {
        return Ok(());
    }
    let rows = vec!["(?, ?, ?)"; ranks.len()].join(", ");
    let sql = format!(
        "WITH ranked (id, rank_count, hot_score) AS (VALUES {rows}) \
         UPDATE papers SET rank_count = ranked.rank_count, hot_score = ranked.hot_score \
         FROM ranked WHERE papers.id = ranked.id"
    );
    let values = ranks
        .iter()
        .flat_map(|rank| [rank.id.into(), rank.count.into(), rank.score.into()])
        .collect::<Vec<Value>>();
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
    let retention = chrono::Duration::from_std(HISTORY_RETENTION).unwrap_or(chrono::Duration::MAX);
    let cutoff = clock::now() - retention;
    let writer = db.writer();
    let expired: Option<i64> = ranking_generation::Entity::find()
        .select_only()
        .column_as(ranking_generation::Column::Generation.max(), "generation")
        .filter(ranking_generation::Column::RefreshedAt.lt(cutoff))
        .into_tuple::<Option<i64>>()
        .one(writer)
        .await?
        .flatten();
    let Some(expired) = expired else {
        return Ok(0);
    };
    // Cursors of generation `expired` or later need only rows of later generations.
    let history = ranking_history::Entity::delete_many()
        .filter(ranking_history::Column::Generation.lte(expired))
        .exec(writer)
        .await?
        .rows_affected;
    ranking_generation::Entity::delete_many()
        .filter(ranking_generation::Column::Generation.lt(expired))
        .exec(writer)
        .await?;
    Ok(history)
}

/// The id of `ranking_state`'s one row.
const STATE_ROW: i32 = 1;

/// The current ranking generation.
///
/// # Errors
/// `INTERNAL_SERVER_ERROR` on database failure.
pub async fn generation(db: &impl ConnectionTrait) -> AppResult<i64> {
    let state = ranking_state::Entity::find_by_id(STATE_ROW).one(db).await?;
    Ok(state.map_or(0, |state| state.generation))
}
