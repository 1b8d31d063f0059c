//! Eager loading by look-ahead: when a list resolves, everything its selection will ask of
//! the listed objects is loaded in one statement per relation and fed to the request's
//! loader cache, level by level. Field resolvers then find their values in the cache.
//!
//! The batch loaders alone batch by a timer, so how many statements a page costs would
//! depend on how fast the engine registers keys; priming makes it exact (and saves the
//! timer's latency). Anything not primed here still goes through the loaders.

use std::collections::{HashMap, HashSet};

use async_graphql::{Context, Lookahead, SelectionField, Value};
use entity::{author, notification, paper};

use crate::error::AppResult;
use crate::pagination::{DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, Page, PageRequest};
use crate::services::bylines::{self, BylineCache, BylineKey};
use crate::services::collections::{self, ItemRow};
use crate::services::follows::{FOLLOWED_AUTHORS, Followed};
use crate::services::papers::{self, PaperListing, PaperOwner, PaperPage};
use crate::services::search::{self, Hit, SearchListing};
use crate::services::{authors, comments, saves, users};

use crate::auth::Viewer;
use crate::services::upvotes;

use super::collection_lists::PublicCollectionCount;
use super::comment_loaders::{CommentById, PaperById};
use super::context::{loader, state, viewer};
use super::loaders::{BylineOf, FirstPapersOf, HasUpvoted, PaperCountOf, RequestLoader, UserById};
use super::personal_loaders::{AuthorById, FollowerCount, HasSaved, ViewerFollows};

/// One page of `listing` for the current field, with everything its connection selects on
/// the papers primed.
pub async fn paper_page(
    ctx: &Context<'_>,
    listing: &PaperListing,
    request: &PageRequest,
) -> async_graphql::Result<PaperPage> {
    let primer = Primer::new(ctx)?;
    let page = papers::list(primer.db, listing, request).await?;
    if let Some(selection) = connection_nodes(&ctx.look_ahead()) {
        primer.papers(&page.page.items, &selection).await?;
    }
    Ok(page)
}

/// One page of search results for the current field, with everything its connection
/// selects on the papers primed, and each paper's snippet when `searchSnippet` is selected.
pub async fn search_page(
    ctx: &Context<'_>,
    listing: &SearchListing,
    request: &PageRequest,
) -> async_graphql::Result<(Page<Hit>, HashMap<i64, String>)> {
    let primer = Primer::new(ctx)?;
    let page = search::search(primer.db, listing, request).await?;
    let mut snippets = HashMap::new();
    if let Some(selection) = connection_nodes(&ctx.look_ahead()) {
        let papers: Vec<paper::Model> = page.items.iter().map(|hit| hit.paper.clone()).collect();
        primer.papers(&papers, &selection).await?;
        if selection.field("searchSnippet").exists() {
            let ids: Vec<i64> = papers.iter().map(|paper| paper.id).collect();
            snippets = search::snippets(primer.db, &listing.query, &ids).await?;
        }
    }
    Ok((page, snippets))
}

/// Primes everything the current field's connection selects on `authors`.
pub async fn author_connection(
    ctx: &Context<'_>,
    authors: &[author::Model],
) -> async_graphql::Result<()> {
    let Some(selection) = connection_nodes(&ctx.look_ahead()) else {
        return Ok(());
    };
    let primer = Primer::new(ctx)?;
    let authors: Vec<&author::Model> = authors.iter().collect();
    primer.authors(&authors, &selection).await?;
    Ok(())
}

/// Primes everything the current field's connection selects on `papers` (a page read
/// elsewhere: the feed, saved papers).
pub async fn paper_connection(
    ctx: &Context<'_>,
    papers: &[paper::Model],
) -> async_graphql::Result<()> {
    if let Some(selection) = connection_nodes(&ctx.look_ahead()) {
        Primer::new(ctx)?.papers(papers, &selection).await?;
    }
    Ok(())
}

/// Primes what the current field's connection selects on the papers of collection items.
pub async fn collection_items(ctx: &Context<'_>, items: &[ItemRow]) -> async_graphql::Result<()> {
    let Some(selection) = connection_nodes(&ctx.look_ahead()) else {
        return Ok(());
    };
    let paper = selection.field("paper");
    if paper.exists() {
        let papers: Vec<paper::Model> = items.iter().map(|item| item.paper.clone()).collect();
        Primer::new(ctx)?.papers(&papers, &paper).await?;
    }
    Ok(())
}

/// Primes what the current field's connection selects on notifications: their actors,
/// papers (and what those select), comments and authors.
pub async fn notifications(
    ctx: &Context<'_>,
    models: &[notification::Model],
) -> async_graphql::Result<()> {
    let Some(selection) = connection_nodes(&ctx.look_ahead()) else {
        return Ok(());
    };
    let primer = Primer::new(ctx)?;
    if selection.field("actor").exists() {
        primer
            .users(&unique(models.iter().filter_map(|model| model.actor_id)))
            .await?;
    }
    let paper = selection.field("paper");
    if paper.exists() {
        let ids = unique(models.iter().filter_map(|model| model.paper_id));
        let found = papers::by_ids(primer.db, &ids).await?;
        let listed: Vec<paper::Model> = found.values().cloned().collect();
        primer
            .loader
            .feed_many(found.into_iter().map(|(id, paper)| (PaperById(id), paper)))
            .await;
        primer.papers(&listed, &paper).await?;
    }
    if selection.field("comment").exists() {
        let ids = unique(models.iter().filter_map(|model| model.comment_id));
        let found = comments::by_ids(primer.db, &ids).await?;
        primer
            .loader
            .feed_many(
                found
                    .into_iter()
                    .map(|(id, comment)| (CommentById(id), comment)),
            )
            .await;
    }
    if selection.field("author").exists() {
        let ids = unique(models.iter().filter_map(|model| model.author_id));
        let found = authors::by_ids(primer.db, &ids).await?;
        primer
            .loader
            .feed_many(
                found
                    .into_iter()
                    .map(|(id, author)| (AuthorById(id), author)),
            )
            .await;
    }
    Ok(())
}

/// The selection on a connection's items: `nodes { … }` and `edges { node { … } }` merged.
fn connection_nodes<'a>(connection: &Lookahead<'a>) -> Option<Lookahead<'a>> {
    merge([
        connection.field("nodes"),
        connection.field("edges").field("node"),
    ])
}

fn merge<'a>(parts: impl IntoIterator<Item = Lookahead<'a>>) -> Option<Lookahead<'a>> {
    let fields: Vec<SelectionField<'a>> = parts
        .into_iter()
        .flat_map(|part| part.selection_fields())
        .collect();
    Lookahead::try_from(fields.as_slice()).ok()
}

struct Primer<'a> {
    db: &'a sea_orm::DatabaseConnection,
    bylines: &'a BylineCache,
    loader: &'a RequestLoader,
    viewer: Viewer,
}

impl<'a> Primer<'a> {
    fn new(ctx: &Context<'a>) -> AppResult<Self> {
        let state = state(ctx)?;
        Ok(Self {
            db: state.db.reader(),
            bylines: &state.bylines,
            loader: loader(ctx)?,
            viewer: viewer(ctx),
        })
    }

    async fn papers(&self, papers: &[paper::Model], selection: &Lookahead<'_>) -> AppResult<()> {
        if papers.is_empty() {
            return Ok(());
        }
        let selected_authors = selection.field("authors");
        if selected_authors.exists() {
            let keys: Vec<BylineKey> = papers.iter().map(BylineKey::of).collect();
            let bylines = bylines::load(self.db, self.bylines, &keys).await?;
            let mut everyone: HashMap<i64, &author::Model> = HashMap::new();
            for author in bylines.values().flat_map(|byline| byline.iter()) {
                everyone.entry(author.id).or_insert(author);
            }
            let everyone: Vec<&author::Model> = everyone.into_values().collect();
            Box::pin(self.authors(&everyone, &selected_authors)).await?;
            self.loader
                .feed_many(
                    keys.iter().filter_map(|key| {
                        Some((BylineOf(*key), bylines.get(&key.paper_id)?.clone()))
                    }),
                )
                .await;
        }
        if selection.field("submittedBy").exists() {
            let ids: Vec<i64> = unique(papers.iter().filter_map(|paper| paper.submitted_by));
            self.users(&ids).await?;
        }
        self.personal_fields(papers, selection).await?;
        if let Some(user_id) = self.viewer.user_id()
            && selection.field("viewerHasUpvoted").exists()
        {
            let ids: Vec<i64> = papers.iter().map(|paper| paper.id).collect();
            let upvoted = upvotes::upvoted_pairs(self.db, &[user_id], &ids).await?;
            self.loader
                .feed_many(ids.into_iter().map(|paper_id| {
                    let key = HasUpvoted { user_id, paper_id };
                    (key, upvoted.contains(&(user_id, paper_id)))
                }))
                .await;
        }
        Ok(())
    }

    /// Whether the viewer saved each paper, and how many public collections hold it.
    async fn personal_fields(
        &self,
        papers: &[paper::Model],
        selection: &Lookahead<'_>,
    ) -> AppResult<()> {
        let ids: Vec<i64> = papers.iter().map(|paper| paper.id).collect();
        if let Some(user_id) = self.viewer.user_id()
            && selection.field("viewerHasSaved").exists()
        {
            let saved = saves::saved_among(self.db, user_id, &ids).await?;
            self.loader
                .feed_many(
                    ids.iter().map(|&paper_id| {
                        (HasSaved { user_id, paper_id }, saved.contains(&paper_id))
                    }),
                )
                .await;
        }
        if selection.field("collectionCount").exists() {
            let counts = collections::public_counts(self.db, &ids).await?;
            self.loader
                .feed_many(ids.iter().map(|id| {
                    let count = counts.get(id).copied().unwrap_or(0);
                    (PublicCollectionCount(*id), count)
                }))
                .await;
        }
        Ok(())
    }

    /// How many follow each author, and whether the viewer does.
    async fn author_follows(&self, ids: &[i64], selection: &Lookahead<'_>) -> AppResult<()> {
        if selection.field("followerCount").exists() {
            let counts = FOLLOWED_AUTHORS.counts_by_listed(self.db, ids).await?;
            self.loader
                .feed_many(ids.iter().map(|id| {
                    let count = counts.get(id).copied().unwrap_or(0);
                    (FollowerCount(Followed::Author(*id)), count)
                }))
                .await;
        }
        if let Some(viewer) = self.viewer.user_id()
            && selection.field("viewerFollows").exists()
        {
            let followed = FOLLOWED_AUTHORS.linked_among(self.db, viewer, ids).await?;
            self.loader
                .feed_many(ids.iter().map(|id| {
                    let target = Followed::Author(*id);
                    (ViewerFollows { viewer, target }, followed.contains(id))
                }))
                .await;
        }
        Ok(())
    }

    async fn authors(
        &self,
        authors: &[&author::Model],
        selection: &Lookahead<'_>,
    ) -> AppResult<()> {
        if authors.is_empty() {
            return Ok(());
        }
        let ids: Vec<i64> = authors.iter().map(|author| author.id).collect();
        self.author_follows(&ids, selection).await?;
        let selected_papers = selection.field("papers");
        if selection.field("paperCount").exists() || selected_papers.field("totalCount").exists() {
            let counts = papers::paper_counts_of(self.db, PaperOwner::Author, &ids).await?;
            self.loader
                .feed_many(ids.iter().map(|id| {
                    (
                        PaperCountOf(PaperOwner::Author, *id),
                        counts.get(id).copied().unwrap_or(0),
                    )
                }))
                .await;
        }
        for field in selected_papers.selection_fields() {
            let Some(limit) = first_page_limit(&field) else {
                continue;
            };
            let mut pages =
                papers::first_papers_of(self.db, PaperOwner::Author, &ids, limit).await?;
            let listed: Vec<paper::Model> = pages.values().flatten().cloned().collect();
            self.loader
                .feed_many(ids.iter().map(|id| {
                    let key = FirstPapersOf {
                        owner: PaperOwner::Author,
                        owner_id: *id,
                        limit,
                    };
                    (key, pages.remove(id).unwrap_or_default())
                }))
                .await;
            if let Some(nested) = connection_nodes(&Lookahead::from(field)) {
                Box::pin(self.papers(&dedup_papers(listed), &nested)).await?;
            }
        }
        if selection.field("user").exists() {
            let linked = unique(authors.iter().filter_map(|author| author.user_id));
            self.users(&linked).await?;
        }
        Ok(())
    }

    async fn users(&self, ids: &[i64]) -> AppResult<()> {
        if ids.is_empty() {
            return Ok(());
        }
        let found = users::by_ids(self.db, ids).await?;
        self.loader
            .feed_many(found.into_iter().map(|(id, user)| (UserById(id), user)))
            .await;
        Ok(())
    }
}

/// The fetch limit of a nested first page (`first` + 1), or `None` when the field pages
/// from a cursor or has arguments the resolver will reject.
fn first_page_limit(field: &SelectionField<'_>) -> Option<u64> {
    let arguments = field.arguments().ok()?;
    let mut first = DEFAULT_PAGE_SIZE;
    for (name, value) in arguments {
        match (name.as_str(), value) {
            ("after", Value::Null) => {}
            ("after", _) => return None,
            ("first", Value::Null) => {}
            ("first", Value::Number(number)) => {
                first = number
                    .as_u64()
                    .filter(|size| (1..=MAX_PAGE_SIZE).contains(size))?;
            }
            _ => return None,
        }
    }
    Some(first + 1)
}

fn unique(ids: impl IntoIterator<Item = i64>) -> Vec<i64> {
    let mut seen = HashSet::new();
    ids.into_iter().filter(|id| seen.insert(*id)).collect()
}

fn dedup_papers(papers: Vec<paper::Model>) -> Vec<paper::Model> {
    let mut seen = HashSet::new();
    papers
        .into_iter()
        .filter(|paper| seen.insert(paper.id))
        .collect()
}
