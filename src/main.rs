//! The `paperboard` binary: parses flags, initialises logs, dispatches a subcommand.

use std::path::PathBuf;

use anyhow::Context;
use clap::{Parser, Subcommand};
use paperboard::auth::password::Passwords;
use paperboard::config::DatabaseConfig;
use paperboard::db::Database;
use paperboard::events::{self, Change};
use paperboard::import::parse_demo_json;
use paperboard::services::{accounts, catalog};
use paperboard::{Application, Config, clock, generate, graphql, telemetry};
use sea_orm::DbBackend;

/// mimalloc: a measurably faster allocator than glibc's under many small, cross-thread
/// allocations (GraphQL values, SQL rows).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(
    name = "paperboard",
    version,
    about,
    args_conflicts_with_subcommands = true
)]
struct Cli {
    /// Log filter, e.g. `info` or `paperboard=debug,tower_http=debug`.
    #[arg(
        long,
        env = "PAPERBOARD_LOG",
        default_value = "info,sea_orm_migration=warn",
        global = true
    )]
    log: String,

    #[command(flatten)]
    serve: Config,

    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Run the GraphQL server (the default).
    Serve(Config),
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
    Generate(GenerateArgs),
    /// Manage accounts.
    User {
        #[command(subcommand)]
        command: UserCommand,
    },
}

#[derive(Subcommand)]
enum UserCommand {
    /// Make a user an admin (works while a server runs on the same database).
    Promote {
        #[command(flatten)]
        database: DatabaseConfig,
        /// The username (any case).
        username: String,
    },
}

#[derive(clap::Args)]
struct GenerateArgs {
    #[command(flatten)]
    database: DatabaseConfig,
    #[arg(long, default_value_t = 100_000)]
    papers: u64,
    #[arg(long, default_value_t = 150_000)]
    authors: u64,
    #[arg(long, default_value_t = 20_000)]
    users: u64,
    #[arg(long, default_value_t = 1_000_000)]
    upvotes: u64,
    /// Seed: the same seed (and sizes and end time) gives the same data.
    #[arg(long, default_value_t = 42)]
    seed: u64,
    /// The latest submission time (RFC 3339); papers spread over the two years before it.
    #[arg(long, default_value = "2026-11-01T00:00:00Z")]
    until: chrono::DateTime<chrono::Utc>,
    /// Give every generated account this password (for benchmarks). Without it, nobody can
    /// log in as a generated user.
    #[arg(long, env = "PAPERBOARD_GENERATE_PASSWORD", hide_env_values = true)]
    password: Option<String>,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    telemetry::init(&cli.log);
    match cli.command.unwrap_or(Command::Serve(cli.serve)) {
        Command::Serve(config) => serve(config).await,
        Command::Migrate(database) => migrate(&database).await,
        Command::Import { database, file } => import(&database, &file).await,
        Command::ExportSchema => {
            print_out(&graphql::export_sdl());
            Ok(())
        }
        Command::Generate(args) => generate_data(args).await,
        Command::User {
            command: UserCommand::Promote { database, username },
        } => promote(&database, &username).await,
    }
}

async fn promote(database: &DatabaseConfig, username: &str) -> anyhow::Result<()> {
    let db = Database::connect(database).await?;
    db.migrate().await.context("migration failed")?;
    let promoted = accounts::promote(&db, username).await?;
    db.close().await;
    if !promoted {
        anyhow::bail!("no user is called {username:?}");
    }
    print_out(&format!("{username} is now an admin"));
    Ok(())
}

async fn generate_data(args: GenerateArgs) -> anyhow::Result<()> {
    let password_hash = match args.password {
        Some(password) => Some(Passwords::new(1)?.hash(password).await?),
        None => None,
    };
    let plan = generate::Plan {
        sizes: generate::Sizes {
            papers: args.papers,
            authors: args.authors,
            users: args.users,
            upvotes: args.upvotes,
        },
        seed: args.seed,
        until: args.until,
        password_hash,
    };
    let db = Database::connect(&args.database).await?;
    db.migrate().await.context("migration failed")?;
    let started = std::time::Instant::now();
    let report = generate::generate(&db, &plan).await?;
    print_out(&format!(
        "generated {} users, {} authors, {} papers ({} byline rows), {} upvotes in {:.1} s",
        report.users,
        report.authors,
        report.papers,
        report.bylines,
        report.upvotes,
        started.elapsed().as_secs_f64()
    ));
    db.close().await;
    Ok(())
}

async fn serve(config: Config) -> anyhow::Result<()> {
    let app = Application::build(config).await?;
    print_out(&format!(
        "Paperboard listening on http://{}/graphql",
        app.local_addr()
    ));
    app.run_until_stopped(shutdown_signal()).await?;
    tracing::info!("stopped");
    Ok(())
}

async fn migrate(database: &DatabaseConfig) -> anyhow::Result<()> {
    let db = Database::connect(database).await?;
    db.migrate().await.context("migration failed")?;
    print_out("migrations applied");
    db.close().await;
    Ok(())
}

async fn import(database: &DatabaseConfig, file: &PathBuf) -> anyhow::Result<()> {
    let text =
        std::fs::read_to_string(file).with_context(|| format!("cannot read {}", file.display()))?;
    let papers = parse_demo_json(&text, clock::now().date_naive())
        .with_context(|| format!("{} was not imported; nothing was stored", file.display()))?;
    let db = Database::connect(database).await?;
    db.migrate().await.context("migration failed")?;
    let outcome = catalog::import(&db, papers)
        .await
        .context("the import failed; nothing was stored")?;
    // Servers sharing a PostgreSQL database hear about the new papers; a SQLite server runs
    // in another process and is not told: its subscribers get no event for these papers.
    if db.backend() == DbBackend::Postgres {
        for paper_id in &outcome.inserted {
            events::notify(
                db.writer(),
                Change::PaperAdded {
                    paper_id: *paper_id,
                },
            )
            .await;
        }
    }
    print_out(&format!(
        "imported {} new paper(s); {} already present",
        outcome.inserted.len(),
        outcome.skipped
    ));
    db.close().await;
    Ok(())
}

/// Completes on SIGINT or SIGTERM.
async fn shutdown_signal() {
    let interrupt = async {
        if let Err(error) = tokio::signal::ctrl_c().await {
            tracing::error!(%error, "cannot listen for SIGINT");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(error) => {
                tracing::error!(%error, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = interrupt => {},
        () = terminate => {},
    }
    tracing::info!("shutting down: draining in-flight requests");
}

#[expect(clippy::print_stdout, reason = "the command's output")]
fn print_out(text: &str) {
    println!("{text}");
}
