//! Slowing down password guessing.
//!
//! Failed logins are counted per account — the account the name resolves to, whichever of
//! its username or email was typed — and, for names of no account, per name as typed
//! (normalised), so the throttle treats unknown names like real ones. Failures are also
//! counted per client address. After a number of free attempts, each further failure
//! doubles a back-off (capped) during which attempts are refused with `RATE_LIMITED`
//! without checking the password. Counts are forgotten an hour after the last failure and
//! a successful login clears the account's count, so an attacker can delay a real user by
//! at most the cap, never lock them out for good.

use std::collections::HashMap;
use std::hash::Hash;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::db::Database;
use crate::error::AppResult;

use super::shared;

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

/// How long failures are remembered after the last one.
pub const FORGET_AFTER: Duration = Duration::from_secs(3600);
/// Back-off after the first failure beyond the free ones; doubles with each further one.
const FIRST_BACKOFF: Duration = Duration::from_secs(1);
/// Entries kept in memory before forgotten ones are swept.
const SWEEP_ABOVE: usize = 10_000;
/// Longest name kept as a counter key; longer names (never an account's) share one key.
const MAX_NAME_KEY_BYTES: usize = 254;

/// The back-off after the `failures`-th failure in a row, when `free` are allowed.
pub fn backoff(failures: u32, free: u32, max: Duration) -> Option<Duration> {
    let beyond = failures.checked_sub(free)?.checked_sub(1)?;
    Some(
        FIRST_BACKOFF
            .saturating_mul(1u32 << beyond.min(20))
            .min(max),
    )
}

/// Whose failures a login attempt counts against.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum LoginAccount {
    /// The account the typed name resolved to.
    Known(i64),
    /// A name that is no account's, normalised.
    Unknown(String),
}

impl LoginAccount {
    /// The counter of a typed name that resolved to no account.
    pub fn unknown(typed: &str) -> Self {
        let name = typed.trim().to_lowercase();
        if name.len() > MAX_NAME_KEY_BYTES {
            return Self::Unknown(String::from("<overlong name>"));
        }
        Self::Unknown(name)
    }

    fn key(&self) -> String {
        match self {
            Self::Known(id) => format!("login:account:{id}"),
            Self::Unknown(name) => format!("login:name:{name}"),
        }
    }
}

fn client_key(client: IpAddr) -> String {
    format!("login:client:{client}")
}

/// Failed-login counters for accounts and client addresses.
pub struct LoginThrottle {
    policy: ThrottlePolicy,
    store: Store,
}

enum Store {
    Local {
        accounts: LocalFailures<LoginAccount>,
        clients: LocalFailures<IpAddr>,
    },
    Shared(Database),
}

impl LoginThrottle {
    /// A throttle following `policy`, counting in this process.
    pub fn local(policy: ThrottlePolicy) -> Self {
        Self {
            policy,
            store: Store::Local {
                accounts: LocalFailures::new(policy.account_free_failures, policy.max_backoff),
                clients: LocalFailures::new(policy.client_free_failures, policy.max_backoff),
            },
        }
    }

    /// A throttle following `policy`, counting in the database every instance shares.
    pub fn shared(policy: ThrottlePolicy, db: Database) -> Self {
        Self {
            policy,
            store: Store::Shared(db),
        }
    }

    /// How long `account` or `client` must still wait, if at all.
    ///
    /// # Errors
    /// `INTERNAL_SERVER_ERROR` when the shared store cannot be read.
    pub async fn wait(
        &self,
        account: &LoginAccount,
        client: Option<IpAddr>,
    ) -> AppResult<Option<Duration>> {
        match &self.store {
            Store::Local { accounts, clients } => {
                let now = Instant::now();
                let account_wait = accounts.blocked_for(account, now);
                let client_wait = client.and_then(|client| clients.blocked_for(&client, now));
                Ok(account_wait.max(client_wait))
            }
            Store::Shared(db) => {
                let mut keys = vec![account.key()];
                keys.extend(client.map(client_key));
                shared::blocked_for(db, &keys).await
            }
        }
    }

    /// Counts a failed attempt.
    ///
    /// # Errors
    /// `INTERNAL_SERVER_ERROR` when the shared store cannot be written.
    pub async fn failed(&self, account: &LoginAccount, client: Option<IpAddr>) -> AppResult<()> {
        crate::telemetry::metrics::login_failed();
        match &self.store {
            Store::Local { accounts, clients } => {
                let now = Instant::now();
                accounts.fail(account, now);
                if let Some(client) = client {
                    clients.fail(&client, now);
                }
                Ok(())
            }
            Store::Shared(db) => {
                let policy = self.policy;
                shared::count_failure(db, &account.key(), |failures| {
                    backoff(failures, policy.account_free_failures, policy.max_backoff)
                })
                .await?;
                if let Some(client) = client {
                    shared::count_failure(db, &client_key(client), |failures| {
                        backoff(failures, policy.client_free_failures, policy.max_backoff)
                    })
                    .await?;
                }
                Ok(())
            }
        }
    }

    /// Clears the account's failures after a successful login.
    ///
    /// # Errors
    /// `INTERNAL_SERVER_ERROR` when the shared store cannot be written.
    pub async fn succeeded(&self, account: &LoginAccount) -> AppResult<()> {
        match &self.store {
            Store::Local { accounts, .. } => {
                accounts.clear(account);
                Ok(())
            }
            Store::Shared(db) => shared::clear_failures(db, &account.key()).await,
        }
    }
}

struct Failures {
    count: u32,
    last: Instant,
    blocked_until: Instant,
}

/// Failure counts per key in this process's memory.
struct LocalFailures<K> {
    free: u32,
    max_backoff: Duration,
    entries: Mutex<HashMap<K, Failures>>,
}

impl<K: Hash + Eq + Clone> LocalFailures<K> {
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
        if let Some(backoff) = backoff(failures.count, self.free, self.max_backoff) {
            failures.blocked_until = now + backoff;
        }
    }

    fn clear(&self, key: &K) {
        self.lock().remove(key);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn counter() -> LocalFailures<&'static str> {
        LocalFailures::new(3, Duration::from_secs(60))
    }

    #[test]
    fn failures_beyond_the_free_ones_back_off_exponentially_up_to_the_cap() {
        let failures = counter();
        let start = Instant::now();
        for _ in 0..3 {
            failures.fail(&"ada", start);
        }
        assert_eq!(failures.blocked_for(&"ada", start), None, "three free");
        failures.fail(&"ada", start);
        assert_eq!(
            failures.blocked_for(&"ada", start),
            Some(Duration::from_secs(1))
        );
        failures.fail(&"ada", start);
        assert_eq!(
            failures.blocked_for(&"ada", start),
            Some(Duration::from_secs(2))
        );
        for _ in 0..20 {
            failures.fail(&"ada", start);
        }
        assert_eq!(
            failures.blocked_for(&"ada", start),
            Some(Duration::from_secs(60))
        );
        assert_eq!(
            failures.blocked_for(&"ada", start + Duration::from_secs(61)),
            None
        );
        assert_eq!(failures.blocked_for(&"grace", start), None, "others free");
    }

    #[test]
    fn a_success_clears_the_account_and_time_forgets_failures() {
        let failures = counter();
        let start = Instant::now();
        for _ in 0..4 {
            failures.fail(&"ada", start);
        }
        failures.clear(&"ada");
        assert_eq!(failures.blocked_for(&"ada", start), None);
        for _ in 0..3 {
            failures.fail(&"ada", start);
        }
        let later = start + FORGET_AFTER;
        failures.fail(&"ada", later);
        assert_eq!(failures.blocked_for(&"ada", later), None, "forgotten");
    }

    #[test]
    fn backoff_starts_after_the_free_failures_and_is_capped() {
        let max = Duration::from_secs(900);
        assert_eq!(backoff(5, 5, max), None);
        assert_eq!(backoff(6, 5, max), Some(Duration::from_secs(1)));
        assert_eq!(backoff(8, 5, max), Some(Duration::from_secs(4)));
        assert_eq!(backoff(u32::MAX, 5, max), Some(max));
        assert_eq!(backoff(1, 0, max), Some(Duration::from_secs(1)));
    }

    #[test]
    fn unknown_names_are_normalised_and_bounded() {
        assert_eq!(
            LoginAccount::unknown("  Ada "),
            LoginAccount::unknown("ada")
        );
        let long = "x".repeat(10_000);
        assert_eq!(
            LoginAccount::unknown(&long).key(),
            "login:name:<overlong name>"
        );
        assert_ne!(
            LoginAccount::Known(1).key(),
            LoginAccount::unknown("1").key()
        );
    }

    #[tokio::test]
    async fn one_client_guessing_many_accounts_is_slowed_down() -> AppResult<()> {
        let throttle = LoginThrottle::local(ThrottlePolicy {
            account_free_failures: 3,
            client_free_failures: 10,
            max_backoff: Duration::from_secs(60),
        });
        let client = Some(IpAddr::from([10, 0, 0, 1]));
        for attempt in 0..11 {
            throttle
                .failed(&LoginAccount::Known(attempt), client)
                .await?;
        }
        let someone_else = LoginAccount::Known(99);
        assert!(throttle.wait(&someone_else, client).await?.is_some());
        assert!(throttle.wait(&someone_else, None).await?.is_none());
        Ok(())
    }
}
