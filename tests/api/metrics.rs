//! Prometheus metrics on their own listener: scraped as Prometheus would, with the names
//! operators alert on, and counters that move with the traffic.
//!
//! The `metrics` facade is process-wide, so other tests running meanwhile may add to the
//! same counters: every check is "moved by at least".

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::TestApp;
use crate::helpers::sse::EventStream;

/// The scraped text of the app's metrics listener.
async fn scrape(app: &TestApp) -> String {
    let addr = app.metrics_addr.expect("a metrics listener");
    let response = app
        .client
        .get(format!("http://{addr}/metrics"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert!(
        response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/plain; version=0.0.4")
    );
    response.text().await.unwrap()
}

/// The sum of the samples of `name` whose labels hold every one of `labels`.
fn sample(text: &str, name: &str, labels: &[&str]) -> f64 {
    text.lines()
        .filter(|line| !line.starts_with('#'))
        .filter(|line| {
            line.strip_prefix(name)
                .is_some_and(|rest| rest.starts_with('{') || rest.starts_with(' '))
        })
        .filter(|line| labels.iter().all(|label| line.contains(label)))
        .filter_map(|line| line.rsplit(' ').next()?.parse::<f64>().ok())
        .sum()
}

#[tokio::test]
async fn operators_see_requests_errors_connections_pools_and_limits() {
    // The binary installs this at start; pool waits arrive through it.
    let _logs = paperboard::telemetry::init("off", paperboard::telemetry::LogFormat::Text, None);
    let app = TestApp::spawn_with(|config| {
        config.ecosystem.metrics_bind = Some(([127, 0, 0, 1], 0).into());
        config.auth.login_client_attempts = 100;
    })
    .await;
    // Never on the public port.
    let public = app.client.get(app.url("/metrics")).send().await.unwrap();
    assert_eq!(public.status(), StatusCode::NOT_FOUND);

    let before = scrape(&app).await;
    let named = "query MetricsFront { papers(first: 1) { totalCount } }";
    app.gql(named).send().await.expect_ok();
    app.gql(named).send().await.expect_ok();
    app.gql("{ nope }").send().await;
    let got = app
        .client
        .get(app.url("/graphql"))
        .query(&[("query", "{ __typename }")])
        .send()
        .await
        .unwrap();
    assert_eq!(got.status(), StatusCode::OK);
    let user = app.register("metered").await;
    let failed_login = app
        .gql("mutation($i: LoginInput!) { login(input: $i) { accessToken } }")
        .variables(json!({ "i": { "usernameOrEmail": "metered", "password": "wrong password!" } }))
        .send()
        .await;
    assert_eq!(failed_login.error_code(), "UNAUTHENTICATED");

    let mut socket = app.ws_ready("graphql-transport-ws", None).await;
    socket
        .subscribe(
            "subscribe",
            "1",
            "subscription { paperAdded { id } }",
            json!({}),
        )
        .await;
    let stream = app
        .client
        .post(app.url("/graphql/stream"))
        .bearer_auth(&user.access_token)
        .json(&json!({ "query": "subscription { paperAdded { title } }" }))
        .send()
        .await
        .unwrap();
    let mut stream = EventStream::new(stream);
    tokio::time::sleep(Duration::from_millis(300)).await;
    app.gql("mutation($i: SubmitPaperInput!) { submitPaper(input: $i) { paper { id } } }")
        .variables(json!({ "i": {
            "arxivId": "2501.00077",
            "title": "Metered",
            "abstract": "Counted on delivery.",
            "authors": ["Ada Lovelace"],
            "publishedAt": "2025-01-02",
        }}))
        .bearer(&user.access_token)
        .send()
        .await
        .expect_ok();
    assert_eq!(stream.next_event().await.unwrap().event, "next");

    let after = scrape(&app).await;
    let moved =
        |name: &str, labels: &[&str]| sample(&after, name, labels) - sample(&before, name, labels);
    assert!(
        moved(
            "paperboard_requests_total",
            &[
                r#"operation_name="MetricsFront""#,
                r#"transport="http_post""#,
                r#"outcome="ok""#,
                r#"operation_type="query""#
            ]
        ) >= 2.0,
        "{after}"
    );
    assert!(moved("paperboard_requests_total", &[r#"transport="http_get""#]) >= 1.0);
    assert!(moved("paperboard_requests_total", &[r#"outcome="refused""#]) >= 1.0);
    assert!(
        moved(
            "paperboard_requests_total",
            &[
                r#"transport="websocket""#,
                r#"operation_type="subscription""#
            ]
        ) >= 1.0
    );
    assert!(moved("paperboard_requests_total", &[r#"transport="sse_post""#]) >= 1.0);
    assert!(
        moved(
            "paperboard_request_duration_seconds_count",
            &[r#"transport="http_post""#]
        ) >= 3.0
    );
    assert!(
        moved(
            "paperboard_graphql_errors_total",
            &[r#"code="BAD_USER_INPUT""#]
        ) >= 1.0
    );
    assert!(
        moved(
            "paperboard_graphql_errors_total",
            &[r#"code="UNAUTHENTICATED""#]
        ) >= 1.0
    );
    assert!(moved("paperboard_login_failures_total", &[]) >= 1.0);
    assert!(
        sample(
            &after,
            "paperboard_open_connections",
            &[r#"kind="websocket""#]
        ) >= 1.0
    );
    assert!(sample(&after, "paperboard_open_connections", &[r#"kind="sse""#]) >= 1.0);
    assert!(
        sample(
            &after,
            "paperboard_active_subscriptions",
            &[r#"field="paperAdded""#]
        ) >= 2.0,
        "{after}"
    );
    assert!(moved("paperboard_events_published_total", &[]) >= 1.0);
    assert!(
        moved(
            "paperboard_subscription_results_delivered_total",
            &[r#"transport="sse""#]
        ) >= 1.0
    );
    assert!(moved("paperboard_db_statement_duration_seconds_count", &[]) >= 1.0);
    assert!(
        moved("paperboard_db_pool_wait_seconds_count", &[]) >= 1.0,
        "{after}"
    );
    assert!(
        sample(
            &after,
            "paperboard_db_pool_connections",
            &[r#"state="max""#]
        ) >= 1.0
    );
    for name in [
        "paperboard_db_pool_connections",
        "paperboard_db_statement_duration_seconds_bucket",
        "paperboard_request_duration_seconds_bucket",
    ] {
        assert!(after.contains(name), "{name} is exported");
    }

    // Leaving lowers the gauges again.
    drop(stream);
    drop(socket);
    let mut settled = false;
    for _ in 0..50 {
        let now = scrape(&app).await;
        if sample(
            &now,
            "paperboard_active_subscriptions",
            &[r#"field="paperAdded""#],
        ) < sample(
            &after,
            "paperboard_active_subscriptions",
            &[r#"field="paperAdded""#],
        ) {
            settled = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(settled, "closed subscriptions are no longer counted");
}

#[tokio::test]
async fn rate_limit_rejections_are_counted_by_limit() {
    let app = TestApp::spawn_with(|config| {
        config.ecosystem.metrics_bind = Some(([127, 0, 0, 1], 0).into());
        config.auth.registrations_per_hour = 1;
    })
    .await;
    let before = scrape(&app).await;
    app.register("only").await;
    let refused = app
        .gql("mutation($i: RegisterInput!) { register(input: $i) { accessToken } }")
        .variables(json!({ "i": { "username": "second", "email": "second@example.org", "password": "long enough password" } }))
        .send()
        .await;
    assert_eq!(refused.error_code(), "RATE_LIMITED");
    let after = scrape(&app).await;
    let label = [r#"limit="registration""#];
    assert!(
        sample(&after, "paperboard_rate_limited_total", &label)
            - sample(&before, "paperboard_rate_limited_total", &label)
            >= 1.0
    );
}
