//! PostgreSQL: a group of upvotes cast in one call of `cast_upvotes` (migration 000031),
//! which casts them as `cast_upvote` casts one — the voter's token from the shared rate
//! limit, the row, the paper read back — by set statements, so a (voter, paper) pair that
//! comes again starts another call. A paper deleted under the call fails it whole; then
//! each upvote of the call is cast again on its own, so that only the one concerned fails.

use chrono::SecondsFormat;
use entity::paper;
use sea_orm::{ConnectionTrait, DbBackend, DbErr, FromQueryResult, QueryResult, Statement};

use super::{Cast, UpvoteWrite, distinct_runs};
use crate::db::Database;
use crate::rate_limit::SharedBucket;
use crate::services::sql::array_literal;

/// An upvote to cast on PostgreSQL, with the voter's bucket of the shared limit.
#[derive(Debug, Clone)]
pub struct SharedVote {
    pub write: UpvoteWrite,
    pub bucket: SharedBucket,
}

impl Cast {
    /// Reads one row of PostgreSQL's `cast_upvote` or `cast_upvotes`.
    fn from_row(row: &QueryResult) -> Result<Self, DbErr> {
        if !row.try_get::<bool>("", "allowed")? {
            return Ok(Self {
                refused_with: Some(row.try_get("", "tokens")?),
                changed: 0,
                paper: None,
            });
        }
        let changed: i32 = row.try_get("", "changed")?;
        let paper = match row.try_get::<Option<i64>>("", "id")? {
            Some(_) => Some(paper::Model::from_query_result(row, "")?),
            None => None,
        };
        Ok(Self {
            refused_with: None,
            changed: u64::try_from(changed).unwrap_or(0),
            paper,
        })
    }
}

/// Takes the voter's token, writes the vote and reads the paper back, in one round trip:
/// the PostgreSQL function `cast_upvote` (migration 000028). A vote for a missing paper
/// fails on the foreign key and keeps nothing, not even the token.
///
/// # Errors
/// The call's error (a foreign-key violation for a missing paper).
async fn cast_alone(db: &impl ConnectionTrait, vote: &SharedVote) -> Result<Cast, DbErr> {
    let write = vote.write;
    let row = db
        .query_one_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "SELECT c.allowed, c.tokens, c.changed, (c.paper).* \
             FROM cast_upvote($1, $2, $3, $4, $5, $6, $7) AS c",
            [
                write.user_id().into(),
                write.paper_id().into(),
                write.adds().into(),
                write.cast_at().into(),
                vote.bucket.key.as_str().into(),
                f64::from(vote.bucket.rate.burst).into(),
                vote.bucket.rate.per_second.into(),
            ],
        ))
        .await?
        .ok_or_else(|| DbErr::RecordNotFound("cast_upvote returned no row".to_owned()))?;
    Cast::from_row(&row)
}

/// Casts `votes` in their order in one call of `cast_upvotes`, one answer each; a paper
/// that is not there is answered without a paper.
///
/// # Errors
/// The call's error, for all of them (a paper deleted during the call).
async fn cast_together(
    db: &impl ConnectionTrait,
    votes: &[SharedVote],
) -> Result<Vec<Cast>, DbErr> {
    let column = |part: fn(&SharedVote) -> String| array_literal(votes.iter().map(part));
    let statement = Statement::from_sql_and_values(
        DbBackend::Postgres,
        "SELECT c.allowed, c.tokens, c.changed, (c.paper).* \
         FROM cast_upvotes($1::bigint[], $2::bigint[], $3::boolean[], $4::timestamptz[], \
                           $5::text[], $6::float8[], $7::float8[]) AS c \
         ORDER BY c.ord",
        [
            column(|vote| vote.write.user_id().to_string()).into(),
            column(|vote| vote.write.paper_id().to_string()).into(),
            column(|vote| vote.write.adds().to_string()).into(),
            column(|vote| {
                vote.write
                    .cast_at()
                    .to_rfc3339_opts(SecondsFormat::Micros, true)
            })
            .into(),
            column(|vote| vote.bucket.key.clone()).into(),
            column(|vote| vote.bucket.rate.burst.to_string()).into(),
            column(|vote| vote.bucket.rate.per_second.to_string()).into(),
        ],
    );
    let rows = db.query_all_raw(statement).await?;
    if rows.len() != votes.len() {
        return Err(DbErr::Custom(format!(
            "cast_upvotes answered {} rows for {} votes",
            rows.len(),
            votes.len()
        )));
    }
    rows.iter().map(Cast::from_row).collect()
}

/// Casts a group on PostgreSQL: each run of distinct (voter, paper) pairs together, or —
/// when that call fails — each of its upvotes on its own.
pub(super) async fn cast_group(db: Database, votes: Vec<SharedVote>) -> Vec<Result<Cast, DbErr>> {
    let mut casts = Vec::with_capacity(votes.len());
    for run in distinct_runs(&votes, |vote| vote.write.pair()) {
        casts.extend(cast_run(&db, run).await);
    }
    casts
}

async fn cast_run(db: &Database, votes: &[SharedVote]) -> Vec<Result<Cast, DbErr>> {
    if let [vote] = votes {
        return vec![cast_alone(db.writer(), vote).await];
    }
    match cast_together(db.writer(), votes).await {
        Ok(casts) => casts.into_iter().map(Ok).collect(),
        Err(error) => {
            tracing::debug!(%error, votes = votes.len(), "a group of upvotes failed; casting each alone");
            let mut casts = Vec::with_capacity(votes.len());
            for vote in votes {
                casts.push(cast_alone(db.writer(), vote).await);
            }
            casts
        }
    }
}
