//! Upvote rows written a group at a time.
//!
//! On either database a write costs less than what carries it: on SQLite, which has one
//! writer, the commit (about 300 µs against 110 µs per insert in transactions of 20, on this
//! project's bench machine); on PostgreSQL the round trip and the commit of each call. So
//! the upvotes that arrive while the writer is busy are written together (see
//! [`GroupQueue`]) and each is answered after the group is committed — an answered upvote is
//! as durable as before:
//!
//! - SQLite: every statement in one transaction, the limit taken in memory beforehand. A
//!   statement that fails (no such paper) fails alone: SQLite undoes only that statement.
//! - PostgreSQL: one call of `cast_upvotes` (migration 000030), which casts each upvote as
//!   `cast_upvote` does — the voter's token from the shared rate limit, the row, the paper
//!   read back. A paper deleted under the call fails it whole; then each upvote of the
//!   group is cast again on its own, so that only the one concerned fails.

use chrono::{DateTime, SecondsFormat, Utc};
use entity::{paper, upvote};
use sea_orm::ActiveValue::Set;
use sea_orm::sea_query::OnConflict;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbBackend, DbErr, EntityTrait, FromQueryResult, QueryFilter,
    QueryResult, Statement, TransactionTrait,
};

use super::group_queue::GroupQueue;
use super::sql::array_literal;
use crate::db::Database;
use crate::rate_limit::SharedBucket;

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

    /// The upvoted paper.
    fn paper_id(self) -> i64 {
        match self {
            Self::Add { paper_id, .. } | Self::Remove { paper_id, .. } => paper_id,
        }
    }

    /// Whether the upvote is added (rather than removed).
    fn adds(self) -> bool {
        matches!(self, Self::Add { .. })
    }

    /// When an added upvote was cast; a removal's time is not stored.
    fn cast_at(self) -> DateTime<Utc> {
        match self {
            Self::Add { at, .. } => at,
            Self::Remove { .. } => Utc::now(),
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

/// An upvote to cast on PostgreSQL, with the voter's bucket of the shared limit.
#[derive(Debug, Clone)]
pub struct SharedVote {
    pub write: UpvoteWrite,
    pub bucket: SharedBucket,
}

/// What casting one upvote did on PostgreSQL.
#[derive(Debug)]
pub struct SharedCast {
    /// The tokens the voter's bucket held when it had none to give: nothing was written.
    pub refused_with: Option<f64>,
    /// The rows written or deleted (0 for a repeated upvote or removal).
    pub changed: u64,
    /// The paper after the change; `None` when refused, or when there is no such paper.
    pub paper: Option<paper::Model>,
}

impl SharedCast {
    /// Reads one row of `cast_upvote` or `cast_upvotes`.
    fn from_row(row: &QueryResult) -> Result<Self, DbErr> {
        if !row.try_get::<bool>("", "allowed")? {
            return Ok(Self {
                refused_with: Some(row.try_get("", "tokens")?),
                changed: 0,
                paper: None,
            });
        }
        let changed: i32 = row.try_get("", "changed")?;
        let paper = match row.try_get::<Option<i64>>("", "id")? {
            Some(_) => Some(paper::Model::from_query_result(row, "")?),
            None => None,
        };
        Ok(Self {
            refused_with: None,
            changed: u64::try_from(changed).unwrap_or(0),
            paper,
        })
    }
}

/// Takes the voter's token, writes the vote and reads the paper back, in one round trip:
/// the PostgreSQL function `cast_upvote` (migration 000028). A vote for a missing paper
/// fails on the foreign key and keeps nothing, not even the token.
///
/// # Errors
/// The call's error (a foreign-key violation for a missing paper).
async fn cast_alone(db: &impl ConnectionTrait, vote: &SharedVote) -> Result<SharedCast, DbErr> {
    let write = vote.write;
    let row = db
        .query_one_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "SELECT c.allowed, c.tokens, c.changed, (c.paper).* \
             FROM cast_upvote($1, $2, $3, $4, $5, $6, $7) AS c",
            [
                write.user_id().into(),
                write.paper_id().into(),
                write.adds().into(),
                write.cast_at().into(),
                vote.bucket.key.as_str().into(),
                f64::from(vote.bucket.rate.burst).into(),
                vote.bucket.rate.per_second.into(),
            ],
        ))
        .await?
        .ok_or_else(|| DbErr::RecordNotFound("cast_upvote returned no row".to_owned()))?;
    SharedCast::from_row(&row)
}

/// Casts `votes` in their order in one call of `cast_upvotes`, one answer each; a paper
/// that is not there is answered without a paper.
///
/// # Errors
/// The call's error, for all of them (a paper deleted during the call).
async fn cast_together(
    db: &impl ConnectionTrait,
    votes: &[SharedVote],
) -> Result<Vec<SharedCast>, DbErr> {
    let column = |part: fn(&SharedVote) -> String| array_literal(votes.iter().map(part));
    let statement = Statement::from_sql_and_values(
        DbBackend::Postgres,
        "SELECT c.allowed, c.tokens, c.changed, (c.paper).* \
         FROM cast_upvotes($1::bigint[], $2::bigint[], $3::boolean[], $4::timestamptz[], \
                           $5::text[], $6::float8[], $7::float8[]) AS c \
         ORDER BY c.ord",
        [
            column(|vote| vote.write.user_id().to_string()).into(),
            column(|vote| vote.write.paper_id().to_string()).into(),
            column(|vote| vote.write.adds().to_string()).into(),
            column(|vote| {
                vote.write
                    .cast_at()
                    .to_rfc3339_opts(SecondsFormat::Micros, true)
            })
            .into(),
            column(|vote| vote.bucket.key.clone()).into(),
            column(|vote| vote.bucket.rate.burst.to_string()).into(),
            column(|vote| vote.bucket.rate.per_second.to_string()).into(),
        ],
    );
    let rows = db.query_all_raw(statement).await?;
    if rows.len() != votes.len() {
        return Err(DbErr::Custom(format!(
            "cast_upvotes answered {} rows for {} votes",
            rows.len(),
            votes.len()
        )));
    }
    rows.iter().map(SharedCast::from_row).collect()
}

/// Casts a group on PostgreSQL: together, or — when that call fails — each on its own.
async fn cast_group(db: Database, votes: Vec<SharedVote>) -> Vec<Result<SharedCast, DbErr>> {
    if let [vote] = votes.as_slice() {
        return vec![cast_alone(db.writer(), vote).await];
    }
    match cast_together(db.writer(), &votes).await {
        Ok(casts) => casts.into_iter().map(Ok).collect(),
        Err(error) => {
            tracing::debug!(%error, votes = votes.len(), "a group of upvotes failed; casting each alone");
            let mut casts = Vec::with_capacity(votes.len());
            for vote in &votes {
                casts.push(cast_alone(db.writer(), vote).await);
            }
            casts
        }
    }
}

/// Writes a group on SQLite: every statement in one transaction, each answered after the
/// commit.
async fn write_group(db: Database, writes: Vec<UpvoteWrite>) -> Vec<Result<u64, DbErr>> {
    let outcome = async {
        let transaction = db.writer().begin().await?;
        let mut results = Vec::with_capacity(writes.len());
        for write in &writes {
            results.push(write.execute(&transaction).await);
        }
        transaction.commit().await?;
        Ok::<_, DbErr>(results)
    }
    .await;
    match outcome {
        Ok(results) => results,
        Err(error) => {
            tracing::warn!(%error, writes = writes.len(), "an upvote group failed; nothing of it is stored");
            writes
                .iter()
                .map(|_| Err(DbErr::Custom(format!("the upvote group failed: {error}"))))
                .collect()
        }
    }
}

/// The instance's writer of upvotes, grouped as its database wants.
pub enum UpvoteWriter {
    /// SQLite's group commit.
    Local(GroupQueue<UpvoteWrite, u64>),
    /// PostgreSQL's group call.
    Shared(GroupQueue<SharedVote, SharedCast>),
}

impl UpvoteWriter {
    /// Starts the task that writes `db`'s upvotes a group at a time; it ends when the
    /// writer is dropped.
    pub fn start(db: &Database) -> Self {
        if db.backend() == DbBackend::Postgres {
            Self::Shared(GroupQueue::start(db, cast_group))
        } else {
            Self::Local(GroupQueue::start(db, write_group))
        }
    }

    /// Writes `write` on SQLite and returns, once it is committed, the rows it changed.
    ///
    /// # Errors
    /// The statement's error (a foreign-key violation for a missing paper or user), or the
    /// commit's.
    pub async fn write(&self, write: UpvoteWrite) -> Result<u64, DbErr> {
        match self {
            Self::Local(queue) => queue.submit(write).await,
            Self::Shared(_) => Err(other_database()),
        }
    }

    /// Casts `vote` on PostgreSQL and returns, once it is committed, what it did.
    ///
    /// # Errors
    /// The call's error (a foreign-key violation for a missing paper or user).
    pub async fn cast(&self, vote: SharedVote) -> Result<SharedCast, DbErr> {
        match self {
            Self::Shared(queue) => queue.submit(vote).await,
            Self::Local(_) => Err(other_database()),
        }
    }
}

fn other_database() -> DbErr {
    DbErr::Custom("the upvote writer serves the other database".to_owned())
}
