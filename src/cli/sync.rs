//! `paperboard sync arxiv`: harvest one arXiv set through OAI-PMH into the catalogue.

use chrono::NaiveDate;

use crate::cli::{CliError, open, print_out};
use crate::config::{DatabaseConfig, SourcesConfig};
use crate::events::EventBus;
use crate::ingest::harvest::{HarvestRequest, harvest};
use crate::ingest::polite::RetryPolicy;
use crate::services::sync_progress::Progress;

/// Longest accepted set name (arXiv's are a few words).
const MAX_SET_LEN: usize = 64;

/// What `paperboard sync` fetches.
#[derive(clap::Subcommand)]
pub enum SyncCommand {
    /// Harvest arXiv's OAI-PMH listing of one set (resumes an interrupted harvest).
    Arxiv(SyncArxivArgs),
}

/// The flags of `paperboard sync arxiv`.
#[derive(clap::Args)]
pub struct SyncArxivArgs {
    #[command(flatten)]
    database: DatabaseConfig,
    #[command(flatten)]
    sources: SourcesConfig,
    /// The OAI set: `cs`, `math`, `physics:hep-th`…
    #[arg(long, value_parser = oai_set)]
    set: String,
    /// Records changed on or after this day (YYYY-MM-DD).
    #[arg(long)]
    from: Option<NaiveDate>,
    /// Records changed on or before this day (YYYY-MM-DD).
    #[arg(long)]
    until: Option<NaiveDate>,
    /// Attempts per page before the run stops (it resumes when run again).
    #[arg(long, env = "PAPERBOARD_SYNC_ATTEMPTS", default_value_t = 6)]
    attempts: u32,
    /// The first pause after a failed attempt, in milliseconds; each further one doubles.
    #[arg(long, env = "PAPERBOARD_SYNC_BACKOFF_MS", default_value_t = 2_000)]
    backoff_ms: u64,
}

/// An OAI set name: letters, digits, `.`, `-` and `:` only.
fn oai_set(value: &str) -> Result<String, String> {
    let valid = !value.is_empty()
        && value.len() <= MAX_SET_LEN
        && value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b':'));
    if valid {
        Ok(value.to_owned())
    } else {
        Err(format!(
            "{value:?} is not an OAI set (letters, digits, '.', '-', ':'; at most {MAX_SET_LEN})"
        ))
    }
}

/// Runs the command.
///
/// # Errors
/// `Usage` for dates out of order; the harvest's failure otherwise (pages stored before it
/// stay stored).
pub async fn run(command: SyncCommand) -> Result<(), CliError> {
    let SyncCommand::Arxiv(args) = command;
    if let (Some(from), Some(until)) = (args.from, args.until)
        && from > until
    {
        return Err(CliError::Usage(format!(
            "--from {from} is after --until {until}"
        )));
    }
    let db = open(&args.database).await?;
    // Servers sharing a PostgreSQL database hear about the papers; a SQLite server runs in
    // another process and is not told.
    let events = EventBus::publisher_only(&db);
    let request = HarvestRequest {
        set: args.set,
        from: args.from,
        until: args.until,
    };
    let retry = RetryPolicy {
        attempts: args.attempts.max(1),
        first_backoff: std::time::Duration::from_millis(args.backoff_ms),
    };
    let outcome = harvest(&db, &events, &args.sources, retry, &request, |progress| {
        tracing::info!(
            pages = progress.pages,
            stored = progress.stored,
            revised = progress.revised,
            unchanged = progress.unchanged,
            skipped = progress.skipped,
            "page stored"
        );
    })
    .await;
    db.close().await;
    let progress = outcome?;
    print_out(&summary(&progress));
    Ok(())
}

fn summary(progress: &Progress) -> String {
    format!(
        "harvested {} page(s): {} stored, {} updated, {} unchanged, {} skipped",
        progress.pages, progress.stored, progress.revised, progress.unchanged, progress.skipped
    )
}
