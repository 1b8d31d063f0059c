//! A private PostgreSQL server in a temporary directory, which a test may stop and start
//! (to simulate an outage) without touching the machine's shared server.

use std::path::PathBuf;
use std::process::Command;

use tempfile::TempDir;

pub struct TempPostgres {
    dir: TempDir,
    pub port: u16,
}

impl TempPostgres {
    /// `initdb` into a fresh directory, then start the server on a free port.
    pub fn start() -> Self {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let port = free_port();
        let server = Self { dir, port };
        if running_as_root() {
            // PostgreSQL refuses to run as root: the data directory goes to `postgres`.
            run(Command::new("chown")
                .args(["-R", "postgres:postgres"])
                .arg(server.dir.path()));
        }
        run(server
            .pg_command("initdb")
            .args([
                "--auth=trust",
                "--username=postgres",
                "--no-sync",
                "--pgdata",
            ])
            .arg(server.data_dir()));
        server.resume();
        server
    }

    /// The URL of its `postgres` database.
    pub fn url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/postgres", self.port)
    }

    /// Stops the server at once, as a crash or a network cut would.
    pub fn stop(&self) {
        run(self
            .pg_command("pg_ctl")
            .args(["stop", "--mode=immediate", "--wait", "--pgdata"])
            .arg(self.data_dir()));
    }

    /// Starts the (stopped) server again on the same port.
    pub fn resume(&self) {
        let options = format!(
            "-p {} -k {} -c listen_addresses=127.0.0.1 -c fsync=off",
            self.port,
            self.dir.path().display()
        );
        run(self
            .pg_command("pg_ctl")
            .args(["start", "--wait", "--silent", "-o", &options, "--log"])
            .arg(self.dir.path().join("server.log"))
            .arg("--pgdata")
            .arg(self.data_dir()));
    }

    fn data_dir(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    fn pg_command(&self, program: &str) -> Command {
        if running_as_root() {
            let mut command = Command::new("runuser");
            command.args(["-u", "postgres", "--", program]);
            command
        } else {
            Command::new(program)
        }
    }
}

impl Drop for TempPostgres {
    fn drop(&mut self) {
        let _ = self
            .pg_command("pg_ctl")
            .args(["stop", "--mode=immediate", "--pgdata"])
            .arg(self.data_dir())
            .output();
    }
}

fn run(command: &mut Command) {
    let output = command.output().expect("the command runs");
    assert!(
        output.status.success(),
        "{command:?} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
}

fn running_as_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|output| output.stdout.trim_ascii() == b"0")
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .map(|addr| addr.port())
        .expect("a free port")
}
