//! The syncs a server runs on its own (`PAPERBOARD_SYNC_INTERVAL_MINUTES`): every interval,
//! each configured arXiv set is harvested for the records changed since yesterday, and
//! Hugging Face's lists of yesterday and today are merged.
//!
//! With several instances on one PostgreSQL database, exactly one runs a given job at a
//! time: a job runs inside a transaction holding a PostgreSQL advisory lock named after it
//! (taken without waiting; an instance that cannot take it skips the job this round). The
//! transaction writes nothing and holds no snapshot between its statements, so it holds
//! back neither writers nor vacuum; if the instance dies, the lock goes with its
//! connection.

use std::time::Duration;

use chrono::Days;
use sea_orm::{ConnectionTrait, DbBackend, Statement, TransactionTrait};
use tokio::sync::watch;

use crate::clock;
use crate::state::AppState;
use crate::telemetry::metrics;

use super::harvest::{HarvestRequest, Target, harvest};
use super::hf_sync::sync_days;
use super::polite::RetryPolicy;

/// Scheduled jobs retry like `paperboard sync` does by default.
const RETRY: RetryPolicy = RetryPolicy {
    attempts: 6,
    first_backoff: Duration::from_secs(2),
};

/// Runs the configured syncs every interval until the server stops; returns at once when
/// none is configured.
pub async fn run(state: AppState, mut stopping: watch::Receiver<bool>) {
    let schedule = &state.config.schedule;
    if schedule.sync_arxiv_sets.is_empty() && !schedule.sync_hf_daily {
        return;
    }
    let period = match Duration::try_from_secs_f64(schedule.sync_interval_minutes * 60.0) {
        Ok(period) if !period.is_zero() => period,
        Ok(_) => return,
        Err(_) => {
            tracing::warn!(
                minutes = schedule.sync_interval_minutes,
                "PAPERBOARD_SYNC_INTERVAL_MINUTES is not a usable interval; no scheduled syncs"
            );
            return;
        }
    };
    // The first round after one period: a restart does not hit the sources at once.
    let mut ticks = tokio::time::interval_at(tokio::time::Instant::now() + period, period);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = ticks.tick() => run_jobs(&state).await,
            _ = stopping.changed() => return,
        }
    }
}

async fn run_jobs(state: &AppState) {
    let schedule = &state.config.schedule;
    let today = clock::now().date_naive();
    let yesterday = today.checked_sub_days(Days::new(1)).unwrap_or(today);
    for set in &schedule.sync_arxiv_sets {
        let job = format!("arxiv-oai:{set}");
        let request = HarvestRequest {
            set: set.clone(),
            from: Some(yesterday),
            until: None,
        };
        let work = async {
            let target = Target {
                db: &state.db,
                events: &state.events,
                bylines: Some(&state.bylines),
            };
            harvest(
                target,
                &state.config.sources,
                state.arxiv.pacer(),
                RETRY,
                &request,
                |_, _| {},
            )
            .await
            .map(|progress| tracing::info!(job, ?progress, "scheduled harvest done"))
            .map_err(|error| tracing::warn!(job, error = %error, "scheduled harvest stopped"))
        };
        exclusively(state, &job, work).await;
    }
    if schedule.sync_hf_daily {
        let work = async {
            sync_days(
                &state.db,
                &state.events,
                &state.config.sources,
                RETRY,
                yesterday,
                today,
                |_| {},
            )
            .await
            .map(|tally| tracing::info!(?tally, "scheduled Hugging Face sync done"))
            .map_err(|error| tracing::warn!(error = %error, "scheduled Hugging Face sync stopped"))
        };
        exclusively(state, "hf-daily", work).await;
    }
}

/// Runs `work` unless another instance on the same PostgreSQL database runs `job` now.
async fn exclusively(state: &AppState, job: &str, work: impl Future<Output = Result<(), ()>>) {
    if state.db.backend() != DbBackend::Postgres {
        let outcome = work.await;
        metrics::sync_finished(job, outcome.is_ok());
        return;
    }
    let lock = async {
        let transaction = state.db.writer().begin().await?;
        let taken = transaction
            .query_one_raw(Statement::from_sql_and_values(
                DbBackend::Postgres,
                "SELECT pg_try_advisory_xact_lock(hashtextextended($1, 0))",
                [format!("paperboard sync {job}").into()],
            ))
            .await?
            .map(|row| row.try_get_by_index::<bool>(0))
            .transpose()?
            .unwrap_or(false);
        Ok::<_, sea_orm::DbErr>((transaction, taken))
    };
    match lock.await {
        Ok((transaction, true)) => {
            let outcome = work.await;
            metrics::sync_finished(job, outcome.is_ok());
            if let Err(error) = transaction.commit().await {
                tracing::warn!(job, %error, "releasing the sync lock failed");
            }
        }
        Ok((_, false)) => tracing::debug!(job, "another instance runs this sync"),
        Err(error) => tracing::warn!(job, %error, "cannot take the sync lock; skipping"),
    }
}
