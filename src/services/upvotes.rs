//! Upvotes: casting and removing them, and the lists they make.
//!
//! An upvote is one row per (user, paper). Database triggers keep `papers.upvote_count`
//! equal to the baseline plus the rows on every insert and delete, so an upvote is a single
//! statement: exact under any concurrency, and idempotent through the primary key.

use std::collections::{HashMap, HashSet};

use entity::{paper, upvote, user};
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, FromQueryResult, QueryFilter, QuerySelect,
};

use crate::clock;
use crate::error::{AppError, AppResult};
use crate::pagination::{KeyPart, ListKind, Page, PageRequest};

use crate::events::Change;

use super::links::{LinkTable, Linked};
use super::upvote_writes::{Cast, SharedVote, UpvoteWrite};
use super::{Context, sql};

/// What an upvote mutation did.
#[derive(Debug, Clone)]
pub struct UpvoteOutcome {
    /// The paper after the change.
    pub paper: paper::Model,
    /// Whether anything changed (a repeated upvote or removal changes nothing).
    pub changed: bool,
}

/// `user_id` upvotes `paper_id` (within their rate limit) and the change is published; a
/// repeated upvote changes nothing.
///
/// # Errors
/// `RATE_LIMITED` beyond the user's limit; `NOT_FOUND` when there is no such paper.
pub async fn upvote(ctx: Context<'_>, user_id: i64, paper_id: i64) -> AppResult<UpvoteOutcome> {
    let write = UpvoteWrite::Add {
        user_id,
        paper_id,
        at: clock::now(),
    };
    apply(ctx, write).await
}

/// `user_id` takes back their upvote of `paper_id` (within their rate limit) and the change
/// is published; removing an upvote that is not there changes nothing.
///
/// # Errors
/// `RATE_LIMITED` beyond the user's limit; `NOT_FOUND` when there is no such paper.
pub async fn remove(ctx: Context<'_>, user_id: i64, paper_id: i64) -> AppResult<UpvoteOutcome> {
    apply(ctx, UpvoteWrite::Remove { user_id, paper_id }).await
}

async fn apply(ctx: Context<'_>, write: UpvoteWrite) -> AppResult<UpvoteOutcome> {
    let outcome = match ctx.limits.upvotes.shared_bucket(write.user_id()) {
        Some(bucket) => apply_shared(ctx, SharedVote { write, bucket }).await?,
        None => apply_local(ctx, write).await?,
    };
    publish(ctx, &outcome).await;
    Ok(outcome)
}

/// PostgreSQL: the shared limit, the write and the read-back are one call, shared with the
/// upvotes cast at the same time.
async fn apply_shared(ctx: Context<'_>, vote: SharedVote) -> AppResult<UpvoteOutcome> {
    let cast = ctx
        .upvote_writer
        .cast(vote)
        .await
        .map_err(sql::missing("paper"))?;
    if let Some(tokens) = cast.refused_with {
        return Err(ctx.limits.upvotes.refused_with(tokens));
    }
    outcome(cast)
}

/// SQLite: the limit in memory, then the write and the read-back with the group.
async fn apply_local(ctx: Context<'_>, write: UpvoteWrite) -> AppResult<UpvoteOutcome> {
    ctx.limits.upvotes.take(write.user_id()).await?;
    let cast = ctx
        .upvote_writer
        .write(write)
        .await
        .map_err(sql::missing("paper"))?;
    outcome(cast)
}

async fn publish(ctx: Context<'_>, outcome: &UpvoteOutcome) {
    if outcome.changed {
        let change = Change::UpvoteChanged {
            paper_id: outcome.paper.id,
            upvote_count: outcome.paper.upvote_count,
        };
        ctx.events.publish(change).await;
    }
}

/// The outcome of a write that was not refused: `NOT_FOUND` when there is no such paper.
fn outcome(cast: Cast) -> AppResult<UpvoteOutcome> {
    let paper = cast.paper.ok_or(AppError::NotFound { resource: "paper" })?;
    Ok(UpvoteOutcome {
        paper,
        changed: cast.changed > 0,
    })
}

/// Which (user, paper) pairs among `user_ids` × `paper_ids` are upvotes, in one statement
/// (one user and a page of papers, or a paper and many subscribers).
///
/// # Errors
/// `INTERNAL_SERVER_ERROR` on database failure.
pub async fn upvoted_pairs(
    db: &impl ConnectionTrait,
    user_ids: &[i64],
    paper_ids: &[i64],
) -> AppResult<HashSet<(i64, i64)>> {
    if user_ids.is_empty() || paper_ids.is_empty() {
        return Ok(HashSet::new());
    }
    let pairs: Vec<(i64, i64)> = upvote::Entity::find()
        .select_only()
        .column(upvote::Column::UserId)
        .column(upvote::Column::PaperId)
        .filter(upvote::Column::UserId.is_in(user_ids.iter().copied()))
        .filter(upvote::Column::PaperId.is_in(paper_ids.iter().copied()))
        .into_tuple()
        .all(db)
        .await?;
    Ok(pairs.into_iter().collect())
}

/// The two lists upvotes make, both newest upvote first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum UpvoteList {
    /// The users who upvoted a paper.
    UpvotersOf,
    /// The papers a user upvoted.
    UpvotedBy,
}

impl UpvoteList {
    /// The cursor family of this list.
    pub fn list_kind(self) -> ListKind {
        match self {
            Self::UpvotersOf => ListKind::UpvotersByTime,
            Self::UpvotedBy => ListKind::UpvotedPapersByTime,
        }
    }

    /// The types of a cursor's key parts.
    pub fn cursor_shape() -> Vec<KeyPart> {
        LinkTable::cursor_shape()
    }

    /// The list in the upvotes table.
    fn link(self) -> LinkTable {
        let (owner, listed, listed_table) = match self {
            Self::UpvotersOf => ("paper_id", "user_id", "users"),
            Self::UpvotedBy => ("user_id", "paper_id", "papers"),
        };
        LinkTable {
            table: "upvotes",
            owner,
            listed,
            listed_table,
        }
    }
}

/// One listed row and when its upvote was cast.
pub type Upvoted<T> = Linked<T>;

/// A page of the users who upvoted `paper_id`.
///
/// # Errors
/// `BAD_USER_INPUT` for an out-of-range cursor; `INTERNAL_SERVER_ERROR` on database failure.
pub async fn upvoters(
    db: &impl ConnectionTrait,
    paper_id: i64,
    request: &PageRequest,
) -> AppResult<Page<Upvoted<user::Model>>> {
    UpvoteList::UpvotersOf
        .link()
        .page(db, paper_id, request)
        .await
}

/// A page of the papers `user_id` upvoted.
///
/// # Errors
/// `BAD_USER_INPUT` for an out-of-range cursor; `INTERNAL_SERVER_ERROR` on database failure.
pub async fn upvoted_papers(
    db: &impl ConnectionTrait,
    user_id: i64,
    request: &PageRequest,
) -> AppResult<Page<Upvoted<paper::Model>>> {
    UpvoteList::UpvotedBy
        .link()
        .page(db, user_id, request)
        .await
}

/// The first `limit` entries of each owner's list, in one statement.
///
/// # Errors
/// `INTERNAL_SERVER_ERROR` on database failure.
pub async fn first_pages<T: FromQueryResult>(
    db: &impl ConnectionTrait,
    list: UpvoteList,
    owner_ids: &[i64],
    limit: u64,
) -> AppResult<HashMap<i64, Vec<Upvoted<T>>>> {
    list.link().first_pages(db, owner_ids, limit).await
}

/// How many upvote rows each owner has (a paper's upvoters, or a user's upvotes).
///
/// # Errors
/// `INTERNAL_SERVER_ERROR` on database failure.
pub async fn counts(
    db: &impl ConnectionTrait,
    list: UpvoteList,
    owner_ids: &[i64],
) -> AppResult<HashMap<i64, i64>> {
    list.link().counts_by_owner(db, owner_ids).await
}
