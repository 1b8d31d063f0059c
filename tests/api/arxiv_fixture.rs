//! A local stand-in for the arXiv API: answers `GET /api/query?id_list=…` in arXiv's Atom
//! format, logs every request (id, `User-Agent`, arrival time), and misbehaves for chosen
//! ids as arXiv can (503 and 429 with `Retry-After`, a slow answer, a cut-off feed).

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

use crate::helpers::fixtures::serve;

/// An id arXiv knows: its entry.
pub const KNOWN: &str = "2501.00001";
/// An id arXiv does not know: an empty feed.
pub const UNKNOWN: &str = "2501.00404";
/// arXiv is busy: 503, `Retry-After: 7`.
pub const BUSY: &str = "2501.00503";
/// arXiv limits requests: 429, `Retry-After: 11`.
pub const LIMITING: &str = "2501.00429";
/// An answer slower than the client's timeout.
pub const SLOW: &str = "2501.00408";
/// A feed cut off mid-entry.
pub const CUT_OFF: &str = "2501.00666";

/// One request the fixture received.
#[derive(Debug, Clone)]
pub struct Logged {
    pub id: String,
    pub user_agent: String,
    pub at: Instant,
}

#[derive(Clone, Default)]
pub struct ArxivFixture {
    log: Arc<Mutex<Vec<Logged>>>,
}

impl ArxivFixture {
    /// Starts the fixture on a free port; returns it and its query endpoint.
    pub async fn start() -> (Self, String) {
        let fixture = Self::default();
        let router = axum::Router::new()
            .route("/api/query", get(answer))
            .with_state(fixture.clone());
        let addr = serve(router).await;
        (fixture, format!("http://{addr}/api/query"))
    }

    /// The requests so far, in arrival order.
    pub fn requests(&self) -> Vec<Logged> {
        self.log.lock().unwrap().clone()
    }
}

#[derive(serde::Deserialize)]
struct Params {
    id_list: String,
}

async fn answer(
    State(fixture): State<ArxivFixture>,
    Query(params): Query<Params>,
    headers: HeaderMap,
) -> Response {
    fixture.log.lock().unwrap().push(Logged {
        id: params.id_list.clone(),
        user_agent: headers
            .get(header::USER_AGENT)
            .and_then(|value| value.to_str().ok())
            .unwrap_or_default()
            .to_owned(),
        at: Instant::now(),
    });
    let atom = |body: String| {
        (
            [(header::CONTENT_TYPE, "application/atom+xml; charset=utf-8")],
            body,
        )
            .into_response()
    };
    match params.id_list.as_str() {
        KNOWN => atom(feed(ENTRY)),
        BUSY => (
            StatusCode::SERVICE_UNAVAILABLE,
            [(header::RETRY_AFTER, "7")],
            "busy",
        )
            .into_response(),
        LIMITING => (
            StatusCode::TOO_MANY_REQUESTS,
            [(header::RETRY_AFTER, "11")],
            "slow down",
        )
            .into_response(),
        SLOW => {
            tokio::time::sleep(Duration::from_secs(3)).await;
            atom(feed(""))
        }
        CUT_OFF => {
            let whole = feed(ENTRY);
            atom(whole[..whole.len() / 2].to_owned())
        }
        _ => atom(feed("")),
    }
}

fn feed(entries: &str) -> String {
    format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<feed xmlns="http://www.w3.org/2005/Atom">
  <link href="http://arxiv.org/api/query?search_query%3D%26id_list%3D2501.00001" rel="self" type="application/atom+xml"/>
  <title type="html">ArXiv Query: search_query=&amp;id_list=2501.00001&amp;start=0&amp;max_results=1</title>
  <id>http://arxiv.org/api/Yh2q2kK7mT0bVYc1Y2q3gUqT3lA</id>
  <updated>2026-12-06T00:00:00-05:00</updated>
  <opensearch:totalResults xmlns:opensearch="http://a9.com/-/spec/opensearch/1.1/">{}</opensearch:totalResults>
  <opensearch:startIndex xmlns:opensearch="http://a9.com/-/spec/opensearch/1.1/">0</opensearch:startIndex>
  <opensearch:itemsPerPage xmlns:opensearch="http://a9.com/-/spec/opensearch/1.1/">1</opensearch:itemsPerPage>
{entries}</feed>
"#,
        usize::from(!entries.is_empty())
    )
}

const ENTRY: &str = r#"  <entry>
    <id>http://arxiv.org/abs/2501.00001v3</id>
    <updated>2026-11-20T18:00:00Z</updated>
    <published>2025-01-01T18:59:59Z</published>
    <title>Sparse Mixtures of Experts for
  Long-Context Retrieval</title>
    <summary>  We route long contexts through sparse experts &amp; show that retrieval
quality holds at a tenth of the compute.
</summary>
    <author>
      <name>Ada Lovelace</name>
      <arxiv:affiliation xmlns:arxiv="http://arxiv.org/schemas/atom">Analytical Engine Ltd</arxiv:affiliation>
    </author>
    <author>
      <name>Grace Hopper</name>
    </author>
    <arxiv:doi xmlns:arxiv="http://arxiv.org/schemas/atom">10.48550/arXiv.2501.00001</arxiv:doi>
    <link title="doi" href="http://dx.doi.org/10.48550/arXiv.2501.00001" rel="related"/>
    <arxiv:comment xmlns:arxiv="http://arxiv.org/schemas/atom">14 pages, 6 figures; v3: new
  baselines</arxiv:comment>
    <arxiv:journal_ref xmlns:arxiv="http://arxiv.org/schemas/atom">NeurIPS 2026</arxiv:journal_ref>
    <link href="http://arxiv.org/abs/2501.00001v3" rel="alternate" type="text/html"/>
    <link title="pdf" href="http://arxiv.org/pdf/2501.00001v3" rel="related" type="application/pdf"/>
    <arxiv:primary_category xmlns:arxiv="http://arxiv.org/schemas/atom" term="cs.CL" scheme="http://arxiv.org/schemas/atom"/>
    <category term="cs.CL" scheme="http://arxiv.org/schemas/atom"/>
    <category term="cs.LG" scheme="http://arxiv.org/schemas/atom"/>
  </entry>
"#;
