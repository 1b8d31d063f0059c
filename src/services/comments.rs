//! Comments: writing them (add, edit, delete, upvote) and the lists they make.
//!
//! Stored counts — a paper's `comment_count`, a comment's `reply_count` and `upvote_count`
//! — are kept by database triggers (migration 000020), so every write here is a single
//! statement that stays exact under any concurrency. Lists are ranges of an index whose
//! leading column is the owner (the paper, the parent comment, the author): see
//! [`OwnedList`].

use std::collections::{HashMap, HashSet};

use entity::{comment, comment_upvote, user};
use sea_orm::ActiveValue::{NotSet, Set};
use sea_orm::sea_query::{Alias, Asterisk, Expr, ExprTrait, JoinType, OnConflict, Query};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbErr, EntityTrait, FromQueryResult, IdenStatic, Iterable,
    PaginatorTrait, QueryFilter, QueryResult,
};

use crate::clock;
use crate::domain::comment::{CommentBody, reply_depth};
use crate::error::{AppError, AppResult};
use crate::events::Change;
use crate::pagination::{KeyPart, Keyset, ListKind, Page, PageRequest};

use super::keyset::OwnedList;
use super::{Context, notifications, sql};

/// The orders of a paper's top-level comments.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CommentOrder {
    Newest,
    Oldest,
    /// Most upvoted first, then newest.
    Top,
}

/// A list of comments that belongs to one row.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CommentList {
    /// A paper's top-level comments.
    OfPaper(CommentOrder),
    /// A comment's direct replies, oldest first.
    Replies,
    /// A user's comments (not deleted ones), newest first.
    ByAuthor,
}

impl CommentList {
    /// The cursor family of this list.
    pub fn list_kind(self) -> ListKind {
        match self {
            Self::OfPaper(CommentOrder::Newest) => ListKind::CommentsNewest,
            Self::OfPaper(CommentOrder::Oldest) => ListKind::CommentsOldest,
            Self::OfPaper(CommentOrder::Top) => ListKind::CommentsTop,
            Self::Replies => ListKind::CommentReplies,
            Self::ByAuthor => ListKind::CommentsByAuthor,
        }
    }

    /// The types of a cursor's key parts (before the id).
    pub fn cursor_shape(self) -> Vec<KeyPart> {
        match self {
            Self::OfPaper(CommentOrder::Top) => vec![KeyPart::Int(0)],
            _ => Vec::new(),
        }
    }

    /// The position of `comment` in this list.
    pub fn key_of(self, comment: &comment::Model) -> Keyset {
        let parts = match self {
            Self::OfPaper(CommentOrder::Top) => vec![KeyPart::Int(comment.upvote_count.into())],
            _ => Vec::new(),
        };
        Keyset {
            parts,
            id: comment.id,
            generation: None,
        }
    }

    /// The list as index ranges, each row with its author's columns (prefixed
    /// [`AUTHOR_PREFIX`]) and, for a signed-in `viewer`, whether they upvoted it: the rows a
    /// thread shows, in one statement.
    fn owned(self, viewer: Option<i64>) -> OwnedList {
        let column = |column: comment::Column| Expr::col((comment::Entity, column));
        let mut rows = Query::select();
        rows.column((comment::Entity, Asterisk))
            .from(comment::Entity)
            .join(
                JoinType::LeftJoin,
                user::Entity,
                Expr::col((user::Entity, user::Column::Id))
                    .equals((comment::Entity, comment::Column::AuthorId)),
            );
        for author_column in user::Column::iter() {
            rows.expr_as(
                Expr::col((user::Entity, author_column)),
                Alias::new(format!("{AUTHOR_PREFIX}{}", author_column.as_str())),
            );
        }
        if let Some(viewer) = viewer {
            rows.expr_as(upvoted_by_viewer(viewer), Alias::new(VIEWER_UPVOTED));
        }
        let (owner, order, descending) = match self {
            Self::OfPaper(order) => {
                rows.and_where(column(comment::Column::ParentId).is_null());
                let (order, descending) = match order {
                    CommentOrder::Newest => (vec![column(comment::Column::Id)], true),
                    CommentOrder::Oldest => (vec![column(comment::Column::Id)], false),
                    CommentOrder::Top => (
                        vec![
                            column(comment::Column::UpvoteCount),
                            column(comment::Column::Id),
                        ],
                        true,
                    ),
                };
                (column(comment::Column::PaperId), order, descending)
            }
            Self::Replies => (
                column(comment::Column::ParentId),
                vec![column(comment::Column::Id)],
                false,
            ),
            Self::ByAuthor => {
                rows.and_where(column(comment::Column::Deleted).eq(false));
                (
                    column(comment::Column::AuthorId),
                    vec![column(comment::Column::Id)],
                    true,
                )
            }
        };
        OwnedList {
            rows,
            owner,
            order,
            descending,
        }
    }
}

/// Whether `viewer` upvoted the comment of the enclosing row.
fn upvoted_by_viewer(viewer: i64) -> sea_orm::sea_query::SimpleExpr {
    Expr::exists(
        Query::select()
            .expr(Expr::val(1))
            .from(comment_upvote::Entity)
            .and_where(
                Expr::col((comment_upvote::Entity, comment_upvote::Column::CommentId))
                    .equals((comment::Entity, comment::Column::Id)),
            )
            .and_where(
                Expr::col((comment_upvote::Entity, comment_upvote::Column::UserId)).eq(viewer),
            )
            .to_owned(),
    )
}

/// The prefix of the author's columns in a thread row.
const AUTHOR_PREFIX: &str = "author_user_";
/// The column saying whether the viewer upvoted the comment.
const VIEWER_UPVOTED: &str = "viewer_upvoted";

/// A comment as a thread shows it.
#[derive(Debug, Clone)]
pub struct ThreadRow {
    pub comment: comment::Model,
    /// `None` when the account is gone.
    pub author: Option<user::Model>,
    /// Whether the viewer the rows were read for upvoted it (`None`: read anonymously).
    pub viewer_upvoted: Option<bool>,
}

impl ThreadRow {
    fn read(row: &QueryResult, viewer: Option<i64>) -> Result<Self, DbErr> {
        let author_id: Option<i64> = row.try_get("", &format!("{AUTHOR_PREFIX}id"))?;
        let author = match author_id {
            Some(_) => Some(user::Model::from_query_result(row, AUTHOR_PREFIX)?),
            None => None,
        };
        let viewer_upvoted = match viewer {
            Some(_) => Some(row.try_get::<bool>("", VIEWER_UPVOTED).or_else(|_| {
                row.try_get::<i64>("", VIEWER_UPVOTED)
                    .map(|value| value != 0)
            })?),
            None => None,
        };
        Ok(Self {
            comment: comment::Model::from_query_result(row, "")?,
            author,
            viewer_upvoted,
        })
    }
}

/// The first `limit` comments of each owner's `list` with their authors and the viewer's
/// upvotes, in one statement.
///
/// # Errors
/// `INTERNAL_SERVER_ERROR` on database failure.
pub async fn first_pages(
    db: &impl ConnectionTrait,
    list: CommentList,
    owner_ids: &[i64],
    limit: u64,
    viewer: Option<i64>,
) -> AppResult<HashMap<i64, Vec<ThreadRow>>> {
    list.owned(viewer)
        .read_first_pages(db, owner_ids, limit, |row| ThreadRow::read(row, viewer))
        .await
}

/// One owner's page of `list` after (or before) the request's cursors, with authors and
/// the viewer's upvotes.
///
/// # Errors
/// `BAD_USER_INPUT` for an out-of-range cursor; `INTERNAL_SERVER_ERROR` on database failure.
pub async fn page(
    db: &impl ConnectionTrait,
    list: CommentList,
    owner_id: i64,
    request: &PageRequest,
    viewer: Option<i64>,
) -> AppResult<Page<ThreadRow>> {
    let statement = list.owned(viewer).page(owner_id, request)?;
    let rows = db
        .query_all_raw(db.get_database_backend().build(&statement))
        .await?;
    let comments = rows
        .iter()
        .map(|row| ThreadRow::read(row, viewer))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(request.into_page(comments))
}

/// How many comments `list` holds for `owner_id` (replies are counted by the parent's
/// stored `reply_count` instead).
///
/// # Errors
/// `INTERNAL_SERVER_ERROR` on database failure.
pub async fn count(db: &impl ConnectionTrait, list: CommentList, owner_id: i64) -> AppResult<u64> {
    let select = comment::Entity::find();
    let select = match list {
        CommentList::OfPaper(_) => select
            .filter(comment::Column::PaperId.eq(owner_id))
            .filter(comment::Column::ParentId.is_null()),
        CommentList::Replies => select.filter(comment::Column::ParentId.eq(owner_id)),
        CommentList::ByAuthor => select
            .filter(comment::Column::AuthorId.eq(owner_id))
            .filter(comment::Column::Deleted.eq(false)),
    };
    Ok(select.count(db).await?)
}

/// The comments with these ids.
///
/// # Errors
/// `INTERNAL_SERVER_ERROR` on database failure.
pub async fn by_ids(
    db: &impl ConnectionTrait,
    ids: &[i64],
) -> AppResult<HashMap<i64, comment::Model>> {
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    let rows = comment::Entity::find()
        .filter(comment::Column::Id.is_in(ids.iter().copied()))
        .all(db)
        .await?;
    Ok(rows.into_iter().map(|row| (row.id, row)).collect())
}

/// Which of `comment_ids` user `user_id` upvoted.
///
/// # Errors
/// `INTERNAL_SERVER_ERROR` on database failure.
pub async fn upvoted_by(
    db: &impl ConnectionTrait,
    user_id: i64,
    comment_ids: &[i64],
) -> AppResult<HashSet<i64>> {
    if comment_ids.is_empty() {
        return Ok(HashSet::new());
    }
    let rows = comment_upvote::Entity::find()
        .filter(comment_upvote::Column::UserId.eq(user_id))
        .filter(comment_upvote::Column::CommentId.is_in(comment_ids.iter().copied()))
        .all(db)
        .await?;
    Ok(rows.into_iter().map(|row| row.comment_id).collect())
}

/// What a comment's viewer-dependent fields need to know about it for one viewer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ViewerFacts {
    pub author_id: Option<i64>,
    pub hidden: bool,
    pub deleted: bool,
    /// Whether the viewer upvoted it.
    pub upvoted: bool,
}

/// [`ViewerFacts`] of `comment_ids` for user `viewer_id`, in one statement.
///
/// # Errors
/// `INTERNAL_SERVER_ERROR` on database failure.
pub async fn viewer_facts(
    db: &impl ConnectionTrait,
    viewer_id: i64,
    comment_ids: &[i64],
) -> AppResult<HashMap<i64, ViewerFacts>> {
    if comment_ids.is_empty() {
        return Ok(HashMap::new());
    }
    let statement = Query::select()
        .columns([
            (comment::Entity, comment::Column::Id),
            (comment::Entity, comment::Column::AuthorId),
            (comment::Entity, comment::Column::Hidden),
            (comment::Entity, comment::Column::Deleted),
        ])
        .expr(upvoted_by_viewer(viewer_id))
        .from(comment::Entity)
        .and_where(
            Expr::col((comment::Entity, comment::Column::Id)).is_in(comment_ids.iter().copied()),
        )
        .to_owned();
    let rows = db
        .query_all_raw(db.get_database_backend().build(&statement))
        .await?;
    let mut facts = HashMap::with_capacity(rows.len());
    for row in rows {
        let id: i64 = row.try_get_by_index(0)?;
        facts.insert(
            id,
            ViewerFacts {
                author_id: row.try_get_by_index(1)?,
                hidden: row.try_get_by_index(2)?,
                deleted: row.try_get_by_index(3)?,
                upvoted: flag_at(&row, 4)?,
            },
        );
    }
    Ok(facts)
}

/// A boolean expression's value: a `boolean` on PostgreSQL, an integer on SQLite.
fn flag_at(row: &QueryResult, index: usize) -> Result<bool, DbErr> {
    row.try_get_by_index::<bool>(index)
        .or_else(|_| row.try_get_by_index::<i64>(index).map(|value| value != 0))
}

/// A comment to add.
#[derive(Debug, Clone)]
pub struct NewComment {
    pub paper_id: i64,
    pub parent_id: Option<i64>,
    pub body: CommentBody,
}

/// `author_id` comments on a paper (within their rate limit), and the comment is published.
///
/// # Errors
/// `RATE_LIMITED` beyond the limit; `NOT_FOUND` for a missing paper or parent;
/// `BAD_USER_INPUT` for a parent on another paper, a deleted parent, or a thread at its
/// deepest.
pub async fn add(ctx: Context<'_>, author_id: i64, new: NewComment) -> AppResult<comment::Model> {
    ctx.limits.comments.take(author_id).await?;
    let db = ctx.db.writer();
    // A missing paper is the insert's foreign key (`gone`); a reply's parent is read anyway.
    let (depth, parent_author) = match new.parent_id {
        None => (0, None),
        Some(parent_id) => reply_position(db, &new, parent_id).await?,
    };
    let row = comment::ActiveModel {
        id: NotSet,
        paper_id: Set(new.paper_id),
        author_id: Set(Some(author_id)),
        parent_id: Set(new.parent_id),
        depth: Set(depth),
        body: Set(new.body.markdown),
        body_html: Set(new.body.html),
        created_at: Set(clock::stored(clock::now())),
        edited_at: Set(None),
        deleted: Set(false),
        hidden: Set(false),
        upvote_count: Set(0),
        reply_count: Set(0),
    };
    let stored = comment::Entity::insert(row)
        .exec_with_returning(db)
        .await
        .map_err(sql::missing("paper"))?;
    ctx.events
        .publish(Change::CommentAdded {
            paper_id: stored.paper_id,
            comment_id: stored.id,
        })
        .await;
    notifications::for_comment(ctx, &stored, parent_author).await?;
    Ok(stored)
}

/// The depth of a reply to `parent_id`, which must be a live comment on the same paper,
/// and the parent's author.
async fn reply_position(
    db: &impl ConnectionTrait,
    new: &NewComment,
    parent_id: i64,
) -> AppResult<(i32, Option<i64>)> {
    let parent = comment::Entity::find_by_id(parent_id)
        .one(db)
        .await?
        .ok_or(AppError::NotFound {
            resource: "comment",
        })?;
    if parent.paper_id != new.paper_id {
        return Err(AppError::bad_input(
            "input.parentId",
            "the parent comment is on another paper",
        ));
    }
    if parent.deleted {
        return Err(AppError::bad_input(
            "input.parentId",
            "the parent comment was deleted",
        ));
    }
    let depth = reply_depth(parent.depth)
        .map_err(|message| AppError::bad_input("input.parentId", message))?;
    Ok((depth, parent.author_id))
}

/// `editor_id` rewrites their comment's body; `editedAt` is set and the change published.
///
/// # Errors
/// `NOT_FOUND` for a missing or deleted comment; `FORBIDDEN` for someone else's.
pub async fn edit(
    ctx: Context<'_>,
    editor_id: i64,
    comment_id: i64,
    body: CommentBody,
) -> AppResult<comment::Model> {
    let db = ctx.db.writer();
    let current = live_comment(db, comment_id).await?;
    if current.author_id != Some(editor_id) {
        return Err(AppError::Forbidden("only its author can edit a comment"));
    }
    let updated = comment::Entity::update_many()
        .col_expr(comment::Column::Body, Expr::val(body.markdown))
        .col_expr(comment::Column::BodyHtml, Expr::val(body.html))
        .col_expr(
            comment::Column::EditedAt,
            Expr::val(clock::stored(clock::now())),
        )
        .filter(comment::Column::Id.eq(comment_id))
        .filter(comment::Column::Deleted.eq(false))
        .exec_with_returning(db)
        .await?
        .into_iter()
        .next()
        .ok_or(AppError::NotFound {
            resource: "comment",
        })?;
    publish_changed(ctx, &updated).await;
    Ok(updated)
}

/// What a deletion did.
#[derive(Debug, Clone)]
pub enum Deletion {
    /// The comment had replies: it stays as a tombstone.
    Tombstoned(comment::Model),
    /// The comment had no replies: it is gone (as it was before).
    Removed(comment::Model),
}

impl Deletion {
    /// The comment's author.
    pub fn author_id(&self) -> Option<i64> {
        match self {
            Self::Tombstoned(comment) | Self::Removed(comment) => comment.author_id,
        }
    }
}

/// Deletes a comment for its author or a moderator (`may_moderate`): a comment with
/// replies becomes a tombstone (empty body, `deleted`), one without disappears.
///
/// # Errors
/// `NOT_FOUND` for a missing or already deleted comment; `FORBIDDEN` for someone else's
/// comment and a viewer who does not moderate.
pub async fn delete(
    ctx: Context<'_>,
    viewer_id: i64,
    may_moderate: bool,
    comment_id: i64,
) -> AppResult<Deletion> {
    let db = ctx.db.writer();
    let current = live_comment(db, comment_id).await?;
    if current.author_id != Some(viewer_id) && !may_moderate {
        return Err(AppError::Forbidden(
            "only its author or a moderator can delete a comment",
        ));
    }
    // A reply arriving meanwhile raises `reply_count` first (its trigger locks the row), so
    // the comment is then kept as a tombstone rather than taking the reply with it.
    let removed = comment::Entity::delete_many()
        .filter(comment::Column::Id.eq(comment_id))
        .filter(comment::Column::ReplyCount.eq(0))
        .exec(db)
        .await?
        .rows_affected;
    let deletion = if removed > 0 {
        Deletion::Removed(current.clone())
    } else {
        notifications::withdraw_for_comment(db, comment_id).await?;
        let tombstone = comment::Entity::update_many()
            .col_expr(comment::Column::Body, Expr::val(""))
            .col_expr(comment::Column::BodyHtml, Expr::val(""))
            .col_expr(comment::Column::Deleted, Expr::val(true))
            .filter(comment::Column::Id.eq(comment_id))
            .filter(comment::Column::Deleted.eq(false))
            .exec_with_returning(db)
            .await?
            .into_iter()
            .next()
            .ok_or(AppError::NotFound {
                resource: "comment",
            })?;
        Deletion::Tombstoned(tombstone)
    };
    ctx.events
        .publish(Change::CommentChanged {
            paper_id: current.paper_id,
            comment_id,
        })
        .await;
    Ok(deletion)
}

/// `user_id` upvotes a comment (within the upvote rate limit); a repeated upvote changes
/// nothing.
///
/// # Errors
/// `RATE_LIMITED` beyond the limit; `NOT_FOUND` for a missing or deleted comment.
pub async fn upvote(ctx: Context<'_>, user_id: i64, comment_id: i64) -> AppResult<comment::Model> {
    ctx.limits.upvotes.take(user_id).await?;
    let db = ctx.db.writer();
    live_comment(db, comment_id).await?;
    let row = comment_upvote::ActiveModel {
        comment_id: Set(comment_id),
        user_id: Set(user_id),
        created_at: Set(clock::stored(clock::now())),
    };
    let inserted = comment_upvote::Entity::insert(row)
        .on_conflict(
            OnConflict::columns([
                comment_upvote::Column::CommentId,
                comment_upvote::Column::UserId,
            ])
            .do_nothing()
            .to_owned(),
        )
        .exec_without_returning(db)
        .await
        .map_err(sql::missing("comment"))?;
    after_vote(ctx, comment_id, inserted > 0).await
}

/// `user_id` takes back their upvote of a comment; removing an absent upvote changes
/// nothing.
///
/// # Errors
/// `RATE_LIMITED` beyond the limit; `NOT_FOUND` for a missing or deleted comment.
pub async fn remove_upvote(
    ctx: Context<'_>,
    user_id: i64,
    comment_id: i64,
) -> AppResult<comment::Model> {
    ctx.limits.upvotes.take(user_id).await?;
    let db = ctx.db.writer();
    live_comment(db, comment_id).await?;
    let removed = comment_upvote::Entity::delete_many()
        .filter(comment_upvote::Column::CommentId.eq(comment_id))
        .filter(comment_upvote::Column::UserId.eq(user_id))
        .exec(db)
        .await?
        .rows_affected;
    after_vote(ctx, comment_id, removed > 0).await
}

async fn after_vote(ctx: Context<'_>, comment_id: i64, changed: bool) -> AppResult<comment::Model> {
    let comment = comment::Entity::find_by_id(comment_id)
        .one(ctx.db.writer())
        .await?
        .ok_or(AppError::NotFound {
            resource: "comment",
        })?;
    if changed {
        publish_changed(ctx, &comment).await;
    }
    Ok(comment)
}

async fn publish_changed(ctx: Context<'_>, comment: &comment::Model) {
    ctx.events
        .publish(Change::CommentChanged {
            paper_id: comment.paper_id,
            comment_id: comment.id,
        })
        .await;
}

/// The comment `comment_id`, unless it is missing or deleted.
async fn live_comment(db: &impl ConnectionTrait, comment_id: i64) -> AppResult<comment::Model> {
    comment::Entity::find_by_id(comment_id)
        .one(db)
        .await?
        .filter(|comment| !comment.deleted)
        .ok_or(AppError::NotFound {
            resource: "comment",
        })
}
