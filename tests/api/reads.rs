//! The read API over the bundled demo papers.

use serde_json::{Value, json};

use crate::helpers::TestApp;

const PAPER_FIELDS: &str = "id arxivId title upvoteCount authorCount publishedAt submittedAt githubUrl authors { id name }";

fn titles(connection: &Value) -> Vec<String> {
    connection["nodes"]
        .as_array()
        .expect("nodes")
        .iter()
        .map(|paper| paper["title"].as_str().expect("title").to_owned())
        .collect()
}

#[tokio::test]
async fn papers_default_to_newest_submission_first_and_count_all() {
    let app = TestApp::spawn_with_demo().await;
    let data = app
        .query(
            "{ papers(first: 3) { totalCount nodes { arxivId publishedAt } pageInfo { hasNextPage hasPreviousPage } } }",
            json!({}),
        )
        .await;
    let papers = &data["papers"];
    assert_eq!(papers["totalCount"], 43);
    // The demo papers share one submission time; the newest publication leads.
    assert_eq!(papers["nodes"][0]["arxivId"], "2510.14009");
    assert_eq!(papers["pageInfo"]["hasNextPage"], true);
    assert_eq!(papers["pageInfo"]["hasPreviousPage"], false);
}

#[tokio::test]
async fn paper_by_arxiv_id_returns_its_byline_in_order() {
    let app = TestApp::spawn_with_demo().await;
    let query = format!("query($a: String) {{ paper(arxivId: $a) {{ {PAPER_FIELDS} }} }}");
    let data = app
        .query(&query, json!({ "a": "arXiv:2508.07229v2" }))
        .await;
    let paper = &data["paper"];
    assert_eq!(
        paper["title"],
        "How Does a Deep Neural Network Look at Lexical Stress?"
    );
    assert_eq!(paper["authorCount"], 8);
    let names: Vec<&str> = paper["authors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|author| author["name"].as_str().unwrap())
        .collect();
    assert_eq!(names[0], "Itai Allouche");
    assert_eq!(names[6], "Matthew Goldrick");
    assert_eq!(names[7], "Joseph Keshet");
    assert_eq!(names.len(), 8);
}

#[tokio::test]
async fn node_and_nodes_fetch_any_object_by_global_id() {
    let app = TestApp::spawn_with_demo().await;
    let data = app
        .query(
            "{ papers(first: 1) { nodes { id title authors { id name } } } }",
            json!({}),
        )
        .await;
    let paper = &data["papers"]["nodes"][0];
    let author = &data["papers"]["nodes"][0]["authors"];
    let paper_id = paper["id"].as_str().unwrap();
    let other = app
        .query(
            "{ papers(last: 1) { nodes { id authors { id name } } } }",
            json!({}),
        )
        .await;
    let author_id = other["papers"]["nodes"][0]["authors"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let author_name = other["papers"]["nodes"][0]["authors"][0]["name"].clone();
    assert!(author.is_array());

    let data = app
        .query(
            "query($ids: [ID!]!, $p: ID!) {
                node(id: $p) { id ... on Paper { title } }
                nodes(ids: $ids) { __typename id ... on Author { name } ... on Paper { title } }
            }",
            json!({ "p": paper_id, "ids": [author_id, "UGFwZXI6OTk5OTk5", paper_id] }),
        )
        .await;
    assert_eq!(data["node"]["title"], paper["title"]);
    assert_eq!(data["nodes"][0]["__typename"], "Author");
    assert_eq!(data["nodes"][0]["name"], author_name);
    assert_eq!(data["nodes"][1], Value::Null, "an unknown id is null");
    assert_eq!(data["nodes"][2]["title"], paper["title"]);
}

#[tokio::test]
async fn lookups_of_unknown_ids_return_null() {
    let app = TestApp::spawn_with_demo().await;
    // Well-formed ids of nothing: Paper:999999, Author:999999.
    let data = app
        .query(
            r#"{
                paper(id: "UGFwZXI6OTk5OTk5") { id }
                byArxiv: paper(arxivId: "1901.00001") { id }
                author(id: "QXV0aG9yOjk5OTk5OQ") { id }
                node(id: "VXNlcjo5OTk5OTk") { id }
                user(username: "nobody") { id }
            }"#,
            json!({}),
        )
        .await;
    for field in ["paper", "byArxiv", "author", "node", "user"] {
        assert_eq!(data[field], Value::Null, "{field}");
    }
}

#[tokio::test]
async fn daily_papers_lists_the_latest_day_most_upvoted_first() {
    let app = TestApp::spawn_with_demo().await;
    let data = app
        .query(
            "{ dailyPapers { totalCount nodes { upvoteCount submittedAt } }
               empty: dailyPapers(date: \"2001-01-01\") { totalCount nodes { title } } }",
            json!({}),
        )
        .await;
    let daily = &data["dailyPapers"];
    assert_eq!(daily["totalCount"], 43);
    let counts: Vec<i64> = daily["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|paper| paper["upvoteCount"].as_i64().unwrap())
        .collect();
    assert_eq!(&counts[..3], &[3, 2, 2]);
    assert!(counts.windows(2).all(|pair| pair[0] >= pair[1]));
    assert_eq!(data["empty"]["totalCount"], 0);
    assert_eq!(data["empty"]["nodes"], json!([]));
}

#[tokio::test]
async fn trending_ranks_by_decayed_upvotes_within_the_window() {
    let app = TestApp::spawn_with_demo().await;
    let data = app
        .query(
            "{ week: trendingPapers { totalCount nodes { upvoteCount } }
               all: trendingPapers(window: ALL) { totalCount }
               day: trendingPapers(window: DAY, first: 2) { nodes { upvoteCount } } }",
            json!({}),
        )
        .await;
    assert_eq!(data["week"]["totalCount"], 43);
    assert_eq!(data["all"]["totalCount"], 43);
    // Same submission time: the decay is equal, upvotes decide.
    assert_eq!(data["week"]["nodes"][0]["upvoteCount"], 3);
    assert_eq!(data["day"]["nodes"][0]["upvoteCount"], 3);
}

#[tokio::test]
async fn papers_can_be_ordered_by_publication_and_upvotes() {
    let app = TestApp::spawn_with_demo().await;
    let data = app
        .query(
            "{ newest: papers(first: 1, orderBy: {field: PUBLISHED_AT, direction: DESC}) { nodes { publishedAt } }
               oldest: papers(first: 1, orderBy: {field: PUBLISHED_AT, direction: ASC}) { nodes { publishedAt } }
               top: papers(first: 3, orderBy: {field: UPVOTES, direction: DESC}) { nodes { upvoteCount } }
               bottom: papers(first: 1, orderBy: {field: UPVOTES, direction: ASC}) { nodes { upvoteCount } } }",
            json!({}),
        )
        .await;
    assert_eq!(data["newest"]["nodes"][0]["publishedAt"], "2025-10-15");
    assert_eq!(data["oldest"]["nodes"][0]["publishedAt"], "2017-03-18");
    assert_eq!(
        data["top"]["nodes"],
        json!([{"upvoteCount": 3}, {"upvoteCount": 2}, {"upvoteCount": 2}])
    );
    assert_eq!(data["bottom"]["nodes"][0]["upvoteCount"], 0);
}

#[tokio::test]
async fn filters_narrow_papers_and_their_count() {
    let app = TestApp::spawn_with_demo().await;
    let count = |filter: &'static str| {
        let app = &app;
        async move {
            let data = app
                .query(
                    &format!("{{ papers(filter: {filter}) {{ totalCount }} }}"),
                    json!({}),
                )
                .await;
            data["papers"]["totalCount"].as_i64().unwrap()
        }
    };
    assert_eq!(count("{hasCode: true}").await, 6);
    assert_eq!(count("{hasCode: false}").await, 37);
    assert_eq!(count("{minUpvotes: 2}").await, 3);
    // Inclusive date bounds: exactly the papers of 2023-10-09 and 2023-10-10.
    assert_eq!(
        count("{publishedFrom: \"2023-10-09\", publishedTo: \"2023-10-10\"}").await,
        2
    );
    assert_eq!(count("{submittedAfter: \"2999-01-01T00:00:00Z\"}").await, 0);
    assert_eq!(
        count("{submittedBefore: \"2999-01-01T00:00:00Z\"}").await,
        43
    );
    assert_eq!(count("{submittedBy: \"nobody\"}").await, 0);
}

#[tokio::test]
async fn filtering_by_author_returns_that_authors_papers() {
    let app = TestApp::spawn_with_demo().await;
    let data = app
        .query(
            r#"{ authors(nameContains: "hongyang ZHANG") { totalCount nodes { id name paperCount papers { totalCount nodes { title publishedAt } } } } }"#,
            json!({}),
        )
        .await;
    let author = &data["authors"]["nodes"][0];
    assert_eq!(data["authors"]["totalCount"], 1);
    assert_eq!(author["name"], "Hongyang Zhang");
    let paper_count = author["paperCount"].as_i64().unwrap();
    assert!(paper_count >= 2, "Hongyang Zhang has several demo papers");
    assert_eq!(author["papers"]["totalCount"], paper_count);
    let dates: Vec<&str> = author["papers"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|paper| paper["publishedAt"].as_str().unwrap())
        .collect();
    assert!(
        dates.windows(2).all(|pair| pair[0] >= pair[1]),
        "newest first: {dates:?}"
    );

    let filtered = app
        .query(
            "query($a: ID!) { papers(filter: {authorId: $a}) { totalCount nodes { title } } }",
            json!({ "a": author["id"] }),
        )
        .await;
    assert_eq!(filtered["papers"]["totalCount"], paper_count);
    let mut by_filter = titles(&filtered["papers"]);
    let mut by_author = titles(&author["papers"]);
    by_filter.sort();
    by_author.sort();
    assert_eq!(by_filter, by_author);
}

#[tokio::test]
async fn authors_are_alphabetical_and_matched_case_insensitively() {
    let app = TestApp::spawn_with_demo().await;
    let data = app
        .query(
            r#"{ all: authors(first: 100) { totalCount nodes { name } }
                 zhang: authors(nameContains: "ZHANG") { nodes { name } }
                 wild: authors(nameContains: "%") { totalCount } }"#,
            json!({}),
        )
        .await;
    let names: Vec<String> = data["all"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["name"].as_str().unwrap().to_lowercase())
        .collect();
    assert!(
        names.windows(2).all(|pair| pair[0] <= pair[1]),
        "alphabetical"
    );
    assert!(data["all"]["totalCount"].as_i64().unwrap() > 100);
    let zhangs = data["zhang"]["nodes"].as_array().unwrap();
    assert!(!zhangs.is_empty());
    assert!(
        zhangs
            .iter()
            .all(|a| a["name"].as_str().unwrap().to_lowercase().contains("zhang"))
    );
    assert_eq!(
        data["wild"]["totalCount"], 0,
        "% is a literal, not a wildcard"
    );
}

#[tokio::test]
async fn get_requests_run_queries() {
    let app = TestApp::spawn_with_demo().await;
    let response = app
        .client
        .get(app.url("/graphql"))
        .query(&[("query", "{ papers(first: 2) { totalCount } }")])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["data"]["papers"]["totalCount"], 43);
}

/// Every author whose name holds `needle` (case-insensitive), in list order, by walking the
/// API's pages of `page` with cursors; and the `totalCount` of the first page.
async fn walk_authors(app: &TestApp, needle: &str, page: i64) -> (Vec<String>, i64) {
    let query = "query($n: String, $c: String, $f: Int) { authors(nameContains: $n, first: $f, after: $c) { totalCount nodes { name } pageInfo { hasNextPage endCursor } } }";
    let mut names = Vec::new();
    let mut cursor = Value::Null;
    let mut total = None;
    loop {
        let data = app
            .query(query, json!({ "n": needle, "c": cursor, "f": page }))
            .await;
        let authors = &data["authors"];
        total.get_or_insert(authors["totalCount"].as_i64().unwrap());
        names.extend(
            authors["nodes"]
                .as_array()
                .unwrap()
                .iter()
                .map(|a| a["name"].as_str().unwrap().to_owned()),
        );
        if authors["pageInfo"]["hasNextPage"] != true {
            return (names, total.unwrap_or(0));
        }
        cursor = authors["pageInfo"]["endCursor"].clone();
    }
}

#[tokio::test]
async fn rare_and_common_name_substrings_find_every_author_in_order() {
    use paperboard::cli::generate::{Plan, Sizes, generate};
    use sea_orm::{ConnectionTrait, Statement};

    let app = TestApp::spawn().await;
    let plan = Plan {
        sizes: Sizes {
            papers: 300,
            authors: 6_000,
            users: 5,
            upvotes: 0,
            comments: 0,
            follows: 0,
            collections: 0,
            notifications: 0,
        },
        seed: 11,
        until: chrono::Utc::now(),
        password_hash: None,
    };
    generate(&app.state.db, &plan).await.unwrap();
    let db = app.state.db.writer();
    let rows = db
        .query_all_raw(Statement::from_string(
            db.get_database_backend(),
            "SELECT name, name_key, id FROM authors ORDER BY name_key, id",
        ))
        .await
        .unwrap();
    let stored: Vec<(String, String)> = rows
        .iter()
        .map(|row| {
            (
                row.try_get_by_index(0).unwrap(),
                row.try_get_by_index(1).unwrap(),
            )
        })
        .collect();
    // The oldest author's full name is held by few names, none among the newest authors
    // (rare: the trigram path on SQLite); then needles held by many (the name walk), a
    // short one, wildcards that must match themselves, and one that matches nothing.
    let oldest = db
        .query_one_raw(Statement::from_string(
            db.get_database_backend(),
            "SELECT name FROM authors ORDER BY id LIMIT 1",
        ))
        .await
        .unwrap()
        .unwrap();
    let unique: String = oldest.try_get_by_index(0).unwrap();
    for needle in [
        unique.to_uppercase(),
        "an".to_owned(),
        "ang".to_owned(),
        "%_\\".to_owned(),
        "zzzq".to_owned(),
    ] {
        let expected: Vec<String> = stored
            .iter()
            .filter(|(_, key)| key.contains(&needle.to_lowercase()))
            .map(|(name, _)| name.clone())
            .collect();
        let (found, total) = walk_authors(&app, &needle, 97).await;
        assert_eq!(found, expected, "authors containing {needle:?}");
        assert_eq!(
            total,
            i64::try_from(expected.len()).unwrap(),
            "count of {needle:?}"
        );
    }
}
