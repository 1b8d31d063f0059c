//! Hostile operations are refused cheaply, and the server stays up.

use std::time::{Duration, Instant};

use serde_json::json;

use crate::helpers::{ServerProcess, TestApp, TestDb};

/// The query GraphiQL and most client tools send to learn the schema.
const INTROSPECTION_QUERY: &str = r#"
query IntrospectionQuery {
  __schema {
    queryType { name } mutationType { name } subscriptionType { name }
    types { ...FullType }
    directives { name description locations args { ...InputValue } }
  }
}
fragment FullType on __Type {
  kind name description
  fields(includeDeprecated: true) {
    name description args { ...InputValue } type { ...TypeRef } isDeprecated deprecationReason
  }
  inputFields { ...InputValue }
  interfaces { ...TypeRef }
  enumValues(includeDeprecated: true) { name description isDeprecated deprecationReason }
  possibleTypes { ...TypeRef }
}
fragment InputValue on __InputValue { name description type { ...TypeRef } defaultValue }
fragment TypeRef on __Type {
  kind name
  ofType { kind name ofType { kind name ofType { kind name ofType { kind name
    ofType { kind name ofType { kind name ofType { kind name } } } } } } }
}
"#;

async fn assert_alive(app: &TestApp) {
    let response = app.client.get(app.url("/healthz")).send().await.unwrap();
    assert_eq!(response.status(), 200);
}

/// Introspection queries of the tools frontends use: graphql-js's `getIntrospectionQuery()`
/// (GraphiQL, Apollo), and with every option on (GraphQL Code Generator's set and more).
const TOOL_INTROSPECTION_QUERIES: [&str; 2] = [
    include_str!("fixtures/introspection-graphql-js.graphql"),
    include_str!("fixtures/introspection-all-options.graphql"),
];

#[tokio::test]
async fn the_standard_introspection_queries_pass_the_limits() {
    let app = TestApp::spawn().await;
    for query in std::iter::once(INTROSPECTION_QUERY).chain(TOOL_INTROSPECTION_QUERIES) {
        let data = app.query(query, json!({})).await;
        let types = data["__schema"]["types"].as_array().unwrap();
        assert!(types.iter().any(|t| t["name"] == "Paper"));
    }
}

/// The amplification attack: type lists nested `levels` deep (interfaces → possibleTypes
/// → …) with `aliases` aliased `fields` selections at the bottom.
fn nested_introspection(levels: usize, aliases: usize) -> String {
    let leaf: String = (0..aliases)
        .map(|i| format!("f{i}: fields {{ name description args {{ name description }} type {{ name kind }} }} "))
        .collect();
    let mut query = String::from("{ __schema { types { ");
    for level in 0..levels {
        query.push_str(if level % 2 == 0 {
            "interfaces { "
        } else {
            "possibleTypes { "
        });
    }
    query.push_str(&leaf);
    query.push_str(&"} ".repeat(levels));
    query.push_str("} } }");
    query
}

#[tokio::test]
async fn introspection_amplification_gets_a_small_error() {
    let app = TestApp::spawn().await;
    let hostile = nested_introspection(6, 10);
    assert!(hostile.len() < 1_000, "{} bytes", hostile.len());
    let large = nested_introspection(6, 250);
    assert!(large.len() > 19_000, "{} bytes", large.len());
    // Type lists nested within the allowed depth, but costly once multiplied out.
    let wide: String = (0..40)
        .map(|i| format!("f{i}: fields {{ name description type {{ name }} }} "))
        .collect();
    let wide = format!("{{ __schema {{ types {{ {wide} }} }} }}");
    for query in [&hostile, &large, &wide] {
        let started = Instant::now();
        let response = app
            .client
            .post(app.url("/graphql"))
            .json(&json!({ "query": query }))
            .send()
            .await
            .unwrap();
        let text = response.text().await.unwrap();
        assert!(
            text.len() < 1_000,
            "a small answer, got {} bytes",
            text.len()
        );
        let body: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(
            body["errors"][0]["extensions"]["code"], "QUERY_TOO_COMPLEX",
            "{text}"
        );
        assert!(body.get("data").is_none());
        assert!(started.elapsed() < Duration::from_secs(2));
    }
    assert_alive(&app).await;
}

#[tokio::test]
async fn an_answer_over_the_size_limit_is_one_error() {
    let app = TestApp::spawn_with(|config| {
        config.demo = true;
        config.limits.max_response_bytes = 4_096;
    })
    .await;
    let small = app
        .query("{ papers(first: 2) { nodes { title } } }", json!({}))
        .await;
    assert_eq!(small["papers"]["nodes"].as_array().unwrap().len(), 2);
    let response = app
        .gql("{ papers(first: 43) { nodes { title abstract } } }")
        .send()
        .await;
    assert_eq!(response.error_code(), "RESPONSE_TOO_LARGE");
    assert!(response.body.get("data").is_none(), "no partial body");
}

/// The server's memory stays bounded under introspection attacks: measured on the real
/// binary, whose peak resident size (`VmHWM`) the kernel tracks.
#[tokio::test]
async fn introspection_attacks_leave_memory_bounded() {
    let db = TestDb::create().await;
    let server = ServerProcess::start(&db, &["--demo"]).await;
    let client = reqwest::Client::new();
    let before = server.peak_rss_kib();
    let attacks = [
        nested_introspection(6, 10),
        nested_introspection(6, 250),
        nested_introspection(2, 250),
    ];
    for _ in 0..5 {
        for query in &attacks {
            let response = client
                .post(server.url("/graphql"))
                .json(&json!({ "query": query }))
                .send()
                .await
                .unwrap();
            let text = response.text().await.unwrap();
            assert!(text.len() < 1_000, "{} bytes", text.len());
        }
    }
    let after = server.peak_rss_kib();
    assert!(
        after < before + 64 * 1024,
        "peak RSS grew from {before} KiB to {after} KiB"
    );
}

#[tokio::test]
async fn deeply_nested_value_literals_are_refused_before_parsing() {
    let app = TestApp::spawn().await;
    for depth in [100, 5_000] {
        let query = format!(
            "{{ nodes(ids: {}\"x\"{}) {{ id }} }}",
            "[".repeat(depth),
            "]".repeat(depth)
        );
        let response = app.gql(&query).send().await;
        assert_eq!(response.error_code(), "QUERY_TOO_COMPLEX", "depth {depth}");
        let response = app
            .client
            .get(app.url("/graphql"))
            .query(&[("query", query.as_str())])
            .send()
            .await
            .unwrap();
        let body: serde_json::Value = response.json().await.unwrap();
        assert_eq!(body["errors"][0]["extensions"]["code"], "QUERY_TOO_COMPLEX");
    }
    assert_alive(&app).await;
}

#[tokio::test]
async fn exponential_fragment_spreads_are_refused_quickly() {
    let app = TestApp::spawn().await;
    let mut query = String::from("query { ...F0 }\n");
    for level in 0..30 {
        query.push_str(&format!(
            "fragment F{level} on Query {{ ...F{next} ...F{next} }}\n",
            next = level + 1
        ));
    }
    query.push_str("fragment F30 on Query { __typename }\n");
    let started = Instant::now();
    let response = app.gql(&query).send().await;
    assert_eq!(response.error_code(), "QUERY_TOO_COMPLEX");
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "refused without expanding"
    );
    assert_alive(&app).await;
}

#[tokio::test]
async fn thousands_of_aliases_are_refused() {
    let app = TestApp::spawn().await;
    let fields: String = (0..3_000).map(|i| format!("a{i}: __typename ")).collect();
    let response = app.gql(&format!("{{ {fields} }}")).send().await;
    assert_eq!(response.error_code(), "QUERY_TOO_COMPLEX");
}

#[tokio::test]
async fn deep_selections_are_refused() {
    let app = TestApp::spawn().await;
    let mut query = String::from(
        "{ papers { nodes { authors { papers { nodes { authors { papers { nodes { authors { papers { nodes { authors { papers { nodes { authors { name } } } } } } } } } } } } } } } }",
    );
    query.push(' ');
    let response = app.gql(&query).send().await;
    assert_eq!(response.error_code(), "QUERY_TOO_COMPLEX");
}

#[tokio::test]
async fn page_size_multiplies_complexity() {
    let app = TestApp::spawn().await;
    let query = "{ papers(first: 100) { nodes { authors { papers(first: 100) { nodes { title abstract authors { name } } } } } } }";
    let response = app.gql(query).send().await;
    assert_eq!(response.error_code(), "QUERY_TOO_COMPLEX");
    // The same shape with small pages is fine.
    let small = "{ papers(first: 5) { nodes { authors { papers(first: 5) { nodes { title abstract authors { name } } } } } } }";
    app.query(small, json!({})).await;
}

#[tokio::test]
async fn directive_floods_are_refused() {
    let app = TestApp::spawn().await;
    let directives: String = (0..50).map(|_| "@include(if: true) ").collect();
    let response = app
        .gql(&format!("{{ __typename {directives} }}"))
        .send()
        .await;
    assert!(!response.error_codes().is_empty());
    assert_alive(&app).await;
}
