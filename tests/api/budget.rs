//! The hourly budget of cost points: what each operation costs, where the caller stands
//! (`extensions.cost`, `rateLimit`, the `RateLimit` headers), and `RATE_LIMITED` beyond it,
//! per identity and across instances.

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{GqlResponse, TestApp};

/// Costs 20 × (nodes 1 + id 1 + title 1 + authors 1 + name 1) + 1.
const FRONT_PAGE: &str = "{ papers(first: 20) { nodes { id title authors { name } } } }";
const FRONT_PAGE_COST: u64 = 101;
const RATE_LIMIT: &str = "{ rateLimit { limit cost remaining used resetAt } }";

fn cost(response: &GqlResponse) -> &Value {
    &response.body["extensions"]["cost"]
}

fn header<'a>(response: &'a GqlResponse, name: &str) -> &'a str {
    response
        .headers
        .get(name)
        .and_then(|value| value.to_str().ok())
        .unwrap_or_default()
}

#[tokio::test]
async fn every_answer_reports_its_cost_and_what_is_left() {
    let limit = 1_000_000;
    let app = TestApp::spawn_with(|config| {
        config.demo = true;
        config.platform.cost_points_per_hour = limit;
    })
    .await;
    let first = app.gql(FRONT_PAGE).send().await;
    assert_eq!(cost(&first)["requested"], FRONT_PAGE_COST);
    assert_eq!(cost(&first)["remaining"], limit - FRONT_PAGE_COST);
    let reset_at = cost(&first)["resetAt"].as_str().unwrap().to_owned();
    assert!(
        reset_at.ends_with(":00:00Z"),
        "windows end on the hour: {reset_at}"
    );
    assert_eq!(
        header(&first, "ratelimit-policy"),
        format!("\"hourly\";q={limit};w=3600")
    );
    assert!(
        header(&first, "ratelimit")
            .starts_with(&format!("\"hourly\";r={};t=", limit - FRONT_PAGE_COST)),
        "{:?}",
        first.headers
    );

    // A repeated (shared) answer costs the same.
    let again = app.gql(FRONT_PAGE).send().await;
    assert_eq!(cost(&again)["remaining"], limit - 2 * FRONT_PAGE_COST);

    let report = app.gql(RATE_LIMIT).send().await;
    let rate_limit = report.body["data"]["rateLimit"].clone();
    let own_cost = 6;
    assert_eq!(rate_limit["limit"], limit);
    assert_eq!(rate_limit["cost"], own_cost);
    assert_eq!(
        rate_limit["remaining"],
        limit - 2 * FRONT_PAGE_COST - own_cost
    );
    assert_eq!(rate_limit["used"], 2 * FRONT_PAGE_COST + own_cost);
    let instant = |text: &str| chrono::DateTime::parse_from_rfc3339(text).unwrap();
    assert_eq!(
        instant(rate_limit["resetAt"].as_str().unwrap()),
        instant(&reset_at)
    );

    // A signed-in user spends their own budget, not their address's.
    let token = app.quick_users("spender", 1).await.remove(0);
    let signed_in = app.gql(FRONT_PAGE).bearer(&token).send().await;
    assert_eq!(cost(&signed_in)["remaining"], limit - FRONT_PAGE_COST);

    // A publicly cacheable answer is the same for every caller: only what it requested.
    let public = app
        .client
        .get(app.url("/graphql"))
        .query(&[("query", FRONT_PAGE)])
        .send()
        .await
        .unwrap();
    let public = GqlResponse::read(public).await;
    assert!(header(&public, "cache-control").starts_with("public"));
    assert_eq!(cost(&public), &json!({ "requested": FRONT_PAGE_COST }));
    assert!(
        header(&public, "ratelimit").contains(";r="),
        "the caller's position is in the headers"
    );
}

#[tokio::test]
async fn a_spent_budget_refuses_with_429_and_runs_nothing() {
    let app = TestApp::spawn_with(|config| {
        config.demo = true;
        config.platform.cost_points_per_hour = 250;
    })
    .await;
    let token = app.quick_users("voter", 1).await.remove(0);
    let paper = app.paper_ids(1).await.remove(0);
    let upvote = "mutation($p: ID!) { upvotePaper(paperId: $p) { paper { upvoteCount } } }";
    for _ in 0..2 {
        app.gql(FRONT_PAGE).bearer(&token).send().await.expect_ok();
    }
    // 48 points left; this read needs 101.
    let refused = app.gql(FRONT_PAGE).bearer(&token).send().await;
    assert_eq!(refused.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(refused.error_code(), "RATE_LIMITED");
    let retry_after: u64 = header(&refused, "retry-after").parse().unwrap();
    assert!((1..=3600).contains(&retry_after));
    assert_eq!(cost(&refused)["remaining"], 48);
    assert!(refused.body.get("data").is_none());

    let before = app
        .query(
            "query($p: ID!) { node(id: $p) { ... on Paper { upvoteCount } } }",
            json!({ "p": paper }),
        )
        .await["node"]["upvoteCount"]
        .clone();
    // Small enough to fit: it runs.
    app.gql(upvote)
        .variables(json!({ "p": paper }))
        .bearer(&token)
        .send()
        .await
        .expect_ok();
    // Spend the rest, then a mutation is refused before it touches anything.
    let mut refused_mutation = None;
    for _ in 0..200 {
        // One point each: the budget ends at exactly 0.
        let answer = app.gql("{ __typename }").bearer(&token).send().await;
        if answer.status == StatusCode::TOO_MANY_REQUESTS {
            let mutation = app
                .gql("mutation($p: ID!) { removeUpvote(paperId: $p) { paper { upvoteCount } } }")
                .variables(json!({ "p": paper }))
                .bearer(&token)
                .send()
                .await;
            refused_mutation = Some(mutation);
            break;
        }
    }
    let refused_mutation = refused_mutation.expect("the budget runs out");
    assert_eq!(refused_mutation.error_code(), "RATE_LIMITED");
    let after = app
        .query(
            "query($p: ID!) { node(id: $p) { ... on Paper { upvoteCount } } }",
            json!({ "p": paper }),
        )
        .await["node"]["upvoteCount"]
        .clone();
    assert_eq!(
        after.as_i64(),
        before.as_i64().map(|count| count + 1),
        "the refused removal did nothing"
    );

    // Sockets are charged too.
    let mut socket = app.ws_ready("graphql-transport-ws", Some(&token)).await;
    socket
        .subscribe(
            "subscribe",
            "1",
            "subscription { paperAdded { id title } }",
            json!({}),
        )
        .await;
    let message = socket.next_json().await;
    assert_eq!(message["type"], "error");
    assert_eq!(message["payload"][0]["extensions"]["code"], "RATE_LIMITED");
}

#[tokio::test]
async fn instances_on_one_database_share_a_budget() {
    let app = TestApp::spawn_with(|config| config.platform.cost_points_per_hour = 10_000).await;
    if !app.is_postgres() {
        // Budgets are shared through PostgreSQL; SQLite runs one instance.
        return;
    }
    let other = app.second_instance().await;
    let token = app.quick_users("both", 1).await.remove(0);
    for _ in 0..10 {
        app.gql(FRONT_PAGE).bearer(&token).send().await.expect_ok();
    }
    // The spending reaches the other instance within a flush period or two.
    let mut seen = None;
    for _ in 0..30 {
        tokio::time::sleep(Duration::from_millis(200)).await;
        let report = other.gql(RATE_LIMIT).bearer(&token).send().await;
        let used = report.body["data"]["rateLimit"]["used"].as_u64().unwrap();
        if used >= 10 * FRONT_PAGE_COST {
            seen = Some(used);
            break;
        }
    }
    assert!(
        seen.is_some(),
        "the other instance charges against the shared total"
    );
}
