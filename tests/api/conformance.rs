//! Exact to the GraphQL spec and to GraphQL over HTTP, as a strict client expects.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::TestApp;

/// POSTs `body` with an `Accept` header; the status, content type and raw body text.
async fn post(app: &TestApp, body: &Value, accept: &str) -> (StatusCode, String, String) {
    let response = app
        .client
        .post(app.url("/graphql"))
        .header("accept", accept)
        .json(body)
        .send()
        .await
        .unwrap();
    let status = response.status();
    let content_type = response.headers()["content-type"]
        .to_str()
        .unwrap()
        .to_owned();
    (status, content_type, response.text().await.unwrap())
}

/// The body as JSON, without the budget report every answer carries (checked in
/// `budget`).
fn parsed(text: &str) -> Value {
    without_cost(serde_json::from_str(text).unwrap())
}

fn without_cost(mut body: Value) -> Value {
    if let Some(body) = body.as_object_mut() {
        body.remove("extensions");
    }
    body
}

/// A request error: no `data` key at all, and every error coded.
fn assert_request_error(text: &str) -> Value {
    let body = parsed(text);
    assert!(body.get("data").is_none(), "no data key: {text}");
    let errors = body["errors"].as_array().unwrap();
    assert!(!errors.is_empty(), "{text}");
    for error in errors {
        assert!(error["extensions"]["code"].is_string(), "{text}");
    }
    body
}

#[tokio::test]
async fn a_null_or_missing_non_null_variable_fails_the_request() {
    let app = TestApp::spawn_with_demo().await;
    let query = "query Q($n: Int!) { papers(first: $n) { totalCount } }";
    for variables in [json!({ "n": null }), json!({})] {
        let (status, _, text) = post(
            &app,
            &json!({ "query": query, "variables": variables }),
            "application/json",
        )
        .await;
        assert_eq!(status, 200);
        let body = assert_request_error(&text);
        assert_eq!(body["errors"][0]["extensions"]["code"], "BAD_USER_INPUT");
    }
    // A default stands in for a missing value.
    let data = app
        .query(
            "query Q($n: Int! = 2) { papers(first: $n) { nodes { id } } }",
            json!({}),
        )
        .await;
    assert_eq!(data["papers"]["nodes"].as_array().unwrap().len(), 2);
}

#[tokio::test]
async fn variables_must_fit_the_positions_they_are_used_in() {
    let app = TestApp::spawn_with_demo().await;
    for (query, variables) in [
        (
            "query Q($n: String) { papers(first: $n) { totalCount } }",
            json!({ "n": "3" }),
        ),
        (
            "query Q($id: String!) { node(id: $id) { id } }",
            json!({ "id": "UGFwZXI6MQ" }),
        ),
        (
            "query Q($id: ID) { node(id: $id) { id } }",
            json!({ "id": "UGFwZXI6MQ" }),
        ),
        (
            "query Q($a: String) { papers(filter: { authorId: $a }) { totalCount } }",
            json!({ "a": "QXV0aG9yOjE" }),
        ),
        (
            "query Q($s: String) { __typename @skip(if: $s) }",
            json!({ "s": "yes" }),
        ),
        (
            "query Q($n: String) { ...F } fragment F on Query { papers(first: $n) { totalCount } }",
            json!({ "n": "1" }),
        ),
    ] {
        let (status, _, text) = post(
            &app,
            &json!({ "query": query, "variables": variables }),
            "application/json",
        )
        .await;
        assert_eq!(status, 200, "{query}");
        let body = assert_request_error(&text);
        assert!(
            body["errors"][0]["message"]
                .as_str()
                .unwrap()
                .contains("used in position"),
            "{query}: {text}"
        );
    }
    // Variables of the wrong shape fail before anything runs.
    for (query, variables) in [
        (
            "query Q($n: Int) { papers(first: $n) { totalCount } }",
            json!({ "n": "three" }),
        ),
        (
            "query Q($n: Int) { papers(first: $n) { totalCount } }",
            json!({ "n": 3_000_000_000_u64 }),
        ),
        (
            "query Q($d: Date) { papers(filter: { publishedFrom: $d }) { totalCount } }",
            json!({ "d": "yesterday" }),
        ),
        (
            "query Q($f: PaperFilter) { papers(filter: $f) { totalCount } }",
            json!({ "f": { "nope": 1 } }),
        ),
        (
            "query Q($w: TrendingWindow) { trendingPapers(window: $w) { totalCount } }",
            json!({ "w": "YEAR" }),
        ),
    ] {
        let (_, _, text) = post(
            &app,
            &json!({ "query": query, "variables": variables }),
            "application/json",
        )
        .await;
        assert_request_error(&text);
    }
}

#[tokio::test]
async fn directives_are_validated_everywhere_and_skipped_selections_are_empty_objects() {
    let app = TestApp::spawn_with_demo().await;
    for query in [
        "{ __typename @nope }",
        "{ __typename @skip }",
        "{ __typename @skip(if: true) @skip(if: false) }",
        "{ __typename @skip(if: \"yes\") }",
        "{ __typename @deprecated }",
        "{ papers(first: 1) @nope { totalCount } }",
    ] {
        let (_, _, text) = post(&app, &json!({ "query": query }), "application/json").await;
        assert_request_error(&text);
    }
    let (_, _, text) = post(
        &app,
        &json!({ "query": "{ __typename @skip(if: true) }" }),
        "application/json",
    )
    .await;
    assert_eq!(parsed(&text), json!({ "data": {} }));
    let (_, _, text) = post(
        &app,
        &json!({ "query": "{ papers(first: 1) { totalCount @skip(if: true) } }" }),
        "application/json",
    )
    .await;
    assert_eq!(parsed(&text), json!({ "data": { "papers": {} } }));
    let data = app
        .query(
            "query($yes: Boolean!) { papers(first: 2) { nodes { title @include(if: $yes) } } }",
            json!({ "yes": false }),
        )
        .await;
    assert_eq!(data["papers"]["nodes"], json!([{}, {}]));
    // A fragment of another type selects nothing: an empty object, not null.
    let id = app
        .query("{ papers(first: 1) { nodes { id } } }", json!({}))
        .await["papers"]["nodes"][0]["id"]
        .clone();
    let data = app
        .query(
            "query($id: ID!) { node(id: $id) { ... on Author { name } } missing: paper(arxivId: \"2501.99999\") { title @skip(if: true) } }",
            json!({ "id": id }),
        )
        .await;
    assert_eq!(data["node"], json!({}));
    assert_eq!(data["missing"], Value::Null, "an absent object stays null");
}

#[tokio::test]
async fn response_keys_follow_the_selection_order() {
    let app = TestApp::spawn_with_demo().await;
    for (query, keys) in [
        (
            "{ papers(first: 2) { totalCount nodes { title } } }",
            vec!["\"totalCount\"", "\"nodes\""],
        ),
        (
            "{ papers(first: 2) { nodes { title } totalCount } }",
            vec!["\"nodes\"", "\"totalCount\""],
        ),
        (
            "{ z: papers(first: 1) { totalCount } a: authors(first: 1) { totalCount pageInfo { hasNextPage } } ...F }
             fragment F on Query { m: dailyPapers(first: 1) { pageInfo { endCursor } totalCount } a: authors(first: 1) { edges { cursor } } }",
            vec!["\"z\"", "\"a\"", "\"totalCount\"", "\"pageInfo\"", "\"edges\"", "\"m\""],
        ),
    ] {
        let (_, _, text) = post(&app, &json!({ "query": query }), "application/json").await;
        let mut last = 0;
        for key in keys {
            let at = text[last..].find(key).unwrap_or_else(|| panic!("{key} after {last} in {text}")) + last;
            last = at;
        }
    }
}

#[tokio::test]
async fn requests_that_never_run_answer_without_data() {
    let app = TestApp::spawn().await;
    for query in [
        "{ papers(first: 1) { ",
        "{ nope }",
        "query A { __typename } query B { __typename }",
    ] {
        let (status, content_type, text) =
            post(&app, &json!({ "query": query }), "application/json").await;
        assert_eq!(status, 200, "{query}");
        assert!(
            content_type.starts_with("application/json"),
            "{content_type}"
        );
        assert_request_error(&text);
        let (status, content_type, text) = post(
            &app,
            &json!({ "query": query }),
            "application/graphql-response+json",
        )
        .await;
        assert_eq!(status, 400, "{query}");
        assert!(
            content_type.starts_with("application/graphql-response+json"),
            "{content_type}"
        );
        assert_request_error(&text);
    }
    let (status, content_type, text) = post(
        &app,
        &json!({ "query": "{ __typename }" }),
        "application/graphql-response+json",
    )
    .await;
    assert_eq!(status, 200);
    assert!(content_type.starts_with("application/graphql-response+json"));
    assert_eq!(parsed(&text), json!({ "data": { "__typename": "Query" } }));
}

#[tokio::test]
async fn a_body_without_a_string_query_is_400() {
    let app = TestApp::spawn().await;
    for body in [
        json!({}),
        json!({ "qeury": "{ __typename }" }),
        json!({ "query": 42 }),
        json!({ "query": "{ __typename }", "variables": "{}" }),
        json!({ "query": "{ __typename }", "operationName": 1 }),
        json!({ "query": "{ __typename }", "extensions": [] }),
    ] {
        for accept in ["application/json", "application/graphql-response+json"] {
            let (status, _, text) = post(&app, &body, accept).await;
            assert_eq!(status, 400, "{body}");
            assert_request_error(&text);
        }
    }
}

#[tokio::test]
async fn get_honours_operation_name() {
    let app = TestApp::spawn_with_demo().await;
    let response = app
        .client
        .get(app.url("/graphql"))
        .query(&[
            (
                "query",
                "query A { __typename } query B { papers(first: 1) { totalCount } }",
            ),
            ("operationName", "B"),
        ])
        .send()
        .await
        .unwrap();
    let body = without_cost(response.json().await.unwrap());
    assert_eq!(body, json!({ "data": { "papers": { "totalCount": 43 } } }));
    let twice = app
        .client
        .get(format!(
            "{}?query=%7B__typename%7D&query=%7B__typename%7D",
            app.url("/graphql")
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(twice.status(), 400);
}

#[tokio::test]
async fn root_types_are_named_query_mutation_and_subscription() {
    let app = TestApp::spawn().await;
    let data = app
        .query(
            "{ __typename __schema { queryType { name } mutationType { name } subscriptionType { name } } }",
            json!({}),
        )
        .await;
    assert_eq!(data["__typename"], "Query");
    assert_eq!(data["__schema"]["queryType"]["name"], "Query");
    assert_eq!(data["__schema"]["mutationType"]["name"], "Mutation");
    assert_eq!(data["__schema"]["subscriptionType"]["name"], "Subscription");
}

#[tokio::test]
async fn an_answer_is_never_much_larger_than_its_question() {
    let app = TestApp::spawn().await;
    let unknown_fields = format!("{{ {} }}", "nope ".repeat(1_900));
    let unused_variables = format!(
        "query Q({}) {{ __typename }}",
        (0..4_000)
            .map(|n| format!("$v{n}: Int"))
            .collect::<Vec<_>>()
            .join(" ")
    );
    for query in [unknown_fields, unused_variables] {
        let (_, _, text) = post(&app, &json!({ "query": query }), "application/json").await;
        let body = assert_request_error(&text);
        let errors = body["errors"].as_array().unwrap();
        assert_eq!(errors.len(), 51, "50 errors and a summary");
        let summary = &errors[50];
        assert!(summary["extensions"]["omittedErrors"].as_i64().unwrap() > 1_000);
        assert!(
            text.len() < query.len(),
            "{} bytes answer {} bytes",
            text.len(),
            query.len()
        );
    }
}
