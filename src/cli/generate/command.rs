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
    /// Author follows: user 1 follows 10 authors, user 2 follows 1,000 (and 20
    /// categories), users 3–10,002 follow author 1, the rest are drawn at random.
    #[arg(long, default_value_t = Sizes::default().follows)]
    follows: u64,
    /// Collections of 20 papers each, owned by random users.
    #[arg(long, default_value_t = Sizes::default().collections)]
    collections: u64,
    /// Notifications (two thirds read) to random users.
    #[arg(long, default_value_t = Sizes::default().notifications)]
    notifications: u64,
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
            follows: args.follows,
            collections: args.collections,
            notifications: args.notifications,
        },
        seed: args.seed,
        until: args.until,
        password_hash,
    };
    let db = open(&args.database).await?;
    let started = std::time::Instant::now();
    let report = generate(&db, &plan).await?;
    print_out(&format!(
        "generated {} users, {} authors, {} papers ({} byline rows, {} category listings), \
         {} upvotes, {} comments ({} comment upvotes), {} follows, {} collection items, \
         {} notifications in {:.1} s",
        report.users,
        report.authors,
        report.papers,
        report.bylines,
        report.category_listings,
        report.upvotes,
        report.comments,
        report.comment_upvotes,
        report.follows,
        report.collection_items,
        report.notifications,
        started.elapsed().as_secs_f64()
    ));
    db.close().await;
    Ok(())
}
