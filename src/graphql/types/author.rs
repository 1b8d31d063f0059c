//! `Author`.

use std::sync::Arc;

use async_graphql::{Context, ID, Object};
use entity::author;

use crate::graphql::context::loader;
use crate::graphql::loaders::{PaperCountOf, UserById};
use crate::graphql::types::{GlobalId, NodeKind};
use crate::services::follows::Followed;
use crate::services::papers::PaperOwner;

use super::connection::Connection;
use super::following::{follower_count, viewer_follows};
use super::{Paper, User, page_cost};
use crate::graphql::owned_papers::papers_of;

/// An author as printed on papers. One printed name is one author.
#[derive(Clone)]
pub struct Author(Arc<author::Model>);

impl From<author::Model> for Author {
    fn from(model: author::Model) -> Self {
        Self(Arc::new(model))
    }
}

impl From<Arc<author::Model>> for Author {
    fn from(model: Arc<author::Model>) -> Self {
        Self(model)
    }
}

impl Author {
    /// The stored row.
    pub fn model(&self) -> &author::Model {
        &self.0
    }
}

#[Object]
impl Author {
    /// Opaque global id.
    pub async fn id(&self) -> ID {
        ID(GlobalId::encode(NodeKind::Author, self.0.id))
    }

    /// The name as printed on the paper.
    async fn name(&self) -> &str {
        &self.0.name
    }

    /// The user account of this author, when linked.
    async fn user(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<User>> {
        let Some(user_id) = self.0.user_id else {
            return Ok(None);
        };
        Ok(loader(ctx)?
            .load_one(UserById(user_id))
            .await?
            .map(User::from))
    }

    /// Number of papers with this author on the byline.
    async fn paper_count(&self, ctx: &Context<'_>) -> async_graphql::Result<i32> {
        let count = loader(ctx)?
            .load_one(PaperCountOf(PaperOwner::Author, self.0.id))
            .await?
            .unwrap_or(0);
        Ok(i32::try_from(count).unwrap_or(i32::MAX))
    }

    /// How many users follow this author.
    async fn follower_count(&self, ctx: &Context<'_>) -> async_graphql::Result<i32> {
        follower_count(ctx, Followed::Author(self.0.id)).await
    }

    /// Whether the signed-in viewer follows this author; false when anonymous.
    async fn viewer_follows(&self, ctx: &Context<'_>) -> async_graphql::Result<bool> {
        viewer_follows(ctx, Followed::Author(self.0.id)).await
    }

    /// This author's papers, newest publication first (then newest submission).
    #[graphql(complexity = "page_cost(first, None, child_complexity)")]
    async fn papers(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Page size, 1–100 (default 20).")] first: Option<i32>,
        #[graphql(desc = "Cursor to continue after.")] after: Option<String>,
    ) -> async_graphql::Result<Connection<Paper>> {
        papers_of(ctx, PaperOwner::Author, self.0.id, first, after).await
    }
}
