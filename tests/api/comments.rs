//! The discussion: threaded comments on papers written, read, voted on, deleted and
//! delivered live — and every way of writing one wrongly refused with nothing stored.

use serde_json::{Value, json};

use crate::helpers::GqlResponse;
use crate::helpers::TestApp;
use crate::helpers::ws::{LEGACY_WS, TRANSPORT_WS};

const ADD: &str = "mutation($i: AddCommentInput!) { addComment(input: $i) {
    comment { id body bodyHtml replyCount parent { id } author { username } } } }";

/// Adds a comment as `token`; the comment's id.
async fn comment(
    app: &TestApp,
    token: &str,
    paper_id: &str,
    parent_id: Option<&str>,
    body: &str,
) -> String {
    let data = as_user(
        app,
        token,
        ADD,
        json!({ "i": { "paperId": paper_id, "parentId": parent_id, "body": body } }),
    )
    .await
    .expect_ok();
    data["addComment"]["comment"]["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

async fn discussion(app: &TestApp, token: Option<&str>, paper_id: &str, order: &str) -> Value {
    let query = format!(
        r#"query($p: ID!) {{ node(id: $p) {{ ... on Paper {{ commentCount
             comments(orderBy: {order}) {{ totalCount nodes {{ id body upvoteCount replyCount
               deleted viewerCanEdit viewerHasUpvoted author {{ username }}
               replies(first: 5) {{ totalCount nodes {{ id body deleted parent {{ id }} }} }} }} }} }} }} }}"#
    );
    let request = app.gql(&query).variables(json!({ "p": paper_id }));
    let request = match token {
        Some(token) => request.bearer(token),
        None => request,
    };
    request.send().await.expect_ok()["node"].clone()
}

/// `query` with `variables`, sent as the user of `token`.
async fn as_user(app: &TestApp, token: &str, query: &str, variables: Value) -> GqlResponse {
    app.gql(query)
        .variables(variables)
        .bearer(token)
        .send()
        .await
}

fn ids(nodes: &Value) -> Vec<String> {
    nodes
        .as_array()
        .unwrap()
        .iter()
        .map(|node| node["id"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn a_discussion_is_written_read_voted_on_and_deleted() {
    let app = TestApp::spawn_with_demo().await;
    let ada = app.register("ada").await;
    let bob = app.register("bob").await;
    let paper = app.paper_ids(1).await.remove(0);

    let first = comment(&app, &ada.access_token, &paper, None, "First **thoughts**").await;
    let second = comment(&app, &bob.access_token, &paper, None, "A second view").await;
    let reply = comment(&app, &bob.access_token, &paper, Some(&first), "An answer").await;
    let nested = comment(&app, &ada.access_token, &paper, Some(&reply), "Thanks").await;

    let page = discussion(&app, Some(&ada.access_token), &paper, "NEWEST").await;
    assert_eq!(page["commentCount"], 4, "every comment counts, replies too");
    assert_eq!(page["comments"]["totalCount"], 2, "two top-level comments");
    assert_eq!(
        ids(&page["comments"]["nodes"]),
        [second.clone(), first.clone()]
    );
    let top = &page["comments"]["nodes"][1];
    assert_eq!(top["author"]["username"], "ada");
    assert_eq!(top["viewerCanEdit"], true);
    assert_eq!(page["comments"]["nodes"][0]["viewerCanEdit"], false);
    assert_eq!(top["replyCount"], 1);
    assert_eq!(top["replies"]["totalCount"], 1);
    assert_eq!(top["replies"]["nodes"][0]["id"], reply.as_str());
    assert_eq!(top["replies"]["nodes"][0]["parent"]["id"], first.as_str());
    let oldest = discussion(&app, None, &paper, "OLDEST").await;
    assert_eq!(
        ids(&oldest["comments"]["nodes"]),
        [first.clone(), second.clone()]
    );

    // Votes are exact and idempotent; TOP orders by them.
    let vote = "mutation($id: ID!) { upvoteComment(id: $id) { comment { upvoteCount viewerHasUpvoted } } }";
    for _ in 0..2 {
        let voted = as_user(&app, &ada.access_token, vote, json!({ "id": second }))
            .await
            .expect_ok();
        assert_eq!(
            voted["upvoteComment"]["comment"],
            json!({ "upvoteCount": 1, "viewerHasUpvoted": true })
        );
    }
    let top_first = discussion(&app, Some(&ada.access_token), &paper, "TOP").await;
    assert_eq!(
        ids(&top_first["comments"]["nodes"]),
        [second.clone(), first.clone()]
    );
    assert_eq!(top_first["comments"]["nodes"][0]["viewerHasUpvoted"], true);
    let unvote = "mutation($id: ID!) { removeCommentUpvote(id: $id) { comment { upvoteCount viewerHasUpvoted } } }";
    let unvoted = as_user(&app, &ada.access_token, unvote, json!({ "id": second }))
        .await
        .expect_ok();
    assert_eq!(
        unvoted["removeCommentUpvote"]["comment"],
        json!({ "upvoteCount": 0, "viewerHasUpvoted": false })
    );

    // Only the author edits; an edit is marked.
    let edit = "mutation($id: ID!, $b: String!) { editComment(id: $id, body: $b) {
        comment { body bodyHtml editedAt } } }";
    let refused = as_user(
        &app,
        &bob.access_token,
        edit,
        json!({ "id": first, "b": "hijacked" }),
    )
    .await;
    assert_eq!(refused.error_code(), "FORBIDDEN");
    let edited = as_user(
        &app,
        &ada.access_token,
        edit,
        json!({ "id": first, "b": "First _thoughts_, revised" }),
    )
    .await
    .expect_ok();
    let edited = &edited["editComment"]["comment"];
    assert_eq!(edited["body"], "First _thoughts_, revised");
    assert_eq!(
        edited["bodyHtml"],
        "<p>First <em>thoughts</em>, revised</p>\n"
    );
    assert!(edited["editedAt"].is_string());

    // Someone else's comment cannot be deleted; one with replies becomes a tombstone, one
    // without disappears.
    let delete = "mutation($id: ID!) { deleteComment(id: $id) { commentId comment { deleted body author { username } } } }";
    let refused = as_user(&app, &bob.access_token, delete, json!({ "id": first })).await;
    assert_eq!(refused.error_code(), "FORBIDDEN");
    let tombstone = as_user(&app, &bob.access_token, delete, json!({ "id": reply }))
        .await
        .expect_ok();
    assert_eq!(
        tombstone["deleteComment"]["comment"],
        json!({ "deleted": true, "body": "", "author": null })
    );
    let gone = as_user(&app, &ada.access_token, delete, json!({ "id": nested }))
        .await
        .expect_ok();
    assert_eq!(gone["deleteComment"]["commentId"], nested.as_str());
    assert_eq!(gone["deleteComment"]["comment"], Value::Null);
    let after = discussion(&app, None, &paper, "OLDEST").await;
    assert_eq!(
        after["commentCount"], 2,
        "the tombstone and the removed reply no longer count"
    );
    let thread = &after["comments"]["nodes"][0]["replies"];
    assert_eq!(thread["nodes"][0]["deleted"], true);
    let node = app
        .query(
            "query($id: ID!) { node(id: $id) { ... on Comment { replyCount } } }",
            json!({ "id": reply }),
        )
        .await;
    assert_eq!(node["node"]["replyCount"], 0);

    // A user's comments, newest first, deleted ones left out.
    let mine = app
        .query(
            r#"{ user(username: "bob") { comments { totalCount nodes { body paper { id } } } } }"#,
            json!({}),
        )
        .await;
    assert_eq!(
        mine["user"]["comments"],
        json!({ "totalCount": 1, "nodes": [{ "body": "A second view", "paper": { "id": paper } }] })
    );
}

#[tokio::test]
async fn long_threads_page_by_cursor_without_gaps() {
    let app = TestApp::spawn_with_demo().await;
    let tokens = app.quick_users("reader", 1).await;
    let paper = app.paper_ids(1).await.remove(0);
    let mut written = Vec::new();
    for n in 0..7 {
        written.push(comment(&app, &tokens[0], &paper, None, &format!("comment {n}")).await);
    }
    let query = "query($p: ID!, $after: String) { node(id: $p) { ... on Paper {
        comments(first: 3, after: $after, orderBy: OLDEST) {
          pageInfo { hasNextPage endCursor } nodes { id } } } } }";
    let mut seen = Vec::new();
    let mut after = Value::Null;
    loop {
        let data = app
            .query(query, json!({ "p": paper, "after": after }))
            .await;
        let page = &data["node"]["comments"];
        seen.extend(ids(&page["nodes"]));
        if page["pageInfo"]["hasNextPage"] == false {
            break;
        }
        after = page["pageInfo"]["endCursor"].clone();
    }
    assert_eq!(seen, written);
}

#[tokio::test]
async fn bad_comments_are_refused_and_nothing_is_stored() {
    let app = TestApp::spawn_with_demo().await;
    let ada = app.register("ada").await;
    let papers = app.paper_ids(2).await;
    let (paper, other) = (&papers[0], &papers[1]);
    let on_other = comment(&app, &ada.access_token, other, None, "elsewhere").await;

    let attempt = |input: Value, token: Option<String>| {
        let app = &app;
        async move {
            let request = app.gql(ADD).variables(json!({ "i": input }));
            let request = match &token {
                Some(token) => request.bearer(token),
                None => request,
            };
            request.send().await
        }
    };
    let token = Some(ada.access_token.clone());
    let cases = [
        (
            json!({ "paperId": paper, "body": "  \n " }),
            "BAD_USER_INPUT",
        ),
        (
            json!({ "paperId": paper, "body": "x".repeat(20_001) }),
            "BAD_USER_INPUT",
        ),
        (
            json!({ "paperId": paper, "body": "nul \u{0} byte" }),
            "BAD_USER_INPUT",
        ),
        (
            json!({ "paperId": "not-an-id", "body": "hi" }),
            "BAD_USER_INPUT",
        ),
        (
            json!({ "paperId": on_other, "body": "a comment id as a paper" }),
            "BAD_USER_INPUT",
        ),
        (
            json!({ "paperId": paper, "parentId": "%%%", "body": "hi" }),
            "BAD_USER_INPUT",
        ),
        (
            json!({ "paperId": paper, "parentId": on_other, "body": "wrong paper" }),
            "BAD_USER_INPUT",
        ),
        (
            json!({ "paperId": "UGFwZXI6OTk5OTk5", "body": "no such paper" }),
            "NOT_FOUND",
        ),
        (
            json!({ "paperId": paper, "parentId": "Q29tbWVudDo5OTk5OTk", "body": "no parent" }),
            "NOT_FOUND",
        ),
    ];
    for (input, code) in cases {
        let answer = attempt(input.clone(), token.clone()).await;
        assert_eq!(answer.error_code(), code, "{input}");
    }
    let anonymous = attempt(json!({ "paperId": paper, "body": "hi" }), None).await;
    assert_eq!(anonymous.error_code(), "UNAUTHENTICATED");

    // Threads stop at 16 levels.
    let mut parent = comment(&app, &ada.access_token, paper, None, "level 1").await;
    for level in 2..=16 {
        parent = comment(
            &app,
            &ada.access_token,
            paper,
            Some(&parent),
            &format!("level {level}"),
        )
        .await;
    }
    let too_deep = attempt(
        json!({ "paperId": paper, "parentId": parent, "body": "level 17" }),
        token.clone(),
    )
    .await;
    assert_eq!(too_deep.error_code(), "BAD_USER_INPUT");
    assert_eq!(too_deep.error_field().as_deref(), Some("input.parentId"));

    // Only the 16 levels and the comment on the other paper were stored.
    let counts = app
        .query(
            "query($a: ID!, $b: ID!) { a: node(id: $a) { ... on Paper { commentCount } }
                                      b: node(id: $b) { ... on Paper { commentCount } } }",
            json!({ "a": paper, "b": other }),
        )
        .await;
    assert_eq!(
        counts,
        json!({ "a": { "commentCount": 16 }, "b": { "commentCount": 1 } })
    );

    // A deleted paper takes no comments.
    let admin = app.register("root").await;
    app.promote("root").await;
    let delete_paper = "mutation($id: ID!) { deletePaper(id: $id) }";
    as_user(
        &app,
        &admin.access_token,
        delete_paper,
        json!({ "id": other }),
    )
    .await
    .expect_ok();
    let on_deleted = attempt(json!({ "paperId": other, "body": "too late" }), token).await;
    assert_eq!(on_deleted.error_code(), "NOT_FOUND");
}

/// Known ways of smuggling script into Markdown or HTML (OWASP's filter evasion cheat sheet
/// and friends); none may survive in executable form.
const XSS_VECTORS: &[&str] = &[
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "<svg/onload=alert(1)>",
    "<iframe src=javascript:alert(1)>",
    "<a href=\"javascript:alert(1)\">x</a>",
    "[click](javascript:alert(1))",
    "[click](JAVASCRIPT:alert(1))",
    "[click](java\tscript:alert(1))",
    "[click](&#106;avascript:alert(1))",
    "[click](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "![img](javascript:alert(1))",
    "![x](x\" onerror=\"alert(1))",
    "<div style=\"background:url(javascript:alert(1))\">",
    "<body onload=alert(1)>",
    "<math><mi xlink:href=\"javascript:alert(1)\">x</mi></math>",
    "<details open ontoggle=alert(1)>",
    "[a](<javascript:alert(1)>)",
    "<javascript:alert(1)>",
    "`<script>` is fine in code, <script>alert(1)</script> is not",
    "<<script>script>alert(1)<</script>/script>",
    "[x]: javascript:alert(1)\n\n[link][x]",
    "<object data=javascript:alert(1)>",
    "<form action=javascript:alert(1)><button>x</button></form>",
    "<input autofocus onfocus=alert(1)>",
];

/// Tags a rendered comment may hold.
const SAFE_TAGS: &[&str] = &[
    "p",
    "em",
    "strong",
    "del",
    "a",
    "code",
    "pre",
    "ul",
    "ol",
    "li",
    "blockquote",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "hr",
    "br",
    "table",
    "thead",
    "tbody",
    "tr",
    "th",
    "td",
];

/// What in `html` could run script: a tag outside the safe set, an event-handler or style
/// attribute, or a link that is not http(s) or mailto. Escaped text (`&lt;script&gt;`) is
/// harmless and passes.
fn executable(html: &str) -> Option<String> {
    let lower = html.to_lowercase();
    for tag in lower.split('<').skip(1) {
        let tag = tag.split('>').next().unwrap_or_default();
        let (name, mut rest) = tag.split_once(char::is_whitespace).unwrap_or((tag, ""));
        if !SAFE_TAGS.contains(&name.trim_start_matches('/').trim_end_matches('/')) {
            return Some(format!("tag <{tag}>"));
        }
        while let Some((key, value, after)) = next_attribute(rest) {
            match key {
                "rel" | "align" | "start" | "title" | "type" | "checked" | "disabled" => {}
                "href"
                    if ["http://", "https://", "mailto:"]
                        .iter()
                        .any(|scheme| value.starts_with(scheme)) => {}
                _ => return Some(format!("attribute {key}={value:?} in <{tag}>")),
            }
            rest = after;
        }
    }
    None
}

/// The first `key="value"` (or bare key) of `text`, and what follows it.
fn next_attribute(text: &str) -> Option<(&str, &str, &str)> {
    let text = text.trim_start().trim_start_matches('/');
    if text.is_empty() {
        return None;
    }
    let key_end = text
        .find(|c: char| c == '=' || c.is_whitespace())
        .unwrap_or(text.len());
    let (key, rest) = text.split_at(key_end);
    let Some(rest) = rest.strip_prefix('=') else {
        return Some((key, "", rest));
    };
    if let Some(quoted) = rest.strip_prefix('"') {
        let (value, after) = quoted.split_once('"').unwrap_or((quoted, ""));
        return Some((key, value, after));
    }
    let value_end = rest.find(char::is_whitespace).unwrap_or(rest.len());
    Some((key, &rest[..value_end], &rest[value_end..]))
}

#[tokio::test]
async fn markup_is_sanitised_and_bombs_are_defused() {
    let app = TestApp::spawn_with_demo().await;
    let ada = app.register("ada").await;
    let paper = app.paper_ids(1).await.remove(0);
    for vector in XSS_VECTORS {
        let data = as_user(
            &app,
            &ada.access_token,
            ADD,
            json!({ "i": { "paperId": paper, "body": vector } }),
        )
        .await
        .expect_ok();
        let stored = &data["addComment"]["comment"];
        assert_eq!(stored["body"], *vector, "the Markdown is kept as written");
        let html = stored["bodyHtml"].as_str().unwrap();
        assert_eq!(executable(html), None, "{vector} became {html}");
    }
    let link = as_user(
        &app,
        &ada.access_token,
        ADD,
        json!({ "i": { "paperId": paper, "body": "[code](https://github.com/x/y)" } }),
    )
    .await
    .expect_ok();
    assert_eq!(
        link["addComment"]["comment"]["bodyHtml"],
        "<p><a href=\"https://github.com/x/y\" rel=\"nofollow ugc noopener\">code</a></p>\n"
    );

    for bomb in [
        ">".repeat(20_000),
        "[".repeat(20_000),
        "- ".repeat(10_000),
        "*a ".repeat(6_000),
        "<div>".repeat(4_000),
    ] {
        let started = std::time::Instant::now();
        let data = as_user(
            &app,
            &ada.access_token,
            ADD,
            json!({ "i": { "paperId": paper, "body": bomb } }),
        )
        .await
        .expect_ok();
        let html = data["addComment"]["comment"]["bodyHtml"].as_str().unwrap();
        assert!(html.matches("<blockquote>").count() <= 24);
        assert!(html.matches("<ul>").count() <= 24);
        assert!(!html.contains("<div"));
        assert!(
            started.elapsed() < std::time::Duration::from_secs(10),
            "{:?}",
            started.elapsed()
        );
    }
}

#[tokio::test]
async fn comments_are_rate_limited_per_user() {
    let app = TestApp::spawn_with(|config| {
        config.demo = true;
        config.activity.comments_per_hour = 2;
    })
    .await;
    let tokens = app.quick_users("talker", 2).await;
    let paper = app.paper_ids(1).await.remove(0);
    comment(&app, &tokens[0], &paper, None, "one").await;
    comment(&app, &tokens[0], &paper, None, "two").await;
    let third = as_user(
        &app,
        &tokens[0],
        ADD,
        json!({ "i": { "paperId": paper, "body": "three" } }),
    )
    .await;
    assert_eq!(third.error_code(), "RATE_LIMITED");
    comment(
        &app,
        &tokens[1],
        &paper,
        None,
        "another user is not limited",
    )
    .await;
}

#[tokio::test]
async fn a_paper_page_with_its_threads_costs_fixed_statements() {
    let app = TestApp::spawn_with_demo().await;
    let tokens = app.quick_users("talker", 4).await;
    let papers = app.paper_ids(2).await;
    // Top-level comments by users 0 and 1, replies by users 2 and 3, so that each level's
    // authors are a batch of their own on both papers. Paper 0: one comment with one reply.
    // Paper 1: 20 comments with 5 replies each.
    let root = comment(&app, &tokens[0], &papers[0], None, "alone").await;
    comment(&app, &tokens[2], &papers[0], Some(&root), "reply").await;
    for n in 0..20 {
        let top = comment(&app, &tokens[n % 2], &papers[1], None, &format!("top {n}")).await;
        for r in 0..5 {
            comment(
                &app,
                &tokens[2 + (n + r) % 2],
                &papers[1],
                Some(&top),
                "reply",
            )
            .await;
        }
    }
    let page = "query($p: ID!) { node(id: $p) { ... on Paper { title commentCount
        comments(first: 20, orderBy: TOP) { totalCount nodes { body bodyHtml upvoteCount replyCount
          viewerHasUpvoted viewerCanEdit author { username }
          replies(first: 5) { nodes { body viewerHasUpvoted viewerCanEdit author { username } } } } } } } }";
    let statements = |paper: String| {
        let app = &app;
        let token = tokens[0].clone();
        async move {
            let before = app.statements_executed();
            let data = as_user(app, &token, page, json!({ "p": paper }))
                .await
                .expect_ok();
            (app.statements_executed() - before, data)
        }
    };
    // Warm: the first request of a token and a connection costs more than the rest.
    statements(papers[0].clone()).await;
    let (small, _) = statements(papers[0].clone()).await;
    let (large, data) = statements(papers[1].clone()).await;
    assert_eq!(
        data["node"]["comments"]["nodes"].as_array().unwrap().len(),
        20
    );
    assert_eq!(data["node"]["commentCount"], 120);
    // The paper, the comments with their authors and the viewer's upvotes, their total,
    // and the replies of all of them likewise (the token's user is kept once seen).
    assert_eq!(small, large, "the cost does not grow with the thread");
    assert_eq!(large, 4);
}

#[tokio::test]
async fn comments_reach_subscribers_live_on_both_protocols_and_instances() {
    let app = TestApp::spawn_with_demo().await;
    let ada = app.register("ada").await;
    let paper = app.paper_ids(2).await;
    let second = if app.is_postgres() {
        Some(app.second_instance().await)
    } else {
        None
    };
    let listen_on = second.as_ref().unwrap_or(&app);
    let mut modern = listen_on.ws_ready(TRANSPORT_WS, None).await;
    modern
        .subscribe(
            "subscribe",
            "added",
            "subscription($p: ID!) { commentAdded(paperId: $p) { body author { username } parent { id } } }",
            json!({ "p": paper[0] }),
        )
        .await;
    let mut legacy = listen_on.ws_ready(LEGACY_WS, None).await;
    legacy
        .subscribe(
            "start",
            "changed",
            "subscription($p: ID!) { commentChanged(paperId: $p) { commentId comment { body upvoteCount deleted } } }",
            json!({ "p": paper[0] }),
        )
        .await;
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;

    // A comment on another paper is not delivered; this one is.
    comment(&app, &ada.access_token, &paper[1], None, "elsewhere").await;
    let id = comment(&app, &ada.access_token, &paper[0], None, "live *now*").await;
    let added = modern.next_json().await;
    assert_eq!(
        added["payload"]["data"]["commentAdded"],
        json!({ "body": "live *now*", "author": { "username": "ada" }, "parent": null })
    );
    app.gql("mutation($id: ID!) { upvoteComment(id: $id) { comment { id } } }")
        .variables(json!({ "id": id }))
        .bearer(&ada.access_token)
        .send()
        .await
        .expect_ok();
    let voted = legacy.next_json().await;
    assert_eq!(
        voted["payload"]["data"]["commentChanged"],
        json!({ "commentId": id, "comment": { "body": "live *now*", "upvoteCount": 1, "deleted": false } })
    );
    app.gql("mutation($id: ID!) { deleteComment(id: $id) { commentId } }")
        .variables(json!({ "id": id }))
        .bearer(&ada.access_token)
        .send()
        .await
        .expect_ok();
    let deleted = legacy.next_json().await;
    assert_eq!(
        deleted["payload"]["data"]["commentChanged"],
        json!({ "commentId": id, "comment": null })
    );
}
