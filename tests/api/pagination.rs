//! Keyset pagination: walking a list forward with `first`/`after` or backward with
//! `last`/`before` visits every item exactly once, in order, whatever the page size.

use serde_json::{Value, json};

use crate::helpers::TestApp;

/// A paper list and the arguments that select it.
struct List {
    field: &'static str,
    args: &'static str,
    backward: bool,
}

const LISTS: &[List] = &[
    List {
        field: "papers",
        args: "",
        backward: true,
    },
    List {
        field: "papers",
        args: "orderBy: {field: SUBMITTED_AT, direction: ASC}",
        backward: true,
    },
    List {
        field: "papers",
        args: "orderBy: {field: PUBLISHED_AT, direction: DESC}",
        backward: true,
    },
    List {
        field: "papers",
        args: "orderBy: {field: PUBLISHED_AT, direction: ASC}",
        backward: true,
    },
    List {
        field: "papers",
        args: "orderBy: {field: UPVOTES, direction: DESC}",
        backward: true,
    },
    List {
        field: "papers",
        args: "orderBy: {field: UPVOTES, direction: ASC}",
        backward: true,
    },
    List {
        field: "papers",
        args: "filter: {hasCode: false}",
        backward: true,
    },
    List {
        field: "dailyPapers",
        args: "",
        backward: false,
    },
    List {
        field: "trendingPapers",
        args: "window: ALL",
        backward: false,
    },
    List {
        field: "authors",
        args: "",
        backward: false,
    },
];

/// Ids of one page, and the cursors to continue from.
async fn page(app: &TestApp, list: &List, paging: &str) -> (Vec<String>, Value) {
    let separator = if list.args.is_empty() || paging.is_empty() {
        ""
    } else {
        ", "
    };
    let query = format!(
        "{{ {field}({args}{separator}{paging}) {{ \
           edges {{ cursor node {{ id }} }} \
           pageInfo {{ hasNextPage hasPreviousPage startCursor endCursor }} }} }}",
        field = list.field,
        args = list.args,
    );
    let data = app.query(&query, json!({})).await;
    let connection = data[list.field].clone();
    let ids = connection["edges"]
        .as_array()
        .expect("edges")
        .iter()
        .map(|edge| edge["node"]["id"].as_str().expect("id").to_owned())
        .collect();
    (ids, connection)
}

/// The whole list in pages of 100, checked against `totalCount` and for duplicates.
async fn whole_list(app: &TestApp, list: &List) -> Vec<String> {
    let ids = walk_forward(app, list, 100).await;
    let separator = if list.args.is_empty() { "" } else { "(" };
    let closing = if list.args.is_empty() { "" } else { ")" };
    let data = app
        .query(
            &format!(
                "{{ {}{separator}{}{closing} {{ totalCount }} }}",
                list.field, list.args
            ),
            json!({}),
        )
        .await;
    assert_eq!(
        data[list.field]["totalCount"].as_u64(),
        Some(ids.len() as u64)
    );
    let distinct: std::collections::HashSet<&String> = ids.iter().collect();
    assert_eq!(distinct.len(), ids.len(), "no item twice");
    ids
}

async fn walk_forward(app: &TestApp, list: &List, size: usize) -> Vec<String> {
    let mut seen = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let paging = match &after {
            Some(cursor) => format!("first: {size}, after: \"{cursor}\""),
            None => format!("first: {size}"),
        };
        let (ids, connection) = page(app, list, &paging).await;
        assert!(ids.len() <= size);
        let info = &connection["pageInfo"];
        assert_eq!(info["hasPreviousPage"], after.is_some());
        seen.extend(ids);
        if info["hasNextPage"] == false {
            return seen;
        }
        after = Some(info["endCursor"].as_str().expect("endCursor").to_owned());
    }
}

async fn walk_backward(app: &TestApp, list: &List, size: usize) -> Vec<String> {
    let mut pages: Vec<Vec<String>> = Vec::new();
    let mut before: Option<String> = None;
    loop {
        let paging = match &before {
            Some(cursor) => format!("last: {size}, before: \"{cursor}\""),
            None => format!("last: {size}"),
        };
        let (ids, connection) = page(app, list, &paging).await;
        let info = &connection["pageInfo"];
        assert_eq!(info["hasNextPage"], before.is_some());
        pages.push(ids);
        if info["hasPreviousPage"] == false {
            break;
        }
        before = Some(
            info["startCursor"]
                .as_str()
                .expect("startCursor")
                .to_owned(),
        );
    }
    pages.into_iter().rev().flatten().collect()
}

#[tokio::test]
async fn walking_any_list_visits_every_item_once_in_order_at_every_page_size() {
    let app = TestApp::spawn_with_demo().await;
    for list in LISTS {
        let expected = whole_list(&app, list).await;
        assert!(expected.len() > 30, "{} {}", list.field, list.args);
        let sizes: Vec<usize> = if list.field == "papers" && list.args.is_empty() {
            (1..=expected.len() + 1).collect()
        } else {
            vec![1, 2, 3, 7, 10, 20, expected.len() - 1, expected.len()]
        };
        let sizes = sizes.into_iter().filter(|size| *size <= 100);
        for size in sizes {
            let forward = walk_forward(&app, list, size).await;
            assert_eq!(
                forward, expected,
                "{} ({}) forward, page size {size}",
                list.field, list.args
            );
            if list.backward {
                let backward = walk_backward(&app, list, size).await;
                assert_eq!(
                    backward, expected,
                    "{} ({}) backward, page size {size}",
                    list.field, list.args
                );
            }
        }
    }
}

#[tokio::test]
async fn a_range_between_two_cursors_holds_exactly_the_items_between_them() {
    let app = TestApp::spawn_with_demo().await;
    let list = &LISTS[0];
    let (ids, connection) = page(&app, list, "first: 10").await;
    let edges = connection["edges"].as_array().unwrap();
    let after = edges[2]["cursor"].as_str().unwrap();
    let before = edges[8]["cursor"].as_str().unwrap();
    let (between, _) = page(
        &app,
        list,
        &format!("first: 20, after: \"{after}\", before: \"{before}\""),
    )
    .await;
    assert_eq!(between, ids[3..8].to_vec());
    let (tail, _) = page(
        &app,
        list,
        &format!("last: 2, after: \"{after}\", before: \"{before}\""),
    )
    .await;
    assert_eq!(tail, ids[6..8].to_vec());
}

#[tokio::test]
async fn nested_lists_page_with_their_own_cursors() {
    let app = TestApp::spawn_with_demo().await;
    let data = app
        .query(r#"{ authors(nameContains: "Hongyang Zhang") { nodes { papers(first: 1) { nodes { id } pageInfo { hasNextPage endCursor } } } } }"#, json!({}))
        .await;
    let papers = &data["authors"]["nodes"][0]["papers"];
    assert_eq!(papers["pageInfo"]["hasNextPage"], true);
    let first = papers["nodes"][0]["id"].clone();
    let cursor = papers["pageInfo"]["endCursor"].as_str().unwrap();
    let data = app
        .query(
            r#"query($c: String) { authors(nameContains: "Hongyang Zhang") { nodes { papers(first: 5, after: $c) { nodes { id } pageInfo { hasNextPage hasPreviousPage } } } } }"#,
            json!({ "c": cursor }),
        )
        .await;
    let rest = &data["authors"]["nodes"][0]["papers"];
    assert_eq!(rest["nodes"].as_array().unwrap().len(), 1);
    assert_ne!(rest["nodes"][0]["id"], first);
    assert_eq!(rest["pageInfo"]["hasNextPage"], false);
    assert_eq!(rest["pageInfo"]["hasPreviousPage"], true);
}

const SUBMIT: &str = "mutation($i: SubmitPaperInput!) { submitPaper(input: $i) { paper { id } } }";
const UPVOTE: &str = "mutation($p: ID!) { upvotePaper(paperId: $p) { paper { id } } }";

/// The ids of a nested connection reached by `path` (object keys) in `data`.
fn nested_ids(data: &Value, path: &[&str]) -> (Vec<String>, Option<String>) {
    let mut connection = data;
    for key in path {
        connection = &connection[*key];
    }
    let ids = connection["nodes"]
        .as_array()
        .expect("nodes")
        .iter()
        .map(|node| node["id"].as_str().expect("id").to_owned())
        .collect();
    let end = connection["pageInfo"]["endCursor"]
        .as_str()
        .map(str::to_owned);
    (ids, end)
}

/// A nested list's first page comes from a batched statement for all parents, the pages
/// after it from a keyset range: for every nested connection, the first page and the next
/// one together are exactly a longer first page — ties included (same publication day,
/// upvotes cast in one burst).
#[tokio::test]
async fn every_nested_connection_continues_its_first_page_exactly() {
    let app = TestApp::spawn().await;
    let submitter = app.register("prolific").await;
    let mut papers = Vec::new();
    for n in 0..6 {
        let data = app
            .gql(SUBMIT)
            .variables(json!({ "i": {
                "title": format!("Tied paper {n}"), "abstract": "Same day, same author.",
                "authors": ["Tie Author"], "publishedAt": "2025-01-01",
            }}))
            .bearer(&submitter.access_token)
            .send()
            .await
            .expect_ok();
        papers.push(
            data["submitPaper"]["paper"]["id"]
                .as_str()
                .unwrap()
                .to_owned(),
        );
    }
    let fans = app.quick_users("fan", 6).await;
    for token in &fans {
        app.gql(UPVOTE)
            .variables(json!({ "p": papers[0] }))
            .bearer(token)
            .send()
            .await
            .expect_ok();
    }
    for paper in &papers {
        app.gql(UPVOTE)
            .variables(json!({ "p": paper }))
            .bearer(&fans[0])
            .send()
            .await
            .expect_ok();
    }
    let connections: [(&str, Vec<&str>); 4] = [
        (
            r#"query($n: Int, $c: String) { authors(nameContains: "Tie Author") { nodes { papers(first: $n, after: $c) { nodes { id } pageInfo { endCursor } } } } }"#,
            vec!["authors", "nodes", "0", "papers"],
        ),
        (
            r#"query($n: Int, $c: String) { user(username: "prolific") { submittedPapers(first: $n, after: $c) { nodes { id } pageInfo { endCursor } } } }"#,
            vec!["user", "submittedPapers"],
        ),
        (
            r#"query($n: Int, $c: String, $p: ID) { paper(id: $p) { upvoters(first: $n, after: $c) { nodes { id } pageInfo { endCursor } } } }"#,
            vec!["paper", "upvoters"],
        ),
        (
            r#"query($n: Int, $c: String) { user(username: "fan0") { upvotedPapers(first: $n, after: $c) { nodes { id } pageInfo { endCursor } } } }"#,
            vec!["user", "upvotedPapers"],
        ),
    ];
    for (query, path) in connections {
        let path: Vec<&str> = path;
        let at = |data: &Value| {
            let mut value = data.clone();
            for key in &path {
                value = match key.parse::<usize>() {
                    Ok(index) => value[index].clone(),
                    Err(_) => value[*key].clone(),
                };
            }
            value
        };
        let top = &papers[0];
        let whole = at(&app.query(query, json!({ "n": 6, "p": top })).await);
        let (whole, _) = nested_ids(&json!({ "c": whole }), &["c"]);
        assert_eq!(whole.len(), 6, "{query}");
        let first = at(&app.query(query, json!({ "n": 2, "p": top })).await);
        let (mut walked, end) = nested_ids(&json!({ "c": first }), &["c"]);
        let rest = at(&app
            .query(query, json!({ "n": 4, "c": end, "p": top }))
            .await);
        walked.extend(nested_ids(&json!({ "c": rest }), &["c"]).0);
        assert_eq!(walked, whole, "{query}");
    }
}
