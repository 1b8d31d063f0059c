//! `Category`: an arXiv category and the papers listed in it.

use async_graphql::{Context, Object};

use crate::domain::taxonomy::category_name;
use crate::graphql::context::loader;
use crate::graphql::loaders::PaperCountIn;
use crate::pagination::PageArgs;
use crate::services::follows::Followed;
use crate::services::papers::{PaperFilter, PaperListing, PaperOrder};

use super::connection::Connection;
use super::following::{follower_count, viewer_follows};
use super::{Paper, page_cost};

/// An arXiv category (taxonomy code such as `cs.LG`).
#[derive(Debug, Clone)]
pub struct Category {
    code: String,
    /// The stored count, when the category came from a list that read it.
    paper_count: Option<i32>,
}

impl Category {
    /// The category of a code of the taxonomy; `None` for any other string.
    pub fn of_code(code: &str) -> Option<Self> {
        category_name(code).map(|_| Self {
            code: code.to_owned(),
            paper_count: None,
        })
    }

    /// A category read with its paper count.
    pub fn counted(model: entity::category::Model) -> Self {
        Self {
            code: model.code,
            paper_count: Some(model.paper_count),
        }
    }
}

#[Object]
impl Category {
    /// The taxonomy code, e.g. `cs.LG`.
    async fn code(&self) -> &str {
        &self.code
    }

    /// The human name, e.g. "Machine Learning".
    async fn name(&self) -> &str {
        category_name(&self.code).unwrap_or_default()
    }

    /// Papers listed in the category, as the primary category or cross-listed.
    async fn paper_count(&self, ctx: &Context<'_>) -> async_graphql::Result<i32> {
        if let Some(count) = self.paper_count {
            return Ok(count);
        }
        let count = loader(ctx)?
            .load_one(PaperCountIn(self.code.clone()))
            .await?;
        Ok(count.unwrap_or(0))
    }

    /// How many users follow this category.
    async fn follower_count(&self, ctx: &Context<'_>) -> async_graphql::Result<i32> {
        follower_count(ctx, Followed::Category(self.code.clone())).await
    }

    /// Whether the signed-in viewer follows this category; false when anonymous.
    async fn viewer_follows(&self, ctx: &Context<'_>) -> async_graphql::Result<bool> {
        viewer_follows(ctx, Followed::Category(self.code.clone())).await
    }

    /// The papers listed in the category, newest submission first.
    #[graphql(complexity = "page_cost(first, None, child_complexity)")]
    async fn papers(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Page size, 1–100 (default 20).")] first: Option<i32>,
        #[graphql(desc = "Cursor to continue after.")] after: Option<String>,
    ) -> async_graphql::Result<Connection<Paper>> {
        let listing = PaperListing {
            filter: PaperFilter {
                categories: Some(vec![self.code.clone()]),
                ..PaperFilter::default()
            },
            order: PaperOrder::Submitted,
            descending: true,
        };
        Paper::list(ctx, listing, &PageArgs::forward(first, after)).await
    }
}
