//! A minimal OTLP/HTTP trace receiver (`POST /v1/traces`, JSON encoding), keeping every
//! export request it accepts: the collector the tests cannot reach.

use std::sync::{Arc, Mutex};

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use serde_json::Value;

/// One exported span, flattened out of its resource and scope.
#[derive(Debug, Clone)]
pub struct ExportedSpan {
    pub trace_id: String,
    pub span_id: String,
    pub parent_span_id: String,
    pub name: String,
    pub attributes: Vec<(String, String)>,
}

impl ExportedSpan {
    pub fn attribute(&self, key: &str) -> Option<&str> {
        self.attributes
            .iter()
            .find(|(name, _)| name == key)
            .map(|(_, value)| value.as_str())
    }
}

/// The running receiver: its base URL and the raw export bodies.
pub struct OtlpFixture {
    pub url: String,
    pub exports: Arc<Mutex<Vec<Value>>>,
}

impl OtlpFixture {
    pub async fn start() -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let exports = Arc::new(Mutex::new(Vec::new()));
        let app = Router::new()
            .route("/v1/traces", post(receive))
            .with_state(Arc::clone(&exports));
        tokio::spawn(async move { axum::serve(listener, app).await });
        Self { url, exports }
    }

    /// Every span received so far.
    pub fn spans(&self) -> Vec<ExportedSpan> {
        let exports = self.exports.lock().unwrap();
        let mut spans = Vec::new();
        for export in exports.iter() {
            for resource in export["resourceSpans"].as_array().into_iter().flatten() {
                for scope in resource["scopeSpans"].as_array().into_iter().flatten() {
                    for span in scope["spans"].as_array().into_iter().flatten() {
                        spans.push(ExportedSpan {
                            trace_id: text(&span["traceId"]),
                            span_id: text(&span["spanId"]),
                            parent_span_id: text(&span["parentSpanId"]),
                            name: text(&span["name"]),
                            attributes: span["attributes"]
                                .as_array()
                                .into_iter()
                                .flatten()
                                .map(|attribute| {
                                    let value = &attribute["value"];
                                    let value = value["stringValue"]
                                        .as_str()
                                        .map(str::to_owned)
                                        .unwrap_or_else(|| value.to_string());
                                    (text(&attribute["key"]), value)
                                })
                                .collect(),
                        });
                    }
                }
            }
        }
        spans
    }

    /// Every export body as one text, to search for what must never be exported.
    pub fn raw(&self) -> String {
        self.exports
            .lock()
            .unwrap()
            .iter()
            .map(Value::to_string)
            .collect::<Vec<_>>()
            .join("\n")
    }
}

fn text(value: &Value) -> String {
    value.as_str().unwrap_or_default().to_owned()
}

async fn receive(
    State(exports): State<Arc<Mutex<Vec<Value>>>>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> StatusCode {
    let is_json = headers
        .get("content-type")
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| value.starts_with("application/json"));
    if !is_json {
        return StatusCode::UNSUPPORTED_MEDIA_TYPE;
    }
    match serde_json::from_slice::<Value>(&body) {
        Ok(export) => {
            exports.lock().unwrap().push(export);
            StatusCode::OK
        }
        Err(_) => StatusCode::BAD_REQUEST,
    }
}
