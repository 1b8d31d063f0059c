//! The shared store: limits kept in PostgreSQL, so that every instance on one database
//! spends one budget. Each check is one statement that reads and updates a row atomically
//! (an upsert), so concurrent instances never both spend the last token. Time is the
//! database's clock, the one clock all instances share. Written as SQL: an upsert whose
//! update reads the old row through interval arithmetic (`now() - updated_at`) is beyond
//! what the query builder expresses; the bucket's upsert is the database function
//! `take_rate_token`.

use std::time::Duration;

use sea_orm::{ConnectionTrait, DbBackend, Statement, Value};

use crate::db::Database;
use crate::error::AppResult;

use super::bucket::Rate;

/// Takes one token from `key`'s bucket, or says how long until one is available.
pub async fn take_token(db: &Database, key: &str, rate: Rate) -> AppResult<Result<(), Duration>> {
    // The bucket's arithmetic is the function `take_rate_token` (migration 000028), which
    // `cast_upvote` calls too.
    let sql = "SELECT allowed, tokens FROM take_rate_token($1, $2, $3)";
    let values: Vec<Value> = vec![
        key.into(),
        f64::from(rate.burst).into(),
        rate.per_second.into(),
    ];
    let row = db
        .writer()
        .query_one_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            sql,
            values,
        ))
        .await?;
    let Some(row) = row else {
        return Ok(Ok(()));
    };
    let allowed: bool = row.try_get_by_index(0)?;
    let tokens: f64 = row.try_get_by_index(1)?;
    if allowed {
        Ok(Ok(()))
    } else {
        Ok(Err(rate.wait_for_token(tokens)))
    }
}

/// The longest back-off still running for any of `keys`.
pub async fn blocked_for(db: &Database, keys: &[String]) -> AppResult<Option<Duration>> {
    let placeholders: Vec<String> = (1..=keys.len()).map(|n| format!("${n}")).collect();
    let sql = format!(
        "SELECT EXTRACT(EPOCH FROM (MAX(blocked_until) - now()))::float8 FROM login_failures \
         WHERE key IN ({}) AND blocked_until > now()",
        placeholders.join(", ")
    );
    let values: Vec<Value> = keys.iter().map(|key| key.as_str().into()).collect();
    let row = db
        .writer()
        .query_one_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            sql,
            values,
        ))
        .await?;
    let seconds: Option<f64> = match row {
        Some(row) => row.try_get_by_index(0)?,
        None => None,
    };
    Ok(seconds
        .filter(|seconds| *seconds > 0.0)
        .map(Duration::from_secs_f64))
}

/// Counts one failure for `key` (forgetting failures older than an hour) and starts the
/// back-off `backoff` gives for the new count.
pub async fn count_failure(
    db: &Database,
    key: &str,
    backoff: impl Fn(u32) -> Option<Duration>,
) -> AppResult<()> {
    let forget = super::login::FORGET_AFTER.as_secs_f64();
    let row = db
        .writer()
        .query_one_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "INSERT INTO login_failures AS f (key, failures, last_failure, blocked_until) \
             VALUES ($1, 1, now(), now()) \
             ON CONFLICT (key) DO UPDATE SET \
               failures = CASE WHEN f.last_failure <= now() - make_interval(secs => $2) \
                               THEN 1 ELSE f.failures + 1 END, \
               last_failure = now() \
             RETURNING failures",
            [key.into(), forget.into()],
        ))
        .await?;
    let failures: i32 = match row {
        Some(row) => row.try_get_by_index(0)?,
        None => return Ok(()),
    };
    let Some(wait) = backoff(u32::try_from(failures).unwrap_or(0)) else {
        return Ok(());
    };
    // GREATEST: of two concurrent failures, the one that counted fewer must not shorten
    // the back-off the other set.
    db.writer()
        .execute_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "UPDATE login_failures \
             SET blocked_until = GREATEST(blocked_until, now() + make_interval(secs => $2)) \
             WHERE key = $1",
            [key.into(), wait.as_secs_f64().into()],
        ))
        .await?;
    Ok(())
}

/// Forgets `key`'s failures.
pub async fn clear_failures(db: &Database, key: &str) -> AppResult<()> {
    db.writer()
        .execute_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "DELETE FROM login_failures WHERE key = $1",
            [key.into()],
        ))
        .await?;
    Ok(())
}

/// Deletes rows that no longer limit anything: buckets idle long enough to be full again,
/// failures forgotten and no longer backing off.
pub async fn prune(db: &Database, longest_period: Duration) -> AppResult<u64> {
    let buckets = db
        .writer()
        .execute_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "DELETE FROM rate_buckets WHERE updated_at < now() - make_interval(secs => $1)",
            [longest_period.as_secs_f64().into()],
        ))
        .await?
        .rows_affected();
    let failures = db
        .writer()
        .execute_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "DELETE FROM login_failures \
             WHERE last_failure < now() - make_interval(secs => $1) AND blocked_until < now()",
            [super::login::FORGET_AFTER.as_secs_f64().into()],
        ))
        .await?
        .rows_affected();
    Ok(buckets + failures)
}
