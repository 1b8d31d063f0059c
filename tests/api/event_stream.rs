//! GraphQL over Server-Sent Events on `/graphql/stream` (the `graphql-sse` protocol's
//! distinct-connections mode): the same operations, credentials, limits and cross-instance
//! delivery as the WebSocket transports.

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::TestApp;
use crate::helpers::sse::EventStream;

const SUBMIT: &str = "mutation($i: SubmitPaperInput!) { submitPaper(input: $i) { paper { id } } }";

fn paper(arxiv_id: &str, title: &str) -> Value {
    json!({
        "arxivId": arxiv_id,
        "title": title,
        "abstract": "Events that pass through any proxy.",
        "authors": ["Ada Lovelace"],
        "publishedAt": "2025-01-02",
    })
}

async fn submit(app: &TestApp, token: &str, input: Value) {
    app.gql(SUBMIT)
        .variables(json!({ "i": input }))
        .bearer(token)
        .send()
        .await
        .expect_ok();
}

/// Opens a stream by POST, as the `graphql-sse` client does.
async fn open(app: &TestApp, body: Value, token: Option<&str>) -> EventStream {
    let mut request = app
        .client
        .post(app.url("/graphql/stream"))
        .header("accept", "text/event-stream")
        .json(&body);
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let response = request.send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(
        response.headers()["content-type"],
        "text/event-stream",
        "{:?}",
        response.headers()
    );
    EventStream::new(response)
}

/// Streams `paperAdded` from `listener` (anonymous and signed in), submits a paper
/// through `writer`, and checks both streams deliver it.
async fn new_paper_reaches_streams(writer: &TestApp, listener: &TestApp, arxiv_id: &str) {
    let token = &writer
        .quick_users(&format!("author{}", &arxiv_id[8..]), 1)
        .await[0];
    let query = json!({ "query": "subscription { paperAdded { title } }" });
    let mut anonymous = open(listener, query.clone(), None).await;
    let mut signed_in = open(listener, query, Some(token)).await;
    let filtered =
        json!({ "query": "subscription { paperAdded(filter: {hasCode: true}) { title } }" });
    let mut with_code_only = open(listener, filtered, None).await;
    // The streams are registered before the change is made.
    tokio::time::sleep(Duration::from_millis(300)).await;

    submit(writer, token, paper(arxiv_id, "Streamed")).await;
    for stream in [&mut anonymous, &mut signed_in] {
        let event = stream.next_event().await.expect("an event");
        assert_eq!(event.event, "next");
        assert_eq!(event.json()["data"]["paperAdded"]["title"], "Streamed");
    }
    assert!(
        with_code_only
            .is_quiet_for(Duration::from_millis(500))
            .await,
        "a paper without code passes the filter by"
    );
}

#[tokio::test]
async fn a_subscription_streams_each_new_paper() {
    let app = TestApp::spawn().await;
    new_paper_reaches_streams(&app, &app, "2501.00001").await;
}

#[tokio::test]
async fn a_paper_submitted_on_one_instance_reaches_streams_of_another() {
    let app = TestApp::spawn().await;
    if !app.is_postgres() {
        // Instances share events through PostgreSQL LISTEN/NOTIFY; SQLite runs one instance.
        return;
    }
    let other = app.second_instance().await;
    new_paper_reaches_streams(&app, &other, "2501.00002").await;
}

#[tokio::test]
async fn a_query_streams_one_result_then_completes() {
    let app = TestApp::spawn_with_demo().await;
    let mut stream = open(
        &app,
        json!({ "query": "{ papers(first: 2) { totalCount } }" }),
        None,
    )
    .await;
    let result = stream.next_event().await.expect("a result");
    assert_eq!(result.event, "next");
    assert!(result.json()["data"]["papers"]["totalCount"].as_i64() > Some(0));
    let complete = stream.next_event().await.expect("complete");
    assert_eq!(complete.event, "complete");
    assert_eq!(stream.next_event().await, None, "the stream ends");

    // By GET too, as an `EventSource` would.
    let response = app
        .client
        .get(app.url("/graphql/stream"))
        .query(&[("query", "{ papers(first: 1) { totalCount } }")])
        .send()
        .await
        .unwrap();
    let mut stream = EventStream::new(response);
    assert_eq!(stream.next_event().await.unwrap().event, "next");
    assert_eq!(stream.next_event().await.unwrap().event, "complete");
}

#[tokio::test]
async fn refusals_arrive_as_events_and_bad_requests_as_http_errors() {
    let app = TestApp::spawn().await;
    for (body, code) in [
        (
            json!({ "query": "subscription { nope }" }),
            "BAD_USER_INPUT",
        ),
        (json!({ "query": "{ papers(" }), "BAD_USER_INPUT"),
        (json!({}), "BAD_USER_INPUT"),
    ] {
        let mut stream = open(&app, body.clone(), None).await;
        let event = stream.next_event().await.unwrap();
        assert_eq!(event.event, "next", "{body}");
        assert_eq!(
            event.json()["errors"][0]["extensions"]["code"],
            code,
            "{body}"
        );
        assert_eq!(stream.next_event().await.unwrap().event, "complete");
    }

    // A mutation may not be sent by GET.
    let response = app
        .client
        .get(app.url("/graphql/stream"))
        .query(&[("query", "mutation { logout }")])
        .send()
        .await
        .unwrap();
    let event = EventStream::new(response).next_event().await.unwrap();
    assert_eq!(
        event.json()["errors"][0]["extensions"]["code"],
        "BAD_USER_INPUT"
    );

    let unauthorized = app
        .client
        .post(app.url("/graphql/stream"))
        .bearer_auth("not-a-token")
        .json(&json!({ "query": "subscription { paperAdded { id } }" }))
        .send()
        .await
        .unwrap();
    assert_eq!(unauthorized.status(), StatusCode::UNAUTHORIZED);
    let form = app
        .client
        .post(app.url("/graphql/stream"))
        .header("content-type", "text/plain")
        .body(r#"{"query":"{ __typename }"}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(form.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
}

#[tokio::test]
async fn a_signed_in_stream_counts_against_the_users_bound_and_ends_with_its_token() {
    let app = TestApp::spawn_with(|config| {
        config.sockets.max_sockets_per_user = 1;
        config.auth.access_token_seconds = 2;
    })
    .await;
    let user = app.register("streamer").await;
    let query = json!({ "query": "subscription { paperAdded { id } }" });
    let mut first = open(&app, query.clone(), Some(&user.access_token)).await;

    let second = app
        .client
        .post(app.url("/graphql/stream"))
        .bearer_auth(&user.access_token)
        .json(&query)
        .send()
        .await
        .unwrap();
    assert_eq!(second.status(), StatusCode::TOO_MANY_REQUESTS);

    // When the access token expires, the stream says so and completes.
    let expired = first.next_event().await.unwrap();
    assert_eq!(expired.event, "next");
    assert_eq!(
        expired.json()["errors"][0]["extensions"]["code"],
        "UNAUTHENTICATED"
    );
    assert_eq!(first.next_event().await.unwrap().event, "complete");
    assert_eq!(first.next_event().await, None);
}
