//! A database outage: readiness and requests fail fast with `SERVICE_UNAVAILABLE`,
//! subscriptions stay open, and service comes back by itself when the database does.
//! Against a private PostgreSQL the test stops and starts.

use std::time::{Duration, Instant};

use paperboard::config::DatabaseConfig;
use serde_json::json;

use crate::helpers::ws::TRANSPORT_WS;
use crate::helpers::{TempPostgres, TestApp};

/// How long a failing answer may take once the outage is known.
const FAST: Duration = Duration::from_secs(1);

async fn readyz(app: &TestApp) -> (u16, Duration) {
    let started = Instant::now();
    let status = app
        .client
        .get(app.url("/readyz"))
        .send()
        .await
        .unwrap()
        .status()
        .as_u16();
    (status, started.elapsed())
}

#[tokio::test]
async fn an_outage_fails_fast_and_service_comes_back_by_itself() {
    let postgres = TempPostgres::start();
    let database = DatabaseConfig {
        database_url: Some(postgres.url()),
        ..DatabaseConfig::sqlite_in(std::env::temp_dir())
    };
    let app = TestApp::spawn_on(database, |config| config.demo = true).await;
    let user = app.register("during-outage").await;
    let paper = app
        .query("{ papers(first: 1) { nodes { id } } }", json!({}))
        .await["papers"]["nodes"][0]["id"]
        .clone();
    let mut socket = app.ws_ready(TRANSPORT_WS, None).await;
    socket
        .send_json(json!({ "id": "up", "type": "subscribe", "payload": {
            "query": "subscription { paperUpvoteChanged { upvoteCount } }" } }))
        .await;

    postgres.stop();
    // The outage becomes known (by a probe or a failed request) within a few seconds;
    // from then on every answer is fast.
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let (status, took) = readyz(&app).await;
        assert!(took < Duration::from_secs(4), "readyz took {took:?}");
        if status == 503 {
            break;
        }
        assert!(Instant::now() < deadline, "the outage was never noticed");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    for _ in 0..3 {
        let (status, took) = readyz(&app).await;
        assert_eq!(status, 503);
        assert!(took < FAST, "readyz took {took:?}");
        let started = Instant::now();
        let response = app.gql("{ papers(first: 1) { totalCount } }").send().await;
        assert!(
            started.elapsed() < FAST,
            "a query took {:?}",
            started.elapsed()
        );
        assert_eq!(response.status, 503);
        assert_eq!(response.error_code(), "SERVICE_UNAVAILABLE");
        assert!(response.headers.contains_key("retry-after"));
        assert!(response.body.get("data").is_none());
    }
    // What needs no database still answers.
    assert_eq!(
        app.query("{ __typename }", json!({})).await["__typename"],
        "Query"
    );

    postgres.resume();
    let deadline = Instant::now() + Duration::from_secs(10);
    while readyz(&app).await.0 != 200 {
        assert!(Instant::now() < deadline, "service did not come back");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let data = app
        .gql("mutation($p: ID!) { upvotePaper(paperId: $p) { paper { upvoteCount } } }")
        .variables(json!({ "p": paper }))
        .bearer(&user.access_token)
        .send()
        .await
        .expect_ok();
    let count = data["upvotePaper"]["paper"]["upvoteCount"].clone();
    // The socket stayed open through the outage and hears the upvote.
    let next = socket.next_json().await;
    assert_eq!(next["type"], "next", "{next}");
    assert_eq!(
        next["payload"]["data"]["paperUpvoteChanged"]["upvoteCount"],
        count
    );
}
