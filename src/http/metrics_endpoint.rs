//! `GET /metrics` in Prometheus' text format, on the metrics listener only.

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use metrics_exporter_prometheus::PrometheusHandle;

use crate::db::Database;
use crate::telemetry::metrics;

#[derive(Clone)]
struct Scrape {
    handle: PrometheusHandle,
    db: Database,
}

/// The metrics listener's routes.
pub fn metrics_router(handle: PrometheusHandle, db: Database) -> Router {
    Router::new()
        .route("/metrics", get(render))
        .with_state(Scrape { handle, db })
}

/// Samples what is read rather than counted (the pools), then renders every metric.
async fn render(State(scrape): State<Scrape>) -> Response {
    for (pool, in_use, idle, max) in scrape.db.pool_usage() {
        metrics::pool(pool, in_use, idle, max);
    }
    (
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"),
        )],
        scrape.handle.render(),
    )
        .into_response()
}
