//! A stand-in for arXiv's OAI-PMH endpoint serving a large synthetic harvest, for the harvest
//! benchmark (`bench/run.sh harvest`): `ListRecords` in the `arXiv` metadata format, PAGES
//! pages of PER_PAGE records joined by resumption tokens, the same records on every run.
//!
//! ```text
//! cargo run --release --example oai_server -- PORT [PAGES] [PER_PAGE]
//! ```

#![expect(clippy::print_stdout, clippy::expect_used, reason = "a benchmark tool")]

use std::fmt::Write as _;
use std::net::SocketAddr;
use std::sync::Arc;

use axum::extract::{Query, State};
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::get;

const WORDS: &[&str] = &[
    "learning",
    "sparse",
    "retrieval",
    "graph",
    "neural",
    "diffusion",
    "models",
    "robust",
    "attention",
    "scaling",
    "language",
    "vision",
    "reasoning",
    "agents",
    "efficient",
    "training",
    "benchmark",
    "alignment",
    "quantum",
    "optimal",
    "transport",
    "kernel",
    "bayesian",
    "causal",
];
const CATEGORIES: &[&str] = &[
    "cs.LG", "cs.CL", "cs.CV", "cs.AI", "stat.ML", "cs.IR", "cs.DL",
];
const SURNAMES: &[&str] = &[
    "Lovelace",
    "Hopper",
    "Turing",
    "Liskov",
    "Dijkstra",
    "Knuth",
    "Hamilton",
    "Shannon",
    "Noether",
    "Curie",
    "Gauss",
    "Euler",
    "Riemann",
    "Hilbert",
    "Kolmogorov",
    "Wiener",
];

#[derive(Clone, Copy)]
struct Harvest {
    pages: usize,
    per_page: usize,
}

#[derive(serde::Deserialize)]
struct Params {
    #[serde(rename = "resumptionToken")]
    resumption_token: Option<String>,
}

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    let port: u16 = args.get(1).expect("PORT").parse().expect("a port");
    let harvest = Harvest {
        pages: args.get(2).map_or(100, |n| n.parse().expect("pages")),
        per_page: args
            .get(3)
            .map_or(500, |n| n.parse().expect("records per page")),
    };
    let router = axum::Router::new()
        .route("/oai", get(page))
        .with_state(Arc::new(harvest));
    let listener = tokio::net::TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], port)))
        .await
        .expect("bind");
    println!(
        "serving {} pages of {} records on http://127.0.0.1:{port}/oai",
        harvest.pages, harvest.per_page
    );
    axum::serve(listener, router).await.expect("serve");
}

async fn page(
    State(harvest): State<Arc<Harvest>>,
    Query(params): Query<Params>,
) -> impl IntoResponse {
    let number: usize = params
        .resumption_token
        .as_deref()
        .and_then(|token| token.strip_prefix("page-"))
        .and_then(|n| n.parse().ok())
        .unwrap_or(0);
    let mut body = String::from(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<OAI-PMH xmlns="http://www.openarchives.org/OAI/2.0/"><responseDate>2026-12-06T00:00:00Z</responseDate>
<request verb="ListRecords" metadataPrefix="arXiv" set="cs">http://export.arxiv.org/oai2</request><ListRecords>
"#,
    );
    let first = number * harvest.per_page;
    for index in first..first + harvest.per_page {
        record(&mut body, index);
    }
    if number + 1 < harvest.pages {
        let _ = writeln!(
            body,
            r#"<resumptionToken cursor="{first}" completeListSize="{}">page-{}</resumptionToken>"#,
            harvest.pages * harvest.per_page,
            number + 1
        );
    } else {
        body.push_str("<resumptionToken/>\n");
    }
    body.push_str("</ListRecords></OAI-PMH>\n");
    ([(header::CONTENT_TYPE, "text/xml; charset=utf-8")], body)
}

/// Record `index`: a modern arXiv id, a title and abstract from the word list, two to five
/// authors from a pool of a few thousand names, one to three categories.
fn record(body: &mut String, index: usize) {
    let word = |n: usize| WORDS[n % WORDS.len()];
    let title = format!(
        "{} {} for {} {} {}",
        word(index),
        word(index / 7 + 3),
        word(index / 13 + 5),
        word(index / 17 + 11),
        index
    );
    let mut authors = String::new();
    for author in 0..2 + index % 4 {
        let person = (index * 7 + author * 131) % 4_000;
        let _ = write!(
            authors,
            "<author><keyname>{}</keyname><forenames>Author {person}</forenames></author>",
            SURNAMES[person % SURNAMES.len()]
        );
    }
    let categories: Vec<&str> = (0..1 + index % 3)
        .map(|n| CATEGORIES[(index + n * 3) % CATEGORIES.len()])
        .collect();
    let _ = write!(
        body,
        r#"<record><header><identifier>oai:arXiv.org:2501.{index:05}</identifier><datestamp>2025-01-05</datestamp><setSpec>cs</setSpec></header>
<metadata><arXiv xmlns="http://arxiv.org/OAI/arXiv/"><id>2501.{index:05}</id><created>2025-01-02</created>
<authors>{authors}</authors><title>{title}</title><categories>{}</categories><comments>{} pages</comments>
<license>http://creativecommons.org/licenses/by/4.0/</license>
<abstract>We study {} {} and {} {} in record {index}, with {} experiments on {} {}.</abstract></arXiv></metadata></record>
"#,
        categories.join(" "),
        8 + index % 20,
        word(index + 1),
        word(index + 2),
        word(index + 3),
        word(index + 4),
        index % 50,
        word(index + 5),
        word(index + 6),
    );
}
