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

use std::collections::HashSet;

use chrono::{DateTime, Utc};
use entity::paper;
use sea_orm::{DbBackend, DbErr};

pub use shared::SharedVote;

use super::group_queue::GroupQueue;
use crate::db::Database;

/// PostgreSQL groups cast at once by an instance. A group's call runs on one core of the
/// database; a second lane lets another group use a second core while the first commits.
/// Groups lock what they share in one order (buckets by key, then papers by id), so two at
/// once wait for each other rather than deadlock; SQLite's one writer takes one group at a
/// time.
const SHARED_LANES: usize = 2;

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
            Self::Shared(GroupQueue::start(db, SHARED_LANES, shared::cast_group))
        } else {
            Self::Local(GroupQueue::start(db, 1, local::write_group))
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

/// `items` cut, in order, into runs in which no (user, paper) pair comes twice: a set
/// statement writes each pair once, so a pair that comes again starts the next run.
fn distinct_runs<T>(items: &[T], pair: impl Fn(&T) -> (i64, i64)) -> Vec<&[T]> {
    let mut runs = Vec::new();
    let mut start = 0;
    let mut seen = HashSet::new();
    for (index, item) in items.iter().enumerate() {
        if !seen.insert(pair(item)) {
            runs.push(&items[start..index]);
            start = index;
            seen.clear();
            seen.insert(pair(item));
        }
    }
    runs.push(&items[start..]);
    runs
}

#[cfg(test)]
mod tests {
    use super::*;

    fn add(user_id: i64, paper_id: i64) -> UpvoteWrite {
        UpvoteWrite::Add {
            user_id,
            paper_id,
            at: Utc::now(),
        }
    }

    #[test]
    fn a_run_ends_where_its_pair_comes_again() {
        let writes = [
            add(1, 1),
            add(1, 2),
            UpvoteWrite::Remove {
                user_id: 1,
                paper_id: 1,
            },
            add(2, 1),
            add(1, 1),
        ];
        let runs = |writes: &[UpvoteWrite]| -> Vec<usize> {
            distinct_runs(writes, |write| write.pair())
                .iter()
                .map(|run| run.len())
                .collect()
        };
        assert_eq!(runs(&writes), [2, 2, 1]);
        assert_eq!(runs(&writes[..2]), [2]);
    }
}
