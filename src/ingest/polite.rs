//! Requests to a source made politely and persistently, for batch jobs: each in its turn
//! (the configured interval apart), with the `User-Agent` naming Paperboard and the
//! operator's contact, a timeout, a bounded answer; a failure is retried after the source's
//! `Retry-After` (503, 429), else after an exponential back-off with jitter, a bounded
//! number of times.

use std::sync::Arc;
use std::time::Duration;

use crate::config::SourcesConfig;

use super::arxiv_api::{read_bounded, retry_after, user_agent};
use super::pacer::Pacer;

/// A `Retry-After` longer than this ends the job (it resumes when run again).
const LONGEST_RETRY_AFTER: Duration = Duration::from_secs(600);
/// The longest pause between attempts that had no `Retry-After`.
const LONGEST_BACKOFF: Duration = Duration::from_secs(120);

/// How persistent a job is.
#[derive(Debug, Clone, Copy)]
pub struct RetryPolicy {
    /// Attempts per request before the job gives up.
    pub attempts: u32,
    /// The first back-off; each further one doubles (plus up to half again at random).
    pub first_backoff: Duration,
}

/// What a parser says of an answer it cannot use.
pub enum Unusable<E> {
    /// Worth another attempt (a cut-off or garbled answer).
    Transient(String),
    /// Another attempt would get the same (the source refused the request).
    Final(E),
}

/// Why a request failed for good.
#[derive(Debug, thiserror::Error)]
pub enum PoliteError<E: std::error::Error + 'static> {
    #[error("{reason} (gave up after {attempts} attempts)")]
    GaveUp { attempts: u32, reason: String },
    #[error("the source asks to wait {seconds} s")]
    TooLongToWait { seconds: u64 },
    #[error(transparent)]
    Final(E),
}

/// One failed attempt: what to tell, and how long the source asked to wait.
struct Attempt {
    reason: String,
    retry_after: Option<Duration>,
}

/// A source's client.
pub struct PoliteClient {
    client: reqwest::Client,
    pacer: Arc<Pacer>,
    retry: RetryPolicy,
}

impl PoliteClient {
    /// A client with `sources`' contact and timeout, taking its turns from `pacer` (shared
    /// by every client of the same source in the process).
    ///
    /// # Errors
    /// The TLS set-up failed.
    pub fn new(
        sources: &SourcesConfig,
        pacer: Arc<Pacer>,
        retry: RetryPolicy,
    ) -> Result<Self, reqwest::Error> {
        let client = reqwest::Client::builder()
            .user_agent(user_agent(sources.contact.as_deref()))
            .timeout(Duration::from_secs(sources.upstream_timeout_seconds.max(1)))
            .build()?;
        Ok(Self {
            client,
            pacer,
            retry,
        })
    }

    /// `url`'s answer as `parse` reads it, retried as the policy allows; `what` names the
    /// request in logs.
    ///
    /// # Errors
    /// [`PoliteError`] once retrying is over.
    pub async fn fetch<T, E: std::error::Error + 'static>(
        &self,
        url: &url::Url,
        what: &str,
        parse: impl Fn(&str) -> Result<T, Unusable<E>>,
    ) -> Result<T, PoliteError<E>> {
        let mut attempt = 0;
        loop {
            attempt += 1;
            let failure = match self.attempt(url).await {
                Ok(body) => match parse(&body) {
                    Ok(parsed) => return Ok(parsed),
                    Err(Unusable::Final(error)) => return Err(PoliteError::Final(error)),
                    Err(Unusable::Transient(reason)) => Attempt {
                        reason,
                        retry_after: None,
                    },
                },
                Err(failure) => failure,
            };
            if attempt >= self.retry.attempts {
                return Err(PoliteError::GaveUp {
                    attempts: attempt,
                    reason: failure.reason,
                });
            }
            let pause = match failure.retry_after {
                Some(wait) if wait > LONGEST_RETRY_AFTER => {
                    return Err(PoliteError::TooLongToWait {
                        seconds: wait.as_secs(),
                    });
                }
                Some(wait) => wait,
                None => backoff(self.retry.first_backoff, attempt),
            };
            tracing::warn!(
                what,
                attempt,
                reason = failure.reason,
                pause_ms = pause.as_millis() as u64,
                "request failed; retrying"
            );
            tokio::time::sleep(pause).await;
        }
    }

    /// One request in its turn: the body, or why not.
    async fn attempt(&self, url: &url::Url) -> Result<String, Attempt> {
        // A batch job waits for its turn however long that takes.
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
}
