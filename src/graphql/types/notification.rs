//! `Notification`: an entry of the signed-in user's inbox.

use std::sync::Arc;

use async_graphql::{Context, Enum, ID, Object};
use entity::notification;

use crate::graphql::comment_loaders::{CommentById, PaperById};
use crate::graphql::context::loader;
use crate::graphql::loaders::{RequestLoader, UserById};
use crate::graphql::personal_loaders::AuthorById;
use crate::graphql::types::{GlobalId, NodeKind};
use crate::services::notifications::NotificationKind;

use super::{Author, Comment, DateTime, Paper, User};

/// What a notification is about.
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
#[graphql(name = "NotificationKind")]
pub enum NotificationKindValue {
    /// Someone answered your comment.
    CommentReply,
    /// Someone commented on a paper you submitted or wrote.
    PaperComment,
    /// Someone mentioned you (`@username`) in a comment.
    Mention,
    /// New papers by authors you follow (`count` of them; `paper` the latest).
    FollowedAuthorPaper,
    /// New papers submitted by users you follow (`count` of them; `paper` the latest).
    FollowedUserPaper,
    /// A moderator acted on your content.
    Moderation,
}

impl From<NotificationKind> for NotificationKindValue {
    fn from(kind: NotificationKind) -> Self {
        match kind {
            NotificationKind::CommentReply => Self::CommentReply,
            NotificationKind::PaperComment => Self::PaperComment,
            NotificationKind::Mention => Self::Mention,
            NotificationKind::FollowedAuthorPaper => Self::FollowedAuthorPaper,
            NotificationKind::FollowedUserPaper => Self::FollowedUserPaper,
            NotificationKind::Moderation => Self::Moderation,
        }
    }
}

/// An entry of your inbox. Papers by followed authors or users gather into one unread
/// entry per kind (`count`), which a new one starts once it is read.
#[derive(Clone)]
pub struct Notification {
    model: Arc<notification::Model>,
    /// The loader of the live event this notification arrived with.
    event_loader: Option<Arc<RequestLoader>>,
}

impl From<notification::Model> for Notification {
    fn from(model: notification::Model) -> Self {
        Self {
            model: Arc::new(model),
            event_loader: None,
        }
    }
}

impl Notification {
    /// A notification delivered live, resolved with the event's shared loader.
    pub fn from_event(model: Arc<notification::Model>, loader: Arc<RequestLoader>) -> Self {
        Self {
            model,
            event_loader: Some(loader),
        }
    }

    fn loader<'a>(&'a self, ctx: &Context<'a>) -> async_graphql::Result<&'a RequestLoader> {
        match &self.event_loader {
            Some(loader) => Ok(loader),
            None => Ok(loader(ctx)?),
        }
    }
}

#[Object]
impl Notification {
    /// Opaque global id.
    pub async fn id(&self) -> ID {
        ID(GlobalId::encode(NodeKind::Notification, self.model.id))
    }

    async fn kind(&self) -> NotificationKindValue {
        NotificationKind::from_stored(&self.model.kind).into()
    }

    /// When its (latest) event happened.
    async fn created_at(&self) -> DateTime {
        DateTime(self.model.created_at)
    }

    /// When you marked it read; null while unread.
    async fn read_at(&self) -> Option<DateTime> {
        self.model.read_at.map(DateTime)
    }

    /// How many events it stands for (papers gathered; 1 for the other kinds).
    async fn count(&self) -> i32 {
        self.model.event_count
    }

    /// Who acted: the commenter, the submitter, the moderator. Null once the account is
    /// gone.
    async fn actor(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<User>> {
        let Some(id) = self.model.actor_id else {
            return Ok(None);
        };
        let found = self.loader(ctx)?.load_one(UserById(id)).await?;
        Ok(found.map(User::from))
    }

    /// The followed author of a `FOLLOWED_AUTHOR_PAPER` notification.
    async fn author(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Author>> {
        let Some(id) = self.model.author_id else {
            return Ok(None);
        };
        let found = self.loader(ctx)?.load_one(AuthorById(id)).await?;
        Ok(found.map(Author::from))
    }

    /// The paper it is about (the latest, for gathered papers).
    async fn paper(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Paper>> {
        let Some(id) = self.model.paper_id else {
            return Ok(None);
        };
        let found = self.loader(ctx)?.load_one(PaperById(id)).await?;
        Ok(found.map(Paper::from))
    }

    /// The comment it is about.
    async fn comment(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Comment>> {
        let Some(id) = self.model.comment_id else {
            return Ok(None);
        };
        let found = self.loader(ctx)?.load_one(CommentById(id)).await?;
        Ok(found.map(Comment::from))
    }
}
