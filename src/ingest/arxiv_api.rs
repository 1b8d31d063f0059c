//! Fetching one record from the arXiv API, as a good citizen of arXiv's servers: at most
//! one request per configured interval from this instance (arXiv asks for three seconds),
//! a `User-Agent` naming Paperboard and the operator's contact, a timeout, a bounded answer,
//! and `Retry-After` passed on when arXiv is busy.

use std::sync::Arc;
use std::time::Duration;

use crate::config::SourcesConfig;

use super::arxiv_atom::{ArxivEntry, parse_feed};
use super::pacer::Pacer;

/// Largest answer read: one Atom entry is a few KiB.
const MAX_ANSWER_BYTES: usize = 1024 * 1024;
/// How long a caller may wait for its turn before being told to come back.
const MAX_QUEUE_WAIT: Duration = Duration::from_secs(10);
/// The delay suggested when arXiv gave none.
const DEFAULT_RETRY_AFTER: Duration = Duration::from_secs(30);

/// Why a record could not be fetched.
#[derive(Debug, thiserror::Error)]
pub enum FetchError {
    #[error("arXiv has no paper with this id")]
    NotFound,
    #[error("{reason}")]
    Unavailable {
        reason: String,
        retry_after: Duration,
    },
}

impl FetchError {
    fn unavailable(reason: impl Into<String>, retry_after: Duration) -> Self {
        Self::Unavailable {
            reason: reason.into(),
            retry_after,
        }
    }
}

/// The arXiv API, as this instance reaches it.
pub struct ArxivApi {
    client: reqwest::Client,
    query_url: url::Url,
    /// Shared with every other client of arXiv in this process.
    pacer: Arc<Pacer>,
}

impl ArxivApi {
    /// A client for `config`'s endpoint and limits.
    ///
    /// # Errors
    /// A malformed endpoint URL, or a TLS set-up failure.
    pub fn new(config: &SourcesConfig) -> Result<Self, ArxivApiError> {
        let query_url = url::Url::parse(&config.arxiv_api_url)
            .map_err(|cause| ArxivApiError::Url(config.arxiv_api_url.clone(), cause))?;
        let client = reqwest::Client::builder()
            .user_agent(user_agent(config.contact.as_deref()))
            .timeout(Duration::from_secs(config.upstream_timeout_seconds.max(1)))
            .build()?;
        Ok(Self {
            client,
            query_url,
            pacer: Arc::new(Pacer::new(Duration::from_millis(
                config.arxiv_request_interval_millis,
            ))),
        })
    }

    /// The turns of this process's requests to arXiv, for its other clients (harvests).
    pub fn pacer(&self) -> Arc<Pacer> {
        Arc::clone(&self.pacer)
    }

    /// The latest version of the paper `arxiv_id` (without version).
    ///
    /// # Errors
    /// [`FetchError::NotFound`] when arXiv does not know the id; `Unavailable` when arXiv
    /// cannot be reached, is slow, is busy, or sends what cannot be read.
    pub async fn fetch(&self, arxiv_id: &str) -> Result<ArxivEntry, FetchError> {
        self.pacer
            .wait_for_turn(MAX_QUEUE_WAIT)
            .await
            .map_err(|wait| {
                FetchError::unavailable("too many requests to arXiv are waiting", wait)
            })?;
        let mut url = self.query_url.clone();
        url.query_pairs_mut()
            .append_pair("id_list", arxiv_id)
            .append_pair("max_results", "1");
        let response = self.client.get(url).send().await.map_err(|error| {
            let reason = if error.is_timeout() {
                "arXiv did not answer in time"
            } else {
                "arXiv cannot be reached"
            };
            tracing::warn!(%error, arxiv_id, "arXiv request failed");
            FetchError::unavailable(reason, DEFAULT_RETRY_AFTER)
        })?;
        let status = response.status();
        if !status.is_success() {
            let retry_after = retry_after(response.headers()).unwrap_or(DEFAULT_RETRY_AFTER);
            let reason = match status.as_u16() {
                429 => "arXiv is limiting requests".to_owned(),
                503 => "arXiv is busy".to_owned(),
                code => format!("arXiv answered HTTP {code}"),
            };
            return Err(FetchError::unavailable(reason, retry_after));
        }
        let body = read_bounded(response).await?;
        let entries = parse_feed(&body).map_err(|error| {
            tracing::warn!(%error, arxiv_id, "unreadable answer from arXiv");
            FetchError::unavailable("arXiv sent an unreadable answer", DEFAULT_RETRY_AFTER)
        })?;
        entries
            .into_iter()
            .find(|entry| entry.arxiv_id == arxiv_id)
            .ok_or(FetchError::NotFound)
    }
}

/// Why the client could not be built.
#[derive(Debug, thiserror::Error)]
pub enum ArxivApiError {
    #[error("PAPERBOARD_ARXIV_API_URL {0:?} is not a URL: {1}")]
    Url(String, url::ParseError),
    #[error("cannot set up the HTTP client: {0}")]
    Client(#[from] reqwest::Error),
}

/// `Paperboard/VERSION`, with the operator's contact when configured.
pub(super) fn user_agent(contact: Option<&str>) -> String {
    let product = concat!("Paperboard/", env!("CARGO_PKG_VERSION"));
    match contact {
        Some(contact) => format!("{product} (+{contact})"),
        None => product.to_owned(),
    }
}

/// A `Retry-After` in seconds (the form arXiv sends).
pub(super) fn retry_after(headers: &reqwest::header::HeaderMap) -> Option<Duration> {
    headers
        .get(reqwest::header::RETRY_AFTER)?
        .to_str()
        .ok()?
        .trim()
        .parse::<u64>()
        .ok()
        .map(Duration::from_secs)
}

/// The body as text, refused past [`MAX_ANSWER_BYTES`].
pub(super) async fn read_bounded(mut response: reqwest::Response) -> Result<String, FetchError> {
    let failed = |reason: &str| FetchError::unavailable(reason, DEFAULT_RETRY_AFTER);
    let mut body = Vec::new();
    while let Some(chunk) = response
        .chunk()
        .await
        .map_err(|_| failed("arXiv's answer broke off"))?
    {
        if body.len() + chunk.len() > MAX_ANSWER_BYTES {
            return Err(failed("arXiv's answer is too large"));
        }
        body.extend_from_slice(&chunk);
    }
    String::from_utf8(body).map_err(|_| failed("arXiv's answer is not UTF-8"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_user_agent_names_the_product_and_the_contact() {
        assert!(user_agent(None).starts_with("Paperboard/"));
        assert!(user_agent(Some("ops@example.org")).ends_with("(+ops@example.org)"));
    }
}
