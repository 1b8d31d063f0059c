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
use std::time::Duration;

use chrono::NaiveDate;

use crate::clock;
use crate::config::SourcesConfig;
use crate::db::Database;
use crate::error::AppError;
use crate::events::EventBus;
use crate::services::revisions;
use crate::services::sync_progress::{self, Progress};

use super::arxiv_api::{read_bounded, retry_after, user_agent};
use super::arxiv_oai::{OaiError, OaiPage, Skipped, parse_page};
use super::pacer::Pacer;

/// A `Retry-After` longer than this ends the run (it resumes when run again).
const LONGEST_RETRY_AFTER: Duration = Duration::from_secs(600);
/// The longest pause between attempts that had no `Retry-After`.
const LONGEST_BACKOFF: Duration = Duration::from_secs(120);

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

/// How persistent the harvester is.
#[derive(Debug, Clone, Copy)]
pub struct RetryPolicy {
    /// Attempts per page before the run gives up.
    pub attempts: u32,
    /// The first back-off; each further one doubles (plus up to half again at random).
    pub first_backoff: Duration,
}

/// Why a harvest stopped before its end. Pages done so far stay done.
#[derive(Debug, thiserror::Error)]
pub enum HarvestError {
    #[error("cannot set up the HTTP client: {0}")]
    Client(#[from] reqwest::Error),
    #[error("PAPERBOARD_ARXIV_OAI_URL {0:?} is not a URL")]
    Url(String),
    #[error("page {page}: {reason} (gave up after {attempts} attempts; run again to resume)")]
    GaveUp {
        page: i32,
        attempts: u32,
        reason: String,
    },
    #[error("page {page}: arXiv asks to wait {seconds} s; run again later to resume")]
    TooLongToWait { page: i32, seconds: u64 },
    #[error("page {page}: arXiv refused the harvest: {source}")]
    Refused {
        page: i32,
        #[source]
        source: OaiError,
    },
    #[error("storing page {page} failed")]
    Store {
        page: i32,
        #[source]
        source: AppError,
    },
}

/// Harvests `request` into `db`, publishing new and revised papers on `events`; `report`
/// is told each page's tally as it is stored. Returns the whole harvest's tally.
///
/// # Errors
/// [`HarvestError`]; the pages stored before it stay stored and the next run resumes.
pub async fn harvest(
    db: &Database,
    events: &EventBus,
    sources: &SourcesConfig,
    retry: RetryPolicy,
    request: &HarvestRequest,
    mut report: impl FnMut(&Progress),
) -> Result<Progress, HarvestError> {
    let client = OaiClient::new(sources, retry)?;
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
        let (papers, skipped) = unique_records(page.records);
        for skip in &skipped {
            tracing::warn!(record = skip.record, reason = skip.reason, "record skipped");
        }
        let merged = revisions::merge(db, events, None, papers)
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
        report(&progress);
        if progress.finished {
            return Ok(progress);
        }
    }
}

fn count(n: usize) -> i32 {
    i32::try_from(n).unwrap_or(i32::MAX)
}

/// The page's valid records, each arXiv id once; the rest as skips.
fn unique_records(
    records: Vec<Result<super::arxiv_oai::OaiRecord, Skipped>>,
) -> (Vec<crate::domain::paper::NewPaper>, Vec<Skipped>) {
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
    client: reqwest::Client,
    url: url::Url,
    pacer: Pacer,
    retry: RetryPolicy,
}

/// One failed attempt: what to tell, and how long arXiv asked to wait.
struct Attempt {
    reason: String,
    retry_after: Option<Duration>,
}

impl OaiClient {
    fn new(sources: &SourcesConfig, retry: RetryPolicy) -> Result<Self, HarvestError> {
        let url = url::Url::parse(&sources.arxiv_oai_url)
            .map_err(|_| HarvestError::Url(sources.arxiv_oai_url.clone()))?;
        let client = reqwest::Client::builder()
            .user_agent(user_agent(sources.contact.as_deref()))
            .timeout(Duration::from_secs(sources.upstream_timeout_seconds.max(1)))
            .build()?;
        Ok(Self {
            client,
            url,
            pacer: Pacer::new(Duration::from_millis(sources.arxiv_request_interval_millis)),
            retry,
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
        let mut attempt = 0;
        loop {
            attempt += 1;
            let failure = match self.attempt(&url).await {
                Ok(body) => match parse_page(&body, clock::now().date_naive()) {
                    Ok(page) => return Ok(page),
                    Err(source @ OaiError::Protocol { .. }) => {
                        return Err(HarvestError::Refused { page, source });
                    }
                    Err(error) => Attempt {
                        reason: error.to_string(),
                        retry_after: None,
                    },
                },
                Err(failure) => failure,
            };
            if attempt >= self.retry.attempts {
                return Err(HarvestError::GaveUp {
                    page,
                    attempts: attempt,
                    reason: failure.reason,
                });
            }
            let pause = match failure.retry_after {
                Some(wait) if wait > LONGEST_RETRY_AFTER => {
                    return Err(HarvestError::TooLongToWait {
                        page,
                        seconds: wait.as_secs(),
                    });
                }
                Some(wait) => wait,
                None => backoff(self.retry.first_backoff, attempt),
            };
            tracing::warn!(
                page,
                attempt,
                reason = failure.reason,
                pause_ms = pause.as_millis() as u64,
                "page failed; retrying"
            );
            tokio::time::sleep(pause).await;
        }
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

    /// One request in its turn: the body, or why not.
    async fn attempt(&self, url: &url::Url) -> Result<String, Attempt> {
        // A harvest is a batch job: it waits for its turn however long that takes.
        let _always_our_turn = self.pacer.wait_for_turn(Duration::MAX).await;
        let failed = |reason: String| Attempt {
            reason,
            retry_after: None,
        };
        let response = self
            .client
            .get(url.clone())
            .send()
            .await
            .map_err(|error| failed(format!("request failed: {error}")))?;
        let status = response.status();
        if !status.is_success() {
            let retry_after = matches!(status.as_u16(), 429 | 503)
                .then(|| retry_after(response.headers()))
                .flatten();
            return Err(Attempt {
                reason: format!("HTTP {status}"),
                retry_after,
            });
        }
        read_bounded(response)
            .await
            .map_err(|error| failed(error.to_string()))
    }
}

/// The pause before attempt `attempt + 1`: `first` doubled per earlier attempt, plus up to
/// half again at random (so that many harvesters do not retry in step), capped.
fn backoff(first: Duration, attempt: u32) -> Duration {
    let base = first
        .saturating_mul(2u32.saturating_pow(attempt.saturating_sub(1)))
        .min(LONGEST_BACKOFF);
    let jitter = getrandom::u64().unwrap_or(0) % (base.as_millis() as u64 / 2 + 1);
    base + Duration::from_millis(jitter)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_with_jitter_and_is_capped() {
        let first = Duration::from_secs(1);
        for (attempt, base) in [(1, 1_000), (2, 2_000), (3, 4_000), (4, 8_000)] {
            let pause = backoff(first, attempt).as_millis() as u64;
            assert!(
                (base..=base + base / 2).contains(&pause),
                "attempt {attempt}: {pause} ms"
            );
        }
        assert!(backoff(first, 30) <= LONGEST_BACKOFF + LONGEST_BACKOFF / 2);
    }

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
