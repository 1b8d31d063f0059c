//! A present but invalid access token is refused with 401 — never treated as anonymous.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{Algorithm, EncodingKey, Header, encode};
use serde_json::{Value, json};

use crate::helpers::{TEST_JWT_SECRET, TestApp};

const VIEWER: &str = "{ viewer { username } }";

fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

/// Claims as the server issues them, for user `sub`.
fn claims(sub: &str) -> Value {
    json!({
        "sub": sub, "iat": now(), "exp": now() + 600,
        "iss": "paperboard", "aud": "paperboard-api", "jti": "test-token-id",
    })
}

fn sign(claims: &Value, secret: &str, algorithm: Algorithm) -> String {
    encode(
        &Header::new(algorithm),
        claims,
        &EncodingKey::from_secret(secret.as_bytes()),
    )
    .unwrap()
}

/// The user id inside a global id such as `User:7`.
fn raw_id(global: &str) -> String {
    let decoded = String::from_utf8(URL_SAFE_NO_PAD.decode(global).unwrap()).unwrap();
    decoded.split_once(':').unwrap().1.to_owned()
}

async fn assert_refused(app: &TestApp, authorization: &str, case: &str) {
    let response = app.gql(VIEWER).authorization(authorization).send().await;
    assert_eq!(response.status, 401, "{case}: {}", response.body);
    assert_eq!(response.error_code(), "UNAUTHENTICATED", "{case}");
    assert!(
        response.headers["www-authenticate"]
            .to_str()
            .unwrap()
            .starts_with("Bearer"),
        "{case}"
    );
}

#[tokio::test]
async fn a_valid_token_identifies_the_viewer() {
    let app = TestApp::spawn().await;
    let user = app.register("valid").await;
    let forged_but_correct = sign(
        &claims(&raw_id(&user.id)),
        TEST_JWT_SECRET,
        Algorithm::HS256,
    );
    for token in [&user.access_token, &forged_but_correct] {
        let data = app.gql(VIEWER).bearer(token).send().await.expect_ok();
        assert_eq!(data["viewer"]["username"], "valid");
    }
    let lower_case_scheme = format!("bearer {}", user.access_token);
    let data = app
        .gql(VIEWER)
        .authorization(&lower_case_scheme)
        .send()
        .await
        .expect_ok();
    assert_eq!(data["viewer"]["username"], "valid");
}

#[tokio::test]
async fn forged_expired_and_foreign_tokens_are_refused() {
    let app = TestApp::spawn().await;
    let user = app.register("victim").await;
    let id = raw_id(&user.id);
    let with = |change: &dyn Fn(&mut Value)| {
        let mut claims = claims(&id);
        change(&mut claims);
        sign(&claims, TEST_JWT_SECRET, Algorithm::HS256)
    };

    let mut cases: Vec<(String, &str)> = vec![
        (with(&|c| c["exp"] = json!(now() - 3_600)), "expired"),
        (
            with(&|c| c["iat"] = json!(now() + 3_600)),
            "issued in the future",
        ),
        (
            with(&|c| c["nbf"] = json!(now() + 3_600)),
            "not valid before an hour from now",
        ),
        (with(&|c| c["iss"] = json!("someone-else")), "wrong issuer"),
        (with(&|c| c["aud"] = json!("another-api")), "wrong audience"),
        (
            with(&|c| {
                c.as_object_mut().unwrap().remove("aud");
            }),
            "no audience",
        ),
        (
            with(&|c| {
                c.as_object_mut().unwrap().remove("iss");
            }),
            "no issuer",
        ),
        (
            with(&|c| {
                c.as_object_mut().unwrap().remove("exp");
            }),
            "no expiry",
        ),
        (
            with(&|c| {
                c.as_object_mut().unwrap().remove("iat");
            }),
            "no issue time",
        ),
        (
            with(&|c| {
                c.as_object_mut().unwrap().remove("jti");
            }),
            "no token id",
        ),
        (
            with(&|c| c["sub"] = json!("not-a-number")),
            "subject is not an id",
        ),
        (with(&|c| c["sub"] = json!("999999")), "subject is no user"),
        (
            sign(
                &claims(&id),
                "a different secret that is long enough",
                Algorithm::HS256,
            ),
            "wrong key",
        ),
        (
            sign(&claims(&id), TEST_JWT_SECRET, Algorithm::HS512),
            "another HMAC algorithm",
        ),
    ];

    // alg "none": header and payload, no signature.
    let none_header = URL_SAFE_NO_PAD.encode(r#"{"alg":"none","typ":"JWT"}"#);
    let payload = URL_SAFE_NO_PAD.encode(claims(&id).to_string());
    cases.push((format!("{none_header}.{payload}."), "alg none"));
    // RS256 header over an HMAC signature made with the secret: key-confusion attempt.
    let rs_header = URL_SAFE_NO_PAD.encode(r#"{"alg":"RS256","typ":"JWT"}"#);
    let hs_token = sign(&claims(&id), TEST_JWT_SECRET, Algorithm::HS256);
    let hs_signature = hs_token.rsplit('.').next().unwrap();
    cases.push((
        format!("{rs_header}.{payload}.{hs_signature}"),
        "RS256/HS256 confusion",
    ));
    // A genuine token with its payload changed to another user.
    let mut parts: Vec<String> = user.access_token.split('.').map(str::to_owned).collect();
    parts[1] = URL_SAFE_NO_PAD.encode(claims("1").to_string());
    cases.push((parts.join("."), "tampered payload"));
    // A genuine token with a flipped signature byte.
    let mut bytes = user.access_token.clone().into_bytes();
    let last = bytes.len() - 2;
    bytes[last] = if bytes[last] == b'A' { b'B' } else { b'A' };
    cases.push((String::from_utf8(bytes).unwrap(), "tampered signature"));
    cases.push(("not.a.jwt".to_owned(), "garbage"));
    cases.push(("x".repeat(10_000), "huge"));

    for (token, case) in &cases {
        assert_refused(&app, &format!("Bearer {token}"), case).await;
    }
}

#[tokio::test]
async fn malformed_authorization_headers_are_refused() {
    let app = TestApp::spawn().await;
    for header in [
        "Bearer",
        "Bearer ",
        "Basic dXNlcjpwYXNz",
        "Token abc",
        "abc",
    ] {
        assert_refused(&app, header, header).await;
    }
}

#[tokio::test]
async fn two_authorization_headers_are_refused_even_when_the_first_is_valid() {
    let app = TestApp::spawn().await;
    let user = app.register("doubled").await;
    let response = app
        .client
        .post(app.url("/graphql"))
        .json(&json!({ "query": VIEWER }))
        .header("authorization", format!("Bearer {}", user.access_token))
        .header("authorization", "Bearer nonsense")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 401);
    let twice_valid = app
        .client
        .post(app.url("/graphql"))
        .json(&json!({ "query": VIEWER }))
        .header("authorization", format!("Bearer {}", user.access_token))
        .header("authorization", format!("Bearer {}", user.access_token))
        .send()
        .await
        .unwrap();
    assert_eq!(twice_valid.status(), 401);
}

#[tokio::test]
async fn a_deleted_users_token_is_refused() {
    let app = TestApp::spawn().await;
    let user = app.register("leaving").await;
    use sea_orm::{ConnectionTrait, Statement};
    let db = app.state.db.writer();
    db.execute_raw(Statement::from_string(
        db.get_database_backend(),
        "DELETE FROM users WHERE username_key = 'leaving'",
    ))
    .await
    .unwrap();
    assert_refused(
        &app,
        &format!("Bearer {}", user.access_token),
        "deleted user",
    )
    .await;
}

#[tokio::test]
async fn an_invalid_token_on_get_is_refused_too() {
    let app = TestApp::spawn().await;
    let response = app
        .client
        .get(app.url("/graphql"))
        .query(&[("query", VIEWER)])
        .header("authorization", "Bearer nonsense")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 401);
}

mod secret {
    use paperboard::Application;
    use paperboard::config::{Config, DatabaseConfig, Secret};
    use serde_json::{Value, json};

    fn config_in(dir: &std::path::Path) -> Config {
        let mut config = Config::for_database(DatabaseConfig::sqlite_in(dir));
        config.auth.registrations_per_hour = 100;
        config
    }

    async fn post(app_addr: std::net::SocketAddr, body: Value, token: Option<&str>) -> Value {
        let mut request = reqwest::Client::new()
            .post(format!("http://{app_addr}/graphql"))
            .json(&body);
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        request.send().await.unwrap().json().await.unwrap()
    }

    #[tokio::test]
    async fn a_jwt_secret_shorter_than_32_bytes_refuses_to_start() {
        let dir = tempfile::tempdir().unwrap();
        let mut config = config_in(dir.path());
        config.auth.jwt_secret = Some(Secret::new("only 31 bytes long, not enough"));
        assert!(Application::build(config).await.is_err());
    }

    #[tokio::test]
    async fn tokens_survive_a_restart_with_the_generated_secret() {
        let dir = tempfile::tempdir().unwrap();
        let first = Application::build(config_in(dir.path())).await.unwrap();
        let addr = first.local_addr();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let server = tokio::spawn(first.run_until_stopped(async {
            stopped.await.ok();
        }));
        let registered = post(
            addr,
            json!({ "query": "mutation { register(input: {username: \"restart\", email: \"r@example.org\", password: \"long enough password\"}) { accessToken } }" }),
            None,
        )
        .await;
        let token = registered["data"]["register"]["accessToken"]
            .as_str()
            .unwrap()
            .to_owned();
        stop.send(()).unwrap();
        server.await.unwrap().unwrap();

        let second = Application::build(config_in(dir.path())).await.unwrap();
        let addr = second.local_addr();
        tokio::spawn(second.run_until_stopped(std::future::pending()));
        let viewer = post(
            addr,
            json!({ "query": "{ viewer { username } }" }),
            Some(&token),
        )
        .await;
        assert_eq!(viewer["data"]["viewer"]["username"], "restart");
    }
}
