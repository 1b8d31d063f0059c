//! Slowing down password guessing.
//!
//! Failed logins are counted per account (the name tried, whether or not it exists, so the
//! throttle reveals nothing) and per client address. After a number of free attempts, each
//! further failure doubles a back-off (capped) during which attempts are refused with
//! `RATE_LIMITED` without checking the password. Counts are forgotten an hour after the last
//! failure and a successful login clears the account's count, so an attacker can delay a
//! real user by at most the cap, never lock them out for good.

use std::collections::HashMap;
use std::hash::Hash;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// When the throttle starts slowing attempts down.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ThrottlePolicy {
    /// Failures for one account before back-off starts.
    pub account_free_failures: u32,
    /// Failures from one client address before back-off starts.
    pub client_free_failures: u32,
    /// Longest back-off.
    pub max_backoff: Duration,
}

impl Default for ThrottlePolicy {
    fn default() -> Self {
        Self {
            account_free_failures: 5,
            client_free_failures: 20,
            max_backoff: Duration::from_secs(15 * 60),
        }
    }
}

/// How long failures are remembered after the last one.
const FORGET_AFTER: Duration = Duration::from_secs(3600);
/// Back-off after the first failure beyond the free ones; doubles with each further one.
const FIRST_BACKOFF: Duration = Duration::from_secs(1);
/// Entries kept before forgotten ones are swept.
const SWEEP_ABOVE: usize = 10_000;

struct Failures {
    count: u32,
    last: Instant,
    blocked_until: Instant,
}

struct Counter<K> {
    free: u32,
    max_backoff: Duration,
    entries: Mutex<HashMap<K, Failures>>,
}

impl<K: Hash + Eq + Clone> Counter<K> {
    fn new(free: u32, max_backoff: Duration) -> Self {
        Self {
            free,
            max_backoff,
            entries: Mutex::new(HashMap::new()),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<K, Failures>> {
        self.entries
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn blocked_for(&self, key: &K, now: Instant) -> Option<Duration> {
        let entries = self.lock();
        let failures = entries.get(key)?;
        (failures.blocked_until > now).then(|| failures.blocked_until - now)
    }

    fn fail(&self, key: &K, now: Instant) {
        let mut entries = self.lock();
        if entries.len() > SWEEP_ABOVE {
            entries
                .retain(|_, failures| now.saturating_duration_since(failures.last) < FORGET_AFTER);
        }
        let failures = entries.entry(key.clone()).or_insert(Failures {
            count: 0,
            last: now,
            blocked_until: now,
        });
        if now.saturating_duration_since(failures.last) >= FORGET_AFTER {
            failures.count = 0;
        }
        failures.count = failures.count.saturating_add(1);
        failures.last = now;
        if failures.count > self.free {
            let doublings = (failures.count - self.free - 1).min(20);
            let backoff = FIRST_BACKOFF
                .saturating_mul(1 << doublings)
                .min(self.max_backoff);
            failures.blocked_until = now + backoff;
        }
    }

    fn clear(&self, key: &K) {
        self.lock().remove(key);
    }
}

/// Failed-login counters for accounts and client addresses.
pub struct LoginThrottle {
    accounts: Counter<String>,
    clients: Counter<IpAddr>,
}

impl LoginThrottle {
    /// A throttle following `policy`.
    pub fn new(policy: ThrottlePolicy) -> Self {
        Self {
            accounts: Counter::new(policy.account_free_failures, policy.max_backoff),
            clients: Counter::new(policy.client_free_failures, policy.max_backoff),
        }
    }

    /// How long `account` (lower-cased) or `client` must still wait, if at all.
    pub fn wait(&self, account: &str, client: Option<IpAddr>, now: Instant) -> Option<Duration> {
        let account_wait = self.accounts.blocked_for(&account.to_owned(), now);
        let client_wait = client.and_then(|client| self.clients.blocked_for(&client, now));
        account_wait.max(client_wait)
    }

    /// Counts a failed attempt.
    pub fn failed(&self, account: &str, client: Option<IpAddr>, now: Instant) {
        self.accounts.fail(&account.to_owned(), now);
        if let Some(client) = client {
            self.clients.fail(&client, now);
        }
    }

    /// Clears the account's failures after a successful login.
    pub fn succeeded(&self, account: &str) {
        self.accounts.clear(&account.to_owned());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy() -> ThrottlePolicy {
        ThrottlePolicy {
            account_free_failures: 3,
            client_free_failures: 10,
            max_backoff: Duration::from_secs(60),
        }
    }

    #[test]
    fn failures_beyond_the_free_ones_back_off_exponentially_up_to_the_cap() {
        let throttle = LoginThrottle::new(policy());
        let start = Instant::now();
        for _ in 0..3 {
            throttle.failed("ada", None, start);
        }
        assert_eq!(
            throttle.wait("ada", None, start),
            None,
            "three free failures"
        );
        throttle.failed("ada", None, start);
        assert_eq!(
            throttle.wait("ada", None, start),
            Some(Duration::from_secs(1))
        );
        throttle.failed("ada", None, start);
        assert_eq!(
            throttle.wait("ada", None, start),
            Some(Duration::from_secs(2))
        );
        for _ in 0..20 {
            throttle.failed("ada", None, start);
        }
        assert_eq!(
            throttle.wait("ada", None, start),
            Some(Duration::from_secs(60))
        );
        assert_eq!(
            throttle.wait("ada", None, start + Duration::from_secs(61)),
            None
        );
        assert_eq!(
            throttle.wait("grace", None, start),
            None,
            "other accounts are free"
        );
    }

    #[test]
    fn a_success_clears_the_account_and_time_forgets_failures() {
        let throttle = LoginThrottle::new(policy());
        let start = Instant::now();
        for _ in 0..4 {
            throttle.failed("ada", None, start);
        }
        throttle.succeeded("ada");
        assert_eq!(throttle.wait("ada", None, start), None);
        for _ in 0..3 {
            throttle.failed("ada", None, start);
        }
        let later = start + FORGET_AFTER;
        throttle.failed("ada", None, later);
        assert_eq!(
            throttle.wait("ada", None, later),
            None,
            "old failures were forgotten"
        );
    }

    #[test]
    fn one_client_guessing_many_accounts_is_slowed_down() {
        let throttle = LoginThrottle::new(policy());
        let start = Instant::now();
        let client = Some(IpAddr::from([10, 0, 0, 1]));
        for attempt in 0..11 {
            throttle.failed(&format!("user{attempt}"), client, start);
        }
        assert!(throttle.wait("someone-else", client, start).is_some());
        assert!(throttle.wait("someone-else", None, start).is_none());
    }
}
