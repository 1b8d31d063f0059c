//! Harvesting arXiv's OAI-PMH `ListRecords` (metadata format `arXiv`) into the catalogue,
//! page by page, resumably and politely.
//!
//! Each page is fetched in its turn (the configured interval apart), retried on failure —
//! after arXiv's `Retry-After` on 503 and 429, else with exponential back-off and jitter —
//! merged into the catalogue (new papers stored, new versions revising their papers), and
//! only then recorded as done together with the resumption token of the next page. An
//! interrupted harvest of the same set and dates resumes from that token; a finished one
//! starts over (picking up what changed since).

use std::collections::HashSet;
use std::sync::Arc;

use chrono::NaiveDate;

use crate::clock;
use crate::config::SourcesConfig;
use crate::db::Database;
use crate::domain::paper::NewPaper;
use crate::error::AppError;
use crate::events::EventBus;
use crate::services::bylines::BylineCache;
use crate::services::revisions;
use crate::services::sync_progress::{self, Progress};

use super::arxiv_oai::{OaiError, OaiPage, Skipped, parse_page};
use super::arxiv_versions::{VersionLookup, VersionsError};
use super::pacer::Pacer;
use super::polite::{PoliteClient, PoliteError, RetryPolicy, Unusable};

/// What to harvest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HarvestRequest {
    /// An OAI set of arXiv (`cs`, `math`, `physics:hep-th`).
    pub set: String,
    pub from: Option<NaiveDate>,
    pub until: Option<NaiveDate>,
}

impl HarvestRequest {
    /// The job's name in the progress table.
    fn job(&self) -> String {
        let day = |day: Option<NaiveDate>| day.map(|d| d.to_string()).unwrap_or_default();
        format!(
            "arxiv-oai:{}:{}:{}",
            self.set,
            day(self.from),
            day(self.until)
        )
    }
}

/// Why a harvest stopped before its end. Pages done so far stay done.
#[derive(Debug, thiserror::Error)]
pub enum HarvestError {
    #[error("cannot set up the HTTP client: {0}")]
    Client(#[from] reqwest::Error),
    #[error("PAPERBOARD_ARXIV_OAI_URL {0:?} is not a URL")]
    Url(String),
    #[error("page {page}: {source}; run again to resume")]
    Page {
        page: i32,
        #[source]
        source: PoliteError<OaiError>,
    },
    #[error("cannot reach the arXiv API for versions: {0}")]
    Versions(#[from] VersionsError),
    #[error("storing page {page} failed")]
    Store {
        page: i32,
        #[source]
        source: AppError,
    },
}

/// Where harvested papers go.
#[derive(Clone, Copy)]
pub struct Target<'a> {
    pub db: &'a Database,
    /// Where new and revised papers are published.
    pub events: &'a EventBus,
    /// A server's byline cache, which drops the bylines of revised papers.
    pub bylines: Option<&'a BylineCache>,
}

/// Harvests `request` into `target`, taking turns
/// with the process's other requests to arXiv from `pacer`; `report`
/// is told the tally after each page, with the list's size when the source gives it.
/// Returns the whole harvest's tally.
///
/// # Errors
/// [`HarvestError`]; the pages stored before it stay stored and the next run resumes.
pub async fn harvest(
    target: Target<'_>,
    sources: &SourcesConfig,
    pacer: Arc<Pacer>,
    retry: RetryPolicy,
    request: &HarvestRequest,
    mut report: impl FnMut(&Progress, Option<u64>),
) -> Result<Progress, HarvestError> {
    let Target {
        db,
        events,
        bylines,
    } = target;
    let versions = VersionLookup::new(sources, Arc::clone(&pacer), retry)?;
    let client = OaiClient::new(sources, pacer, retry)?;
    let job = request.job();
    let store_failed = |page| move |source| HarvestError::Store { page, source };
    let mut progress = match sync_progress::load(db.reader(), &job)
        .await
        .map_err(store_failed(0))?
    {
        Some(progress) if !progress.finished => {
            tracing::info!(
                job,
                pages = progress.pages,
                "resuming an interrupted harvest"
            );
            progress
        }
        _ => Progress::default(),
    };
    loop {
        let page_number = progress.pages + 1;
        let page = client
            .page(request, progress.resumption_token.as_deref(), page_number)
            .await?;
        let list_size = page.complete_list_size;
        let (mut papers, skipped) = unique_records(page.records);
        for skip in &skipped {
            tracing::warn!(record = skip.record, reason = skip.reason, "record skipped");
        }
        add_versions(db, &versions, &mut papers)
            .await
            .map_err(store_failed(page_number))?;
        let merged = revisions::merge(db, events, bylines, papers)
            .await
            .map_err(store_failed(page_number))?;
        progress.pages = page_number;
        progress.stored += count(merged.stored.len());
        progress.revised += count(merged.revised.len());
        progress.unchanged += count(merged.unchanged);
        progress.skipped += count(skipped.len());
        progress.finished = page.resumption_token.is_none();
        progress.resumption_token = page.resumption_token;
        sync_progress::save(db.writer(), &job, &progress)
            .await
            .map_err(store_failed(page_number))?;
        report(&progress, list_size);
        if progress.finished {
            return Ok(progress);
        }
    }
}

/// Looks up the versions the page's records need (see [`revisions::needing_version`]).
/// When arXiv's API cannot tell, the papers are stored without a new version number and
/// the harvest goes on: the next harvest that sees them asks again.
async fn add_versions(
    db: &Database,
    lookup: &VersionLookup,
    papers: &mut [NewPaper],
) -> Result<(), AppError> {
    let wanted = revisions::needing_version(db.reader(), papers).await?;
    if wanted.is_empty() {
        return Ok(());
    }
    match lookup.latest(&wanted).await {
        Ok(versions) => {
            for paper in papers.iter_mut() {
                if let Some(&version) = paper.arxiv_id.as_ref().and_then(|id| versions.get(id)) {
                    paper.metadata.version = Some(version);
                }
            }
        }
        Err(error) => tracing::warn!(
            %error,
            papers = wanted.len(),
            "the arXiv API did not give these papers' versions; stored without"
        ),
    }
    Ok(())
}

fn count(n: usize) -> i32 {
    i32::try_from(n).unwrap_or(i32::MAX)
}

/// The page's valid records, each arXiv id once; the rest as skips.
fn unique_records(
    records: Vec<Result<super::arxiv_oai::OaiRecord, Skipped>>,
) -> (Vec<NewPaper>, Vec<Skipped>) {
    let mut seen = HashSet::new();
    let mut papers = Vec::new();
    let mut skipped = Vec::new();
    for record in records {
        match record {
            Ok(record) => {
                let id = record.paper.arxiv_id.clone().unwrap_or_default();
                if seen.insert(id.clone()) {
                    papers.push(record.paper);
                } else {
                    skipped.push(Skipped {
                        record: id,
                        reason: "appears twice on its page".to_owned(),
                    });
                }
            }
            Err(skip) => skipped.push(skip),
        }
    }
    (papers, skipped)
}

/// The OAI-PMH endpoint, reached politely.
struct OaiClient {
    url: url::Url,
    client: PoliteClient,
}

impl OaiClient {
    fn new(
        sources: &SourcesConfig,
        pacer: Arc<Pacer>,
        retry: RetryPolicy,
    ) -> Result<Self, HarvestError> {
        let url = url::Url::parse(&sources.arxiv_oai_url)
            .map_err(|_| HarvestError::Url(sources.arxiv_oai_url.clone()))?;
        Ok(Self {
            url,
            client: PoliteClient::new(sources, pacer, retry)?,
        })
    }

    /// The page after `token` (the first without one), retried as the policy allows.
    async fn page(
        &self,
        request: &HarvestRequest,
        token: Option<&str>,
        page: i32,
    ) -> Result<OaiPage, HarvestError> {
        let url = self.page_url(request, token);
        let parse = |body: &str| match parse_page(body, clock::now().date_naive()) {
            Ok(page) => Ok(page),
            Err(error @ OaiError::Protocol { .. }) => Err(Unusable::Final(error)),
            Err(error) => Err(Unusable::Transient(error.to_string())),
        };
        self.client
            .fetch(&url, &format!("page {page}"), parse)
            .await
            .map_err(|source| HarvestError::Page { page, source })
    }

    fn page_url(&self, request: &HarvestRequest, token: Option<&str>) -> url::Url {
        let mut url = self.url.clone();
        {
            let mut query = url.query_pairs_mut();
            query.append_pair("verb", "ListRecords");
            if let Some(token) = token {
                query.append_pair("resumptionToken", token);
            } else {
                query
                    .append_pair("metadataPrefix", "arXiv")
                    .append_pair("set", &request.set);
                if let Some(from) = request.from {
                    query.append_pair("from", &from.to_string());
                }
                if let Some(until) = request.until {
                    query.append_pair("until", &until.to_string());
                }
            }
        }
        url
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jobs_are_named_by_set_and_dates() {
        let request = HarvestRequest {
            set: "cs".to_owned(),
            from: NaiveDate::from_ymd_opt(2025, 1, 1),
            until: None,
        };
        assert_eq!(request.job(), "arxiv-oai:cs:2025-01-01:");
    }
}
