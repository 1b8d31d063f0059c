//! Upvotes: signed-in, idempotent, exact under concurrency; viewer fields; stable rankings.

use std::collections::HashSet;
use std::time::{Duration, Instant};

use paperboard::services::rankings;
use sea_orm::{ConnectionTrait, Statement};
use serde_json::{Value, json};

use crate::helpers::{GqlResponse, TestApp};
use crate::shared_answers::settled;

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

/// Papers whose count is not their baseline plus their upvote rows.
async fn miscounted_papers(app: &TestApp) -> i64 {
    app.count(
        "SELECT COUNT(*) FROM papers p WHERE p.upvote_count <> p.upvote_baseline + \
         (SELECT COUNT(*) FROM upvotes u WHERE u.paper_id = p.id)",
    )
    .await
}

/// Each of `tokens` upvotes `paper_of(its index)` at once; the answers, in order.
async fn upvote_at_once<'a>(
    app: &TestApp,
    tokens: &[String],
    paper_of: impl Fn(usize) -> &'a str,
) -> Vec<GqlResponse> {
    let requests = tokens.iter().enumerate().map(|(index, token)| {
        app.gql(UPVOTE)
            .variables(json!({ "p": paper_of(index) }))
            .bearer(token)
            .send()
    });
    futures_util::future::join_all(requests).await
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
    assert_eq!(app.count("SELECT COUNT(*) FROM upvotes").await, 0);
}

/// Concurrent upvotes share commits on SQLite: one for a missing paper must fail alone.
#[tokio::test]
async fn an_upvote_of_a_missing_paper_fails_alone_among_concurrent_ones() {
    let app = TestApp::spawn_with_demo().await;
    let tokens = app.quick_users("together", 40).await;
    let papers = paper_ids(&app, 8).await;
    let unknown = "UGFwZXI6OTk5OTk5"; // Paper:999999
    let missing = |index: usize| index.is_multiple_of(5);
    let answers = upvote_at_once(&app, &tokens, |index| {
        if missing(index) {
            unknown
        } else {
            papers[index % papers.len()].as_str()
        }
    })
    .await;
    let mut stored = 0;
    for (index, response) in answers.iter().enumerate() {
        if missing(index) {
            assert_eq!(response.error_code(), "NOT_FOUND", "{}", response.body);
        } else {
            assert!(response.body.get("errors").is_none(), "{}", response.body);
            assert_eq!(
                response.body["data"]["upvotePaper"]["paper"]["viewerHasUpvoted"],
                true
            );
            stored += 1;
        }
    }
    assert_eq!(app.count("SELECT COUNT(*) FROM upvotes").await, stored);
}

/// Concurrent upvotes of one user are written together (one transaction on SQLite, one
/// call on PostgreSQL): together they spend exactly the user's limit.
#[tokio::test]
async fn a_burst_of_one_users_upvotes_spends_exactly_their_limit() {
    let app = TestApp::spawn_with(|config| {
        config.demo = true;
        config.activity.upvotes_per_minute = 5;
    })
    .await;
    let token = &app.quick_users("burst", 1).await[0];
    let papers = paper_ids(&app, 20).await;
    let responses = upvote_at_once(&app, &vec![token.clone(); 20], |index| &papers[index]).await;
    let mut upvoted = 0;
    for response in &responses {
        if response.body.get("errors").is_none() {
            assert_eq!(
                response.body["data"]["upvotePaper"]["paper"]["viewerHasUpvoted"],
                true
            );
            upvoted += 1;
        } else {
            assert_eq!(response.error_code(), "RATE_LIMITED", "{}", response.body);
        }
    }
    assert_eq!(upvoted, 5, "five a minute, all spent at once");
    assert_eq!(app.count("SELECT COUNT(*) FROM upvotes").await, 5);
    assert_eq!(miscounted_papers(&app).await, 0);
}

/// Upvotes racing the deletion of their paper: each is stored before the deletion (and
/// goes with it) or is `NOT_FOUND`; the upvotes written beside them are unharmed. (On
/// PostgreSQL a deletion inside a group's call fails the call, and each upvote of the
/// group is cast again on its own.)
#[tokio::test]
async fn upvotes_racing_the_deletion_of_their_paper_fail_alone() {
    let app = TestApp::spawn_with_demo().await;
    let tokens = app.quick_users("racer", 40).await;
    let remover = app.register("remover").await;
    app.promote("remover").await;
    let papers = paper_ids(&app, 2).await;
    let (doomed, kept) = (&papers[0], &papers[1]);
    let kept_before = upvote_count(&app, kept).await;
    let on_doomed = |index: usize| index.is_multiple_of(2);
    let upvotes = upvote_at_once(
        &app,
        &tokens,
        |index| {
            if on_doomed(index) { doomed } else { kept }
        },
    );
    let deletion = async {
        tokio::time::sleep(Duration::from_millis(5)).await;
        app.delete_paper(&remover, &json!(doomed)).await;
    };
    let (answers, ()) = tokio::join!(upvotes, deletion);
    for (index, response) in answers.iter().enumerate() {
        if on_doomed(index) && response.body.get("errors").is_some() {
            assert_eq!(response.error_code(), "NOT_FOUND", "{}", response.body);
        } else {
            assert!(response.body.get("errors").is_none(), "{}", response.body);
        }
    }
    assert_eq!(upvote_count(&app, kept).await, kept_before + 20);
    assert_eq!(app.count("SELECT COUNT(*) FROM upvotes").await, 20);
}

/// One user's concurrent upvotes and removals of one paper are written in some order, each
/// seeing the ones before it: the count stays exact.
#[tokio::test]
async fn one_users_concurrent_upvotes_and_removals_of_one_paper_stay_exact() {
    let app = TestApp::spawn_with_demo().await;
    let token = &app.quick_users("flipper", 1).await[0];
    let paper = &paper_ids(&app, 1).await[0];
    let baseline = upvote_count(&app, paper).await;
    let flips = (0..24).map(|step| {
        let mutation = if step % 3 == 2 { REMOVE } else { UPVOTE };
        app.gql(mutation)
            .variables(json!({ "p": paper }))
            .bearer(token)
            .send()
    });
    for response in futures_util::future::join_all(flips).await {
        assert!(response.body.get("errors").is_none(), "{}", response.body);
    }
    let rows = app.count("SELECT COUNT(*) FROM upvotes").await;
    assert!(rows <= 1);
    assert_eq!(upvote_count(&app, paper).await, baseline + rows);
    assert_eq!(miscounted_papers(&app).await, 0);
}

/// An upvote whose account is gone (deleted behind the server's back while its token is
/// trusted) fails on the foreign key; the upvotes written with it are unharmed (on SQLite
/// the group's set insert fails and each is written alone; on PostgreSQL the group's call).
#[tokio::test]
async fn an_upvote_of_a_vanished_account_fails_alone_among_concurrent_ones() {
    let app = settled(TestApp::spawn_with_demo().await).await;
    let tokens = app.quick_users("crowd", 30).await;
    let papers = paper_ids(&app, 30).await;
    // Trusted once seen; then the account is deleted without a word to the server. (Not the
    // first request: that one may find the writer idle and go alone.)
    let ghost = 15;
    app.gql("{ __typename }")
        .bearer(&tokens[ghost])
        .send()
        .await
        .expect_ok();
    app.execute_sql("DELETE FROM users WHERE username = 'crowd15'")
        .await;
    let answers = upvote_at_once(&app, &tokens, |index| &papers[index]).await;
    for (index, response) in answers.iter().enumerate() {
        if index == ghost {
            assert_eq!(response.error_code(), "NOT_FOUND", "{}", response.body);
        } else {
            assert!(response.body.get("errors").is_none(), "{}", response.body);
        }
    }
    assert_eq!(app.count("SELECT COUNT(*) FROM upvotes").await, 29);
    assert_eq!(miscounted_papers(&app).await, 0);
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

    assert_eq!(miscounted_papers(&app).await, 0);
    assert!(
        app.count("SELECT COUNT(*) FROM upvotes").await > 100,
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
    // Three a minute: the next one is about twenty seconds away.
    let retry_after = limited.body["errors"][0]["extensions"]["retryAfterSeconds"]
        .as_i64()
        .unwrap_or_default();
    assert!(
        (15..=21).contains(&retry_after),
        "retry after {retry_after} s"
    );
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

/// Ids of a ranked list walked `size` at a time (backward from the end with `last` and
/// `before` when `backward`), running `between` before each next page.
async fn walk_ranked(
    app: &TestApp,
    field_args: &str,
    size: usize,
    backward: bool,
    mut between: impl AsyncFnMut(),
) -> Vec<String> {
    let (field, args) = field_args.split_once('|').unwrap();
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let paging = match (&cursor, backward) {
            (Some(cursor), false) => format!("first: {size}, after: \"{cursor}\""),
            (Some(cursor), true) => format!("last: {size}, before: \"{cursor}\""),
            (None, false) => format!("first: {size}"),
            (None, true) => format!("last: {size}"),
        };
        let separator = if args.is_empty() { "" } else { ", " };
        let data = app
            .query(&format!("{{ {field}({args}{separator}{paging}) {{ nodes {{ id }} pageInfo {{ hasNextPage hasPreviousPage startCursor endCursor }} }} }}"), json!({}))
            .await;
        let list = &data[field];
        let mut ids: Vec<String> = list["nodes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["id"].as_str().unwrap().to_owned())
            .collect();
        if backward {
            ids.reverse();
        }
        seen.extend(ids);
        let (more, next) = if backward {
            ("hasPreviousPage", "startCursor")
        } else {
            ("hasNextPage", "endCursor")
        };
        if list["pageInfo"][more] == false {
            return seen;
        }
        cursor = Some(list["pageInfo"][next].as_str().unwrap().to_owned());
        between().await;
    }
}

/// Walks every ranked list while upvotes reorder it and the ranking refreshes between any
/// two pages: no page fails, none repeats a paper, none is skipped.
#[tokio::test]
async fn walks_through_ranked_lists_stay_exact_across_refreshes() {
    let app = TestApp::spawn_with_demo().await;
    let tokens = app.quick_users("shaker", 6).await;
    let papers = paper_ids(&app, 43).await;
    for (list, backward) in [
        ("papers|orderBy: {field: UPVOTES, direction: DESC}", false),
        ("papers|orderBy: {field: UPVOTES, direction: ASC}", false),
        ("papers|orderBy: {field: UPVOTES, direction: DESC}", true),
        ("dailyPapers|", false),
        ("trendingPapers|window: ALL", false),
    ] {
        let mut step = 0usize;
        let walked = walk_ranked(&app, list, 4, backward, async || {
            // Push the next papers to the top (or remove those upvotes again), then
            // refresh, so that the ranking moves between every two pages.
            let mutation = if step % 3 == 2 { REMOVE } else { UPVOTE };
            for token in &tokens {
                let paper = &papers[(step * 5) % papers.len()];
                app.gql(mutation)
                    .variables(json!({ "p": paper }))
                    .bearer(token)
                    .send()
                    .await
                    .expect_ok();
            }
            rankings::refresh(&app.state.db, &app.state.events)
                .await
                .unwrap();
            step += 1;
        })
        .await;
        let distinct: HashSet<&String> = walked.iter().collect();
        assert_eq!(distinct.len(), walked.len(), "{list}: a paper came twice");
        assert_eq!(walked.len(), 43, "{list}: every paper once");
        assert!(step > 5, "{list}: the ranking moved during the walk");
    }
}

/// A cursor whose history has been pruned (older than the retention period) keeps
/// working from its keys.
#[tokio::test]
async fn a_cursor_older_than_the_history_still_works() {
    let app = TestApp::spawn_with_demo().await;
    let token = &app.quick_users("mover", 1).await[0];
    let query = "query($c: String) { papers(first: 5, after: $c, orderBy: {field: UPVOTES, direction: DESC}) { nodes { id } pageInfo { endCursor } } }";
    let first = app.query(query, json!({ "c": null })).await;
    let cursor = first["papers"]["pageInfo"]["endCursor"].clone();
    for paper in paper_ids(&app, 43).await.iter().rev().take(10) {
        app.gql(UPVOTE)
            .variables(json!({ "p": paper }))
            .bearer(token)
            .send()
            .await
            .expect_ok();
        rankings::refresh(&app.state.db, &app.state.events)
            .await
            .unwrap();
    }
    let db = app.state.db.writer();
    db.execute_raw(Statement::from_string(
        db.get_database_backend(),
        "DELETE FROM ranking_history",
    ))
    .await
    .unwrap();
    let next = app.query(query, json!({ "c": cursor })).await;
    assert_eq!(next["papers"]["nodes"].as_array().unwrap().len(), 5);
}

/// An upvote shows in the order of every ranked list's first page within 2 s, refreshed
/// by the server itself (every half second by default).
#[tokio::test]
async fn an_upvote_shows_in_every_ranked_list_within_two_seconds() {
    let app = TestApp::spawn_with(|config| {
        config.demo = true;
        config.activity.ranking_refresh_millis = 500;
    })
    .await;
    let tokens = app.quick_users("fan", 5).await;
    let lists = [
        "papers(first: 1, orderBy: {field: UPVOTES, direction: DESC})",
        "dailyPapers(first: 1)",
        "trendingPapers(first: 1, window: ALL)",
    ];
    let top = |data: &serde_json::Value, list: &str| {
        let field = list.split('(').next().unwrap();
        data[field]["nodes"][0]["id"].as_str().unwrap().to_owned()
    };
    // The demo's most upvoted paper has 3 upvotes: five more make the last one first.
    let last = paper_ids(&app, 43).await.pop().unwrap();
    for list in lists {
        let data = app
            .query(&format!("{{ {list} {{ nodes {{ id }} }} }}"), json!({}))
            .await;
        assert_ne!(top(&data, list), last, "{list}");
    }
    for token in &tokens {
        app.gql(UPVOTE)
            .variables(json!({ "p": last }))
            .bearer(token)
            .send()
            .await
            .expect_ok();
    }
    let upvoted = Instant::now();
    for list in lists {
        loop {
            let data = app
                .query(&format!("{{ {list} {{ nodes {{ id }} }} }}"), json!({}))
                .await;
            if top(&data, list) == last {
                break;
            }
            assert!(
                upvoted.elapsed() < Duration::from_secs(2),
                "{list}: not reordered"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
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
