//! SQLite: a group of upvotes written in one transaction by set statements — one `INSERT`
//! of the added rows, one `DELETE` of the removed, one read of the papers they touch — so
//! that the group costs a few statements, not two per upvote (each statement is a hand-off
//! to the connection's thread, and SQLite has one writer). The limit was taken in memory
//! beforehand. Upvotes of the same user and paper within a group are written in their
//! order, one set of distinct pairs after the other. When a set statement fails (an account
//! deleted meanwhile), SQLite undoes just that statement, and its upvotes are written one
//! statement each, so that only the one concerned fails.

use std::collections::{HashMap, HashSet};

use entity::{paper, upvote};
use sea_orm::ActiveValue::Set;
use sea_orm::sea_query::OnConflict;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseTransaction, DbBackend, DbErr, EntityTrait, QueryFilter,
    Statement, TransactionTrait, Value,
};

use super::{Cast, UpvoteWrite, distinct_runs};
use crate::db::Database;
use crate::services::sql::placeholders;

/// Writes `writes` in one transaction and answers each, in order, after the commit.
pub(super) async fn write_group(
    db: Database,
    writes: Vec<UpvoteWrite>,
) -> Vec<Result<Cast, DbErr>> {
    match write_and_read(&db, &writes).await {
        Ok(casts) => casts,
        Err(error) => {
            tracing::warn!(%error, writes = writes.len(), "an upvote group failed; nothing of it is stored");
            writes
                .iter()
                .map(|_| Err(DbErr::Custom(format!("the upvote group failed: {error}"))))
                .collect()
        }
    }
}

async fn write_and_read(
    db: &Database,
    writes: &[UpvoteWrite],
) -> Result<Vec<Result<Cast, DbErr>>, DbErr> {
    let transaction = db.writer().begin().await?;
    let mut changed = Vec::with_capacity(writes.len());
    for run in distinct_runs(writes, |write| write.pair()) {
        changed.extend(write_run(&transaction, run).await);
    }
    let papers = papers_of(&transaction, writes).await?;
    transaction.commit().await?;
    Ok(writes
        .iter()
        .zip(changed)
        .map(|(write, changed)| {
            Ok(Cast {
                refused_with: None,
                changed: u64::from(changed?),
                paper: papers.get(&write.paper_id()).cloned(),
            })
        })
        .collect())
}

/// Writes a run of distinct pairs: whether each changed a row. A missing paper changes
/// nothing (its absence shows when the papers are read).
async fn write_run(
    transaction: &DatabaseTransaction,
    run: &[UpvoteWrite],
) -> Vec<Result<bool, DbErr>> {
    let (adds, removes): (Vec<UpvoteWrite>, Vec<UpvoteWrite>) =
        run.iter().partition(|write| write.adds());
    let mut outcomes = HashMap::with_capacity(run.len());
    for set in [adds, removes] {
        if set.is_empty() {
            continue;
        }
        match set_statement(transaction, &set).await {
            Ok(changed) => {
                let changed: HashSet<(i64, i64)> = changed.into_iter().collect();
                for write in &set {
                    outcomes.insert(write.pair(), Ok(changed.contains(&write.pair())));
                }
            }
            Err(error) => {
                tracing::debug!(%error, writes = set.len(), "a set of upvotes failed; writing each alone");
                for write in &set {
                    let alone = write_alone(transaction, *write).await.map(|rows| rows > 0);
                    outcomes.insert(write.pair(), alone);
                }
            }
        }
    }
    run.iter()
        .map(|write| outcomes.remove(&write.pair()).unwrap_or(Ok(false)))
        .collect()
}

/// Inserts (or deletes) every pair of `set` in one statement; the pairs it changed.
async fn set_statement(
    transaction: &DatabaseTransaction,
    set: &[UpvoteWrite],
) -> Result<Vec<(i64, i64)>, DbErr> {
    let adding = set.first().is_some_and(|write| write.adds());
    let mut values: Vec<Value> = Vec::with_capacity(set.len() * 3);
    let rows = set
        .iter()
        .map(|write| {
            values.push(write.user_id().into());
            values.push(write.paper_id().into());
            if adding {
                values.push(write.cast_at().into());
                format!("({})", placeholders(3))
            } else {
                format!("({})", placeholders(2))
            }
        })
        .collect::<Vec<_>>()
        .join(", ");
    let sql = if adding {
        // The `WHERE` also keeps SQLite from reading `ON CONFLICT` as part of a join.
        format!(
            "INSERT INTO upvotes (user_id, paper_id, created_at) \
             SELECT v.column1, v.column2, v.column3 FROM (VALUES {rows}) AS v \
             WHERE EXISTS (SELECT 1 FROM papers AS p WHERE p.id = v.column2) \
             ON CONFLICT (user_id, paper_id) DO NOTHING RETURNING user_id, paper_id"
        )
    } else {
        format!(
            "DELETE FROM upvotes WHERE (user_id, paper_id) IN (VALUES {rows}) \
             RETURNING user_id, paper_id"
        )
    };
    let changed = transaction
        .query_all_raw(Statement::from_sql_and_values(
            DbBackend::Sqlite,
            sql,
            values,
        ))
        .await?;
    changed
        .iter()
        .map(|row| Ok((row.try_get_by_index(0)?, row.try_get_by_index(1)?)))
        .collect()
}

/// Writes `write` with a statement of its own: the rows it changed (0 when the upvote was
/// already there, or already gone).
async fn write_alone(transaction: &DatabaseTransaction, write: UpvoteWrite) -> Result<u64, DbErr> {
    match write {
        UpvoteWrite::Add {
            user_id,
            paper_id,
            at,
        } => {
            let row = upvote::ActiveModel {
                user_id: Set(user_id),
                paper_id: Set(paper_id),
                created_at: Set(at),
            };
            upvote::Entity::insert(row)
                .on_conflict(
                    OnConflict::columns([upvote::Column::UserId, upvote::Column::PaperId])
                        .do_nothing()
                        .to_owned(),
                )
                .exec_without_returning(transaction)
                .await
        }
        UpvoteWrite::Remove { user_id, paper_id } => Ok(upvote::Entity::delete_many()
            .filter(upvote::Column::UserId.eq(user_id))
            .filter(upvote::Column::PaperId.eq(paper_id))
            .exec(transaction)
            .await?
            .rows_affected),
    }
}

/// The papers `writes` touch, as they stand after them.
async fn papers_of(
    transaction: &DatabaseTransaction,
    writes: &[UpvoteWrite],
) -> Result<HashMap<i64, paper::Model>, DbErr> {
    let ids: HashSet<i64> = writes.iter().map(|write| write.paper_id()).collect();
    let papers = paper::Entity::find()
        .filter(paper::Column::Id.is_in(ids))
        .all(transaction)
        .await?;
    Ok(papers.into_iter().map(|paper| (paper.id, paper)).collect())
}
