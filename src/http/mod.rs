//! The HTTP surface: routes, layers, and the handlers that carry GraphQL over HTTP.
//! The only module that knows both axum and GraphQL.

mod account_pages;
mod budget;
mod caching;
mod event_stream;
mod feeds;
mod graphiql;
mod graphql;
mod html;
mod listener;
mod metrics_endpoint;
mod oauth;
mod operations;
mod response_cache;
mod responses;
mod ws;

pub use listener::{ConnectionRules, GuardedListener, PeerAddr};
pub use metrics_endpoint::metrics_router;
pub use ws::Sockets;

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::routing::get;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::cors::{AllowOrigin, Any, CorsLayer};
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::trace::TraceLayer;

use crate::graphql::AppSchema;
use crate::graphql::preflight::Preflight;
use crate::state::AppState;
use crate::telemetry::request_span;
use response_cache::ResponseCache;

/// How long a request may take before it is answered with 408.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// What the handlers share.
#[derive(Clone)]
pub struct HttpState {
    pub app: AppState,
    pub schema: AppSchema,
    /// The checks every operation passes before it runs.
    pub preflight: Arc<Preflight>,
    /// The open WebSockets.
    pub sockets: Arc<Sockets>,
    /// Executions shared by identical anonymous subscriptions.
    pub shared: Arc<operations::SharedOperations>,
    /// Answers shared by identical anonymous reads.
    pub answers: Arc<ResponseCache>,
}

/// A configured CORS origin is not a valid header value.
#[derive(Debug, thiserror::Error)]
#[error("invalid CORS origin {0:?}")]
pub struct InvalidOrigin(pub String);

/// The application's routes and layers.
///
/// # Errors
/// A configured CORS origin is malformed.
pub fn router(
    app: AppState,
    schema: AppSchema,
    preflight: Preflight,
    sockets: Arc<Sockets>,
) -> Result<Router, InvalidOrigin> {
    let cors = cors_layer(&app.config.cors_origins)?;
    let cache_bytes = app.config.response_cache_mib.saturating_mul(1024 * 1024);
    let state = HttpState {
        answers: Arc::new(ResponseCache::new(cache_bytes)),
        app,
        schema,
        preflight: Arc::new(preflight),
        sockets,
        shared: Arc::default(),
    };
    let graphql = Router::new()
        .route(
            "/graphql",
            get(graphql::graphql_get).post(graphql::graphql_post),
        )
        .route(
            "/graphql/stream",
            get(event_stream::stream_get).post(event_stream::stream_post),
        )
        // Whatever did not say how it may be cached must not be kept.
        .layer(SetResponseHeaderLayer::if_not_present(
            header::CACHE_CONTROL,
            caching::NO_STORE,
        ));
    Ok(Router::new()
        .merge(graphql)
        .route("/feeds/{file}", get(feeds::feed))
        .merge(oauth::routes())
        .merge(account_pages::routes())
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .with_state(state)
        .layer(cors)
        .layer(tower_http::timeout::TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            REQUEST_TIMEOUT,
        ))
        .layer(
            TraceLayer::new_for_http()
                .make_span_with(|request: &axum::extract::Request| request_span(request)),
        )
        .layer(CatchPanicLayer::custom(panic_response)))
}

/// Browsers on other origins may call the API. Credentials travel in a bearer header,
/// never a cookie, so allowing any origin exposes nothing a script could not fetch itself.
fn cors_layer(origins: &[String]) -> Result<CorsLayer, InvalidOrigin> {
    let layer = CorsLayer::new()
        .allow_methods([Method::GET, Method::POST, Method::OPTIONS])
        .allow_headers([header::CONTENT_TYPE, header::AUTHORIZATION, header::ACCEPT])
        .expose_headers([header::ETAG, header::RETRY_AFTER])
        .max_age(Duration::from_secs(3600));
    if origins.is_empty() {
        return Ok(layer.allow_origin(Any));
    }
    let origins = origins
        .iter()
        .map(|origin| {
            HeaderValue::from_str(origin.trim()).map_err(|_| InvalidOrigin(origin.clone()))
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(layer.allow_origin(AllowOrigin::list(origins)))
}

/// A panic in request handling outside an operation (which [`crate::graphql::guard`]
/// covers) answers 500 with an `INTERNAL_SERVER_ERROR`; the connection and the process go
/// on.
fn panic_response(panic: Box<dyn std::any::Any + Send + 'static>) -> axum::response::Response {
    let message = crate::graphql::guard::panic_message(&*panic);
    responses::error(
        StatusCode::INTERNAL_SERVER_ERROR,
        crate::error::AppError::internal(format!("panic while handling a request: {message}")),
        responses::Media::Json,
    )
}

/// Liveness: the process answers.
async fn healthz() -> &'static str {
    "ok"
}

/// Readiness: the database answers — at once "no" while an outage is known, else after
/// a probe of at most a second — and subscription events are heard.
async fn readyz(State(state): State<HttpState>) -> (StatusCode, &'static str) {
    if state.app.db.is_down() || !state.app.db.probe().await {
        (StatusCode::SERVICE_UNAVAILABLE, "database unreachable")
    } else if !state.app.events.is_listening() {
        (
            StatusCode::SERVICE_UNAVAILABLE,
            "not listening for events yet",
        )
    } else {
        (StatusCode::OK, "ready")
    }
}
