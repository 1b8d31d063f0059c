//! The personal layer's root field: the signed-in user's feed.

use async_graphql::{Context, Object};

use super::mutation::signed_in_user;
use super::personal_lists::feed_of;
use super::types::{Connection, Paper, page_cost};

/// Reads for the signed-in user.
#[derive(Default)]
pub struct PersonalQuery;

#[Object]
impl PersonalQuery {
    /// The viewer's personal feed: papers by the authors they follow, submitted by the
    /// users they follow, or listed in the categories they follow — newest submission
    /// first, each once. Signed in only.
    #[graphql(
        complexity = "page_cost(first, None, child_complexity)",
        cache_control(private)
    )]
    async fn feed(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Page size, 1–100 (default 20).")] first: Option<i32>,
        #[graphql(desc = "Cursor to continue after.")] after: Option<String>,
    ) -> async_graphql::Result<Connection<Paper>> {
        let user_id = signed_in_user(ctx)?;
        feed_of(ctx, user_id, (first, after)).await
    }
}
