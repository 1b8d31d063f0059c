//! The hourly budget of cost points each identity may spend on operations (GitHub's
//! model): a fixed window per clock hour, `limit` points in each, every operation
//! charged its cost before it runs.
//!
//! Charging must stay off the database on the hot path, so every instance counts in
//! memory; on PostgreSQL a flusher adds each identity's new spending to a shared row
//! every [`FLUSH_PERIOD`] and reads back the total all instances spent, which this
//! instance then charges against. Instances may together overspend an identity's budget
//! by what they charge within one flush period — the price of a budget that costs no
//! statement per request.

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use chrono::{DateTime, TimeZone, Utc};
use sea_orm::{ConnectionTrait, DbBackend, Statement, Value};

use crate::db::Database;
use crate::error::AppResult;

/// How often an instance shares its spending on PostgreSQL.
pub const FLUSH_PERIOD: Duration = Duration::from_secs(1);
/// The length of a budget window.
const WINDOW_SECONDS: i64 = 3600;

/// An identity's position in the current window after a charge.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Quota {
    /// Points per window.
    pub limit: u64,
    /// What this operation costs.
    pub cost: u64,
    /// Points left in the window.
    pub remaining: u64,
    /// When the window ends and the budget is whole again.
    pub reset_at: DateTime<Utc>,
}

impl Quota {
    /// Points spent in the window.
    pub fn used(&self) -> u64 {
        self.limit.saturating_sub(self.remaining)
    }

    /// Seconds until the budget is whole again (at least 1).
    pub fn reset_in_seconds(&self, now: DateTime<Utc>) -> u64 {
        u64::try_from((self.reset_at - now).num_seconds())
            .unwrap_or(0)
            .max(1)
    }
}

/// What an identity has spent in a window.
#[derive(Default)]
struct Spending {
    window: i64,
    /// Every instance's spending as last read from the shared row (this one's included).
    shared: u64,
    /// This instance's spending not yet added to the shared row.
    pending: u64,
}

/// The budgets of every identity; off when `limit` is 0.
pub struct CostQuota {
    limit: u64,
    spending: Mutex<HashMap<String, Spending>>,
    shared: Option<Database>,
}

impl CostQuota {
    /// Budgets of `limit` points per hour, shared through `db` when it is PostgreSQL.
    pub fn new(limit: u64, db: &Database) -> Self {
        Self {
            limit,
            spending: Mutex::default(),
            shared: (db.backend() == DbBackend::Postgres).then(|| db.clone()),
        }
    }

    /// Whether budgets apply at all.
    pub fn is_enabled(&self) -> bool {
        self.limit > 0
    }

    /// Charges `cost` to `identity`: `Ok` with what is left, or `Err` with the position
    /// of an identity whose budget does not cover the cost (nothing is charged). `None`
    /// when budgets are off.
    pub fn charge(&self, identity: &str, cost: u64) -> Option<Result<Quota, Quota>> {
        self.account(identity, cost, Utc::now())
    }

    fn account(
        &self,
        identity: &str,
        cost: u64,
        now: DateTime<Utc>,
    ) -> Option<Result<Quota, Quota>> {
        if !self.is_enabled() {
            return None;
        }
        let window = now.timestamp().div_euclid(WINDOW_SECONDS);
        let reset_at = Utc
            .timestamp_opt((window + 1) * WINDOW_SECONDS, 0)
            .single()
            .unwrap_or(now);
        let mut spending = self.spending.lock().unwrap_or_else(PoisonError::into_inner);
        // Windows of identities idle for an hour are dropped as the map is visited.
        if spending.len() > 10_000 {
            spending.retain(|_, spent| spent.window >= window);
        }
        let spent = spending.entry(identity.to_owned()).or_default();
        if spent.window != window {
            *spent = Spending {
                window,
                ..Spending::default()
            };
        }
        let used = spent.shared.saturating_add(spent.pending);
        let remaining = self.limit.saturating_sub(used);
        let quota = |remaining| Quota {
            limit: self.limit,
            cost,
            remaining,
            reset_at,
        };
        if cost > remaining {
            return Some(Err(quota(remaining)));
        }
        spent.pending = spent.pending.saturating_add(cost);
        Some(Ok(quota(remaining - cost)))
    }

    /// Adds this instance's new spending to the shared rows and reads back every
    /// instance's totals (PostgreSQL only).
    ///
    /// # Errors
    /// `INTERNAL_SERVER_ERROR` on database failure (the spending is kept for next time).
    pub async fn flush(&self) -> AppResult<()> {
        let Some(db) = &self.shared else {
            return Ok(());
        };
        let pending: Vec<(String, i64, u64)> = {
            let mut spending = self.spending.lock().unwrap_or_else(PoisonError::into_inner);
            spending
                .iter_mut()
                .filter(|(_, spent)| spent.pending > 0)
                .map(|(identity, spent)| {
                    let pending = std::mem::take(&mut spent.pending);
                    spent.shared = spent.shared.saturating_add(pending);
                    (identity.clone(), spent.window, pending)
                })
                .collect()
        };
        for (identity, window, pending) in pending {
            let total = add_spending(db, &identity, window, pending).await;
            let mut spending = self.spending.lock().unwrap_or_else(PoisonError::into_inner);
            let Some(spent) = spending.get_mut(&identity) else {
                continue;
            };
            match total {
                Ok(total) if spent.window == window => spent.shared = spent.shared.max(total),
                Ok(_) => {}
                Err(error) => {
                    if spent.window == window {
                        spent.shared = spent.shared.saturating_sub(pending);
                        spent.pending = spent.pending.saturating_add(pending);
                    }
                    return Err(error);
                }
            }
        }
        Ok(())
    }

    /// Deletes shared rows of past windows; the number deleted.
    ///
    /// # Errors
    /// `INTERNAL_SERVER_ERROR` on database failure.
    pub async fn prune(&self) -> AppResult<u64> {
        let Some(db) = &self.shared else {
            return Ok(0);
        };
        let current = Utc::now().timestamp().div_euclid(WINDOW_SECONDS);
        let result = db
            .writer()
            .execute_raw(Statement::from_sql_and_values(
                DbBackend::Postgres,
                "DELETE FROM cost_spending WHERE window_index < $1",
                [Value::from(current)],
            ))
            .await?;
        Ok(result.rows_affected())
    }
}

/// Adds `points` to the shared row of `identity` in `window`; every instance's total.
async fn add_spending(db: &Database, identity: &str, window: i64, points: u64) -> AppResult<u64> {
    let points = i64::try_from(points).unwrap_or(i64::MAX);
    let row = db
        .writer()
        .query_one_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "INSERT INTO cost_spending AS s (identity, window_index, points) VALUES ($1, $2, $3) \
             ON CONFLICT (identity, window_index) DO UPDATE SET points = s.points + EXCLUDED.points \
             RETURNING points",
            [identity.into(), window.into(), points.into()],
        ))
        .await?;
    let total: i64 = match row {
        Some(row) => row.try_get_by_index(0)?,
        None => points,
    };
    Ok(u64::try_from(total).unwrap_or(0))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn quota(limit: u64) -> CostQuota {
        CostQuota {
            limit,
            spending: Mutex::default(),
            shared: None,
        }
    }

    #[test]
    fn a_window_holds_its_limit_then_resets_on_the_hour() {
        let budget = quota(100);
        let Some(start) = Utc.with_ymd_and_hms(2026, 12, 6, 10, 59, 0).single() else {
            panic!("a valid time");
        };
        let first = budget.account("user:1", 60, start);
        assert!(matches!(first, Some(Ok(Quota { remaining: 40, .. }))));
        let refused = budget.account("user:1", 41, start);
        assert!(matches!(refused, Some(Err(Quota { remaining: 40, .. }))));
        assert!(matches!(
            budget.account("user:1", 40, start),
            Some(Ok(Quota { remaining: 0, .. }))
        ));
        assert!(
            matches!(budget.account("user:2", 1, start), Some(Ok(_))),
            "identities are independent"
        );
        let next_hour = start + chrono::Duration::minutes(1);
        let Some(Ok(fresh)) = budget.account("user:1", 10, next_hour) else {
            panic!("a new window");
        };
        assert_eq!(fresh.remaining, 90);
        assert_eq!(fresh.used(), 10);
        assert_eq!(
            fresh.reset_at,
            Utc.with_ymd_and_hms(2026, 12, 6, 12, 0, 0)
                .single()
                .unwrap_or(next_hour)
        );
    }

    #[test]
    fn a_zero_limit_turns_budgets_off() {
        assert_eq!(quota(0).charge("user:1", 1_000_000), None);
    }
}
