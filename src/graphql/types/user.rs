//! `User`.

use std::sync::Arc;

use async_graphql::{Context, ID, Object};
use entity::user;

use crate::auth::Role;
use crate::auth::Scope;
use crate::clock;
use crate::error::AppError;
use crate::graphql::collection_lists::collections_of_user;
use crate::graphql::comment_lists::comments_of;
use crate::graphql::context::{state, viewer};
use crate::graphql::owned_papers::papers_of;
use crate::graphql::personal_lists::{PrivateData, notifications_of, owner_only, saved_papers_of};
use crate::graphql::types::{GlobalId, NodeKind};
use crate::graphql::upvote_lists::upvoted_by;
use crate::services::comments::CommentList;
use crate::services::follows::Followed;
use crate::services::papers::PaperOwner;
use crate::services::{notifications, oauth_apps, oauth_grants, personal_tokens, sign_ins, users};

use super::connection::{Connection, TotalCount};
use super::following::{follower_count, viewer_follows};
use super::{
    AuthorizedApp, Collection, Comment, DateTime, Following, Notification, OAuthApp, Paper,
    PersonalAccessToken, RoleValue, Session, page_cost,
};

/// A member of the community.
#[derive(Clone)]
pub struct User {
    model: Arc<user::Model>,
    /// Shown to the user themself regardless of the request's viewer (the payload of
    /// `register` and `login`, whose request carried no token yet).
    seen_by_self: bool,
}

impl From<user::Model> for User {
    fn from(model: user::Model) -> Self {
        Self {
            model: Arc::new(model),
            seen_by_self: false,
        }
    }
}

impl User {
    /// A user shown to themself.
    pub fn seen_by_self(model: user::Model) -> Self {
        Self {
            model: Arc::new(model),
            seen_by_self: true,
        }
    }

    /// The stored row.
    pub fn model(&self) -> &user::Model {
        &self.model
    }
}

#[Object]
impl User {
    /// Opaque global id.
    pub async fn id(&self) -> ID {
        ID(GlobalId::encode(NodeKind::User, self.model.id))
    }

    /// Unique handle, 3–32 of `A–Z a–z 0–9 _ -`, unique regardless of case.
    async fn username(&self) -> &str {
        &self.model.username
    }

    async fn display_name(&self) -> Option<&str> {
        self.model.display_name.as_deref()
    }

    /// What the account may do: `USER`, `MODERATOR` or `ADMIN`.
    async fn role(&self) -> RoleValue {
        Role::from_stored(&self.model.role).into()
    }

    /// Whether the account is banned now (it may read, not write).
    async fn banned(&self) -> bool {
        users::ban_of(&self.model, chrono::Utc::now()).is_some()
    }

    /// When the account was created.
    async fn created_at(&self) -> DateTime {
        DateTime(self.model.created_at)
    }

    /// Email address: visible only to the user themself and to admins (with the `read`
    /// scope: `FORBIDDEN` without it); null for everyone else.
    async fn email(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<&str>> {
        if self.seen_by_self {
            return Ok(Some(self.model.email.as_str()));
        }
        let viewer = viewer(ctx);
        if !viewer.can_see_private_fields_of(self.model.id) {
            return Ok(None);
        }
        viewer.require_scope(Scope::Read)?;
        Ok(Some(self.model.email.as_str()))
    }

    /// Whether the account proved it owns its email address (`verifyEmail`).
    async fn email_verified(&self) -> bool {
        self.model.email_verified_at.is_some()
    }

    /// A few words about the user, as they wrote them (plain text).
    async fn bio(&self) -> Option<&str> {
        self.model.bio.as_deref()
    }

    async fn website_url(&self) -> Option<&str> {
        self.model.website_url.as_deref()
    }

    async fn avatar_url(&self) -> Option<&str> {
        self.model.avatar_url.as_deref()
    }

    /// The OAuth apps this user registered (the user themself, signed in on Paperboard).
    #[graphql(name = "oauthApps")]
    async fn oauth_apps(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<OAuthApp>> {
        account_owner(ctx, self.model.id)?;
        let apps = oauth_apps::of_owner(state(ctx)?.db.reader(), self.model.id).await?;
        Ok(apps.into_iter().map(OAuthApp).collect())
    }

    /// The apps this user granted access, and what they granted (the user themself).
    async fn authorized_apps(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<Vec<AuthorizedApp>> {
        account_owner(ctx, self.model.id)?;
        let granted = oauth_grants::authorized_apps(state(ctx)?.db.reader(), self.model.id).await?;
        Ok(granted
            .into_iter()
            .map(|(consent, app)| AuthorizedApp { consent, app })
            .collect())
    }

    /// This user's live personal access tokens, newest first (the user themself).
    async fn personal_access_tokens(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<Vec<PersonalAccessToken>> {
        account_owner(ctx, self.model.id)?;
        let tokens = personal_tokens::list(state(ctx)?.db.reader(), self.model.id).await?;
        Ok(tokens.into_iter().map(PersonalAccessToken).collect())
    }

    /// This user's live sessions on Paperboard itself, newest first, the request's own
    /// marked `current` (the user themself).
    async fn sessions(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<Session>> {
        account_owner(ctx, self.model.id)?;
        let current = viewer(ctx).sign_in();
        let state = state(ctx)?;
        let since = clock::now() - state.auth.refresh_lifetime;
        let sessions = sign_ins::sessions_of(state.db.reader(), self.model.id, since).await?;
        Ok(sessions
            .into_iter()
            .map(|model| Session {
                current: Some(model.id) == current,
                model,
            })
            .collect())
    }

    /// Papers this user upvoted, newest upvote first.
    #[graphql(complexity = "page_cost(first, None, child_complexity)")]
    async fn upvoted_papers(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Page size, 1–100 (default 20).")] first: Option<i32>,
        #[graphql(desc = "Cursor to continue after.")] after: Option<String>,
    ) -> async_graphql::Result<Connection<Paper>> {
        upvoted_by(ctx, self.model.id, first, after).await
    }

    /// Comments this user wrote (deleted ones left out), newest first.
    #[graphql(complexity = "page_cost(first, None, child_complexity)")]
    async fn comments(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Page size, 1–100 (default 20).")] first: Option<i32>,
        #[graphql(desc = "Cursor to continue after.")] after: Option<String>,
    ) -> async_graphql::Result<Connection<Comment>> {
        let list = CommentList::ByAuthor;
        let total = TotalCount::Comments(list, self.model.id);
        comments_of(ctx, list, self.model.id, (first, after), total).await
    }

    /// Papers this user saved, newest save first. Only the user themself may read them
    /// (`FORBIDDEN` otherwise).
    #[graphql(complexity = "page_cost(first, None, child_complexity)")]
    async fn saved_papers(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Page size, 1–100 (default 20).")] first: Option<i32>,
        #[graphql(desc = "Cursor to continue after.")] after: Option<String>,
    ) -> async_graphql::Result<Connection<Paper>> {
        saved_papers_of(ctx, self.model.id, (first, after)).await
    }

    /// The authors, users and categories this user follows.
    async fn following(&self) -> Following {
        Following {
            user_id: self.model.id,
        }
    }

    /// This user's collections, newest first: all of them for the user themself, the
    /// public ones for everyone else.
    #[graphql(complexity = "page_cost(first, None, child_complexity)")]
    async fn collections(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Page size, 1–100 (default 20).")] first: Option<i32>,
        #[graphql(desc = "Cursor to continue after.")] after: Option<String>,
    ) -> async_graphql::Result<Connection<Collection>> {
        collections_of_user(ctx, self.model.id, (first, after)).await
    }

    /// How many users follow this user.
    async fn follower_count(&self, ctx: &Context<'_>) -> async_graphql::Result<i32> {
        follower_count(ctx, Followed::User(self.model.id)).await
    }

    /// Whether the signed-in viewer follows this user; false when anonymous.
    async fn viewer_follows(&self, ctx: &Context<'_>) -> async_graphql::Result<bool> {
        viewer_follows(ctx, Followed::User(self.model.id)).await
    }

    /// This user's notifications, newest first; only unread ones with `unreadOnly`. Only
    /// the user themself may read them (`FORBIDDEN` otherwise).
    #[graphql(complexity = "page_cost(first, None, child_complexity)")]
    async fn notifications(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Page size, 1–100 (default 20).")] first: Option<i32>,
        #[graphql(desc = "Cursor to continue after.")] after: Option<String>,
        unread_only: Option<bool>,
    ) -> async_graphql::Result<Connection<Notification>> {
        let unread_only = unread_only.unwrap_or(false);
        notifications_of(ctx, self.model.id, (first, after), unread_only).await
    }

    /// How many of this user's notifications are unread (the user themself only).
    async fn unread_notification_count(&self, ctx: &Context<'_>) -> async_graphql::Result<i32> {
        owner_only(ctx, self.model.id, PrivateData::Inbox)?;
        let count = notifications::count(state(ctx)?.db.reader(), self.model.id, true).await?;
        Ok(i32::try_from(count).unwrap_or(i32::MAX))
    }

    /// Papers this user submitted, newest first.
    #[graphql(complexity = "page_cost(first, None, child_complexity)")]
    async fn submitted_papers(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Page size, 1–100 (default 20).")] first: Option<i32>,
        #[graphql(desc = "Cursor to continue after.")] after: Option<String>,
    ) -> async_graphql::Result<Connection<Paper>> {
        papers_of(ctx, PaperOwner::Submitter, self.model.id, first, after).await
    }
}

/// `Ok` when the viewer is `user_id` signed in on Paperboard itself: apps, grants, tokens
/// and sessions are managed there only.
fn account_owner(ctx: &Context<'_>, user_id: i64) -> Result<(), AppError> {
    let viewer = viewer(ctx);
    if viewer.user_id() != Some(user_id) {
        Err(AppError::Forbidden("only the account itself can see this"))
    } else if !viewer.is_first_party() {
        Err(AppError::Forbidden(
            "only a sign-in on Paperboard itself can see the account's apps, tokens and sessions",
        ))
    } else {
        Ok(())
    }
}
