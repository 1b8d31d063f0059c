//! Registration, login, sessions, roles and throttling, over HTTP.

use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::helpers::TestApp;

const REGISTER: &str = "mutation($i: RegisterInput!) { register(input: $i) { accessToken refreshToken expiresAt user { id username email displayName } } }";
const LOGIN: &str = "mutation($i: LoginInput!) { login(input: $i) { accessToken refreshToken user { username email } } }";
const REFRESH: &str = "mutation($t: String!) { refreshSession(refreshToken: $t) { accessToken refreshToken user { username } } }";
const LOGOUT: &str = "mutation($t: String!) { logout(refreshToken: $t) }";

fn registration(username: &str, email: &str, password: &str) -> Value {
    json!({ "i": { "username": username, "email": email, "password": password } })
}

async fn user_exists(app: &TestApp, username: &str) -> bool {
    let data = app
        .query(
            "query($u: String!) { user(username: $u) { id } }",
            json!({ "u": username }),
        )
        .await;
    !data["user"].is_null()
}

#[tokio::test]
async fn register_signs_the_new_user_in_and_shows_them_their_email() {
    let app = TestApp::spawn().await;
    let data = app
        .query(
            REGISTER,
            registration("ada", "Ada@Example.org", "analytical engine 1843"),
        )
        .await;
    let payload = &data["register"];
    assert_eq!(payload["user"]["username"], "ada");
    assert_eq!(payload["user"]["email"], "Ada@Example.org");
    assert!(payload["accessToken"].as_str().unwrap().split('.').count() == 3);
    assert!(payload["refreshToken"].as_str().unwrap().len() >= 43);

    let token = payload["accessToken"].as_str().unwrap();
    let viewer = app
        .gql("{ viewer { username email } }")
        .bearer(token)
        .send()
        .await
        .expect_ok();
    assert_eq!(
        viewer["viewer"],
        json!({ "username": "ada", "email": "Ada@Example.org" })
    );
    let anonymous = app.query("{ viewer { username } }", json!({})).await;
    assert_eq!(anonymous["viewer"], Value::Null);
}

#[tokio::test]
async fn every_invalid_registration_field_is_named_and_nothing_is_stored() {
    let app = TestApp::spawn().await;
    let long_password = "x".repeat(1_025);
    let cases = [
        (
            registration("ab", "a@example.org", "long enough password"),
            "input.username",
        ),
        (
            registration("a b c", "a@example.org", "long enough password"),
            "input.username",
        ),
        (
            registration(&"u".repeat(33), "a@example.org", "long enough password"),
            "input.username",
        ),
        (
            registration("valid_name", "not-an-email", "long enough password"),
            "input.email",
        ),
        (
            registration("valid_name", "a@example", "long enough password"),
            "input.email",
        ),
        (
            registration("valid_name", "a@example.org", "short pass"),
            "input.password",
        ),
        (
            registration("valid_name", "a@example.org", &long_password),
            "input.password",
        ),
        (
            json!({ "i": { "username": "valid_name", "email": "a@example.org",
                    "password": "long enough password", "displayName": "x".repeat(101) } }),
            "input.displayName",
        ),
    ];
    for (variables, field) in cases {
        let response = app.gql(REGISTER).variables(variables).send().await;
        assert_eq!(response.error_code(), "BAD_USER_INPUT", "{field}");
        assert_eq!(response.error_field().as_deref(), Some(field));
    }
    assert!(!user_exists(&app, "valid_name").await);
    // The boundaries themselves are accepted.
    app.query(
        REGISTER,
        registration("abc", "b@example.org", &"y".repeat(1_024)),
    )
    .await;
    app.query(
        REGISTER,
        registration("twelve", "c@example.org", "twelve chars"),
    )
    .await;
}

#[tokio::test]
async fn usernames_and_emails_are_unique_regardless_of_case() {
    let app = TestApp::spawn().await;
    app.register("Grace").await;
    let taken_name = app
        .gql(REGISTER)
        .variables(registration(
            "GRACE",
            "other@example.org",
            "long enough password",
        ))
        .send()
        .await;
    assert_eq!(taken_name.error_code(), "CONFLICT");
    assert_eq!(taken_name.error_field().as_deref(), Some("input.username"));
    let taken_email = app
        .gql(REGISTER)
        .variables(registration(
            "hopper",
            "GRACE@EXAMPLE.ORG",
            "long enough password",
        ))
        .send()
        .await;
    assert_eq!(taken_email.error_code(), "CONFLICT");
    assert_eq!(taken_email.error_field().as_deref(), Some("input.email"));
    assert!(!user_exists(&app, "hopper").await);
}

#[tokio::test]
async fn login_accepts_username_or_email_in_any_case() {
    let app = TestApp::spawn().await;
    let user = app.register("Linus").await;
    for name in ["linus", "LINUS", "Linus@Example.org", "linus@example.org"] {
        let data = app
            .query(
                LOGIN,
                json!({ "i": { "usernameOrEmail": name, "password": user.password } }),
            )
            .await;
        assert_eq!(data["login"]["user"]["username"], "Linus", "{name}");
        assert_eq!(data["login"]["user"]["email"], "Linus@example.org");
    }
}

#[tokio::test]
async fn a_wrong_password_and_an_unknown_account_fail_alike() {
    let app = TestApp::spawn().await;
    let user = app.register("margaret").await;
    let attempt = |name: &'static str, password: &'static str| {
        let app = &app;
        async move {
            let started = Instant::now();
            let response = app
                .gql(LOGIN)
                .variables(json!({ "i": { "usernameOrEmail": name, "password": password } }))
                .send()
                .await;
            (response, started.elapsed())
        }
    };
    let (wrong, _) = attempt("margaret", "not her password at all").await;
    let (unknown, _) = attempt("nobody-here", "not her password at all").await;
    assert_eq!(wrong.error_code(), "UNAUTHENTICATED");
    assert_eq!(unknown.error_code(), "UNAUTHENTICATED");
    assert_eq!(
        wrong.body["errors"][0]["message"],
        unknown.body["errors"][0]["message"]
    );
    assert_eq!(wrong.status, unknown.status);

    // Both run one argon2 verification: their times are of the same order.
    let mut wrong_times = Vec::new();
    let mut unknown_times = Vec::new();
    for _ in 0..3 {
        wrong_times.push(attempt("margaret", "still not her password").await.1);
        unknown_times.push(attempt("nobody-here", "still not her password").await.1);
    }
    wrong_times.sort();
    unknown_times.sort();
    let (wrong, unknown) = (wrong_times[1].as_secs_f64(), unknown_times[1].as_secs_f64());
    assert!(
        unknown > wrong / 3.0 && unknown < wrong * 3.0,
        "wrong {wrong}s, unknown {unknown}s"
    );
    assert!(!user.password.is_empty());
}

#[tokio::test]
async fn refreshing_rotates_the_token_and_reuse_revokes_the_whole_session() {
    let app = TestApp::spawn().await;
    let user = app.register("barbara").await;
    let first = app.query(REFRESH, json!({ "t": user.refresh_token })).await;
    let second_token = first["refreshSession"]["refreshToken"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_ne!(second_token, user.refresh_token);
    assert_eq!(first["refreshSession"]["user"]["username"], "barbara");

    // The rotated-out token is presented again: reuse.
    let reused = app
        .gql(REFRESH)
        .variables(json!({ "t": user.refresh_token }))
        .send()
        .await;
    assert_eq!(reused.error_code(), "UNAUTHENTICATED");
    // The newest token of the family died with it.
    let newest = app
        .gql(REFRESH)
        .variables(json!({ "t": second_token }))
        .send()
        .await;
    assert_eq!(newest.error_code(), "UNAUTHENTICATED");
    assert_eq!(
        reused.body["errors"][0]["message"],
        newest.body["errors"][0]["message"]
    );
}

#[tokio::test]
async fn two_concurrent_refreshes_of_one_token_succeed_at_most_once() {
    let app = TestApp::spawn().await;
    let user = app.register("edsger").await;
    let refresh = || {
        app.gql(REFRESH)
            .variables(json!({ "t": user.refresh_token }))
            .send()
    };
    let (a, b) = tokio::join!(refresh(), refresh());
    let successes = [&a, &b]
        .iter()
        .filter(|r| r.body.get("errors").is_none())
        .count();
    assert!(successes <= 1, "{} / {}", a.body, b.body);
    for response in [&a, &b] {
        if response.body.get("errors").is_some() {
            assert_eq!(response.error_code(), "UNAUTHENTICATED");
        }
    }
}

#[tokio::test]
async fn logout_revokes_the_session() {
    let app = TestApp::spawn().await;
    let user = app.register("donald").await;
    let out = app.query(LOGOUT, json!({ "t": user.refresh_token })).await;
    assert_eq!(out["logout"], true);
    let again = app.query(LOGOUT, json!({ "t": user.refresh_token })).await;
    assert_eq!(again["logout"], false, "already revoked");
    let unknown = app.query(LOGOUT, json!({ "t": "not-a-token" })).await;
    assert_eq!(unknown["logout"], false);
    let refreshed = app
        .gql(REFRESH)
        .variables(json!({ "t": user.refresh_token }))
        .send()
        .await;
    assert_eq!(refreshed.error_code(), "UNAUTHENTICATED");
}

#[tokio::test]
async fn malformed_refresh_tokens_fail_like_any_other() {
    let app = TestApp::spawn().await;
    for token in ["", "x", &"y".repeat(10_000), "'; DROP TABLE sessions; --"] {
        let response = app
            .gql(REFRESH)
            .variables(json!({ "t": token }))
            .send()
            .await;
        assert_eq!(response.error_code(), "UNAUTHENTICATED");
    }
}

#[tokio::test]
async fn emails_are_private_to_their_owner_and_admins() {
    let app = TestApp::spawn().await;
    let alice = app.register("alice").await;
    let bob = app.register("bob").await;
    let query = r#"{ user(username: "alice") { email } }"#;
    let anonymous = app.query(query, json!({})).await;
    assert_eq!(anonymous["user"]["email"], Value::Null);
    let other = app
        .gql(query)
        .bearer(&bob.access_token)
        .send()
        .await
        .expect_ok();
    assert_eq!(other["user"]["email"], Value::Null);
    let own = app
        .gql(query)
        .bearer(&alice.access_token)
        .send()
        .await
        .expect_ok();
    assert_eq!(own["user"]["email"], "alice@example.org");

    promote(&app, "bob").await;
    let admin = app
        .gql(query)
        .bearer(&bob.access_token)
        .send()
        .await
        .expect_ok();
    assert_eq!(admin["user"]["email"], "alice@example.org");
}

/// Runs `paperboard user promote` against the test database while the server runs, and
/// waits until the server may have heard of it.
async fn promote(app: &TestApp, username: &str) {
    let output =
        crate::helpers::fixtures::run_command(app, &["user", "promote", username], &[]).await;
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
}

#[tokio::test]
async fn admin_only_fields_need_the_admin_role() {
    let app = TestApp::spawn().await;
    let user = app.register("ordinary").await;
    let query = "{ users(first: 10) { totalCount nodes { username } } }";
    assert_eq!(app.gql(query).send().await.error_code(), "UNAUTHENTICATED");
    assert_eq!(
        app.gql(query)
            .bearer(&user.access_token)
            .send()
            .await
            .error_code(),
        "FORBIDDEN"
    );
    promote(&app, "ORDINARY").await;
    let data = app
        .gql(query)
        .bearer(&user.access_token)
        .send()
        .await
        .expect_ok();
    assert_eq!(data["users"]["totalCount"], 1);
}

#[tokio::test]
async fn promoting_an_unknown_user_fails() {
    let app = TestApp::spawn().await;
    let config = app.state.config.database.clone();
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_paperboard"));
    command
        .args(["user", "promote", "ghost", "--data-dir"])
        .arg(&config.data_dir)
        .env_remove("DATABASE_URL")
        .env("PAPERBOARD_LOG", "warn");
    if let Some(url) = &config.database_url {
        command.arg("--database-url").arg(url);
    }
    assert!(!command.output().unwrap().status.success());
}

#[tokio::test]
async fn repeated_failed_logins_are_throttled_with_back_off() {
    let app = TestApp::spawn_with(|config| {
        config.auth.login_account_attempts = 2;
        config.auth.login_max_backoff_seconds = 60;
    })
    .await;
    let user = app.register("target").await;
    let login = |password: &str| {
        app.gql(LOGIN)
            .variables(json!({ "i": { "usernameOrEmail": "target", "password": password } }))
            .send()
    };
    for _ in 0..2 {
        assert_eq!(
            login("wrong password here").await.error_code(),
            "UNAUTHENTICATED"
        );
    }
    // The third failure starts a back-off…
    assert_eq!(
        login("wrong password here").await.error_code(),
        "UNAUTHENTICATED"
    );
    // …during which even the right password is refused, with a retry hint.
    let limited = login(&user.password).await;
    assert_eq!(limited.error_code(), "RATE_LIMITED");
    assert!(
        limited.body["errors"][0]["extensions"]["retryAfterSeconds"]
            .as_i64()
            .unwrap()
            >= 1
    );
    // The back-off is short: the real user gets in after it.
    tokio::time::sleep(Duration::from_millis(1_100)).await;
    let data = login(&user.password).await.expect_ok();
    assert_eq!(data["login"]["user"]["username"], "target");
}

#[tokio::test]
async fn guessing_from_one_address_is_throttled_across_accounts() {
    let app = TestApp::spawn_with(|config| {
        config.auth.login_client_attempts = 3;
    })
    .await;
    for attempt in 0..4 {
        let response = app
            .gql(LOGIN)
            .variables(json!({ "i": { "usernameOrEmail": format!("guess{attempt}"), "password": "some password" } }))
            .send()
            .await;
        assert_eq!(response.error_code(), "UNAUTHENTICATED");
    }
    let response = app
        .gql(LOGIN)
        .variables(json!({ "i": { "usernameOrEmail": "fresh-name", "password": "some password" } }))
        .send()
        .await;
    assert_eq!(response.error_code(), "RATE_LIMITED");
}

#[tokio::test]
async fn registrations_per_address_are_limited() {
    let app = TestApp::spawn_with(|config| config.auth.registrations_per_hour = 2).await;
    app.register("first").await;
    app.register("second").await;
    let third = app
        .gql(REGISTER)
        .variables(registration(
            "third",
            "third@example.org",
            "long enough password",
        ))
        .send()
        .await;
    assert_eq!(third.error_code(), "RATE_LIMITED");
    assert!(!user_exists(&app, "third").await);
}

#[tokio::test]
async fn failed_logins_count_against_the_account_whichever_name_is_typed() {
    let app = TestApp::spawn_with(|config| {
        config.auth.login_account_attempts = 2;
        config.auth.login_max_backoff_seconds = 60;
    })
    .await;
    let user = app.register("spelled").await;
    let login = |name: &'static str, password: String| {
        app.gql(LOGIN)
            .variables(json!({ "i": { "usernameOrEmail": name, "password": password } }))
            .send()
    };
    let wrong = || "wrong password here".to_owned();
    assert_eq!(
        login("spelled", wrong()).await.error_code(),
        "UNAUTHENTICATED"
    );
    assert_eq!(
        login("SPELLED@example.org", wrong()).await.error_code(),
        "UNAUTHENTICATED"
    );
    // The third failure, by either name, starts the account's back-off…
    assert_eq!(
        login("spelled@example.org", wrong()).await.error_code(),
        "UNAUTHENTICATED"
    );
    // …which holds for both spellings, even with the right password.
    for name in ["spelled@example.org", "Spelled"] {
        assert_eq!(
            login(name, user.password.clone()).await.error_code(),
            "RATE_LIMITED",
            "{name}"
        );
    }
}

#[tokio::test]
async fn usernames_with_non_ascii_look_alikes_match_nothing() {
    let app = TestApp::spawn().await;
    let user = app.register("kadmin").await;
    // U+212A KELVIN SIGN lower-cases to `k` under Unicode rules.
    let kelvin = "\u{212A}admin";
    let data = app
        .query(
            "query($u: String!) { user(username: $u) { id } }",
            json!({ "u": kelvin }),
        )
        .await;
    assert_eq!(data["user"], Value::Null);
    let login = app
        .gql(LOGIN)
        .variables(json!({ "i": { "usernameOrEmail": kelvin, "password": user.password } }))
        .send()
        .await;
    assert_eq!(login.error_code(), "UNAUTHENTICATED");
    let filtered = app
        .query(
            "query($u: String!) { papers(filter: { submittedBy: $u }) { totalCount } }",
            json!({ "u": kelvin }),
        )
        .await;
    assert_eq!(filtered["papers"]["totalCount"], 0);
    assert!(user_exists(&app, "KADMIN").await, "ASCII case still folds");
}

/// Behind a load balancer, every instance on one PostgreSQL database spends one budget.
#[tokio::test]
async fn instances_sharing_postgresql_share_their_limits() {
    let app = TestApp::spawn_with(|config| {
        config.auth.login_account_attempts = 3;
        config.auth.login_max_backoff_seconds = 60;
        config.auth.registrations_per_hour = 3;
    })
    .await;
    if !app.is_postgres() {
        // One SQLite instance counts in memory; nothing is shared to test.
        return;
    }
    let other = app.second_instance().await;
    let instances = [&app, &other];
    let user = app.register("shared").await;
    for attempt in 0..4 {
        let response = instances[attempt % 2]
            .gql(LOGIN)
            .variables(
                json!({ "i": { "usernameOrEmail": "shared", "password": "wrong password here" } }),
            )
            .send()
            .await;
        assert_eq!(
            response.error_code(),
            "UNAUTHENTICATED",
            "attempt {attempt}"
        );
    }
    for instance in instances {
        let response = instance
            .gql(LOGIN)
            .variables(json!({ "i": { "usernameOrEmail": "shared", "password": user.password } }))
            .send()
            .await;
        assert_eq!(response.error_code(), "RATE_LIMITED");
    }
    // Registrations per address: one was spent above; two more, one on each instance.
    other.register("second").await;
    app.register("third").await;
    let fourth = other
        .gql(REGISTER)
        .variables(registration(
            "fourth",
            "fourth@example.org",
            "long enough password",
        ))
        .send()
        .await;
    assert_eq!(fourth.error_code(), "RATE_LIMITED");
    drop(other);
}
