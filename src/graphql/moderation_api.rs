//! Moderation through the API: roles, hidden comments, bans, reports and the public log.

use async_graphql::{Context, ID, Object};

use crate::auth::{Role, RoleGuard, Scope, Viewer};
use crate::domain::moderation;
use crate::error::AppError;
use crate::graphql::types::{GlobalId, NodeKind};
use crate::pagination::PageArgs;
use crate::services::moderation::{self as moderation_service, Ban, Target};

use super::context::{state, viewer};
use super::mutation::signed_in_user;
use super::types::{
    Comment, CommentPayload, Connection, DateTime, ModerationAction, Report, ReportActionValue,
    ReportPayload, ReportStatus, RoleValue, TotalCount, User, page_cost,
};

/// The moderation reads.
#[derive(Default)]
pub struct ModerationQuery;

#[Object]
impl ModerationQuery {
    /// Reports with `status` (open by default), newest first. Moderators only.
    #[graphql(
        cache_control(private),
        guard = "RoleGuard(Role::Moderator, Scope::Moderate)",
        complexity = "page_cost(first, None, child_complexity)"
    )]
    async fn reports(
        &self,
        ctx: &Context<'_>,
        status: Option<ReportStatus>,
        #[graphql(desc = "Page size, 1–100 (default 20).")] first: Option<i32>,
        #[graphql(desc = "Cursor to continue after.")] after: Option<String>,
    ) -> async_graphql::Result<Connection<Report>> {
        let status = status.unwrap_or_default();
        let request = PageArgs::forward(first, after).parse(moderation_service::REPORTS, &[])?;
        let page =
            moderation_service::reports(state(ctx)?.db.reader(), status.as_str(), &request).await?;
        let page = page.map(|row| {
            let key = moderation_service::key_of_id(row.id);
            (Report(row), key)
        });
        Ok(Connection::new(
            page,
            moderation_service::REPORTS,
            TotalCount::Reports(status.as_str()),
        ))
    }

    /// Every moderator action — who, what, to what, why, when — newest first. Public.
    #[graphql(
        complexity = "page_cost(first, None, child_complexity)",
        cache_control(max_age = 10)
    )]
    async fn moderation_log(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Page size, 1–100 (default 20).")] first: Option<i32>,
        #[graphql(desc = "Cursor to continue after.")] after: Option<String>,
    ) -> async_graphql::Result<Connection<ModerationAction>> {
        let request = PageArgs::forward(first, after).parse(moderation_service::LOG, &[])?;
        let page = moderation_service::log_page(state(ctx)?.db.reader(), &request).await?;
        let page = page.map(|row| {
            let key = moderation_service::key_of_id(row.id);
            (ModerationAction(row), key)
        });
        Ok(Connection::new(
            page,
            moderation_service::LOG,
            TotalCount::ModerationLog,
        ))
    }
}

/// The moderation writes.
#[derive(Default)]
pub struct ModerationMutation;

#[Object]
impl ModerationMutation {
    /// Gives an account a role. Admins only; logged.
    #[graphql(guard = "RoleGuard(Role::Admin, Scope::Moderate)")]
    async fn set_user_role(
        &self,
        ctx: &Context<'_>,
        username: String,
        role: RoleValue,
    ) -> async_graphql::Result<User> {
        let admin_id = signed_in_user(ctx)?;
        let user =
            moderation_service::set_role(state(ctx)?.services(), admin_id, &username, role.into())
                .await?;
        Ok(User::from(user))
    }

    /// Hides a comment: its body then reaches only its author and moderators. Logged with
    /// the reason.
    #[graphql(guard = "RoleGuard(Role::Moderator, Scope::Moderate)")]
    async fn hide_comment(
        &self,
        ctx: &Context<'_>,
        id: ID,
        reason: String,
    ) -> async_graphql::Result<CommentPayload> {
        let reason = checked_reason(&reason)?;
        set_hidden(ctx, &id, true, Some(&reason)).await
    }

    /// Shows a hidden comment again. Logged.
    #[graphql(guard = "RoleGuard(Role::Moderator, Scope::Moderate)")]
    async fn unhide_comment(
        &self,
        ctx: &Context<'_>,
        id: ID,
    ) -> async_graphql::Result<CommentPayload> {
        set_hidden(ctx, &id, false, None).await
    }

    /// Bans an account until `until` (without end when omitted): it keeps reading, and
    /// every write is `FORBIDDEN` with the reason. Only admins ban moderators. Logged.
    #[graphql(guard = "RoleGuard(Role::Moderator, Scope::Moderate)")]
    async fn ban_user(
        &self,
        ctx: &Context<'_>,
        username: String,
        reason: String,
        until: Option<DateTime>,
    ) -> async_graphql::Result<User> {
        let ban = Ban {
            reason: checked_reason(&reason)?,
            until: until.map(|until| until.0),
        };
        set_ban(ctx, &username, Some(ban)).await
    }

    /// Lifts a ban. Logged.
    #[graphql(guard = "RoleGuard(Role::Moderator, Scope::Moderate)")]
    async fn unban_user(&self, ctx: &Context<'_>, username: String) -> async_graphql::Result<User> {
        set_ban(ctx, &username, None).await
    }

    /// Reports a comment to the moderators; one open report per user and comment.
    #[graphql(guard = "RoleGuard(Role::User, Scope::Comment)")]
    async fn report_comment(
        &self,
        ctx: &Context<'_>,
        id: ID,
        reason: String,
    ) -> async_graphql::Result<ReportPayload> {
        let target = Target::Comment(GlobalId::decode_as(&id, NodeKind::Comment, "id")?);
        report(ctx, target, &reason).await
    }

    /// Reports a paper to the moderators; one open report per user and paper.
    #[graphql(guard = "RoleGuard(Role::User, Scope::Comment)")]
    async fn report_paper(
        &self,
        ctx: &Context<'_>,
        id: ID,
        reason: String,
    ) -> async_graphql::Result<ReportPayload> {
        let target = Target::Paper(GlobalId::decode_as(&id, NodeKind::Paper, "id")?);
        report(ctx, target, &reason).await
    }

    /// Settles an open report. Moderators only; logged.
    #[graphql(guard = "RoleGuard(Role::Moderator, Scope::Moderate)")]
    async fn resolve_report(
        &self,
        ctx: &Context<'_>,
        id: ID,
        action: ReportActionValue,
    ) -> async_graphql::Result<ReportPayload> {
        let moderator_id = signed_in_user(ctx)?;
        let report_id = GlobalId::decode_as(&id, NodeKind::Report, "id")?;
        let report = moderation_service::resolve(
            state(ctx)?.services(),
            moderator_id,
            report_id,
            action.into(),
        )
        .await?;
        Ok(ReportPayload {
            report: Report(report),
        })
    }
}

fn checked_reason(text: &str) -> Result<String, AppError> {
    moderation::reason(text).map_err(|message| AppError::bad_input("reason", message))
}

async fn set_hidden(
    ctx: &Context<'_>,
    id: &ID,
    hidden: bool,
    reason: Option<&str>,
) -> async_graphql::Result<CommentPayload> {
    let moderator_id = signed_in_user(ctx)?;
    let comment_id = GlobalId::decode_as(id, NodeKind::Comment, "id")?;
    let comment = moderation_service::set_hidden(
        state(ctx)?.services(),
        moderator_id,
        comment_id,
        hidden,
        reason,
    )
    .await?;
    Ok(CommentPayload {
        comment: Comment::from(comment),
    })
}

async fn set_ban(
    ctx: &Context<'_>,
    username: &str,
    ban: Option<Ban>,
) -> async_graphql::Result<User> {
    let Viewer::User { id, role, .. } = viewer(ctx) else {
        return Err(AppError::Unauthenticated("sign in first").into());
    };
    let user =
        moderation_service::set_ban(state(ctx)?.services(), (id, role), username, ban).await?;
    Ok(User::from(user))
}

async fn report(
    ctx: &Context<'_>,
    target: Target,
    reason: &str,
) -> async_graphql::Result<ReportPayload> {
    let reporter_id = signed_in_user(ctx)?;
    let reason = checked_reason(reason)?;
    let report =
        moderation_service::report(state(ctx)?.services(), reporter_id, target, &reason).await?;
    Ok(ReportPayload {
        report: Report(report),
    })
}
