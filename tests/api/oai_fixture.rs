//! A local stand-in for arXiv's OAI-PMH endpoint: `ListRecords` in the `arXiv` metadata
//! format over three pages joined by resumption tokens. Its answers can be made to fail as
//! arXiv's do (503 and 429 with `Retry-After`, a cut-off page, a slow answer, a page that
//! keeps failing), one of its records can be revised, and every request is logged. It also
//! answers the arXiv API's `id_list` queries with the records' current versions, as a
//! harvest asks for those of replaced records (see [`api_url`]).

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

use crate::helpers::fixtures::serve;

/// A way one answer fails.
#[derive(Debug, Clone, Copy)]
pub enum Failure {
    Busy { retry_after: u64 },
    Limiting { retry_after: u64 },
    CutOff,
    Slow,
}

/// One request the fixture received.
#[derive(Debug, Clone)]
pub struct Logged {
    pub resumption_token: Option<String>,
    pub set: Option<String>,
    pub user_agent: String,
    pub at: Instant,
}

#[derive(Default)]
struct Behaviour {
    failures: VecDeque<Failure>,
    /// Requests for this token always fail with 500.
    broken_token: Option<String>,
    /// Whether 2501.10003 is served in its second version.
    revised: bool,
    /// A pause before every answer, so that overlapping harvests would overlap requests.
    pause: Option<Duration>,
    in_flight: usize,
    most_in_flight: usize,
    log: Vec<Logged>,
    /// The `id_list` of every API query.
    api_log: Vec<String>,
}

#[derive(Clone, Default)]
pub struct OaiFixture(Arc<Mutex<Behaviour>>);

impl OaiFixture {
    /// Starts the fixture on a free port; returns it and its endpoint.
    pub async fn start() -> (Self, String) {
        let fixture = Self::default();
        let router = axum::Router::new()
            .route("/oai", get(answer))
            .route("/api/query", get(versions))
            .with_state(fixture.clone());
        let addr = serve(router).await;
        (fixture, format!("http://{addr}/oai"))
    }

    pub fn fail_next(&self, failures: &[Failure]) {
        self.0.lock().unwrap().failures.extend(failures);
    }

    pub fn break_token(&self, token: Option<&str>) {
        self.0.lock().unwrap().broken_token = token.map(str::to_owned);
    }

    pub fn revise(&self) {
        self.0.lock().unwrap().revised = true;
    }

    /// Every answer waits `pause` first.
    pub fn pause_answers(&self, pause: Duration) {
        self.0.lock().unwrap().pause = Some(pause);
    }

    /// The most requests that were ever answered at once.
    pub fn most_in_flight(&self) -> usize {
        self.0.lock().unwrap().most_in_flight
    }

    /// The requests so far, in arrival order.
    pub fn requests(&self) -> Vec<Logged> {
        self.0.lock().unwrap().log.clone()
    }

    /// The `id_list` of each API query so far.
    pub fn api_requests(&self) -> Vec<String> {
        self.0.lock().unwrap().api_log.clone()
    }
}

/// The fixture's arXiv API endpoint, next to its OAI endpoint `oai_url`.
pub fn api_url(oai_url: &str) -> String {
    format!("{}/api/query", oai_url.trim_end_matches("/oai"))
}

#[derive(serde::Deserialize)]
struct ApiParams {
    id_list: String,
}

/// An Atom feed naming each asked-for record's current version: 2501.10003 is in its second
/// once revised, every other record in its first.
async fn versions(State(fixture): State<OaiFixture>, Query(params): Query<ApiParams>) -> Response {
    let revised = {
        let mut behaviour = fixture.0.lock().unwrap();
        behaviour.api_log.push(params.id_list.clone());
        behaviour.revised
    };
    let entries: String = params
        .id_list
        .split(',')
        .map(|id| {
            let version = if revised && id == "2501.10003" { 2 } else { 1 };
            format!(
                r#"<entry><id>http://arxiv.org/abs/{id}v{version}</id><updated>2025-02-10T18:00:00Z</updated>
<published>2025-01-02T18:00:00Z</published><title>Record {id}</title><summary>Abstract.</summary>
<author><name>Someone</name></author></entry>
"#
            )
        })
        .collect();
    (
        [(header::CONTENT_TYPE, "application/atom+xml; charset=utf-8")],
        format!(
            r#"<?xml version="1.0" encoding="UTF-8"?>
<feed xmlns="http://www.w3.org/2005/Atom"><title>ArXiv Query</title>
{entries}</feed>"#
        ),
    )
        .into_response()
}

#[derive(serde::Deserialize)]
struct Params {
    verb: String,
    #[serde(rename = "resumptionToken")]
    resumption_token: Option<String>,
    #[serde(rename = "metadataPrefix")]
    metadata_prefix: Option<String>,
    set: Option<String>,
}

async fn answer(
    State(fixture): State<OaiFixture>,
    Query(params): Query<Params>,
    headers: HeaderMap,
) -> Response {
    let (failure, broken, revised, pause) = {
        let mut behaviour = fixture.0.lock().unwrap();
        behaviour.in_flight += 1;
        behaviour.most_in_flight = behaviour.most_in_flight.max(behaviour.in_flight);
        behaviour.log.push(Logged {
            resumption_token: params.resumption_token.clone(),
            set: params.set.clone(),
            user_agent: headers
                .get(header::USER_AGENT)
                .and_then(|value| value.to_str().ok())
                .unwrap_or_default()
                .to_owned(),
            at: Instant::now(),
        });
        let broken =
            behaviour.broken_token.is_some() && behaviour.broken_token == params.resumption_token;
        (
            behaviour.failures.pop_front(),
            broken,
            behaviour.revised,
            behaviour.pause,
        )
    };
    if let Some(pause) = pause {
        tokio::time::sleep(pause).await;
    }
    fixture.0.lock().unwrap().in_flight -= 1;
    assert_eq!(params.verb, "ListRecords");
    if broken {
        return (StatusCode::INTERNAL_SERVER_ERROR, "broken").into_response();
    }
    let page = match params.resumption_token.as_deref() {
        None => {
            assert_eq!(params.metadata_prefix.as_deref(), Some("arXiv"));
            page_one()
        }
        Some("tok-2") => page_two(revised),
        Some("tok-3") => page_three(),
        Some(_) => oai(r#"<error code="badResumptionToken">unknown token</error>"#),
    };
    match failure {
        None => xml(page),
        Some(Failure::Busy { retry_after }) => (
            StatusCode::SERVICE_UNAVAILABLE,
            [(header::RETRY_AFTER, retry_after.to_string())],
            "busy",
        )
            .into_response(),
        Some(Failure::Limiting { retry_after }) => (
            StatusCode::TOO_MANY_REQUESTS,
            [(header::RETRY_AFTER, retry_after.to_string())],
            "slow down",
        )
            .into_response(),
        Some(Failure::CutOff) => xml(page[..page.len() / 2].to_owned()),
        Some(Failure::Slow) => {
            tokio::time::sleep(Duration::from_secs(3)).await;
            xml(page)
        }
    }
}

fn xml(body: String) -> Response {
    ([(header::CONTENT_TYPE, "text/xml; charset=utf-8")], body).into_response()
}

fn oai(body: &str) -> String {
    format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<OAI-PMH xmlns="http://www.openarchives.org/OAI/2.0/" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:schemaLocation="http://www.openarchives.org/OAI/2.0/ http://www.openarchives.org/OAI/2.0/OAI-PMH.xsd">
<responseDate>2026-12-06T00:00:00Z</responseDate>
<request verb="ListRecords" metadataPrefix="arXiv" set="cs">http://export.arxiv.org/oai2</request>
{body}
</OAI-PMH>"#
    )
}

/// A record in the `arXiv` format; one that was `replaced` has an `updated` date.
fn record(
    id: &str,
    title: &str,
    authors: &[(&str, &str)],
    categories: &str,
    replaced: bool,
) -> String {
    let updated = if replaced {
        "<updated>2025-02-10</updated>"
    } else {
        ""
    };
    let authors: String = authors
        .iter()
        .map(|(keyname, forenames)| {
            format!(
                "<author><keyname>{keyname}</keyname><forenames>{forenames}</forenames></author>"
            )
        })
        .collect();
    format!(
        r#"<record>
<header><identifier>oai:arXiv.org:{id}</identifier><datestamp>2025-01-05</datestamp><setSpec>cs</setSpec></header>
<metadata>
<arXiv xmlns="http://arxiv.org/OAI/arXiv/" xsi:schemaLocation="http://arxiv.org/OAI/arXiv/ http://arxiv.org/OAI/arXiv.xsd">
<id>{id}</id><created>2025-01-02</created>{updated}
<authors>{authors}</authors>
<title>{title}</title>
<categories>{categories}</categories>
<comments>10 pages</comments>
<license>http://arxiv.org/licenses/nonexclusive-distrib/1.0/</license>
<abstract>  An abstract of {id} about
harvesting.
</abstract>
</arXiv>
</metadata>
</record>"#
    )
}

fn list(records: &[String], token: &str, cursor: usize) -> String {
    oai(&format!(
        r#"<ListRecords>
{}
<resumptionToken cursor="{cursor}" completeListSize="7">{token}</resumptionToken>
</ListRecords>"#,
        records.join("\n")
    ))
}

fn page_one() -> String {
    let first = record(
        "2501.10001",
        "Harvesting Arxiv Politely",
        &[("Lovelace", "Ada")],
        "cs.DL cs.IR",
        false,
    );
    let no_title = r#"<record><header><identifier>oai:arXiv.org:2501.10009</identifier><datestamp>2025-01-05</datestamp></header>
<metadata><arXiv xmlns="http://arxiv.org/OAI/arXiv/"><id>2501.10009</id><created>2025-01-02</created>
<authors><author><keyname>Nameless</keyname></author></authors><categories>cs.DL</categories>
<abstract>No title.</abstract></arXiv></metadata></record>"#;
    list(
        &[
            first.clone(),
            record(
                "2501.10002",
                "Resumption Tokens Explained",
                &[("Hopper", "Grace")],
                "cs.DL",
                false,
            ),
            first,
            no_title.to_owned(),
        ],
        "tok-2",
        0,
    )
}

fn page_two(revised: bool) -> String {
    let third = if revised {
        record(
            "2501.10003",
            "Metadata Harvesting at Scale, Revisited",
            &[("Turing", "Alan"), ("Liskov", "Barbara")],
            "cs.DL cs.DB",
            true,
        )
    } else {
        record(
            "2501.10003",
            "Metadata Harvesting Fundamentals",
            &[("Turing", "Alan")],
            "cs.DL",
            false,
        )
    };
    list(
        &[
            third,
            record(
                "2501.10004",
                "Incremental Feeds",
                &[("Dijkstra", "Edsger")],
                "cs.IR cs.DL",
                false,
            ),
        ],
        "tok-3",
        4,
    )
}

fn page_three() -> String {
    oai(&format!(
        r#"<ListRecords>
{}
<resumptionToken cursor="6" completeListSize="7"/>
</ListRecords>"#,
        record(
            "2501.10005",
            "The Last Page",
            &[("Knuth", "Donald")],
            "cs.DL",
            false
        )
    ))
}
