//! `Paper`.

use std::sync::Arc;

use async_graphql::{Context, ID, Object};
use entity::paper;

use crate::graphql::context::{loader, viewer};
use crate::graphql::loaders::{BylineOf, HasUpvoted, UserById};
use crate::graphql::upvote_lists::upvoters_of;
use crate::ids::{GlobalId, NodeKind};
use crate::services::papers::{PaperListing, PaperOrder, PaperPage};

use super::connection::{Connection, TotalCount};
use super::{Author, Date, DateTime, User, page_cost};

/// A research paper in the feed.
#[derive(Clone)]
pub struct Paper(Arc<paper::Model>);

impl From<paper::Model> for Paper {
    fn from(model: paper::Model) -> Self {
        Self(Arc::new(model))
    }
}

impl Paper {
    /// The stored row.
    pub fn model(&self) -> &paper::Model {
        &self.0
    }

    /// A connection over a page of papers in `order`.
    pub fn connection(page: PaperPage, order: PaperOrder, total: TotalCount) -> Connection<Paper> {
        let generation = page.generation;
        let page = page.page.map(|model| {
            let key = order.key_of(&model, generation);
            (Paper::from(model), key)
        });
        Connection::new(page, order.list_kind(), total)
    }

    /// A connection over a page of `listing`, counting the listing on demand.
    pub fn listing_connection(page: PaperPage, listing: PaperListing) -> Connection<Paper> {
        let order = listing.order;
        Self::connection(page, order, TotalCount::Papers(Box::new(listing)))
    }
}

#[Object]
impl Paper {
    /// Opaque global id.
    pub async fn id(&self) -> ID {
        ID(GlobalId::encode(NodeKind::Paper, self.0.id))
    }

    /// arXiv identifier without version, e.g. `2410.10977`.
    async fn arxiv_id(&self) -> Option<&str> {
        self.0.arxiv_id.as_deref()
    }

    async fn title(&self) -> &str {
        &self.0.title
    }

    #[graphql(name = "abstract")]
    async fn abstract_text(&self) -> &str {
        &self.0.r#abstract
    }

    /// The byline, in order.
    async fn authors(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<Author>> {
        let byline = loader(ctx)?.load_one(BylineOf(self.0.id)).await?;
        Ok(byline
            .map(|byline| byline.iter().cloned().map(Author::from).collect())
            .unwrap_or_default())
    }

    /// Length of the byline.
    async fn author_count(&self) -> i32 {
        self.0.author_count
    }

    /// Publication date, when known.
    async fn published_at(&self) -> Option<Date> {
        self.0.published_at.map(Date)
    }

    /// When the paper entered the feed.
    async fn submitted_at(&self) -> DateTime {
        DateTime(self.0.submitted_at)
    }

    /// Who submitted it; null for imported papers and deleted accounts.
    async fn submitted_by(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<User>> {
        let Some(user_id) = self.0.submitted_by else {
            return Ok(None);
        };
        Ok(loader(ctx)?
            .load_one(UserById(user_id))
            .await?
            .map(User::from))
    }

    /// Code repository.
    async fn github_url(&self) -> Option<&str> {
        self.0.github_url.as_deref()
    }

    /// Project page.
    async fn project_url(&self) -> Option<&str> {
        self.0.project_url.as_deref()
    }

    /// Upvotes: the count imported from the source plus upvotes cast here. Always exact
    /// and live (ranked lists order by the count at their last refresh; see `papers`).
    async fn upvote_count(&self) -> i32 {
        self.0.upvote_count
    }

    /// Whether the signed-in viewer has upvoted this paper; false for anonymous requests.
    async fn viewer_has_upvoted(&self, ctx: &Context<'_>) -> async_graphql::Result<bool> {
        let Some(user_id) = viewer(ctx).user_id() else {
            return Ok(false);
        };
        let key = HasUpvoted {
            user_id,
            paper_id: self.0.id,
        };
        Ok(loader(ctx)?.load_one(key).await?.unwrap_or(false))
    }

    /// The users who upvoted this paper here, newest upvote first. (`totalCount` counts
    /// them; `upvoteCount` also includes the imported baseline.)
    #[graphql(complexity = "page_cost(first, None, child_complexity)")]
    async fn upvoters(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Page size, 1–100 (default 20).")] first: Option<i32>,
        #[graphql(desc = "Cursor to continue after.")] after: Option<String>,
    ) -> async_graphql::Result<Connection<User>> {
        upvoters_of(ctx, self.0.id, first, after).await
    }
}
