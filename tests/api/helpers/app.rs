//! `TestApp`: the real application, on port 0, on a fresh database.

use std::net::SocketAddr;

use paperboard::Application;
use paperboard::config::{Config, DatabaseConfig, Secret};
use paperboard::state::AppState;
use serde_json::Value;
use tokio::sync::oneshot;

use super::db::TestDb;
use super::graphql::GqlRequest;

/// The signing secret every test app uses, so tests can forge tokens.
pub const TEST_JWT_SECRET: &str = "test secret of at least thirty-two bytes!";

pub struct TestApp {
    pub addr: SocketAddr,
    /// The metrics listener, when the configuration asks for one.
    pub metrics_addr: Option<SocketAddr>,
    pub client: reqwest::Client,
    pub state: AppState,
    shutdown: Option<oneshot::Sender<()>>,
    // Dropped last: the server must stop before its database goes. `None` for a second
    // instance on another app's database.
    db: Option<TestDb>,
    config: Config,
}

impl TestApp {
    /// An application on an empty database.
    pub async fn spawn() -> Self {
        Self::spawn_with(|_| {}).await
    }

    /// An application with the bundled demo papers loaded.
    pub async fn spawn_with_demo() -> Self {
        Self::spawn_with(|config| config.demo = true).await
    }

    /// An application whose configuration `adjust` may change.
    pub async fn spawn_with(adjust: impl FnOnce(&mut Config)) -> Self {
        let db = TestDb::create().await;
        let mut config = test_config(db.config());
        adjust(&mut config);
        Self::start(config, Some(db)).await
    }

    /// An application on a database the test manages itself.
    pub async fn spawn_on(database: DatabaseConfig, adjust: impl FnOnce(&mut Config)) -> Self {
        let mut config = test_config(database);
        adjust(&mut config);
        Self::start(config, None).await
    }

    async fn start(config: Config, db: Option<TestDb>) -> Self {
        init_test_logging();
        let app = Application::build(config.clone())
            .await
            .expect("the application builds");
        let addr = app.local_addr();
        let metrics_addr = app.metrics_addr();
        let state = app.state().clone();
        let (shutdown, stopped) = oneshot::channel::<()>();
        tokio::spawn(app.run_until_stopped(async {
            stopped.await.ok();
        }));
        // As a load balancer waits for `/readyz`: what the instance keeps in memory (shared
        // answers, checked sign-ins) is kept only while it hears changes, so statement
        // counts hold from the first request.
        state
            .events
            .wait_listening(std::time::Duration::from_secs(10))
            .await;
        Self {
            addr,
            metrics_addr,
            client: reqwest::Client::new(),
            state,
            shutdown: Some(shutdown),
            db,
            config,
        }
    }

    /// Another instance serving this app's database (drop it before this app).
    pub async fn second_instance(&self) -> Self {
        Self::start(self.config.clone(), None).await
    }

    /// Whether the tests run on PostgreSQL.
    pub fn is_postgres(&self) -> bool {
        self.db.as_ref().is_some_and(TestDb::is_postgres)
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// A GraphQL request to `/graphql`.
    pub fn gql(&self, query: &str) -> GqlRequest<'_> {
        GqlRequest::new(self, query)
    }

    /// Runs a query that must succeed and returns its `data`.
    pub async fn query(&self, query: &str, variables: Value) -> Value {
        self.gql(query)
            .variables(variables)
            .send()
            .await
            .expect_ok()
    }

    /// `query` with `variables`, as the user of `token` (anonymous without one).
    pub async fn send_as(
        &self,
        token: Option<&str>,
        query: &str,
        variables: Value,
    ) -> crate::helpers::GqlResponse {
        let request = self.gql(query).variables(variables);
        match token {
            Some(token) => request.bearer(token).send().await,
            None => request.send().await,
        }
    }

    /// Runs `sql` on the test's database (rows the API would take many requests to make).
    pub async fn execute_sql(&self, sql: &str) {
        use sea_orm::ConnectionTrait;
        let db = self.state.db.writer();
        let statement = sea_orm::Statement::from_string(db.get_database_backend(), sql);
        db.execute_raw(statement).await.expect("the statement runs");
    }

    /// The single number `sql` (a `SELECT COUNT(*) …`) answers, read straight from the
    /// database.
    pub async fn count(&self, sql: &str) -> i64 {
        use sea_orm::ConnectionTrait;
        let db = self.state.db.writer();
        let statement = sea_orm::Statement::from_string(db.get_database_backend(), sql);
        let row = db.query_one_raw(statement).await.expect("the query runs");
        row.expect("a row").try_get_by_index(0).expect("a number")
    }

    /// The global ids of the first `count` papers, newest first.
    pub async fn paper_ids(&self, count: usize) -> Vec<String> {
        let data = self
            .query(
                &format!("{{ papers(first: {count}) {{ nodes {{ id }} }} }}"),
                serde_json::json!({}),
            )
            .await;
        data["papers"]["nodes"]
            .as_array()
            .expect("papers")
            .iter()
            .map(|paper| paper["id"].as_str().expect("id").to_owned())
            .collect()
    }

    /// Registers a fresh account through the API.
    pub async fn register(&self, username: &str) -> TestUser {
        let password = format!("{username} has a long password");
        let data = self
            .query(
                "mutation($i: RegisterInput!) { register(input: $i) { accessToken refreshToken user { id } } }",
                serde_json::json!({ "i": {
                    "username": username,
                    "email": format!("{username}@example.org"),
                    "password": password,
                }}),
            )
            .await;
        let payload = &data["register"];
        TestUser {
            password,
            id: payload["user"]["id"].as_str().expect("id").to_owned(),
            access_token: payload["accessToken"].as_str().expect("access").to_owned(),
            refresh_token: payload["refreshToken"]
                .as_str()
                .expect("refresh")
                .to_owned(),
        }
    }

    /// `count` accounts inserted straight into the database (no password hashing), with an
    /// access token for each, signed with the test secret.
    pub async fn quick_users(&self, prefix: &str, count: usize) -> Vec<String> {
        use sea_orm::{ConnectionTrait, Statement};
        let db = self.state.db.writer();
        let backend = db.get_database_backend();
        let mut tokens = Vec::with_capacity(count);
        for index in 0..count {
            let name = format!("{prefix}{index}");
            let row = db
                .query_one_raw(Statement::from_sql_and_values(
                    backend,
                    match backend {
                        sea_orm::DbBackend::Postgres => "INSERT INTO users (username, username_key, email, email_key, password_hash, role, created_at) VALUES ($1, $1, $2, $2, '!', 'USER', $3) RETURNING id",
                        _ => "INSERT INTO users (username, username_key, email, email_key, password_hash, role, created_at) VALUES (?1, ?1, ?2, ?2, '!', 'USER', ?3) RETURNING id",
                    },
                    [
                        name.clone().into(),
                        format!("{name}@example.org").into(),
                        chrono::Utc::now().into(),
                    ],
                ))
                .await
                .unwrap()
                .unwrap();
            let id: i64 = row.try_get_by_index(0).unwrap();
            tokens.push(sign_token(id));
        }
        tokens
    }

    /// Deletes paper `id` (a global id) as `admin`.
    pub async fn delete_paper(&self, admin: &TestUser, id: &serde_json::Value) {
        self.gql("mutation($id: ID!) { deletePaper(id: $id) }")
            .variables(serde_json::json!({ "id": id }))
            .bearer(&admin.access_token)
            .send()
            .await
            .expect_ok();
    }

    /// Makes `username` an admin, as `paperboard user promote` does.
    pub async fn promote(&self, username: &str) {
        let promoted = paperboard::services::accounts::promote(
            &self.state.db,
            &self.state.events,
            username,
            paperboard::auth::Role::Admin,
        )
        .await
        .expect("promotion");
        assert!(promoted, "no user {username}");
    }

    /// Starts a graceful shutdown, as SIGTERM would.
    pub fn shut_down(&mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            shutdown.send(()).ok();
        }
    }

    /// SQL statements the server has executed so far.
    pub fn statements_executed(&self) -> u64 {
        self.state.db.statements_executed()
    }
}

/// The configuration every test app starts from.
fn test_config(database: DatabaseConfig) -> Config {
    let mut config = Config::for_database(database);
    config.auth.jwt_secret = Some(Secret::new(TEST_JWT_SECRET));
    // Tests log in and fail on purpose from one address; they opt into tighter limits.
    config.auth.login_client_attempts = 10_000;
    config.auth.registrations_per_hour = 10_000;
    config.activity.comments_per_hour = 10_000;
    // Rankings refresh when a test says so (`rankings::refresh`), never in the middle.
    config.activity.ranking_refresh_millis = 3_600_000;
    // Budgets are on where a test says so (`budget`): on PostgreSQL their spending is
    // shared by a background statement, which would land in the statement counts.
    config.platform.cost_points_per_hour = 0;
    config
}

/// An access token for user `id`, as the server would issue it.
pub fn sign_token(id: i64) -> String {
    let now = chrono::Utc::now().timestamp();
    let claims = serde_json::json!({
        "sub": id.to_string(), "iat": now, "exp": now + 900,
        "iss": "paperboard", "aud": "paperboard-api", "jti": format!("test-{id}-{now}"),
    });
    jsonwebtoken::encode(
        &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256),
        &claims,
        &jsonwebtoken::EncodingKey::from_secret(TEST_JWT_SECRET.as_bytes()),
    )
    .unwrap()
}

/// An account registered by a test.
#[derive(Debug, Clone)]
pub struct TestUser {
    pub password: String,
    pub id: String,
    pub access_token: String,
    pub refresh_token: String,
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            shutdown.send(()).ok();
        }
    }
}

fn init_test_logging() {
    if std::env::var_os("TEST_LOG").is_some() {
        let _logs = paperboard::telemetry::init(
            "debug,sqlx=warn",
            paperboard::telemetry::LogFormat::Text,
            None,
        );
    }
}
