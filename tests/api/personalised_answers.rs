//! A signed-in read of a paper page is computed once for everyone and personalised per
//! viewer: the answer must equal the one computed for the viewer alone, in every case a
//! comment's viewer fields depend on (upvoted, authored, hidden, moderated).

use serde_json::{Value, json};

use crate::helpers::{TestApp, TestUser};
use crate::shared_answers::settled;

/// The paper page of the benchmark, with aliases and every viewer-dependent comment field.
const PAGE: &str = "query($p: ID!) { paper(id: $p) { title commentCount
    comments(first: 20, orderBy: OLDEST) { totalCount nodes { id body bodyHtml hidden deleted
      upvoteCount replyCount viewerHasUpvoted mine: viewerCanEdit author { username }
      replies(first: 5) { nodes { id body hidden viewerHasUpvoted viewerCanEdit
        author { username } } } } } } }";

/// The same page through a fragment, which the shared path does not take: the answer
/// computed for the viewer alone.
const PAGE_BY_FRAGMENT: &str = "query($p: ID!) { paper(id: $p) { ...Page } }
  fragment Page on Paper { title commentCount
    comments(first: 20, orderBy: OLDEST) { totalCount nodes { id body bodyHtml hidden deleted
      upvoteCount replyCount viewerHasUpvoted mine: viewerCanEdit author { username }
      replies(first: 5) { nodes { id body hidden viewerHasUpvoted viewerCanEdit
        author { username } } } } } }";

const ADD: &str = "mutation($i: AddCommentInput!) { addComment(input: $i) { comment { id } } }";
const UPVOTE: &str = "mutation($id: ID!) { upvoteComment(id: $id) { comment { upvoteCount } } }";
const HIDE: &str =
    "mutation($id: ID!, $r: String!) { hideComment(id: $id, reason: $r) { comment { hidden } } }";

async fn write(app: &TestApp, user: &TestUser, query: &str, variables: Value) -> Value {
    app.gql(query)
        .variables(variables)
        .bearer(&user.access_token)
        .send()
        .await
        .expect_ok()
}

async fn add(
    app: &TestApp,
    user: &TestUser,
    paper: &str,
    parent: Option<&str>,
    body: &str,
) -> String {
    let data = write(
        app,
        user,
        ADD,
        json!({ "i": { "paperId": paper, "parentId": parent, "body": body } }),
    )
    .await;
    data["addComment"]["comment"]["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// `query` on `paper` as `user` (anonymous for `None`), and the statements it cost.
async fn read(app: &TestApp, user: Option<&TestUser>, query: &str, paper: &str) -> (Value, u64) {
    let before = app.statements_executed();
    let request = app.gql(query).variables(json!({ "p": paper }));
    let request = match user {
        Some(user) => request.bearer(&user.access_token),
        None => request,
    };
    let data = request.send().await.expect_ok();
    (data, app.statements_executed() - before)
}

/// The comment `id` among the page's comments and replies.
fn find<'a>(page: &'a Value, id: &str) -> &'a Value {
    let top = page["paper"]["comments"]["nodes"].as_array().unwrap();
    top.iter()
        .chain(
            top.iter()
                .flat_map(|node| node["replies"]["nodes"].as_array().unwrap()),
        )
        .find(|node| node["id"] == id)
        .unwrap_or_else(|| panic!("comment {id} not on the page"))
}

#[tokio::test]
async fn every_viewer_reads_the_page_computed_for_them_alone() {
    let app = settled(TestApp::spawn_with_demo().await).await;
    let paper = app.paper_ids(1).await.remove(0);
    let ada = app.register("ada").await;
    let bob = app.register("bob").await;
    let mia = app.register("mia").await;
    let promoted = paperboard::services::accounts::promote(
        &app.state.db,
        &app.state.events,
        "mia",
        paperboard::auth::Role::Moderator,
    )
    .await
    .unwrap();
    assert!(promoted);
    let question = add(&app, &ada, &paper, None, "Does it scale?").await;
    let spam = add(&app, &ada, &paper, None, "buy *cheap* watches").await;
    let answer = add(&app, &bob, &paper, Some(&question), "It does, see §4.").await;
    write(&app, &bob, UPVOTE, json!({ "id": question })).await;
    write(&app, &ada, UPVOTE, json!({ "id": answer })).await;
    write(&app, &mia, HIDE, json!({ "id": spam, "r": "spam" })).await;

    // A repeated read costs the viewer's facts about the page's comments, plus the hidden
    // body for its author and moderators; neither the page nor the token (checked before,
    // trusted while no account changes) is read.
    let app = settled(app).await;
    for (viewer, statements) in [(None, 0), (Some(&ada), 2), (Some(&bob), 1), (Some(&mia), 2)] {
        let (alone, _) = read(&app, viewer, PAGE_BY_FRAGMENT, &paper).await;
        let (first, _) = read(&app, viewer, PAGE, &paper).await;
        let (again, cost) = read(&app, viewer, PAGE, &paper).await;
        assert_eq!(first, alone, "as computed for the viewer alone");
        assert_eq!(again, alone);
        assert_eq!(cost, statements, "statements of a repeated read");
    }

    let (as_ada, _) = read(&app, Some(&ada), PAGE, &paper).await;
    assert_eq!(find(&as_ada, &question)["mine"], true);
    assert_eq!(find(&as_ada, &question)["viewerHasUpvoted"], false);
    assert_eq!(find(&as_ada, &answer)["viewerHasUpvoted"], true);
    assert_eq!(find(&as_ada, &answer)["viewerCanEdit"], false);
    assert_eq!(
        find(&as_ada, &spam)["body"],
        "buy *cheap* watches",
        "its author reads it"
    );
    let (as_bob, _) = read(&app, Some(&bob), PAGE, &paper).await;
    assert_eq!(find(&as_bob, &question)["viewerHasUpvoted"], true);
    assert_eq!(find(&as_bob, &question)["mine"], false);
    assert_eq!(find(&as_bob, &answer)["viewerCanEdit"], true);
    assert_eq!(
        find(&as_bob, &spam)["body"],
        "",
        "hidden from other readers"
    );
    assert_eq!(find(&as_bob, &spam)["bodyHtml"], "");
    let (as_mia, _) = read(&app, Some(&mia), PAGE, &paper).await;
    assert_eq!(
        find(&as_mia, &spam)["body"],
        "buy *cheap* watches",
        "moderators read it"
    );
    assert!(
        !as_mia.to_string().contains("__paperboard"),
        "no added key leaks"
    );
}

#[tokio::test]
async fn a_viewers_own_write_shows_in_their_next_read() {
    let app = settled(TestApp::spawn_with_demo().await).await;
    let paper = app.paper_ids(1).await.remove(0);
    let ada = app.register("ada").await;
    let bob = app.register("bob").await;
    let question = add(&app, &ada, &paper, None, "Where is the code?").await;
    let (before, _) = read(&app, Some(&bob), PAGE, &paper).await;
    assert_eq!(find(&before, &question)["viewerHasUpvoted"], false);
    assert_eq!(find(&before, &question)["upvoteCount"], 0);

    write(&app, &bob, UPVOTE, json!({ "id": question })).await;
    let (after, _) = read(&app, Some(&bob), PAGE, &paper).await;
    assert_eq!(find(&after, &question)["viewerHasUpvoted"], true);
    assert_eq!(find(&after, &question)["upvoteCount"], 1);
    let (as_ada, _) = read(&app, Some(&ada), PAGE, &paper).await;
    assert_eq!(find(&as_ada, &question)["viewerHasUpvoted"], false);
    assert_eq!(find(&as_ada, &question)["upvoteCount"], 1);
}

#[tokio::test]
async fn fields_that_depend_on_the_viewer_otherwise_are_computed_for_them() {
    let app = settled(TestApp::spawn_with_demo().await).await;
    let paper = app.paper_ids(1).await.remove(0);
    let ada = app.register("ada").await;
    let bob = app.register("bob").await;
    add(&app, &ada, &paper, None, "Mail me about it.").await;
    let query = "query($p: ID!) { paper(id: $p) { viewerHasUpvoted
        comments(first: 1) { nodes { author { username email } } } } }";
    app.gql("mutation($p: ID!) { upvotePaper(paperId: $p) { paper { id } } }")
        .variables(json!({ "p": paper }))
        .bearer(&ada.access_token)
        .send()
        .await
        .expect_ok();
    let (as_ada, _) = read(&app, Some(&ada), query, &paper).await;
    assert_eq!(as_ada["paper"]["viewerHasUpvoted"], true);
    assert_eq!(
        as_ada["paper"]["comments"]["nodes"][0]["author"]["email"],
        "ada@example.org"
    );
    let (as_bob, _) = read(&app, Some(&bob), query, &paper).await;
    assert_eq!(as_bob["paper"]["viewerHasUpvoted"], false);
    assert_eq!(
        as_bob["paper"]["comments"]["nodes"][0]["author"]["email"],
        Value::Null
    );
}
