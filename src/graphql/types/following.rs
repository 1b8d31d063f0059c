//! `Following`: what a user follows, and the follower fields every followable type shares.

use async_graphql::{Context, Object};

use crate::graphql::context::{loader, state, viewer};
use crate::graphql::personal_lists::{followed_authors_of, followed_users_of};
use crate::graphql::personal_loaders::{FollowerCount, ViewerFollows};
use crate::services::follows::{self, Followed};

use super::connection::Connection;
use super::{Author, Category, User, page_cost};

/// The authors, users and categories a user follows (public).
pub struct Following {
    pub user_id: i64,
}

#[Object]
impl Following {
    /// Followed authors, newest follow first.
    #[graphql(complexity = "page_cost(first, None, child_complexity)")]
    async fn authors(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Page size, 1–100 (default 20).")] first: Option<i32>,
        #[graphql(desc = "Cursor to continue after.")] after: Option<String>,
    ) -> async_graphql::Result<Connection<Author>> {
        followed_authors_of(ctx, self.user_id, (first, after)).await
    }

    /// Followed users, newest follow first.
    #[graphql(complexity = "page_cost(first, None, child_complexity)")]
    async fn users(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Page size, 1–100 (default 20).")] first: Option<i32>,
        #[graphql(desc = "Cursor to continue after.")] after: Option<String>,
    ) -> async_graphql::Result<Connection<User>> {
        followed_users_of(ctx, self.user_id, (first, after)).await
    }

    /// Followed arXiv categories, by code (there are about 150 in all).
    async fn categories(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<Category>> {
        let codes = follows::followed_categories(state(ctx)?.db.reader(), self.user_id).await?;
        Ok(codes
            .iter()
            .filter_map(|code| Category::of_code(code))
            .collect())
    }
}

/// How many users follow `target` (batched across the page).
pub async fn follower_count(ctx: &Context<'_>, target: Followed) -> async_graphql::Result<i32> {
    let count = loader(ctx)?.load_one(FollowerCount(target)).await?;
    Ok(i32::try_from(count.unwrap_or(0)).unwrap_or(i32::MAX))
}

/// Whether the signed-in viewer follows `target`; false when anonymous.
pub async fn viewer_follows(ctx: &Context<'_>, target: Followed) -> async_graphql::Result<bool> {
    let Some(viewer) = viewer(ctx).user_id() else {
        return Ok(false);
    };
    let key = ViewerFollows { viewer, target };
    Ok(loader(ctx)?.load_one(key).await?.unwrap_or(false))
}
