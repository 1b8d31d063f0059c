//! Persisted queries: Apollo's automatic protocol, shared by the instances of one database,
//! and the trusted-documents mode in which only an operator's manifest runs.

use paperboard::digest::sha256_hex;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{GqlResponse, TestApp};

const FRONT_PAGE: &str = "query Front { papers(first: 2) { nodes { title } } }";

fn apq(hash: &str) -> Value {
    json!({ "persistedQuery": { "version": 1, "sha256Hash": hash } })
}

/// A POST of `body` to `/graphql`.
async fn post(app: &TestApp, body: Value) -> GqlResponse {
    GqlResponse::read(
        app.client
            .post(app.url("/graphql"))
            .json(&body)
            .send()
            .await
            .unwrap(),
    )
    .await
}

/// A GET of `/graphql` with these URL parameters.
async fn get(app: &TestApp, params: &[(&str, String)]) -> GqlResponse {
    GqlResponse::read(
        app.client
            .get(app.url("/graphql"))
            .query(params)
            .send()
            .await
            .unwrap(),
    )
    .await
}

fn titles(data: &Value) -> usize {
    data["papers"]["nodes"].as_array().map_or(0, Vec::len)
}

#[tokio::test]
async fn a_document_is_taught_once_then_named_by_hash_on_every_instance() {
    let app = TestApp::spawn_with_demo().await;
    let hash = sha256_hex(FRONT_PAGE.as_bytes());

    let unknown = post(&app, json!({ "extensions": apq(&hash) })).await;
    assert_eq!(unknown.status, StatusCode::OK);
    assert_eq!(
        unknown.body["errors"][0]["message"],
        "PersistedQueryNotFound"
    );
    assert_eq!(unknown.error_code(), "PERSISTED_QUERY_NOT_FOUND");
    assert!(unknown.body.get("data").is_none());
    assert_eq!(unknown.headers["cache-control"], "no-store");

    let taught = post(
        &app,
        json!({ "query": FRONT_PAGE, "extensions": apq(&hash) }),
    )
    .await;
    assert_eq!(titles(&taught.expect_ok()), 2);

    let by_hash = post(&app, json!({ "extensions": apq(&hash) })).await;
    assert_eq!(titles(&by_hash.expect_ok()), 2);

    // A GET by hash is a short URL that shared caches may keep.
    let extensions = apq(&hash).to_string();
    let got = get(&app, &[("extensions", extensions.clone())]).await;
    assert!(
        got.headers["cache-control"]
            .to_str()
            .unwrap()
            .starts_with("public"),
        "{:?}",
        got.headers
    );
    assert_eq!(titles(&got.expect_ok()), 2);

    // `documentId` (GraphQL over HTTP) names the same document.
    let by_id = get(&app, &[("documentId", format!("sha256:{hash}"))]).await;
    assert_eq!(titles(&by_id.expect_ok()), 2);

    // Another instance on the same database knows it without being taught.
    let other = app.second_instance().await;
    let there = post(&other, json!({ "extensions": apq(&hash) })).await;
    assert_eq!(titles(&there.expect_ok()), 2);
}

#[tokio::test]
async fn a_wrong_hash_or_an_invalid_document_is_refused_and_never_stored() {
    let app = TestApp::spawn_with_demo().await;
    let other_hash = sha256_hex(b"{ __typename }");
    let mismatch = post(
        &app,
        json!({ "query": FRONT_PAGE, "extensions": apq(&other_hash) }),
    )
    .await;
    assert_eq!(mismatch.error_code(), "BAD_USER_INPUT");
    assert_eq!(
        mismatch.body["errors"][0]["message"],
        "provided sha does not match query"
    );

    let invalid = "{ papers { noSuchField } }";
    let invalid_hash = sha256_hex(invalid.as_bytes());
    let refused = post(
        &app,
        json!({ "query": invalid, "extensions": apq(&invalid_hash) }),
    )
    .await;
    assert_eq!(refused.error_code(), "BAD_USER_INPUT");

    for hash in [other_hash, invalid_hash] {
        let named = post(&app, json!({ "extensions": apq(&hash) })).await;
        assert_eq!(
            named.error_code(),
            "PERSISTED_QUERY_NOT_FOUND",
            "{}",
            named.body
        );
    }
    assert_eq!(app.count("SELECT COUNT(*) FROM persisted_queries").await, 0);

    for (extension, code) in [
        (
            json!({ "persistedQuery": { "version": 2, "sha256Hash": sha256_hex(b"x") } }),
            "BAD_USER_INPUT",
        ),
        (
            json!({ "persistedQuery": { "version": 1, "sha256Hash": "abc" } }),
            "BAD_USER_INPUT",
        ),
        (json!({ "persistedQuery": "abc" }), "BAD_USER_INPUT"),
    ] {
        let answer = post(&app, json!({ "extensions": extension })).await;
        assert_eq!(answer.error_code(), code, "{extension}");
    }
    let missing = post(&app, json!({})).await;
    assert_eq!(missing.error_code(), "BAD_USER_INPUT");
    assert_eq!(missing.status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn persisted_queries_can_be_turned_off() {
    let app = TestApp::spawn_with(|config| config.ecosystem.persisted_queries_max = 0).await;
    let hash = sha256_hex(FRONT_PAGE.as_bytes());
    let answer = post(
        &app,
        json!({ "query": FRONT_PAGE, "extensions": apq(&hash) }),
    )
    .await;
    assert_eq!(answer.error_code(), "BAD_USER_INPUT");
    assert_eq!(
        answer.body["errors"][0]["message"],
        "PersistedQueryNotSupported"
    );
    assert_eq!(
        post(&app, json!({ "query": FRONT_PAGE })).await.body["errors"],
        Value::Null,
        "plain requests still run"
    );
}

#[tokio::test]
async fn the_store_keeps_the_most_recently_used_documents() {
    let app = TestApp::spawn_with(|config| config.ecosystem.persisted_queries_max = 2).await;
    let documents: Vec<String> = (1..=3)
        .map(|n| format!("query Q{n} {{ papers(first: {n}) {{ totalCount }} }}"))
        .collect();
    for document in &documents {
        let hash = sha256_hex(document.as_bytes());
        post(&app, json!({ "query": document, "extensions": apq(&hash) }))
            .await
            .expect_ok();
        // Distinct `last_used_at` values.
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert_eq!(app.state.persisted.prune().await.unwrap(), 1);
    // A fresh instance has nothing in memory: it sees the store as it is.
    let other = app.second_instance().await;
    let first = post(
        &other,
        json!({ "extensions": apq(&sha256_hex(documents[0].as_bytes())) }),
    )
    .await;
    assert_eq!(first.error_code(), "PERSISTED_QUERY_NOT_FOUND");
    for document in &documents[1..] {
        post(
            &other,
            json!({ "extensions": apq(&sha256_hex(document.as_bytes())) }),
        )
        .await
        .expect_ok();
    }
}

mod trusted {
    use super::*;

    use crate::helpers::ws::Received;

    const LISTED: &str = "query Listed { papers(first: 1) { totalCount } }";
    const SUBSCRIPTION: &str = "subscription { paperAdded { title } }";

    async fn locked_app(manifest: &Value) -> (TestApp, tempfile::TempDir) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("persisted-documents.json");
        std::fs::write(&path, manifest.to_string()).unwrap();
        let app = TestApp::spawn_with(|config| {
            config.ecosystem.trusted_documents = Some(path);
        })
        .await;
        (app, dir)
    }

    #[tokio::test]
    async fn only_listed_documents_run_on_every_transport() {
        let listed = sha256_hex(LISTED.as_bytes());
        let (app, _dir) = locked_app(&json!({
            "format": "apollo-persisted-query-manifest",
            "version": 1,
            "operations": [
                { "id": listed, "name": "Listed", "type": "query", "body": LISTED },
                { "id": sha256_hex(SUBSCRIPTION.as_bytes()), "name": null, "type": "subscription", "body": SUBSCRIPTION },
            ],
        }))
        .await;

        post(&app, json!({ "extensions": apq(&listed) }))
            .await
            .expect_ok();
        get(&app, &[("documentId", listed.clone())])
            .await
            .expect_ok();
        post(&app, json!({ "query": LISTED })).await.expect_ok();

        let unlisted = post(
            &app,
            json!({ "query": "{ papers(first: 1) { totalCount } }" }),
        )
        .await;
        assert_eq!(unlisted.error_code(), "PERSISTED_QUERY_NOT_ALLOWED");
        let unknown = post(&app, json!({ "extensions": apq(&sha256_hex(b"nope")) })).await;
        assert_eq!(unknown.error_code(), "PERSISTED_QUERY_NOT_ALLOWED");
        // Nothing can be taught.
        let document = "{ __typename }";
        let taught = post(
            &app,
            json!({ "query": document, "extensions": apq(&sha256_hex(document.as_bytes())) }),
        )
        .await;
        assert_eq!(taught.error_code(), "PERSISTED_QUERY_NOT_ALLOWED");

        let mut socket = app.ws_ready("graphql-transport-ws", None).await;
        socket
            .subscribe(
                "subscribe",
                "1",
                "subscription { paperAdded { id } }",
                json!({}),
            )
            .await;
        match socket.receive().await {
            Received::Json(message) => {
                assert_eq!(message["type"], "error");
                assert_eq!(
                    message["payload"][0]["extensions"]["code"],
                    "PERSISTED_QUERY_NOT_ALLOWED"
                );
            }
            other => panic!("expected an error, got {other:?}"),
        }
        socket
            .subscribe("subscribe", "2", SUBSCRIPTION, json!({}))
            .await;
        assert!(
            tokio::time::timeout(std::time::Duration::from_millis(300), socket.receive())
                .await
                .is_err(),
            "the listed subscription runs and waits for papers"
        );
    }

    #[tokio::test]
    async fn a_manifest_that_lies_about_a_hash_stops_the_start() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("manifest.json");
        std::fs::write(&path, json!({ sha256_hex(b"other"): LISTED }).to_string()).unwrap();
        let db = crate::helpers::TestDb::create().await;
        let mut config = paperboard::Config::for_database(db.config());
        config.ecosystem.trusted_documents = Some(path);
        let error = paperboard::Application::build(config)
            .await
            .err()
            .expect("the start fails");
        assert!(error.to_string().contains("not the SHA-256"), "{error}");
    }
}
