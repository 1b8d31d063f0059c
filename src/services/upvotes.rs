//! Upvotes: casting and removing them, and the lists they make.
//!
//! An upvote is one row per (user, paper). Database triggers keep `papers.upvote_count`
//! equal to the baseline plus the rows on every insert and delete, so an upvote is a single
//! statement: exact under any concurrency, and idempotent through the primary key.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};
use entity::{paper, upvote, user};
use sea_orm::sea_query::{Alias, Asterisk, DynIden, Expr, ExprTrait, IntoIden, Query};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbErr, EntityTrait, FromQueryResult, QueryFilter, QuerySelect,
    SqlErr,
};

use crate::clock;
use crate::error::{AppError, AppResult};
use crate::pagination::{KeyPart, Keyset, ListKind, Page, PageRequest};

use crate::events::Change;

use super::keyset::{OWNER_ID, OwnedList};
use super::upvote_writes::UpvoteWrite;
use super::{Context, papers, sql};

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
    apply(ctx, write, paper_id).await
}

/// `user_id` takes back their upvote of `paper_id` (within their rate limit) and the change
/// is published; removing an upvote that is not there changes nothing.
///
/// # Errors
/// `RATE_LIMITED` beyond the user's limit; `NOT_FOUND` when there is no such paper.
pub async fn remove(ctx: Context<'_>, user_id: i64, paper_id: i64) -> AppResult<UpvoteOutcome> {
    apply(ctx, UpvoteWrite::Remove { user_id, paper_id }, paper_id).await
}

async fn apply(ctx: Context<'_>, write: UpvoteWrite, paper_id: i64) -> AppResult<UpvoteOutcome> {
    ctx.limits.upvotes.take(write.user_id()).await?;
    let changed = ctx
        .upvote_writer
        .write(write)
        .await
        .map_err(missing_paper)?;
    let outcome = outcome(ctx.db, paper_id, changed > 0).await?;
    publish(ctx, &outcome).await;
    Ok(outcome)
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

async fn outcome(
    db: &crate::db::Database,
    paper_id: i64,
    changed: bool,
) -> AppResult<UpvoteOutcome> {
    // The write has committed, so any read begun now sees it; a reader leaves SQLite's one
    // writer free for the next write.
    let paper = papers::by_id(db.reader(), paper_id)
        .await?
        .ok_or(AppError::NotFound { resource: "paper" })?;
    Ok(UpvoteOutcome { paper, changed })
}

fn missing_paper(error: DbErr) -> AppError {
    match error.sql_err() {
        Some(SqlErr::ForeignKeyConstraintViolation(_)) => AppError::NotFound { resource: "paper" },
        _ => error.into(),
    }
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
        vec![KeyPart::Time(0)]
    }

    /// The upvotes column naming the list's owner.
    fn owner_column(self) -> upvote::Column {
        match self {
            Self::UpvotersOf => upvote::Column::PaperId,
            Self::UpvotedBy => upvote::Column::UserId,
        }
    }

    /// The upvotes column naming the listed row.
    fn listed_column(self) -> upvote::Column {
        match self {
            Self::UpvotersOf => upvote::Column::UserId,
            Self::UpvotedBy => upvote::Column::PaperId,
        }
    }

    /// The table of the listed rows.
    fn listed_table(self) -> DynIden {
        match self {
            Self::UpvotersOf => user::Entity.into_iden(),
            Self::UpvotedBy => paper::Entity.into_iden(),
        }
    }

    /// The list as a range of the upvotes index `(owner, created_at, listed)`: the listed
    /// rows with the time of each upvote as `upvoted_at`, newest upvote first.
    fn list(self) -> OwnedList {
        let listed = self.listed_table();
        let rows = Query::select()
            .column((listed.clone(), Asterisk))
            .expr_as(
                Expr::col((upvote::Entity, upvote::Column::CreatedAt)),
                Alias::new(UPVOTED_AT),
            )
            .from(upvote::Entity)
            .inner_join(
                listed.clone(),
                Expr::col((listed, Alias::new("id")))
                    .equals((upvote::Entity, self.listed_column())),
            )
            .to_owned();
        OwnedList {
            rows,
            owner: Expr::col((upvote::Entity, self.owner_column())),
            order: vec![
                Expr::col((upvote::Entity, upvote::Column::CreatedAt)),
                Expr::col((upvote::Entity, self.listed_column())),
            ],
            descending: true,
        }
    }
}

/// The column carrying when a listed row was upvoted.
const UPVOTED_AT: &str = "upvoted_at";

/// One listed row and when its upvote was cast.
#[derive(Debug, Clone)]
pub struct Upvoted<T> {
    pub item: T,
    pub upvoted_at: DateTime<Utc>,
}

impl<T> Upvoted<T> {
    /// The row's position in its list.
    pub fn key(&self, id: i64) -> Keyset {
        Keyset {
            parts: vec![KeyPart::time(self.upvoted_at)],
            id,
            generation: None,
        }
    }
}

/// A page of one owner's list, as a keyset range of the upvotes index.
async fn page_rows(
    db: &impl ConnectionTrait,
    list: UpvoteList,
    owner_id: i64,
    request: &PageRequest,
) -> AppResult<Vec<sea_orm::QueryResult>> {
    let statement = list.list().page(owner_id, request)?;
    let backend = db.get_database_backend();
    Ok(db.query_all_raw(backend.build(&statement)).await?)
}

/// A page of the users who upvoted `paper_id`.
///
/// # Errors
/// `BAD_USER_INPUT` for an out-of-range cursor; `INTERNAL_SERVER_ERROR` on database failure.
pub async fn upvoters(
    db: &impl ConnectionTrait,
    paper_id: i64,
    request: &PageRequest,
) -> AppResult<Page<Upvoted<user::Model>>> {
    let rows = page_rows(db, UpvoteList::UpvotersOf, paper_id, request).await?;
    Ok(request.into_page(decode(rows)?))
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
    let rows = page_rows(db, UpvoteList::UpvotedBy, user_id, request).await?;
    Ok(request.into_page(decode(rows)?))
}

fn decode<T: FromQueryResult>(rows: Vec<sea_orm::QueryResult>) -> AppResult<Vec<Upvoted<T>>> {
    rows.iter()
        .map(|row| {
            Ok(Upvoted {
                item: T::from_query_result(row, "")?,
                upvoted_at: row.try_get("", UPVOTED_AT)?,
            })
        })
        .collect()
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
    let Some(statement) = list.list().first_pages(owner_ids, limit) else {
        return Ok(HashMap::new());
    };
    let rows = db
        .query_all_raw(db.get_database_backend().build(&statement))
        .await?;
    let mut pages: HashMap<i64, Vec<Upvoted<T>>> = HashMap::new();
    for row in rows {
        let owner_id: i64 = row.try_get("", OWNER_ID)?;
        pages.entry(owner_id).or_default().push(Upvoted {
            item: T::from_query_result(&row, "")?,
            upvoted_at: row.try_get("", UPVOTED_AT)?,
        });
    }
    Ok(pages)
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
    sql::counts_by_owner::<upvote::Entity>(db, list.owner_column(), owner_ids).await
}
