//! `paperboard generate`: its flags, and running the generator with them.

use crate::cli::{CliError, benchmark_password_hash, open, print_out};
use crate::config::DatabaseConfig;

use super::{Plan, Sizes, generate};

/// The flags of `paperboard generate`.
#[derive(clap::Args)]
pub struct GenerateArgs {
    #[command(flatten)]
    database: DatabaseConfig,
    #[arg(long, default_value_t = Sizes::default().papers)]
    papers: u64,
    #[arg(long, default_value_t = Sizes::default().authors)]
    authors: u64,
    #[arg(long, default_value_t = Sizes::default().users)]
    users: u64,
    #[arg(long, default_value_t = Sizes::default().upvotes)]
    upvotes: u64,
    /// Comments in threads over the papers (most on the newest few).
    #[arg(long, default_value_t = Sizes::default().comments)]
    comments: u64,
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

/// Generates the data set `args` describe and reports what was written.
///
/// # Errors
/// The database cannot be opened, or generation failed (nothing is stored then).
pub async fn run(args: GenerateArgs) -> Result<(), CliError> {
    let password_hash = match args.password {
        Some(password) => Some(benchmark_password_hash(password).await?),
        None => None,
    };
    let plan = Plan {
        sizes: Sizes {
            papers: args.papers,
            authors: args.authors,
            users: args.users,
            upvotes: args.upvotes,
            comments: args.comments,
        },
        seed: args.seed,
        until: args.until,
        password_hash,
    };
    let db = open(&args.database).await?;
    let started = std::time::Instant::now();
    let report = generate(&db, &plan).await?;
    print_out(&format!(
        "generated {} users, {} authors, {} papers ({} byline rows), {} upvotes, {} comments \
         ({} comment upvotes) in {:.1} s",
        report.users,
        report.authors,
        report.papers,
        report.bylines,
        report.upvotes,
        report.comments,
        report.comment_upvotes,
        started.elapsed().as_secs_f64()
    ));
    db.close().await;
    Ok(())
}
