//! Papers from a curated daily list (Hugging Face's daily papers): a paper not in the
//! catalogue is stored as listed (submitted on the list's day, the list's upvotes as its
//! baseline); a stored paper takes the list's figures — upvote baseline, code repository,
//! its stars, project page — when they differ, and keeps everything else (its title and
//! byline come from arXiv). A changed baseline moves `upvoteCount` by the difference and
//! queues the paper for the next ranking refresh, as an upvote does.

use entity::paper;
use sea_orm::sea_query::{Expr, ExprTrait, OnConflict, Query};
use sea_orm::{ConnectionTrait, TransactionTrait};

use crate::db::{Database, Exclusive};
use crate::domain::paper::NewPaper;
use crate::error::AppResult;
use crate::events::{Change, EventBus};

use super::catalog::insert_papers;
use super::papers;

/// What a merge of a list did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ListingOutcome {
    pub stored: Vec<i64>,
    /// Stored papers whose listed figures changed.
    pub updated: usize,
    pub unchanged: usize,
}

/// Merges one list's `papers` (each with an arXiv id, none twice) in one transaction.
///
/// # Errors
/// `INTERNAL_SERVER_ERROR` on database failure (nothing is stored).
pub async fn merge(
    db: &Database,
    events: &EventBus,
    papers: Vec<NewPaper>,
) -> AppResult<ListingOutcome> {
    let transaction = db.writer().begin().await?;
    Exclusive::Import.lock(&transaction).await?;
    let ids: Vec<String> = papers.iter().filter_map(|p| p.arxiv_id.clone()).collect();
    let stored = papers::by_arxiv_ids(&transaction, &ids).await?;
    let mut outcome = ListingOutcome::default();
    let mut recounted = Vec::new();
    // Figures changed, count the same: still what a page shows.
    let mut revised = Vec::new();
    let mut fresh = Vec::new();
    for listed in papers {
        let current = listed.arxiv_id.as_ref().and_then(|id| stored.get(id));
        match current {
            None => fresh.push(listed),
            Some(current) if same_figures(current, &listed) => outcome.unchanged += 1,
            Some(current) => {
                let count = update_figures(&transaction, current, &listed).await?;
                if count == current.upvote_count {
                    revised.push(current.id);
                } else {
                    recounted.push((current.id, count));
                }
                outcome.updated += 1;
            }
        }
    }
    let inserted = insert_papers(&transaction, fresh).await?;
    outcome.stored.clone_from(&inserted.inserted);
    transaction.commit().await?;
    let recounted = recounted
        .iter()
        .map(|&(paper_id, upvote_count)| Change::UpvoteChanged {
            paper_id,
            upvote_count,
        });
    let revised = revised
        .into_iter()
        .map(|paper_id| Change::PaperRevised { paper_id });
    events
        .publish_all(
            &recounted
                .chain(revised)
                .chain(inserted.changes())
                .collect::<Vec<_>>(),
        )
        .await;
    Ok(outcome)
}

fn same_figures(current: &paper::Model, listed: &NewPaper) -> bool {
    current.upvote_baseline == listed.upvote_baseline
        && (listed.github_url.is_none() || current.github_url == listed.github_url)
        && (listed.project_url.is_none() || current.project_url == listed.project_url)
        && (listed.metadata.github_stars.is_none()
            || current.github_stars == listed.metadata.github_stars)
}

/// Writes the listed figures of `current`; returns its new upvote count.
async fn update_figures(
    db: &impl ConnectionTrait,
    current: &paper::Model,
    listed: &NewPaper,
) -> AppResult<i32> {
    let difference = listed.upvote_baseline - current.upvote_baseline;
    let mut update = Query::update();
    update
        .table(paper::Entity)
        .value(paper::Column::UpvoteBaseline, listed.upvote_baseline)
        .value(
            paper::Column::UpvoteCount,
            Expr::col(paper::Column::UpvoteCount).add(difference),
        )
        .and_where(Expr::col(paper::Column::Id).eq(current.id));
    if let Some(url) = &listed.github_url {
        update.value(paper::Column::GithubUrl, url.clone());
    }
    if let Some(url) = &listed.project_url {
        update.value(paper::Column::ProjectUrl, url.clone());
    }
    if let Some(stars) = listed.metadata.github_stars {
        update.value(paper::Column::GithubStars, stars);
    }
    db.execute(&update).await?;
    if difference != 0 {
        let mut queue = Query::insert();
        queue
            .into_table(entity::ranking_queue::Entity)
            .columns([entity::ranking_queue::Column::PaperId])
            .values_panic([current.id.into()])
            .on_conflict(
                OnConflict::column(entity::ranking_queue::Column::PaperId)
                    .do_nothing()
                    .to_owned(),
            );
        db.execute(&queue).await?;
    }
    Ok(current.upvote_count + difference)
}
