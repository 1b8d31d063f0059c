//! Traces over OTLP/HTTP (JSON), with `opentelemetry-otlp` and `tracing-opentelemetry`.
//!
//! Off unless an endpoint is configured (the standard `OTEL_EXPORTER_OTLP_ENDPOINT`):
//! then every request is a span continuing the caller's W3C `traceparent`, with spans for
//! its GraphQL operation (type and name, never variable values), for the loaders that read
//! the database, and for each SQL statement (its text, with placeholders, never values).
//!
//! The SDK exports from a thread of its own, outside the Tokio runtime; the HTTP client
//! here hands each export to the runtime it was built on (the async `reqwest` client needs
//! one, and the SDK's own blocking client would add a second HTTP stack).

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, SystemTime};

use axum::http::{HeaderMap, Request};
use opentelemetry::propagation::{Extractor, TextMapPropagator};
use opentelemetry::trace::{
    Span as _, SpanKind, TraceContextExt, Tracer as _, TracerProvider as _,
};
use opentelemetry::{Context, KeyValue};
use opentelemetry_http::{Bytes, HttpClient, HttpError};
use opentelemetry_otlp::{Protocol, WithExportConfig, WithHttpConfig};
use opentelemetry_sdk::propagation::TraceContextPropagator;
use opentelemetry_sdk::trace::{SdkTracer, SdkTracerProvider};
use tracing_opentelemetry::OpenTelemetrySpanExt;
use tracing_subscriber::filter::Targets;
use tracing_subscriber::{Layer, Registry};

/// Set once spans are exported: statement spans are only built then.
static EXPORTING: AtomicBool = AtomicBool::new(false);
/// Set when log lines carry the request's trace id (JSON logs): request spans are then
/// built even when nothing is exported.
static TRACE_IDS_LOGGED: AtomicBool = AtomicBool::new(false);

/// Asks [`request_span`] for trace ids even when spans are not exported.
pub(super) fn log_trace_ids() {
    TRACE_IDS_LOGGED.store(true, Ordering::Release);
}
/// The tracer statement spans are started with.
static TRACER: std::sync::OnceLock<SdkTracer> = std::sync::OnceLock::new();

/// The instrumentation scope of every span.
const SCOPE: &str = "paperboard";
/// How long one export may take.
const EXPORT_TIMEOUT: Duration = Duration::from_secs(10);

/// Why tracing cannot start.
#[derive(Debug, thiserror::Error)]
#[error("cannot set up the OTLP span exporter")]
pub struct TraceError(#[from] opentelemetry_otlp::ExporterBuildError);

/// The exporting pipeline, flushed and shut down when dropped.
#[derive(Default)]
pub struct Tracing {
    provider: Option<SdkTracerProvider>,
}

impl Drop for Tracing {
    fn drop(&mut self) {
        if let Some(provider) = self.provider.take()
            && let Err(error) = provider.shutdown()
        {
            tracing::warn!(%error, "flushing the last spans failed");
        }
    }
}

/// The `tracing` layer exporting spans to `endpoint` (`…/v1/traces` is appended).
pub(super) fn exporting_layer(
    endpoint: &url::Url,
) -> Result<(Tracing, Box<dyn Layer<Registry> + Send + Sync>), TraceError> {
    let traces = format!("{}/v1/traces", endpoint.as_str().trim_end_matches('/'));
    let exporter = opentelemetry_otlp::SpanExporter::builder()
        .with_http()
        .with_protocol(Protocol::HttpJson)
        .with_endpoint(traces)
        .with_timeout(EXPORT_TIMEOUT)
        .with_http_client(OnRuntime::current())
        .build()?;
    let provider = SdkTracerProvider::builder()
        .with_batch_exporter(exporter)
        .with_resource(
            opentelemetry_sdk::Resource::builder()
                .with_service_name(SCOPE)
                .build(),
        )
        .build();
    let tracer = provider.tracer(SCOPE);
    let _set = TRACER.set(tracer.clone());
    opentelemetry::global::set_text_map_propagator(TraceContextPropagator::new());
    EXPORTING.store(true, Ordering::Release);
    // Spans of the application at debug level and above, whatever the log filter says;
    // the HTTP stack's own spans are left out.
    let targets = Targets::new().with_target(SCOPE, tracing::Level::DEBUG);
    let layer = tracing_opentelemetry::layer()
        .with_tracer(tracer)
        .with_filter(targets)
        .boxed();
    Ok((
        Tracing {
            provider: Some(provider),
        },
        layer,
    ))
}

/// The span of one HTTP request: continues the caller's `traceparent`, and carries the
/// trace id (for log lines) whether or not spans are exported.
pub fn request_span<B>(request: &Request<B>) -> tracing::Span {
    let exporting = EXPORTING.load(Ordering::Acquire);
    if !exporting && !TRACE_IDS_LOGGED.load(Ordering::Acquire) {
        // Neither exported nor logged by default: as cheap as a span can be.
        return tracing::debug_span!(
            target: "paperboard",
            "request",
            method = %request.method(),
            uri = %request.uri(),
        );
    }
    let span = tracing::info_span!(
        target: "paperboard",
        "request",
        otel.name = %format!("{} {}", request.method(), request.uri().path()),
        otel.kind = "server",
        http.request.method = %request.method(),
        url.path = %request.uri().path(),
        trace_id = tracing::field::Empty,
    );
    let incoming = parent_context(request.headers());
    if exporting {
        let _continued = span.set_parent(incoming.clone());
    }
    let trace_id = match span.context().span().span_context() {
        context if context.is_valid() => context.trace_id().to_string(),
        _ => match incoming.span().span_context() {
            context if context.is_valid() => context.trace_id().to_string(),
            _ => random_trace_id(),
        },
    };
    span.record("trace_id", trace_id.as_str());
    span
}

/// The context a `traceparent` header names (empty without a valid one).
fn parent_context(headers: &HeaderMap) -> Context {
    if !headers.contains_key("traceparent") {
        return Context::new();
    }
    TraceContextPropagator::new().extract(&HeaderExtractor(headers))
}

struct HeaderExtractor<'a>(&'a HeaderMap);

impl Extractor for HeaderExtractor<'_> {
    fn get(&self, key: &str) -> Option<&str> {
        self.0.get(key).and_then(|value| value.to_str().ok())
    }

    fn keys(&self) -> Vec<&str> {
        self.0.keys().map(axum::http::HeaderName::as_str).collect()
    }
}

/// A fresh trace id for log lines of a request no one traces.
fn random_trace_id() -> String {
    let mut bytes = [0u8; 16];
    if getrandom::fill(&mut bytes).is_err() {
        return "0".repeat(32);
    }
    crate::digest::hex(&bytes)
}

/// Records a finished SQL statement as a span of the current one (only while exporting).
pub fn statement(sql: &str, system: &'static str, elapsed: Duration) {
    if !EXPORTING.load(Ordering::Acquire) {
        return;
    }
    let Some(tracer) = TRACER.get() else {
        return;
    };
    let parent = tracing::Span::current().context();
    if !parent.span().span_context().is_valid() {
        return;
    }
    let end = SystemTime::now();
    let operation = sql
        .split_whitespace()
        .next()
        .unwrap_or("SQL")
        .to_ascii_uppercase();
    let mut span = tracer
        .span_builder(operation)
        .with_kind(SpanKind::Client)
        .with_start_time(end.checked_sub(elapsed).unwrap_or(end))
        .with_attributes([
            KeyValue::new("db.system.name", system),
            KeyValue::new("db.query.text", sql.to_owned()),
        ])
        .start_with_context(tracer, &parent);
    span.end_with_timestamp(end);
}

/// Hands each export to the Tokio runtime this client was built on.
#[derive(Debug)]
struct OnRuntime {
    client: reqwest::Client,
    runtime: tokio::runtime::Handle,
}

impl OnRuntime {
    fn current() -> Self {
        Self {
            client: reqwest::Client::new(),
            runtime: tokio::runtime::Handle::current(),
        }
    }
}

#[async_trait::async_trait]
impl HttpClient for OnRuntime {
    async fn send_bytes(
        &self,
        request: Request<Bytes>,
    ) -> Result<axum::http::Response<Bytes>, HttpError> {
        let client = self.client.clone();
        let export = async move {
            let request = reqwest::Request::try_from(request)?;
            let response = client.execute(request).await?;
            let status = response.status();
            let headers = response.headers().clone();
            let body = response.bytes().await?;
            let mut answer = axum::http::Response::new(body);
            *answer.status_mut() = status;
            *answer.headers_mut() = headers;
            Ok::<_, HttpError>(answer)
        };
        self.runtime.spawn(export).await?
    }
}
