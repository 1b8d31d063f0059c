//! The notifications inbox: who is told what, the inbox's lists and counts, and marking
//! read.
//!
//! Rules: nobody is told of their own action; one event tells each recipient once (a
//! reply that also mentions its parent's author is one `COMMENT_REPLY`); comments hidden
//! by moderators tell nobody and their notifications are withdrawn. Papers by followed
//! authors or from followed users gather into one unread row per recipient and kind
//! (see migration 000022), so a burst of papers is one row per follower, not one per paper.
//!
//! Writers publish [`Change::Notified`] with the ids they wrote (as runs of consecutive
//! ids), which the live layer loads once per instance for `notificationReceived`.

use std::collections::HashSet;

use chrono::{DateTime, Utc};
use entity::{comment, notification, user};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QuerySelect, Value,
};

use crate::clock;
use crate::domain::account::lookup_key;
use crate::domain::mention::mentioned;
use crate::error::{AppError, AppResult};
use crate::events::{Change, EventBus};
use crate::pagination::{KeyPart, Keyset, ListKind, Page, PageRequest};

use super::keyset::apply_page;
use super::{Context, sql};

/// What a notification is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum NotificationKind {
    /// Someone answered the recipient's comment.
    CommentReply,
    /// Someone commented on a paper the recipient submitted.
    PaperComment,
    /// Someone mentioned the recipient (`@username`) in a comment.
    Mention,
    /// Papers by authors the recipient follows arrived.
    FollowedAuthorPaper,
    /// Papers submitted by users the recipient follows arrived.
    FollowedUserPaper,
    /// A moderator acted on the recipient's content.
    Moderation,
}

impl NotificationKind {
    /// The stored (and GraphQL) name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::CommentReply => "COMMENT_REPLY",
            Self::PaperComment => "PAPER_COMMENT",
            Self::Mention => "MENTION",
            Self::FollowedAuthorPaper => "FOLLOWED_AUTHOR_PAPER",
            Self::FollowedUserPaper => "FOLLOWED_USER_PAPER",
            Self::Moderation => "MODERATION",
        }
    }

    /// The kind of a stored name; `Moderation` for anything unknown.
    pub fn from_stored(value: &str) -> Self {
        match value {
            "COMMENT_REPLY" => Self::CommentReply,
            "PAPER_COMMENT" => Self::PaperComment,
            "MENTION" => Self::Mention,
            "FOLLOWED_AUTHOR_PAPER" => Self::FollowedAuthorPaper,
            "FOLLOWED_USER_PAPER" => Self::FollowedUserPaper,
            _ => Self::Moderation,
        }
    }
}

/// One notification to write.
#[derive(Debug, Clone)]
struct Notice {
    user_id: i64,
    kind: NotificationKind,
    actor_id: Option<i64>,
    paper_id: Option<i64>,
    comment_id: Option<i64>,
}

/// Tells the parent's author, the mentioned users and the paper's submitter and author
/// accounts of a new comment (each once, the commenter never), and publishes what was
/// written.
///
/// # Errors
/// `INTERNAL_SERVER_ERROR` on database failure.
pub async fn for_comment(
    ctx: Context<'_>,
    comment: &comment::Model,
    parent_author: Option<i64>,
) -> AppResult<()> {
    let db = ctx.db.writer();
    let owners = owners_of(db, comment.paper_id).await?;
    let mentioned = mentioned_users(db, &comment.body).await?;
    let candidates = parent_author
        .map(|id| (id, NotificationKind::CommentReply))
        .into_iter()
        .chain(
            mentioned
                .into_iter()
                .map(|id| (id, NotificationKind::Mention)),
        )
        .chain(
            owners
                .into_iter()
                .map(|id| (id, NotificationKind::PaperComment)),
        );
    let mut told = HashSet::new();
    let notices: Vec<Notice> = candidates
        .filter(|(user_id, _)| Some(*user_id) != comment.author_id && told.insert(*user_id))
        .map(|(user_id, kind)| Notice {
            user_id,
            kind,
            actor_id: comment.author_id,
            paper_id: Some(comment.paper_id),
            comment_id: Some(comment.id),
        })
        .collect();
    let ids = insert(db, &notices, clock::now()).await?;
    publish(ctx.events, ids).await;
    Ok(())
}

/// Tells `owner_id` that moderator `moderator_id` acted on their content — `about`: the
/// paper and comment, where they still exist — unless they acted on their own.
///
/// # Errors
/// `INTERNAL_SERVER_ERROR` on database failure.
pub async fn for_moderation(
    ctx: Context<'_>,
    owner_id: i64,
    moderator_id: i64,
    (paper_id, comment_id): (Option<i64>, Option<i64>),
) -> AppResult<()> {
    if owner_id == moderator_id {
        return Ok(());
    }
    let notice = Notice {
        user_id: owner_id,
        kind: NotificationKind::Moderation,
        actor_id: Some(moderator_id),
        paper_id,
        comment_id,
    };
    let ids = insert(ctx.db.writer(), &[notice], clock::now()).await?;
    publish(ctx.events, ids).await;
    Ok(())
}

/// Withdraws what a comment told others (it was hidden): its author's moderation notice
/// stays.
///
/// # Errors
/// `INTERNAL_SERVER_ERROR` on database failure.
pub async fn withdraw_for_comment(db: &impl ConnectionTrait, comment_id: i64) -> AppResult<()> {
    notification::Entity::delete_many()
        .filter(notification::Column::CommentId.eq(comment_id))
        .filter(notification::Column::Kind.ne(NotificationKind::Moderation.as_str()))
        .exec(db)
        .await?;
    Ok(())
}

/// The users a paper belongs to: its submitter and the accounts of its authors.
async fn owners_of(db: &impl ConnectionTrait, paper_id: i64) -> AppResult<Vec<i64>> {
    let sql = "SELECT submitted_by AS user_id FROM papers
                WHERE id = ? AND submitted_by IS NOT NULL
               UNION
               SELECT a.user_id FROM paper_authors pa JOIN authors a ON a.id = pa.author_id
                WHERE pa.paper_id = ? AND a.user_id IS NOT NULL";
    let values = vec![Value::from(paper_id), Value::from(paper_id)];
    let rows = db
        .query_all_raw(sql::statement(db.get_database_backend(), sql, values))
        .await?;
    rows.iter()
        .map(|row| Ok(row.try_get::<i64>("", "user_id")?))
        .collect()
}

async fn mentioned_users(db: &impl ConnectionTrait, markdown: &str) -> AppResult<Vec<i64>> {
    let keys: Vec<String> = mentioned(markdown)
        .iter()
        .filter_map(|name| lookup_key(name))
        .collect();
    if keys.is_empty() {
        return Ok(Vec::new());
    }
    Ok(user::Entity::find()
        .select_only()
        .column(user::Column::Id)
        .filter(user::Column::UsernameKey.is_in(keys))
        .into_tuple()
        .all(db)
        .await?)
}

/// Writes `notices` in one statement; their ids.
async fn insert(
    db: &impl ConnectionTrait,
    notices: &[Notice],
    at: DateTime<Utc>,
) -> AppResult<Vec<i64>> {
    if notices.is_empty() {
        return Ok(Vec::new());
    }
    let at = clock::stored(at);
    let mut values = Vec::with_capacity(notices.len() * 6);
    let rows: Vec<&str> = notices
        .iter()
        .map(|notice| {
            values.extend([
                Value::from(notice.user_id),
                Value::from(notice.kind.as_str()),
                Value::from(notice.actor_id),
                Value::from(notice.paper_id),
                Value::from(notice.comment_id),
                Value::from(at),
            ]);
            "(?, ?, ?, ?, ?, ?)"
        })
        .collect();
    let statement = sql::statement(
        db.get_database_backend(),
        &format!(
            "INSERT INTO notifications (user_id, kind, actor_id, paper_id, comment_id, created_at)
             VALUES {} RETURNING id",
            rows.join(", ")
        ),
        values,
    );
    returned_ids(db, statement).await
}

async fn returned_ids(
    db: &impl ConnectionTrait,
    statement: sea_orm::Statement,
) -> AppResult<Vec<i64>> {
    let rows = db.query_all_raw(statement).await?;
    rows.iter()
        .map(|row| Ok(row.try_get::<i64>("", "id")?))
        .collect()
}

/// Tells the followers of the new papers' authors and submitters, gathering into each
/// follower's open row of the kind; the ids written. Runs in the caller's transaction.
///
/// A follower who follows a paper's submitter hears of it as `FOLLOWED_USER_PAPER` only;
/// nobody hears of a paper they submitted themself.
///
/// # Errors
/// `INTERNAL_SERVER_ERROR` on database failure.
pub async fn for_new_papers(
    db: &impl ConnectionTrait,
    paper_ids: &[i64],
    at: DateTime<Utc>,
) -> AppResult<Vec<i64>> {
    let backend = db.get_database_backend();
    let mut ids = Vec::new();
    for chunk in paper_ids.chunks(sql::IN_LIST_CHUNK) {
        for (kind, select) in [
            (NotificationKind::FollowedUserPaper, FOLLOWED_USER_PAPERS),
            (
                NotificationKind::FollowedAuthorPaper,
                FOLLOWED_AUTHOR_PAPERS,
            ),
        ] {
            let sql = format!(
                "INSERT INTO notifications
                    (user_id, kind, group_key, event_count, actor_id, author_id, paper_id, created_at)
                 {select}
                 ON CONFLICT (user_id, group_key) WHERE read_at IS NULL AND group_key IS NOT NULL
                 DO UPDATE SET event_count = notifications.event_count + excluded.event_count,
                    actor_id = excluded.actor_id, author_id = excluded.author_id,
                    paper_id = excluded.paper_id, created_at = excluded.created_at
                 RETURNING id",
                select = select.replace("{papers}", &sql::placeholders(chunk.len()))
            );
            let mut values = vec![
                Value::from(kind.as_str()),
                Value::from(kind.as_str()),
                Value::from(clock::stored(at)),
            ];
            values.extend(chunk.iter().map(|&id| Value::from(id)));
            ids.extend(returned_ids(db, sql::statement(backend, &sql, values)).await?);
        }
    }
    Ok(ids)
}

/// Followers of the papers' submitters: (kind, group key, time, paper ids…).
const FOLLOWED_USER_PAPERS: &str = "
    SELECT uf.follower_id, ?, ?, COUNT(*), MAX(p.submitted_by), NULL, MAX(p.id), ?
    FROM papers p JOIN user_follows uf ON uf.user_id = p.submitted_by
    WHERE p.id IN ({papers})
    GROUP BY uf.follower_id";

/// Followers of the papers' authors who do not follow the paper's submitter and did not
/// submit it: (kind, group key, time, paper ids…).
const FOLLOWED_AUTHOR_PAPERS: &str = "
    SELECT af.user_id, ?, ?, COUNT(DISTINCT p.id), NULL, MAX(af.author_id), MAX(p.id), ?
    FROM papers p
    JOIN paper_authors pa ON pa.paper_id = p.id
    JOIN author_follows af ON af.author_id = pa.author_id
    WHERE p.id IN ({papers})
      AND (p.submitted_by IS NULL OR (p.submitted_by <> af.user_id AND NOT EXISTS (
          SELECT 1 FROM user_follows uf
          WHERE uf.follower_id = af.user_id AND uf.user_id = p.submitted_by)))
    GROUP BY af.user_id";

/// Publishes written notification ids.
pub async fn publish(events: &EventBus, ids: Vec<i64>) {
    events.publish_all(&changes(ids)).await;
}

/// The changes announcing written notification ids: runs of consecutive ids.
pub fn changes(mut ids: Vec<i64>) -> Vec<Change> {
    ids.sort_unstable();
    ids.dedup();
    id_runs(&ids)
        .into_iter()
        .map(|(first_id, last_id)| Change::Notified { first_id, last_id })
        .collect()
}

/// `[1, 2, 3, 7, 8]` → `[(1, 3), (7, 8)]` (sorted, distinct ids).
fn id_runs(ids: &[i64]) -> Vec<(i64, i64)> {
    let mut runs: Vec<(i64, i64)> = Vec::new();
    for &id in ids {
        match runs.last_mut() {
            Some((_, last)) if *last + 1 == id => *last = id,
            _ => runs.push((id, id)),
        }
    }
    runs
}

/// The notifications with ids in `first_id..=last_id`.
///
/// # Errors
/// `INTERNAL_SERVER_ERROR` on database failure.
pub async fn in_range(
    db: &impl ConnectionTrait,
    first_id: i64,
    last_id: i64,
) -> AppResult<Vec<notification::Model>> {
    Ok(notification::Entity::find()
        .filter(notification::Column::Id.between(first_id, last_id))
        .all(db)
        .await?)
}

/// Those of `ids` that are `user_id`'s notifications.
///
/// # Errors
/// `INTERNAL_SERVER_ERROR` on database failure.
pub async fn of_user(
    db: &impl ConnectionTrait,
    user_id: i64,
    ids: &[i64],
) -> AppResult<Vec<notification::Model>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    Ok(notification::Entity::find()
        .filter(notification::Column::UserId.eq(user_id))
        .filter(notification::Column::Id.is_in(ids.iter().copied()))
        .all(db)
        .await?)
}

/// The inbox's cursor family.
pub const LIST_KIND: ListKind = ListKind::Notifications;

/// The types of a cursor's key parts: the latest event's time.
pub fn cursor_shape() -> Vec<KeyPart> {
    vec![KeyPart::Time(0)]
}

/// A notification's position in the inbox.
pub fn key_of(model: &notification::Model) -> Keyset {
    Keyset {
        parts: vec![KeyPart::time(model.created_at)],
        id: model.id,
        generation: None,
    }
}

/// A page of `user_id`'s inbox, newest first; only unread ones when `unread_only`.
///
/// # Errors
/// `BAD_USER_INPUT` for an out-of-range cursor; `INTERNAL_SERVER_ERROR` on database failure.
pub async fn page(
    db: &impl ConnectionTrait,
    user_id: i64,
    unread_only: bool,
    request: &PageRequest,
) -> AppResult<Page<notification::Model>> {
    let mut select = notification::Entity::find().filter(notification::Column::UserId.eq(user_id));
    if unread_only {
        select = select.filter(notification::Column::ReadAt.is_null());
    }
    let columns = vec![
        Expr::col(notification::Column::CreatedAt),
        Expr::col(notification::Column::Id),
    ];
    let rows = apply_page(select, columns, true, request)?.all(db).await?;
    Ok(request.into_page(rows))
}

/// How many notifications `user_id` has, or how many unread.
///
/// # Errors
/// `INTERNAL_SERVER_ERROR` on database failure.
pub async fn count(db: &impl ConnectionTrait, user_id: i64, unread_only: bool) -> AppResult<u64> {
    let mut select = notification::Entity::find().filter(notification::Column::UserId.eq(user_id));
    if unread_only {
        select = select.filter(notification::Column::ReadAt.is_null());
    }
    Ok(select.count(db).await?)
}

/// Which notifications to mark read.
#[derive(Debug, Clone)]
pub enum MarkRead {
    /// These (all the user's, else nothing is marked).
    Ids(Vec<i64>),
    /// Every unread one.
    All,
}

/// Marks `user_id`'s notifications read; how many were unread.
///
/// # Errors
/// `NOT_FOUND` when an id is not one of the user's notifications (nothing is marked).
pub async fn mark_read(ctx: Context<'_>, user_id: i64, which: MarkRead) -> AppResult<u64> {
    let db = ctx.db.writer();
    let mut update = notification::Entity::update_many()
        .col_expr(
            notification::Column::ReadAt,
            Expr::val(clock::stored(clock::now())),
        )
        .filter(notification::Column::UserId.eq(user_id))
        .filter(notification::Column::ReadAt.is_null());
    if let MarkRead::Ids(ids) = &which {
        let owned = notification::Entity::find()
            .filter(notification::Column::UserId.eq(user_id))
            .filter(notification::Column::Id.is_in(ids.iter().copied()))
            .count(db)
            .await?;
        let distinct: HashSet<i64> = ids.iter().copied().collect();
        if usize::try_from(owned).unwrap_or(usize::MAX) != distinct.len() {
            return Err(AppError::NotFound {
                resource: "notification",
            });
        }
        update = update.filter(notification::Column::Id.is_in(distinct));
    }
    Ok(update.exec(db).await?.rows_affected)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_published_as_runs() {
        assert_eq!(
            id_runs(&[1, 2, 3, 7, 8, 10]),
            vec![(1, 3), (7, 8), (10, 10)]
        );
        assert!(id_runs(&[]).is_empty());
    }
}
