//! Adding papers to the catalogue: imports (and, later, submissions) go through here.
//!
//! Callers run these functions inside a transaction: a batch is stored whole or not at all.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};
use entity::{author, paper, paper_author, paper_category};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter,
    QuerySelect, SqlErr, TransactionTrait,
};

use crate::clock;
use crate::db::{Database, Exclusive};
use crate::domain::paper::{NewPaper, published_order};
use crate::domain::ranking::hot_score;
use crate::error::{AppError, AppResult};

use crate::events::{Change, EventBus};
use crate::ingest::arxiv_api::{ArxivApi, FetchError};

use super::authors::name_key;
use super::{Context, notifications, papers, search, sql};

/// What a batch insert did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct InsertOutcome {
    /// Ids of the new papers, in insertion order.
    pub inserted: Vec<i64>,
    /// Records that matched a stored paper (or an earlier record) and were left alone.
    pub skipped: usize,
    /// Notifications written for the followers of the new papers' authors and submitters.
    pub notified: Vec<i64>,
}

impl InsertOutcome {
    /// What to publish once the batch has committed: the new papers, then the
    /// notifications about them.
    pub fn changes(&self) -> Vec<Change> {
        let added = self
            .inserted
            .iter()
            .map(|&paper_id| Change::PaperAdded { paper_id });
        added
            .chain(notifications::changes(self.notified.clone()))
            .collect()
    }
}

/// Stores the papers that are not in the catalogue yet: a record matches a stored paper by
/// arXiv id, or by exact title when it has none. Authors are matched by name.
///
/// Papers that share a submission time are stored oldest publication first, so that the
/// newest of them lead lists ordered by submission.
///
/// # Errors
/// `INTERNAL_SERVER_ERROR` on database failure.
pub async fn insert_papers(
    db: &impl ConnectionTrait,
    papers: Vec<NewPaper>,
) -> AppResult<InsertOutcome> {
    let total = papers.len();
    let mut fresh = unmatched(db, papers).await?;
    let now = clock::now();
    fresh.sort_by_key(|paper| {
        (
            paper.submitted_at.map_or(now, clock::stored),
            published_order(paper.published_at),
        )
    });
    let author_ids = ensure_authors(db, fresh.iter().flat_map(|paper| &paper.authors)).await?;

    let mut inserted = Vec::with_capacity(fresh.len());
    let mut bylines = Vec::new();
    let mut listings = Vec::new();
    for paper in fresh {
        let row = paper_row(&paper, now);
        let paper_id = paper::Entity::insert(row.clone())
            .exec(db)
            .await?
            .last_insert_id;
        bylines.extend(byline_rows(&row, paper_id, &paper.authors, &author_ids));
        listings.extend(category_rows(&row, paper_id, &paper.metadata.categories));
        inserted.push(paper_id);
    }
    for chunk in bylines.chunks(sql::INSERT_ROWS_CHUNK) {
        paper_author::Entity::insert_many(chunk.to_vec())
            .exec(db)
            .await?;
    }
    for chunk in listings.chunks(sql::INSERT_ROWS_CHUNK) {
        paper_category::Entity::insert_many(chunk.to_vec())
            .exec(db)
            .await?;
    }
    search::index_papers(db, &inserted).await?;
    let notified = notifications::for_new_papers(db, &inserted, now).await?;
    Ok(InsertOutcome {
        skipped: total - inserted.len(),
        inserted,
        notified,
    })
}

/// The row of a new paper, submitted at its own time or `now`.
fn paper_row(paper: &NewPaper, now: DateTime<Utc>) -> paper::ActiveModel {
    let submitted_at = paper.submitted_at.map_or(now, clock::stored);
    paper::ActiveModel {
        arxiv_id: Set(paper.arxiv_id.clone()),
        title: Set(paper.title.clone()),
        r#abstract: Set(paper.abstract_text.clone()),
        published_at: Set(paper.published_at),
        published_order: Set(published_order(paper.published_at)),
        submitted_at: Set(submitted_at),
        submitted_day: Set(submitted_at.date_naive()),
        submitted_by: Set(paper.submitted_by),
        github_url: Set(paper.github_url.clone()),
        project_url: Set(paper.project_url.clone()),
        upvote_baseline: Set(paper.upvote_baseline),
        upvote_count: Set(paper.upvote_baseline),
        rank_count: Set(paper.upvote_baseline),
        author_count: Set(i32::try_from(paper.authors.len()).unwrap_or(i32::MAX)),
        hot_score: Set(hot_score(paper.upvote_baseline, submitted_at)),
        doi: Set(paper.metadata.doi.clone()),
        journal_ref: Set(paper.metadata.journal_ref.clone()),
        arxiv_comment: Set(paper.metadata.arxiv_comment.clone()),
        license: Set(paper.metadata.license.clone()),
        version: Set(paper.metadata.version),
        pdf_url: Set(paper.metadata.pdf_url.clone()),
        github_stars: Set(paper.metadata.github_stars),
        withdrawn: Set(paper.metadata.withdrawn()),
        updated_at: Set(None),
        ..Default::default()
    }
}

/// The byline rows of a stored paper, carrying its ordering keys (see migration 000013).
pub(super) fn byline_rows(
    paper: &paper::ActiveModel,
    paper_id: i64,
    authors: &[String],
    author_ids: &HashMap<String, i64>,
) -> Vec<paper_author::ActiveModel> {
    authors
        .iter()
        .enumerate()
        .filter_map(|(position, name)| {
            Some(paper_author::ActiveModel {
                paper_id: Set(paper_id),
                position: Set(i32::try_from(position).unwrap_or(i32::MAX)),
                author_id: Set(*author_ids.get(name)?),
                published_order: paper.published_order.clone(),
                submitted_at: paper.submitted_at.clone(),
            })
        })
        .collect()
}

/// The category rows of a stored paper, the primary (first) at position 0, carrying its
/// submission time (see migration 000022).
pub(super) fn category_rows(
    paper: &paper::ActiveModel,
    paper_id: i64,
    codes: &[String],
) -> Vec<paper_category::ActiveModel> {
    codes
        .iter()
        .enumerate()
        .map(|(position, code)| paper_category::ActiveModel {
            paper_id: Set(paper_id),
            code: Set(code.clone()),
            position: Set(i32::try_from(position).unwrap_or(i32::MAX)),
            submitted_at: paper.submitted_at.clone(),
        })
        .collect()
}

/// Adds one paper submitted by `submitter` (within their rate limit), byline included, in
/// one transaction, and publishes it.
///
/// # Errors
/// `RATE_LIMITED` beyond the submitter's limit; `CONFLICT` on `input.arxivId` when a paper
/// with that arXiv id exists (nothing is stored); `INTERNAL_SERVER_ERROR` on failure.
pub async fn submit(ctx: Context<'_>, submitter: i64, paper: NewPaper) -> AppResult<paper::Model> {
    ctx.limits.submissions.take(submitter).await?;
    store_submission(ctx, submitter, paper, "input.arxivId").await
}

/// Adds the paper `arxiv_id` as arXiv describes it, submitted by `submitter` (within the
/// same limit as [`submit`]), and publishes it.
///
/// # Errors
/// `RATE_LIMITED` beyond the submitter's limit; `CONFLICT` on `arxivId` when the paper is
/// listed already (checked before asking arXiv, and again when storing); `NOT_FOUND` when
/// arXiv does not know the id; `UPSTREAM_UNAVAILABLE` when arXiv cannot answer;
/// `BAD_USER_INPUT` when arXiv's record breaks the catalogue's rules. Nothing is stored on
/// any error.
pub async fn submit_from_arxiv(
    ctx: Context<'_>,
    arxiv: &ArxivApi,
    submitter: i64,
    arxiv_id: &str,
) -> AppResult<paper::Model> {
    ctx.limits.submissions.take(submitter).await?;
    if papers::by_arxiv_id(ctx.db.reader(), arxiv_id)
        .await?
        .is_some()
    {
        return Err(arxiv_id_taken("arxivId"));
    }
    let entry = arxiv.fetch(arxiv_id).await.map_err(|error| match error {
        FetchError::NotFound => AppError::NotFound {
            resource: "arXiv paper",
        },
        FetchError::Unavailable {
            reason,
            retry_after,
        } => AppError::UpstreamUnavailable {
            source_name: "arXiv",
            reason,
            retry_after,
        },
    })?;
    let paper = entry
        .into_new_paper(clock::now().date_naive())
        .map_err(|error| AppError::bad_input("arxivId", format!("arXiv's record: {error}")))?;
    store_submission(ctx, submitter, paper, "arxivId").await
}

/// Stores a submitted paper (byline, categories, search rows) in one transaction and
/// publishes it; `arxiv_id_field` names the argument a taken arXiv id is reported on.
async fn store_submission(
    ctx: Context<'_>,
    submitter: i64,
    mut paper: NewPaper,
    arxiv_id_field: &str,
) -> AppResult<paper::Model> {
    paper.submitted_by = Some(submitter);
    let transaction = ctx.db.writer().begin().await?;
    if let Some(arxiv_id) = &paper.arxiv_id
        && papers::by_arxiv_id(&transaction, arxiv_id).await?.is_some()
    {
        return Err(arxiv_id_taken(arxiv_id_field));
    }
    let author_ids = ensure_authors(&transaction, &paper.authors).await?;
    let row = paper_row(&paper, clock::now());
    let stored = paper::Entity::insert(row.clone())
        .exec_with_returning(&transaction)
        .await
        .map_err(|error| match error.sql_err() {
            // A concurrent submission of the same arXiv id won the race.
            Some(SqlErr::UniqueConstraintViolation(_)) => arxiv_id_taken(arxiv_id_field),
            _ => error.into(),
        })?;
    let bylines = byline_rows(&row, stored.id, &paper.authors, &author_ids);
    if !bylines.is_empty() {
        paper_author::Entity::insert_many(bylines)
            .exec(&transaction)
            .await?;
    }
    let listings = category_rows(&row, stored.id, &paper.metadata.categories);
    if !listings.is_empty() {
        paper_category::Entity::insert_many(listings)
            .exec(&transaction)
            .await?;
    }
    search::index_papers(&transaction, &[stored.id]).await?;
    let notified = notifications::for_new_papers(&transaction, &[stored.id], clock::now()).await?;
    transaction.commit().await?;
    ctx.events
        .publish(Change::PaperAdded {
            paper_id: stored.id,
        })
        .await;
    notifications::publish(ctx.events, notified).await;
    Ok(stored)
}

/// The `CONFLICT` of an arXiv id already listed, about the argument `field`.
fn arxiv_id_taken(field: &str) -> AppError {
    AppError::conflict(field, "a paper with this arXiv id is already listed")
}

/// Removes a paper with its byline and upvotes (and forgets its cached byline).
///
/// # Errors
/// `NOT_FOUND` when there is no such paper; `INTERNAL_SERVER_ERROR` on failure.
pub async fn delete(ctx: Context<'_>, paper_id: i64) -> AppResult<()> {
    let deleted = paper::Entity::delete_by_id(paper_id)
        .exec(ctx.db.writer())
        .await?
        .rows_affected;
    if deleted == 0 {
        return Err(AppError::NotFound { resource: "paper" });
    }
    ctx.bylines.forget(paper_id);
    ctx.events.publish(Change::PaperRemoved { paper_id }).await;
    Ok(())
}

/// The records that match neither a stored paper nor an earlier record of the batch.
async fn unmatched(db: &impl ConnectionTrait, papers: Vec<NewPaper>) -> AppResult<Vec<NewPaper>> {
    let arxiv_ids: Vec<String> = papers.iter().filter_map(|p| p.arxiv_id.clone()).collect();
    let titles: Vec<String> = papers
        .iter()
        .filter(|p| p.arxiv_id.is_none())
        .map(|p| p.title.clone())
        .collect();
    let mut seen_arxiv_ids = HashSet::new();
    for chunk in arxiv_ids.chunks(sql::IN_LIST_CHUNK) {
        let stored: Vec<Option<String>> = paper::Entity::find()
            .select_only()
            .column(paper::Column::ArxivId)
            .filter(paper::Column::ArxivId.is_in(chunk.iter().cloned()))
            .into_tuple()
            .all(db)
            .await?;
        seen_arxiv_ids.extend(stored.into_iter().flatten());
    }
    let mut seen_titles = HashSet::new();
    for chunk in titles.chunks(sql::IN_LIST_CHUNK) {
        let stored: Vec<String> = paper::Entity::find()
            .select_only()
            .column(paper::Column::Title)
            .filter(paper::Column::Title.is_in(chunk.iter().cloned()))
            .into_tuple()
            .all(db)
            .await?;
        seen_titles.extend(stored);
    }
    Ok(papers
        .into_iter()
        .filter(|paper| match &paper.arxiv_id {
            Some(id) => seen_arxiv_ids.insert(id.clone()),
            None => seen_titles.insert(paper.title.clone()),
        })
        .collect())
}

/// The ids of authors with these names, creating the missing ones.
///
/// # Errors
/// `INTERNAL_SERVER_ERROR` on database failure.
pub async fn ensure_authors<'a>(
    db: &impl ConnectionTrait,
    names: impl IntoIterator<Item = &'a String>,
) -> AppResult<HashMap<String, i64>> {
    let mut wanted: Vec<&String> = names.into_iter().collect();
    wanted.sort();
    wanted.dedup();
    let mut ids = author_ids_by_name(db, &wanted).await?;
    let missing: Vec<&String> = wanted
        .into_iter()
        .filter(|name| !ids.contains_key(*name))
        .collect();
    for chunk in missing.chunks(sql::IN_LIST_CHUNK) {
        let rows = chunk.iter().map(|name| author::ActiveModel {
            name: Set((*name).clone()),
            name_key: Set(name_key(name)),
            ..Default::default()
        });
        // A concurrent writer may create the same author: keep theirs.
        author::Entity::insert_many(rows)
            .on_conflict_do_nothing_on([author::Column::Name])
            .exec(db)
            .await?;
    }
    ids.extend(author_ids_by_name(db, &missing).await?);
    Ok(ids)
}

async fn author_ids_by_name(
    db: &impl ConnectionTrait,
    names: &[&String],
) -> AppResult<HashMap<String, i64>> {
    let mut ids = HashMap::with_capacity(names.len());
    for chunk in names.chunks(sql::IN_LIST_CHUNK) {
        let rows: Vec<(i64, String)> = author::Entity::find()
            .select_only()
            .column(author::Column::Id)
            .column(author::Column::Name)
            .filter(author::Column::Name.is_in(chunk.iter().map(|name| (*name).clone())))
            .into_tuple()
            .all(db)
            .await?;
        ids.extend(rows.into_iter().map(|(id, name)| (name, id)));
    }
    Ok(ids)
}

/// Records an import stores between two reports of its progress.
const IMPORT_CHUNK: usize = 500;

/// Stores a batch in one transaction — all of it, or nothing — and publishes the new papers;
/// `report` is told how many records are done as the import goes on.
///
/// # Errors
/// `INTERNAL_SERVER_ERROR` on database failure (nothing is stored).
pub async fn import(
    db: &Database,
    events: &EventBus,
    mut papers: Vec<NewPaper>,
    mut report: impl FnMut(usize),
) -> AppResult<InsertOutcome> {
    // Sorted once as `insert_papers` sorts each chunk, so that chunks keep the same order.
    let now = clock::now();
    papers.sort_by_key(|paper| {
        (
            paper.submitted_at.map_or(now, clock::stored),
            published_order(paper.published_at),
        )
    });
    let transaction = db.writer().begin().await?;
    Exclusive::Import.lock(&transaction).await?;
    let mut outcome = InsertOutcome::default();
    let mut done = 0;
    let mut rest = papers.into_iter();
    loop {
        let chunk: Vec<NewPaper> = rest.by_ref().take(IMPORT_CHUNK).collect();
        if chunk.is_empty() {
            break;
        }
        done += chunk.len();
        let stored = insert_papers(&transaction, chunk).await?;
        outcome.inserted.extend(stored.inserted);
        outcome.skipped += stored.skipped;
        outcome.notified.extend(stored.notified);
        report(done);
    }
    transaction.commit().await?;
    events.publish_all(&outcome.changes()).await;
    Ok(outcome)
}

/// Whether the catalogue holds no paper.
///
/// # Errors
/// `INTERNAL_SERVER_ERROR` on database failure.
pub async fn is_empty(db: &Database) -> AppResult<bool> {
    Ok(paper::Entity::find().count(db.reader()).await? == 0)
}
