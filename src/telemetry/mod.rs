//! Structured logs via `tracing`, and Prometheus metrics ([`metrics`]).

pub mod metrics;

use tracing_subscriber::EnvFilter;

/// Installs the log subscriber: `filter` is an `EnvFilter` directive such as `info` or
/// `paperboard=debug,tower_http=debug`. Does nothing when one is already installed.
pub fn init(filter: &str) {
    let filter = EnvFilter::try_new(filter).unwrap_or_else(|_| EnvFilter::new("info"));
    let _already_installed = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_target(false)
        .try_init();
}
