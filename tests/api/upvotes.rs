//! Upvotes: signed-in, idempotent, exact under concurrency; viewer fields; stable rankings.

use std::collections::HashSet;

use paperboard::services::rankings;
use sea_orm::{ConnectionTrait, Statement};
use serde_json::{Value, json};

use crate::helpers::TestApp;

const UPVOTE: &str =
    "mutation($p: ID!) { upvotePaper(paperId: $p) { paper { id upvoteCount viewerHasUpvoted } } }";
const REMOVE: &str =
    "mutation($p: ID!) { removeUpvote(paperId: $p) { paper { id upvoteCount viewerHasUpvoted } } }";

/// Global ids of the first `count` demo papers by arXiv id order (any fixed choice works).
async fn paper_ids(app: &TestApp, count: usize) -> Vec<String> {
    let data = app
        .query(
            "query($n: Int) { papers(first: $n) { nodes { id } } }",
            json!({ "n": count }),
        )
        .await;
    data["papers"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|paper| paper["id"].as_str().unwrap().to_owned())
        .collect()
}

async fn upvote_count(app: &TestApp, paper: &str) -> i64 {
    let data = app
        .query(
            "query($p: ID!) { node(id: $p) { ... on Paper { upvoteCount } } }",
            json!({ "p": paper }),
        )
        .await;
    data["node"]["upvoteCount"].as_i64().unwrap()
}

#[tokio::test]
async fn upvoting_needs_a_signed_in_user() {
    let app = TestApp::spawn_with_demo().await;
    let paper = &paper_ids(&app, 1).await[0];
    for mutation in [UPVOTE, REMOVE] {
        let response = app
            .gql(mutation)
            .variables(json!({ "p": paper }))
            .send()
            .await;
        assert_eq!(response.error_code(), "UNAUTHENTICATED");
    }
    assert_eq!(upvote_count(&app, paper).await, 0);
}

#[tokio::test]
async fn upvotes_are_idempotent_and_the_payload_shows_the_new_state() {
    let app = TestApp::spawn_with_demo().await;
    let token = &app.quick_users("voter", 1).await[0];
    let paper = &paper_ids(&app, 1).await[0];
    for _ in 0..2 {
        let data = app
            .gql(UPVOTE)
            .variables(json!({ "p": paper }))
            .bearer(token)
            .send()
            .await
            .expect_ok();
        assert_eq!(data["upvotePaper"]["paper"]["upvoteCount"], 1);
        assert_eq!(data["upvotePaper"]["paper"]["viewerHasUpvoted"], true);
    }
    for _ in 0..2 {
        let data = app
            .gql(REMOVE)
            .variables(json!({ "p": paper }))
            .bearer(token)
            .send()
            .await
            .expect_ok();
        assert_eq!(data["removeUpvote"]["paper"]["upvoteCount"], 0);
        assert_eq!(data["removeUpvote"]["paper"]["viewerHasUpvoted"], false);
    }
}

#[tokio::test]
async fn the_imported_baseline_is_kept_under_the_upvotes() {
    let app = TestApp::spawn_with_demo().await;
    let token = &app.quick_users("fan", 1).await[0];
    let data = app
        .query(
            r#"{ paper(arxivId: "2507.06203") { id upvoteCount } }"#,
            json!({}),
        )
        .await;
    let (paper, baseline) = (
        data["paper"]["id"].clone(),
        data["paper"]["upvoteCount"].as_i64().unwrap(),
    );
    assert!(baseline > 0);
    let data = app
        .gql(UPVOTE)
        .variables(json!({ "p": paper }))
        .bearer(token)
        .send()
        .await
        .expect_ok();
    assert_eq!(
        data["upvotePaper"]["paper"]["upvoteCount"].as_i64(),
        Some(baseline + 1)
    );
}

#[tokio::test]
async fn unknown_and_malformed_paper_ids_change_nothing() {
    let app = TestApp::spawn_with_demo().await;
    let token = &app.quick_users("careful", 1).await[0];
    let unknown = "UGFwZXI6OTk5OTk5"; // Paper:999999
    for mutation in [UPVOTE, REMOVE] {
        let response = app
            .gql(mutation)
            .variables(json!({ "p": unknown }))
            .bearer(token)
            .send()
            .await;
        assert_eq!(response.error_code(), "NOT_FOUND");
        for bad in ["garbage", "QXV0aG9yOjE"] {
            let response = app
                .gql(mutation)
                .variables(json!({ "p": bad }))
                .bearer(token)
                .send()
                .await;
            assert_eq!(response.error_code(), "BAD_USER_INPUT", "{bad}");
            assert_eq!(response.error_field().as_deref(), Some("paperId"));
        }
    }
    let db = app.state.db.reader();
    let rows = db
        .query_one_raw(Statement::from_string(
            db.get_database_backend(),
            "SELECT COUNT(*) FROM upvotes",
        ))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(rows.try_get_by_index::<i64>(0).unwrap(), 0);
}

#[tokio::test]
async fn counts_stay_exact_under_a_hundred_concurrent_users() {
    let app = TestApp::spawn_with_demo().await;
    let tokens = app.quick_users("crowd", 100).await;
    let papers = paper_ids(&app, 5).await;
    let mut baselines = Vec::new();
    for paper in &papers {
        baselines.push(upvote_count(&app, paper).await);
    }
    let mut tasks = Vec::new();
    for (index, token) in tokens.iter().enumerate() {
        let (app, token, papers) = (&app, token.clone(), papers.clone());
        tasks.push(async move {
            for step in 0..12 {
                // Each user upvotes and removes in its own pattern, all at once.
                let paper = &papers[(index + step) % papers.len()];
                let mutation = if (index * 7 + step) % 3 == 0 {
                    REMOVE
                } else {
                    UPVOTE
                };
                let response = app
                    .gql(mutation)
                    .variables(json!({ "p": paper }))
                    .bearer(&token)
                    .send()
                    .await;
                assert!(response.body.get("errors").is_none(), "{}", response.body);
            }
        });
    }
    futures_util::future::join_all(tasks).await;

    let db = app.state.db.reader();
    let backend = db.get_database_backend();
    let mismatches = db
        .query_one_raw(Statement::from_string(
            backend,
            "SELECT COUNT(*) FROM papers p WHERE p.upvote_count <> p.upvote_baseline + \
             (SELECT COUNT(*) FROM upvotes u WHERE u.paper_id = p.id)",
        ))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(mismatches.try_get_by_index::<i64>(0).unwrap(), 0);
    let total = db
        .query_one_raw(Statement::from_string(
            backend,
            "SELECT COUNT(*) FROM upvotes",
        ))
        .await
        .unwrap()
        .unwrap();
    assert!(
        total.try_get_by_index::<i64>(0).unwrap() > 100,
        "the mix left many upvotes"
    );
    // The API shows the same numbers: baseline plus upvoters.
    for (paper, baseline) in papers.iter().zip(baselines) {
        let data = app
            .query("query($p: ID!) { node(id: $p) { ... on Paper { upvoteCount upvoters { totalCount } } } }", json!({ "p": paper }))
            .await;
        let upvoters = data["node"]["upvoters"]["totalCount"].as_i64().unwrap();
        assert_eq!(
            data["node"]["upvoteCount"].as_i64(),
            Some(baseline + upvoters)
        );
    }
}

#[tokio::test]
async fn viewers_see_their_own_upvotes_in_lists() {
    let app = TestApp::spawn_with_demo().await;
    let token = &app.quick_users("reader", 1).await[0];
    let papers = paper_ids(&app, 3).await;
    app.gql(UPVOTE)
        .variables(json!({ "p": papers[1] }))
        .bearer(token)
        .send()
        .await
        .expect_ok();
    let query = "{ papers(first: 3) { nodes { id viewerHasUpvoted } } }";
    let signed_in = app.gql(query).bearer(token).send().await.expect_ok();
    let flags: Vec<bool> = signed_in["papers"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|paper| paper["viewerHasUpvoted"].as_bool().unwrap())
        .collect();
    assert_eq!(flags, vec![false, true, false]);
    let anonymous = app.query(query, json!({})).await;
    assert!(
        anonymous["papers"]["nodes"]
            .as_array()
            .unwrap()
            .iter()
            .all(|p| p["viewerHasUpvoted"] == false)
    );
}

#[tokio::test]
async fn upvoters_and_upvoted_papers_are_newest_first() {
    let app = TestApp::spawn_with_demo().await;
    let tokens = app.quick_users("listed", 3).await;
    let papers = paper_ids(&app, 3).await;
    // listed0 upvotes papers 0, 1, 2 in turn; listed1 and listed2 upvote paper 0.
    for paper in &papers {
        app.gql(UPVOTE)
            .variables(json!({ "p": paper }))
            .bearer(&tokens[0])
            .send()
            .await
            .expect_ok();
    }
    for token in &tokens[1..] {
        app.gql(UPVOTE)
            .variables(json!({ "p": papers[0] }))
            .bearer(token)
            .send()
            .await
            .expect_ok();
    }
    let data = app
        .query(
            r#"query($p: ID!) {
                node(id: $p) { ... on Paper { upvoters(first: 2) { totalCount nodes { username } pageInfo { hasNextPage endCursor } } } }
                user(username: "listed0") { upvotedPapers { totalCount nodes { id } } }
            }"#,
            json!({ "p": papers[0] }),
        )
        .await;
    let upvoters = &data["node"]["upvoters"];
    assert_eq!(upvoters["totalCount"], 3);
    assert_eq!(
        upvoters["nodes"],
        json!([{ "username": "listed2" }, { "username": "listed1" }])
    );
    let cursor = upvoters["pageInfo"]["endCursor"].as_str().unwrap();
    let rest = app
        .query(
            "query($p: ID!, $c: String) { node(id: $p) { ... on Paper { upvoters(first: 2, after: $c) { nodes { username } pageInfo { hasNextPage } } } } }",
            json!({ "p": papers[0], "c": cursor }),
        )
        .await;
    assert_eq!(
        rest["node"]["upvoters"]["nodes"],
        json!([{ "username": "listed0" }])
    );
    let upvoted: Vec<&Value> = data["user"]["upvotedPapers"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| &p["id"])
        .collect();
    assert_eq!(data["user"]["upvotedPapers"]["totalCount"], 3);
    assert_eq!(
        upvoted,
        vec![&json!(papers[2]), &json!(papers[1]), &json!(papers[0])]
    );
}

#[tokio::test]
async fn upvotes_are_rate_limited_per_user() {
    let app = TestApp::spawn_with(|config| {
        config.demo = true;
        config.activity.upvotes_per_minute = 3;
    })
    .await;
    let tokens = app.quick_users("eager", 2).await;
    let paper = &paper_ids(&app, 1).await[0];
    for _ in 0..3 {
        app.gql(UPVOTE)
            .variables(json!({ "p": paper }))
            .bearer(&tokens[0])
            .send()
            .await
            .expect_ok();
    }
    let limited = app
        .gql(REMOVE)
        .variables(json!({ "p": paper }))
        .bearer(&tokens[0])
        .send()
        .await;
    assert_eq!(limited.error_code(), "RATE_LIMITED");
    assert_eq!(
        upvote_count(&app, paper).await,
        1,
        "the refused removal changed nothing"
    );
    app.gql(UPVOTE)
        .variables(json!({ "p": paper }))
        .bearer(&tokens[1])
        .send()
        .await
        .expect_ok();
}

/// Ids of a ranked list walked `size` at a time, upvoting `between` before each next page.
async fn walk_ranked(
    app: &TestApp,
    field_args: &str,
    size: usize,
    mut between: impl AsyncFnMut(),
) -> Vec<String> {
    let (field, args) = field_args.split_once('|').unwrap();
    let mut seen = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let paging = match &after {
            Some(cursor) => format!("first: {size}, after: \"{cursor}\""),
            None => format!("first: {size}"),
        };
        let separator = if args.is_empty() { "" } else { ", " };
        let data = app
            .query(&format!("{{ {field}({args}{separator}{paging}) {{ nodes {{ id }} pageInfo {{ hasNextPage endCursor }} }} }}"), json!({}))
            .await;
        let list = &data[field];
        seen.extend(
            list["nodes"]
                .as_array()
                .unwrap()
                .iter()
                .map(|p| p["id"].as_str().unwrap().to_owned()),
        );
        if list["pageInfo"]["hasNextPage"] == false {
            return seen;
        }
        after = Some(list["pageInfo"]["endCursor"].as_str().unwrap().to_owned());
        between().await;
    }
}

#[tokio::test]
async fn ranked_lists_never_repeat_a_paper_while_upvotes_arrive() {
    let app = TestApp::spawn_with_demo().await;
    let tokens = app.quick_users("shaker", 6).await;
    let papers = paper_ids(&app, 43).await;
    for list in [
        "papers|orderBy: {field: UPVOTES, direction: DESC}",
        "papers|orderBy: {field: UPVOTES, direction: ASC}",
        "dailyPapers|",
        "trendingPapers|window: ALL",
    ] {
        let mut step = 0usize;
        let walked = walk_ranked(&app, list, 4, async || {
            // Push the next unseen papers to the top and pull the top ones down.
            for token in &tokens {
                let paper = &papers[(step * 5) % papers.len()];
                app.gql(UPVOTE)
                    .variables(json!({ "p": paper }))
                    .bearer(token)
                    .send()
                    .await
                    .expect_ok();
            }
            step += 1;
        })
        .await;
        let distinct: HashSet<&String> = walked.iter().collect();
        assert_eq!(distinct.len(), walked.len(), "{list}: a paper came twice");
        assert_eq!(walked.len(), 43, "{list}: every paper once");
    }
}

#[tokio::test]
async fn a_refresh_applies_new_upvotes_and_retires_old_cursors() {
    let app = TestApp::spawn_with_demo().await;
    let token = &app.quick_users("mover", 1).await[0];
    let query = "{ papers(first: 2, orderBy: {field: UPVOTES, direction: DESC}) { nodes { id upvoteCount } pageInfo { endCursor } } }";
    let before = app.query(query, json!({})).await;
    let cursor = before["papers"]["pageInfo"]["endCursor"]
        .as_str()
        .unwrap()
        .to_owned();
    let last = paper_ids(&app, 43).await.pop().unwrap();
    for _ in 0..1 {
        app.gql(UPVOTE)
            .variables(json!({ "p": last }))
            .bearer(token)
            .send()
            .await
            .expect_ok();
    }
    // Until the refresh, the ranking is frozen (the live count already shows).
    assert_eq!(
        app.query(query, json!({})).await["papers"]["nodes"],
        before["papers"]["nodes"]
    );
    assert!(rankings::refresh(&app.state.db).await.unwrap().is_some());
    assert_eq!(
        rankings::refresh(&app.state.db).await.unwrap(),
        None,
        "nothing new to apply"
    );
    let stale = app
        .gql("query($c: String) { papers(first: 2, after: $c, orderBy: {field: UPVOTES, direction: DESC}) { nodes { id } } }")
        .variables(json!({ "c": cursor }))
        .send()
        .await;
    assert_eq!(stale.error_code(), "BAD_USER_INPUT");
    assert_eq!(stale.error_field().as_deref(), Some("after"));
    // A paper with 0 + 1 upvotes now ranks among the 1s, after the 3 and 2s.
    let after_refresh = app.query("{ papers(first: 4, orderBy: {field: UPVOTES, direction: DESC}) { nodes { upvoteCount } } }", json!({})).await;
    let counts: Vec<i64> = after_refresh["papers"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["upvoteCount"].as_i64().unwrap())
        .collect();
    assert_eq!(counts, vec![3, 2, 2, 1]);
}

#[tokio::test]
async fn deleting_an_account_takes_its_upvotes_off_the_counts() {
    let app = TestApp::spawn_with_demo().await;
    let token = &app.quick_users("leaver", 1).await[0];
    let paper = &paper_ids(&app, 1).await[0];
    app.gql(UPVOTE)
        .variables(json!({ "p": paper }))
        .bearer(token)
        .send()
        .await
        .expect_ok();
    assert_eq!(upvote_count(&app, paper).await, 1);
    let db = app.state.db.writer();
    db.execute_raw(Statement::from_string(
        db.get_database_backend(),
        "DELETE FROM users WHERE username = 'leaver0'",
    ))
    .await
    .unwrap();
    assert_eq!(upvote_count(&app, paper).await, 0);
}
