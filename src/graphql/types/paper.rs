//! `Paper`.

use std::sync::Arc;

use async_graphql::{Context, ID, Object};
use entity::paper;

use crate::error::AppError;
use crate::graphql::collection_lists::{collections_holding, public_collection_count};
use crate::graphql::comment_lists::comments_of;
use crate::graphql::context::{loader, viewer};
use crate::graphql::loaders::{BylineOf, CategoriesOf, HasUpvoted, RequestLoader, UserById};
use crate::graphql::personal_loaders::HasSaved;
use crate::graphql::prefetch;
use crate::graphql::types::{GlobalId, NodeKind};
use crate::graphql::upvote_lists::upvoters_of;
use crate::pagination::PageArgs;
use crate::services::bylines::BylineKey;
use crate::services::comments::CommentList;
use crate::services::papers::{PaperListing, PaperOrder, PaperPage};

use super::connection::{Connection, TotalCount};
use super::{
    Author, Category, Collection, Comment, CommentOrderInput, Date, DateTime, User, page_cost,
};

/// A research paper in the feed.
#[derive(Clone)]
pub struct Paper {
    model: Arc<paper::Model>,
    /// The loader of the event this paper arrived with, shared by every subscriber that
    /// resolves it; `None` for papers of ordinary requests (which use the request's loader).
    event_loader: Option<Arc<RequestLoader>>,
    /// The highlighted excerpt of a search result, when its search selected one.
    search_snippet: Option<Arc<str>>,
}

impl From<paper::Model> for Paper {
    fn from(model: paper::Model) -> Self {
        Self {
            model: Arc::new(model),
            event_loader: None,
            search_snippet: None,
        }
    }
}

impl Paper {
    /// A paper delivered by a subscription event, resolved with the event's shared loader.
    pub fn from_event(model: Arc<paper::Model>, loader: Arc<RequestLoader>) -> Self {
        Self {
            model,
            event_loader: Some(loader),
            search_snippet: None,
        }
    }

    /// A search result, with its highlighted excerpt when one was made.
    pub fn search_result(model: paper::Model, snippet: Option<String>) -> Self {
        Self {
            search_snippet: snippet.map(Arc::from),
            ..Self::from(model)
        }
    }

    /// The stored row.
    pub fn model(&self) -> &paper::Model {
        &self.model
    }

    fn loader<'a>(&'a self, ctx: &Context<'a>) -> Result<&'a RequestLoader, AppError> {
        match &self.event_loader {
            Some(loader) => Ok(loader),
            None => loader(ctx),
        }
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

    /// The paper's category codes, the primary first (batched across the request).
    async fn category_codes(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<String>> {
        Ok(self
            .loader(ctx)?
            .load_one(CategoriesOf(self.model.id))
            .await?
            .unwrap_or_default())
    }

    /// One page of `listing`, its relations prefetched, as a connection.
    pub async fn list(
        ctx: &Context<'_>,
        listing: PaperListing,
        page_args: &PageArgs,
    ) -> async_graphql::Result<Connection<Paper>> {
        let request = page_args.parse(listing.order.list_kind(), &listing.order.cursor_shape())?;
        let page = prefetch::paper_page(ctx, &listing, &request).await?;
        Ok(Self::listing_connection(page, listing))
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
        ID(GlobalId::encode(NodeKind::Paper, self.model.id))
    }

    /// arXiv identifier without version, e.g. `2410.10977`.
    async fn arxiv_id(&self) -> Option<&str> {
        self.model.arxiv_id.as_deref()
    }

    async fn title(&self) -> &str {
        &self.model.title
    }

    #[graphql(name = "abstract")]
    async fn abstract_text(&self) -> &str {
        &self.model.r#abstract
    }

    /// The byline, in order.
    async fn authors(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<Author>> {
        let byline = self
            .loader(ctx)?
            .load_one(BylineOf(BylineKey::of(&self.model)))
            .await?;
        Ok(byline
            .map(|byline| byline.iter().cloned().map(Author::from).collect())
            .unwrap_or_default())
    }

    /// In `searchPapers` results: a short excerpt of the abstract around the matched words,
    /// as HTML — the text escaped, each match wrapped in `<mark>…</mark>`. Null elsewhere.
    async fn search_snippet(&self) -> Option<&str> {
        self.search_snippet.as_deref()
    }

    /// Length of the byline.
    async fn author_count(&self) -> i32 {
        self.model.author_count
    }

    /// Publication date, when known.
    async fn published_at(&self) -> Option<Date> {
        self.model.published_at.map(Date)
    }

    /// When the paper entered the feed.
    async fn submitted_at(&self) -> DateTime {
        DateTime(self.model.submitted_at)
    }

    /// Who submitted it; null for imported papers and deleted accounts.
    async fn submitted_by(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<User>> {
        let Some(user_id) = self.model.submitted_by else {
            return Ok(None);
        };
        Ok(self
            .loader(ctx)?
            .load_one(UserById(user_id))
            .await?
            .map(User::from))
    }

    /// Code repository.
    async fn github_url(&self) -> Option<&str> {
        self.model.github_url.as_deref()
    }

    /// Project page.
    async fn project_url(&self) -> Option<&str> {
        self.model.project_url.as_deref()
    }

    /// The arXiv categories the paper is listed in, the primary first.
    async fn categories(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<Category>> {
        let codes = self.category_codes(ctx).await?;
        Ok(codes
            .iter()
            .filter_map(|code| Category::of_code(code))
            .collect())
    }

    /// The primary arXiv category.
    async fn primary_category(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Category>> {
        let codes = self.category_codes(ctx).await?;
        Ok(codes.first().and_then(|code| Category::of_code(code)))
    }

    /// Digital Object Identifier of the published version, e.g. `10.1145/3580305.3599931`.
    async fn doi(&self) -> Option<&str> {
        self.model.doi.as_deref()
    }

    /// Journal reference of the published version.
    async fn journal_ref(&self) -> Option<&str> {
        self.model.journal_ref.as_deref()
    }

    /// The authors' comment line on arXiv, e.g. "12 pages, 5 figures".
    async fn arxiv_comment(&self) -> Option<&str> {
        self.model.arxiv_comment.as_deref()
    }

    /// URL of the paper's licence.
    async fn license(&self) -> Option<&str> {
        self.model.license.as_deref()
    }

    /// The latest arXiv version number.
    async fn version(&self) -> Option<i32> {
        self.model.version
    }

    /// Whether the paper was withdrawn on arXiv (it stays in the feed).
    async fn withdrawn(&self) -> bool {
        self.model.withdrawn
    }

    /// The last change of the record: its submission, or a later update.
    async fn updated_at(&self) -> DateTime {
        DateTime(self.model.updated_at.unwrap_or(self.model.submitted_at))
    }

    /// Link to the PDF.
    async fn pdf_url(&self) -> Option<&str> {
        self.model.pdf_url.as_deref()
    }

    /// Stars of the code repository, when a source gave them.
    async fn github_stars(&self) -> Option<i32> {
        self.model.github_stars
    }

    /// Upvotes: the count imported from the source plus upvotes cast here. Always exact
    /// and live (ranked lists order by the count at their last refresh; see `papers`).
    async fn upvote_count(&self) -> i32 {
        self.model.upvote_count
    }

    /// Whether the signed-in viewer has upvoted this paper; false for anonymous requests.
    async fn viewer_has_upvoted(&self, ctx: &Context<'_>) -> async_graphql::Result<bool> {
        let Some(user_id) = viewer(ctx).user_id() else {
            return Ok(false);
        };
        let key = HasUpvoted {
            user_id,
            paper_id: self.model.id,
        };
        Ok(self.loader(ctx)?.load_one(key).await?.unwrap_or(false))
    }

    /// Whether the signed-in viewer saved this paper; false for anonymous requests.
    async fn viewer_has_saved(&self, ctx: &Context<'_>) -> async_graphql::Result<bool> {
        let Some(user_id) = viewer(ctx).user_id() else {
            return Ok(false);
        };
        let key = HasSaved {
            user_id,
            paper_id: self.model.id,
        };
        Ok(self.loader(ctx)?.load_one(key).await?.unwrap_or(false))
    }

    /// How many public collections hold it.
    async fn collection_count(&self, ctx: &Context<'_>) -> async_graphql::Result<i32> {
        public_collection_count(ctx, self.model.id).await
    }

    /// The public collections holding it, newest first.
    #[graphql(complexity = "page_cost(first, None, child_complexity)")]
    async fn collections(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Page size, 1–100 (default 20).")] first: Option<i32>,
        #[graphql(desc = "Cursor to continue after.")] after: Option<String>,
    ) -> async_graphql::Result<Connection<Collection>> {
        collections_holding(ctx, self.model.id, (first, after)).await
    }

    /// Comments in its discussion (deleted ones left out), kept exact by the database.
    async fn comment_count(&self) -> i32 {
        self.model.comment_count
    }

    /// Its top-level comments (replies hang under them), newest first by default.
    #[graphql(complexity = "page_cost(first, None, child_complexity)")]
    async fn comments(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Page size, 1–100 (default 20).")] first: Option<i32>,
        #[graphql(desc = "Cursor to continue after.")] after: Option<String>,
        order_by: Option<CommentOrderInput>,
    ) -> async_graphql::Result<Connection<Comment>> {
        let list = CommentList::OfPaper(order_by.unwrap_or_default().into());
        let total = TotalCount::Comments(list, self.model.id);
        comments_of(ctx, list, self.model.id, (first, after), total).await
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
        upvoters_of(ctx, self.model.id, first, after).await
    }
}
