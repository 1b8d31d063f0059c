//! `submitArxivPaper`: a signed-in user gives an arXiv id and the server fetches the record
//! from the arXiv API — here the local fixture speaking its Atom format — politely, and
//! stores nothing on any error.

use std::time::Duration;

use serde_json::{Value, json};

use crate::arxiv_fixture::{ArxivFixture, BUSY, CUT_OFF, KNOWN, LIMITING, SLOW, UNKNOWN};
use crate::helpers::{GqlResponse, TestApp};

const SUBMIT: &str = "mutation($id: String!) { submitArxivPaper(arxivId: $id) { paper {
    arxivId title abstract authors { name } version doi journalRef arxivComment pdfUrl
    withdrawn primaryCategory { code } categories { code name } submittedBy { username } } } }";
/// The spacing the tests ask of the client (arXiv's own is 3 s).
const INTERVAL: Duration = Duration::from_millis(300);

async fn app_with_fixture(submissions_per_hour: u32) -> (TestApp, ArxivFixture) {
    let (fixture, url) = ArxivFixture::start().await;
    let app = TestApp::spawn_with(|config| {
        config.sources.arxiv_api_url = url;
        config.sources.arxiv_request_interval_millis = INTERVAL.as_millis() as u64;
        config.sources.upstream_timeout_seconds = 1;
        config.sources.contact = Some("ops@paperboard.example".to_owned());
        config.activity.submissions_per_hour = submissions_per_hour;
    })
    .await;
    (app, fixture)
}

/// `submitArxivPaper(arxivId: id)` as the holder of `token`.
async fn submit(app: &TestApp, token: &str, id: &str) -> GqlResponse {
    app.gql(SUBMIT)
        .variables(json!({ "id": id }))
        .bearer(token)
        .send()
        .await
}

async fn paper_count(app: &TestApp) -> Value {
    app.query(
        "{ papers { totalCount } categories { totalCount } }",
        json!({}),
    )
    .await
}

#[tokio::test]
async fn a_known_id_is_fetched_stored_whole_and_searchable() {
    let (app, fixture) = app_with_fixture(20).await;
    let user = app.register("reader").await;
    let data = submit(&app, &user.access_token, &format!("arXiv:{KNOWN}v1"))
        .await
        .expect_ok();
    let paper = &data["submitArxivPaper"]["paper"];
    assert_eq!(
        paper,
        &json!({
            "arxivId": KNOWN,
            "title": "Sparse Mixtures of Experts for Long-Context Retrieval",
            "abstract": "We route long contexts through sparse experts & show that retrieval quality holds at a tenth of the compute.",
            "authors": [{ "name": "Ada Lovelace" }, { "name": "Grace Hopper" }],
            "version": 3,
            "doi": "10.48550/arXiv.2501.00001",
            "journalRef": "NeurIPS 2026",
            "arxivComment": "14 pages, 6 figures; v3: new baselines",
            "pdfUrl": "http://arxiv.org/pdf/2501.00001v3",
            "withdrawn": false,
            "primaryCategory": { "code": "cs.CL" },
            "categories": [
                { "code": "cs.CL", "name": "Computation and Language" },
                { "code": "cs.LG", "name": "Machine Learning" }
            ],
            "submittedBy": { "username": "reader" }
        })
    );
    let requests = fixture.requests();
    assert_eq!(requests.len(), 1);
    assert_eq!(
        requests[0].id, KNOWN,
        "the id is sent without prefix or version"
    );
    assert!(
        requests[0].user_agent.starts_with("Paperboard/")
            && requests[0].user_agent.contains("ops@paperboard.example"),
        "{}",
        requests[0].user_agent
    );

    let read = app
        .query(
            r#"{ paper(arxivId: "2501.00001") { publishedAt }
                 searchPapers(query: "sparse experts") { nodes { arxivId } }
                 category(code: "cs.CL") { paperCount } }"#,
            json!({}),
        )
        .await;
    assert_eq!(read["paper"]["publishedAt"], "2025-01-01");
    assert_eq!(read["searchPapers"]["nodes"], json!([{ "arxivId": KNOWN }]));
    assert_eq!(read["category"]["paperCount"], 1);

    // Listed already: a conflict, found without asking arXiv again.
    let again = submit(&app, &user.access_token, KNOWN).await;
    assert_eq!(again.error_code(), "CONFLICT");
    assert_eq!(again.error_field().as_deref(), Some("arxivId"));
    assert_eq!(fixture.requests().len(), 1);
}

#[tokio::test]
async fn unknown_ids_and_an_unavailable_arxiv_store_nothing() {
    let (app, fixture) = app_with_fixture(20).await;
    let user = app.register("unlucky").await;
    let before = paper_count(&app).await;
    let token = user.access_token.as_str();

    assert_eq!(submit(&app, token, UNKNOWN).await.error_code(), "NOT_FOUND");
    for (id, retry_after) in [
        (BUSY, Some(7)),
        (LIMITING, Some(11)),
        (SLOW, None),
        (CUT_OFF, None),
    ] {
        let response = submit(&app, token, id).await;
        assert_eq!(
            response.error_code(),
            "UPSTREAM_UNAVAILABLE",
            "{id}: {}",
            response.body
        );
        let seconds = response.body["errors"][0]["extensions"]["retryAfterSeconds"].as_i64();
        assert!(seconds.is_some_and(|s| s >= 1), "{id}: {}", response.body);
        if let Some(expected) = retry_after {
            assert_eq!(
                seconds,
                Some(expected),
                "{id}: arXiv's Retry-After is passed on"
            );
        }
    }
    assert_eq!(paper_count(&app).await, before);

    // Nothing reaches arXiv for ids that cannot be arXiv ids, or from anonymous callers.
    let asked = fixture.requests().len();
    let malformed = submit(&app, token, "not-an-id").await;
    assert_eq!(malformed.error_code(), "BAD_USER_INPUT");
    assert_eq!(malformed.error_field().as_deref(), Some("arxivId"));
    let anonymous = app
        .gql(SUBMIT)
        .variables(json!({ "id": KNOWN }))
        .send()
        .await;
    assert_eq!(anonymous.error_code(), "UNAUTHENTICATED");
    assert_eq!(fixture.requests().len(), asked);

    // Requests to arXiv were spaced by at least the configured interval.
    let requests = fixture.requests();
    for pair in requests.windows(2) {
        let gap = pair[1].at.duration_since(pair[0].at);
        assert!(
            gap >= INTERVAL - Duration::from_millis(20),
            "{} then {} only {gap:?} apart",
            pair[0].id,
            pair[1].id
        );
    }
}

#[tokio::test]
async fn submissions_by_id_share_the_submission_rate_limit() {
    let (app, _fixture) = app_with_fixture(2).await;
    let user = app.register("eager").await;
    let typed = app
        .gql("mutation { submitPaper(input: { title: \"Typed in\", abstract: \"By hand.\", authors: [\"A. Person\"] }) { paper { id } } }")
        .bearer(&user.access_token)
        .send()
        .await;
    assert!(typed.error_codes().is_empty(), "{}", typed.body);
    let fetched = submit(&app, &user.access_token, KNOWN).await;
    assert!(fetched.error_codes().is_empty(), "{}", fetched.body);
    let third = submit(&app, &user.access_token, UNKNOWN).await;
    assert_eq!(third.error_code(), "RATE_LIMITED");
}
