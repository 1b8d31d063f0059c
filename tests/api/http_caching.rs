//! HTTP caching: anonymous GETs are public for the smallest age of their root fields, with a
//! strong `ETag` and 304; anything signed in, sent by POST, viewer-dependent or failed is
//! never kept by a shared cache.

use std::collections::BTreeSet;

use reqwest::StatusCode;
use reqwest::header::{CACHE_CONTROL, ETAG, IF_NONE_MATCH, VARY};
use serde_json::{Value, json};

use crate::helpers::TestApp;

/// Every root query field, with an anonymous query of it and the `Cache-Control` its
/// answer must carry.
fn root_field_cases(paper: &str, author: &str) -> Vec<(&'static str, String, &'static str)> {
    const LOOKUP: &str = "public, max-age=60";
    const LIST: &str = "public, max-age=10";
    const VIEWER: &str = "private, no-store";
    vec![
        (
            "node",
            format!(r#"{{ node(id: "{paper}") {{ id }} }}"#),
            LOOKUP,
        ),
        (
            "nodes",
            format!(r#"{{ nodes(ids: ["{paper}"]) {{ id }} }}"#),
            LOOKUP,
        ),
        (
            "paper",
            format!(r#"{{ paper(id: "{paper}") {{ title }} }}"#),
            LOOKUP,
        ),
        (
            "author",
            format!(r#"{{ author(id: "{author}") {{ name }} }}"#),
            LOOKUP,
        ),
        (
            "user",
            r#"{ user(username: "nobody") { username } }"#.to_owned(),
            LOOKUP,
        ),
        (
            "category",
            r#"{ category(code: "cs.CL") { code } }"#.to_owned(),
            LOOKUP,
        ),
        (
            "papers",
            "{ papers(first: 2) { totalCount } }".to_owned(),
            LIST,
        ),
        (
            "dailyPapers",
            "{ dailyPapers(first: 2) { totalCount } }".to_owned(),
            LIST,
        ),
        (
            "trendingPapers",
            "{ trendingPapers(first: 2) { totalCount } }".to_owned(),
            LIST,
        ),
        (
            "searchPapers",
            r#"{ searchPapers(query: "model") { totalCount } }"#.to_owned(),
            LIST,
        ),
        (
            "authors",
            "{ authors(first: 2) { totalCount } }".to_owned(),
            LIST,
        ),
        (
            "users",
            "{ users(first: 2) { totalCount } }".to_owned(),
            VIEWER,
        ),
        (
            "categories",
            "{ categories(first: 2) { totalCount } }".to_owned(),
            LIST,
        ),
        (
            "moderationLog",
            "{ moderationLog(first: 2) { totalCount } }".to_owned(),
            LIST,
        ),
        ("viewer", "{ viewer { username } }".to_owned(), VIEWER),
        (
            "rateLimit",
            "{ rateLimit { remaining } }".to_owned(),
            VIEWER,
        ),
        (
            "feed",
            "{ feed(first: 2) { totalCount } }".to_owned(),
            VIEWER,
        ),
        (
            "reports",
            "{ reports(first: 2) { totalCount } }".to_owned(),
            VIEWER,
        ),
    ]
}

async fn get(app: &TestApp, query: &str, token: Option<&str>) -> reqwest::Response {
    let mut request = app
        .client
        .get(app.url("/graphql"))
        .query(&[("query", query)]);
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    request.send().await.unwrap()
}

fn header(response: &reqwest::Response, name: reqwest::header::HeaderName) -> String {
    response
        .headers()
        .get(name)
        .and_then(|value| value.to_str().ok())
        .unwrap_or_default()
        .to_owned()
}

async fn ids(app: &TestApp) -> (String, String) {
    let data = app
        .query(
            "{ papers(first: 1) { nodes { id } } authors(first: 1) { nodes { id } } }",
            json!({}),
        )
        .await;
    let first_id = |list: &str| data[list]["nodes"][0]["id"].as_str().unwrap().to_owned();
    (first_id("papers"), first_id("authors"))
}

#[tokio::test]
async fn every_root_field_has_a_policy_and_signed_in_answers_are_never_public() {
    let app = TestApp::spawn_with_demo().await;
    let (paper, author) = ids(&app).await;
    let cases = root_field_cases(&paper, &author);

    // The cases cover the schema's root fields: a new field must say how it is cached.
    let schema = app
        .query("{ __schema { queryType { fields { name } } } }", json!({}))
        .await;
    let served: BTreeSet<String> = schema["__schema"]["queryType"]["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|field| field["name"].as_str().unwrap().to_owned())
        .collect();
    let covered: BTreeSet<String> = cases.iter().map(|(name, ..)| (*name).to_owned()).collect();
    assert_eq!(served, covered);

    let token = app.register("reader").await.access_token;
    for (field, query, expected) in &cases {
        let anonymous = get(&app, query, None).await;
        assert_eq!(anonymous.status(), StatusCode::OK, "{field}");
        assert_eq!(header(&anonymous, CACHE_CONTROL), *expected, "{field}");
        if expected.starts_with("public") {
            assert!(
                header(&anonymous, ETAG).starts_with('"'),
                "{field}: strong ETag"
            );
            assert_eq!(header(&anonymous, VARY), "Accept, Authorization", "{field}");
        } else {
            assert_eq!(header(&anonymous, ETAG), "", "{field}");
        }

        let signed_in = get(&app, query, Some(&token)).await;
        assert_eq!(
            header(&signed_in, CACHE_CONTROL),
            "private, no-store",
            "{field} signed in"
        );
        assert_eq!(header(&signed_in, ETAG), "", "{field} signed in");

        let posted = app.gql(query).send().await;
        let control = posted.headers[CACHE_CONTROL].to_str().unwrap();
        assert!(
            control == "no-store" || control == "private, no-store",
            "{field} by POST: {control}"
        );
    }

    // The smallest age of the selection wins.
    let both =
        format!(r#"{{ paper(id: "{paper}") {{ title }} papers(first: 1) {{ totalCount }} }}"#);
    assert_eq!(
        header(&get(&app, &both, None).await, CACHE_CONTROL),
        "public, max-age=10"
    );
    // A failed answer is never kept.
    let failed = get(&app, r#"{ searchPapers(query: "") { totalCount } }"#, None).await;
    assert_eq!(header(&failed, CACHE_CONTROL), "no-store");
    let invalid = get(&app, "{ nope }", None).await;
    assert_eq!(header(&invalid, CACHE_CONTROL), "no-store");
}

#[tokio::test]
async fn a_held_copy_is_revalidated_with_304_until_the_answer_changes() {
    let app = TestApp::spawn_with_demo().await;
    let (paper, _) = ids(&app).await;
    let query = format!(r#"{{ paper(id: "{paper}") {{ title upvoteCount }} }}"#);
    let first = get(&app, &query, None).await;
    let etag = header(&first, ETAG);
    let body: Value = first.json().await.unwrap();

    let revalidated = app
        .client
        .get(app.url("/graphql"))
        .query(&[("query", query.as_str())])
        .header(IF_NONE_MATCH, &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(revalidated.status(), StatusCode::NOT_MODIFIED);
    assert_eq!(header(&revalidated, ETAG), etag);
    assert_eq!(header(&revalidated, CACHE_CONTROL), "public, max-age=60");
    assert!(revalidated.bytes().await.unwrap().is_empty());

    // The same tag from another request is not a match for this one.
    let other = app
        .client
        .get(app.url("/graphql"))
        .query(&[("query", "{ papers(first: 1) { totalCount } }")])
        .header(IF_NONE_MATCH, &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(other.status(), StatusCode::OK);

    let token = app.quick_users("voter", 1).await.remove(0);
    app.gql("mutation($p: ID!) { upvotePaper(paperId: $p) { paper { upvoteCount } } }")
        .variables(json!({ "p": paper }))
        .bearer(&token)
        .send()
        .await
        .expect_ok();
    let changed = app
        .client
        .get(app.url("/graphql"))
        .query(&[("query", query.as_str())])
        .header(IF_NONE_MATCH, &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(changed.status(), StatusCode::OK);
    assert_ne!(header(&changed, ETAG), etag);
    let now: Value = changed.json().await.unwrap();
    assert_eq!(
        now["data"]["paper"]["upvoteCount"].as_i64(),
        body["data"]["paper"]["upvoteCount"]
            .as_i64()
            .map(|count| count + 1)
    );
}
