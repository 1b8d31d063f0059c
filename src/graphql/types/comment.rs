//! `Comment`, its order and the payloads of the comment mutations.

use std::sync::Arc;

use async_graphql::{Context, Enum, ID, InputObject, Object, SimpleObject};
use entity::comment;

use crate::auth::Viewer;
use crate::error::AppError;
use crate::graphql::comment_lists::comments_of;
use crate::graphql::comment_loaders::{CommentById, HasUpvotedComment, PaperById};
use crate::graphql::context::{loader, viewer};
use crate::graphql::loaders::{RequestLoader, UserById};
use crate::graphql::types::{GlobalId, NodeKind};
use crate::services::comments::{CommentList, CommentOrder};

use super::connection::{Connection, TotalCount};
use super::{DateTime, Paper, User, page_cost};

/// A comment in a paper's discussion.
#[derive(Clone)]
pub struct Comment {
    model: Arc<comment::Model>,
    /// The loader of the event this comment arrived with, shared by the subscribers that
    /// resolve it; `None` in ordinary requests.
    event_loader: Option<Arc<RequestLoader>>,
}

impl From<comment::Model> for Comment {
    fn from(model: comment::Model) -> Self {
        Self {
            model: Arc::new(model),
            event_loader: None,
        }
    }
}

impl Comment {
    /// A comment delivered by a subscription event.
    pub fn from_event(model: Arc<comment::Model>, loader: Arc<RequestLoader>) -> Self {
        Self {
            model,
            event_loader: Some(loader),
        }
    }

    /// The stored row.
    pub fn model(&self) -> &comment::Model {
        &self.model
    }

    fn loader<'a>(&'a self, ctx: &Context<'a>) -> Result<&'a RequestLoader, AppError> {
        match &self.event_loader {
            Some(loader) => Ok(loader),
            None => loader(ctx),
        }
    }

    /// Whether `viewer` may read the body: everyone unless hidden; the author and
    /// moderators always.
    fn body_visible_to(&self, viewer: Viewer) -> bool {
        !self.model.hidden || viewer.is_moderator() || self.is_by(viewer)
    }

    fn is_by(&self, viewer: Viewer) -> bool {
        viewer.user_id().is_some() && self.model.author_id == viewer.user_id()
    }
}

#[Object]
impl Comment {
    /// Opaque global id.
    pub async fn id(&self) -> ID {
        ID(GlobalId::encode(NodeKind::Comment, self.model.id))
    }

    /// The paper under discussion.
    async fn paper(&self, ctx: &Context<'_>) -> async_graphql::Result<Paper> {
        self.loader(ctx)?
            .load_one(PaperById(self.model.paper_id))
            .await?
            .map(Paper::from)
            .ok_or_else(|| AppError::NotFound { resource: "paper" }.into())
    }

    /// Who wrote it: null once the account is gone, and for a deleted comment.
    async fn author(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<User>> {
        let Some(author_id) = self.model.author_id.filter(|_| !self.model.deleted) else {
            return Ok(None);
        };
        Ok(self
            .loader(ctx)?
            .load_one(UserById(author_id))
            .await?
            .map(User::from))
    }

    /// The Markdown as written. Empty when deleted, and when hidden unless the viewer wrote
    /// it or moderates.
    async fn body(&self, ctx: &Context<'_>) -> &str {
        if self.body_visible_to(viewer(ctx)) {
            &self.model.body
        } else {
            ""
        }
    }

    /// The body rendered to HTML and sanitised (no scripts, event handlers or `javascript:`
    /// URLs; links carry `rel="nofollow ugc noopener"`). Empty when `body` is.
    async fn body_html(&self, ctx: &Context<'_>) -> &str {
        if self.body_visible_to(viewer(ctx)) {
            &self.model.body_html
        } else {
            ""
        }
    }

    /// The comment this one answers; null for a top-level comment.
    async fn parent(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Comment>> {
        let Some(parent_id) = self.model.parent_id else {
            return Ok(None);
        };
        Ok(self
            .loader(ctx)?
            .load_one(CommentById(parent_id))
            .await?
            .map(Comment::from))
    }

    /// The direct replies, oldest first.
    #[graphql(complexity = "page_cost(first, None, child_complexity)")]
    async fn replies(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Page size, 1–100 (default 20).")] first: Option<i32>,
        #[graphql(desc = "Cursor to continue after.")] after: Option<String>,
    ) -> async_graphql::Result<Connection<Comment>> {
        let total = TotalCount::Known(self.model.reply_count.into());
        comments_of(
            ctx,
            CommentList::Replies,
            self.model.id,
            (first, after),
            total,
        )
        .await
    }

    /// The number of direct replies (deleted ones that still have replies included).
    async fn reply_count(&self) -> i32 {
        self.model.reply_count
    }

    async fn created_at(&self) -> DateTime {
        DateTime(self.model.created_at)
    }

    /// When the body was last edited; null if never.
    async fn edited_at(&self) -> Option<DateTime> {
        self.model.edited_at.map(DateTime)
    }

    /// Deleted while it had replies: kept in the thread with an empty body.
    async fn deleted(&self) -> bool {
        self.model.deleted
    }

    /// Hidden by a moderator.
    async fn hidden(&self) -> bool {
        self.model.hidden
    }

    async fn upvote_count(&self) -> i32 {
        self.model.upvote_count
    }

    /// Whether the signed-in viewer upvoted this comment (false when signed out).
    async fn viewer_has_upvoted(&self, ctx: &Context<'_>) -> async_graphql::Result<bool> {
        let Some(user_id) = viewer(ctx).user_id() else {
            return Ok(false);
        };
        let key = HasUpvotedComment {
            user_id,
            comment_id: self.model.id,
        };
        Ok(self.loader(ctx)?.load_one(key).await?.unwrap_or(false))
    }

    /// Whether the viewer may edit it: its author, while it is not deleted.
    async fn viewer_can_edit(&self, ctx: &Context<'_>) -> bool {
        !self.model.deleted && self.is_by(viewer(ctx))
    }
}

/// The orders of a paper's top-level comments.
#[derive(Enum, Clone, Copy, PartialEq, Eq, Default)]
#[graphql(name = "CommentOrder")]
pub enum CommentOrderInput {
    /// Newest first (the default).
    #[default]
    Newest,
    /// Oldest first.
    Oldest,
    /// Most upvoted first.
    Top,
}

impl From<CommentOrderInput> for CommentOrder {
    fn from(order: CommentOrderInput) -> Self {
        match order {
            CommentOrderInput::Newest => Self::Newest,
            CommentOrderInput::Oldest => Self::Oldest,
            CommentOrderInput::Top => Self::Top,
        }
    }
}

/// A new comment: on a paper, or a reply to a comment of the same paper.
#[derive(InputObject)]
pub struct AddCommentInput {
    pub paper_id: ID,
    /// The comment answered; omit for a top-level comment.
    pub parent_id: Option<ID>,
    /// Markdown, 1–20,000 characters after trimming.
    pub body: String,
}

/// The comment a mutation wrote.
#[derive(SimpleObject)]
pub struct CommentPayload {
    pub comment: Comment,
}

/// What `deleteComment` did.
#[derive(SimpleObject)]
pub struct DeleteCommentPayload {
    /// The deleted comment's id.
    pub comment_id: ID,
    /// The tombstone left when the comment had replies; null when it is gone.
    pub comment: Option<Comment>,
}

/// A change to a comment of a paper's discussion.
#[derive(SimpleObject)]
pub struct CommentChange {
    pub comment_id: ID,
    /// The comment as it now is; null once it is gone (deleted without replies).
    pub comment: Option<Comment>,
}
