//! Every limit on how often a client may act: token buckets for actions (upvotes,
//! submissions, registrations) and the failed-login throttle.
//!
//! On SQLite, which serves one instance, the counts live in the process's memory. On
//! PostgreSQL they live in the database (see [`shared`]), so that several instances behind
//! a load balancer spend one budget: an attacker gains nothing by spreading attempts over
//! instances.

mod bucket;
mod cost_quota;
mod login;
mod shared;

use std::fmt::Display;
use std::time::{Duration, Instant};

use sea_orm::DbBackend;

use crate::config::{ActivityConfig, AuthConfig, PlatformConfig};
use crate::db::Database;
use crate::error::{AppError, AppResult};

pub use bucket::Rate;
pub use cost_quota::{CostQuota, FLUSH_PERIOD, Quota};
pub use login::{LoginAccount, LoginThrottle, ThrottlePolicy};

/// A token bucket per key, in memory or shared through the database.
pub struct RateLimiter {
    /// Prefixes keys, so limiters sharing a store never share a bucket.
    name: &'static str,
    rate: Rate,
    store: Store,
}

enum Store {
    Local(bucket::LocalBuckets<String>),
    Shared(Database),
}

impl RateLimiter {
    /// A limiter allowing `rate` per key, shared across instances when `db` is PostgreSQL.
    pub fn new(name: &'static str, rate: Rate, db: &Database) -> Self {
        let store = if db.backend() == DbBackend::Postgres {
            Store::Shared(db.clone())
        } else {
            Store::Local(bucket::LocalBuckets::new(rate))
        };
        Self { name, rate, store }
    }

    /// Takes one action for `key`.
    ///
    /// # Errors
    /// `RATE_LIMITED` (with the wait) when `key` has no action left;
    /// `INTERNAL_SERVER_ERROR` when the shared store fails.
    pub async fn take(&self, key: impl Display) -> AppResult<()> {
        let key = self.bucket_key(key);
        let outcome = match &self.store {
            Store::Local(buckets) => buckets.take(&key, Instant::now()),
            Store::Shared(db) => shared::take_token(db, &key, self.rate).await?,
        };
        outcome.map_err(|retry_after| self.refused(retry_after))
    }

    /// `key`'s bucket when the limiter is shared through the database, for a write that
    /// takes its token in its own statement (one round trip instead of two); `None` when
    /// the limiter counts in memory.
    pub fn shared_bucket(&self, key: impl Display) -> Option<SharedBucket> {
        match self.store {
            Store::Shared(_) => Some(SharedBucket {
                key: self.bucket_key(key),
                rate: self.rate,
            }),
            Store::Local(_) => None,
        }
    }

    /// The refusal of an action that found `tokens` (fewer than one) in its shared bucket.
    pub fn refused_with(&self, tokens: f64) -> AppError {
        self.refused(self.rate.wait_for_token(tokens))
    }

    fn refused(&self, retry_after: Duration) -> AppError {
        crate::telemetry::metrics::rate_limited(self.name);
        AppError::RateLimited { retry_after }
    }

    fn bucket_key(&self, key: impl Display) -> String {
        format!("{}:{key}", self.name)
    }
}

/// A bucket of a shared limiter: its key in `rate_buckets` and its rate.
#[derive(Debug, Clone, PartialEq)]
pub struct SharedBucket {
    pub key: String,
    pub rate: Rate,
}

/// The application's limits.
pub struct Limits {
    /// Upvote and removal mutations, per user.
    pub upvotes: RateLimiter,
    /// Paper submissions, per user.
    pub submissions: RateLimiter,
    /// Comments added, per user.
    pub comments: RateLimiter,
    /// Registrations, per client address.
    pub registrations: RateLimiter,
    /// Failed logins, per account and per client address.
    pub logins: LoginThrottle,
    /// Requests of one OAuth app, over all its users.
    pub app_requests: RateLimiter,
    /// Requests to the OAuth token and revocation endpoints, per client address.
    pub token_requests: RateLimiter,
    /// Password-reset mails, per client address and per account.
    pub password_resets: RateLimiter,
    /// Cost points per hour, per user, app or client address.
    pub cost: CostQuota,
    db: Database,
}

/// How long a shared row may stay idle before it limits nothing: longer than every period.
const IDLE_ROW: Duration = Duration::from_secs(2 * 3600);

impl Limits {
    /// The limits configured, on `db`'s store.
    pub fn new(
        activity: &ActivityConfig,
        auth: &AuthConfig,
        platform: &PlatformConfig,
        db: &Database,
    ) -> Self {
        let policy = ThrottlePolicy {
            account_free_failures: auth.login_account_attempts,
            client_free_failures: auth.login_client_attempts,
            max_backoff: Duration::from_secs(auth.login_max_backoff_seconds),
        };
        let logins = if db.backend() == DbBackend::Postgres {
            LoginThrottle::shared(policy, db.clone())
        } else {
            LoginThrottle::local(policy)
        };
        let minute = Duration::from_secs(60);
        let hour = Duration::from_secs(3600);
        Self {
            upvotes: RateLimiter::new("upvote", Rate::per(activity.upvotes_per_minute, minute), db),
            submissions: RateLimiter::new(
                "submission",
                Rate::per(activity.submissions_per_hour, hour),
                db,
            ),
            comments: RateLimiter::new("comment", Rate::per(activity.comments_per_hour, hour), db),
            registrations: RateLimiter::new(
                "registration",
                Rate::per(auth.registrations_per_hour, hour),
                db,
            ),
            logins,
            app_requests: RateLimiter::new(
                "app",
                Rate::per(platform.app_requests_per_minute, minute),
                db,
            ),
            token_requests: RateLimiter::new(
                "oauth-token",
                Rate::per(platform.token_requests_per_minute, minute),
                db,
            ),
            password_resets: RateLimiter::new(
                "password-reset",
                Rate::per(platform.password_resets_per_hour, hour),
                db,
            ),
            cost: CostQuota::new(platform.cost_points_per_hour, db),
            db: db.clone(),
        }
    }

    /// Deletes shared rows that no longer limit anything (in-memory stores sweep
    /// themselves); the number deleted.
    ///
    /// # Errors
    /// `INTERNAL_SERVER_ERROR` on database failure.
    pub async fn prune(&self) -> AppResult<u64> {
        if self.db.backend() != DbBackend::Postgres {
            return Ok(0);
        }
        let buckets = shared::prune(&self.db, IDLE_ROW).await?;
        Ok(buckets.saturating_add(self.cost.prune().await?))
    }
}
