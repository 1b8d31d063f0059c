//! `paperboard sync`: `arxiv` harvests one arXiv set through OAI-PMH into the catalogue;
//! `hf-daily` merges Hugging Face's daily papers lists.

use std::sync::Arc;
use std::time::Duration;

use chrono::NaiveDate;

use crate::cli::progress::Progress;
use crate::cli::{CliError, open, print_out};
use crate::config::{DatabaseConfig, SourcesConfig};
use crate::events::EventBus;
use crate::ingest::harvest::{HarvestRequest, Target, harvest};
use crate::ingest::hf_sync::sync_days;
use crate::ingest::pacer::Pacer;
use crate::ingest::polite::RetryPolicy;
use crate::services::sync_progress;

/// Longest accepted set name (arXiv's are a few words).
const MAX_SET_LEN: usize = 64;

/// What `paperboard sync` fetches.
#[derive(clap::Subcommand)]
pub enum SyncCommand {
    /// Harvest arXiv's OAI-PMH listing of one set (resumes an interrupted harvest).
    Arxiv(SyncArxivArgs),
    /// Merge Hugging Face's daily papers lists of one day or a range of days.
    HfDaily(SyncHfDailyArgs),
}

/// How persistent a sync is.
#[derive(clap::Args)]
struct RetryArgs {
    /// Attempts per request before the run stops.
    #[arg(long, env = "PAPERBOARD_SYNC_ATTEMPTS", default_value_t = 6)]
    attempts: u32,
    /// The first pause after a failed attempt, in milliseconds; each further one doubles.
    #[arg(long, env = "PAPERBOARD_SYNC_BACKOFF_MS", default_value_t = 2_000)]
    backoff_ms: u64,
}

impl RetryArgs {
    fn policy(&self) -> RetryPolicy {
        RetryPolicy {
            attempts: self.attempts.max(1),
            first_backoff: std::time::Duration::from_millis(self.backoff_ms),
        }
    }
}

/// The flags of `paperboard sync hf-daily`.
#[derive(clap::Args)]
pub struct SyncHfDailyArgs {
    #[command(flatten)]
    database: DatabaseConfig,
    #[command(flatten)]
    sources: SourcesConfig,
    #[command(flatten)]
    retry: RetryArgs,
    /// One day (YYYY-MM-DD).
    #[arg(long, conflicts_with_all = ["from", "to"], required_unless_present = "from")]
    date: Option<NaiveDate>,
    /// The first day of a range (with `--to`).
    #[arg(long, requires = "to")]
    from: Option<NaiveDate>,
    /// The last day of a range (with `--from`).
    #[arg(long, requires = "from")]
    to: Option<NaiveDate>,
}

/// Most days one `hf-daily` run covers.
const MAX_DAYS: i64 = 366;

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
    #[command(flatten)]
    retry: RetryArgs,
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
    match command {
        SyncCommand::Arxiv(args) => arxiv(args).await,
        SyncCommand::HfDaily(args) => hf_daily(args).await,
    }
}

async fn hf_daily(args: SyncHfDailyArgs) -> Result<(), CliError> {
    let (from, to) = match (args.date, args.from, args.to) {
        (Some(day), _, _) => (day, day),
        (None, Some(from), Some(to)) => (from, to),
        _ => {
            return Err(CliError::Usage(
                "give --date, or --from and --to".to_owned(),
            ));
        }
    };
    if from > to {
        return Err(CliError::Usage(format!("--from {from} is after --to {to}")));
    }
    if (to - from).num_days() >= MAX_DAYS {
        return Err(CliError::Usage(format!(
            "at most {MAX_DAYS} days in one run"
        )));
    }
    let db = open(&args.database).await?;
    let events = EventBus::publisher_only(&db);
    let days = u64::try_from((to - from).num_days() + 1).unwrap_or(0);
    let display = Progress::new("days");
    let outcome = sync_days(
        &db,
        &events,
        &args.sources,
        args.retry.policy(),
        from,
        to,
        |tally| {
            tracing::info!(?tally, "day merged");
            let note = format!("{} stored, {} updated", tally.stored, tally.updated);
            display.update(tally.days as u64, Some(days), note);
        },
    )
    .await;
    display.finish();
    db.close().await;
    let tally = outcome?;
    print_out(&format!(
        "synced {} day(s): {} stored, {} updated, {} unchanged, {} skipped",
        tally.days, tally.stored, tally.updated, tally.unchanged, tally.skipped
    ));
    Ok(())
}

async fn arxiv(args: SyncArxivArgs) -> Result<(), CliError> {
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
    let display = Progress::new("records");
    let target = Target {
        db: &db,
        events: &events,
        bylines: None,
    };
    let outcome = harvest(
        target,
        &args.sources,
        Arc::new(Pacer::new(Duration::from_millis(
            args.sources.arxiv_request_interval_millis,
        ))),
        args.retry.policy(),
        &request,
        |progress, list_size| {
            tracing::info!(
                pages = progress.pages,
                stored = progress.stored,
                revised = progress.revised,
                unchanged = progress.unchanged,
                skipped = progress.skipped,
                "page stored"
            );
            let records =
                progress.stored + progress.revised + progress.unchanged + progress.skipped;
            display.update(
                u64::try_from(records).unwrap_or(0),
                list_size,
                format!("page {}", progress.pages),
            );
        },
    )
    .await;
    display.finish();
    db.close().await;
    let progress = outcome?;
    print_out(&summary(&progress));
    Ok(())
}

fn summary(progress: &sync_progress::Progress) -> String {
    format!(
        "harvested {} page(s): {} stored, {} updated, {} unchanged, {} skipped",
        progress.pages, progress.stored, progress.revised, progress.unchanged, progress.skipped
    )
}
