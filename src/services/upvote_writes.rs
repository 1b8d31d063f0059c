//! Upvote rows written with a group commit on SQLite.
//!
//! SQLite has one writer, and a commit costs more than the insert it commits (about 300 µs
//! against 110 µs per insert in transactions of 20, on this project's bench machine). So on
//! SQLite the upvotes that arrive while the writer is busy are written together: one task
//! owns the writes, takes every request waiting (up to [`MAX_BATCH`]), runs each statement
//! in one transaction and answers each request only after the commit — an answered upvote
//! is as durable as before. A statement that fails (no such paper) fails alone: SQLite
//! undoes only that statement. PostgreSQL writes concurrently and commits cheaply: there
//! each request writes on its own.

use chrono::{DateTime, Utc};
use entity::upvote;
use sea_orm::ActiveValue::Set;
use sea_orm::sea_query::OnConflict;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbBackend, DbErr, EntityTrait, QueryFilter, TransactionTrait,
};
use tokio::sync::{mpsc, oneshot};

use crate::db::Database;

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

struct Request {
    write: UpvoteWrite,
    answer: oneshot::Sender<Result<u64, DbErr>>,
}

/// Where upvote rows are written: straight to the database, or through the group-commit
/// task on SQLite.
pub struct UpvoteWriter {
    db: Database,
    queue: Option<mpsc::Sender<Request>>,
}

impl UpvoteWriter {
    /// A writer for `db`; on SQLite this starts the group-commit task, which ends when the
    /// writer is dropped.
    pub fn start(db: &Database) -> Self {
        let queue = (db.backend() == DbBackend::Sqlite).then(|| {
            let (queue, requests) = mpsc::channel(QUEUED_REQUESTS);
            tokio::spawn(write_batches(db.clone(), requests));
            queue
        });
        Self {
            db: db.clone(),
            queue,
        }
    }

    /// Writes `write` and returns, once it is committed, the rows it changed.
    ///
    /// # Errors
    /// The statement's error (a foreign-key violation for a missing paper or user), or the
    /// commit's.
    pub async fn write(&self, write: UpvoteWrite) -> Result<u64, DbErr> {
        let Some(queue) = &self.queue else {
            return write.execute(self.db.writer()).await;
        };
        let (answer, answered) = oneshot::channel();
        queue
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
