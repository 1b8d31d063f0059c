//! Hostile operations are refused cheaply, and the server stays up.

use std::time::{Duration, Instant};

use serde_json::json;

use crate::helpers::TestApp;

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

#[tokio::test]
async fn the_standard_introspection_query_passes_the_limits() {
    let app = TestApp::spawn().await;
    let data = app.query(INTROSPECTION_QUERY, json!({})).await;
    let types = data["__schema"]["types"].as_array().unwrap();
    assert!(types.iter().any(|t| t["name"] == "Paper"));
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
