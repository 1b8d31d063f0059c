//! The personal layer's mutations: saving papers, following, and marking notifications
//! read. Saves and follows are idempotent: doing one twice changes nothing.

use async_graphql::{Context, ID, Object};

use crate::auth::{Role, RoleGuard, Scope};
use crate::error::AppError;
use crate::graphql::types::{GlobalId, NodeKind};
use crate::services::follows::{self, Followed};
use crate::services::notifications::{self, MarkRead};
use crate::services::{authors, saves, users};

use super::context::{loader, state};
use super::mutation::signed_in_user;
use super::personal_loaders::{HasSaved, ViewerFollows};
use super::types::{Author, Category, Paper, User};

/// The most notification ids one `markNotificationsRead` takes.
const MAX_MARKED_IDS: usize = 500;

/// Entry points of the personal layer.
#[derive(Default)]
pub struct PersonalMutation;

#[Object]
impl PersonalMutation {
    /// Saves a paper to the viewer's bookmarks (`savedPapers`).
    #[graphql(guard = "RoleGuard(Role::User, Scope::Collections)")]
    async fn save_paper(&self, ctx: &Context<'_>, paper_id: ID) -> async_graphql::Result<Paper> {
        set_saved(ctx, &paper_id, true).await
    }

    /// Removes a paper from the viewer's bookmarks.
    #[graphql(guard = "RoleGuard(Role::User, Scope::Collections)")]
    async fn unsave_paper(&self, ctx: &Context<'_>, paper_id: ID) -> async_graphql::Result<Paper> {
        set_saved(ctx, &paper_id, false).await
    }

    /// Follows an author: their new papers reach the viewer's `feed` and inbox.
    #[graphql(guard = "RoleGuard(Role::User, Scope::Follow)")]
    async fn follow_author(
        &self,
        ctx: &Context<'_>,
        author_id: ID,
    ) -> async_graphql::Result<Author> {
        set_author_followed(ctx, &author_id, true).await
    }

    /// Stops following an author.
    #[graphql(guard = "RoleGuard(Role::User, Scope::Follow)")]
    async fn unfollow_author(
        &self,
        ctx: &Context<'_>,
        author_id: ID,
    ) -> async_graphql::Result<Author> {
        set_author_followed(ctx, &author_id, false).await
    }

    /// Follows a user: the papers they submit reach the viewer's `feed` and inbox.
    #[graphql(guard = "RoleGuard(Role::User, Scope::Follow)")]
    async fn follow_user(
        &self,
        ctx: &Context<'_>,
        username: String,
    ) -> async_graphql::Result<User> {
        set_user_followed(ctx, &username, true).await
    }

    /// Stops following a user.
    #[graphql(guard = "RoleGuard(Role::User, Scope::Follow)")]
    async fn unfollow_user(
        &self,
        ctx: &Context<'_>,
        username: String,
    ) -> async_graphql::Result<User> {
        set_user_followed(ctx, &username, false).await
    }

    /// Follows an arXiv category (code such as `cs.LG`): its new papers reach the
    /// viewer's `feed`.
    #[graphql(guard = "RoleGuard(Role::User, Scope::Follow)")]
    async fn follow_category(
        &self,
        ctx: &Context<'_>,
        code: String,
    ) -> async_graphql::Result<Category> {
        set_category_followed(ctx, code, true).await
    }

    /// Stops following an arXiv category.
    #[graphql(guard = "RoleGuard(Role::User, Scope::Follow)")]
    async fn unfollow_category(
        &self,
        ctx: &Context<'_>,
        code: String,
    ) -> async_graphql::Result<Category> {
        set_category_followed(ctx, code, false).await
    }

    /// Marks notifications read: the given `ids` (at most 500, all the viewer's —
    /// otherwise `NOT_FOUND` and nothing is marked) or, with `all: true`, every unread one.
    /// Returns how many were unread.
    #[graphql(guard = "RoleGuard(Role::User, Scope::Notifications)")]
    async fn mark_notifications_read(
        &self,
        ctx: &Context<'_>,
        ids: Option<Vec<ID>>,
        all: Option<bool>,
    ) -> async_graphql::Result<i32> {
        let user_id = signed_in_user(ctx)?;
        let which = match (ids, all.unwrap_or(false)) {
            (Some(ids), false) => MarkRead::Ids(notification_ids(&ids)?),
            (None, true) => MarkRead::All,
            _ => {
                return Err(AppError::bad_input("ids", "give either `ids` or `all: true`").into());
            }
        };
        let marked = notifications::mark_read(state(ctx)?.services(), user_id, which).await?;
        Ok(i32::try_from(marked).unwrap_or(i32::MAX))
    }
}

fn notification_ids(ids: &[ID]) -> Result<Vec<i64>, AppError> {
    if ids.is_empty() || ids.len() > MAX_MARKED_IDS {
        return Err(AppError::bad_input(
            "ids",
            format!("give 1 to {MAX_MARKED_IDS} ids"),
        ));
    }
    ids.iter()
        .enumerate()
        .map(|(index, id)| {
            GlobalId::decode_as(id, NodeKind::Notification, &format!("ids[{index}]"))
        })
        .collect()
}

async fn set_saved(ctx: &Context<'_>, paper_id: &ID, saved: bool) -> async_graphql::Result<Paper> {
    let user_id = signed_in_user(ctx)?;
    let paper_id = GlobalId::decode_as(paper_id, NodeKind::Paper, "paperId")?;
    let services = state(ctx)?.services();
    let paper = if saved {
        saves::save(services, user_id, paper_id).await?
    } else {
        saves::unsave(services, user_id, paper_id).await?
    };
    loader(ctx)?
        .feed_one(HasSaved { user_id, paper_id }, saved)
        .await;
    Ok(Paper::from(paper))
}

/// Follows or unfollows `target`, and tells the request's loader the outcome.
async fn set_followed(
    ctx: &Context<'_>,
    target: Followed,
    followed: bool,
) -> async_graphql::Result<()> {
    let viewer = signed_in_user(ctx)?;
    follows::set(state(ctx)?.services(), viewer, &target, followed).await?;
    loader(ctx)?
        .feed_one(ViewerFollows { viewer, target }, followed)
        .await;
    Ok(())
}

async fn set_author_followed(
    ctx: &Context<'_>,
    author_id: &ID,
    followed: bool,
) -> async_graphql::Result<Author> {
    let author_id = GlobalId::decode_as(author_id, NodeKind::Author, "authorId")?;
    let author = authors::by_id(state(ctx)?.db.writer(), author_id)
        .await?
        .ok_or(AppError::NotFound { resource: "author" })?;
    set_followed(ctx, Followed::Author(author_id), followed).await?;
    Ok(Author::from(author))
}

async fn set_user_followed(
    ctx: &Context<'_>,
    username: &str,
    followed: bool,
) -> async_graphql::Result<User> {
    let user = users::by_username(state(ctx)?.db.writer(), username)
        .await?
        .ok_or(AppError::NotFound { resource: "user" })?;
    set_followed(ctx, Followed::User(user.id), followed).await?;
    Ok(User::from(user))
}

async fn set_category_followed(
    ctx: &Context<'_>,
    code: String,
    followed: bool,
) -> async_graphql::Result<Category> {
    let category = Category::of_code(&code)
        .ok_or_else(|| AppError::bad_input("code", format!("`{code}` is not an arXiv category")))?;
    set_followed(ctx, Followed::Category(code), followed).await?;
    Ok(category)
}
