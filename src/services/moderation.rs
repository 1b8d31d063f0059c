//! Moderation: roles, hidden comments, bans, reports, and the public log of every
//! moderator action. Each action is written together with its log row.

use entity::{comment, moderation_entry, report, user};
use sea_orm::ActiveValue::{NotSet, Set};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbErr, EntityTrait, PaginatorTrait, QueryFilter, SqlErr,
    TransactionTrait,
};

use crate::auth::Role;
use crate::clock;
use crate::domain::account::lookup_key;
use crate::error::{AppError, AppResult};
use crate::events::Change;
use crate::pagination::{Keyset, ListKind, Page, PageRequest};

use super::comments::{self, Deletion};
use super::keyset::apply_page;
use super::{Context, catalog, notifications, papers};

/// The cursor family of the report queue.
pub const REPORTS: ListKind = ListKind::ReportsByTime;
/// The cursor family of the moderation log.
pub const LOG: ListKind = ListKind::ModerationLog;

/// What a report or a log entry is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    Comment(i64),
    Paper(i64),
    User(i64),
    Report(i64),
}

impl Target {
    fn stored(self) -> (&'static str, i64) {
        match self {
            Self::Comment(id) => ("COMMENT", id),
            Self::Paper(id) => ("PAPER", id),
            Self::User(id) => ("USER", id),
            Self::Report(id) => ("REPORT", id),
        }
    }

    /// The target of a stored row.
    pub fn from_stored(kind: &str, id: i64) -> Option<Self> {
        match kind {
            "COMMENT" => Some(Self::Comment(id)),
            "PAPER" => Some(Self::Paper(id)),
            "USER" => Some(Self::User(id)),
            "REPORT" => Some(Self::Report(id)),
            _ => None,
        }
    }
}

/// What a moderator did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    HideComment,
    UnhideComment,
    DeleteComment,
    DeletePaper,
    BanUser,
    UnbanUser,
    SetRole,
    DismissReport,
}

impl Action {
    /// The stored form.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::HideComment => "HIDE_COMMENT",
            Self::UnhideComment => "UNHIDE_COMMENT",
            Self::DeleteComment => "DELETE_COMMENT",
            Self::DeletePaper => "DELETE_PAPER",
            Self::BanUser => "BAN_USER",
            Self::UnbanUser => "UNBAN_USER",
            Self::SetRole => "SET_ROLE",
            Self::DismissReport => "DISMISS_REPORT",
        }
    }

    /// The action of a stored row.
    pub fn from_stored(value: &str) -> Option<Self> {
        [
            Self::HideComment,
            Self::UnhideComment,
            Self::DeleteComment,
            Self::DeletePaper,
            Self::BanUser,
            Self::UnbanUser,
            Self::SetRole,
            Self::DismissReport,
        ]
        .into_iter()
        .find(|action| action.as_str() == value)
    }
}

/// How a moderator settles a report.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Resolution {
    /// Nothing to do.
    Dismiss,
    /// Hide the reported comment.
    Hide,
    /// Delete the reported comment or paper.
    Delete,
}

impl Resolution {
    fn as_str(self) -> &'static str {
        match self {
            Self::Dismiss => "DISMISS",
            Self::Hide => "HIDE",
            Self::Delete => "DELETE",
        }
    }
}

/// Appends an entry to the moderation log.
async fn log(
    db: &impl ConnectionTrait,
    moderator_id: i64,
    action: Action,
    target: Target,
    reason: Option<&str>,
) -> AppResult<()> {
    let (target_kind, target_id) = target.stored();
    moderation_entry::Entity::insert(moderation_entry::ActiveModel {
        id: NotSet,
        moderator_id: Set(Some(moderator_id)),
        action: Set(action.as_str().to_owned()),
        target_kind: Set(target_kind.to_owned()),
        target_id: Set(target_id),
        reason: Set(reason.map(str::to_owned)),
        created_at: Set(clock::stored(clock::now())),
    })
    .exec_without_returning(db)
    .await?;
    Ok(())
}

/// The account called `username`.
async fn user_named(db: &impl ConnectionTrait, username: &str) -> AppResult<user::Model> {
    let key = lookup_key(username).ok_or(AppError::NotFound { resource: "user" })?;
    user::Entity::find()
        .filter(user::Column::UsernameKey.eq(key))
        .one(db)
        .await?
        .ok_or(AppError::NotFound { resource: "user" })
}

/// Gives `username` the role `role` (an admin's act), logged.
///
/// # Errors
/// `NOT_FOUND` for an unknown user; `BAD_USER_INPUT` for the admin's own account (an
/// admin cannot lock themself out).
pub async fn set_role(
    ctx: Context<'_>,
    admin_id: i64,
    username: &str,
    role: Role,
) -> AppResult<user::Model> {
    let transaction = ctx.db.writer().begin().await?;
    let target = user_named(&transaction, username).await?;
    if target.id == admin_id {
        return Err(AppError::bad_input(
            "username",
            "you cannot change your own role",
        ));
    }
    user::Entity::update_many()
        .col_expr(user::Column::Role, Expr::val(role.as_str()))
        .filter(user::Column::Id.eq(target.id))
        .exec(&transaction)
        .await?;
    log(
        &transaction,
        admin_id,
        Action::SetRole,
        Target::User(target.id),
        Some(role.as_str()),
    )
    .await?;
    transaction.commit().await?;
    ctx.events
        .publish(Change::UserChanged { user_id: target.id })
        .await;
    Ok(user::Model {
        role: role.as_str().to_owned(),
        ..target
    })
}

/// Hides (`hidden`) or shows again a comment, logged with `reason`, and published.
///
/// # Errors
/// `NOT_FOUND` for a missing or deleted comment.
pub async fn set_hidden(
    ctx: Context<'_>,
    moderator_id: i64,
    comment_id: i64,
    hidden: bool,
    reason: Option<&str>,
) -> AppResult<comment::Model> {
    let transaction = ctx.db.writer().begin().await?;
    let updated = comment::Entity::update_many()
        .col_expr(comment::Column::Hidden, Expr::val(hidden))
        .filter(comment::Column::Id.eq(comment_id))
        .filter(comment::Column::Deleted.eq(false))
        .exec_with_returning(&transaction)
        .await?
        .into_iter()
        .next()
        .ok_or(AppError::NotFound {
            resource: "comment",
        })?;
    let action = if hidden {
        Action::HideComment
    } else {
        Action::UnhideComment
    };
    log(
        &transaction,
        moderator_id,
        action,
        Target::Comment(comment_id),
        reason,
    )
    .await?;
    if hidden {
        notifications::withdraw_for_comment(&transaction, comment_id).await?;
    }
    transaction.commit().await?;
    ctx.events
        .publish(Change::CommentChanged {
            paper_id: updated.paper_id,
            comment_id,
        })
        .await;
    if let Some(author_id) = updated.author_id {
        let about = (Some(updated.paper_id), Some(comment_id));
        notifications::for_moderation(ctx, author_id, moderator_id, about).await?;
    }
    Ok(updated)
}

/// A moderator's ban.
#[derive(Debug, Clone)]
pub struct Ban {
    pub reason: String,
    /// `None`: without end.
    pub until: Option<chrono::DateTime<chrono::Utc>>,
}

/// Bans `username` (`Some`) or lifts their ban (`None`), logged.
///
/// # Errors
/// `NOT_FOUND` for an unknown user; `BAD_USER_INPUT` for oneself or an end in the past;
/// `FORBIDDEN` for a moderator or admin unless the actor is an admin.
pub async fn set_ban(
    ctx: Context<'_>,
    (moderator_id, moderator_role): (i64, Role),
    username: &str,
    ban: Option<Ban>,
) -> AppResult<user::Model> {
    let transaction = ctx.db.writer().begin().await?;
    let target = user_named(&transaction, username).await?;
    if target.id == moderator_id {
        return Err(AppError::bad_input("username", "you cannot ban yourself"));
    }
    if Role::from_stored(&target.role).includes(Role::Moderator) && moderator_role != Role::Admin {
        return Err(AppError::Forbidden(
            "only an admin can ban a moderator or an admin",
        ));
    }
    if let Some(until) = ban.as_ref().and_then(|ban| ban.until)
        && until <= clock::now()
    {
        return Err(AppError::bad_input(
            "until",
            "the ban must end in the future",
        ));
    }
    let (reason, until) = match &ban {
        Some(ban) => (Some(ban.reason.clone()), ban.until.map(clock::stored)),
        None => (None, None),
    };
    user::Entity::update_many()
        .col_expr(user::Column::BanReason, Expr::val(reason.clone()))
        .col_expr(user::Column::BannedUntil, Expr::val(until))
        .filter(user::Column::Id.eq(target.id))
        .exec(&transaction)
        .await?;
    let action = if ban.is_some() {
        Action::BanUser
    } else {
        Action::UnbanUser
    };
    log(
        &transaction,
        moderator_id,
        action,
        Target::User(target.id),
        reason.as_deref(),
    )
    .await?;
    transaction.commit().await?;
    ctx.events
        .publish(Change::UserChanged { user_id: target.id })
        .await;
    Ok(user::Model {
        ban_reason: reason,
        banned_until: until,
        ..target
    })
}

/// Deletes a paper as a moderator, logged.
///
/// # Errors
/// `NOT_FOUND` for a missing paper.
pub async fn delete_paper(ctx: Context<'_>, moderator_id: i64, paper_id: i64) -> AppResult<()> {
    let submitter = papers::by_id(ctx.db.writer(), paper_id)
        .await?
        .and_then(|paper| paper.submitted_by);
    catalog::delete(ctx, paper_id).await?;
    log(
        ctx.db.writer(),
        moderator_id,
        Action::DeletePaper,
        Target::Paper(paper_id),
        None,
    )
    .await?;
    if let Some(submitter) = submitter {
        notifications::for_moderation(ctx, submitter, moderator_id, (None, None)).await?;
    }
    Ok(())
}

/// Deletes a comment as a moderator (someone else's), logged.
///
/// # Errors
/// `NOT_FOUND` for a missing or deleted comment.
pub async fn delete_comment(
    ctx: Context<'_>,
    moderator_id: i64,
    comment_id: i64,
    reason: Option<&str>,
) -> AppResult<Deletion> {
    let deletion = comments::delete(ctx, moderator_id, true, comment_id).await?;
    log(
        ctx.db.writer(),
        moderator_id,
        Action::DeleteComment,
        Target::Comment(comment_id),
        reason,
    )
    .await?;
    if let Some(author_id) = deletion.author_id() {
        let about = match &deletion {
            Deletion::Tombstoned(tombstone) => (Some(tombstone.paper_id), Some(tombstone.id)),
            Deletion::Removed(removed) => (Some(removed.paper_id), None),
        };
        notifications::for_moderation(ctx, author_id, moderator_id, about).await?;
    }
    Ok(deletion)
}

/// `reporter_id` reports a comment or paper to the moderators (within the comment rate
/// limit).
///
/// # Errors
/// `RATE_LIMITED` beyond the limit; `NOT_FOUND` for a missing target; `CONFLICT` when the
/// reporter's earlier report of it is still open.
pub async fn report(
    ctx: Context<'_>,
    reporter_id: i64,
    target: Target,
    reason: &str,
) -> AppResult<report::Model> {
    ctx.limits.comments.take(reporter_id).await?;
    let db = ctx.db.writer();
    let exists = match target {
        Target::Comment(id) => comments::by_ids(db, &[id])
            .await?
            .get(&id)
            .is_some_and(|comment| !comment.deleted),
        Target::Paper(id) => papers::by_id(db, id).await?.is_some(),
        Target::User(_) | Target::Report(_) => false,
    };
    if !exists {
        return Err(AppError::NotFound {
            resource: "report target",
        });
    }
    let (target_kind, target_id) = target.stored();
    let row = report::ActiveModel {
        id: NotSet,
        reporter_id: Set(reporter_id),
        target_kind: Set(target_kind.to_owned()),
        target_id: Set(target_id),
        reason: Set(reason.to_owned()),
        status: Set("OPEN".to_owned()),
        action: Set(None),
        created_at: Set(clock::stored(clock::now())),
        resolved_at: Set(None),
        resolved_by: Set(None),
    };
    report::Entity::insert(row)
        .exec_with_returning(db)
        .await
        .map_err(already_reported)
}

fn already_reported(error: DbErr) -> AppError {
    match error.sql_err() {
        Some(SqlErr::UniqueConstraintViolation(_)) => {
            AppError::conflict("id", "you reported this already; the report is still open")
        }
        _ => error.into(),
    }
}

/// Settles an open report: `Dismiss` closes it alone; `Hide` and `Delete` act on the
/// target and close every open report of it. Logged.
///
/// # Errors
/// `NOT_FOUND` for a missing report (or a target gone meanwhile); `CONFLICT` for a report
/// already resolved; `BAD_USER_INPUT` for hiding a paper.
pub async fn resolve(
    ctx: Context<'_>,
    moderator_id: i64,
    report_id: i64,
    resolution: Resolution,
) -> AppResult<report::Model> {
    let db = ctx.db.writer();
    let current = report::Entity::find_by_id(report_id)
        .one(db)
        .await?
        .ok_or(AppError::NotFound { resource: "report" })?;
    if current.status != "OPEN" {
        return Err(AppError::conflict("id", "the report is resolved already"));
    }
    let target = Target::from_stored(&current.target_kind, current.target_id)
        .ok_or_else(|| AppError::internal("a report of an unknown kind of target"))?;
    let reason = Some(current.reason.as_str());
    match (resolution, target) {
        (Resolution::Dismiss, _) => {
            log(
                db,
                moderator_id,
                Action::DismissReport,
                Target::Report(report_id),
                None,
            )
            .await?;
        }
        (Resolution::Hide, Target::Comment(id)) => {
            set_hidden(ctx, moderator_id, id, true, reason).await?;
        }
        (Resolution::Hide, _) => {
            return Err(AppError::bad_input("action", "only comments can be hidden"));
        }
        (Resolution::Delete, Target::Comment(id)) => {
            delete_comment(ctx, moderator_id, id, reason).await?;
        }
        (Resolution::Delete, Target::Paper(id)) => delete_paper(ctx, moderator_id, id).await?,
        (Resolution::Delete, _) => {
            return Err(AppError::internal("a report of a user or report"));
        }
    }
    let closes_target = resolution != Resolution::Dismiss;
    let mut closing = report::Entity::update_many()
        .col_expr(report::Column::Status, Expr::val("RESOLVED"))
        .col_expr(report::Column::Action, Expr::val(resolution.as_str()))
        .col_expr(
            report::Column::ResolvedAt,
            Expr::val(clock::stored(clock::now())),
        )
        .col_expr(report::Column::ResolvedBy, Expr::val(moderator_id))
        .filter(report::Column::Status.eq("OPEN"));
    closing = if closes_target {
        closing
            .filter(report::Column::TargetKind.eq(current.target_kind.clone()))
            .filter(report::Column::TargetId.eq(current.target_id))
    } else {
        closing.filter(report::Column::Id.eq(report_id))
    };
    closing.exec(db).await?;
    report::Entity::find_by_id(report_id)
        .one(db)
        .await?
        .ok_or(AppError::NotFound { resource: "report" })
}

/// A page of the reports with `status` (`OPEN`, `RESOLVED`), newest first.
///
/// # Errors
/// `BAD_USER_INPUT` for an out-of-range cursor; `INTERNAL_SERVER_ERROR` on database failure.
pub async fn reports(
    db: &impl ConnectionTrait,
    status: &str,
    request: &PageRequest,
) -> AppResult<Page<report::Model>> {
    let select = report::Entity::find().filter(report::Column::Status.eq(status));
    let columns = vec![Expr::col((report::Entity, report::Column::Id))];
    let rows = apply_page(select, columns, true, request)?.all(db).await?;
    Ok(request.into_page(rows))
}

/// A page of the moderation log, newest first.
///
/// # Errors
/// `BAD_USER_INPUT` for an out-of-range cursor; `INTERNAL_SERVER_ERROR` on database failure.
pub async fn log_page(
    db: &impl ConnectionTrait,
    request: &PageRequest,
) -> AppResult<Page<moderation_entry::Model>> {
    let columns = vec![Expr::col((
        moderation_entry::Entity,
        moderation_entry::Column::Id,
    ))];
    let rows = apply_page(moderation_entry::Entity::find(), columns, true, request)?
        .all(db)
        .await?;
    Ok(request.into_page(rows))
}

/// The position of a row ordered by id alone.
pub fn key_of_id(id: i64) -> Keyset {
    Keyset {
        parts: Vec::new(),
        id,
        generation: None,
    }
}

/// How many reports have `status`.
///
/// # Errors
/// `INTERNAL_SERVER_ERROR` on database failure.
pub async fn count_reports(db: &impl ConnectionTrait, status: &str) -> AppResult<u64> {
    Ok(report::Entity::find()
        .filter(report::Column::Status.eq(status))
        .count(db)
        .await?)
}

/// How many entries the moderation log holds.
///
/// # Errors
/// `INTERNAL_SERVER_ERROR` on database failure.
pub async fn count_log(db: &impl ConnectionTrait) -> AppResult<u64> {
    Ok(moderation_entry::Entity::find().count(db).await?)
}
