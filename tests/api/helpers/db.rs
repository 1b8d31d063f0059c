//! A fresh database per test: a SQLite file in a temporary directory, or, when
//! `TEST_DATABASE_URL` names a PostgreSQL server, a uniquely named database on it that is
//! dropped when the test ends (databases left by crashed runs are swept after two hours).

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use paperboard::config::DatabaseConfig;
use sea_orm::{ConnectionTrait, Database, DbBackend, Statement};
use tempfile::TempDir;

const PREFIX: &str = "paperboard_test_";
const STALE_AFTER_SECS: u64 = 2 * 60 * 60;

pub enum TestDb {
    Sqlite(TempDir),
    Postgres { server_url: String, name: String },
}

impl TestDb {
    pub async fn create() -> Self {
        match std::env::var("TEST_DATABASE_URL") {
            Ok(url) if url.starts_with("postgres") => Self::create_postgres(url).await,
            _ => Self::Sqlite(tempfile::tempdir().expect("a temporary directory")),
        }
    }

    async fn create_postgres(server_url: String) -> Self {
        static NEXT: AtomicU64 = AtomicU64::new(0);
        let now = unix_seconds();
        let name = format!(
            "{PREFIX}{now}_{}_{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        );
        let admin = Database::connect(&server_url)
            .await
            .expect("TEST_DATABASE_URL must name a reachable PostgreSQL server");
        sweep_stale(&admin, now).await;
        admin
            .execute_raw(Statement::from_string(
                DbBackend::Postgres,
                format!("CREATE DATABASE \"{name}\""),
            ))
            .await
            .expect("CREATE DATABASE");
        admin.close().await.ok();
        Self::Postgres { server_url, name }
    }

    pub fn is_postgres(&self) -> bool {
        matches!(self, Self::Postgres { .. })
    }

    pub fn config(&self) -> DatabaseConfig {
        match self {
            Self::Sqlite(dir) => DatabaseConfig::sqlite_in(dir.path()),
            Self::Postgres { server_url, name } => DatabaseConfig {
                database_url: Some(with_database(server_url, name)),
                data_dir: std::env::temp_dir(),
                pool_size: None,
            },
        }
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        let Self::Postgres { server_url, name } = self else {
            return;
        };
        let (server_url, name) = (server_url.clone(), name.clone());
        // Drop cannot await: use a private runtime on a plain thread. A failure panics
        // there, which prints the reason; the test itself is already over.
        let _joined = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("a runtime");
            runtime.block_on(async move {
                let admin = Database::connect(&server_url).await.expect("connect");
                drop_database(&admin, &name).await;
                admin.close().await.ok();
            });
        })
        .join();
    }
}

async fn drop_database(admin: &sea_orm::DatabaseConnection, name: &str) {
    admin
        .execute_raw(Statement::from_string(
            DbBackend::Postgres,
            format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"),
        ))
        .await
        .expect("DROP DATABASE");
}

/// Drops test databases older than two hours: left behind by killed runs.
async fn sweep_stale(admin: &sea_orm::DatabaseConnection, now: u64) {
    let rows = admin
        .query_all_raw(Statement::from_string(
            DbBackend::Postgres,
            format!("SELECT datname FROM pg_database WHERE datname LIKE '{PREFIX}%'"),
        ))
        .await
        .unwrap_or_default();
    for row in rows {
        let Ok(name) = row.try_get_by_index::<String>(0) else {
            continue;
        };
        let created = name[PREFIX.len()..]
            .split('_')
            .next()
            .and_then(|secs| secs.parse::<u64>().ok());
        if created.is_some_and(|created| now.saturating_sub(created) > STALE_AFTER_SECS) {
            drop_database(admin, &name).await;
        }
    }
}

fn with_database(server_url: &str, name: &str) -> String {
    let (base, query) = match server_url.split_once('?') {
        Some((base, query)) => (base, Some(query)),
        None => (server_url, None),
    };
    let authority_end = base.find("://").map_or(0, |at| at + 3);
    let base = match base[authority_end..].find('/') {
        Some(slash) => &base[..authority_end + slash],
        None => base,
    };
    match query {
        Some(query) => format!("{base}/{name}?{query}"),
        None => format!("{base}/{name}"),
    }
}

fn unix_seconds() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}
