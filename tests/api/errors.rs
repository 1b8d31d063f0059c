//! Bad input gets a clear error with the right code; internal failures never leak detail.

use serde_json::json;

use crate::helpers::TestApp;

#[tokio::test]
async fn page_sizes_outside_one_to_a_hundred_are_bad_user_input() {
    let app = TestApp::spawn_with_demo().await;
    for (args, field) in [
        ("first: 0", "first"),
        ("first: 101", "first"),
        ("first: -5", "first"),
        ("last: 101", "last"),
        ("last: 0", "last"),
        ("first: 2, last: 2", "last"),
    ] {
        let response = app
            .gql(&format!("{{ papers({args}) {{ totalCount }} }}"))
            .send()
            .await;
        assert_eq!(response.error_code(), "BAD_USER_INPUT", "{args}");
        assert_eq!(response.error_field().as_deref(), Some(field), "{args}");
    }
    let nested = app
        .gql("{ authors(first: 1) { nodes { papers(first: 1000) { totalCount } } } }")
        .send()
        .await;
    assert_eq!(nested.error_code(), "BAD_USER_INPUT");
}

#[tokio::test]
async fn malformed_or_foreign_cursors_are_bad_user_input() {
    let app = TestApp::spawn_with_demo().await;
    let data = app
        .query("{ papers(first: 1) { pageInfo { endCursor } } }", json!({}))
        .await;
    let paper_cursor = data["papers"]["pageInfo"]["endCursor"]
        .as_str()
        .unwrap()
        .to_owned();
    for (query, cursor) in [
        (
            "query($c: String) { papers(after: $c) { totalCount } }",
            "garbage!",
        ),
        (
            "query($c: String) { papers(before: $c) { totalCount } }",
            "eyJ4IjoxfQ",
        ),
        ("query($c: String) { papers(after: $c) { totalCount } }", ""),
        (
            "query($c: String) { authors(after: $c) { totalCount } }",
            paper_cursor.as_str(),
        ),
        (
            "query($c: String) { papers(after: $c, orderBy: {field: UPVOTES, direction: DESC}) { totalCount } }",
            paper_cursor.as_str(),
        ),
        (
            "query($c: String) { dailyPapers(after: $c) { totalCount } }",
            paper_cursor.as_str(),
        ),
    ] {
        let response = app
            .gql(query)
            .variables(json!({ "c": cursor }))
            .send()
            .await;
        assert_eq!(
            response.error_code(),
            "BAD_USER_INPUT",
            "{query} with {cursor:?}"
        );
    }
    let huge = "A".repeat(100_000);
    let response = app
        .gql("query($c: String) { papers(after: $c) { totalCount } }")
        .variables(json!({ "c": huge }))
        .send()
        .await;
    assert!(response.status == 413 || response.error_code() == "BAD_USER_INPUT");
}

#[tokio::test]
async fn malformed_ids_and_ids_of_another_type_are_bad_user_input() {
    let app = TestApp::spawn_with_demo().await;
    let data = app
        .query("{ authors(first: 1) { nodes { id } } }", json!({}))
        .await;
    let author_id = data["authors"]["nodes"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let cases = [
        (
            "query($id: ID!) { node(id: $id) { id } }",
            "not-an-id".to_owned(),
        ),
        (
            "query($id: ID!) { paper(id: $id) { id } }",
            author_id.clone(),
        ),
        (
            "query($id: ID!) { author(id: $id) { id } }",
            "UGFwZXI6MQ".to_owned(),
        ),
        (
            "query($id: ID!) { papers(filter: {authorId: $id}) { totalCount } }",
            "UGFwZXI6MQ".to_owned(),
        ),
        (
            "query($id: ID!) { nodes(ids: [$id]) { id } }",
            "VXNlcjotMQ".to_owned(),
        ),
        (
            "query($id: String) { paper(arxivId: $id) { id } }",
            "not an arxiv id".to_owned(),
        ),
    ];
    for (query, id) in cases {
        let response = app.gql(query).variables(json!({ "id": id })).send().await;
        assert_eq!(response.error_code(), "BAD_USER_INPUT", "{query} with {id}");
    }
    let response = app
        .gql("query($id: ID!) { papers(filter: {authorId: $id}) { totalCount } }")
        .variables(json!({ "id": "UGFwZXI6MQ" }))
        .send()
        .await;
    assert_eq!(response.error_field().as_deref(), Some("filter.authorId"));
}

#[tokio::test]
async fn paper_needs_exactly_one_of_id_and_arxiv_id() {
    let app = TestApp::spawn_with_demo().await;
    for query in [
        "{ paper { id } }",
        r#"{ paper(id: "UGFwZXI6MQ", arxivId: "2410.10977") { id } }"#,
    ] {
        assert_eq!(
            app.gql(query).send().await.error_code(),
            "BAD_USER_INPUT",
            "{query}"
        );
    }
}

#[tokio::test]
async fn invalid_scalars_syntax_and_unknown_fields_are_bad_user_input() {
    let app = TestApp::spawn_with_demo().await;
    for query in [
        r#"{ dailyPapers(date: "2024-13-45") { totalCount } }"#,
        r#"{ dailyPapers(date: "yesterday") { totalCount } }"#,
        r#"{ papers(filter: {submittedAfter: "noon"}) { totalCount } }"#,
        r#"{ papers(filter: {publishedFrom: 20240101}) { totalCount } }"#,
        "{ papers { nope } }",
        "{ papers(",
        "query { papers { totalCount } } query { papers { totalCount } }",
        "{ nodes(ids: [1, 2]) { __typename id } }",
    ] {
        let response = app.gql(query).send().await;
        assert_eq!(response.status, 200, "{query}");
        assert!(!response.error_codes().is_empty(), "{query} must fail");
        assert!(
            response
                .error_codes()
                .iter()
                .all(|code| code == "BAD_USER_INPUT"),
            "{query}: {}",
            response.body
        );
    }
}

#[tokio::test]
async fn too_many_node_ids_are_refused() {
    let app = TestApp::spawn_with_demo().await;
    let ids: Vec<String> = (1..=101).map(|_| "UGFwZXI6MQ".to_owned()).collect();
    let response = app
        .gql("query($ids: [ID!]!) { nodes(ids: $ids) { id } }")
        .variables(json!({ "ids": ids }))
        .send()
        .await;
    assert_eq!(response.error_code(), "BAD_USER_INPUT");
}

#[tokio::test]
async fn database_failures_are_internal_errors_without_detail() {
    let app = TestApp::spawn().await;
    // Break the schema under the running server.
    use sea_orm::{ConnectionTrait, Statement};
    let db = app.state.db.writer();
    db.execute_raw(Statement::from_string(
        db.get_database_backend(),
        "ALTER TABLE authors RENAME TO authors_gone",
    ))
    .await
    .unwrap();
    let response = app
        .gql("{ authors { totalCount nodes { name } } }")
        .send()
        .await;
    assert_eq!(response.status, 200);
    assert_eq!(response.error_codes()[0], "INTERNAL_SERVER_ERROR");
    let text = response.body.to_string().to_lowercase();
    for leak in [
        "authors", "select", "sqlite", "postgres", "relation", "table", "sql",
    ] {
        assert!(
            !response.body["errors"][0]["message"]
                .as_str()
                .unwrap()
                .to_lowercase()
                .contains(leak),
            "the message leaks {leak:?}: {text}"
        );
    }
    assert_eq!(
        response.body["errors"][0]["message"],
        "internal server error"
    );
}
