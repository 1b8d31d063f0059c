//! The real `paperboard` binary in its own process, for what an in-process server cannot
//! show: its memory, and what survives `kill -9`.

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};

use super::app::TEST_JWT_SECRET;
use super::db::TestDb;

pub struct ServerProcess {
    child: Child,
    pub addr: SocketAddr,
}

impl ServerProcess {
    /// `paperboard serve` on a free port against `db`, with `args` added; returns once it
    /// listens.
    pub async fn start(db: &TestDb, args: &[&str]) -> Self {
        let config = db.config();
        let mut command = Command::new(env!("CARGO_BIN_EXE_paperboard"));
        command
            .args(["serve", "--bind", "127.0.0.1:0", "--data-dir"])
            .arg(&config.data_dir)
            .args(args)
            .env_remove("DATABASE_URL")
            .env("JWT_SECRET", TEST_JWT_SECRET)
            .env("PAPERBOARD_LOG", "warn")
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit());
        if let Some(url) = &config.database_url {
            command.arg("--database-url").arg(url);
        }
        let mut child = command.spawn().expect("the binary starts");
        let stdout = child.stdout.take().expect("piped stdout");
        let line = tokio::task::spawn_blocking(move || {
            let mut line = String::new();
            BufReader::new(stdout).read_line(&mut line).ok();
            line
        })
        .await
        .expect("reading stdout");
        let addr = line
            .trim()
            .strip_prefix("Paperboard listening on http://")
            .and_then(|rest| rest.strip_suffix("/graphql"))
            .and_then(|addr| addr.parse().ok())
            .unwrap_or_else(|| panic!("unexpected first line: {line:?}"));
        Self { child, addr }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// The highest resident set size the process has reached, in KiB (`VmHWM`).
    pub fn peak_rss_kib(&self) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id()))
            .expect("/proc/<pid>/status");
        status
            .lines()
            .find_map(|line| line.strip_prefix("VmHWM:"))
            .and_then(|value| value.trim().trim_end_matches("kB").trim().parse().ok())
            .expect("a VmHWM line")
    }

    /// Kills the process at once (SIGKILL): no shutdown, no flushing.
    pub fn kill_hard(&mut self) {
        self.child.kill().ok();
        self.child.wait().ok();
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        self.kill_hard();
    }
}
