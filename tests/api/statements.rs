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
            follows: 0,
            collections: 0,
            notifications: 0,
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
    // The token's account is read by its first use, then kept until an account changes.
    assert_eq!(statements("{ __typename }".to_owned()).await, 1);
    let small = statements(front_page(5)).await;
    let large = statements(front_page(100)).await;
    // The page, its bylines, its submitters, the viewer's upvotes.
    assert_eq!(small, 4);
    assert_eq!(large, small);
}

/// Statements the server runs to answer `query` for the user of `token`.
async fn statements_as(app: &TestApp, token: &str, query: &str) -> u64 {
    let before = app.statements_executed();
    app.gql(query).bearer(token).send().await.expect_ok();
    app.statements_executed() - before
}

/// Statements of `query` at sizes 5 and 100, after a first answer at 100 has put every
/// byline of both pages in the instance's cache (so that both sizes find them there).
async fn statements_at_5_and_100(
    app: &TestApp,
    token: &str,
    query: impl Fn(u32) -> String,
) -> (u64, u64) {
    statements_as(app, token, &query(100)).await;
    let small = statements_as(app, token, &query(5)).await;
    let large = statements_as(app, token, &query(100)).await;
    (small, large)
}

#[tokio::test]
async fn the_personal_fields_of_a_front_page_are_batched() {
    let app = app_with_synthetic_data().await;
    let token = &app.quick_users("follower", 1).await[0];
    // Something to find: every paper saved, and every author of the first page followed.
    app.execute_sql(
        "INSERT INTO saved_papers (user_id, paper_id, created_at)
         SELECT u.id, p.id, '2026-11-01T00:00:00+00:00' FROM users u, papers p
         WHERE u.username = 'follower0'",
    )
    .await;
    app.execute_sql(
        "INSERT INTO author_follows (user_id, author_id, created_at)
         SELECT u.id, a.id, '2026-11-01T00:00:00+00:00' FROM users u, authors a
         WHERE u.username = 'follower0'",
    )
    .await;
    let front_page = |size: u32| {
        format!(
            "{{ papers(first: {size}) {{ nodes {{ title viewerHasSaved collectionCount \
               authors {{ name viewerFollows followerCount }} }} }} }}"
        )
    };
    let (small, large) = statements_at_5_and_100(&app, token, front_page).await;
    // The page, saves, collection counts, follows, follower counts (the token's account and
    // the bylines come from the instance's caches once seen).
    assert_eq!(small, 5);
    assert_eq!(large, small);
}

#[tokio::test]
async fn a_collection_page_costs_the_same_for_5_and_100_items() {
    let app = app_with_synthetic_data().await;
    let token = &app.quick_users("collector", 1).await[0];
    let created = app
        .gql("mutation { createCollection(input: { name: \"All\", visibility: PUBLIC }) { id } }")
        .bearer(token)
        .send()
        .await
        .expect_ok();
    let id = created["createCollection"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    app.execute_sql(
        "INSERT INTO collection_items (collection_id, paper_id, position, note, added_at)
         SELECT c.id, p.id, p.id * 1000, 'note', '2026-11-01T00:00:00+00:00'
         FROM collections c, papers p",
    )
    .await;
    let page = |size: u32| {
        format!(
            "{{ node(id: \"{id}\") {{ ... on Collection {{ name itemCount owner {{ username }} \
               items(first: {size}) {{ totalCount nodes {{ note addedAt \
                 paper {{ title authors {{ name }} viewerHasSaved }} }} }} }} }} }}"
        )
    };
    let (small, large) = statements_at_5_and_100(&app, token, page).await;
    // The collection, its owner, the items with their papers, saves (the token's account
    // and the bylines come from the instance's caches once seen).
    assert_eq!(small, 4);
    assert_eq!(large, small);
}

#[tokio::test]
async fn a_notifications_page_costs_the_same_for_5_and_100_entries() {
    let app = app_with_synthetic_data().await;
    let token = &app.quick_users("reader", 1).await[0];
    app.execute_sql(
        "INSERT INTO notifications (user_id, kind, actor_id, paper_id, created_at)
         SELECT r.id, 'MODERATION', a.id, p.id, '2026-11-01T00:00:00+00:00'
         FROM users r, users a, papers p
         WHERE r.username = 'reader0' AND a.id = (SELECT MIN(id) FROM users) AND p.id <= 120",
    )
    .await;
    let page = |size: u32| {
        format!(
            "{{ viewer {{ unreadNotificationCount notifications(first: {size}) {{ nodes {{ \
               kind count actor {{ username }} paper {{ title }} comment {{ body }} \
               author {{ name }} }} }} }} }}"
        )
    };
    let (small, large) = statements_at_5_and_100(&app, token, page).await;
    // The viewer's account (for `viewer`: the token's check keeps its own once seen), the
    // unread count, the page, its actors, its papers.
    assert_eq!(small, 5);
    assert_eq!(large, small);
}

#[tokio::test]
async fn checking_a_session_token_costs_what_checking_an_unrevocable_one_does() {
    let app = TestApp::spawn().await;
    let user = app.register("counted").await;
    let operator = app.quick_users("minted", 1).await.remove(0);
    let viewer = "{ viewer { username } }";
    // A session's token reads its sign-in and user in one statement, as a minted token
    // (no sign-in) reads its user; `viewer` costs one more.
    assert_eq!(statements_as(&app, &operator, viewer).await, 2);
    assert_eq!(statements_as(&app, &user.access_token, viewer).await, 2);
    let created = app
        .send_as(
            Some(&user.access_token),
            "mutation { createPersonalAccessToken(input: { name: \"n\", scopes: [READ] }) { token } }",
            json!({}),
        )
        .await
        .expect_ok();
    let token = created["createPersonalAccessToken"]["token"]
        .as_str()
        .unwrap();
    // A personal token reads its row, then its user; its first use records `lastUsedAt`
    // (one more statement), later uses within a minute do not.
    assert_eq!(statements_as(&app, token, viewer).await, 4);
    assert_eq!(statements_as(&app, token, viewer).await, 3);
}
