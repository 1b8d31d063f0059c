//! No N+1: the number of SQL statements a page costs does not grow with the page size.

use chrono::{TimeZone, Utc};
use paperboard::cli::generate::{Plan, Sizes, generate};
use serde_json::json;

use crate::helpers::TestApp;

async fn app_with_synthetic_data() -> TestApp {
    let app = TestApp::spawn().await;
    let plan = Plan {
        sizes: Sizes {
            papers: 150,
            authors: 120,
            users: 30,
            upvotes: 600,
            comments: 0,
        },
        seed: 7,
        until: Utc.with_ymd_and_hms(2026, 11, 1, 0, 0, 0).unwrap(),
        password_hash: None,
    };
    generate(&app.state.db, &plan).await.unwrap();
    app
}

/// Statements the server runs to answer `query`.
async fn statements_for(app: &TestApp, query: &str) -> u64 {
    let before = app.statements_executed();
    app.query(query, json!({})).await;
    app.statements_executed() - before
}

#[tokio::test]
async fn a_front_page_costs_the_same_statements_for_5_and_100_papers() {
    let app = app_with_synthetic_data().await;
    let front_page = |size: u32| {
        format!(
            "{{ papers(first: {size}) {{ nodes {{ title authorCount upvoteCount \
               authors {{ name }} submittedBy {{ username }} }} }} }}"
        )
    };
    let small = statements_for(&app, &front_page(5)).await;
    let large = statements_for(&app, &front_page(100)).await;
    // One for the page, one for all bylines not cached yet, one for all submitters.
    assert_eq!(small, 3);
    assert_eq!(large, small);
    // The same anonymous read again is answered from the instance's shared answers.
    assert_eq!(statements_for(&app, &front_page(100)).await, 0);
    // Bylines never change: once seen, they come from memory.
    let again = statements_for(&app, &format!("query Again {}", front_page(100))).await;
    assert_eq!(again, 2);
}

#[tokio::test]
async fn nested_author_pages_are_batched() {
    let app = app_with_synthetic_data().await;
    let query = |size: u32| {
        format!(
            "{{ authors(first: {size}) {{ nodes {{ name paperCount \
               papers(first: 3) {{ totalCount nodes {{ title authors {{ name }} }} }} }} }} }}"
        )
    };
    let small = statements_for(&app, &query(5)).await;
    let large = statements_for(&app, &query(100)).await;
    // Authors, paper counts (shared by paperCount and totalCount), first pages, bylines.
    assert_eq!(small, 4);
    assert_eq!(large, small);
}

#[tokio::test]
async fn total_count_costs_a_statement_only_when_selected() {
    let app = app_with_synthetic_data().await;
    let without = statements_for(&app, "{ papers(first: 20) { nodes { title } } }").await;
    let with = statements_for(&app, "{ papers(first: 20) { totalCount nodes { title } } }").await;
    assert_eq!(without, 1);
    assert_eq!(with, 2);
}

#[tokio::test]
async fn a_signed_in_front_page_with_viewer_has_upvoted_is_batched_too() {
    let app = app_with_synthetic_data().await;
    let token = &app.quick_users("counted", 1).await[0];
    let front_page = |size: u32| {
        format!(
            "{{ papers(first: {size}) {{ nodes {{ title upvoteCount viewerHasUpvoted \
               authors {{ name }} submittedBy {{ username }} }} }} }}"
        )
    };
    let statements = |query: String| {
        let app = &app;
        async move {
            let before = app.statements_executed();
            app.gql(&query).bearer(token).send().await.expect_ok();
            app.statements_executed() - before
        }
    };
    let small = statements(front_page(5)).await;
    let large = statements(front_page(100)).await;
    // The viewer's account, the page, its bylines, its submitters, the viewer's upvotes.
    assert_eq!(small, 5);
    assert_eq!(large, small);
}
