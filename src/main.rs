//! The `paperboard` binary: parses the command line, starts the logs, runs the command.

use clap::Parser;
use paperboard::cli::{self, Cli};
use paperboard::telemetry;

/// mimalloc: a measurably faster allocator than glibc's under many small, cross-thread
/// allocations (GraphQL values, SQL rows).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() {
    let cli = Cli::parse();
    // Held to the end: dropping it flushes the spans not yet exported.
    let tracing = match telemetry::init(&cli.log, cli.log_format, cli.otlp_endpoint.as_ref()) {
        Ok(tracing) => tracing,
        Err(error) => {
            report(&anyhow::Error::from(error));
            std::process::exit(1);
        }
    };
    if let Err(error) = cli::run(cli, shutdown_signal()).await {
        drop(tracing);
        let status = error.exit_status();
        report(&anyhow::Error::from(error));
        std::process::exit(status);
    }
}

/// The failure, with its causes, on standard error.
#[expect(clippy::print_stderr, reason = "the command's error report")]
fn report(error: &anyhow::Error) {
    eprintln!("Error: {error:#}");
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
