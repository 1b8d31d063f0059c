//! Prometheus metrics, recorded through the `metrics` facade and rendered by
//! `metrics-exporter-prometheus` on a listener of their own (`PAPERBOARD_METRICS_BIND`).
//!
//! The facade is process-wide, as `tracing` is: recording before (or without) an installed
//! recorder does nothing, so a server without a metrics listener pays almost nothing.
//! Label values are bounded: operation names beyond the first [`MAX_OPERATION_NAMES`]
//! seen are counted as `other`, anonymous operations as `anonymous`.

use std::collections::HashSet;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, OnceLock, PoisonError};
use std::time::Duration;

use async_graphql::ServerError;
use async_graphql::parser::types::OperationType;
use metrics::{counter, gauge, histogram};
use metrics_exporter_prometheus::{BuildError, PrometheusBuilder, PrometheusHandle};

use crate::graphql::preflight::Transport;

/// Distinct operation names given their own label value.
pub const MAX_OPERATION_NAMES: usize = 200;

/// Histogram buckets of request durations, in seconds.
const REQUEST_BUCKETS: &[f64] = &[
    0.000_5, 0.001, 0.002_5, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];
/// Histogram buckets of statement durations, in seconds.
const STATEMENT_BUCKETS: &[f64] = &[
    0.000_05, 0.000_1, 0.000_25, 0.000_5, 0.001, 0.002_5, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0,
];

pub const REQUESTS: &str = "paperboard_requests_total";
pub const REQUEST_DURATION: &str = "paperboard_request_duration_seconds";
pub const GRAPHQL_ERRORS: &str = "paperboard_graphql_errors_total";
pub const OPEN_CONNECTIONS: &str = "paperboard_open_connections";
pub const ACTIVE_SUBSCRIPTIONS: &str = "paperboard_active_subscriptions";
pub const EVENTS_PUBLISHED: &str = "paperboard_events_published_total";
pub const RESULTS_DELIVERED: &str = "paperboard_subscription_results_delivered_total";
pub const RESULTS_DROPPED: &str = "paperboard_subscription_results_dropped_total";
pub const POOL_CONNECTIONS: &str = "paperboard_db_pool_connections";
pub const STATEMENT_DURATION: &str = "paperboard_db_statement_duration_seconds";
pub const POOL_WAIT: &str = "paperboard_db_pool_wait_seconds";
pub const RATE_LIMITED: &str = "paperboard_rate_limited_total";
pub const LOGIN_FAILURES: &str = "paperboard_login_failures_total";
pub const SYNC_RUNS: &str = "paperboard_sync_runs_total";
pub const SYNC_LAST_SUCCESS: &str = "paperboard_sync_last_success_timestamp_seconds";

/// The installed recorder's handle: set once, under its lock, by the first [`install`].
static RECORDER: Mutex<Option<PrometheusHandle>> = Mutex::new(None);
/// Whether a recorder is installed: until then recording returns at once, before building
/// any label.
static RECORDING: AtomicBool = AtomicBool::new(false);

fn recording() -> bool {
    RECORDING.load(Ordering::Relaxed)
}
static OPERATION_NAMES: OnceLock<Mutex<HashSet<String>>> = OnceLock::new();

/// Installs the process's recorder (once; later calls share it) and returns its handle.
///
/// # Errors
/// The histogram buckets are invalid, or another recorder was installed first.
pub fn install() -> Result<PrometheusHandle, BuildError> {
    let mut installed = RECORDER.lock().unwrap_or_else(PoisonError::into_inner);
    if let Some(handle) = installed.as_ref() {
        return Ok(handle.clone());
    }
    let recorder = PrometheusBuilder::new()
        .set_buckets_for_metric(
            metrics_exporter_prometheus::Matcher::Full(REQUEST_DURATION.to_owned()),
            REQUEST_BUCKETS,
        )?
        .set_buckets_for_metric(
            metrics_exporter_prometheus::Matcher::Full(STATEMENT_DURATION.to_owned()),
            STATEMENT_BUCKETS,
        )?
        .set_buckets_for_metric(
            metrics_exporter_prometheus::Matcher::Full(POOL_WAIT.to_owned()),
            STATEMENT_BUCKETS,
        )?
        .build_recorder();
    let handle = recorder.handle();
    metrics::set_global_recorder(recorder)?;
    RECORDING.store(true, Ordering::Relaxed);
    *installed = Some(handle.clone());
    Ok(handle)
}

/// The label of a transport.
pub fn transport_label(transport: Transport) -> &'static str {
    match transport {
        Transport::HttpPost => "http_post",
        Transport::HttpGet => "http_get",
        Transport::WebSocket => "websocket",
        Transport::EventStreamPost => "sse_post",
        Transport::EventStreamGet => "sse_get",
    }
}

/// The label of an operation type.
pub fn operation_label(operation: Option<OperationType>) -> &'static str {
    match operation {
        Some(OperationType::Query) => "query",
        Some(OperationType::Mutation) => "mutation",
        Some(OperationType::Subscription) => "subscription",
        None => "unknown",
    }
}

/// The label of an operation name: the name while fewer than [`MAX_OPERATION_NAMES`]
/// are known, else `other`; `anonymous` without one.
pub fn operation_name_label(name: Option<&str>) -> String {
    let Some(name) = name else {
        return "anonymous".to_owned();
    };
    let names = OPERATION_NAMES.get_or_init(Mutex::default);
    let mut names = names.lock().unwrap_or_else(PoisonError::into_inner);
    if names.contains(name) {
        return name.to_owned();
    }
    if names.len() < MAX_OPERATION_NAMES {
        names.insert(name.to_owned());
        return name.to_owned();
    }
    "other".to_owned()
}

/// How a request ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Answered without errors (or a stream started).
    Ok,
    /// Answered with errors.
    Errors,
    /// Refused before it ran.
    Refused,
}

impl Outcome {
    fn label(self) -> &'static str {
        match self {
            Self::Ok => "ok",
            Self::Errors => "errors",
            Self::Refused => "refused",
        }
    }
}

/// One GraphQL request: counted, and timed unless it is a stream.
pub fn request(
    transport: Transport,
    operation: Option<OperationType>,
    name: Option<&str>,
    outcome: Outcome,
    elapsed: Option<Duration>,
) {
    if !recording() {
        return;
    }
    let transport = transport_label(transport);
    let operation = operation_label(operation);
    counter!(
        REQUESTS,
        "transport" => transport,
        "operation_type" => operation,
        "operation_name" => operation_name_label(name),
        "outcome" => outcome.label(),
    )
    .increment(1);
    if let Some(elapsed) = elapsed {
        histogram!(REQUEST_DURATION, "transport" => transport, "operation_type" => operation)
            .record(elapsed.as_secs_f64());
    }
}

/// Counts `errors` by their `extensions.code`.
pub fn graphql_errors(errors: &[ServerError]) {
    if !recording() {
        return;
    }
    for error in errors {
        let code = crate::error::code_of(error).unwrap_or_else(|| "NONE".to_owned());
        counter!(GRAPHQL_ERRORS, "code" => code).increment(1);
    }
}

/// A live connection opened (`1`) or closed (`-1`); `kind` is `websocket` or `sse`.
pub fn connection(kind: &'static str, change: f64) {
    if !recording() {
        return;
    }
    gauge!(OPEN_CONNECTIONS, "kind" => kind).increment(change);
}

/// A subscription to `field` started (`1`) or ended (`-1`).
pub fn subscription(field: &str, change: f64) {
    if !recording() {
        return;
    }
    gauge!(ACTIVE_SUBSCRIPTIONS, "field" => field.to_owned()).increment(change);
}

/// `count` changes published to subscribers.
pub fn events_published(count: usize) {
    if !recording() {
        return;
    }
    counter!(EVENTS_PUBLISHED).increment(u64::try_from(count).unwrap_or(u64::MAX));
}

/// A result written to a subscriber over `transport`.
pub fn result_delivered(transport: &'static str) {
    if !recording() {
        return;
    }
    counter!(RESULTS_DELIVERED, "transport" => transport).increment(1);
}

/// Results a slow subscriber missed.
pub fn results_dropped(missed: u64) {
    if !recording() {
        return;
    }
    counter!(RESULTS_DROPPED).increment(missed);
}

/// A database pool's connections.
pub fn pool(pool: &'static str, in_use: u32, idle: u32, max: u32) {
    if !recording() {
        return;
    }
    gauge!(POOL_CONNECTIONS, "pool" => pool, "state" => "in_use").set(f64::from(in_use));
    gauge!(POOL_CONNECTIONS, "pool" => pool, "state" => "idle").set(f64::from(idle));
    gauge!(POOL_CONNECTIONS, "pool" => pool, "state" => "max").set(f64::from(max));
}

/// How long a caller waited for a database connection.
pub fn pool_wait(seconds: f64) {
    if !recording() {
        return;
    }
    histogram!(POOL_WAIT).record(seconds);
}

/// One statement's duration.
pub fn statement(elapsed: Duration) {
    if !recording() {
        return;
    }
    histogram!(STATEMENT_DURATION).record(elapsed.as_secs_f64());
}

/// An action refused by the limiter `limit`.
pub fn rate_limited(limit: &'static str) {
    if !recording() {
        return;
    }
    counter!(RATE_LIMITED, "limit" => limit).increment(1);
}

/// A failed login.
pub fn login_failed() {
    if !recording() {
        return;
    }
    counter!(LOGIN_FAILURES).increment(1);
}

/// A sync job's run ended.
pub fn sync_finished(job: &str, succeeded: bool) {
    if !recording() {
        return;
    }
    let outcome = if succeeded { "ok" } else { "failed" };
    counter!(SYNC_RUNS, "job" => job.to_owned(), "outcome" => outcome).increment(1);
    if succeeded {
        #[expect(
            clippy::cast_precision_loss,
            reason = "seconds since the epoch fit a float's mantissa for millions of years"
        )]
        let now = chrono::Utc::now().timestamp() as f64;
        gauge!(SYNC_LAST_SUCCESS, "job" => job.to_owned()).set(now);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn operation_names_are_bounded() {
        assert_eq!(operation_name_label(None), "anonymous");
        assert_eq!(operation_name_label(Some("Front")), "Front");
        for n in 0..MAX_OPERATION_NAMES {
            operation_name_label(Some(&format!("Generated{n}")));
        }
        assert_eq!(operation_name_label(Some("OneTooMany")), "other");
        assert_eq!(
            operation_name_label(Some("Front")),
            "Front",
            "known names stay"
        );
    }
}
