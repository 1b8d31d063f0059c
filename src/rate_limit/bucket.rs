//! Token buckets per key, in this process's memory (the store of a single instance).
//!
//! Buckets of idle keys are dropped, so memory stays bounded by the number of keys active
//! within one refill period.

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// How many actions a key may take: `burst` at once, refilled at `per_second`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Rate {
    pub burst: u32,
    pub per_second: f64,
}

impl Rate {
    /// `count` actions per `period`, all of which may be spent at once.
    pub fn per(count: u32, period: Duration) -> Self {
        Self {
            burst: count.max(1),
            per_second: f64::from(count.max(1)) / period.as_secs_f64().max(f64::MIN_POSITIVE),
        }
    }

    /// How long a bucket holding `tokens` (fewer than one) takes to refill to one.
    pub fn wait_for_token(self, tokens: f64) -> Duration {
        let wait = (1.0 - tokens) / self.per_second;
        Duration::from_secs_f64(wait.clamp(0.001, 1e9))
    }

    /// How long an idle bucket takes to fill up again.
    pub fn refill_period(self) -> Duration {
        Duration::from_secs_f64((f64::from(self.burst) / self.per_second).clamp(0.0, 1e9))
    }
}

struct Bucket {
    tokens: f64,
    updated: Instant,
}

/// A token bucket per key.
pub struct LocalBuckets<K> {
    rate: Rate,
    buckets: Mutex<HashMap<K, Bucket>>,
}

/// Buckets kept before idle ones are swept.
const SWEEP_ABOVE: usize = 10_000;

impl<K: Hash + Eq + Clone> LocalBuckets<K> {
    /// A limiter allowing `rate` per key.
    pub fn new(rate: Rate) -> Self {
        Self {
            rate,
            buckets: Mutex::new(HashMap::new()),
        }
    }

    /// Takes one action for `key`, or says how long to wait before the next is allowed.
    ///
    /// # Errors
    /// The wait, when `key` has no action left.
    pub fn take(&self, key: &K, now: Instant) -> Result<(), Duration> {
        let mut buckets = self
            .buckets
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if buckets.len() > SWEEP_ABOVE {
            let full_after = self.rate.refill_period();
            buckets.retain(|_, bucket| now.saturating_duration_since(bucket.updated) < full_after);
        }
        let bucket = buckets.entry(key.clone()).or_insert(Bucket {
            tokens: f64::from(self.rate.burst),
            updated: now,
        });
        let elapsed = now.saturating_duration_since(bucket.updated).as_secs_f64();
        bucket.tokens =
            (bucket.tokens + elapsed * self.rate.per_second).min(f64::from(self.rate.burst));
        bucket.updated = now;
        if bucket.tokens >= 1.0 {
            bucket.tokens -= 1.0;
            Ok(())
        } else {
            Err(self.rate.wait_for_token(bucket.tokens))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_burst_is_allowed_then_refilled_over_time() {
        let limiter = LocalBuckets::new(Rate::per(3, Duration::from_secs(3)));
        let start = Instant::now();
        for _ in 0..3 {
            assert!(limiter.take(&"k", start).is_ok());
        }
        let wait = limiter.take(&"k", start).err();
        assert!(wait.is_some_and(|wait| wait > Duration::from_millis(900)));
        assert!(
            limiter.take(&"other", start).is_ok(),
            "keys are independent"
        );
        assert!(limiter.take(&"k", start + Duration::from_secs(1)).is_ok());
    }
}
