//! `paperboard sync arxiv`: the real binary harvests the local OAI-PMH fixture into the
//! test's database while the server serves it — over resumption pages, resuming after an
//! interruption, leaving unchanged records alone, revising a paper with a new version, and
//! keeping arXiv's politeness rules.

use std::process::Output;
use std::time::Duration;

use serde_json::{Value, json};

use crate::helpers::TestApp;
use crate::helpers::fixtures::{exit_status, run_command, summary};
use crate::helpers::ws::TRANSPORT_WS;
use crate::oai_fixture::{Failure, OaiFixture, api_url};

const INTERVAL_MS: u64 = 200;

/// Runs `paperboard sync arxiv --set cs` against `url` with `attempts` per page.
async fn run_sync(app: &TestApp, url: &str, attempts: u32) -> Output {
    let env = [
        ("PAPERBOARD_ARXIV_OAI_URL", url.to_owned()),
        ("PAPERBOARD_ARXIV_API_URL", api_url(url)),
        (
            "PAPERBOARD_ARXIV_REQUEST_INTERVAL_MS",
            INTERVAL_MS.to_string(),
        ),
        ("PAPERBOARD_UPSTREAM_TIMEOUT_SECONDS", "1".to_owned()),
        (
            "PAPERBOARD_CONTACT",
            "harvest@paperboard.example".to_owned(),
        ),
        ("PAPERBOARD_SYNC_ATTEMPTS", attempts.to_string()),
        ("PAPERBOARD_SYNC_BACKOFF_MS", "50".to_owned()),
    ];
    run_command(app, &["sync", "arxiv", "--set", "cs"], &env).await
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

async fn arxiv_ids(app: &TestApp) -> Vec<String> {
    let mut ids: Vec<String> = app
        .query("{ papers(first: 50) { nodes { arxivId } } }", json!({}))
        .await["papers"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|paper| paper["arxivId"].as_str().unwrap().to_owned())
        .collect();
    ids.sort();
    ids
}

async fn third_paper(app: &TestApp) -> Value {
    app.query(
        r#"{ paper(arxivId: "2501.10003") { title authors { name } categories { code }
             license version submittedAt updatedAt } }"#,
        json!({}),
    )
    .await["paper"]
        .clone()
}

#[tokio::test]
async fn a_harvest_resumes_where_it_stopped_and_merges_new_versions() {
    let app = TestApp::spawn().await;
    let (fixture, url) = OaiFixture::start().await;

    // The third page keeps failing: the run stops after storing two pages.
    fixture.break_token(Some("tok-3"));
    let interrupted = run_sync(&app, &url, 2).await;
    assert!(!interrupted.status.success(), "{}", stdout(&interrupted));
    assert!(
        stderr(&interrupted).contains("run again to resume"),
        "{}",
        stderr(&interrupted)
    );
    assert_eq!(
        arxiv_ids(&app).await,
        ["2501.10001", "2501.10002", "2501.10003", "2501.10004"]
    );
    let before = third_paper(&app).await;
    assert_eq!(before["title"], "Metadata Harvesting Fundamentals");
    assert_eq!(before["authors"], json!([{ "name": "Alan Turing" }]));
    assert_eq!(
        before["license"],
        "http://arxiv.org/licenses/nonexclusive-distrib/1.0/"
    );
    assert_eq!(before["updatedAt"], before["submittedAt"]);
    assert_eq!(before["version"], 1, "a record never replaced is version 1");

    // Run again: it starts at the page that failed, not at the first.
    fixture.break_token(None);
    let asked = fixture.requests().len();
    let resumed = run_sync(&app, &url, 2).await;
    assert!(resumed.status.success(), "{}", stderr(&resumed));
    assert_eq!(
        fixture.requests()[asked].resumption_token.as_deref(),
        Some("tok-3")
    );
    // The tally covers the whole harvest: the duplicate and the record without a title on
    // the first page were skipped.
    assert_eq!(
        summary(&resumed),
        "harvested 3 page(s): 5 stored, 0 updated, 0 unchanged, 2 skipped"
    );
    assert_eq!(arxiv_ids(&app).await.len(), 5);

    // A finished harvest starts over; nothing changed, so nothing is written.
    let again = run_sync(&app, &url, 2).await;
    assert_eq!(
        summary(&again),
        "harvested 3 page(s): 0 stored, 0 updated, 5 unchanged, 2 skipped"
    );

    // A new version of one paper revises it in place, and readers see it at once — the
    // byline the server cached above included.
    fixture.revise();
    let revised = run_sync(&app, &url, 2).await;
    assert_eq!(
        summary(&revised),
        "harvested 3 page(s): 0 stored, 1 updated, 4 unchanged, 2 skipped"
    );
    let after = third_paper(&app).await;
    assert_eq!(after["title"], "Metadata Harvesting at Scale, Revisited");
    assert_eq!(
        after["authors"],
        json!([{ "name": "Alan Turing" }, { "name": "Barbara Liskov" }])
    );
    assert_eq!(
        after["categories"],
        json!([{ "code": "cs.DL" }, { "code": "cs.DB" }])
    );
    assert_eq!(after["submittedAt"], before["submittedAt"]);
    // The OAI record says only that it was replaced; its version comes from the arXiv API,
    // asked once and for that record alone.
    assert_eq!(after["version"], 2);
    assert_eq!(fixture.api_requests(), ["2501.10003"]);
    assert!(after["updatedAt"].as_str() > before["updatedAt"].as_str());
    let search = app
        .query(
            r#"{ revisited: searchPapers(query: "revisited") { nodes { arxivId } }
                 old: searchPapers(query: "fundamentals") { nodes { arxivId } } }"#,
            json!({}),
        )
        .await;
    assert_eq!(
        search["revisited"]["nodes"],
        json!([{ "arxivId": "2501.10003" }])
    );
    assert_eq!(search["old"]["nodes"], json!([]));
    assert_eq!(crate::search::title_terms_out_of_step(&app).await, 0);
    if app.is_postgres() {
        let second = app.second_instance().await;
        assert_eq!(third_paper(&second).await["authors"], after["authors"]);
    }
}

#[tokio::test]
async fn a_harvest_in_another_process_reaches_the_servers_subscribers() {
    let app = TestApp::spawn().await;
    let (_fixture, url) = OaiFixture::start().await;
    let mut client = app.ws_ready(TRANSPORT_WS, None).await;
    client
        .subscribe(
            "subscribe",
            "retrieval",
            r#"subscription { paperAdded(filter: { categories: ["cs.IR"] }) {
                 arxivId version categories { code } } }"#,
            json!({}),
        )
        .await;
    let output = run_sync(&app, &url, 2).await;
    assert!(output.status.success(), "{}", stderr(&output));
    let mut heard = Vec::new();
    for _ in 0..2 {
        heard.push(client.next_json().await["payload"]["data"]["paperAdded"].clone());
    }
    heard.sort_by_key(ToString::to_string);
    assert_eq!(
        heard,
        [
            json!({ "arxivId": "2501.10001", "version": 1,
                    "categories": [{ "code": "cs.DL" }, { "code": "cs.IR" }] }),
            json!({ "arxivId": "2501.10004", "version": 1,
                    "categories": [{ "code": "cs.IR" }, { "code": "cs.DL" }] }),
        ]
    );
}

#[tokio::test]
async fn the_harvester_spaces_its_requests_and_rides_out_failures() {
    let app = TestApp::spawn().await;
    let (fixture, url) = OaiFixture::start().await;
    fixture.fail_next(&[
        Failure::Busy { retry_after: 1 },
        Failure::Limiting { retry_after: 1 },
        Failure::CutOff,
        Failure::Slow,
    ]);
    let output = run_sync(&app, &url, 6).await;
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(stdout(&output).contains("5 stored"), "{}", stdout(&output));

    let requests = fixture.requests();
    assert_eq!(
        requests.len(),
        4 + 3,
        "four failed attempts, then three pages"
    );
    assert!(
        requests
            .iter()
            .all(|r| r.user_agent.starts_with("Paperboard/")
                && r.user_agent.contains("harvest@paperboard.example"))
    );
    assert_eq!(requests[0].set.as_deref(), Some("cs"));
    let gap = |i: usize| requests[i + 1].at.duration_since(requests[i].at);
    for i in 0..requests.len() - 1 {
        assert!(
            gap(i) >= Duration::from_millis(INTERVAL_MS - 20),
            "request {i}: {:?}",
            gap(i)
        );
    }
    // arXiv's Retry-After (1 s) is honoured after the 503 and the 429.
    assert!(gap(0) >= Duration::from_millis(990), "{:?}", gap(0));
    assert!(gap(1) >= Duration::from_millis(990), "{:?}", gap(1));
}

#[test]
fn bad_arguments_exit_with_status_2() {
    for args in [
        &["sync", "arxiv", "--set", "cs; drop"][..],
        &["sync", "arxiv", "--set", "cs", "--from", "2025-02-30"],
        &["sync", "arxiv"],
        &[
            "sync",
            "arxiv",
            "--set",
            "cs",
            "--from",
            "2025-02-01",
            "--until",
            "2025-01-01",
        ],
    ] {
        assert_eq!(exit_status(args), Some(2), "{args:?}");
    }
}
