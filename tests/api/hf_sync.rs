//! `paperboard sync hf-daily`: the real binary merges the local Hugging Face fixture's daily
//! lists — upvotes as the baseline, code and project links, stars, the listing day as the
//! submission — and updates them when the list's figures change.

use std::process::Output;

use serde_json::json;

use crate::helpers::TestApp;
use crate::helpers::fixtures::{exit_status, run_command, summary};
use crate::hf_fixture::HfFixture;

async fn run_hf_sync(app: &TestApp, url: &str, days: &[&str]) -> Output {
    let args: Vec<&str> = ["sync", "hf-daily"]
        .into_iter()
        .chain(days.iter().copied())
        .collect();
    let env = [
        ("PAPERBOARD_HF_URL", url.to_owned()),
        ("PAPERBOARD_HF_REQUEST_INTERVAL_MS", "0".to_owned()),
    ];
    run_command(app, &args, &env).await
}

#[tokio::test]
async fn daily_lists_become_the_days_papers_with_their_upvotes_and_links() {
    let app = TestApp::spawn().await;
    let (fixture, url) = HfFixture::start().await;
    let range = ["--from", "2025-01-06", "--to", "2025-01-07"];
    let first = run_hf_sync(&app, &url, &range).await;
    assert!(
        first.status.success(),
        "{}",
        String::from_utf8_lossy(&first.stderr)
    );
    assert_eq!(
        summary(&first),
        "synced 2 day(s): 3 stored, 0 updated, 0 unchanged, 1 skipped"
    );

    let query = r#"{ dailyPapers(date: "2025-01-06") { nodes { arxivId title abstract upvoteCount
        githubUrl githubStars projectUrl submittedAt publishedAt authors { name } } } }"#;
    let day = app.query(query, json!({})).await;
    assert_eq!(
        day["dailyPapers"]["nodes"],
        json!([
            { "arxivId": "2501.02001", "title": "Daily Papers Mirror the Feed",
              "abstract": "The abstract of 2501.02001, as the list shows it.",
              "upvoteCount": 42, "githubUrl": "https://github.com/example/daily",
              "githubStars": 314, "projectUrl": "https://example.org/daily",
              "submittedAt": "2025-01-06T00:00:00.000000Z", "publishedAt": "2025-01-03",
              "authors": [{ "name": "Ada Lovelace" }, { "name": "Grace Hopper" }] },
            { "arxivId": "2501.02002", "title": "A Quieter Paper",
              "abstract": "The abstract of 2501.02002, as the list shows it.",
              "upvoteCount": 7, "githubUrl": null, "githubStars": null, "projectUrl": null,
              "submittedAt": "2025-01-06T00:00:00.000000Z", "publishedAt": "2025-01-03",
              "authors": [{ "name": "Ada Lovelace" }, { "name": "Grace Hopper" }] }
        ])
    );

    let again = run_hf_sync(&app, &url, &range).await;
    assert_eq!(
        summary(&again),
        "synced 2 day(s): 0 stored, 0 updated, 3 unchanged, 1 skipped"
    );

    fixture.raise();
    let raised = run_hf_sync(&app, &url, &["--date", "2025-01-06"]).await;
    assert_eq!(
        summary(&raised),
        "synced 1 day(s): 0 stored, 1 updated, 1 unchanged, 1 skipped"
    );
    let paper = app
        .query(
            r#"{ paper(arxivId: "2501.02001") { upvoteCount githubStars } }"#,
            json!({}),
        )
        .await;
    assert_eq!(
        paper["paper"],
        json!({ "upvoteCount": 50, "githubStars": 400 })
    );
}

#[test]
fn bad_day_arguments_exit_with_status_2() {
    for args in [
        &["sync", "hf-daily"][..],
        &["sync", "hf-daily", "--date", "2025-02-30"],
        &["sync", "hf-daily", "--from", "2025-01-01"],
        &[
            "sync",
            "hf-daily",
            "--date",
            "2025-01-01",
            "--from",
            "2025-01-01",
            "--to",
            "2025-01-02",
        ],
        &[
            "sync",
            "hf-daily",
            "--from",
            "2025-01-02",
            "--to",
            "2025-01-01",
        ],
        &[
            "sync",
            "hf-daily",
            "--from",
            "2020-01-01",
            "--to",
            "2025-01-01",
        ],
    ] {
        assert_eq!(exit_status(args), Some(2), "{args:?}");
    }
}
