//! What operators see: logs and traces through `tracing` (logs as text or one JSON object
//! per line; spans exported over OTLP when `OTEL_EXPORTER_OTLP_ENDPOINT` is set, see
//! [`traces`]), and Prometheus metrics ([`metrics`]).

pub mod metrics;
mod pool_wait;
pub mod traces;

use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{EnvFilter, Layer};

pub use traces::{TraceError, Tracing, request_span};

/// How log lines are written.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum LogFormat {
    /// Human-readable lines.
    #[default]
    Text,
    /// One JSON object per line, with the fields of the spans it happened in (the
    /// request's `trace_id` among them).
    Json,
}

/// Installs the subscriber: logs filtered by `filter` (an `EnvFilter` directive such as
/// `info` or `paperboard=debug,tower_http=debug`) in `format`, and spans exported to
/// `otlp_endpoint` when given. Does nothing when a subscriber is already installed. Keep
/// the returned guard alive: dropping it flushes the spans not yet exported.
///
/// # Errors
/// The OTLP exporter cannot be built.
pub fn init(
    filter: &str,
    format: LogFormat,
    otlp_endpoint: Option<&url::Url>,
) -> Result<Tracing, TraceError> {
    let filter = EnvFilter::try_new(filter).unwrap_or_else(|_| EnvFilter::new("info"));
    let log_records = log_crate_level(filter.max_level_hint());
    let logs = match format {
        LogFormat::Text => tracing_subscriber::fmt::layer()
            .with_target(false)
            .with_filter(filter)
            .boxed(),
        LogFormat::Json => {
            traces::log_trace_ids();
            tracing_subscriber::fmt::layer()
                .json()
                .with_current_span(true)
                .with_span_list(false)
                .with_filter(filter)
                .boxed()
        }
    };
    let mut layers = vec![logs, pool_wait::layer().boxed()];
    let tracing = match otlp_endpoint {
        Some(endpoint) => {
            let (tracing, spans) = traces::exporting_layer(endpoint)?;
            layers.push(spans);
            tracing
        }
        None => Tracing::default(),
    };
    if tracing_subscriber::registry()
        .with(layers)
        .try_init()
        .is_ok()
    {
        // The pool-wait layer listens at TRACE, so the bridge from the `log` crate would
        // let every `log::trace!` of a dependency (tungstenite logs each frame it reads
        // and writes) through `log`'s global level into tracing's filters, only for the
        // log layer, the one reader of such records, to drop it. `log` drops it first.
        log::set_max_level(log_records);
    }
    Ok(tracing)
}

/// The `log` crate's level for records the log filter lets through at most `hint`.
fn log_crate_level(hint: Option<tracing::level_filters::LevelFilter>) -> log::LevelFilter {
    use tracing::Level;
    match hint.map(|hint| hint.into_level()) {
        None => log::LevelFilter::Trace,
        Some(None) => log::LevelFilter::Off,
        Some(Some(Level::ERROR)) => log::LevelFilter::Error,
        Some(Some(Level::WARN)) => log::LevelFilter::Warn,
        Some(Some(Level::INFO)) => log::LevelFilter::Info,
        Some(Some(Level::DEBUG)) => log::LevelFilter::Debug,
        Some(Some(Level::TRACE)) => log::LevelFilter::Trace,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log_records_are_dropped_below_the_log_filters_level() {
        let level = |directives: &str| log_crate_level(EnvFilter::new(directives).max_level_hint());
        assert_eq!(level("info"), log::LevelFilter::Info);
        assert_eq!(level("warn,paperboard=debug"), log::LevelFilter::Debug);
        assert_eq!(level("off"), log::LevelFilter::Off);
        assert_eq!(level("tungstenite=trace"), log::LevelFilter::Trace);
    }
}
