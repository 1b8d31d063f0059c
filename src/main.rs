//! The `paperboard` binary: parses flags, initialises logs, dispatches a subcommand.

use std::path::PathBuf;

use anyhow::Context;
use clap::{Parser, Subcommand};
use paperboard::config::DatabaseConfig;
use paperboard::db::Database;
use paperboard::import::parse_demo_json;
use paperboard::services::catalog;
use paperboard::{Application, Config, clock, graphql, telemetry};

#[derive(Parser)]
#[command(name = "paperboard", version, about, args_conflicts_with_subcommands = true)]
struct Cli {
    /// Log filter, e.g. `info` or `paperboard=debug,tower_http=debug`.
    #[arg(long, env = "PAPERBOARD_LOG", default_value = "info,sea_orm_migration=warn", global = true)]
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
    }
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
    let text = std::fs::read_to_string(file)
        .with_context(|| format!("cannot read {}", file.display()))?;
    let papers = parse_demo_json(&text, clock::now().date_naive())
        .with_context(|| format!("{} was not imported; nothing was stored", file.display()))?;
    let db = Database::connect(database).await?;
    db.migrate().await.context("migration failed")?;
    let outcome = catalog::import(&db, papers)
        .await
        .context("the import failed; nothing was stored")?;
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
