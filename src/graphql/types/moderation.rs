//! The moderation types: roles, reports, and the public log of moderator actions.

use async_graphql::{Context, Enum, ID, Object, SimpleObject};
use entity::{moderation_entry, report};

use crate::auth::Role;
use crate::graphql::comment_loaders::{CommentById, PaperById};
use crate::graphql::context::loader;
use crate::graphql::loaders::UserById;
use crate::graphql::types::{GlobalId, NodeKind};
use crate::services::moderation::{Action, Resolution, Target};

use super::{Comment, DateTime, Paper, User};

/// What an account may do.
#[derive(Enum, Clone, Copy, PartialEq, Eq)]
#[graphql(name = "Role")]
pub enum RoleValue {
    /// Reads, votes, submits, comments, reports.
    User,
    /// Also hides and deletes comments, bans users, deletes papers, settles reports.
    Moderator,
    /// Also sets roles.
    Admin,
}

impl From<RoleValue> for Role {
    fn from(role: RoleValue) -> Self {
        match role {
            RoleValue::User => Self::User,
            RoleValue::Moderator => Self::Moderator,
            RoleValue::Admin => Self::Admin,
        }
    }
}

impl From<Role> for RoleValue {
    fn from(role: Role) -> Self {
        match role {
            Role::User => Self::User,
            Role::Moderator => Self::Moderator,
            Role::Admin => Self::Admin,
        }
    }
}

/// Whether a report waits for a moderator.
#[derive(Enum, Clone, Copy, PartialEq, Eq, Default)]
pub enum ReportStatus {
    #[default]
    Open,
    Resolved,
}

impl ReportStatus {
    /// The stored form.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Open => "OPEN",
            Self::Resolved => "RESOLVED",
        }
    }
}

/// How a moderator settles a report.
#[derive(Enum, Clone, Copy, PartialEq, Eq)]
#[graphql(name = "ReportAction")]
pub enum ReportActionValue {
    /// Nothing to do: close this report.
    Dismiss,
    /// Hide the reported comment; every open report of it is closed.
    Hide,
    /// Delete the reported comment or paper; every open report of it is closed.
    Delete,
}

impl From<ReportActionValue> for Resolution {
    fn from(action: ReportActionValue) -> Self {
        match action {
            ReportActionValue::Dismiss => Self::Dismiss,
            ReportActionValue::Hide => Self::Hide,
            ReportActionValue::Delete => Self::Delete,
        }
    }
}

/// A report of a comment or paper to the moderators.
#[derive(Clone)]
pub struct Report(pub report::Model);

#[Object]
impl Report {
    /// Opaque id.
    async fn id(&self) -> ID {
        ID(GlobalId::encode(NodeKind::Report, self.0.id))
    }

    /// Who reported it; null once the account is gone.
    async fn reporter(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<User>> {
        let user = loader(ctx)?.load_one(UserById(self.0.reporter_id)).await?;
        Ok(user.map(User::from))
    }

    /// The reported comment (moderators see hidden bodies); null for a paper report or a
    /// comment that is gone.
    async fn comment(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Comment>> {
        let Some(Target::Comment(id)) = self.target() else {
            return Ok(None);
        };
        let comment = loader(ctx)?.load_one(CommentById(id)).await?;
        Ok(comment.map(Comment::from))
    }

    /// The reported paper; null for a comment report or a paper that is gone.
    async fn paper(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Paper>> {
        let Some(Target::Paper(id)) = self.target() else {
            return Ok(None);
        };
        let paper = loader(ctx)?.load_one(PaperById(id)).await?;
        Ok(paper.map(Paper::from))
    }

    async fn reason(&self) -> &str {
        &self.0.reason
    }

    async fn status(&self) -> ReportStatus {
        if self.0.status == "OPEN" {
            ReportStatus::Open
        } else {
            ReportStatus::Resolved
        }
    }

    /// How it was settled; null while open.
    async fn action(&self) -> Option<ReportActionValue> {
        match self.0.action.as_deref()? {
            "DISMISS" => Some(ReportActionValue::Dismiss),
            "HIDE" => Some(ReportActionValue::Hide),
            "DELETE" => Some(ReportActionValue::Delete),
            _ => None,
        }
    }

    async fn created_at(&self) -> DateTime {
        DateTime(self.0.created_at)
    }

    async fn resolved_at(&self) -> Option<DateTime> {
        self.0.resolved_at.map(DateTime)
    }
}

impl Report {
    fn target(&self) -> Option<Target> {
        Target::from_stored(&self.0.target_kind, self.0.target_id)
    }
}

/// The report a mutation wrote.
#[derive(SimpleObject)]
pub struct ReportPayload {
    pub report: Report,
}

/// What a moderator did.
#[derive(Enum, Clone, Copy, PartialEq, Eq)]
pub enum ModerationActionKind {
    HideComment,
    UnhideComment,
    DeleteComment,
    DeletePaper,
    BanUser,
    UnbanUser,
    SetRole,
    DismissReport,
}

impl From<Action> for ModerationActionKind {
    fn from(action: Action) -> Self {
        match action {
            Action::HideComment => Self::HideComment,
            Action::UnhideComment => Self::UnhideComment,
            Action::DeleteComment => Self::DeleteComment,
            Action::DeletePaper => Self::DeletePaper,
            Action::BanUser => Self::BanUser,
            Action::UnbanUser => Self::UnbanUser,
            Action::SetRole => Self::SetRole,
            Action::DismissReport => Self::DismissReport,
        }
    }
}

/// One entry of the public moderation log.
#[derive(Clone)]
pub struct ModerationAction(pub moderation_entry::Model);

#[Object]
impl ModerationAction {
    /// Opaque id.
    async fn id(&self) -> ID {
        ID(GlobalId::encode(NodeKind::ModerationAction, self.0.id))
    }

    /// The moderator; null once the account is gone.
    async fn moderator(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<User>> {
        let Some(id) = self.0.moderator_id else {
            return Ok(None);
        };
        Ok(loader(ctx)?.load_one(UserById(id)).await?.map(User::from))
    }

    /// What was done; null for an action this server does not know.
    async fn action(&self) -> Option<ModerationActionKind> {
        Action::from_stored(&self.0.action).map(ModerationActionKind::from)
    }

    /// The global id of what it was done to (a comment, paper, user or report); it may no
    /// longer exist.
    async fn target_id(&self) -> Option<ID> {
        let kind = match Target::from_stored(&self.0.target_kind, self.0.target_id)? {
            Target::Comment(_) => NodeKind::Comment,
            Target::Paper(_) => NodeKind::Paper,
            Target::User(_) => NodeKind::User,
            Target::Report(_) => NodeKind::Report,
        };
        Some(ID(GlobalId::encode(kind, self.0.target_id)))
    }

    /// The reason given (for a role change: the new role).
    async fn reason(&self) -> Option<&str> {
        self.0.reason.as_deref()
    }

    async fn created_at(&self) -> DateTime {
        DateTime(self.0.created_at)
    }
}
