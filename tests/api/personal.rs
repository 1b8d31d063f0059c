//! The personal layer: bookmarks, follows, the personal feed and the notifications inbox,
//! read and written through the API — and private things kept private.

use serde_json::{Value, json};

use crate::categories::imported;
use crate::helpers::ws::TRANSPORT_WS;
use crate::helpers::{GqlResponse, TestApp};

/// `query` with `variables`, as the user of `token` (anonymous without one).
async fn send(app: &TestApp, token: Option<&str>, query: &str, variables: Value) -> GqlResponse {
    app.send_as(token, query, variables).await
}

fn strings(nodes: &Value, field: &str) -> Vec<String> {
    nodes
        .as_array()
        .unwrap()
        .iter()
        .map(|node| node[field].as_str().unwrap().to_owned())
        .collect()
}

/// Papers by named authors in named categories, a day apart from `2026-02-01` on.
fn papers(specs: &[(&str, &[&str], &[&str])]) -> Value {
    Value::Array(
        specs
            .iter()
            .enumerate()
            .map(|(index, (title, authors, categories))| {
                json!({
                    "title": title, "abstract": format!("About {title}."),
                    "authors": authors, "arxiv_id": format!("2602.{:05}", index + 1),
                    "submitted_at": format!("2026-02-{:02}T10:00:00Z", index + 1),
                    "categories": categories,
                })
            })
            .collect(),
    )
}

async fn author_id(app: &TestApp, name: &str) -> String {
    let data = app
        .query(
            "query($n: String!) { authors(nameContains: $n, first: 1) { nodes { id name } } }",
            json!({ "n": name }),
        )
        .await;
    let found = &data["authors"]["nodes"][0];
    assert_eq!(found["name"], name);
    found["id"].as_str().unwrap().to_owned()
}

const SAVE: &str = "mutation($p: ID!) { savePaper(paperId: $p) { id viewerHasSaved } }";
const UNSAVE: &str = "mutation($p: ID!) { unsavePaper(paperId: $p) { id viewerHasSaved } }";
const SAVED: &str = "query($u: String!) { user(username: $u) {
    savedPapers(first: 10) { totalCount nodes { id viewerHasSaved } } } }";

#[tokio::test]
async fn bookmarks_are_idempotent_newest_first_and_their_owners_only() {
    let app = TestApp::spawn_with_demo().await;
    let ada = app.register("ada").await;
    let bob = app.register("bob").await;
    let ids = app.paper_ids(3).await;

    for paper in [&ids[0], &ids[1], &ids[0]] {
        let saved = send(&app, Some(&ada.access_token), SAVE, json!({ "p": paper }))
            .await
            .expect_ok();
        assert_eq!(saved["savePaper"]["viewerHasSaved"], true);
    }
    let mine = send(&app, Some(&ada.access_token), SAVED, json!({ "u": "ada" }))
        .await
        .expect_ok();
    let list = &mine["user"]["savedPapers"];
    assert_eq!(list["totalCount"], 2, "saving twice keeps one bookmark");
    assert_eq!(
        strings(&list["nodes"], "id"),
        [ids[1].clone(), ids[0].clone()]
    );
    assert_eq!(list["nodes"][0]["viewerHasSaved"], true);

    // Nobody else sees them, signed in or not.
    for token in [Some(bob.access_token.as_str()), None] {
        let refused = send(&app, token, SAVED, json!({ "u": "ada" })).await;
        assert_eq!(refused.error_code(), "FORBIDDEN");
    }
    let others = send(
        &app,
        Some(&bob.access_token),
        "query($p: ID!) { node(id: $p) { ... on Paper { viewerHasSaved } } }",
        json!({ "p": ids[0] }),
    )
    .await
    .expect_ok();
    assert_eq!(others["node"]["viewerHasSaved"], false);

    let unsaved = send(
        &app,
        Some(&ada.access_token),
        UNSAVE,
        json!({ "p": ids[0] }),
    )
    .await
    .expect_ok();
    assert_eq!(unsaved["unsavePaper"]["viewerHasSaved"], false);
    let again = send(
        &app,
        Some(&ada.access_token),
        UNSAVE,
        json!({ "p": ids[0] }),
    )
    .await;
    assert!(
        again.body["errors"].is_null(),
        "unsaving twice changes nothing"
    );
    let mine = send(&app, Some(&ada.access_token), SAVED, json!({ "u": "ada" }))
        .await
        .expect_ok();
    assert_eq!(
        strings(&mine["user"]["savedPapers"]["nodes"], "id"),
        [ids[1].clone()]
    );

    // Bad input changes nothing.
    let missing = "UGFwZXI6OTk5OTk5"; // Paper:999999
    let cases = [
        (
            Some(ada.access_token.as_str()),
            json!({ "p": missing }),
            "NOT_FOUND",
        ),
        (
            Some(ada.access_token.as_str()),
            json!({ "p": "not an id" }),
            "BAD_USER_INPUT",
        ),
        (
            Some(ada.access_token.as_str()),
            json!({ "p": ada.id }),
            "BAD_USER_INPUT",
        ),
        (None, json!({ "p": ids[2] }), "UNAUTHENTICATED"),
    ];
    for (token, variables, code) in cases {
        assert_eq!(send(&app, token, SAVE, variables).await.error_code(), code);
    }
    let mine = send(&app, Some(&ada.access_token), SAVED, json!({ "u": "ada" }))
        .await
        .expect_ok();
    assert_eq!(mine["user"]["savedPapers"]["totalCount"], 1);
}

const FOLLOWING: &str = "query($u: String!) { user(username: $u) { followerCount
    following { authors(first: 10) { totalCount nodes { name followerCount viewerFollows } }
                users(first: 10) { totalCount nodes { username followerCount viewerFollows } }
                categories { code followerCount viewerFollows } } } }";

#[tokio::test]
async fn follows_are_idempotent_counted_listed_and_checked() {
    let app = TestApp::spawn().await;
    let output = imported(&app, &papers(&[("Noise", &["Ada Lovelace"], &["cs.LG"])])).await;
    assert!(output.status.success(), "{output:?}");
    let ada = app.register("ada").await;
    app.register("bob").await;
    let carol = app.register("carol").await;
    let lovelace = author_id(&app, "Ada Lovelace").await;

    for token in [&ada.access_token, &carol.access_token, &ada.access_token] {
        for (query, variables) in [
            (
                "mutation($a: ID!) { followAuthor(authorId: $a) { viewerFollows } }",
                json!({ "a": lovelace }),
            ),
            (
                "mutation { followUser(username: \"BOB\") { viewerFollows } }",
                json!({}),
            ),
            (
                "mutation { followCategory(code: \"cs.LG\") { viewerFollows } }",
                json!({}),
            ),
        ] {
            let followed = send(&app, Some(token), query, variables).await.expect_ok();
            let result = followed.as_object().unwrap().values().next().unwrap();
            assert_eq!(result["viewerFollows"], true);
        }
    }
    let lists = send(
        &app,
        Some(&ada.access_token),
        FOLLOWING,
        json!({ "u": "ada" }),
    )
    .await
    .expect_ok();
    let following = &lists["user"]["following"];
    assert_eq!(
        following["authors"]["totalCount"], 1,
        "following twice is one follow"
    );
    assert_eq!(
        following["authors"]["nodes"][0],
        json!({ "name": "Ada Lovelace", "followerCount": 2, "viewerFollows": true })
    );
    assert_eq!(
        following["users"]["nodes"],
        json!([{ "username": "bob", "followerCount": 2, "viewerFollows": true }])
    );
    assert_eq!(
        following["categories"],
        json!([{ "code": "cs.LG", "followerCount": 2, "viewerFollows": true }])
    );
    // Follows are public; `viewerFollows` is the reader's.
    let seen = send(&app, None, FOLLOWING, json!({ "u": "ada" }))
        .await
        .expect_ok();
    assert_eq!(
        seen["user"]["following"]["users"]["nodes"][0]["viewerFollows"],
        false
    );

    let unfollowed = send(
        &app,
        Some(&ada.access_token),
        "mutation { unfollowUser(username: \"bob\") { followerCount viewerFollows } }",
        json!({}),
    )
    .await
    .expect_ok();
    assert_eq!(
        unfollowed["unfollowUser"],
        json!({ "followerCount": 1, "viewerFollows": false })
    );

    // Bad input is refused with nothing stored.
    let refused = [
        (
            "mutation { followUser(username: \"ada\") { id } }",
            "BAD_USER_INPUT",
        ),
        (
            "mutation { followUser(username: \"nobody\") { id } }",
            "NOT_FOUND",
        ),
        (
            "mutation { followCategory(code: \"cs.XX\") { code } }",
            "BAD_USER_INPUT",
        ),
        (
            "mutation { unfollowCategory(code: \"\") { code } }",
            "BAD_USER_INPUT",
        ),
        (
            "mutation { followAuthor(authorId: \"QXV0aG9yOjk5OTk5\") { id } }",
            "NOT_FOUND",
        ),
    ];
    for (query, code) in refused {
        let answer = send(&app, Some(&ada.access_token), query, json!({})).await;
        assert_eq!(answer.error_code(), code, "{query}");
    }
    let anonymous = send(
        &app,
        None,
        "mutation { followCategory(code: \"cs.LG\") { code } }",
        json!({}),
    )
    .await;
    assert_eq!(anonymous.error_code(), "UNAUTHENTICATED");
    let after = send(
        &app,
        Some(&ada.access_token),
        FOLLOWING,
        json!({ "u": "ada" }),
    )
    .await
    .expect_ok();
    let following = &after["user"]["following"];
    assert_eq!(following["users"]["totalCount"], 0);
    assert_eq!(following["authors"]["totalCount"], 1);
    assert_eq!(following["categories"].as_array().unwrap().len(), 1);
}

const FEED: &str = "query($after: String) { feed(first: 2, after: $after) {
    totalCount pageInfo { hasNextPage endCursor } nodes { title } } }";

/// Every title of the viewer's feed, walking it two at a time.
async fn walk_feed(app: &TestApp, token: &str) -> Vec<String> {
    let mut titles = Vec::new();
    let mut after = Value::Null;
    loop {
        let page = send(app, Some(token), FEED, json!({ "after": after }))
            .await
            .expect_ok();
        titles.extend(strings(&page["feed"]["nodes"], "title"));
        if page["feed"]["pageInfo"]["hasNextPage"] != true {
            return titles;
        }
        after = page["feed"]["pageInfo"]["endCursor"].clone();
    }
}

#[tokio::test]
async fn the_feed_merges_followed_sources_newest_first_each_once() {
    let app = TestApp::spawn().await;
    let output = imported(
        &app,
        &papers(&[
            ("Old Lovelace", &["Ada Lovelace"], &["cs.LG"]),
            ("Hopper alone", &["Grace Hopper"], &["cs.PL"]),
            ("Optimisation", &["Alan Turing"], &["math.OC"]),
            (
                "Lovelace and Turing",
                &["Ada Lovelace", "Alan Turing"],
                &["math.OC"],
            ),
            ("Nobody followed", &["Alan Turing"], &["cs.CR"]),
            ("New Lovelace", &["Ada Lovelace"], &["cs.CR"]),
        ]),
    )
    .await;
    assert!(output.status.success(), "{output:?}");
    let reader = app.register("reader").await;
    let bob = app.register("bob").await;
    let empty = send(&app, Some(&reader.access_token), FEED, json!({}))
        .await
        .expect_ok();
    assert_eq!(
        empty["feed"]["totalCount"], 0,
        "following nothing, the feed is empty"
    );

    let lovelace = author_id(&app, "Ada Lovelace").await;
    for (query, variables) in [
        (
            "mutation($a: ID!) { followAuthor(authorId: $a) { id } }",
            json!({ "a": lovelace }),
        ),
        (
            "mutation { followCategory(code: \"math.OC\") { code } }",
            json!({}),
        ),
        (
            "mutation { followUser(username: \"bob\") { id } }",
            json!({}),
        ),
    ] {
        send(&app, Some(&reader.access_token), query, variables)
            .await
            .expect_ok();
    }
    app.gql("mutation { submitPaper(input: { title: \"Bob's pick\", abstract: \"Shared.\", authors: [\"Someone Else\"] }) { paper { id } } }")
        .bearer(&bob.access_token)
        .send()
        .await
        .expect_ok();

    let walked = walk_feed(&app, &reader.access_token).await;
    assert_eq!(
        walked,
        [
            "Bob's pick",
            "New Lovelace",
            "Lovelace and Turing",
            "Optimisation",
            "Old Lovelace"
        ],
        "newest submission first; a paper both by a followed author and in a followed category once"
    );
    let first = send(&app, Some(&reader.access_token), FEED, json!({}))
        .await
        .expect_ok();
    assert_eq!(first["feed"]["totalCount"], 5);

    // The same papers through the list filter.
    let filtered = send(
        &app,
        Some(&reader.access_token),
        "{ papers(first: 20, filter: { followedByViewer: true }) { nodes { title } } }",
        json!({}),
    )
    .await
    .expect_ok();
    let mut listed = strings(&filtered["papers"]["nodes"], "title");
    let mut expected = walked.clone();
    listed.sort();
    expected.sort();
    assert_eq!(listed, expected);

    for query in [
        "{ feed { nodes { id } } }",
        "{ papers(filter: { followedByViewer: true }) { nodes { id } } }",
    ] {
        assert_eq!(
            send(&app, None, query, json!({})).await.error_code(),
            "UNAUTHENTICATED"
        );
    }
    let foreign = send(
        &app,
        Some(&reader.access_token),
        FEED,
        json!({ "after": "bm90IGEgY3Vyc29y" }),
    )
    .await;
    assert_eq!(foreign.error_code(), "BAD_USER_INPUT");
}

const INBOX: &str = "{ viewer { unreadNotificationCount
    notifications(first: 20) { totalCount nodes { id kind count readAt
      actor { username } paper { title } comment { body } author { name } } } } }";

async fn inbox(app: &TestApp, token: &str) -> Value {
    send(app, Some(token), INBOX, json!({})).await.expect_ok()["viewer"].clone()
}

fn kinds(inbox: &Value) -> Vec<String> {
    strings(&inbox["notifications"]["nodes"], "kind")
}

const COMMENT: &str = "mutation($i: AddCommentInput!) { addComment(input: $i) { comment { id } } }";

async fn comment(
    app: &TestApp,
    token: &str,
    paper: &str,
    parent: Option<&str>,
    body: &str,
) -> String {
    let data = send(
        app,
        Some(token),
        COMMENT,
        json!({ "i": { "paperId": paper, "parentId": parent, "body": body } }),
    )
    .await
    .expect_ok();
    data["addComment"]["comment"]["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

#[tokio::test]
async fn comments_tell_the_submitter_the_parent_and_the_mentioned_once_each() {
    let app = TestApp::spawn().await;
    let ada = app.register("ada").await;
    let bob = app.register("bob").await;
    let carol = app.register("carol").await;
    let submitted = app
        .gql("mutation { submitPaper(input: { title: \"Ada's paper\", abstract: \"Mine.\", authors: [\"Ada Lovelace\"] }) { paper { id } } }")
        .bearer(&ada.access_token)
        .send()
        .await
        .expect_ok();
    let paper = submitted["submitPaper"]["paper"]["id"]
        .as_str()
        .unwrap()
        .to_owned();

    // Ada's own comment tells nobody (not even herself, the submitter).
    let own = comment(
        &app,
        &ada.access_token,
        &paper,
        None,
        "Ask me anything @ada",
    )
    .await;
    assert_eq!(
        inbox(&app, &ada.access_token).await["unreadNotificationCount"],
        0
    );

    // Bob answers her, mentioning her and carol: Ada hears it once, as a reply.
    let answer = comment(
        &app,
        &bob.access_token,
        &paper,
        Some(&own),
        "Great @ada, see @Carol's note",
    )
    .await;
    let ada_inbox = inbox(&app, &ada.access_token).await;
    assert_eq!(kinds(&ada_inbox), ["COMMENT_REPLY"]);
    let entry = &ada_inbox["notifications"]["nodes"][0];
    assert_eq!(entry["actor"]["username"], "bob");
    assert_eq!(entry["paper"]["title"], "Ada's paper");
    assert_eq!(entry["comment"]["body"], "Great @ada, see @Carol's note");
    assert_eq!(entry["readAt"], Value::Null);
    assert_eq!(kinds(&inbox(&app, &carol.access_token).await), ["MENTION"]);
    assert_eq!(
        inbox(&app, &bob.access_token).await["unreadNotificationCount"],
        0
    );

    // A top-level comment of carol's tells the submitter.
    comment(&app, &carol.access_token, &paper, None, "Nice paper").await;
    let ada_inbox = inbox(&app, &ada.access_token).await;
    assert_eq!(kinds(&ada_inbox), ["PAPER_COMMENT", "COMMENT_REPLY"]);
    assert_eq!(ada_inbox["unreadNotificationCount"], 2);

    // Marking read: someone else's id changes nothing; her own ids, then all.
    let ids = strings(&ada_inbox["notifications"]["nodes"], "id");
    let carols = strings(
        &inbox(&app, &carol.access_token).await["notifications"]["nodes"],
        "id",
    );
    let mark =
        "mutation($ids: [ID!], $all: Boolean) { markNotificationsRead(ids: $ids, all: $all) }";
    let foreign = send(
        &app,
        Some(&ada.access_token),
        mark,
        json!({ "ids": [ids[0], carols[0]] }),
    )
    .await;
    assert_eq!(foreign.error_code(), "NOT_FOUND");
    assert_eq!(
        inbox(&app, &ada.access_token).await["unreadNotificationCount"],
        2
    );
    for variables in [
        json!({}),
        json!({ "ids": [], "all": false }),
        json!({ "ids": ids, "all": true }),
    ] {
        let refused = send(&app, Some(&ada.access_token), mark, variables).await;
        assert_eq!(refused.error_code(), "BAD_USER_INPUT");
    }
    let marked = send(
        &app,
        Some(&ada.access_token),
        mark,
        json!({ "ids": [ids[1]] }),
    )
    .await
    .expect_ok();
    assert_eq!(marked["markNotificationsRead"], 1);
    let unread = send(
        &app,
        Some(&ada.access_token),
        "{ viewer { notifications(unreadOnly: true) { totalCount nodes { id } } } }",
        json!({}),
    )
    .await
    .expect_ok();
    assert_eq!(
        strings(&unread["viewer"]["notifications"]["nodes"], "id"),
        [ids[0].clone()]
    );
    let all = send(&app, Some(&ada.access_token), mark, json!({ "all": true }))
        .await
        .expect_ok();
    assert_eq!(all["markNotificationsRead"], 1);
    assert_eq!(
        inbox(&app, &ada.access_token).await["unreadNotificationCount"],
        0
    );

    // Another user's inbox and notifications stay closed to her.
    let closed = send(
        &app,
        Some(&ada.access_token),
        "{ user(username: \"carol\") { notifications { totalCount } } }",
        json!({}),
    )
    .await;
    assert_eq!(closed.error_code(), "FORBIDDEN");
    let hidden = send(
        &app,
        Some(&ada.access_token),
        "query($id: ID!) { node(id: $id) { id } }",
        json!({ "id": carols[0] }),
    )
    .await
    .expect_ok();
    assert_eq!(hidden["node"], Value::Null);

    // A hidden comment's notifications are withdrawn; its author hears of the moderation.
    app.promote("ada").await; // The role is read per request: her token now moderates.
    send(
        &app,
        Some(&ada.access_token),
        "mutation($id: ID!) { hideComment(id: $id, reason: \"off topic\") { comment { id } } }",
        json!({ "id": answer }),
    )
    .await
    .expect_ok();
    assert_eq!(
        inbox(&app, &carol.access_token).await["notifications"]["totalCount"],
        0
    );
    let bobs = inbox(&app, &bob.access_token).await;
    assert_eq!(kinds(&bobs), ["MODERATION"]);
    assert_eq!(
        bobs["notifications"]["nodes"][0]["actor"]["username"],
        "ada"
    );
}

#[tokio::test]
async fn a_burst_of_papers_is_one_notification_per_follower() {
    let app = TestApp::spawn().await;
    let seed = imported(&app, &papers(&[("Seed", &["Prolific Author"], &["cs.LG"])])).await;
    assert!(seed.status.success(), "{seed:?}");
    let ada = app.register("ada").await;
    let prolific = author_id(&app, "Prolific Author").await;
    send(
        &app,
        Some(&ada.access_token),
        "mutation($a: ID!) { followAuthor(authorId: $a) { id } }",
        json!({ "a": prolific }),
    )
    .await
    .expect_ok();
    let burst: Vec<Value> = (0..600)
        .map(|index| {
            json!({
                "title": format!("Burst paper {index}"), "abstract": "One of many.",
                "authors": ["Prolific Author", format!("Coauthor {index}")],
                "arxiv_id": format!("2603.{:05}", index + 1),
                "submitted_at": "2026-03-01T10:00:00Z",
            })
        })
        .collect();
    let output = imported(&app, &Value::Array(burst)).await;
    assert!(output.status.success(), "{output:?}");
    let entries = inbox(&app, &ada.access_token).await;
    assert_eq!(entries["unreadNotificationCount"], 1);
    let entry = &entries["notifications"]["nodes"][0];
    assert_eq!(entry["kind"], "FOLLOWED_AUTHOR_PAPER");
    assert_eq!(entry["count"], 600);
    assert_eq!(entry["author"]["name"], "Prolific Author");

    // Read, the group closes: the next paper starts a new one.
    send(
        &app,
        Some(&ada.access_token),
        "mutation { markNotificationsRead(all: true) }",
        json!({}),
    )
    .await
    .expect_ok();
    let after = json!([{
        "title": "After reading", "abstract": "Later.", "authors": ["Prolific Author"],
        "arxiv_id": "2604.00001", "submitted_at": "2026-04-01T10:00:00Z",
    }]);
    let next = imported(&app, &after).await;
    assert!(next.status.success(), "{next:?}");
    let entries = inbox(&app, &ada.access_token).await;
    assert_eq!(entries["unreadNotificationCount"], 1);
    assert_eq!(entries["notifications"]["totalCount"], 2);
    assert_eq!(entries["notifications"]["nodes"][0]["count"], 1);
    assert_eq!(
        entries["notifications"]["nodes"][0]["paper"]["title"],
        "After reading"
    );
}

#[tokio::test]
async fn notifications_reach_only_their_users_socket_on_any_instance() {
    let app = TestApp::spawn().await;
    let second = if app.is_postgres() {
        Some(app.second_instance().await)
    } else {
        None
    };
    let listen_on = second.as_ref().unwrap_or(&app);
    let ada = app.register("ada").await;
    let bob = app.register("bob").await;
    let carol = app.register("carol").await;
    let query =
        "subscription { notificationReceived { kind actor { username } comment { body } } }";
    let mut sockets = Vec::new();
    for user in [&ada, &bob] {
        let mut socket = listen_on
            .ws_ready(TRANSPORT_WS, Some(&user.access_token))
            .await;
        socket
            .subscribe("subscribe", "inbox", query, json!({}))
            .await;
        sockets.push(socket);
    }
    let anonymous = {
        let mut socket = listen_on.ws_ready(TRANSPORT_WS, None).await;
        socket
            .subscribe("subscribe", "inbox", query, json!({}))
            .await;
        socket.next_json().await
    };
    assert_eq!(anonymous["type"], "error");
    assert_eq!(
        anonymous["payload"][0]["extensions"]["code"],
        "UNAUTHENTICATED"
    );
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;

    let submitted = app
        .gql("mutation { submitPaper(input: { title: \"Ada's paper\", abstract: \"Mine.\", authors: [\"A. Lovelace\"] }) { paper { id } } }")
        .bearer(&ada.access_token)
        .send()
        .await
        .expect_ok();
    let paper = submitted["submitPaper"]["paper"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    comment(&app, &carol.access_token, &paper, None, "For ada").await;
    comment(&app, &carol.access_token, &paper, None, "Hello @bob").await;
    let adas = sockets[0].next_json().await;
    assert_eq!(
        adas["payload"]["data"]["notificationReceived"],
        json!({ "kind": "PAPER_COMMENT", "actor": { "username": "carol" }, "comment": { "body": "For ada" } })
    );
    // Bob's first message is his own mention, not Ada's notification.
    let bobs = sockets[1].next_json().await;
    assert_eq!(
        bobs["payload"]["data"]["notificationReceived"],
        json!({ "kind": "MENTION", "actor": { "username": "carol" }, "comment": { "body": "Hello @bob" } })
    );
}

#[tokio::test]
async fn paper_added_streams_the_viewers_feed() {
    let app = TestApp::spawn().await;
    let ada = app.register("ada").await;
    let bob = app.register("bob").await;
    let carol = app.register("carol").await;
    send(
        &app,
        Some(&ada.access_token),
        "mutation { followUser(username: \"bob\") { id } }",
        json!({}),
    )
    .await
    .expect_ok();
    let mut socket = app.ws_ready(TRANSPORT_WS, Some(&ada.access_token)).await;
    socket
        .subscribe(
            "subscribe",
            "feed",
            "subscription { paperAdded(filter: { followedByViewer: true }) { title } }",
            json!({}),
        )
        .await;
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    for (user, title) in [(&carol, "Carol's"), (&bob, "Bob's")] {
        app.gql("mutation($t: String!) { submitPaper(input: { title: $t, abstract: \"A.\", authors: [\"Someone\"] }) { paper { id } } }")
            .variables(json!({ "t": title }))
            .bearer(&user.access_token)
            .send()
            .await
            .expect_ok();
    }
    let delivered = socket.next_json().await;
    assert_eq!(
        delivered["payload"]["data"]["paperAdded"],
        json!({ "title": "Bob's" }),
        "carol's paper, not followed, is not delivered"
    );
}

#[tokio::test]
async fn a_comment_tells_the_account_of_each_author_of_the_paper() {
    let app = TestApp::spawn().await;
    let output = imported(
        &app,
        &papers(&[("Authored", &["Grace Hopper"], &["cs.PL"])]),
    )
    .await;
    assert!(output.status.success(), "{output:?}");
    let grace = app.register("grace").await;
    let bob = app.register("bob").await;
    // No API links an author to an account yet; the column is there for it.
    {
        use sea_orm::ConnectionTrait;
        let db = app.state.db.writer();
        let link = "UPDATE authors SET user_id = (SELECT id FROM users WHERE username = 'grace') \
                    WHERE name = 'Grace Hopper'";
        db.execute_raw(sea_orm::Statement::from_string(
            db.get_database_backend(),
            link,
        ))
        .await
        .unwrap();
    }
    let paper = app.paper_ids(1).await.remove(0);
    comment(
        &app,
        &bob.access_token,
        &paper,
        None,
        "Question for the author",
    )
    .await;
    let graces = inbox(&app, &grace.access_token).await;
    assert_eq!(kinds(&graces), ["PAPER_COMMENT"]);
    assert_eq!(
        graces["notifications"]["nodes"][0]["comment"]["body"],
        "Question for the author"
    );
}

#[tokio::test]
async fn a_feed_of_many_sources_is_exact_through_its_time_windows() {
    let app = TestApp::spawn().await;
    // 80 authors, one paper each, 13 days apart: pages come from windows of 1, 16 and 256
    // days below their top, and from the whole feed at the end.
    let start = chrono::DateTime::parse_from_rfc3339("2023-01-01T10:00:00Z").unwrap();
    let records: Vec<Value> = (0..80)
        .map(|index| {
            let at = start + chrono::Duration::days(13 * index);
            json!({
                "title": format!("Paper {index:02}"), "abstract": "A paper.",
                "authors": [format!("Author {index:02}")],
                "arxiv_id": format!("2301.{:05}", index + 1),
                "submitted_at": at.to_rfc3339(),
            })
        })
        .collect();
    let output = imported(&app, &Value::Array(records)).await;
    assert!(output.status.success(), "{output:?}");
    let reader = app.register("reader").await;
    let authors = app
        .query("{ authors(first: 100) { nodes { id name } } }", json!({}))
        .await;
    let follow = "mutation($a: ID!) { followAuthor(authorId: $a) { id } }";
    for author in authors["authors"]["nodes"].as_array().unwrap() {
        // All but every eighth author: the feed leaves their papers out.
        let name = author["name"].as_str().unwrap();
        let number: u32 = name.trim_start_matches("Author ").parse().unwrap();
        if !number.is_multiple_of(8) {
            send(
                &app,
                Some(&reader.access_token),
                follow,
                json!({ "a": author["id"] }),
            )
            .await
            .expect_ok();
        }
    }
    let expected: Vec<String> = (0..80_u32)
        .rev()
        .filter(|number| !number.is_multiple_of(8))
        .map(|number| format!("Paper {number:02}"))
        .collect();
    assert!(expected.len() > 64, "more sources than are read whole");
    let mut walked = Vec::new();
    let mut after = Value::Null;
    loop {
        let page = send(
            &app,
            Some(&reader.access_token),
            "query($after: String) { feed(first: 7, after: $after) {
                pageInfo { hasNextPage endCursor } nodes { title } } }",
            json!({ "after": after }),
        )
        .await
        .expect_ok();
        walked.extend(strings(&page["feed"]["nodes"], "title"));
        if page["feed"]["pageInfo"]["hasNextPage"] != true {
            break;
        }
        after = page["feed"]["pageInfo"]["endCursor"].clone();
    }
    assert_eq!(walked, expected);
}
