//! Reading papers: lookups, filtered and ordered lists, counts, and batched first pages.

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, Utc};
use entity::{paper, paper_author, ranking_history, ranking_state};
use sea_orm::sea_query::{Alias, Asterisk, Expr, ExprTrait, JoinType, Query, SelectStatement};
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, FromQueryResult, QueryFilter, QuerySelect,
    QueryTrait, Select,
};

use crate::clock;
use crate::domain::ranking::hot_score;
use crate::error::{AppError, AppResult};
use crate::pagination::{KeyPart, Keyset, ListKind, Page, PageRequest};

use super::keyset::{OwnedList, apply_page};
pub use super::paper_filter::{FollowedBy, FollowedSources, PaperFilter, Related};
use super::sql;

/// The orders a paper list can come in.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum PaperOrder {
    /// By `submitted_at`.
    Submitted,
    /// By `published_at` (undated papers are the oldest), then `submitted_at`.
    Published,
    /// By upvotes (`rank_count`: the count at the last ranking refresh).
    Upvotes,
    /// The papers submitted on one UTC day, by upvotes (`rank_count`).
    Daily(NaiveDate),
    /// By trending score (`hot_score`), optionally only papers submitted since a time.
    Trending { since: Option<DateTime<Utc>> },
}

impl PaperOrder {
    /// The cursor family of daily lists, whatever their day.
    pub const DAILY_LIST_KIND: ListKind = ListKind::DailyPapers;

    /// The cursor family of this order.
    pub fn list_kind(self) -> ListKind {
        match self {
            Self::Submitted => ListKind::PapersBySubmitted,
            Self::Published => ListKind::PapersByPublished,
            Self::Upvotes => ListKind::PapersByUpvotes,
            Self::Daily(_) => ListKind::DailyPapers,
            Self::Trending { .. } => ListKind::TrendingPapers,
        }
    }

    /// The types of a cursor's key parts in this order.
    pub fn cursor_shape(self) -> Vec<KeyPart> {
        match self {
            Self::Submitted => vec![KeyPart::Time(0)],
            Self::Published => vec![KeyPart::Day(0), KeyPart::Time(0)],
            Self::Upvotes => vec![KeyPart::Int(0)],
            Self::Daily(_) => vec![KeyPart::Day(0), KeyPart::Int(0)],
            Self::Trending { .. } => vec![KeyPart::Float(0.0)],
        }
    }

    /// The position of `paper` in this order (`generation`: the ranking generation of a
    /// ranked list's page).
    pub fn key_of(self, paper: &paper::Model, generation: Option<i64>) -> Keyset {
        let parts = match self {
            Self::Submitted => vec![KeyPart::time(paper.submitted_at)],
            Self::Published => vec![
                KeyPart::day(paper.published_order),
                KeyPart::time(paper.submitted_at),
            ],
            Self::Upvotes => vec![KeyPart::Int(paper.rank_count.into())],
            Self::Daily(_) => vec![
                KeyPart::day(paper.submitted_day),
                KeyPart::Int(paper.rank_count.into()),
            ],
            Self::Trending { .. } => vec![KeyPart::Float(paper.hot_score)],
        };
        Keyset {
            parts,
            id: paper.id,
            generation: generation.filter(|_| self.list_kind().is_ranked()),
        }
    }

    fn columns(self) -> Vec<paper::Column> {
        match self {
            Self::Submitted => vec![paper::Column::SubmittedAt, paper::Column::Id],
            Self::Published => vec![
                paper::Column::PublishedOrder,
                paper::Column::SubmittedAt,
                paper::Column::Id,
            ],
            Self::Upvotes => vec![paper::Column::RankCount, paper::Column::Id],
            Self::Daily(_) => vec![
                paper::Column::SubmittedDay,
                paper::Column::RankCount,
                paper::Column::Id,
            ],
            Self::Trending { .. } => vec![paper::Column::HotScore, paper::Column::Id],
        }
    }

    fn scope(self, select: Select<paper::Entity>) -> Select<paper::Entity> {
        match self {
            Self::Daily(day) => select.filter(paper::Column::SubmittedDay.eq(day)),
            // Every paper submitted since `since` scores at least what a paper without
            // upvotes submitted at `since` does, so the score index is scanned only down
            // to there — even when the window is empty.
            Self::Trending { since: Some(since) } => select
                .filter(paper::Column::SubmittedAt.gte(since))
                .filter(paper::Column::HotScore.gte(hot_score(0, since))),
            _ => select,
        }
    }
}

/// A paper list: which papers, in which order.
#[derive(Debug, Clone)]
pub struct PaperListing {
    pub filter: PaperFilter,
    pub order: PaperOrder,
    pub descending: bool,
}

impl PaperListing {
    fn select(&self) -> Select<paper::Entity> {
        self.order.scope(self.filter.apply(paper::Entity::find()))
    }
}

/// One page of `listing`.
///
/// A page of a ranked list continuing a walk (its cursor carries generation `g`) is read
/// as of `g`: the papers not re-ranked since come from the index as usual, those re-ranked
/// since from the ranking history with the values they had at `g` (see
/// `services::rankings`); the two are merged in order. While the ranking has not moved,
/// that is one statement, as for any list.
///
/// # Errors
/// `BAD_USER_INPUT` for an out-of-range cursor; `INTERNAL_SERVER_ERROR` on database failure.
pub async fn list(
    db: &impl ConnectionTrait,
    listing: &PaperListing,
    request: &PageRequest,
) -> AppResult<PaperPage> {
    let mut select = paged_select(listing, request)?;
    if !listing.order.list_kind().is_ranked() {
        let rows = select.all(db).await?;
        return Ok(PaperPage {
            page: request.into_page(rows),
            generation: None,
        });
    }
    let walk = request
        .after
        .as_ref()
        .or(request.before.as_ref())
        .and_then(|key| key.generation);
    let backend = db.get_database_backend();
    if let Some(generation) = walk {
        select = select.filter(paper::Column::Id.not_in_subquery(reranked_since_ids(generation)));
    }
    // The generation is read in the same statement as the page, so they always agree.
    let statement = select
        .column_as(current_generation(), "ranking_generation")
        .build(backend);
    let mut current = None;
    let mut rows = Vec::new();
    for row in db.query_all_raw(statement).await? {
        current = Some(row.try_get::<i64>("", "ranking_generation")?);
        rows.push(paper::Model::from_query_result(&row, "")?);
    }
    let Some(generation) = walk else {
        return Ok(PaperPage {
            page: request.into_page(rows),
            generation: current,
        });
    };
    if current.is_none_or(|current| current > generation) {
        let moved = reranked_since(db, listing, request, generation).await?;
        rows = merge_in_order(listing, request, rows, moved);
    }
    Ok(PaperPage {
        page: request.into_page(rows),
        generation: Some(generation),
    })
}

/// The page's papers among those re-ranked since `generation`, carrying (in `rank_count`
/// and `hot_score`, which are only ever read for ordering) the values they had then.
async fn reranked_since(
    db: &impl ConnectionTrait,
    listing: &PaperListing,
    request: &PageRequest,
    generation: i64,
) -> AppResult<Vec<paper::Model>> {
    let as_of = |column: ranking_history::Column| Expr::col((Alias::new(AS_OF), column));
    let id = Expr::col((paper::Entity, paper::Column::Id));
    let columns = match listing.order {
        PaperOrder::Upvotes => vec![as_of(ranking_history::Column::RankCount), id],
        PaperOrder::Daily(_) => vec![
            Expr::col((paper::Entity, paper::Column::SubmittedDay)),
            as_of(ranking_history::Column::RankCount),
            id,
        ],
        PaperOrder::Trending { .. } => vec![as_of(ranking_history::Column::HotScore), id],
        PaperOrder::Submitted | PaperOrder::Published => return Ok(Vec::new()),
    };
    let mut select = listing.select();
    join_values_as_of(QueryTrait::query(&mut select), generation);
    let statement = apply_page(select, columns, listing.descending, request)?
        .column_as(
            as_of(ranking_history::Column::RankCount),
            "as_of_rank_count",
        )
        .column_as(as_of(ranking_history::Column::HotScore), "as_of_hot_score")
        .build(db.get_database_backend());
    let mut papers = Vec::new();
    for row in db.query_all_raw(statement).await? {
        let mut paper = paper::Model::from_query_result(&row, "")?;
        paper.rank_count = row.try_get("", "as_of_rank_count")?;
        paper.hot_score = row.try_get("", "as_of_hot_score")?;
        papers.push(paper);
    }
    Ok(papers)
}

/// The alias of the history row holding a re-ranked paper's values at a walk's generation.
const AS_OF: &str = "as_of";

/// Joins to `select`'s papers, as [`AS_OF`], the history row of each one re-ranked since
/// `generation` that holds its values then: the first replacement after it. History is
/// keyed by generation, so the papers re-ranked since are one range of it.
fn join_values_as_of(select: &mut SelectStatement, generation: i64) {
    let first = Alias::new("first_replaced");
    let as_of = Alias::new(AS_OF);
    let first_replaced = reranked_since_ids(generation)
        .expr_as(
            Expr::col(ranking_history::Column::Generation).min(),
            ranking_history::Column::Generation,
        )
        .group_by_col(ranking_history::Column::PaperId)
        .to_owned();
    select
        .join_subquery(
            JoinType::InnerJoin,
            first_replaced,
            first.clone(),
            Expr::col((first.clone(), ranking_history::Column::PaperId))
                .equals((paper::Entity, paper::Column::Id)),
        )
        .join_as(
            JoinType::InnerJoin,
            ranking_history::Entity,
            as_of.clone(),
            Expr::col((as_of.clone(), ranking_history::Column::Generation))
                .equals((first.clone(), ranking_history::Column::Generation))
                .and(
                    Expr::col((as_of, ranking_history::Column::PaperId))
                        .equals((first, ranking_history::Column::PaperId)),
                ),
        );
}

/// The first rows of `unmoved` and `moved` together, in the order the page is fetched in.
/// A paper in both (re-ranked between the two reads) carries the same key in each.
fn merge_in_order(
    listing: &PaperListing,
    request: &PageRequest,
    unmoved: Vec<paper::Model>,
    moved: Vec<paper::Model>,
) -> Vec<paper::Model> {
    let mut rows: Vec<paper::Model> = unmoved
        .into_iter()
        .filter(|paper| moved.iter().all(|other| other.id != paper.id))
        .collect();
    rows.extend(moved);
    let descending = listing.descending != request.backward;
    rows.sort_by(|a, b| {
        let order = listing
            .order
            .key_of(a, None)
            .position_cmp(&listing.order.key_of(b, None));
        if descending { order.reverse() } else { order }
    });
    rows.truncate(usize::try_from(request.fetch_limit()).unwrap_or(usize::MAX));
    rows
}

/// The ids of the papers re-ranked since `generation`: one range of the history, read once
/// per statement (not once per paper, as a correlated lookup would be).
fn reranked_since_ids(generation: i64) -> SelectStatement {
    Query::select()
        .column(ranking_history::Column::PaperId)
        .from(ranking_history::Entity)
        .and_where(Expr::col(ranking_history::Column::Generation).gt(generation))
        .to_owned()
}

/// The current ranking generation, as a scalar subquery.
fn current_generation() -> Expr {
    scalar(
        Query::select()
            .column(ranking_state::Column::Generation)
            .from(ranking_state::Entity)
            .and_where(Expr::col(ranking_state::Column::Id).eq(1))
            .to_owned(),
    )
}

/// A one-value query used as a value.
fn scalar(query: SelectStatement) -> Expr {
    Expr::SubQuery(None, Box::new(query.into()))
}

/// A page of papers, with the ranking generation of a ranked list.
#[derive(Debug, Clone)]
pub struct PaperPage {
    pub page: Page<paper::Model>,
    /// For ranked lists: the generation the page's order belongs to — the current one for
    /// a first page, the walk's for a page after a cursor. `None` for an empty first page.
    pub generation: Option<i64>,
}

fn paged_select(listing: &PaperListing, page: &PageRequest) -> AppResult<Select<paper::Entity>> {
    let columns = listing
        .order
        .columns()
        .into_iter()
        .map(|column| Expr::col((paper::Entity, column)))
        .collect();
    apply_page(listing.select(), columns, listing.descending, page)
}

/// How many papers `listing` holds (all pages).
///
/// # Errors
/// `INTERNAL_SERVER_ERROR` on database failure.
pub async fn count(db: &impl ConnectionTrait, listing: &PaperListing) -> AppResult<i64> {
    count_selected(db, listing.select()).await
}

/// How many papers `select` selects.
///
/// # Errors
/// `INTERNAL_SERVER_ERROR` on database failure.
pub(crate) async fn count_selected(
    db: &impl ConnectionTrait,
    select: Select<paper::Entity>,
) -> AppResult<i64> {
    let count = select
        .select_only()
        .column_as(
            Expr::col((paper::Entity, paper::Column::Id)).count(),
            "count",
        )
        .into_tuple::<i64>()
        .one(db)
        .await?;
    Ok(count.unwrap_or(0))
}

/// The paper with this id.
///
/// # Errors
/// `INTERNAL_SERVER_ERROR` on database failure.
pub async fn by_id(db: &impl ConnectionTrait, id: i64) -> AppResult<Option<paper::Model>> {
    Ok(paper::Entity::find_by_id(id).one(db).await?)
}

/// The paper with this arXiv id.
///
/// # Errors
/// `INTERNAL_SERVER_ERROR` on database failure.
pub async fn by_arxiv_id(
    db: &impl ConnectionTrait,
    arxiv_id: &str,
) -> AppResult<Option<paper::Model>> {
    Ok(paper::Entity::find()
        .filter(paper::Column::ArxivId.eq(arxiv_id))
        .one(db)
        .await?)
}

/// The papers with these arXiv ids, by arXiv id.
///
/// # Errors
/// `INTERNAL_SERVER_ERROR` on database failure.
pub async fn by_arxiv_ids(
    db: &impl ConnectionTrait,
    arxiv_ids: &[String],
) -> AppResult<HashMap<String, paper::Model>> {
    let mut found = HashMap::with_capacity(arxiv_ids.len());
    for chunk in arxiv_ids.chunks(sql::IN_LIST_CHUNK) {
        let papers = paper::Entity::find()
            .filter(paper::Column::ArxivId.is_in(chunk.iter().cloned()))
            .all(db)
            .await?;
        found.extend(
            papers
                .into_iter()
                .filter_map(|paper| Some((paper.arxiv_id.clone()?, paper))),
        );
    }
    Ok(found)
}

/// The papers with these ids, by id.
///
/// # Errors
/// `INTERNAL_SERVER_ERROR` on database failure.
pub async fn by_ids(
    db: &impl ConnectionTrait,
    ids: &[i64],
) -> AppResult<HashMap<i64, paper::Model>> {
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    let papers = paper::Entity::find()
        .filter(paper::Column::Id.is_in(ids.iter().copied()))
        .all(db)
        .await?;
    Ok(papers.into_iter().map(|paper| (paper.id, paper)).collect())
}

/// The listing of one UTC day's papers, most upvoted first: `date`, or the day a cursor
/// belongs to, or else the latest day that has papers (today when there are none).
///
/// # Errors
/// `BAD_USER_INPUT` when `date` and the cursor's day differ; `INTERNAL_SERVER_ERROR` on
/// database failure.
pub async fn daily_listing(
    db: &impl ConnectionTrait,
    date: Option<NaiveDate>,
    request: &PageRequest,
) -> AppResult<PaperListing> {
    let cursor_day = request.after.as_ref().and_then(Keyset::leading_day);
    let day = match (date, cursor_day) {
        (Some(day), Some(from_cursor)) if day != from_cursor => {
            return Err(AppError::bad_input(
                "after",
                "the cursor belongs to another day",
            ));
        }
        (Some(day), _) | (None, Some(day)) => day,
        (None, None) => latest_day(db)
            .await?
            .unwrap_or_else(|| clock::now().date_naive()),
    };
    Ok(PaperListing {
        filter: PaperFilter::default(),
        order: PaperOrder::Daily(day),
        descending: true,
    })
}

/// The latest UTC day on which a paper was submitted.
///
/// # Errors
/// `INTERNAL_SERVER_ERROR` on database failure.
pub async fn latest_day(db: &impl ConnectionTrait) -> AppResult<Option<NaiveDate>> {
    let day = paper::Entity::find()
        .select_only()
        .column_as(paper::Column::SubmittedDay.max(), "day")
        .into_tuple::<Option<NaiveDate>>()
        .one(db)
        .await?;
    Ok(day.flatten())
}

/// Who a batch of first pages belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PaperOwner {
    /// Papers on an author's byline, newest publication first.
    Author,
    /// Papers a user submitted, newest first.
    Submitter,
}

impl PaperOwner {
    /// The order of the owner's papers (it decides their cursors): an author's newest
    /// publication first, a submitter's newest submission first.
    pub fn order(self) -> PaperOrder {
        match self {
            Self::Author => PaperOrder::Published,
            Self::Submitter => PaperOrder::Submitted,
        }
    }

    /// The owner's papers as an index range: an author's through the byline rows, which
    /// carry the papers' ordering keys; a submitter's through the papers' submitter index.
    /// The sort columns hold the same values as [`PaperOrder::columns`] for the order.
    fn list(self) -> OwnedList {
        let mut rows = Query::select();
        rows.column((paper::Entity, Asterisk)).from(paper::Entity);
        let (owner, order) = match self {
            Self::Author => {
                rows.inner_join(
                    paper_author::Entity,
                    Expr::col((paper_author::Entity, paper_author::Column::PaperId))
                        .equals((paper::Entity, paper::Column::Id)),
                );
                let byline = |column| Expr::col((paper_author::Entity, column));
                (
                    byline(paper_author::Column::AuthorId),
                    vec![
                        byline(paper_author::Column::PublishedOrder),
                        byline(paper_author::Column::SubmittedAt),
                        byline(paper_author::Column::PaperId),
                    ],
                )
            }
            Self::Submitter => (
                Expr::col((paper::Entity, paper::Column::SubmittedBy)),
                vec![
                    Expr::col((paper::Entity, paper::Column::SubmittedAt)),
                    Expr::col((paper::Entity, paper::Column::Id)),
                ],
            ),
        };
        OwnedList {
            rows,
            owner,
            order,
            descending: true,
        }
    }
}

/// The first `limit` papers of each owner, in one statement: a range of the owner's index
/// each (see [`OwnedList`]).
///
/// # Errors
/// `INTERNAL_SERVER_ERROR` on database failure.
pub async fn first_papers_of(
    db: &impl ConnectionTrait,
    owner: PaperOwner,
    owner_ids: &[i64],
    limit: u64,
) -> AppResult<HashMap<i64, Vec<paper::Model>>> {
    owner
        .list()
        .read_first_pages(db, owner_ids, limit, |row| {
            paper::Model::from_query_result(row, "")
        })
        .await
}

/// A page of one owner's papers after (or before) the request's cursors: a range of the
/// owner's index.
///
/// # Errors
/// `BAD_USER_INPUT` for an out-of-range cursor; `INTERNAL_SERVER_ERROR` on database failure.
pub async fn papers_of(
    db: &impl ConnectionTrait,
    owner: PaperOwner,
    owner_id: i64,
    request: &PageRequest,
) -> AppResult<Page<paper::Model>> {
    let statement = owner.list().page(owner_id, request)?;
    let rows = db
        .query_all_raw(db.get_database_backend().build(&statement))
        .await?;
    let papers = rows
        .iter()
        .map(|row| paper::Model::from_query_result(row, ""))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(request.into_page(papers))
}

/// How many papers each owner has.
///
/// # Errors
/// `INTERNAL_SERVER_ERROR` on database failure.
pub async fn paper_counts_of(
    db: &impl ConnectionTrait,
    owner: PaperOwner,
    owner_ids: &[i64],
) -> AppResult<HashMap<i64, i64>> {
    match owner {
        PaperOwner::Author => {
            sql::counts_by_owner::<paper_author::Entity>(
                db,
                paper_author::Column::AuthorId,
                owner_ids,
            )
            .await
        }
        PaperOwner::Submitter => {
            sql::counts_by_owner::<paper::Entity>(db, paper::Column::SubmittedBy, owner_ids).await
        }
    }
}
