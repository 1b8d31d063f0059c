//! A deterministic synthetic data set for benchmarks and scale tests: users, authors,
//! papers with bylines, and upvotes with exact counts, bulk-inserted in one transaction.
//!
//! The same sizes, seed and end time always give the same rows. Generated accounts have an
//! unusable password hash (nobody can log in) unless a hash is supplied for benchmarks.

mod command;
mod comments;
mod personal;
mod rng;
mod set_aside;
mod vocabulary;
mod words;

pub use command::{GenerateArgs, run};

use std::collections::HashSet;

use chrono::{DateTime, Duration, Utc};
use sea_orm::{ConnectionTrait, DbBackend, DbErr, Statement, TransactionTrait, Value};

use crate::db::Database;
use crate::domain::paper::published_order;
use crate::domain::ranking::hot_score;
use crate::services::sql;

use rng::Rng;
use vocabulary::Vocabulary;

/// The stored hash of generated accounts without a password: not a PHC string, so no
/// password ever verifies against it.
pub const DISABLED_PASSWORD_HASH: &str = "!disabled";

/// Most bind parameters per statement (SQLite allows 32,766; PostgreSQL 65,535).
const MAX_PARAMETERS: usize = 30_000;
/// The tables bulk-loaded without their keys and indexes (PostgreSQL).
const BARE_LOADED: [&str; 10] = [
    "authors",
    "papers",
    "paper_authors",
    "paper_categories",
    "upvotes",
    "comments",
    "comment_upvotes",
    "author_follows",
    "collection_items",
    "notifications",
];
/// The triggers that keep stored counts, by table: off during a PostgreSQL bulk load.
const COUNT_TRIGGERS: [(&str, &str); 6] = [
    ("upvotes", "upvotes_count_added"),
    ("upvotes", "upvotes_count_removed"),
    ("comments", "comments_count"),
    ("comment_upvotes", "comment_upvotes_count"),
    ("paper_categories", "paper_categories_count"),
    ("collection_items", "collection_items_count"),
];
/// Days of submissions the papers are spread over, ending at `until`.
const SPAN_DAYS: i64 = 730;

/// How much to generate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sizes {
    pub papers: u64,
    pub authors: u64,
    pub users: u64,
    pub upvotes: u64,
    /// Comments, in threads (see `comments.rs`); none by default.
    pub comments: u64,
    /// Author follows (see `personal.rs`); none by default.
    pub follows: u64,
    /// Collections of 20 papers each; none by default.
    pub collections: u64,
    /// Notifications; none by default.
    pub notifications: u64,
}

impl Default for Sizes {
    fn default() -> Self {
        Self {
            papers: 100_000,
            authors: 150_000,
            users: 20_000,
            upvotes: 1_000_000,
            comments: 0,
            follows: 0,
            collections: 0,
            notifications: 0,
        }
    }
}

/// Everything that determines the data set.
#[derive(Debug, Clone)]
pub struct Plan {
    pub sizes: Sizes,
    pub seed: u64,
    /// The latest submission time; papers spread over the two years before it.
    pub until: DateTime<Utc>,
    /// A PHC hash given to every account (benchmarks log in with its password).
    pub password_hash: Option<String>,
}

/// Why generation failed. Nothing is stored when it does.
#[derive(Debug, thiserror::Error)]
pub enum GenerateError {
    #[error("the database already holds data; generate into an empty database")]
    NotEmpty,
    #[error("upvotes ({upvotes}) cannot exceed users × papers")]
    TooManyUpvotes { upvotes: u64 },
    #[error("database error")]
    Db(#[from] DbErr),
}

/// Row counts written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Report {
    pub users: u64,
    pub authors: u64,
    pub papers: u64,
    pub bylines: u64,
    pub upvotes: u64,
    pub comments: u64,
    pub comment_upvotes: u64,
    pub category_listings: u64,
    pub follows: u64,
    pub collection_items: u64,
    pub notifications: u64,
}

/// Generates `plan` into an empty database.
///
/// # Errors
/// [`GenerateError`]; nothing is stored on error.
pub async fn generate(db: &Database, plan: &Plan) -> Result<Report, GenerateError> {
    let sizes = plan.sizes;
    if sizes.upvotes > sizes.users.saturating_mul(sizes.papers) {
        return Err(GenerateError::TooManyUpvotes {
            upvotes: sizes.upvotes,
        });
    }
    let transaction = db.writer().begin().await?;
    if !is_empty(&transaction).await? {
        return Err(GenerateError::NotEmpty);
    }
    let set_aside = if db.backend() == DbBackend::Postgres {
        Some(set_aside::set_aside(&transaction, &BARE_LOADED).await?)
    } else {
        None
    };
    let mut rng = Rng::new(plan.seed);
    let start = plan.until - Duration::days(SPAN_DAYS);

    insert_users(&transaction, plan, start).await?;
    tracing::info!(users = sizes.users, "generated users");
    insert_authors(&transaction, sizes.authors).await?;
    tracing::info!(authors = sizes.authors, "generated authors");
    let upvotes = draw_upvotes(&mut rng, sizes);
    let mut counts = vec![0i32; usize::try_from(sizes.papers).unwrap_or(0)];
    for (_, paper) in &upvotes {
        counts[*paper as usize] += 1;
    }
    let submitted = submission_times(sizes.papers, start, plan.until);
    // The upvote triggers keep counts exact row by row. On PostgreSQL a million trigger
    // calls on a few hot rows take minutes, so they are switched off for the bulk insert
    // (inside this transaction) and the counts written directly; SQLite runs them quickly.
    let triggers_count = db.backend() != DbBackend::Postgres;
    if !triggers_count {
        switch_count_triggers(&transaction, Triggers::Disabled).await?;
    }
    let bylines = insert_papers(
        &transaction,
        &mut rng,
        sizes,
        &submitted,
        &counts,
        triggers_count,
    )
    .await?;
    tracing::info!(papers = sizes.papers, bylines, "generated papers");
    insert_upvotes(&transaction, &mut rng, &upvotes, &submitted, plan.until).await?;
    tracing::info!(upvotes = upvotes.len(), "generated upvotes");
    let discussion = comments::insert_comments(
        &transaction,
        &mut rng,
        sizes,
        &submitted,
        plan.until,
        triggers_count,
    )
    .await?;
    tracing::info!(comments = discussion.comments, "generated comments");
    let mut personal_rng = personal::rng_for(plan.seed);
    let category_listings =
        personal::insert_categories(&transaction, &mut personal_rng, &submitted, triggers_count)
            .await?;
    let follows =
        personal::insert_follows(&transaction, &mut personal_rng, sizes, plan.until).await?;
    let collection_items = personal::insert_collections(
        &transaction,
        &mut personal_rng,
        sizes,
        plan.until,
        triggers_count,
    )
    .await?;
    let notifications =
        personal::insert_notifications(&transaction, &mut personal_rng, sizes, (start, plan.until))
            .await?;
    tracing::info!(
        follows,
        collection_items,
        notifications,
        "generated personal data"
    );
    if !triggers_count {
        transaction
            .execute_unprepared(
                "UPDATE papers SET comment_count = counted.comments \
                 FROM (SELECT paper_id, count(*) AS comments FROM comments GROUP BY paper_id) \
                 counted WHERE papers.id = counted.paper_id",
            )
            .await?;
        switch_count_triggers(&transaction, Triggers::Enabled).await?;
    }
    // Before the search index: without the bylines' key the planner aggregates them in
    // parallel and leaves every vector to one process.
    if let Some(set_aside) = set_aside {
        set_aside.restore(&transaction).await?;
        tracing::info!("restored the keys and indexes");
    }
    crate::services::search::index_all(&transaction).await?;
    tracing::info!("indexed the papers for search");
    // Ranks were written with the papers: nothing is waiting for a ranking refresh.
    transaction
        .execute_raw(Statement::from_string(
            db.backend(),
            "DELETE FROM ranking_queue",
        ))
        .await?;
    if db.backend() == DbBackend::Postgres {
        advance_sequences(&transaction).await?;
    }
    transaction.commit().await?;
    // Fresh statistics, or the planner guesses (PostgreSQL picks hash joins over whole tables).
    db.writer()
        .execute_raw(Statement::from_string(db.backend(), "ANALYZE"))
        .await?;
    Ok(Report {
        users: sizes.users,
        authors: sizes.authors,
        papers: sizes.papers,
        bylines,
        upvotes: upvotes.len() as u64,
        comments: discussion.comments,
        comment_upvotes: discussion.upvotes,
        category_listings,
        follows,
        collection_items,
        notifications,
    })
}

/// Whether triggers fire.
#[derive(Debug, Clone, Copy)]
enum Triggers {
    Enabled,
    Disabled,
}

/// Switches every trigger that keeps a stored count on or off (PostgreSQL).
async fn switch_count_triggers(db: &impl ConnectionTrait, to: Triggers) -> Result<(), DbErr> {
    let switch = match to {
        Triggers::Enabled => "ENABLE",
        Triggers::Disabled => "DISABLE",
    };
    for (table, trigger) in COUNT_TRIGGERS {
        db.execute_unprepared(&format!("ALTER TABLE {table} {switch} TRIGGER {trigger}"))
            .await?;
    }
    Ok(())
}

async fn is_empty(db: &impl ConnectionTrait) -> Result<bool, DbErr> {
    for table in ["users", "authors", "papers"] {
        let row = db
            .query_one_raw(Statement::from_string(
                db.get_database_backend(),
                format!("SELECT EXISTS (SELECT 1 FROM {table}) AS present"),
            ))
            .await?;
        let present = match row {
            Some(row) => row
                .try_get::<bool>("", "present")
                .or_else(|_| row.try_get::<i64>("", "present").map(|value| value != 0))?,
            None => false,
        };
        if present {
            return Ok(false);
        }
    }
    Ok(true)
}

/// Multi-row `INSERT`s of `rows` into `table`, as few statements as the parameter limit allows.
struct BulkInsert<'a, C> {
    db: &'a C,
    table: &'static str,
    columns: &'static [&'static str],
    pending: Vec<Value>,
}

impl<'a, C: ConnectionTrait> BulkInsert<'a, C> {
    fn new(db: &'a C, table: &'static str, columns: &'static [&'static str]) -> Self {
        Self {
            db,
            table,
            columns,
            pending: Vec::with_capacity(MAX_PARAMETERS),
        }
    }

    /// Adds a row, sending the batch when it is full.
    async fn push(&mut self, row: impl IntoIterator<Item = Value>) -> Result<(), DbErr> {
        self.add(row);
        if self.is_full() {
            self.flush().await?;
        }
        Ok(())
    }

    /// Adds a row without sending anything.
    fn add(&mut self, row: impl IntoIterator<Item = Value>) {
        self.pending.extend(row);
    }

    fn is_full(&self) -> bool {
        self.pending.len() + self.columns.len() > MAX_PARAMETERS
    }

    async fn flush(&mut self) -> Result<(), DbErr> {
        if self.pending.is_empty() {
            return Ok(());
        }
        let rows = self.pending.len() / self.columns.len();
        let tuple = format!("({})", sql::placeholders(self.columns.len()));
        let mut text = format!(
            "INSERT INTO {} ({}) VALUES ",
            self.table,
            self.columns.join(", ")
        );
        for row in 0..rows {
            if row > 0 {
                text.push_str(", ");
            }
            text.push_str(&tuple);
        }
        let values = std::mem::take(&mut self.pending);
        self.db
            .execute_raw(sql::statement(
                self.db.get_database_backend(),
                &text,
                values,
            ))
            .await?;
        Ok(())
    }
}

async fn insert_users(
    db: &impl ConnectionTrait,
    plan: &Plan,
    start: DateTime<Utc>,
) -> Result<(), DbErr> {
    let hash = plan
        .password_hash
        .clone()
        .unwrap_or_else(|| DISABLED_PASSWORD_HASH.to_owned());
    let mut insert = BulkInsert::new(
        db,
        "users",
        &[
            "id",
            "username",
            "username_key",
            "email",
            "email_key",
            "display_name",
            "password_hash",
            "role",
            "created_at",
        ],
    );
    let spacing =
        span_micros(start, plan.until) / i64::try_from(plan.sizes.users.max(1)).unwrap_or(1);
    for index in 0..plan.sizes.users {
        let id = to_i64(index) + 1;
        let username = format!("user{id:06}");
        let email = format!("{username}@example.test");
        let created_at = start + Duration::microseconds(spacing * to_i64(index));
        insert
            .push([
                id.into(),
                username.clone().into(),
                username.clone().into(),
                email.clone().into(),
                email.into(),
                Some(format!("User {id}")).into(),
                hash.clone().into(),
                "USER".into(),
                created_at.into(),
            ])
            .await?;
    }
    insert.flush().await
}

/// A unique name per index: "First I. Last", then numbered once the combinations run out.
fn author_name(index: u64) -> String {
    let firsts = words::FIRST_NAMES.len() as u64;
    let lasts = words::LAST_NAMES.len() as u64;
    let first = words::FIRST_NAMES[(index % firsts) as usize];
    let last = words::LAST_NAMES[((index / firsts) % lasts) as usize];
    let initial = char::from(b'A' + ((index / (firsts * lasts)) % 26) as u8);
    let round = index / (firsts * lasts * 26);
    if round == 0 {
        format!("{first} {initial}. {last}")
    } else {
        format!("{first} {initial}. {last} {}", round + 1)
    }
}

async fn insert_authors(db: &impl ConnectionTrait, count: u64) -> Result<(), DbErr> {
    let mut insert = BulkInsert::new(db, "authors", &["id", "name", "name_key"]);
    for index in 0..count {
        let name = author_name(index);
        insert
            .push([
                (to_i64(index) + 1).into(),
                name.clone().into(),
                name.to_lowercase().into(),
            ])
            .await?;
    }
    insert.flush().await
}

/// Distinct (user, paper) index pairs, popular papers drawn more often.
fn draw_upvotes(rng: &mut Rng, sizes: Sizes) -> Vec<(u32, u32)> {
    let mut seen = HashSet::with_capacity(usize::try_from(sizes.upvotes).unwrap_or(0));
    let mut pairs = Vec::with_capacity(usize::try_from(sizes.upvotes).unwrap_or(0));
    while (pairs.len() as u64) < sizes.upvotes {
        // Newer papers (higher index) collect more upvotes, as on a live feed.
        let paper = sizes.papers - 1 - rng.skewed_below(sizes.papers);
        let user = rng.below(sizes.users);
        if seen.insert((user << 32) | paper) {
            pairs.push((user as u32, paper as u32));
        }
    }
    // Inserting in key order keeps the primary-key index appends sequential.
    pairs.sort_unstable();
    pairs
}

/// Submission times spread evenly (with jitter) from `start` to `until`, ascending.
fn submission_times(count: u64, start: DateTime<Utc>, until: DateTime<Utc>) -> Vec<DateTime<Utc>> {
    let spacing = span_micros(start, until) / to_i64(count.max(1));
    (0..count)
        .map(|index| {
            let micros = spacing * to_i64(index) + (to_i64(index) * 7_919) % spacing.max(1);
            start + Duration::microseconds(micros)
        })
        .collect()
}

async fn insert_papers(
    db: &impl ConnectionTrait,
    rng: &mut Rng,
    sizes: Sizes,
    submitted: &[DateTime<Utc>],
    upvote_counts: &[i32],
    triggers_count: bool,
) -> Result<u64, DbErr> {
    let mut papers = BulkInsert::new(
        db,
        "papers",
        &[
            "id",
            "arxiv_id",
            "title",
            "abstract",
            "published_at",
            "published_order",
            "submitted_at",
            "submitted_day",
            "submitted_by",
            "github_url",
            "project_url",
            "upvote_baseline",
            "upvote_count",
            "rank_count",
            "author_count",
            "hot_score",
        ],
    );
    let mut bylines = BulkInsert::new(
        db,
        "paper_authors",
        &[
            "paper_id",
            "position",
            "author_id",
            "published_order",
            "submitted_at",
        ],
    );
    let mut byline_rows = 0u64;
    let vocabulary = Vocabulary::new();
    let mut last_month = String::new();
    let mut number_in_month = 0u32;
    for (index, submitted_at) in submitted.iter().enumerate() {
        let id = to_i64(index as u64) + 1;
        let month = submitted_at.format("%y%m").to_string();
        if month != last_month {
            last_month.clone_from(&month);
            number_in_month = 0;
        }
        number_in_month += 1;
        let published = (*submitted_at - Duration::days(to_i64(rng.below(30)))).date_naive();
        let authors = draw_byline(rng, sizes.authors);
        let submitter =
            (rng.below(10) < 6 && sizes.users > 0).then(|| to_i64(rng.below(sizes.users)) + 1);
        let github = (rng.below(10) < 3)
            .then(|| format!("https://github.com/lab{}/paper-{id}", rng.below(5_000)));
        let upvotes = upvote_counts[index];
        papers
            .push([
                id.into(),
                Some(format!("{month}.{number_in_month:05}")).into(),
                title(rng, &vocabulary).into(),
                abstract_text(rng, &vocabulary).into(),
                Some(published).into(),
                published_order(Some(published)).into(),
                (*submitted_at).into(),
                submitted_at.date_naive().into(),
                submitter.into(),
                github.into(),
                Option::<String>::None.into(),
                0i32.into(),
                if triggers_count { 0 } else { upvotes }.into(),
                upvotes.into(),
                i32::try_from(authors.len()).unwrap_or(0).into(),
                hot_score(upvotes, *submitted_at).into(),
            ])
            .await?;
        for (position, author) in authors.iter().enumerate() {
            if bylines.is_full() {
                // Byline rows reference papers: send the papers first.
                papers.flush().await?;
                bylines.flush().await?;
            }
            bylines.add([
                id.into(),
                (position as i32).into(),
                (to_i64(*author) + 1).into(),
                published_order(Some(published)).into(),
                (*submitted_at).into(),
            ]);
            byline_rows += 1;
        }
    }
    papers.flush().await?;
    bylines.flush().await?;
    Ok(byline_rows)
}

/// 1–8 distinct authors, prolific authors drawn more often.
fn draw_byline(rng: &mut Rng, authors: u64) -> Vec<u64> {
    let size = (1 + rng.below(8)).min(authors);
    let mut byline: Vec<u64> = Vec::with_capacity(size as usize);
    while (byline.len() as u64) < size {
        let author = rng.skewed_below(authors);
        if !byline.contains(&author) {
            byline.push(author);
        }
    }
    byline
}

fn title(rng: &mut Rng, vocabulary: &Vocabulary) -> String {
    let mut title = rng.pick(words::TITLE_HEADS).to_owned();
    for _ in 0..(4 + rng.below(7)) {
        title.push(' ');
        title.push_str(vocabulary.draw(rng));
    }
    title
}

fn abstract_text(rng: &mut Rng, vocabulary: &Vocabulary) -> String {
    let mut text = String::with_capacity(1_200);
    for sentence in 0..(6 + rng.below(5)) {
        if sentence > 0 {
            text.push(' ');
        }
        let link = rng.pick(words::ABSTRACT_LINKS);
        let mut chars = link.chars();
        if let Some(first) = chars.next() {
            text.extend(first.to_uppercase());
            text.push_str(chars.as_str());
        }
        for _ in 0..(12 + rng.below(12)) {
            text.push(' ');
            text.push_str(vocabulary.draw(rng));
        }
        text.push('.');
    }
    text
}

async fn insert_upvotes(
    db: &impl ConnectionTrait,
    rng: &mut Rng,
    upvotes: &[(u32, u32)],
    submitted: &[DateTime<Utc>],
    until: DateTime<Utc>,
) -> Result<(), DbErr> {
    let mut insert = BulkInsert::new(db, "upvotes", &["user_id", "paper_id", "created_at"]);
    for (user, paper) in upvotes {
        let cast = submitted[*paper as usize] + Duration::seconds(to_i64(rng.below(7 * 86_400)));
        insert
            .push([
                (i64::from(*user) + 1).into(),
                (i64::from(*paper) + 1).into(),
                cast.min(until).into(),
            ])
            .await?;
    }
    insert.flush().await
}

/// Explicit ids do not move PostgreSQL's sequences; move them past the generated rows.
async fn advance_sequences(db: &impl ConnectionTrait) -> Result<(), DbErr> {
    for table in [
        "users",
        "authors",
        "papers",
        "comments",
        "collections",
        "notifications",
    ] {
        db.execute_raw(Statement::from_string(
            DbBackend::Postgres,
            format!(
                "SELECT setval(pg_get_serial_sequence('{table}', 'id'), \
                 GREATEST((SELECT MAX(id) FROM {table}), 1))"
            ),
        ))
        .await?;
    }
    Ok(())
}

fn span_micros(start: DateTime<Utc>, until: DateTime<Utc>) -> i64 {
    (until - start)
        .num_microseconds()
        .unwrap_or(i64::MAX)
        .max(1)
}

fn to_i64(value: u64) -> i64 {
    i64::try_from(value).unwrap_or(i64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn author_names_are_unique() {
        let names: HashSet<String> = (0..200_000).map(author_name).collect();
        assert_eq!(names.len(), 200_000);
    }

    #[test]
    fn upvote_pairs_are_distinct_and_in_range() {
        let sizes = Sizes {
            papers: 50,
            authors: 10,
            users: 40,
            upvotes: 1_000,
            ..Sizes::default()
        };
        let pairs = draw_upvotes(&mut Rng::new(3), sizes);
        let distinct: HashSet<_> = pairs.iter().collect();
        assert_eq!(distinct.len(), 1_000);
        assert!(pairs.iter().all(|(u, p)| *u < 40 && *p < 50));
    }
}
