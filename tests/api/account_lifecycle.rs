//! Personal access tokens, and the account's lifecycle: password change and reset (through
//! the written mail), email verification, profile, sessions, export and deletion.

use std::path::Path;
use std::time::Duration;

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::browser::Browser;
use crate::helpers::ws::TRANSPORT_WS;
use crate::helpers::{TestApp, TestUser};

const VIEWER: &str = "{ viewer { username } }";
const CREATE_TOKEN: &str = "mutation($i: CreatePersonalAccessTokenInput!) {
    createPersonalAccessToken(input: $i) { token personalAccessToken { id name scopes expiresAt } } }";

/// Creates a personal access token for `user`: the token and its id.
pub(crate) async fn create_token(
    app: &TestApp,
    user: &TestUser,
    name: &str,
    scope: &str,
) -> (String, Value) {
    let created = app
        .send_as(
            Some(&user.access_token),
            CREATE_TOKEN,
            json!({ "i": { "name": name, "scopes": [scope] } }),
        )
        .await
        .expect_ok();
    let created = &created["createPersonalAccessToken"];
    let token = created["token"].as_str().unwrap().to_owned();
    (token, created["personalAccessToken"]["id"].clone())
}

async fn app_with_outbox() -> (TestApp, tempfile::TempDir) {
    let outbox = tempfile::tempdir().unwrap();
    let dir = outbox.path().to_path_buf();
    let app = TestApp::spawn_with(move |config| config.platform.mail_dir = Some(dir)).await;
    (app, outbox)
}

/// The link token of the one mail in `outbox` whose subject contains `subject`, waiting
/// for it to be written.
async fn mailed_token(outbox: &Path, subject: &str) -> String {
    for _ in 0..100 {
        let mails: Vec<String> = std::fs::read_dir(outbox)
            .map(|entries| {
                entries
                    .filter_map(Result::ok)
                    .filter_map(|entry| std::fs::read_to_string(entry.path()).ok())
                    .filter(|text| text.contains(subject))
                    .collect()
            })
            .unwrap_or_default();
        if let Some(mail) = mails.last() {
            assert!(mail.contains("From: "), "an RFC 5322 message: {mail}");
            // Quoted-printable, as a mail client reads it: soft breaks joined, `=3D` is `=`.
            let mail = mail.replace("=\r\n", "").replace("=3D", "=");
            let start = mail.find("token=").unwrap() + "token=".len();
            return mail[start..]
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
                .collect();
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("no mail about {subject}");
}

#[tokio::test]
async fn personal_access_tokens_carry_their_scopes_over_http_and_websocket() {
    let app = TestApp::spawn_with_demo().await;
    let user = app.register("scripter").await;
    let (token, _) = create_token(&app, &user, "my bot", "VOTE").await;
    assert!(token.starts_with("pbp_") && token.len() > 40);
    let listed = app
        .send_as(
            Some(&user.access_token),
            "{ viewer { personalAccessTokens { id name scopes lastUsedAt } } }",
            json!({}),
        )
        .await
        .expect_ok();
    let listed = &listed["viewer"]["personalAccessTokens"];
    assert_eq!(listed[0]["name"], "my bot");
    assert_eq!(listed[0]["scopes"], json!(["VOTE"]));
    assert!(
        !listed.to_string().contains(&token),
        "the token is shown once"
    );

    let paper = app.paper_ids(1).await.remove(0);
    let upvote = "mutation($id: ID!) { upvotePaper(paperId: $id) { paper { viewerHasUpvoted } } }";
    let voted = app
        .send_as(Some(&token), upvote, json!({ "id": paper }))
        .await
        .expect_ok();
    assert_eq!(voted["upvotePaper"]["paper"]["viewerHasUpvoted"], true);
    let save = "mutation($id: ID!) { savePaper(paperId: $id) { id } }";
    let refused = app
        .send_as(Some(&token), save, json!({ "id": paper }))
        .await;
    assert_eq!(refused.error_code(), "FORBIDDEN");
    assert_eq!(
        refused.body["errors"][0]["extensions"]["requiredScope"],
        "collections"
    );
    let email = app
        .send_as(Some(&token), "{ viewer { email } }", json!({}))
        .await;
    assert_eq!(
        email.body["errors"][0]["extensions"]["requiredScope"],
        "read"
    );
    let used = app
        .send_as(
            Some(&user.access_token),
            "{ viewer { personalAccessTokens { lastUsedAt } } }",
            json!({}),
        )
        .await
        .expect_ok();
    assert!(used["viewer"]["personalAccessTokens"][0]["lastUsedAt"].is_string());

    // Over WebSocket, in connection_init: the inbox needs `notifications` (or `read`).
    let mut socket = app.ws_ready(TRANSPORT_WS, Some(&token)).await;
    socket.subscribe("subscribe", "v", VIEWER, json!({})).await;
    assert_eq!(
        socket.next_json().await["payload"]["data"]["viewer"]["username"],
        "scripter"
    );
    assert_eq!(socket.next_json().await["type"], "complete");
    socket
        .subscribe(
            "subscribe",
            "n",
            "subscription { notificationReceived { id } }",
            json!({}),
        )
        .await;
    let message = socket.next_json().await;
    assert_eq!(
        message["payload"][0]["extensions"]["requiredScope"], "notifications",
        "{message}"
    );

    // Revoked, it is refused at once; an expired one too.
    let id = listed[0]["id"].as_str().unwrap();
    app.send_as(
        Some(&user.access_token),
        "mutation($id: ID!) { revokePersonalAccessToken(id: $id) }",
        json!({ "id": id }),
    )
    .await
    .expect_ok();
    assert_eq!(
        app.send_as(Some(&token), VIEWER, json!({})).await.status,
        StatusCode::UNAUTHORIZED
    );
    let expiring = app
        .send_as(Some(&user.access_token), CREATE_TOKEN, json!({ "i": { "name": "soon", "scopes": ["READ"], "expiresAt": "2099-01-01T00:00:00Z" } }))
        .await;
    assert_eq!(
        expiring.error_code(),
        "BAD_USER_INPUT",
        "at most a year ahead"
    );
    let (soon, _) = create_token(&app, &user, "soon", "READ").await;
    let soon = soon.as_str();
    assert_eq!(
        app.send_as(Some(soon), VIEWER, json!({})).await.status,
        StatusCode::OK
    );
    app.execute_sql("UPDATE personal_access_tokens SET expires_at = '2020-01-01 00:00:00+00:00' WHERE name = 'soon'").await;
    assert_eq!(
        app.send_as(Some(soon), VIEWER, json!({})).await.status,
        StatusCode::UNAUTHORIZED
    );
    // Bad input leaves nothing behind.
    for input in [
        json!({ "name": "", "scopes": ["READ"] }),
        json!({ "name": "none", "scopes": [] }),
    ] {
        let refused = app
            .send_as(
                Some(&user.access_token),
                CREATE_TOKEN,
                json!({ "i": input }),
            )
            .await;
        assert_eq!(refused.error_code(), "BAD_USER_INPUT");
    }
}

async fn login(app: &TestApp, username: &str, password: &str) -> crate::helpers::GqlResponse {
    app.send_as(
        None,
        "mutation($i: LoginInput!) { login(input: $i) { accessToken refreshToken } }",
        json!({ "i": { "usernameOrEmail": username, "password": password } }),
    )
    .await
}

#[tokio::test]
async fn changing_the_password_ends_every_other_session() {
    let app = TestApp::spawn().await;
    let user = app.register("changer").await;
    let other = login(&app, "changer", &user.password).await.expect_ok();
    let other_access = other["login"]["accessToken"].as_str().unwrap();
    let change = "mutation($c: String!, $n: String!) { changePassword(currentPassword: $c, newPassword: $n) }";
    let wrong = app
        .send_as(
            Some(&user.access_token),
            change,
            json!({ "c": "not the password", "n": "a brand new password" }),
        )
        .await;
    assert_eq!(wrong.error_code(), "UNAUTHENTICATED");
    let short = app
        .send_as(
            Some(&user.access_token),
            change,
            json!({ "c": user.password, "n": "short" }),
        )
        .await;
    assert_eq!(short.error_code(), "BAD_USER_INPUT");
    app.send_as(
        Some(&user.access_token),
        change,
        json!({ "c": user.password, "n": "a brand new password" }),
    )
    .await
    .expect_ok();
    assert_eq!(
        app.send_as(Some(&user.access_token), VIEWER, json!({}))
            .await
            .status,
        StatusCode::OK
    );
    assert_eq!(
        app.send_as(Some(other_access), VIEWER, json!({}))
            .await
            .status,
        StatusCode::UNAUTHORIZED
    );
    let refresh = app
        .send_as(
            None,
            "mutation($t: String!) { refreshSession(refreshToken: $t) { accessToken } }",
            json!({ "t": other["login"]["refreshToken"] }),
        )
        .await;
    assert_eq!(refresh.error_code(), "UNAUTHENTICATED");
    assert_eq!(
        login(&app, "changer", &user.password).await.error_code(),
        "UNAUTHENTICATED"
    );
    login(&app, "changer", "a brand new password")
        .await
        .expect_ok();
}

#[tokio::test]
async fn a_password_is_reset_through_the_mailed_link_once() {
    let (app, outbox) = app_with_outbox().await;
    let user = app.register("forgetful").await;
    assert_eq!(
        app.send_as(Some(&user.access_token), VIEWER, json!({}))
            .await
            .status,
        StatusCode::OK,
        "the token is trusted before the reset"
    );
    let ask = "mutation($e: String!) { requestPasswordReset(email: $e) }";
    let unknown = app
        .send_as(None, ask, json!({ "e": "nobody@example.org" }))
        .await
        .expect_ok();
    assert_eq!(unknown["requestPasswordReset"], true);
    let known = app
        .send_as(None, ask, json!({ "e": "FORGETFUL@example.org" }))
        .await
        .expect_ok();
    assert_eq!(known["requestPasswordReset"], true);
    let token = mailed_token(outbox.path(), "Reset your Paperboard password").await;
    let mails = std::fs::read_dir(outbox.path()).unwrap().count();
    assert_eq!(mails, 1, "no mail for an unknown address");
    // The mailed link opens a form on the server; submitting it resets the password.
    let mut browser = Browser::new(&app);
    let page = browser
        .get(&format!("/account/reset-password?token={token}"))
        .await;
    assert_eq!(page.status, StatusCode::OK);
    assert_eq!(
        page.hidden_fields(),
        vec![("token".to_owned(), token.clone())]
    );
    let mut form = page.hidden_fields();
    form.push(("new_password".to_owned(), "short".to_owned()));
    let too_short = browser.post_form("/account/reset-password", &form).await;
    assert_eq!(too_short.status, StatusCode::BAD_REQUEST);
    form.pop();
    form.push((
        "new_password".to_owned(),
        "my recovered password".to_owned(),
    ));
    let done = browser.post_form("/account/reset-password", &form).await;
    assert_eq!(done.status, StatusCode::OK, "{}", done.body);
    let reset = "mutation($t: String!, $p: String!) { resetPassword(token: $t, newPassword: $p) }";
    assert_eq!(
        app.send_as(Some(&user.access_token), VIEWER, json!({}))
            .await
            .status,
        StatusCode::UNAUTHORIZED
    );
    login(&app, "forgetful", "my recovered password")
        .await
        .expect_ok();
    let again = app
        .send_as(
            None,
            reset,
            json!({ "t": token, "p": "yet another password" }),
        )
        .await;
    assert_eq!(again.error_code(), "BAD_USER_INPUT");
    assert_eq!(again.error_field().as_deref(), Some("token"));
}

#[tokio::test]
async fn an_email_address_is_verified_through_the_mailed_link() {
    let (app, outbox) = app_with_outbox().await;
    let user = app.register("verifier").await;
    let verified = "{ viewer { emailVerified } }";
    let before = app
        .send_as(Some(&user.access_token), verified, json!({}))
        .await
        .expect_ok();
    assert_eq!(before["viewer"]["emailVerified"], false);
    app.send_as(
        Some(&user.access_token),
        "mutation { requestEmailVerification }",
        json!({}),
    )
    .await
    .expect_ok();
    let token = mailed_token(outbox.path(), "Confirm your email address").await;
    let wrong = app
        .send_as(
            None,
            "mutation($t: String!) { verifyEmail(token: $t) }",
            json!({ "t": "nope" }),
        )
        .await;
    assert_eq!(wrong.error_code(), "BAD_USER_INPUT");
    app.send_as(
        None,
        "mutation($t: String!) { verifyEmail(token: $t) }",
        json!({ "t": token }),
    )
    .await
    .expect_ok();
    let after = app
        .send_as(Some(&user.access_token), verified, json!({}))
        .await
        .expect_ok();
    assert_eq!(after["viewer"]["emailVerified"], true);
}

#[tokio::test]
async fn the_profile_is_validated_and_sessions_are_listed_and_revoked() {
    let app = TestApp::spawn().await;
    let user: TestUser = app.register("profiled").await;
    let update = "mutation($i: UpdateProfileInput!) { updateProfile(input: $i) { displayName bio websiteUrl avatarUrl } }";
    let set = app
        .send_as(
            Some(&user.access_token),
            update,
            json!({ "i": { "bio": "Reads papers", "websiteUrl": "https://ada.example.org" } }),
        )
        .await
        .expect_ok();
    assert_eq!(
        set["updateProfile"]["websiteUrl"],
        "https://ada.example.org/"
    );
    for (field, value) in [
        ("websiteUrl", "javascript:alert(1)"),
        ("avatarUrl", "ftp://x.example"),
        ("bio", &"x".repeat(501)),
        ("displayName", "a\u{7}b"),
    ] {
        let refused = app
            .send_as(
                Some(&user.access_token),
                update,
                json!({ "i": { field: value } }),
            )
            .await;
        assert_eq!(
            refused.error_field(),
            Some(format!("input.{field}")),
            "{field}"
        );
    }
    let cleared = app
        .send_as(
            Some(&user.access_token),
            update,
            json!({ "i": { "bio": null } }),
        )
        .await
        .expect_ok();
    assert_eq!(cleared["updateProfile"]["bio"], json!(null));
    assert_eq!(
        cleared["updateProfile"]["websiteUrl"], "https://ada.example.org/",
        "omitted fields stay"
    );

    let second = login(&app, "profiled", &user.password).await.expect_ok();
    let sessions = app
        .send_as(
            Some(&user.access_token),
            "{ viewer { sessions { id current } } }",
            json!({}),
        )
        .await
        .expect_ok();
    let sessions = sessions["viewer"]["sessions"].as_array().unwrap().clone();
    assert_eq!(sessions.len(), 2);
    assert_eq!(sessions.iter().filter(|s| s["current"] == true).count(), 1);
    let other = sessions.iter().find(|s| s["current"] == false).unwrap();
    app.send_as(
        Some(&user.access_token),
        "mutation($id: ID!) { revokeSession(id: $id) }",
        json!({ "id": other["id"] }),
    )
    .await
    .expect_ok();
    let revoked = app
        .send_as(
            Some(second["login"]["accessToken"].as_str().unwrap()),
            VIEWER,
            json!({}),
        )
        .await;
    assert_eq!(revoked.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn an_account_is_exported_and_deleted_with_counts_kept_exact() {
    let app = TestApp::spawn_with_demo().await;
    let user = app.register("leaver").await;
    let stayer = app.register("stayer").await;
    let paper = app.paper_ids(1).await.remove(0);
    let upvote = "mutation($id: ID!) { upvotePaper(paperId: $id) { paper { upvoteCount } } }";
    app.send_as(Some(&stayer.access_token), upvote, json!({ "id": paper }))
        .await
        .expect_ok();
    let counted = app
        .send_as(Some(&user.access_token), upvote, json!({ "id": paper }))
        .await
        .expect_ok();
    let with_both = counted["upvotePaper"]["paper"]["upvoteCount"]
        .as_i64()
        .unwrap();
    app.send_as(
        Some(&user.access_token),
        "mutation($id: ID!) { savePaper(paperId: $id) { id } }",
        json!({ "id": paper }),
    )
    .await
    .expect_ok();
    let comment = app
        .send_as(Some(&user.access_token), "mutation($id: ID!) { addComment(input: { paperId: $id, body: \"kept words\" }) { comment { id } } }", json!({ "id": paper }))
        .await
        .expect_ok();
    let comment_id = comment["addComment"]["comment"]["id"].clone();

    let export = app
        .send_as(
            Some(&user.access_token),
            "mutation { exportAccountData }",
            json!({}),
        )
        .await
        .expect_ok();
    let document: serde_json::Value =
        serde_json::from_str(export["exportAccountData"].as_str().unwrap()).unwrap();
    assert_eq!(document["account"]["username"], "leaver");
    assert_eq!(document["upvotes"].as_array().unwrap().len(), 1);
    assert_eq!(document["savedPapers"].as_array().unwrap().len(), 1);
    assert_eq!(document["comments"][0]["body"], "kept words");
    assert!(!export.to_string().contains("password"), "no hashes");

    // An anonymous reader's answer is shared until a change is heard; a live subscriber
    // waits for the count.
    let paper_page = "query($id: ID!) { node(id: $id) { ... on Paper { upvoteCount } } }";
    let cached = app.query(paper_page, json!({ "id": paper })).await;
    assert_eq!(cached["node"]["upvoteCount"].as_i64().unwrap(), with_both);
    let mut live = app.ws_ready(TRANSPORT_WS, None).await;
    live.subscribe(
        "subscribe",
        "u",
        "subscription($id: ID!) { paperUpvoteChanged(paperId: $id) { upvoteCount } }",
        json!({ "id": paper }),
    )
    .await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    let delete = "mutation($p: String!) { deleteAccount(password: $p) }";
    let wrong = app
        .send_as(
            Some(&user.access_token),
            delete,
            json!({ "p": "not my password" }),
        )
        .await;
    assert_eq!(wrong.error_code(), "UNAUTHENTICATED");
    app.send_as(
        Some(&user.access_token),
        delete,
        json!({ "p": user.password }),
    )
    .await
    .expect_ok();
    assert_eq!(
        login(&app, "leaver", &user.password).await.error_code(),
        "UNAUTHENTICATED"
    );
    let after = app
        .query("query($p: ID!, $c: ID!) { p: node(id: $p) { ... on Paper { upvoteCount commentCount } } c: node(id: $c) { ... on Comment { body author { username } } } }", json!({ "p": paper, "c": comment_id }))
        .await;
    assert_eq!(after["p"]["upvoteCount"].as_i64().unwrap(), with_both - 1);
    assert_eq!(after["p"]["commentCount"], 1);
    let heard = live.next_json().await;
    assert_eq!(
        heard["payload"]["data"]["paperUpvoteChanged"]["upvoteCount"].as_i64(),
        Some(with_both - 1),
        "{heard}"
    );
    let reread = app.query(paper_page, json!({ "id": paper })).await;
    assert_eq!(
        reread["node"]["upvoteCount"].as_i64().unwrap(),
        with_both - 1
    );
    assert_eq!(after["c"], json!({ "body": "kept words", "author": null }));
}

#[tokio::test]
async fn with_an_smtp_server_configured_mails_go_out_by_smtp() {
    let smtp = crate::smtp_fixture::SmtpFixture::start().await;
    let url = format!("smtp://127.0.0.1:{}", smtp.port);
    let app = TestApp::spawn_with(move |config| {
        config.platform.smtp_url = Some(paperboard::config::Secret::new(url));
        config.platform.public_url = Some(url::Url::parse("https://papers.example.org").unwrap());
    })
    .await;
    app.register("mailed").await;
    let ask = "mutation($e: String!) { requestPasswordReset(email: $e) }";
    app.send_as(None, ask, json!({ "e": "mailed@example.org" }))
        .await
        .expect_ok();
    let mut delivered = Vec::new();
    for _ in 0..100 {
        delivered = smtp.delivered.lock().unwrap().clone();
        if !delivered.is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(delivered.len(), 1, "one mail delivered by SMTP");
    let mail = &delivered[0];
    assert_eq!(mail.to, vec!["<mailed@example.org>".to_owned()]);
    assert!(
        mail.data
            .contains("Subject: Reset your Paperboard password")
    );
    let body = mail.data.replace("=\r\n", "").replace("=3D", "=");
    assert!(
        body.contains("https://papers.example.org/account/reset-password?token="),
        "{body}"
    );
}

#[tokio::test]
async fn password_reset_requests_are_throttled_per_address() {
    let outbox = tempfile::tempdir().unwrap();
    let dir = outbox.path().to_path_buf();
    let app = TestApp::spawn_with(move |config| {
        config.platform.mail_dir = Some(dir);
        config.platform.password_resets_per_hour = 2;
    })
    .await;
    let ask = "mutation($e: String!) { requestPasswordReset(email: $e) }";
    for index in 0..2 {
        let email = format!("someone{index}@example.org");
        app.send_as(None, ask, json!({ "e": email }))
            .await
            .expect_ok();
    }
    let limited = app
        .send_as(None, ask, json!({ "e": "someone2@example.org" }))
        .await;
    assert_eq!(limited.error_code(), "RATE_LIMITED");
}

#[tokio::test]
async fn a_socket_signed_in_with_a_personal_token_is_checked_again_after_an_access_tokens_lifetime()
{
    let app = TestApp::spawn_with(|config| config.auth.access_token_seconds = 2).await;
    let user = app.register("longlived").await;
    let (token, id) = create_token(&app, &user, "socket", "READ").await;
    let mut socket = app.ws_ready(TRANSPORT_WS, Some(&token)).await;
    let by_itself = app
        .send_as(
            Some(&token),
            "mutation($id: ID!) { revokePersonalAccessToken(id: $id) }",
            json!({ "id": id }),
        )
        .await;
    assert_eq!(
        by_itself.error_code(),
        "FORBIDDEN",
        "a token cannot revoke tokens"
    );
    // Only a first-party sign-in revokes tokens; the user does so.
    let fresh = login(&app, "longlived", &user.password).await.expect_ok();
    let fresh = fresh["login"]["accessToken"].as_str().unwrap();
    app.send_as(
        Some(fresh),
        "mutation($id: ID!) { revokePersonalAccessToken(id: $id) }",
        json!({ "id": id }),
    )
    .await
    .expect_ok();
    let (code, _) = socket.close_code().await;
    assert_eq!(code, 4403);
    let mut again = app.ws(TRANSPORT_WS).await;
    again.init(Some(&token)).await;
    assert_eq!(
        again.close_code().await.0,
        4403,
        "the revoked token is refused"
    );
}
