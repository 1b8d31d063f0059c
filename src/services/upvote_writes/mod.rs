//! Upvotes written a group at a time.
//!
//! On either database a write costs less than what carries it: on SQLite, which has one
//! writer, the commit and each statement's hand-off to the connection's thread; on
//! PostgreSQL the round trip and the commit of each call. So the upvotes that arrive while
//! the writer is busy are written together (see [`GroupQueue`]) — by set statements in one
//! transaction on SQLite ([`local`]), by one call on PostgreSQL ([`shared`]) — and each is
//! answered after the group is committed: an answered upvote is as durable as before.

mod local;
mod shared;

use chrono::{DateTime, Utc};
use entity::{paper, upvote};
use sea_orm::ActiveValue::Set;
use sea_orm::sea_query::OnConflict;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbBackend, DbErr, EntityTrait, FromQueryResult, QueryFilter,
    QueryResult,
};

pub use shared::SharedVote;

use super::group_queue::GroupQueue;
use crate::db::Database;

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

    /// The voter and the paper.
    fn pair(self) -> (i64, i64) {
        (self.user_id(), self.paper_id())
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

/// What writing one upvote did.
#[derive(Debug)]
pub struct Cast {
    /// The tokens the voter's bucket held when it had none to give: nothing was written
    /// (PostgreSQL takes the token with the write; SQLite before it).
    pub refused_with: Option<f64>,
    /// The rows written or deleted (0 for a repeated upvote or removal).
    pub changed: u64,
    /// The paper after the change (and the others written with it); `None` when refused,
    /// or when there is no such paper.
    pub paper: Option<paper::Model>,
}

impl Cast {
    /// Reads one row of PostgreSQL's `cast_upvote` or `cast_upvotes`.
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

/// The instance's writer of upvotes, grouped as its database wants.
pub enum UpvoteWriter {
    /// SQLite's group transaction.
    Local(GroupQueue<UpvoteWrite, Cast>),
    /// PostgreSQL's group call.
    Shared(GroupQueue<SharedVote, Cast>),
}

impl UpvoteWriter {
    /// Starts the task that writes `db`'s upvotes a group at a time; it ends when the
    /// writer is dropped.
    pub fn start(db: &Database) -> Self {
        if db.backend() == DbBackend::Postgres {
            Self::Shared(GroupQueue::start(db, shared::cast_group))
        } else {
            Self::Local(GroupQueue::start(db, local::write_group))
        }
    }

    /// Writes `write` on SQLite (its limit taken) and returns, once it is committed, what
    /// it did.
    ///
    /// # Errors
    /// The statement's error (a foreign-key violation for a missing user), or the commit's.
    pub async fn write(&self, write: UpvoteWrite) -> Result<Cast, DbErr> {
        match self {
            Self::Local(queue) => queue.submit(write).await,
            Self::Shared(_) => Err(other_database()),
        }
    }

    /// Casts `vote` on PostgreSQL and returns, once it is committed, what it did.
    ///
    /// # Errors
    /// The call's error (a foreign-key violation for a missing paper or user).
    pub async fn cast(&self, vote: SharedVote) -> Result<Cast, DbErr> {
        match self {
            Self::Shared(queue) => queue.submit(vote).await,
            Self::Local(_) => Err(other_database()),
        }
    }
}

fn other_database() -> DbErr {
    DbErr::Custom("the upvote writer serves the other database".to_owned())
}
