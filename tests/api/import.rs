//! `paperboard import FILE`: idempotent, validated, all-or-nothing — run as the real
//! binary against the test's database while the server serves it.

use std::process::Command;

use serde_json::{Value, json};

use crate::helpers::TestApp;

const DEMO: &str = include_str!("../../assets/demo-papers.json");

pub fn run_import(app: &TestApp, file: &std::path::Path) -> std::process::Output {
    let config = app.state.config.database.clone();
    let mut command = Command::new(env!("CARGO_BIN_EXE_paperboard"));
    command
        .arg("import")
        .arg("--data-dir")
        .arg(&config.data_dir)
        .arg(file)
        .env_remove("DATABASE_URL")
        .env("PAPERBOARD_LOG", "warn");
    if let Some(url) = &config.database_url {
        command.arg("--database-url").arg(url);
    }
    command.output().expect("the binary runs")
}

async fn paper_count(app: &TestApp) -> i64 {
    app.query("{ papers { totalCount } }", json!({})).await["papers"]["totalCount"]
        .as_i64()
        .unwrap()
}

#[tokio::test]
async fn importing_the_same_file_twice_stores_it_once() {
    let app = TestApp::spawn().await;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("papers.json");
    std::fs::write(&file, DEMO).unwrap();

    let first = run_import(&app, &file);
    assert!(
        first.status.success(),
        "{}",
        String::from_utf8_lossy(&first.stderr)
    );
    assert!(
        String::from_utf8_lossy(&first.stdout)
            .contains("imported 43 new paper(s); 0 already present")
    );
    let authors_after_first = app.query("{ authors { totalCount } }", json!({})).await;

    let second = run_import(&app, &file);
    assert!(second.status.success());
    assert!(
        String::from_utf8_lossy(&second.stdout)
            .contains("imported 0 new paper(s); 43 already present")
    );
    assert_eq!(paper_count(&app).await, 43);
    assert_eq!(
        app.query("{ authors { totalCount } }", json!({})).await,
        authors_after_first
    );
}

#[tokio::test]
async fn the_source_upvotes_become_the_baseline() {
    let app = TestApp::spawn_with_demo().await;
    let data = app
        .query(
            r#"{ paper(arxivId: "2507.06203") { upvoteCount } }"#,
            json!({}),
        )
        .await;
    let expected = serde_json::from_str::<Vec<Value>>(DEMO)
        .unwrap()
        .into_iter()
        .find(|record| record["arxiv_id"] == "2507.06203")
        .unwrap()["upvotes"]
        .clone();
    assert_eq!(data["paper"]["upvoteCount"], expected);
}

#[tokio::test]
async fn a_file_with_one_bad_record_stores_nothing_and_names_it() {
    let app = TestApp::spawn().await;
    let mut records: Vec<Value> = serde_json::from_str(DEMO).unwrap();
    records[7]["github_url"] = json!("javascript:alert(1)");
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("bad.json");
    std::fs::write(&file, serde_json::to_string(&records).unwrap()).unwrap();

    let output = run_import(&app, &file);
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("record 7, field `github_url`"), "{stderr}");
    assert_eq!(paper_count(&app).await, 0);
}

#[tokio::test]
async fn records_without_arxiv_id_match_by_exact_title() {
    let app = TestApp::spawn_with_demo().await;
    let records: Vec<Value> = serde_json::from_str(DEMO).unwrap();
    let without_id: Vec<Value> = records
        .into_iter()
        .filter(|record| record["arxiv_id"].is_null())
        .collect();
    assert_eq!(without_id.len(), 1);
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("again.json");
    std::fs::write(&file, serde_json::to_string(&without_id).unwrap()).unwrap();
    let output = run_import(&app, &file);
    assert!(output.status.success());
    assert_eq!(paper_count(&app).await, 43);
}
