//! `paperboard sync hf-daily`: Hugging Face's daily papers lists of a range of days merged
//! into the catalogue, one day per request and per transaction (see
//! [`crate::services::listings`]).

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use chrono::NaiveDate;

use crate::clock;
use crate::config::SourcesConfig;
use crate::db::Database;
use crate::error::AppError;
use crate::events::EventBus;
use crate::services::listings;

use super::hf_daily::parse_day;
use super::pacer::Pacer;
use super::polite::{PoliteClient, PoliteError, RetryPolicy, Unusable};

/// The tally of a sync.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DaysTally {
    pub days: usize,
    pub stored: usize,
    pub updated: usize,
    pub unchanged: usize,
    pub skipped: usize,
}

/// Why a sync stopped; the days before it stay stored.
#[derive(Debug, thiserror::Error)]
pub enum HfSyncError {
    #[error("cannot set up the HTTP client: {0}")]
    Client(#[from] reqwest::Error),
    #[error("PAPERBOARD_HF_URL {0:?} is not a URL")]
    Url(String),
    #[error("{day}: {source}")]
    Day {
        day: NaiveDate,
        #[source]
        source: PoliteError<serde_json::Error>,
    },
    #[error("storing {day} failed")]
    Store {
        day: NaiveDate,
        #[source]
        source: AppError,
    },
}

/// Merges the lists of `from` through `to` (inclusive), oldest day first; `report` is told
/// the tally after each day.
///
/// # Errors
/// [`HfSyncError`]; the days merged before it stay merged.
pub async fn sync_days(
    db: &Database,
    events: &EventBus,
    sources: &SourcesConfig,
    retry: RetryPolicy,
    from: NaiveDate,
    to: NaiveDate,
    mut report: impl FnMut(&DaysTally),
) -> Result<DaysTally, HfSyncError> {
    let base = url::Url::parse(&sources.hf_url)
        .and_then(|url| url.join("api/daily_papers"))
        .map_err(|_| HfSyncError::Url(sources.hf_url.clone()))?;
    let interval = Duration::from_millis(sources.hf_request_interval_millis);
    let client = PoliteClient::new(sources, Arc::new(Pacer::new(interval)), retry)?;
    let mut tally = DaysTally::default();
    for day in from.iter_days().take_while(|day| *day <= to) {
        let mut url = base.clone();
        url.query_pairs_mut().append_pair("date", &day.to_string());
        let today = clock::now().date_naive();
        let parse = |body: &str| {
            // A cut-off answer is worth another attempt; so is any JSON that does not parse.
            parse_day(body, day, today).map_err(|error| Unusable::Transient(error.to_string()))
        };
        let records = client
            .fetch::<_, serde_json::Error>(&url, &day.to_string(), parse)
            .await
            .map_err(|source| HfSyncError::Day { day, source })?;
        let mut seen = HashSet::new();
        let mut papers = Vec::new();
        for record in records {
            match record {
                Ok(paper) if seen.insert(paper.arxiv_id.clone()) => papers.push(paper),
                Ok(paper) => {
                    tally.skipped += 1;
                    tracing::warn!(record = paper.arxiv_id, %day, "record skipped: listed twice");
                }
                Err(skip) => {
                    tally.skipped += 1;
                    tracing::warn!(record = skip.record, reason = skip.reason, %day, "record skipped");
                }
            }
        }
        let outcome = listings::merge(db, events, papers)
            .await
            .map_err(|source| HfSyncError::Store { day, source })?;
        tally.days += 1;
        tally.stored += outcome.stored.len();
        tally.updated += outcome.updated;
        tally.unchanged += outcome.unchanged;
        report(&tally);
    }
    Ok(tally)
}
