//! Where the caller's hourly budget of cost points stands (GitHub's `rateLimit` shape).

use async_graphql::SimpleObject;

use crate::rate_limit::Quota;

use super::DateTime;

/// The caller's budget of cost points in the current hour, after this operation.
#[derive(SimpleObject)]
pub struct RateLimit {
    /// Points per hour.
    pub limit: i32,
    /// What this operation cost.
    pub cost: i32,
    /// Points left this hour.
    pub remaining: i32,
    /// Points spent this hour.
    pub used: i32,
    /// When the budget is whole again.
    pub reset_at: DateTime,
}

fn int(points: u64) -> i32 {
    i32::try_from(points).unwrap_or(i32::MAX)
}

impl From<Quota> for RateLimit {
    fn from(quota: Quota) -> Self {
        Self {
            limit: int(quota.limit),
            cost: int(quota.cost),
            remaining: int(quota.remaining),
            used: int(quota.used()),
            reset_at: DateTime(quota.reset_at),
        }
    }
}
