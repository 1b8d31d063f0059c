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

use entity::{paper, ranking_generation, ranking_history, ranking_queue, ranking_state};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DbBackend, EntityTrait, QueryFilter,
    QuerySelect, TransactionTrait, Value,
};

use crate::clock;
use crate::db::{Database, Exclusive};
use crate::domain::ranking::hot_score;
use crate::error::AppResult;

use super::sql;

/// How long the values a refresh replaced are kept: walks that start and end within an
/// hour are exact; the margin covers clock drift between instances.
pub const HISTORY_RETENTION: std::time::Duration = std::time::Duration::from_secs(65 * 60);

/// Papers re-ranked per statement (each binds five values).
const RERANKED_PER_STATEMENT: usize = 500;

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
    Exclusive::RankingRefresh.lock(&transaction).await?;
    let queued: Vec<i64> = ranking_queue::Entity::find()
        .select_only()
        .column(ranking_queue::Column::PaperId)
        .into_tuple()
        .all(&transaction)
        .await?;
    if queued.is_empty() {
        return Ok(None);
    }
    let next = generation(&transaction).await? + 1;
    let mut changed_any = false;
    for chunk in queued.chunks(RERANKED_PER_STATEMENT) {
        // Locking the rows (PostgreSQL; SQLite has one writer) makes a concurrent upvote
        // wait until this refresh commits, so its re-queueing is not lost when the queue
        // entries are deleted below.
        let papers = paper::Entity::find()
            .filter(paper::Column::Id.is_in(chunk.iter().copied()))
            .lock_exclusive()
            .all(&transaction)
            .await?;
        let mut replaced = Vec::with_capacity(papers.len());
        let mut ranks = Vec::with_capacity(papers.len());
        for paper in papers {
            if paper.upvote_count != paper.rank_count {
                ranks.push(Ranked {
                    id: paper.id,
                    count: paper.upvote_count,
                    score: hot_score(paper.upvote_count, paper.submitted_at),
                });
                replaced.push(ranking_history::ActiveModel {
                    paper_id: Set(paper.id),
                    generation: Set(next),
                    rank_count: Set(paper.rank_count),
                    hot_score: Set(paper.hot_score),
                });
            }
        }
        changed_any |= !ranks.is_empty();
        if !replaced.is_empty() {
            ranking_history::Entity::insert_many(replaced)
                .exec(&transaction)
                .await?;
        }
        update_ranks(&transaction, backend, &ranks).await?;
        ranking_queue::Entity::delete_many()
            .filter(ranking_queue::Column::PaperId.is_in(chunk.iter().copied()))
            .exec(&transaction)
            .await?;
    }
    if !changed_any {
        // Upvotes that cancelled out: nothing to re-rank, and no new generation.
        transaction.commit().await?;
        return Ok(None);
    }
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

/// One statement sets `rank_count` and `hot_score` of many papers: a refresh under load
/// re-ranks hundreds, and one `UPDATE … CASE id` is one round trip and one index pass
/// where the query builder would issue one statement per paper.
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
