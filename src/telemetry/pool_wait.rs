//! How long callers wait for a database connection: sqlx reports every acquisition as an
//! event (`sqlx::pool::acquire`, with `acquired_after_secs`) once asked to, and this layer
//! turns those events into the `paperboard_db_pool_wait_seconds` histogram. (sqlx does not
//! expose how many callers are waiting; the time they wait is the same signal, measured.)

use tracing::field::{Field, Visit};
use tracing_subscriber::Layer;
use tracing_subscriber::filter::Targets;
use tracing_subscriber::layer::Context;

/// The target of sqlx's acquisition events.
pub const TARGET: &str = "sqlx::pool::acquire";

/// Records the wait of every connection acquisition.
struct PoolWait;

impl<S: tracing::Subscriber> Layer<S> for PoolWait {
    fn on_event(&self, event: &tracing::Event<'_>, _context: Context<'_, S>) {
        let mut waited = Waited(None);
        event.record(&mut waited);
        if let Some(seconds) = waited.0 {
            super::metrics::pool_wait(seconds);
        }
    }
}

struct Waited(Option<f64>);

impl Visit for Waited {
    fn record_f64(&mut self, field: &Field, value: f64) {
        if field.name() == "acquired_after_secs" {
            self.0 = Some(value);
        }
    }

    fn record_debug(&mut self, _field: &Field, _value: &dyn std::fmt::Debug) {}
}

/// The layer, listening to sqlx's acquisition events only.
pub fn layer<S>() -> impl Layer<S> + Send + Sync
where
    S: tracing::Subscriber + for<'a> tracing_subscriber::registry::LookupSpan<'a>,
{
    PoolWait.with_filter(Targets::new().with_target(TARGET, tracing::Level::TRACE))
}
