//! An access token's sign-in is read once, then trusted until a change that could end it is
//! heard: every way of ending a sign-in or changing what its account may do refuses the
//! tokens this instance already trusts at once, and another instance's within the event
//! delay. Personal access tokens are kept and retired the same way.

use std::time::{Duration, Instant};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{EncodingKey, Header, encode};
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::account_lifecycle::create_token;
use crate::helpers::{GqlResponse, TEST_JWT_SECRET, TestApp, TestUser};
use crate::shared_answers::settled;

const TYPENAME: &str = "{ __typename }";
const LOGIN: &str = "mutation($i: LoginInput!) { login(input: $i) { accessToken refreshToken } }";

/// `{ __typename }` with `token`, and the statements it cost.
async fn checked(app: &TestApp, token: &str) -> (StatusCode, u64) {
    let before = app.statements_executed();
    let status = app.send_as(Some(token), TYPENAME, json!({})).await.status;
    (status, app.statements_executed() - before)
}

/// A second sign-in of `user`: its access and refresh tokens.
async fn sign_in_again(app: &TestApp, username: &str, user: &TestUser) -> (String, String) {
    let signed_in = app
        .send_as(
            None,
            LOGIN,
            json!({ "i": { "usernameOrEmail": username, "password": user.password } }),
        )
        .await
        .expect_ok();
    let tokens = &signed_in["login"];
    (
        tokens["accessToken"].as_str().unwrap().to_owned(),
        tokens["refreshToken"].as_str().unwrap().to_owned(),
    )
}

async fn log_out(app: &TestApp, refresh_token: &str) {
    let out = app
        .send_as(
            None,
            "mutation($t: String!) { logout(refreshToken: $t) }",
            json!({ "t": refresh_token }),
        )
        .await
        .expect_ok();
    assert_eq!(out["logout"], true);
}

/// Has `admin` ban `username`, then asserts that `token` (theirs, trusted before) may no
/// longer upvote `paper`.
async fn assert_a_ban_holds_at_once(
    app: &TestApp,
    admin: &TestUser,
    username: &str,
    token: &str,
    paper: &str,
) {
    app.send_as(
        Some(&admin.access_token),
        "mutation($u: String!) { banUser(username: $u, reason: \"spam\") { id } }",
        json!({ "u": username }),
    )
    .await
    .expect_ok();
    let banned = app
        .send_as(
            Some(token),
            "mutation($p: ID!) { upvotePaper(paperId: $p) { paper { id } } }",
            json!({ "p": paper }),
        )
        .await;
    assert_eq!(banned.error_code(), "FORBIDDEN", "{}", banned.body);
}

/// Asserts that `token` is trusted now, from memory after its first use.
async fn assert_trusted(app: &TestApp, token: &str) {
    assert_eq!(checked(app, token).await.0, StatusCode::OK);
    assert_eq!(checked(app, token).await, (StatusCode::OK, 0));
}

/// `token` re-signed for another user: its sign-in, someone else's id.
fn for_another_user(token: &str) -> String {
    let payload = token.split('.').nth(1).unwrap();
    let mut claims: Value =
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).unwrap()).unwrap();
    let user_id: i64 = claims["sub"].as_str().unwrap().parse().unwrap();
    claims["sub"] = json!((user_id + 1).to_string());
    encode(
        &Header::default(),
        &claims,
        &EncodingKey::from_secret(TEST_JWT_SECRET.as_bytes()),
    )
    .unwrap()
}

fn assert_refused(response: &GqlResponse, case: &str) {
    assert_eq!(
        response.status,
        StatusCode::UNAUTHORIZED,
        "{case}: {}",
        response.body
    );
}

#[tokio::test]
async fn a_token_is_read_once_then_trusted_until_an_account_changes() {
    let app = settled(TestApp::spawn().await).await;
    let user = app.register("trusted").await;
    let (status, first) = checked(&app, &user.access_token).await;
    assert_eq!(
        (status, first),
        (StatusCode::OK, 1),
        "one statement reads the sign-in"
    );
    assert_eq!(
        checked(&app, &user.access_token).await,
        (StatusCode::OK, 0),
        "then it is trusted"
    );

    // Any account's change retires what was read: the next use reads the sign-in again.
    let other = app.register("neighbour").await;
    app.send_as(
        Some(&other.access_token),
        "mutation { updateProfile(input: { bio: \"hello\" }) { bio } }",
        json!({}),
    )
    .await
    .expect_ok();
    // (On PostgreSQL the change also comes back by NOTIFY: wait for it.)
    let app = settled(app).await;
    assert_eq!(checked(&app, &user.access_token).await, (StatusCode::OK, 1));
    assert_eq!(checked(&app, &user.access_token).await, (StatusCode::OK, 0));

    // A token of another user naming this trusted sign-in is refused.
    let forged = for_another_user(&user.access_token);
    assert_eq!(checked(&app, &forged).await.0, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn every_way_of_ending_a_sign_in_refuses_its_trusted_tokens_at_once() {
    let app = settled(TestApp::spawn().await).await;
    let user = app.register("ender").await;

    let (access, refresh) = sign_in_again(&app, "ender", &user).await;
    assert_trusted(&app, &access).await;
    log_out(&app, &refresh).await;
    assert_refused(
        &app.send_as(Some(&access), TYPENAME, json!({})).await,
        "logout",
    );

    let (access, _) = sign_in_again(&app, "ender", &user).await;
    assert_trusted(&app, &access).await;
    let sessions = app
        .send_as(
            Some(&user.access_token),
            "{ viewer { sessions { id current } } }",
            json!({}),
        )
        .await
        .expect_ok();
    let other: Vec<&Value> = sessions["viewer"]["sessions"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|session| session["current"] == false)
        .collect();
    assert_eq!(other.len(), 1, "{sessions}");
    app.send_as(
        Some(&user.access_token),
        "mutation($id: ID!) { revokeSession(id: $id) }",
        json!({ "id": other[0]["id"] }),
    )
    .await
    .expect_ok();
    assert_refused(
        &app.send_as(Some(&access), TYPENAME, json!({})).await,
        "revokeSession",
    );

    let (access, refresh) = sign_in_again(&app, "ender", &user).await;
    assert_trusted(&app, &access).await;
    let refresh_session =
        "mutation($t: String!) { refreshSession(refreshToken: $t) { accessToken } }";
    app.send_as(None, refresh_session, json!({ "t": refresh }))
        .await
        .expect_ok();
    let reused = app
        .send_as(None, refresh_session, json!({ "t": refresh }))
        .await;
    assert_eq!(reused.error_code(), "UNAUTHENTICATED");
    assert_refused(
        &app.send_as(Some(&access), TYPENAME, json!({})).await,
        "a reused refresh token",
    );

    let (access, _) = sign_in_again(&app, "ender", &user).await;
    assert_trusted(&app, &access).await;
    assert_trusted(&app, &user.access_token).await;
    app.send_as(
        Some(&user.access_token),
        "mutation($c: String!, $n: String!) { changePassword(currentPassword: $c, newPassword: $n) }",
        json!({ "c": user.password, "n": "another long password" }),
    )
    .await
    .expect_ok();
    assert_refused(
        &app.send_as(Some(&access), TYPENAME, json!({})).await,
        "another session after a password change",
    );
    assert_eq!(
        checked(&app, &user.access_token).await.0,
        StatusCode::OK,
        "the session that changed the password stays"
    );

    app.send_as(
        Some(&user.access_token),
        "mutation($p: String!) { deleteAccount(password: $p) }",
        json!({ "p": "another long password" }),
    )
    .await
    .expect_ok();
    assert_refused(
        &app.send_as(Some(&user.access_token), TYPENAME, json!({}))
            .await,
        "a deleted account",
    );
}

#[tokio::test]
async fn a_role_or_ban_set_since_a_token_was_trusted_holds_at_once() {
    let app = settled(TestApp::spawn_with_demo().await).await;
    let paper = app.paper_ids(1).await.remove(0);
    let admin = app.register("boss").await;
    app.promote("boss").await;
    let user = app.register("rising").await;
    let reports = "{ reports(status: OPEN, first: 1) { nodes { id } } }";
    assert_trusted(&app, &user.access_token).await;
    let before = app
        .send_as(Some(&user.access_token), reports, json!({}))
        .await;
    assert_eq!(before.error_code(), "FORBIDDEN");
    app.send_as(
        Some(&admin.access_token),
        "mutation { setUserRole(username: \"rising\", role: MODERATOR) { id } }",
        json!({}),
    )
    .await
    .expect_ok();
    app.send_as(Some(&user.access_token), reports, json!({}))
        .await
        .expect_ok();

    assert_a_ban_holds_at_once(&app, &admin, "rising", &user.access_token, &paper).await;
}

/// An operator token (benchmarks' tokens: a user and no sign-in) has its account read once
/// and then kept under the same rule.
#[tokio::test]
async fn an_operator_tokens_account_is_read_once_then_trusted_until_an_account_changes() {
    let app = settled(TestApp::spawn_with_demo().await).await;
    let paper = app.paper_ids(1).await.remove(0);
    let token = app.quick_users("operated", 1).await.remove(0);
    assert_eq!(
        checked(&app, &token).await,
        (StatusCode::OK, 1),
        "one statement reads the account"
    );
    assert_eq!(
        checked(&app, &token).await,
        (StatusCode::OK, 0),
        "then it is trusted"
    );
    let admin = app.register("overseer").await;
    app.promote("overseer").await;
    assert_a_ban_holds_at_once(&app, &admin, "operated0", &token, &paper).await;
}

#[tokio::test]
async fn a_sign_in_ended_through_one_instance_is_refused_by_the_other_within_the_event_delay() {
    let app = settled(TestApp::spawn().await).await;
    if !app.is_postgres() {
        // Instances share events through PostgreSQL LISTEN/NOTIFY; SQLite runs one instance.
        return;
    }
    let second = settled(app.second_instance().await).await;
    let user = app.register("roamer").await;
    let (access, refresh) = sign_in_again(&app, "roamer", &user).await;
    assert_trusted(&second, &access).await;
    log_out(&app, &refresh).await;
    let logged_out = Instant::now();
    loop {
        let (status, _) = checked(&second, &access).await;
        if status == StatusCode::UNAUTHORIZED {
            break;
        }
        assert!(
            logged_out.elapsed() < Duration::from_millis(500),
            "the other instance still trusts the token after {:?}",
            logged_out.elapsed()
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

#[tokio::test]
async fn a_personal_token_is_trusted_from_memory_until_it_is_revoked_or_its_account_changes() {
    let app = settled(TestApp::spawn_with_demo().await).await;
    let paper = app.paper_ids(1).await.remove(0);
    let admin = app.register("keeper").await;
    app.promote("keeper").await;
    let user = app.register("scripter").await;
    let (token, id) = create_token(&app, &user, "bot", "VOTE").await;
    // The first use reads the token and its account and notes the use (then reads it again,
    // with the use noted); after that it is trusted.
    let (status, first) = checked(&app, &token).await;
    assert_eq!(status, StatusCode::OK);
    assert!(first > 0, "the first use reads the token");
    assert_eq!(checked(&app, &token).await.0, StatusCode::OK);
    assert_eq!(checked(&app, &token).await, (StatusCode::OK, 0));

    let revoked = app
        .send_as(
            Some(&user.access_token),
            "mutation($id: ID!) { revokePersonalAccessToken(id: $id) }",
            json!({ "id": id }),
        )
        .await
        .expect_ok();
    assert_eq!(revoked["revokePersonalAccessToken"], true);
    assert_eq!(
        checked(&app, &token).await.0,
        StatusCode::UNAUTHORIZED,
        "a revoked token is refused at once"
    );

    let (voter, _) = create_token(&app, &user, "voter", "VOTE").await;
    // (Its first use is noted, which has it read once more.)
    assert_eq!(checked(&app, &voter).await.0, StatusCode::OK);
    assert_trusted(&app, &voter).await;
    assert_a_ban_holds_at_once(&app, &admin, "scripter", &voter, &paper).await;
}
