//! Moderation: the moderator role, hidden comments, bans, reports and the public log.

use serde_json::{Value, json};

use crate::helpers::fixtures::run_command;
use crate::helpers::ws::TRANSPORT_WS;
use crate::helpers::{GqlResponse, TestApp, TestUser};

async fn as_user(app: &TestApp, user: &TestUser, query: &str, variables: Value) -> GqlResponse {
    app.gql(query)
        .variables(variables)
        .bearer(&user.access_token)
        .send()
        .await
}

async fn first_paper(app: &TestApp) -> String {
    app.query("{ papers(first: 1) { nodes { id } } }", json!({}))
        .await["papers"]["nodes"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

async fn add_comment(app: &TestApp, user: &TestUser, paper: &str, body: &str) -> String {
    let data = as_user(
        app,
        user,
        "mutation($i: AddCommentInput!) { addComment(input: $i) { comment { id } } }",
        json!({ "i": { "paperId": paper, "body": body } }),
    )
    .await
    .expect_ok();
    data["addComment"]["comment"]["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// A moderator made with `paperboard user promote NAME --role moderator`.
async fn moderator(app: &TestApp, name: &str) -> TestUser {
    let user = app.register(name).await;
    let output = run_command(app, &["user", "promote", name, "--role", "moderator"], &[]).await;
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    user
}

const COMMENT: &str = "query($id: ID!) { node(id: $id) { ... on Comment { body bodyHtml hidden author { username } } } }";

#[tokio::test]
async fn hidden_comments_show_only_to_their_author_and_moderators() {
    let app = TestApp::spawn_with_demo().await;
    let ada = app.register("ada").await;
    let bob = app.register("bob").await;
    let mia = moderator(&app, "mia").await;
    let paper = first_paper(&app).await;
    let id = add_comment(&app, &ada, &paper, "buy *cheap* watches").await;

    let mut anonymous = app.ws_ready(TRANSPORT_WS, None).await;
    anonymous
        .subscribe(
            "subscribe",
            "changes",
            "subscription($p: ID!) { commentChanged(paperId: $p) { comment { body hidden } } }",
            json!({ "p": paper }),
        )
        .await;
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;

    let hide = "mutation($id: ID!, $r: String!) { hideComment(id: $id, reason: $r) { comment { hidden body } } }";
    let refused = as_user(&app, &bob, hide, json!({ "id": id, "r": "spam" })).await;
    assert_eq!(refused.error_code(), "FORBIDDEN");
    let empty = as_user(&app, &mia, hide, json!({ "id": id, "r": "  " })).await;
    assert_eq!(empty.error_code(), "BAD_USER_INPUT");
    let hidden = as_user(&app, &mia, hide, json!({ "id": id, "r": "spam" }))
        .await
        .expect_ok();
    assert_eq!(
        hidden["hideComment"]["comment"],
        json!({ "hidden": true, "body": "buy *cheap* watches" }),
        "moderators see the body"
    );

    // The live change reaches an anonymous subscriber without the body.
    let heard = anonymous.next_json().await;
    assert_eq!(
        heard["payload"]["data"]["commentChanged"]["comment"],
        json!({ "body": "", "hidden": true })
    );
    let seen_by = |user: Option<&TestUser>| {
        let app = &app;
        let id = id.clone();
        let token = user.map(|user| user.access_token.clone());
        async move {
            let request = app.gql(COMMENT).variables(json!({ "id": id }));
            let request = match &token {
                Some(token) => request.bearer(token),
                None => request,
            };
            request.send().await.expect_ok()["node"].clone()
        }
    };
    assert_eq!(seen_by(None).await["body"], "");
    assert_eq!(seen_by(None).await["bodyHtml"], "");
    assert_eq!(seen_by(Some(&bob)).await["body"], "");
    assert_eq!(seen_by(Some(&ada)).await["body"], "buy *cheap* watches");
    assert_eq!(seen_by(Some(&mia)).await["body"], "buy *cheap* watches");

    let unhide = "mutation($id: ID!) { unhideComment(id: $id) { comment { hidden } } }";
    as_user(&app, &mia, unhide, json!({ "id": id }))
        .await
        .expect_ok();
    assert_eq!(seen_by(None).await["body"], "buy *cheap* watches");

    // A moderator deletes someone else's comment; the user cannot.
    let delete = "mutation($id: ID!) { deleteComment(id: $id) { commentId } }";
    let refused = as_user(&app, &bob, delete, json!({ "id": id })).await;
    assert_eq!(refused.error_code(), "FORBIDDEN");
    as_user(&app, &mia, delete, json!({ "id": id }))
        .await
        .expect_ok();

    // Every act is in the public log, newest first.
    let log = app
        .query(
            "{ moderationLog { totalCount nodes { action reason targetId moderator { username } } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        log["moderationLog"],
        json!({ "totalCount": 3, "nodes": [
            { "action": "DELETE_COMMENT", "reason": null, "targetId": id, "moderator": { "username": "mia" } },
            { "action": "UNHIDE_COMMENT", "reason": null, "targetId": id, "moderator": { "username": "mia" } },
            { "action": "HIDE_COMMENT", "reason": "spam", "targetId": id, "moderator": { "username": "mia" } },
        ] })
    );
}

#[tokio::test]
async fn banned_users_read_but_cannot_write() {
    let app = TestApp::spawn_with_demo().await;
    let ada = app.register("ada").await;
    let mia = moderator(&app, "mia").await;
    let root = app.register("root").await;
    app.promote("root").await;
    let paper = first_paper(&app).await;

    let ban = "mutation($u: String!, $r: String!, $until: DateTime) {
        banUser(username: $u, reason: $r, until: $until) { username banned } }";
    let past = as_user(
        &app,
        &mia,
        ban,
        json!({ "u": "ada", "r": "spam", "until": "2020-01-01T00:00:00Z" }),
    )
    .await;
    assert_eq!(past.error_code(), "BAD_USER_INPUT");
    let not_an_admin = as_user(&app, &mia, ban, json!({ "u": "root", "r": "coup" })).await;
    assert_eq!(not_an_admin.error_code(), "FORBIDDEN");
    let unknown = as_user(&app, &mia, ban, json!({ "u": "nobody", "r": "spam" })).await;
    assert_eq!(unknown.error_code(), "NOT_FOUND");
    let banned = as_user(&app, &mia, ban, json!({ "u": "ada", "r": "repeated spam" }))
        .await
        .expect_ok();
    assert_eq!(
        banned["banUser"],
        json!({ "username": "ada", "banned": true })
    );

    // Every write is refused with the reason; reads go on.
    let comment = as_user(
        &app,
        &ada,
        "mutation($i: AddCommentInput!) { addComment(input: $i) { comment { id } } }",
        json!({ "i": { "paperId": paper, "body": "let me in" } }),
    )
    .await;
    assert_eq!(comment.error_code(), "FORBIDDEN");
    assert_eq!(
        comment.body["errors"][0]["extensions"]["banReason"],
        "repeated spam"
    );
    let upvote = as_user(
        &app,
        &ada,
        "mutation($p: ID!) { upvotePaper(paperId: $p) { paper { upvoteCount } } }",
        json!({ "p": paper }),
    )
    .await;
    assert_eq!(upvote.error_code(), "FORBIDDEN");
    // What others would see of the account is a write too; managing it is not.
    let profile = as_user(
        &app,
        &ada,
        "mutation { updateProfile(input: { bio: \"visit spam.example\" }) { bio } }",
        json!({}),
    )
    .await;
    assert_eq!(profile.error_code(), "FORBIDDEN");
    assert_eq!(
        profile.body["errors"][0]["extensions"]["banReason"],
        "repeated spam"
    );
    let app_name = as_user(
        &app,
        &ada,
        "mutation { createOAuthApp(input: { name: \"Spam\", homepageUrl: \"https://spam.example\", confidential: false, redirectUris: [\"https://spam.example/cb\"] }) { app { clientId } } }",
        json!({}),
    )
    .await;
    assert_eq!(app_name.error_code(), "FORBIDDEN");
    let unchanged = as_user(&app, &ada, "{ viewer { username bio } }", json!({}))
        .await
        .expect_ok();
    assert_eq!(
        unchanged["viewer"]["bio"],
        Value::Null,
        "nothing was stored"
    );
    as_user(&app, &ada, "mutation { exportAccountData }", json!({}))
        .await
        .expect_ok();
    let count = app
        .query(
            "query($p: ID!) { node(id: $p) { ... on Paper { commentCount } } }",
            json!({ "p": paper }),
        )
        .await;
    assert_eq!(count["node"]["commentCount"], 0, "nothing was stored");

    let unban = "mutation($u: String!) { unbanUser(username: $u) { banned } }";
    as_user(&app, &mia, unban, json!({ "u": "ada" }))
        .await
        .expect_ok();
    add_comment(&app, &ada, &paper, "thanks").await;

    // A ban with an end ends by itself.
    let until = (chrono::Utc::now() + chrono::Duration::seconds(2)).to_rfc3339();
    as_user(
        &app,
        &mia,
        ban,
        json!({ "u": "ada", "r": "cool off", "until": until }),
    )
    .await
    .expect_ok();
    let during = as_user(
        &app,
        &ada,
        "mutation($p: ID!) { upvotePaper(paperId: $p) { paper { id } } }",
        json!({ "p": paper }),
    )
    .await;
    assert_eq!(during.error_code(), "FORBIDDEN");
    assert!(during.body["errors"][0]["extensions"]["bannedUntil"].is_string());
    tokio::time::sleep(std::time::Duration::from_millis(2_100)).await;
    add_comment(&app, &ada, &paper, "back").await;

    // Roles: only admins set them; moderators delete papers.
    let set_role = "mutation($u: String!, $r: Role!) { setUserRole(username: $u, role: $r) { username role } }";
    let refused = as_user(
        &app,
        &mia,
        set_role,
        json!({ "u": "ada", "r": "MODERATOR" }),
    )
    .await;
    assert_eq!(refused.error_code(), "FORBIDDEN");
    let promoted = as_user(
        &app,
        &root,
        set_role,
        json!({ "u": "ada", "r": "MODERATOR" }),
    )
    .await
    .expect_ok();
    assert_eq!(
        promoted["setUserRole"],
        json!({ "username": "ada", "role": "MODERATOR" })
    );
    let ada = app.register("ada2").await;
    let delete = "mutation($id: ID!) { deletePaper(id: $id) }";
    let refused = as_user(&app, &ada, delete, json!({ "id": paper })).await;
    assert_eq!(refused.error_code(), "FORBIDDEN");
    as_user(&app, &mia, delete, json!({ "id": paper }))
        .await
        .expect_ok();
    let log = app
        .query(
            "{ moderationLog(first: 1) { nodes { action targetId } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        log["moderationLog"]["nodes"][0],
        json!({ "action": "DELETE_PAPER", "targetId": paper })
    );
}

#[tokio::test]
async fn reports_are_filed_once_and_settled_by_moderators() {
    let app = TestApp::spawn_with_demo().await;
    let ada = app.register("ada").await;
    let bob = app.register("bob").await;
    let mia = moderator(&app, "mia").await;
    let paper = first_paper(&app).await;
    let spam = add_comment(&app, &ada, &paper, "spam spam").await;
    let fine = add_comment(&app, &ada, &paper, "a fair point").await;

    let report_comment = "mutation($id: ID!, $r: String!) { reportComment(id: $id, reason: $r) {
        report { id status reason comment { id } } } }";
    let first = as_user(
        &app,
        &bob,
        report_comment,
        json!({ "id": spam, "r": "spam" }),
    )
    .await
    .expect_ok();
    let report_id = first["reportComment"]["report"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(first["reportComment"]["report"]["status"], "OPEN");
    assert_eq!(
        first["reportComment"]["report"]["comment"]["id"],
        spam.as_str()
    );
    let again = as_user(
        &app,
        &bob,
        report_comment,
        json!({ "id": spam, "r": "still spam" }),
    )
    .await;
    assert_eq!(
        again.error_code(),
        "CONFLICT",
        "one open report per user and target"
    );
    as_user(
        &app,
        &mia,
        report_comment,
        json!({ "id": spam, "r": "spam too" }),
    )
    .await
    .expect_ok();
    let dismissable = as_user(
        &app,
        &bob,
        report_comment,
        json!({ "id": fine, "r": "I disagree" }),
    )
    .await
    .expect_ok();
    let missing = as_user(
        &app,
        &bob,
        report_comment,
        json!({ "id": "Q29tbWVudDo5OTk5OTk", "r": "gone" }),
    )
    .await;
    assert_eq!(missing.error_code(), "NOT_FOUND");
    let report_paper = "mutation($id: ID!, $r: String!) { reportPaper(id: $id, reason: $r) { report { id paper { id } } } }";
    let on_paper = as_user(
        &app,
        &bob,
        report_paper,
        json!({ "id": paper, "r": "plagiarism" }),
    )
    .await
    .expect_ok();
    assert_eq!(
        on_paper["reportPaper"]["report"]["paper"]["id"],
        paper.as_str()
    );

    let queue = "{ reports { totalCount nodes { reason reporter { username } } } }";
    let refused = as_user(&app, &bob, queue, json!({})).await;
    assert_eq!(refused.error_code(), "FORBIDDEN");
    let open = as_user(&app, &mia, queue, json!({})).await.expect_ok();
    assert_eq!(open["reports"]["totalCount"], 4);

    let resolve = "mutation($id: ID!, $a: ReportAction!) { resolveReport(id: $id, action: $a) {
        report { status action resolvedAt } } }";
    let hidden = as_user(&app, &mia, resolve, json!({ "id": report_id, "a": "HIDE" }))
        .await
        .expect_ok();
    assert_eq!(hidden["resolveReport"]["report"]["status"], "RESOLVED");
    assert_eq!(hidden["resolveReport"]["report"]["action"], "HIDE");
    let twice = as_user(
        &app,
        &mia,
        resolve,
        json!({ "id": report_id, "a": "DISMISS" }),
    )
    .await;
    assert_eq!(twice.error_code(), "CONFLICT");
    let comment = app.query(COMMENT, json!({ "id": spam })).await;
    assert_eq!(comment["node"]["hidden"], true);
    let dismissed = dismissable["reportComment"]["report"]["id"].clone();
    as_user(
        &app,
        &mia,
        resolve,
        json!({ "id": dismissed, "a": "DISMISS" }),
    )
    .await
    .expect_ok();
    let paper_report = on_paper["reportPaper"]["report"]["id"].clone();
    let hide_paper = as_user(
        &app,
        &mia,
        resolve,
        json!({ "id": paper_report, "a": "HIDE" }),
    )
    .await;
    assert_eq!(hide_paper.error_code(), "BAD_USER_INPUT");
    as_user(
        &app,
        &mia,
        resolve,
        json!({ "id": paper_report, "a": "DELETE" }),
    )
    .await
    .expect_ok();
    let gone = app
        .query(
            "query($id: ID!) { node(id: $id) { id } }",
            json!({ "id": paper }),
        )
        .await;
    assert_eq!(gone["node"], Value::Null);

    // Hiding closed both reports of the spam; nothing is open any more.
    let open = as_user(&app, &mia, queue, json!({})).await.expect_ok();
    assert_eq!(open["reports"]["totalCount"], 0);
    let resolved = as_user(
        &app,
        &mia,
        "{ reports(status: RESOLVED) { totalCount nodes { action } } }",
        json!({}),
    )
    .await
    .expect_ok();
    assert_eq!(resolved["reports"]["totalCount"], 4);
    let log = app
        .query("{ moderationLog { nodes { action } } }", json!({}))
        .await;
    assert_eq!(
        log["moderationLog"]["nodes"],
        json!([{ "action": "DELETE_PAPER" }, { "action": "DISMISS_REPORT" }, { "action": "HIDE_COMMENT" }])
    );
}
