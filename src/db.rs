//! Database connections: pools, SQLite tuning, migrations, and a statement counter.
//!
//! SQLite gets two pools: many readers, and a single writer connection so that write
//! transactions queue in-process instead of spinning on SQLite's busy handler. PostgreSQL
//! uses one pool for both.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use migration::{Migrator, MigratorTrait};
use sea_orm::sqlx::sqlite::{SqliteJournalMode, SqliteSynchronous};
use sea_orm::{
    ConnectOptions, ConnectionTrait, DatabaseConnection, DatabaseTransaction, DbBackend, DbErr,
    Statement, TransactionTrait,
};

use crate::config::DatabaseConfig;

/// How long a SQLite connection waits for a lock held by another process.
const SQLITE_BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// How long a request waits for a PostgreSQL connection before giving up.
const POSTGRES_ACQUIRE_TIMEOUT: Duration = Duration::from_secs(3);
/// How long a health probe waits for the database.
const PROBE_TIMEOUT: Duration = Duration::from_secs(1);

/// Work that instances sharing one PostgreSQL database must do one at a time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exclusive {
    /// Applying migrations at start-up.
    Migration,
    /// Refreshing the ranking.
    RankingRefresh,
    /// Importing a batch of papers (so that two imports of one file store it once).
    Import,
}

impl Exclusive {
    /// The advisory-lock key: eight ASCII letters, so that `pg_locks` shows what it is.
    fn key(self) -> i64 {
        let name: &[u8; 8] = match self {
            Self::Migration => b"paperboa",
            Self::RankingRefresh => b"pbrankin",
            Self::Import => b"pbimport",
        };
        i64::from_be_bytes(*name)
    }

    /// Takes the lock until `transaction` ends. On SQLite there is nothing to take: one
    /// instance, one writer connection.
    ///
    /// # Errors
    /// The statement fails.
    pub async fn lock(self, transaction: &DatabaseTransaction) -> Result<(), DbErr> {
        if transaction.get_database_backend() != DbBackend::Postgres {
            return Ok(());
        }
        transaction
            .execute_raw(Statement::from_sql_and_values(
                DbBackend::Postgres,
                "SELECT pg_advisory_xact_lock($1)",
                [self.key().into()],
            ))
            .await?;
        Ok(())
    }
}

/// Failures while opening or migrating the database.
#[derive(Debug, thiserror::Error)]
pub enum DatabaseError {
    #[error("cannot create the data directory {path}")]
    DataDir {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("unsupported database URL (expected sqlite:// or postgres://)")]
    UnsupportedUrl,
    #[error("database error")]
    Db(#[from] DbErr),
}

/// The application's handle on its database.
#[derive(Clone)]
pub struct Database {
    read: DatabaseConnection,
    write: DatabaseConnection,
    statements: Arc<AtomicU64>,
    /// Set while the database is known to be unreachable (see [`Database::probe`]).
    down: Arc<AtomicBool>,
}

impl Database {
    /// Connects (creating the SQLite file and its directory when needed). Does not migrate.
    ///
    /// # Errors
    /// The URL is unsupported, the data directory cannot be created, or connecting fails.
    pub async fn connect(config: &DatabaseConfig) -> Result<Self, DatabaseError> {
        let url = config.url();
        let statements = Arc::new(AtomicU64::new(0));
        let (mut read, mut write) = if url.starts_with("sqlite:") {
            ensure_sqlite_dir(&url)?;
            let write = connect_sqlite(&url, 1).await?;
            let read = connect_sqlite(&url, config.pool_size.unwrap_or(4).max(1)).await?;
            (read, write)
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            let pool = connect_postgres(&url, config.pool_size.unwrap_or(8).max(2)).await?;
            (pool.clone(), pool)
        } else {
            return Err(DatabaseError::UnsupportedUrl);
        };
        let system = if url.starts_with("sqlite:") {
            "sqlite"
        } else {
            "postgresql"
        };
        for connection in [&mut read, &mut write] {
            let counter = Arc::clone(&statements);
            connection.set_metric_callback(move |info| {
                tracing::trace!(sql = %info.statement.sql, elapsed = ?info.elapsed, "statement");
                counter.fetch_add(1, Ordering::Relaxed);
                crate::telemetry::metrics::statement(info.elapsed);
                crate::telemetry::traces::statement(&info.statement.sql, system, info.elapsed);
            });
        }
        Ok(Self {
            read,
            write,
            statements,
            down: Arc::new(AtomicBool::new(false)),
        })
    }

    /// The pool for queries.
    pub fn reader(&self) -> &DatabaseConnection {
        &self.read
    }

    /// The connection for writes and write transactions.
    pub fn writer(&self) -> &DatabaseConnection {
        &self.write
    }

    /// Which SQL dialect this database speaks.
    pub fn backend(&self) -> DbBackend {
        self.read.get_database_backend()
    }

    /// Connections of each pool: `(name, in use, idle, most)`. On PostgreSQL reads and
    /// writes share one pool.
    pub fn pool_usage(&self) -> Vec<(&'static str, u32, u32, u32)> {
        fn usage(size: u32, idle: usize, max: u32) -> (u32, u32, u32) {
            let idle = u32::try_from(idle).unwrap_or(u32::MAX);
            (size.saturating_sub(idle), idle, max)
        }
        match self.backend() {
            DbBackend::Postgres => {
                let pool = self.write.get_postgres_connection_pool();
                let (in_use, idle, max) = usage(
                    pool.size(),
                    pool.num_idle(),
                    pool.options().get_max_connections(),
                );
                vec![("shared", in_use, idle, max)]
            }
            _ => [("reader", &self.read), ("writer", &self.write)]
                .into_iter()
                .map(|(name, connection)| {
                    let pool = connection.get_sqlite_connection_pool();
                    let (in_use, idle, max) = usage(
                        pool.size(),
                        pool.num_idle(),
                        pool.options().get_max_connections(),
                    );
                    (name, in_use, idle, max)
                })
                .collect(),
        }
    }

    /// SQL statements executed since start; tests use it to prove there is no N+1.
    pub fn statements_executed(&self) -> u64 {
        self.statements.load(Ordering::Relaxed)
    }

    /// Applies pending migrations. On PostgreSQL an advisory lock makes instances that
    /// start together migrate one after the other.
    ///
    /// # Errors
    /// A migration fails.
    pub async fn migrate(&self) -> Result<(), DbErr> {
        if self.backend() == DbBackend::Postgres {
            let transaction = self.write.begin().await?;
            Exclusive::Migration.lock(&transaction).await?;
            Migrator::up(&transaction, None).await?;
            transaction.commit().await
        } else {
            Migrator::up(&self.write, None).await
        }
    }

    /// Whether the database is known to be unreachable: requests that need it can fail at
    /// once instead of waiting for a connection.
    pub fn is_down(&self) -> bool {
        self.down.load(Ordering::Relaxed)
    }

    /// Records that the database did not answer (a request saw a connection failure).
    pub fn mark_down(&self) {
        if !self.down.swap(true, Ordering::Relaxed) {
            tracing::error!("the database is unreachable; failing requests until it answers");
        }
    }

    /// Pings the database (giving up after a second), records the outcome, and returns
    /// whether it answered.
    pub async fn probe(&self) -> bool {
        let answered = matches!(
            tokio::time::timeout(PROBE_TIMEOUT, self.read.ping()).await,
            Ok(Ok(()))
        );
        if answered {
            if self.down.swap(false, Ordering::Relaxed) {
                tracing::info!("the database answers again");
            }
        } else {
            self.mark_down();
        }
        answered
    }

    /// Closes every pool, waiting for connections to return.
    pub async fn close(self) {
        let Self { read, write, .. } = self;
        // Both handles may share one pool (PostgreSQL); closing it twice is harmless.
        for connection in [read, write] {
            if let Err(error) = connection.close().await {
                tracing::warn!(%error, "closing a database pool failed");
            }
        }
    }
}

fn ensure_sqlite_dir(url: &str) -> Result<(), DatabaseError> {
    let path = url
        .trim_start_matches("sqlite:")
        .trim_start_matches("//")
        .split('?')
        .next()
        .unwrap_or_default();
    if path.is_empty() || path.starts_with(':') {
        return Ok(());
    }
    match Path::new(path).parent() {
        Some(dir) if !dir.as_os_str().is_empty() => {
            std::fs::create_dir_all(dir).map_err(|source| DatabaseError::DataDir {
                path: dir.to_path_buf(),
                source,
            })
        }
        _ => Ok(()),
    }
}

async fn connect_sqlite(url: &str, max_connections: u32) -> Result<DatabaseConnection, DbErr> {
    let mut options = ConnectOptions::new(url);
    // A local file cannot drop a connection: no liveness ping on checkout (sqlx pings on
    // every acquire by default, a thread round-trip per query).
    options
        .max_connections(max_connections)
        .min_connections(1)
        .test_before_acquire(false)
        .sqlx_logging(false)
        // Every acquisition reports its wait (see `telemetry::pool_wait`).
        .map_sqlx_sqlite_pool_opts(|options| options.acquire_time_level(log::LevelFilter::Trace))
        .map_sqlx_sqlite_opts(|options| {
            options
                .create_if_missing(true)
                .journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Normal)
                .foreign_keys(true)
                .busy_timeout(SQLITE_BUSY_TIMEOUT)
                .pragma("mmap_size", "1073741824")
        });
    sea_orm::Database::connect(options).await
}

async fn connect_postgres(url: &str, max_connections: u32) -> Result<DatabaseConnection, DbErr> {
    let mut options = ConnectOptions::new(url);
    options
        .max_connections(max_connections)
        .min_connections(1)
        .acquire_timeout(POSTGRES_ACQUIRE_TIMEOUT)
        // Ping only connections idle long enough to have been dropped by the server or a
        // proxy; pinging on every checkout would add a round trip to every query.
        .test_before_acquire_if_idle_for(Duration::from_secs(30))
        .sqlx_logging(false)
        .map_sqlx_postgres_pool_opts(|options| options.acquire_time_level(log::LevelFilter::Trace));
    sea_orm::Database::connect(options).await
}

/// Whether `error` says the database could not be reached (as opposed to refusing a
/// statement): a lost or refused connection, a pool that could not get one, a server
/// shutting down (SQLSTATE class 08, and 57P01–57P03).
pub fn is_unreachable(error: &DbErr) -> bool {
    use sea_orm::RuntimeErr;
    use sea_orm::sqlx::Error as SqlxError;
    let runtime = match error {
        DbErr::ConnectionAcquire(_) => return true,
        DbErr::Conn(runtime) | DbErr::Exec(runtime) | DbErr::Query(runtime) => runtime,
        _ => return false,
    };
    let RuntimeErr::SqlxError(sqlx) = runtime else {
        return false;
    };
    match sqlx.as_ref() {
        SqlxError::Io(_)
        | SqlxError::Tls(_)
        | SqlxError::PoolTimedOut
        | SqlxError::PoolClosed
        | SqlxError::WorkerCrashed => true,
        SqlxError::Database(database) => database.code().is_some_and(|code| {
            code.starts_with("08") || matches!(code.as_ref(), "57P01" | "57P02" | "57P03")
        }),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn sqlite_database_is_created_with_wal_and_foreign_keys() -> Result<(), DatabaseError> {
        let dir = tempfile::tempdir().map_err(|source| DatabaseError::DataDir {
            path: PathBuf::new(),
            source,
        })?;
        let config = DatabaseConfig::sqlite_in(dir.path().join("nested"));
        let db = Database::connect(&config).await?;
        db.migrate().await?;
        let pragma = |sql: &'static str| {
            let db = db.clone();
            async move {
                let row = db
                    .reader()
                    .query_one_raw(Statement::from_string(DbBackend::Sqlite, sql))
                    .await?
                    .ok_or_else(|| DbErr::Custom("no row".into()))?;
                row.try_get_by_index::<String>(0)
                    .or_else(|_| row.try_get_by_index::<i64>(0).map(|v| v.to_string()))
            }
        };
        assert_eq!(pragma("PRAGMA journal_mode").await?, "wal");
        assert_eq!(pragma("PRAGMA foreign_keys").await?, "1");
        assert_eq!(pragma("PRAGMA busy_timeout").await?, "5000");
        Ok(())
    }
}
