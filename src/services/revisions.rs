//! Harvested records merged into the catalogue: a record whose arXiv id is new is added,
//! one whose stored paper differs (a new version: title, abstract, byline, categories or
//! publication details) revises that paper in place, and one that matches is left alone.
//! Revisions keep the paper's id, upvotes and submission; they set `updated_at`, rewrite
//! the byline, categories and search rows, and are published so that every instance drops
//! what it cached of the paper.

use std::collections::HashMap;

use entity::{paper, paper_author, paper_category};
use sea_orm::ActiveValue::Set;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, IntoActiveModel, QueryFilter,
    TransactionTrait,
};

use crate::clock;
use crate::db::{Database, Exclusive};
use crate::domain::paper::NewPaper;
use crate::error::AppResult;
use crate::events::{Change, EventBus};

use super::bylines::BylineCache;
use super::catalog::{byline_rows, category_rows, ensure_authors, insert_papers};
use super::{authors, categories, papers, search};

/// What a merge did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MergeOutcome {
    /// Ids of the papers added.
    pub stored: Vec<i64>,
    /// Ids of the papers revised.
    pub revised: Vec<i64>,
    /// Records that matched their stored paper.
    pub unchanged: usize,
}

/// Merges `papers` (each with an arXiv id, none twice) in one transaction, then publishes
/// the additions and revisions; `bylines` is this process's byline cache, if it has one.
///
/// # Errors
/// `INTERNAL_SERVER_ERROR` on database failure (nothing is stored).
pub async fn merge(
    db: &Database,
    events: &EventBus,
    bylines: Option<&BylineCache>,
    papers: Vec<NewPaper>,
) -> AppResult<MergeOutcome> {
    let transaction = db.writer().begin().await?;
    Exclusive::Import.lock(&transaction).await?;
    let stored = stored_by_arxiv_id(&transaction, &papers).await?;
    let mut fresh = Vec::new();
    let mut outcome = MergeOutcome::default();
    for paper in papers {
        let known = paper.arxiv_id.as_ref().and_then(|id| stored.get(id));
        match known {
            None => fresh.push(paper),
            Some(current) if current.matches(&paper) => outcome.unchanged += 1,
            Some(current) => {
                revise(&transaction, &current.model, &paper).await?;
                outcome.revised.push(current.model.id);
            }
        }
    }
    let inserted = insert_papers(&transaction, fresh).await?;
    outcome.stored.clone_from(&inserted.inserted);
    search::index_papers(&transaction, &outcome.revised).await?;
    transaction.commit().await?;
    if let Some(cache) = bylines {
        outcome
            .revised
            .iter()
            .for_each(|&paper_id| cache.forget(paper_id));
    }
    let revised = outcome
        .revised
        .iter()
        .map(|&paper_id| Change::PaperRevised { paper_id });
    events
        .publish_all(&revised.chain(inserted.changes()).collect::<Vec<_>>())
        .await;
    Ok(outcome)
}

/// The arXiv ids of `papers` whose version is unknown and matters: records that would add
/// a paper, revise one, or take one past its first version (the `arXiv` OAI format says a
/// paper was replaced, not into which version).
///
/// # Errors
/// `INTERNAL_SERVER_ERROR` on database failure.
pub async fn needing_version(
    db: &impl ConnectionTrait,
    papers: &[NewPaper],
) -> AppResult<Vec<String>> {
    let unversioned: Vec<&NewPaper> = papers
        .iter()
        .filter(|paper| paper.metadata.version.is_none())
        .collect();
    if unversioned.is_empty() {
        return Ok(Vec::new());
    }
    let stored = stored_by_arxiv_id(db, unversioned.iter().copied()).await?;
    Ok(unversioned
        .into_iter()
        .filter_map(|paper| {
            let id = paper.arxiv_id.as_ref()?;
            let settled = stored.get(id).is_some_and(|current| {
                current.matches(paper) && current.model.version.is_some_and(|v| v > 1)
            });
            (!settled).then(|| id.clone())
        })
        .collect())
}

/// A stored paper with what a record is compared against.
struct Current {
    model: paper::Model,
    authors: Vec<String>,
    categories: Vec<String>,
}

impl Current {
    /// Whether `record` says what is stored (the version is compared only when the record
    /// has one: the OAI `arXiv` format does not).
    fn matches(&self, record: &NewPaper) -> bool {
        let model = &self.model;
        let metadata = &record.metadata;
        model.title == record.title
            && model.r#abstract == record.abstract_text
            && self.authors == record.authors
            && self.categories == metadata.categories
            && model.doi == metadata.doi
            && model.journal_ref == metadata.journal_ref
            && model.arxiv_comment == metadata.arxiv_comment
            && (metadata.license.is_none() || model.license == metadata.license)
            && (metadata.version.is_none() || model.version == metadata.version)
    }
}

/// The stored papers of these records' arXiv ids, with their bylines and categories.
async fn stored_by_arxiv_id<'a>(
    db: &impl ConnectionTrait,
    papers: impl IntoIterator<Item = &'a NewPaper>,
) -> AppResult<HashMap<String, Current>> {
    let ids: Vec<String> = papers
        .into_iter()
        .filter_map(|p| p.arxiv_id.clone())
        .collect();
    let models = papers::by_arxiv_ids(db, &ids).await?;
    let paper_ids: Vec<i64> = models.values().map(|model| model.id).collect();
    let mut bylines = authors::bylines(db, &paper_ids).await?;
    let mut listed = categories::of_papers(db, &paper_ids).await?;
    Ok(models
        .into_iter()
        .map(|(arxiv_id, model)| {
            let current = Current {
                authors: bylines
                    .remove(&model.id)
                    .unwrap_or_default()
                    .into_iter()
                    .map(|author| author.name)
                    .collect(),
                categories: listed.remove(&model.id).unwrap_or_default(),
                model,
            };
            (arxiv_id, current)
        })
        .collect())
}

/// Rewrites `current` from `record`: its row, byline and categories.
async fn revise(
    db: &impl ConnectionTrait,
    current: &paper::Model,
    record: &NewPaper,
) -> AppResult<()> {
    let metadata = &record.metadata;
    let mut row = current.clone().into_active_model();
    row.title = Set(record.title.clone());
    row.r#abstract = Set(record.abstract_text.clone());
    row.author_count = Set(i32::try_from(record.authors.len()).unwrap_or(i32::MAX));
    row.doi = Set(metadata.doi.clone());
    row.journal_ref = Set(metadata.journal_ref.clone());
    row.arxiv_comment = Set(metadata.arxiv_comment.clone());
    row.withdrawn = Set(metadata.withdrawn());
    if metadata.license.is_some() {
        row.license = Set(metadata.license.clone());
    }
    if metadata.version.is_some() {
        row.version = Set(metadata.version);
    }
    if metadata.pdf_url.is_some() {
        row.pdf_url = Set(metadata.pdf_url.clone());
    }
    row.updated_at = Set(Some(clock::stored(clock::now())));
    let row = row.update(db).await?.into_active_model();

    paper_author::Entity::delete_many()
        .filter(paper_author::Column::PaperId.eq(current.id))
        .exec(db)
        .await?;
    let author_ids = ensure_authors(db, &record.authors).await?;
    let byline = byline_rows(&row, current.id, &record.authors, &author_ids);
    if !byline.is_empty() {
        paper_author::Entity::insert_many(byline).exec(db).await?;
    }
    paper_category::Entity::delete_many()
        .filter(paper_category::Column::PaperId.eq(current.id))
        .exec(db)
        .await?;
    let listings = category_rows(&row, current.id, &metadata.categories);
    if !listings.is_empty() {
        paper_category::Entity::insert_many(listings)
            .exec(db)
            .await?;
    }
    Ok(())
}
