//! Upvote rows written with a group commit on SQLite.
//!
//! SQLite has one writer, and a commit costs more than the insert it commits (about 300 µs
//! against 110 µs per insert in transactions of 20, on this project's bench machine). So on
//! SQLite the upvotes that arrive while the writer is busy are written together: one task
//! owns the writes, takes every request waiting (up to [`MAX_BATCH`]), runs each statement
//! in one transaction and answers each request only after the commit — an answered upvote
//! is as durable as before. A statement that fails (no such paper) fails alone: SQLite
//! undoes only that statement. PostgreSQL writes concurrently and commits cheaply: there
//! each upvote is one call of the function `cast_upvote`, which also takes the voter's
//! token from the shared rate limit.

use chrono::{DateTime, Utc};
use entity::{paper, upvote};
use sea_orm::ActiveValue::Set;
use sea_orm::sea_query::OnConflict;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbBackend, DbErr, EntityTrait, FromQueryResult, QueryFilter,
    Statement, TransactionTrait,
};
use tokio::sync::{mpsc, oneshot};

use crate::db::Database;
use crate::rate_limit::SharedBucket;

/// Requests written in one transaction at most: enough to amortise the commit, few enough
/// that the first in a batch does not wait long for the last.
const MAX_BATCH: usize = 64;
/// Requests waiting for the writer before callers wait to queue.
const QUEUED_REQUESTS: usize = 1_024;

/// One change to the upvote rows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UpvoteWrite {
    Add {
        user_id: i64,
        paper_id: i64,
        at: DateTime<Utc>,
    },
    Remove {
        user_id: i64,
        paper_id: i64,
    },
}

impl UpvoteWrite {
    /// Whose upvote this is.
    pub fn user_id(self) -> i64 {
        match self {
            Self::Add { user_id, .. } | Self::Remove { user_id, .. } => user_id,
        }
    }

    /// Runs the statement; the rows it changed (0 when the upvote was already there, or
    /// already gone).
    async fn execute(self, db: &impl ConnectionTrait) -> Result<u64, DbErr> {
        match self {
            Self::Add {
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
                    .exec_without_returning(db)
                    .await
            }
            Self::Remove { user_id, paper_id } => Ok(upvote::Entity::delete_many()
                .filter(upvote::Column::UserId.eq(user_id))
                .filter(upvote::Column::PaperId.eq(paper_id))
                .exec(db)
                .await?
                .rows_affected),
        }
    }
}

/// What one `cast_upvote` call did on PostgreSQL.
#[derive(Debug)]
pub struct SharedCast {
    /// The tokens the voter's bucket held when it had none to give: nothing was written.
    pub refused_with: Option<f64>,
    /// The rows written or deleted (0 for a repeated upvote or removal).
    pub changed: u64,
    /// The paper after the change; `None` when refused, or when there is no such paper.
    pub paper: Option<paper::Model>,
}

/// Takes the voter's token from `bucket`, writes `write` and reads the paper back, in one
/// round trip: the PostgreSQL function `cast_upvote` (migration 000028). A vote for a
/// missing paper fails on the foreign key and keeps nothing, not even the token.
///
/// # Errors
/// The call's error (a foreign-key violation for a missing paper).
pub async fn cast_shared(
    db: &impl ConnectionTrait,
    write: UpvoteWrite,
    bucket: &SharedBucket,
) -> Result<SharedCast, DbErr> {
    let (user_id, paper_id, adding, at) = match write {
        UpvoteWrite::Add {
            user_id,
            paper_id,
            at,
        } => (user_id, paper_id, true, at),
        UpvoteWrite::Remove { user_id, paper_id } => (user_id, paper_id, false, Utc::now()),
    };
    let row = db
        .query_one_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "SELECT c.allowed, c.tokens, c.changed, (c.paper).* \
             FROM cast_upvote($1, $2, $3, $4, $5, $6, $7) AS c",
            [
                user_id.into(),
                paper_id.into(),
                adding.into(),
                at.into(),
                bucket.key.as_str().into(),
                f64::from(bucket.rate.burst).into(),
                bucket.rate.per_second.into(),
            ],
        ))
        .await?
        .ok_or_else(|| DbErr::RecordNotFound("cast_upvote returned no row".to_owned()))?;
    if !row.try_get::<bool>("", "allowed")? {
        return Ok(SharedCast {
            refused_with: Some(row.try_get("", "tokens")?),
            changed: 0,
            paper: None,
        });
    }
    let changed: i32 = row.try_get("", "changed")?;
    let paper = match row.try_get::<Option<i64>>("", "id")? {
        Some(_) => Some(paper::Model::from_query_result(&row, "")?),
        None => None,
    };
    Ok(SharedCast {
        refused_with: None,
        changed: u64::try_from(changed).unwrap_or(0),
        paper,
    })
}

struct Request {
    write: UpvoteWrite,
    answer: oneshot::Sender<Result<u64, DbErr>>,
}

/// The group-commit writer of upvote rows on SQLite (PostgreSQL casts each upvote with
/// [`cast_shared`]).
pub struct UpvoteWriter {
    queue: mpsc::Sender<Request>,
}

impl UpvoteWriter {
    /// Starts the task that writes `db`'s upvotes a batch at a time; it ends when the writer
    /// is dropped.
    pub fn start(db: &Database) -> Self {
        let (queue, requests) = mpsc::channel(QUEUED_REQUESTS);
        tokio::spawn(write_batches(db.clone(), requests));
        Self { queue }
    }

    /// Writes `write` and returns, once it is committed, the rows it changed.
    ///
    /// # Errors
    /// The statement's error (a foreign-key violation for a missing paper or user), or the
    /// commit's.
    pub async fn write(&self, write: UpvoteWrite) -> Result<u64, DbErr> {
        let (answer, answered) = oneshot::channel();
        self.queue
            .send(Request { write, answer })
            .await
            .map_err(|_| stopped())?;
        answered.await.map_err(|_| stopped())?
    }
}

fn stopped() -> DbErr {
    DbErr::Custom("the upvote writer has stopped".to_owned())
}

/// Writes the queued requests a batch at a time until every sender is gone.
async fn write_batches(db: Database, mut requests: mpsc::Receiver<Request>) {
    let mut batch = Vec::with_capacity(MAX_BATCH);
    while requests.recv_many(&mut batch, MAX_BATCH).await > 0 {
        write_batch(&db, std::mem::take(&mut batch)).await;
    }
}

/// Runs every request's statement in one transaction and answers each after the commit.
async fn write_batch(db: &Database, batch: Vec<Request>) {
    let outcome = async {
        let transaction = db.writer().begin().await?;
        let mut results = Vec::with_capacity(batch.len());
        for request in &batch {
            results.push(request.write.execute(&transaction).await);
        }
        transaction.commit().await?;
        Ok::<_, DbErr>(results)
    }
    .await;
    match outcome {
        Ok(results) => {
            for (request, result) in batch.into_iter().zip(results) {
                // A caller that went away no longer needs its answer; its row is written.
                let _gone = request.answer.send(result);
            }
        }
        Err(error) => {
            tracing::warn!(%error, writes = batch.len(), "an upvote batch failed; nothing of it is stored");
            for request in batch {
                let _gone = request.answer.send(Err(DbErr::Custom(format!(
                    "the upvote batch failed: {error}"
                ))));
            }
        }
    }
}
