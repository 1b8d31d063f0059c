//! What the tests of fetched sources share: a fixture server on a free port, and the real
//! binary run as a command against the test's database.

use std::net::SocketAddr;
use std::process::{Command, Output};
use std::time::Duration;

use super::app::TestApp;

/// How long a server takes to hear a command's changes: a SQLite server reads them from
/// the outbox five times a second (PostgreSQL servers hear them within milliseconds).
const CHANGES_HEARD_WITHIN: Duration = Duration::from_millis(500);

/// Serves `router` on a free port of the loopback interface until the test ends.
pub async fn serve(router: axum::Router) -> SocketAddr {
    let listener = tokio::net::TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], 0)))
        .await
        .unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, router).await });
    addr
}

/// Runs `paperboard ARGS` against `app`'s database with `env` set (off the test's runtime,
/// which serves the fixtures), then waits until `app` may show what it wrote.
pub async fn run_command(app: &TestApp, args: &[&str], env: &[(&str, String)]) -> Output {
    let config = app.state.config.database.clone();
    let mut command = Command::new(env!("CARGO_BIN_EXE_paperboard"));
    command
        .args(args)
        .arg("--data-dir")
        .arg(&config.data_dir)
        .env_remove("DATABASE_URL")
        .env("PAPERBOARD_LOG", "warn")
        .envs(env.iter().map(|(key, value)| (*key, value.as_str())));
    if let Some(url) = &config.database_url {
        command.arg("--database-url").arg(url);
    }
    let output = tokio::task::spawn_blocking(move || command.output().expect("the binary runs"))
        .await
        .unwrap();
    tokio::time::sleep(CHANGES_HEARD_WITHIN).await;
    output
}

/// The summary a command ends its output with (after any log lines).
pub fn summary(output: &Output) -> String {
    let stdout = String::from_utf8_lossy(&output.stdout);
    stdout.lines().last().unwrap_or_default().to_owned()
}

/// Runs `paperboard ARGS` with nothing else set up, and returns its exit status.
pub fn exit_status(args: &[&str]) -> Option<i32> {
    Command::new(env!("CARGO_BIN_EXE_paperboard"))
        .args(args)
        .env("PAPERBOARD_LOG", "warn")
        .env(
            "PAPERBOARD_DATA_DIR",
            std::env::temp_dir().join("paperboard-bad-arguments"),
        )
        .output()
        .unwrap()
        .status
        .code()
}
