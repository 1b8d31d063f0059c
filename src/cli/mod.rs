//! The command line: flags, subcommands, and the tooling behind them (`import`, `generate`,
//! `sync`, `user promote`). The binary parses a [`Cli`] and calls [`run`].

pub mod generate;
mod progress;
mod sync;

use std::path::{Path, PathBuf};

use clap::{Parser, Subcommand};

use crate::auth::Role;
use crate::auth::password::Passwords;
use crate::config::{Config, DatabaseConfig};
use crate::db::{Database, DatabaseError};
use crate::error::AppError;
use crate::events::EventBus;
use crate::ingest::{ImportError, parse_demo_json};
use crate::services::{accounts, catalog};
use crate::startup::StartupError;
use crate::{Application, clock, graphql};
use progress::Progress;

/// `paperboard`: the GraphQL backend of a community research-paper feed.
#[derive(Parser)]
#[command(
    name = "paperboard",
    version,
    about,
    args_conflicts_with_subcommands = true
)]
pub struct Cli {
    /// Log filter, e.g. `info` or `paperboard=debug,tower_http=debug`.
    #[arg(
        long,
        env = "PAPERBOARD_LOG",
        default_value = "info,sea_orm_migration=warn",
        global = true
    )]
    pub log: String,

    /// How log lines are written: `text`, or `json` (one object per line, with the
    /// request's `trace_id`).
    #[arg(
        long,
        env = "PAPERBOARD_LOG_FORMAT",
        value_enum,
        default_value_t,
        global = true
    )]
    pub log_format: crate::telemetry::LogFormat,

    /// Where spans are exported over OTLP/HTTP, e.g. `http://127.0.0.1:4318` (`/v1/traces`
    /// is appended); no tracing when unset.
    #[arg(long, env = "OTEL_EXPORTER_OTLP_ENDPOINT", global = true)]
    pub otlp_endpoint: Option<url::Url>,

    #[command(flatten)]
    serve: Config,

    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Run the GraphQL server (the default).
    Serve(Box<Config>),
    /// Apply pending database migrations and exit.
    Migrate(DatabaseConfig),
    /// Import papers from a file in the demo JSON format (idempotent, all-or-nothing).
    Import {
        #[command(flatten)]
        database: DatabaseConfig,
        /// The JSON file.
        file: PathBuf,
    },
    /// Print the GraphQL schema (SDL) to standard output.
    ExportSchema,
    /// Fill an empty database with a deterministic synthetic data set.
    Generate(generate::GenerateArgs),
    /// Fetch papers from a source.
    Sync {
        #[command(subcommand)]
        command: sync::SyncCommand,
    },
    /// Manage accounts.
    User {
        #[command(subcommand)]
        command: UserCommand,
    },
}

#[derive(Subcommand)]
enum UserCommand {
    /// Give a user a role, admin by default (works while a server runs on the same
    /// database).
    Promote {
        #[command(flatten)]
        database: DatabaseConfig,
        /// The username (any case).
        username: String,
        /// `admin`, `moderator` or `user`.
        #[arg(long, value_enum, default_value_t = RoleArg::Admin)]
        role: RoleArg,
    },
}

/// Why a command failed.
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    #[error(transparent)]
    Startup(#[from] StartupError),
    #[error("cannot open the database")]
    Database(#[from] DatabaseError),
    #[error("migration failed")]
    Migrate(#[source] sea_orm::DbErr),
    #[error("cannot read {path}")]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{path} was not imported; nothing was stored")]
    Import {
        path: PathBuf,
        #[source]
        source: ImportError,
    },
    #[error("{0}")]
    Failed(&'static str, #[source] AppError),
    #[error("no user is called {0:?}")]
    UnknownUser(String),
    #[error(transparent)]
    Generate(#[from] generate::GenerateError),
    #[error("the server stopped with an error")]
    Serve(#[source] std::io::Error),
    /// Arguments that parse but do not fit together (exit status 2, as clap's own).
    #[error("{0}")]
    Usage(String),
    #[error("the harvest stopped")]
    Harvest(#[from] crate::ingest::harvest::HarvestError),
    #[error("the sync stopped")]
    HfSync(#[from] crate::ingest::hf_sync::HfSyncError),
}

impl CliError {
    /// The process's exit status for this error: 2 for a usage error, 1 otherwise.
    pub fn exit_status(&self) -> i32 {
        match self {
            Self::Usage(_) => 2,
            _ => 1,
        }
    }
}

/// Runs the command `cli` names (`serve` when it names none), until it is done or
/// `shutdown` completes.
///
/// # Errors
/// The command failed.
pub async fn run(
    cli: Cli,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), CliError> {
    match cli.command.unwrap_or(Command::Serve(Box::new(cli.serve))) {
        Command::Serve(config) => serve(*config, shutdown).await,
        Command::Migrate(database) => {
            let db = open(&database).await?;
            db.close().await;
            print_out("migrations applied");
            Ok(())
        }
        Command::Import { database, file } => import_file(&database, &file).await,
        Command::ExportSchema => {
            print_out(&graphql::export_sdl());
            Ok(())
        }
        Command::Generate(args) => generate::run(args).await,
        Command::Sync { command } => sync::run(command).await,
        Command::User {
            command:
                UserCommand::Promote {
                    database,
                    username,
                    role,
                },
        } => promote(&database, &username, role.into()).await,
    }
}

async fn serve(
    config: Config,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), CliError> {
    let app = Application::build(config).await?;
    print_out(&format!(
        "Paperboard listening on http://{}/graphql",
        app.local_addr()
    ));
    app.run_until_stopped(shutdown)
        .await
        .map_err(CliError::Serve)?;
    tracing::info!("stopped");
    Ok(())
}

/// Connects and migrates.
pub(crate) async fn open(database: &DatabaseConfig) -> Result<Database, CliError> {
    let db = Database::connect(database).await?;
    db.migrate().await.map_err(CliError::Migrate)?;
    Ok(db)
}

async fn import_file(database: &DatabaseConfig, file: &Path) -> Result<(), CliError> {
    let text = std::fs::read_to_string(file).map_err(|source| CliError::Read {
        path: file.to_path_buf(),
        source,
    })?;
    let papers =
        parse_demo_json(&text, clock::now().date_naive()).map_err(|source| CliError::Import {
            path: file.to_path_buf(),
            source,
        })?;
    let db = open(database).await?;
    // Servers sharing the database hear about the new papers (see `publisher_only`).
    let events = EventBus::publisher_only(&db);
    let total = papers.len() as u64;
    let display = Progress::new("records");
    let outcome = catalog::import(&db, &events, papers, |done| {
        tracing::info!(done, total, "records stored (committed at the end)");
        display.update(done as u64, Some(total), String::new());
    })
    .await;
    display.finish();
    let outcome = outcome
        .map_err(|error| CliError::Failed("the import failed; nothing was stored", error))?;
    print_out(&format!(
        "imported {} new paper(s); {} already present",
        outcome.inserted.len(),
        outcome.skipped
    ));
    db.close().await;
    Ok(())
}

/// A role as the command line names it.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
enum RoleArg {
    Admin,
    Moderator,
    User,
}

impl From<RoleArg> for Role {
    fn from(role: RoleArg) -> Self {
        match role {
            RoleArg::Admin => Self::Admin,
            RoleArg::Moderator => Self::Moderator,
            RoleArg::User => Self::User,
        }
    }
}

async fn promote(database: &DatabaseConfig, username: &str, role: Role) -> Result<(), CliError> {
    let db = open(database).await?;
    // Servers sharing the database hear about the new role (see `publisher_only`).
    let events = EventBus::publisher_only(&db);
    let promoted = accounts::promote(&db, &events, username, role)
        .await
        .map_err(|error| CliError::Failed("the promotion failed", error))?;
    db.close().await;
    if !promoted {
        return Err(CliError::UnknownUser(username.to_owned()));
    }
    let role = role.as_str().to_lowercase();
    print_out(&format!("{username} is now {role}"));
    Ok(())
}

/// The one password hash every generated account gets, when one is asked for.
pub(crate) async fn benchmark_password_hash(password: String) -> Result<String, CliError> {
    let passwords = Passwords::new(1).map_err(|error| CliError::Failed("no hasher", error))?;
    passwords
        .hash(password)
        .await
        .map_err(|error| CliError::Failed("cannot hash the password", error))
}

/// A command's output, on standard output.
#[expect(clippy::print_stdout, reason = "the command's output")]
pub(crate) fn print_out(text: &str) {
    println!("{text}");
}
