//! Paper submission, deletion, and live updates over WebSocket.

use std::time::Duration;

use serde_json::{Value, json};

use crate::helpers::TestApp;
use crate::helpers::ws::{LEGACY_WS, TRANSPORT_WS, WsClient};

const SUBMIT: &str = "mutation($i: SubmitPaperInput!) { submitPaper(input: $i) { paper { id title arxivId authors { name } submittedBy { username } } } }";
const UPVOTE: &str = "mutation($p: ID!) { upvotePaper(paperId: $p) { paper { upvoteCount } } }";

fn paper(arxiv_id: &str, title: &str) -> Value {
    json!({
        "arxivId": arxiv_id,
        "title": title,
        "abstract": "We study what a subscription should deliver.",
        "authors": ["Ada Lovelace", "Charles Babbage"],
        "publishedAt": "2025-01-02",
    })
}

async fn submit(app: &TestApp, token: &str, input: Value) -> Value {
    app.gql(SUBMIT)
        .variables(json!({ "i": input }))
        .bearer(token)
        .send()
        .await
        .expect_ok()
}

/// The `start`/`subscribe` verb and the result type of a protocol.
fn verbs(protocol: &str) -> (&'static str, &'static str) {
    if protocol == TRANSPORT_WS {
        ("subscribe", "next")
    } else {
        ("start", "data")
    }
}

async fn count_papers(app: &TestApp) -> i64 {
    app.query("{ papers { totalCount } }", json!({})).await["papers"]["totalCount"]
        .as_i64()
        .unwrap()
}

#[tokio::test]
async fn a_submitted_paper_reaches_subscribers_of_both_protocols() {
    let app = TestApp::spawn().await;
    let token = &app.quick_users("author", 1).await[0];
    let mut clients = Vec::new();
    for protocol in [TRANSPORT_WS, LEGACY_WS] {
        let mut client = app.ws_ready(protocol, None).await;
        client
            .subscribe(
                verbs(protocol).0,
                "added",
                "subscription { paperAdded { title arxivId authors { name } submittedBy { username } } }",
                json!({}),
            )
            .await;
        clients.push((protocol, client));
    }
    // Let both subscriptions register before the event.
    tokio::time::sleep(Duration::from_millis(100)).await;
    submit(&app, token, paper("2501.00001", "Live Papers")).await;
    for (protocol, client) in &mut clients {
        let message = client.next_json().await;
        assert_eq!(message["type"], verbs(protocol).1, "{protocol}");
        assert_eq!(message["id"], "added");
        let delivered = &message["payload"]["data"]["paperAdded"];
        assert_eq!(delivered["title"], "Live Papers");
        assert_eq!(delivered["arxivId"], "2501.00001");
        assert_eq!(
            delivered["authors"],
            json!([{ "name": "Ada Lovelace" }, { "name": "Charles Babbage" }])
        );
        assert_eq!(delivered["submittedBy"]["username"], "author0");
    }
}

#[tokio::test]
async fn filters_keep_out_papers_that_do_not_match() {
    let app = TestApp::spawn().await;
    let token = &app.quick_users("filtered", 1).await[0];
    let mut client = app.ws_ready(TRANSPORT_WS, None).await;
    client
        .subscribe(
            "subscribe",
            "code",
            "subscription { paperAdded(filter: {hasCode: true, publishedFrom: \"2025-01-01\"}) { title } }",
            json!({}),
        )
        .await;
    tokio::time::sleep(Duration::from_millis(100)).await;
    submit(&app, token, paper("2501.00002", "No Code Here")).await;
    let mut old = paper("2501.00003", "Old With Code");
    old["githubUrl"] = json!("https://github.com/example/old");
    old["publishedAt"] = json!("2019-05-05");
    submit(&app, token, old).await;
    let mut wanted = paper("2501.00004", "New With Code");
    wanted["githubUrl"] = json!("https://github.com/example/new");
    submit(&app, token, wanted).await;
    // The first delivery is the only matching paper.
    let message = client.next_json().await;
    assert_eq!(
        message["payload"]["data"]["paperAdded"]["title"],
        "New With Code"
    );
}

#[tokio::test]
async fn upvote_changes_reach_the_subscribers_of_that_paper() {
    let app = TestApp::spawn_with_demo().await;
    let tokens = app.quick_users("clicker", 2).await;
    let ids: Vec<String> = app
        .query("{ papers(first: 2) { nodes { id } } }", json!({}))
        .await["papers"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["id"].as_str().unwrap().to_owned())
        .collect();
    let mut one = app.ws_ready(TRANSPORT_WS, None).await;
    one.subscribe(
        "subscribe",
        "one",
        "subscription($p: ID) { paperUpvoteChanged(paperId: $p) { upvoteCount paper { id } } }",
        json!({ "p": ids[1] }),
    )
    .await;
    let mut all = app.ws_ready(TRANSPORT_WS, None).await;
    all.subscribe(
        "subscribe",
        "all",
        "subscription { paperUpvoteChanged { upvoteCount paper { id } } }",
        json!({}),
    )
    .await;
    tokio::time::sleep(Duration::from_millis(100)).await;
    for (token, paper) in [
        (&tokens[0], &ids[0]),
        (&tokens[0], &ids[1]),
        (&tokens[1], &ids[1]),
    ] {
        app.gql(UPVOTE)
            .variables(json!({ "p": paper }))
            .bearer(token)
            .send()
            .await
            .expect_ok();
    }
    let mut seen_by_all = Vec::new();
    for _ in 0..3 {
        let event = all.next_json().await["payload"]["data"]["paperUpvoteChanged"].clone();
        seen_by_all.push((
            event["paper"]["id"].as_str().unwrap().to_owned(),
            event["upvoteCount"].as_i64().unwrap(),
        ));
    }
    assert_eq!(
        seen_by_all,
        vec![
            (ids[0].clone(), 1),
            (ids[1].clone(), 1),
            (ids[1].clone(), 2)
        ]
    );
    for expected in [1, 2] {
        let event = one.next_json().await;
        assert_eq!(
            event["payload"]["data"]["paperUpvoteChanged"]["upvoteCount"],
            expected
        );
        assert_eq!(
            event["payload"]["data"]["paperUpvoteChanged"]["paper"]["id"],
            json!(ids[1])
        );
    }
}

#[tokio::test]
async fn viewer_fields_in_events_are_resolved_for_each_subscriber() {
    let app = TestApp::spawn_with_demo().await;
    let tokens = app.quick_users("viewer", 2).await;
    let paper = app
        .query("{ papers(first: 1) { nodes { id } } }", json!({}))
        .await["papers"]["nodes"][0]["id"]
        .clone();
    let query = "subscription { paperUpvoteChanged { paper { viewerHasUpvoted } } }";
    let mut voter = app.ws_ready(TRANSPORT_WS, Some(&tokens[0])).await;
    voter.subscribe("subscribe", "v", query, json!({})).await;
    let mut watcher = app.ws_ready(TRANSPORT_WS, Some(&tokens[1])).await;
    watcher.subscribe("subscribe", "w", query, json!({})).await;
    let mut anonymous = app.ws_ready(LEGACY_WS, None).await;
    anonymous.subscribe("start", "a", query, json!({})).await;
    tokio::time::sleep(Duration::from_millis(100)).await;
    app.gql(UPVOTE)
        .variables(json!({ "p": paper }))
        .bearer(&tokens[0])
        .send()
        .await
        .expect_ok();
    let flag = |message: Value| {
        message["payload"]["data"]["paperUpvoteChanged"]["paper"]["viewerHasUpvoted"].clone()
    };
    assert_eq!(flag(voter.next_json().await), true);
    assert_eq!(flag(watcher.next_json().await), false);
    assert_eq!(flag(anonymous.next_json().await), false);
}

#[tokio::test]
async fn a_duplicate_operation_id_closes_with_4409() {
    let app = TestApp::spawn().await;
    let mut client = app.ws_ready(TRANSPORT_WS, None).await;
    let query = "subscription { paperAdded { id } }";
    client
        .subscribe("subscribe", "same", query, json!({}))
        .await;
    client
        .subscribe("subscribe", "same", query, json!({}))
        .await;
    assert_eq!(client.close_code().await.0, 4409);
}

#[tokio::test]
async fn completing_a_subscription_stops_it_and_frees_its_id() {
    let app = TestApp::spawn().await;
    let token = &app.quick_users("stopper", 1).await[0];
    let mut client = app.ws_ready(TRANSPORT_WS, None).await;
    let query = "subscription { paperAdded { title } }";
    client.subscribe("subscribe", "s", query, json!({})).await;
    client
        .send_json(json!({ "type": "complete", "id": "s" }))
        .await;
    client.subscribe("subscribe", "s", query, json!({})).await;
    tokio::time::sleep(Duration::from_millis(100)).await;
    submit(&app, token, paper("2501.00010", "Once")).await;
    let message = client.next_json().await;
    assert_eq!(message["id"], "s");
    assert_eq!(message["payload"]["data"]["paperAdded"]["title"], "Once");
}

#[tokio::test]
async fn operations_per_socket_are_bounded() {
    let app = TestApp::spawn_with(|config| config.sockets.max_operations_per_socket = 2).await;
    let mut client = app.ws_ready(TRANSPORT_WS, None).await;
    for id in ["a", "b", "c"] {
        client
            .subscribe(
                "subscribe",
                id,
                "subscription { paperAdded { id } }",
                json!({}),
            )
            .await;
    }
    let refused = client.next_json().await;
    assert_eq!(refused["type"], "error");
    assert_eq!(refused["id"], "c");
    assert_eq!(refused["payload"][0]["extensions"]["code"], "RATE_LIMITED");
}

#[tokio::test]
async fn a_failed_submission_publishes_nothing() {
    let app = TestApp::spawn().await;
    let token = &app.quick_users("careful", 1).await[0];
    submit(&app, token, paper("2501.00020", "First")).await;
    let mut client = app.ws_ready(TRANSPORT_WS, None).await;
    client
        .subscribe(
            "subscribe",
            "s",
            "subscription { paperAdded { title } }",
            json!({}),
        )
        .await;
    tokio::time::sleep(Duration::from_millis(100)).await;
    let conflict = app
        .gql(SUBMIT)
        .variables(json!({ "i": paper("2501.00020", "Again") }))
        .bearer(token)
        .send()
        .await;
    assert_eq!(conflict.error_code(), "CONFLICT");
    assert_eq!(conflict.error_field().as_deref(), Some("input.arxivId"));
    submit(&app, token, paper("2501.00021", "Second")).await;
    let message = client.next_json().await;
    assert_eq!(message["payload"]["data"]["paperAdded"]["title"], "Second");
}

#[tokio::test]
async fn submissions_need_a_signed_in_user_and_are_rate_limited() {
    let app = TestApp::spawn_with(|config| config.activity.submissions_per_hour = 2).await;
    let anonymous = app
        .gql(SUBMIT)
        .variables(json!({ "i": paper("2501.00030", "Anon") }))
        .send()
        .await;
    assert_eq!(anonymous.error_code(), "UNAUTHENTICATED");
    let token = &app.quick_users("prolific", 1).await[0];
    submit(&app, token, paper("2501.00031", "One")).await;
    submit(&app, token, paper("2501.00032", "Two")).await;
    let third = app
        .gql(SUBMIT)
        .variables(json!({ "i": paper("2501.00033", "Three") }))
        .bearer(token)
        .send()
        .await;
    assert_eq!(third.error_code(), "RATE_LIMITED");
    assert_eq!(count_papers(&app).await, 2);
}

#[tokio::test]
async fn every_invalid_submission_field_is_named_and_nothing_is_stored() {
    let app = TestApp::spawn().await;
    let token = &app.quick_users("validator", 1).await[0];
    let future = (chrono::Utc::now() + chrono::Duration::days(3))
        .format("%Y-%m-%d")
        .to_string();
    let with = |key: &str, value: Value| {
        let mut input = paper("2501.00040", "Valid Title");
        input[key] = value;
        input
    };
    let cases = [
        (with("title", json!("   ")), "input.title"),
        (with("title", json!("t".repeat(301))), "input.title"),
        (with("abstract", json!("")), "input.abstract"),
        (
            with("abstract", json!("a".repeat(10_001))),
            "input.abstract",
        ),
        (with("authors", json!([])), "input.authors"),
        (with("authors", json!(["Ada", " "])), "input.authors[1]"),
        (
            with("authors", json!(["Ada", "x".repeat(201)])),
            "input.authors[1]",
        ),
        (with("authors", json!(vec!["Same"; 2])), "input.authors[1]"),
        (
            with(
                "authors",
                json!((0..201).map(|i| format!("Author {i}")).collect::<Vec<_>>()),
            ),
            "input.authors",
        ),
        (with("arxivId", json!("not-an-id")), "input.arxivId"),
        (with("arxivId", json!("2513.00001")), "input.arxivId"),
        (
            with("githubUrl", json!("javascript:alert(1)")),
            "input.githubUrl",
        ),
        (
            with("githubUrl", json!("ftp://example.org/x")),
            "input.githubUrl",
        ),
        (
            with(
                "projectUrl",
                json!(format!("https://example.org/{}", "p".repeat(2_048))),
            ),
            "input.projectUrl",
        ),
        (
            with("projectUrl", json!("data:text/html,hi")),
            "input.projectUrl",
        ),
        (with("publishedAt", json!(future)), "input.publishedAt"),
    ];
    for (input, field) in cases {
        let response = app
            .gql(SUBMIT)
            .variables(json!({ "i": input }))
            .bearer(token)
            .send()
            .await;
        assert_eq!(response.error_code(), "BAD_USER_INPUT", "{field}");
        assert_eq!(
            response.error_field().as_deref(),
            Some(field),
            "{}",
            response.body
        );
    }
    let bad_date = app
        .gql(SUBMIT)
        .variables(json!({ "i": with("publishedAt", json!("2025-02-30")) }))
        .bearer(token)
        .send()
        .await;
    assert_eq!(bad_date.error_code(), "BAD_USER_INPUT");
    assert_eq!(count_papers(&app).await, 0);
    let authors = app.query("{ authors { totalCount } }", json!({})).await;
    assert_eq!(
        authors["authors"]["totalCount"], 0,
        "no author was created either"
    );
}

#[tokio::test]
async fn submitted_authors_are_matched_to_existing_ones() {
    let app = TestApp::spawn_with_demo().await;
    let token = &app.quick_users("matcher", 1).await[0];
    let before = app.query("{ authors { totalCount } }", json!({})).await["authors"]["totalCount"]
        .as_i64()
        .unwrap();
    let mut input = paper("2501.00050", "Matched");
    input["authors"] = json!(["Hongyang Zhang", "A Brand New Author"]);
    submit(&app, token, input).await;
    let after = app.query("{ authors { totalCount } }", json!({})).await["authors"]["totalCount"]
        .as_i64()
        .unwrap();
    assert_eq!(after, before + 1);
    let data = app
        .query(
            r#"{ authors(nameContains: "Hongyang Zhang") { nodes { paperCount } } }"#,
            json!({}),
        )
        .await;
    assert_eq!(data["authors"]["nodes"][0]["paperCount"], 3);
}

#[tokio::test]
async fn only_admins_delete_papers_and_deletion_takes_byline_and_upvotes() {
    let app = TestApp::spawn_with_demo().await;
    let tokens = app.quick_users("member", 1).await;
    let data = app
        .query(r#"{ paper(arxivId: "2508.07229") { id } }"#, json!({}))
        .await;
    let id = data["paper"]["id"].clone();
    app.gql(UPVOTE)
        .variables(json!({ "p": id }))
        .bearer(&tokens[0])
        .send()
        .await
        .expect_ok();
    let delete = "mutation($id: ID!) { deletePaper(id: $id) }";
    let forbidden = app
        .gql(delete)
        .variables(json!({ "id": id }))
        .bearer(&tokens[0])
        .send()
        .await;
    assert_eq!(forbidden.error_code(), "FORBIDDEN");
    assert_eq!(
        app.gql(delete)
            .variables(json!({ "id": id }))
            .send()
            .await
            .error_code(),
        "UNAUTHENTICATED"
    );

    let admin = app.register("overseer").await;
    app.promote("overseer").await;
    use sea_orm::{ConnectionTrait, Statement};
    let db = app.state.db.writer();
    let deleted = app
        .gql(delete)
        .variables(json!({ "id": id }))
        .bearer(&admin.access_token)
        .send()
        .await
        .expect_ok();
    assert_eq!(deleted["deletePaper"], id);
    let gone = app
        .query(
            "query($id: ID!) { node(id: $id) { id } }",
            json!({ "id": id }),
        )
        .await;
    assert_eq!(gone["node"], Value::Null);
    assert_eq!(count_papers(&app).await, 42);
    for table in ["paper_authors", "upvotes"] {
        let row = db
            .query_one_raw(Statement::from_string(
                db.get_database_backend(),
                format!(
                    "SELECT COUNT(*) FROM {table} WHERE paper_id NOT IN (SELECT id FROM papers)"
                ),
            ))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(row.try_get_by_index::<i64>(0).unwrap(), 0, "{table}");
    }
    let again = app
        .gql(delete)
        .variables(json!({ "id": id }))
        .bearer(&admin.access_token)
        .send()
        .await;
    assert_eq!(again.error_code(), "NOT_FOUND");
    let wrong_type = app
        .gql(delete)
        .variables(json!({ "id": "QXV0aG9yOjE" }))
        .bearer(&admin.access_token)
        .send()
        .await;
    assert_eq!(wrong_type.error_code(), "BAD_USER_INPUT");
}

#[tokio::test]
async fn a_paper_submitted_on_one_instance_reaches_subscribers_of_another() {
    let app = TestApp::spawn().await;
    if !app.is_postgres() {
        // Instances share events through PostgreSQL LISTEN/NOTIFY; SQLite runs one instance.
        return;
    }
    let second = app.second_instance().await;
    let token = &app.quick_users("remote", 1).await[0];
    let mut client: WsClient = second.ws_ready(TRANSPORT_WS, None).await;
    client
        .subscribe(
            "subscribe",
            "x",
            "subscription { paperAdded { title } }",
            json!({}),
        )
        .await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    let sent = std::time::Instant::now();
    submit(&app, token, paper("2501.00060", "Across Instances")).await;
    let message = client.next_json().await;
    assert_eq!(
        message["payload"]["data"]["paperAdded"]["title"],
        "Across Instances"
    );
    assert!(
        sent.elapsed() < Duration::from_secs(2),
        "delivered in {:?}",
        sent.elapsed()
    );
}

#[tokio::test]
async fn identical_anonymous_subscriptions_share_results_and_leave_independently() {
    let app = TestApp::spawn().await;
    let token = &app.quick_users("sharer", 1).await[0];
    let query = "subscription { paperAdded { title } }";
    let mut first = app.ws_ready(TRANSPORT_WS, None).await;
    first.subscribe("subscribe", "one", query, json!({})).await;
    let mut second = app.ws_ready(LEGACY_WS, None).await;
    second.subscribe("start", "two", query, json!({})).await;
    tokio::time::sleep(Duration::from_millis(100)).await;
    submit(&app, token, paper("2501.00070", "Shared")).await;
    assert_eq!(
        first.next_json().await["payload"]["data"]["paperAdded"]["title"],
        "Shared"
    );
    let legacy = second.next_json().await;
    assert_eq!(
        (legacy["type"].as_str(), legacy["id"].as_str()),
        (Some("data"), Some("two"))
    );
    assert_eq!(legacy["payload"]["data"]["paperAdded"]["title"], "Shared");

    // One leaves; the other keeps receiving.
    first
        .send_json(json!({ "type": "complete", "id": "one" }))
        .await;
    submit(&app, token, paper("2501.00071", "Still Shared")).await;
    assert_eq!(
        second.next_json().await["payload"]["data"]["paperAdded"]["title"],
        "Still Shared"
    );

    // Everyone leaves; a newcomer starts afresh and only sees what follows.
    second
        .send_json(json!({ "type": "stop", "id": "two" }))
        .await;
    assert_eq!(
        second.next_json().await,
        json!({ "type": "complete", "id": "two" })
    );
    let mut third = app.ws_ready(TRANSPORT_WS, None).await;
    third
        .subscribe("subscribe", "three", query, json!({}))
        .await;
    tokio::time::sleep(Duration::from_millis(100)).await;
    submit(&app, token, paper("2501.00072", "Fresh")).await;
    assert_eq!(
        third.next_json().await["payload"]["data"]["paperAdded"]["title"],
        "Fresh"
    );
}
