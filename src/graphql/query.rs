//! The read half of the API.

use std::collections::HashMap;

use async_graphql::{Context, ID, MergedObject, Object};

use crate::domain::paper;
use crate::error::AppError;
use crate::graphql::types::{GlobalId, NodeKind};
use crate::pagination::PageArgs;
use crate::services::papers::{self, PaperFilter, PaperListing, PaperOrder};
use crate::services::{authors, categories, collections, comments, notifications, users};

use crate::auth::{Role, RoleGuard, Scope};

use super::context::{state, viewer};
use super::moderation_api::ModerationQuery;
use super::personal_query::PersonalQuery;
use super::prefetch;
use super::search_results;
use super::types::{
    Author, Category, Connection, Date, Node, OrderDirection, Paper, PaperFilterInput,
    PaperOrderField, PaperOrderInput, RateLimit, TotalCount, TrendingWindow, User, page_cost,
};

/// Most ids one `nodes` call may ask for.
const MAX_NODES: usize = 100;
/// Longest `nameContains` accepted.
const MAX_NAME_FILTER_CHARS: usize = 200;

/// Entry points for reading: the catalogue here, moderation in [`ModerationQuery`].
#[derive(MergedObject, Default)]
#[graphql(name = "Query")]
pub struct QueryRoot(CoreQuery, ModerationQuery, PersonalQuery);

/// Papers, authors, users, categories and search.
#[derive(Default)]
pub struct CoreQuery;

#[Object]
impl CoreQuery {
    /// Any object by its global id; null when nothing has that id.
    #[graphql(cache_control(max_age = 60))]
    async fn node(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<Option<Node>> {
        let id = GlobalId::decode(&id, "id")?;
        let mut found = fetch_nodes(ctx, &[id]).await?;
        Ok(found.remove(&id))
    }

    /// Objects by global id, in the order asked (null where nothing has that id). At most 100.
    #[graphql(
        complexity = "ids.len().saturating_mul(child_complexity).saturating_add(1)",
        cache_control(max_age = 60)
    )]
    async fn nodes(
        &self,
        ctx: &Context<'_>,
        ids: Vec<ID>,
    ) -> async_graphql::Result<Vec<Option<Node>>> {
        if ids.len() > MAX_NODES {
            return Err(AppError::bad_input("ids", format!("at most {MAX_NODES} ids")).into());
        }
        let ids = ids
            .iter()
            .enumerate()
            .map(|(index, id)| GlobalId::decode(id, &format!("ids[{index}]")))
            .collect::<Result<Vec<_>, _>>()?;
        let found = fetch_nodes(ctx, &ids).await?;
        Ok(ids.iter().map(|id| found.get(id).cloned()).collect())
    }

    /// A paper by global id or by arXiv id (give exactly one); null when there is none.
    #[graphql(cache_control(max_age = 60))]
    async fn paper(
        &self,
        ctx: &Context<'_>,
        id: Option<ID>,
        #[graphql(desc = "With or without version suffix or `arXiv:` prefix.")] arxiv_id: Option<
            String,
        >,
    ) -> async_graphql::Result<Option<Paper>> {
        let db = state(ctx)?.db.reader();
        let found = match (id, arxiv_id) {
            (Some(id), None) => {
                papers::by_id(db, GlobalId::decode_as(&id, NodeKind::Paper, "id")?).await?
            }
            (None, Some(arxiv_id)) => {
                let arxiv_id = paper::arxiv_id(&arxiv_id)
                    .map_err(|message| AppError::bad_input("arxivId", message))?;
                papers::by_arxiv_id(db, &arxiv_id).await?
            }
            _ => {
                return Err(
                    AppError::bad_input("id", "give exactly one of `id` and `arxivId`").into(),
                );
            }
        };
        Ok(found.map(Paper::from))
    }

    /// Papers, newest submission first unless `orderBy` says otherwise. Page forward with
    /// `first`/`after` or backward with `last`/`before` (1–100, default 20).
    ///
    /// Lists ordered by upvotes (`UPVOTES` here, `dailyPapers`, `trendingPapers`) order by
    /// the counts of the last ranking refresh, at most about a second old. A walk through
    /// one keeps the order of its first page: a walk within an hour visits every paper at
    /// most once and skips none that stayed in the list, however the counts change
    /// meanwhile. Cursors never expire; an older one continues from its position in the
    /// current order.
    #[graphql(
        complexity = "page_cost(first, last, child_complexity)",
        cache_control(max_age = 10)
    )]
    #[expect(
        clippy::too_many_arguments,
        reason = "the arguments are the GraphQL contract"
    )]
    async fn papers(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
        filter: Option<PaperFilterInput>,
        order_by: Option<PaperOrderInput>,
    ) -> async_graphql::Result<Connection<Paper>> {
        let (order, descending) = match order_by {
            None => (PaperOrder::Submitted, true),
            Some(order_by) => (
                match order_by.field {
                    PaperOrderField::SubmittedAt => PaperOrder::Submitted,
                    PaperOrderField::PublishedAt => PaperOrder::Published,
                    PaperOrderField::Upvotes => PaperOrder::Upvotes,
                },
                order_by.direction == OrderDirection::Desc,
            ),
        };
        let listing = PaperListing {
            filter: filter
                .unwrap_or_default()
                .decode("filter", viewer(ctx).user_id())?,
            order,
            descending,
        };
        let page_args = PageArgs {
            first,
            after,
            last,
            before,
        };
        Paper::list(ctx, listing, &page_args).await
    }

    /// The papers submitted on one UTC day, most upvoted first. Without `date`: the latest
    /// day that has papers (a cursor keeps paging the day it came from).
    #[graphql(
        complexity = "page_cost(first, None, child_complexity)",
        cache_control(max_age = 10)
    )]
    async fn daily_papers(
        &self,
        ctx: &Context<'_>,
        date: Option<Date>,
        first: Option<i32>,
        after: Option<String>,
    ) -> async_graphql::Result<Connection<Paper>> {
        let request = PageArgs::forward(first, after).parse(
            PaperOrder::DAILY_LIST_KIND,
            &PaperOrder::Daily(chrono::NaiveDate::MIN).cursor_shape(),
        )?;
        let listing =
            papers::daily_listing(state(ctx)?.db.reader(), date.map(|d| d.0), &request).await?;
        let page = prefetch::paper_page(ctx, &listing, &request).await?;
        Ok(Paper::listing_connection(page, listing))
    }

    /// Trending papers, best first. The score is time-decayed upvotes with a half-life of
    /// one day: `score = log2(1 + upvoteCount) + (submittedAt in hours since the epoch) / 24`,
    /// i.e. ranking by `(1 + upvotes) × 2^(−age in days)` — the Reddit form of the Hacker
    /// News and Lemmy "hot" rank. A paper needs twice the upvotes of one submitted a day
    /// later to rank level with it. `window` (default `WEEK`) keeps only papers submitted
    /// within it.
    #[graphql(
        complexity = "page_cost(first, None, child_complexity)",
        cache_control(max_age = 10)
    )]
    async fn trending_papers(
        &self,
        ctx: &Context<'_>,
        window: Option<TrendingWindow>,
        first: Option<i32>,
        after: Option<String>,
    ) -> async_graphql::Result<Connection<Paper>> {
        let since = window
            .unwrap_or_default()
            .length()
            .map(|length| crate::clock::now() - length);
        let listing = PaperListing {
            filter: PaperFilter::default(),
            order: PaperOrder::Trending { since },
            descending: true,
        };
        Paper::list(ctx, listing, &PageArgs::forward(first, after)).await
    }

    /// Full-text search over titles, abstracts and author names, best match first (ties:
    /// newest first). The query language: `word` (every word must match; English stemming,
    /// case and accents ignored), `"exact phrase"`, `prefix*` (at least 3 characters),
    /// `-excluded` (a word or a phrase). Punctuation separates words; common English words
    /// (`the`, `of`, `which`: PostgreSQL's English stop words) are ignored outside phrases
    /// and prefixes. Papers whose title or author names hold every
    /// term come first, ranked by how well those match; then the other matches, where a
    /// title match weighs most, then authors, then the abstract. An empty query, one longer than 1,000 characters or with more than 32
    /// terms, or one with nothing to search for is `BAD_USER_INPUT`. Cursors belong to
    /// their query.
    #[graphql(
        complexity = "page_cost(first, None, child_complexity)",
        cache_control(max_age = 10)
    )]
    async fn search_papers(
        &self,
        ctx: &Context<'_>,
        query: String,
        first: Option<i32>,
        after: Option<String>,
        filter: Option<PaperFilterInput>,
    ) -> async_graphql::Result<Connection<Paper>> {
        search_results::search_papers(ctx, &query, first, after, filter).await
    }

    /// An author by global id; null when there is none.
    #[graphql(cache_control(max_age = 60))]
    async fn author(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<Option<Author>> {
        let id = GlobalId::decode_as(&id, NodeKind::Author, "id")?;
        Ok(authors::by_id(state(ctx)?.db.reader(), id)
            .await?
            .map(Author::from))
    }

    /// An arXiv category by its code (`cs.LG`); null for a code outside the taxonomy.
    #[graphql(cache_control(max_age = 60))]
    async fn category(&self, code: String) -> Option<Category> {
        Category::of_code(&code)
    }

    /// The categories that have papers, most papers first (ties by code).
    #[graphql(
        complexity = "page_cost(first, None, child_complexity)",
        cache_control(max_age = 10)
    )]
    async fn categories(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Page size, 1–100 (default 20).")] first: Option<i32>,
        #[graphql(desc = "Cursor to continue after.")] after: Option<String>,
    ) -> async_graphql::Result<Connection<Category>> {
        let request = PageArgs::forward(first, after)
            .parse(categories::LIST_KIND, &categories::cursor_shape())?;
        let page = categories::list(state(ctx)?.db.reader(), &request).await?;
        let page = page.map(|model| {
            let key = categories::key_of(&model);
            (Category::counted(model), key)
        });
        Ok(Connection::new(
            page,
            categories::LIST_KIND,
            TotalCount::Categories,
        ))
    }

    /// Authors in alphabetical order, optionally only those whose name contains
    /// `nameContains` (case-insensitive).
    #[graphql(
        complexity = "page_cost(first, None, child_complexity)",
        cache_control(max_age = 10)
    )]
    async fn authors(
        &self,
        ctx: &Context<'_>,
        name_contains: Option<String>,
        first: Option<i32>,
        after: Option<String>,
    ) -> async_graphql::Result<Connection<Author>> {
        if name_contains
            .as_ref()
            .is_some_and(|needle| needle.chars().count() > MAX_NAME_FILTER_CHARS)
        {
            return Err(AppError::bad_input(
                "nameContains",
                format!("`nameContains` must be at most {MAX_NAME_FILTER_CHARS} characters"),
            )
            .into());
        }
        let request =
            PageArgs::forward(first, after).parse(authors::LIST_KIND, &authors::cursor_shape())?;
        let page =
            authors::list(state(ctx)?.db.reader(), name_contains.as_deref(), &request).await?;
        prefetch::author_connection(ctx, &page.items).await?;
        let page = page.map(|model| {
            let key = authors::key_of(&model);
            (Author::from(model), key)
        });
        Ok(Connection::new(
            page,
            authors::LIST_KIND,
            TotalCount::Authors(name_contains),
        ))
    }

    /// Where the caller's hourly budget of cost points stands after this operation; null
    /// when budgets are off. Every operation costs about one point per field its answer
    /// may hold (a connection's fields once per node of its page); a cached or repeated
    /// answer costs the same.
    #[graphql(cache_control(private))]
    async fn rate_limit(&self, ctx: &Context<'_>) -> Option<RateLimit> {
        ctx.data_opt::<crate::rate_limit::Quota>()
            .copied()
            .map(RateLimit::from)
    }

    /// The signed-in user; null when anonymous.
    #[graphql(cache_control(private))]
    async fn viewer(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<User>> {
        let Some(id) = viewer(ctx).user_id() else {
            return Ok(None);
        };
        Ok(users::by_id(state(ctx)?.db.reader(), id)
            .await?
            .map(User::from))
    }

    /// Every account, by username. Admins only (`FORBIDDEN` otherwise).
    #[graphql(
        cache_control(private),
        guard = "RoleGuard(Role::Admin, Scope::Read)",
        complexity = "page_cost(first, None, child_complexity)"
    )]
    async fn users(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
    ) -> async_graphql::Result<Connection<User>> {
        let request =
            PageArgs::forward(first, after).parse(users::LIST_KIND, &users::cursor_shape())?;
        let page = users::list(state(ctx)?.db.reader(), &request).await?;
        let page = page.map(|model| {
            let key = users::key_of(&model);
            (User::from(model), key)
        });
        Ok(Connection::new(page, users::LIST_KIND, TotalCount::Users))
    }

    /// A user by username (case-insensitive); null when there is none.
    #[graphql(cache_control(max_age = 60))]
    async fn user(
        &self,
        ctx: &Context<'_>,
        username: String,
    ) -> async_graphql::Result<Option<User>> {
        Ok(users::by_username(state(ctx)?.db.reader(), &username)
            .await?
            .map(User::from))
    }
}

/// Looks up global ids, one statement per object type.
async fn fetch_nodes(
    ctx: &Context<'_>,
    ids: &[GlobalId],
) -> async_graphql::Result<HashMap<GlobalId, Node>> {
    let db = state(ctx)?.db.reader();
    let of_kind = |kind: NodeKind| -> Vec<i64> {
        ids.iter()
            .filter(|id| id.kind == kind)
            .map(|id| id.id)
            .collect()
    };
    let mut found = HashMap::with_capacity(ids.len());
    for (id, paper) in papers::by_ids(db, &of_kind(NodeKind::Paper)).await? {
        found.insert(
            GlobalId {
                kind: NodeKind::Paper,
                id,
            },
            Node::Paper(paper.into()),
        );
    }
    for (id, author) in authors::by_ids(db, &of_kind(NodeKind::Author)).await? {
        found.insert(
            GlobalId {
                kind: NodeKind::Author,
                id,
            },
            Node::Author(author.into()),
        );
    }
    for (id, user) in users::by_ids(db, &of_kind(NodeKind::User)).await? {
        found.insert(
            GlobalId {
                kind: NodeKind::User,
                id,
            },
            Node::User(user.into()),
        );
    }
    let viewer = viewer(ctx);
    let private_reader = viewer.private_reader();
    for (id, model) in collections::by_ids(db, &of_kind(NodeKind::Collection)).await? {
        // A private collection is its owner's only: for anyone else it does not exist.
        if collections::readable_by(&model, private_reader) {
            let id = GlobalId {
                kind: NodeKind::Collection,
                id,
            };
            found.insert(id, Node::Collection(model.into()));
        }
    }
    if let Some(user_id) = viewer
        .user_id()
        .filter(|_| viewer.require_inbox_scope().is_ok())
    {
        // A notification is its recipient's only: for anyone else it does not exist.
        let ids = of_kind(NodeKind::Notification);
        for model in notifications::of_user(db, user_id, &ids).await? {
            let id = GlobalId {
                kind: NodeKind::Notification,
                id: model.id,
            };
            found.insert(id, Node::Notification(model.into()));
        }
    }
    for (id, comment) in comments::by_ids(db, &of_kind(NodeKind::Comment)).await? {
        found.insert(
            GlobalId {
                kind: NodeKind::Comment,
                id,
            },
            Node::Comment(comment.into()),
        );
    }
    Ok(found)
}
