//! Anonymous reads of the hot lists are answered once and shared until something they show
//! changes: never stale after a change by more than the event delay.

use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::helpers::{TestApp, TestUser};

const FRONT_PAGE: &str = "{ papers(first: 5) { nodes { id title upvoteCount authors { name } } } }";
const UPVOTE: &str = "mutation($p: ID!) { upvotePaper(paperId: $p) { paper { upvoteCount } } }";

/// Waits until the instance has heard the changes of its start-up (on PostgreSQL the demo
/// papers' notifications arrive after the server answers), so that only a test's own
/// changes retire answers.
pub async fn settled(app: TestApp) -> TestApp {
    settle(&app).await;
    app
}

/// Waits until `app` has heard every change made so far: on PostgreSQL an instance hears
/// its own changes back a little after it published them, and each retires the answers
/// computed meanwhile.
pub async fn settle(app: &TestApp) {
    let mut last = app.state.events.version();
    let mut quiet_since = Instant::now();
    let started = Instant::now();
    while quiet_since.elapsed() < Duration::from_millis(300) {
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "the bus never settled"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
        let now = app.state.events.version();
        if now != last {
            last = now;
            quiet_since = Instant::now();
        }
    }
}

/// The answer to an anonymous `query`, and the statements it cost.
async fn anonymous_read(app: &TestApp, query: &str, variables: Value) -> (Value, u64) {
    let before = app.statements_executed();
    let data = app.query(query, variables).await;
    (data, app.statements_executed() - before)
}

#[tokio::test]
async fn a_repeated_anonymous_read_costs_no_statement_until_something_changes() {
    let app = settled(TestApp::spawn_with_demo().await).await;
    let (first, cost) = anonymous_read(&app, FRONT_PAGE, json!({})).await;
    assert!(cost > 0);
    let (again, cost) = anonymous_read(&app, FRONT_PAGE, json!({})).await;
    assert_eq!(cost, 0, "the same read is shared");
    assert_eq!(again, first);

    // An upvote is visible to the very next anonymous read of this instance.
    let paper = &first["papers"]["nodes"][0];
    let before = paper["upvoteCount"].as_i64().unwrap();
    let token = &app.quick_users("voter", 1).await[0];
    app.gql(UPVOTE)
        .variables(json!({ "p": paper["id"] }))
        .bearer(token)
        .send()
        .await
        .expect_ok();
    let (after, cost) = anonymous_read(&app, FRONT_PAGE, json!({})).await;
    assert!(cost > 0, "a change retires the shared answer");
    assert_eq!(
        after["papers"]["nodes"][0]["upvoteCount"].as_i64().unwrap(),
        before + 1
    );
}

#[tokio::test]
async fn signed_in_reads_and_reads_beyond_the_hot_lists_are_never_shared() {
    let app = settled(TestApp::spawn_with_demo().await).await;
    let token = &app.quick_users("reader", 1).await[0];
    // (A signed-in read with no viewer fields, or only comments', shares an overlaid answer:
    // see `personalised_answers`.)
    let own_page = "{ papers(first: 5) { nodes { id title viewerHasUpvoted } } }";
    for _ in 0..2 {
        let before = app.statements_executed();
        app.gql(own_page).bearer(token).send().await.expect_ok();
        assert!(
            app.statements_executed() > before,
            "a viewer's answer is their own"
        );
    }
    let mixed = "{ papers(first: 2) { nodes { title } } users: searchPapers(query: \"model\", first: 2) { totalCount } }";
    for _ in 0..2 {
        let (_, cost) = anonymous_read(&app, mixed, json!({})).await;
        assert!(cost > 0, "search is not a shared read");
    }
}

#[tokio::test]
async fn variables_make_different_reads() {
    let app = settled(TestApp::spawn_with_demo().await).await;
    let query = "query($n: Int) { papers(first: $n) { nodes { title } } }";
    let (two, _) = anonymous_read(&app, query, json!({ "n": 2 })).await;
    let (three, cost) = anonymous_read(&app, query, json!({ "n": 3 })).await;
    assert!(cost > 0);
    assert_eq!(two["papers"]["nodes"].as_array().unwrap().len(), 2);
    assert_eq!(three["papers"]["nodes"].as_array().unwrap().len(), 3);
    let (again, cost) = anonymous_read(&app, query, json!({ "n": 2 })).await;
    assert_eq!(cost, 0);
    assert_eq!(again, two);
}

#[tokio::test]
async fn a_submitted_and_a_deleted_paper_show_at_once() {
    let app = settled(TestApp::spawn_with_demo().await).await;
    let newest = "{ papers(first: 1) { nodes { id title } } }";
    let (before, _) = anonymous_read(&app, newest, json!({})).await;
    let admin = app.register("curator").await;
    app.promote("curator").await;
    let submitted = app
        .gql("mutation($i: SubmitPaperInput!) { submitPaper(input: $i) { paper { id } } }")
        .variables(json!({ "i": {
            "title": "Shared Answers Go Stale Only Until the Next Event",
            "abstract": "We check that a cache of answers follows every change.",
            "authors": ["Grace Hopper"],
        }}))
        .bearer(&admin.access_token)
        .send()
        .await
        .expect_ok();
    let id = submitted["submitPaper"]["paper"]["id"].clone();
    let (after, _) = anonymous_read(&app, newest, json!({})).await;
    assert_ne!(after, before);
    assert_eq!(after["papers"]["nodes"][0]["id"], id);

    let lookup = "query($id: ID!) { paper(id: $id) { title } }";
    let (found, _) = anonymous_read(&app, lookup, json!({ "id": id })).await;
    assert!(found["paper"].is_object());
    app.delete_paper(&admin, &id).await;
    let (gone, _) = anonymous_read(&app, lookup, json!({ "id": id })).await;
    assert_eq!(gone["paper"], Value::Null);
    let (newest_again, _) = anonymous_read(&app, newest, json!({})).await;
    assert_eq!(newest_again, before);
}

#[tokio::test]
async fn an_upvote_on_one_instance_retires_the_answers_of_another() {
    let app = settled(TestApp::spawn_with_demo().await).await;
    if !app.is_postgres() {
        // Instances share events through PostgreSQL LISTEN/NOTIFY; SQLite runs one instance.
        return;
    }
    let second = settled(app.second_instance().await).await;
    let lookup = "{ paper(arxivId: \"2510.14009\") { id upvoteCount } }";
    let (seen, _) = anonymous_read(&second, lookup, json!({})).await;
    let (_, cost) = anonymous_read(&second, lookup, json!({})).await;
    assert_eq!(cost, 0, "the second instance shares its answer");
    let before = seen["paper"]["upvoteCount"].as_i64().unwrap();
    let token = &app.quick_users("remote", 1).await[0];
    app.gql(UPVOTE)
        .variables(json!({ "p": seen["paper"]["id"] }))
        .bearer(token)
        .send()
        .await
        .expect_ok();
    let upvoted = Instant::now();
    loop {
        let (now, _) = anonymous_read(&second, lookup, json!({})).await;
        if now["paper"]["upvoteCount"].as_i64() == Some(before + 1) {
            break;
        }
        assert!(
            upvoted.elapsed() < Duration::from_millis(500),
            "the other instance still answers {now} after {:?}",
            upvoted.elapsed()
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

/// A paper page showing its commenters as everyone sees them.
const COMMENTERS: &str = "query($p: ID!) { paper(id: $p) { title comments(first: 5) {
    nodes { body viewerHasUpvoted author { username displayName role } } } } }";

/// `COMMENTERS` on `paper`, anonymous and as `reader`: both answers' first commenter, and
/// the statements each read cost.
async fn commenter(app: &TestApp, paper: &str, reader: &TestUser) -> [(Value, u64); 2] {
    let (anonymous, anonymous_cost) = anonymous_read(app, COMMENTERS, json!({ "p": paper })).await;
    let before = app.statements_executed();
    let signed_in = app
        .gql(COMMENTERS)
        .variables(json!({ "p": paper }))
        .bearer(&reader.access_token)
        .send()
        .await
        .expect_ok();
    let signed_in_cost = app.statements_executed() - before;
    let first = |page: &Value| page["paper"]["comments"]["nodes"][0]["author"].clone();
    [
        (first(&anonymous), anonymous_cost),
        (first(&signed_in), signed_in_cost),
    ]
}

#[tokio::test]
async fn a_paper_page_is_shared_until_an_account_it_shows_changes() {
    let app = settled(TestApp::spawn_with_demo().await).await;
    let paper = app.paper_ids(1).await.remove(0);
    let ada = app.register("ada").await;
    let bob = app.register("bob").await;
    let admin = app.register("root").await;
    app.promote("root").await;
    app.gql("mutation($i: AddCommentInput!) { addComment(input: $i) { comment { id } } }")
        .variables(json!({ "i": { "paperId": paper, "body": "Which datasets?" } }))
        .bearer(&ada.access_token)
        .send()
        .await
        .expect_ok();
    settle(&app).await;
    let [(shown, _), _] = commenter(&app, &paper, &bob).await;
    assert_eq!(shown["displayName"], Value::Null);

    // Nothing on the page moves with the clock: it outlives the second that bounds the
    // hot lists. A signed-in read costs the viewer's comment facts (its token, checked
    // before, is trusted until an account changes).
    let version = app.state.events.version();
    tokio::time::sleep(Duration::from_millis(1_200)).await;
    let [(_, anonymous_cost), (_, signed_in_cost)] = commenter(&app, &paper, &bob).await;
    assert_eq!(
        (anonymous_cost, signed_in_cost),
        (0, 1),
        "bus version {version:?}, then {:?}",
        app.state.events.version()
    );

    let as_ada = |query: &'static str, variables: Value| {
        app.gql(query)
            .variables(variables)
            .bearer(&ada.access_token)
            .send()
    };
    as_ada(
        "mutation($i: UpdateProfileInput!) { updateProfile(input: $i) { id } }",
        json!({ "i": { "displayName": "Ada Lovelace" } }),
    )
    .await
    .expect_ok();
    for (author, _) in commenter(&app, &paper, &bob).await {
        assert_eq!(
            author["displayName"], "Ada Lovelace",
            "a profile edit shows at once"
        );
    }

    app.gql("mutation($u: String!) { setUserRole(username: $u, role: MODERATOR) { role } }")
        .variables(json!({ "u": "ada" }))
        .bearer(&admin.access_token)
        .send()
        .await
        .expect_ok();
    for (author, _) in commenter(&app, &paper, &bob).await {
        assert_eq!(
            author["role"], "MODERATOR",
            "a role set by an admin shows at once"
        );
    }

    // The operator's command runs in another process: the server hears it.
    let output = crate::helpers::fixtures::run_command(
        &app,
        &["user", "promote", "ada", "--role", "user"],
        &[],
    )
    .await;
    assert!(output.status.success(), "{output:?}");
    for (author, _) in commenter(&app, &paper, &bob).await {
        assert_eq!(author["role"], "USER", "the operator's promotion shows");
    }

    as_ada(
        "mutation($p: String!) { deleteAccount(password: $p) }",
        json!({ "p": ada.password }),
    )
    .await
    .expect_ok();
    for (author, _) in commenter(&app, &paper, &bob).await {
        assert_eq!(author, Value::Null, "a deleted account shows at once");
    }
}
