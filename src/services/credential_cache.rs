//! Credentials recently checked — sign-ins, personal access tokens and the accounts of
//! operator tokens — so that a request with a token need not read them again.
//!
//! Every such request must know that its credential is live and what its account may do.
//! That changes only when a credential is revoked or an account's role, ban or existence
//! changes, and each of those publishes a change that [concerns accounts]
//! (crate::events::Change::concerns_accounts). A credential read at one accounts version is
//! kept while the version stays — on every instance, as each hears every change — and at
//! most [`KEPT_FOR`] in any case, the bound for rows changed by hand in the database. The
//! version is taken before the read, so a change published while it runs retires what it
//! read.

use std::hash::Hash;
use std::sync::Arc;
use std::time::{Duration, Instant};

use entity::user;

use crate::error::AppResult;

use super::Context;
use super::personal_tokens::LivePersonalToken;
use super::sign_ins::{self, LiveSignIn};
use super::users;

/// Credentials kept per instance and kind (a sign-in is about 200 bytes, a personal token
/// with its account about 1 KiB).
const KEPT_CREDENTIALS: usize = 100_000;
/// The longest a checked credential is trusted without reading it again.
pub const KEPT_FOR: Duration = Duration::from_secs(30);

/// Checked credentials by key, each with the accounts version it was read at.
pub struct TrustCache<K, V>(quick_cache::sync::Cache<K, Kept<V>>);

/// Checked sign-ins by id.
pub type SignInCache = TrustCache<i64, LiveSignIn>;

/// Checked personal access tokens by the hash of their secret.
pub type PersonalTokenCache = TrustCache<String, LivePersonalToken>;

/// The accounts of checked operator tokens (which name a user and no sign-in), by user id.
pub type AccountCache = TrustCache<i64, user::Model>;

struct Kept<V> {
    value: Arc<V>,
    version: u64,
    read_at: Instant,
}

impl<V> Clone for Kept<V> {
    fn clone(&self) -> Self {
        Self {
            value: Arc::clone(&self.value),
            version: self.version,
            read_at: self.read_at,
        }
    }
}

impl<K: Eq + Hash + Clone, V> Default for TrustCache<K, V> {
    fn default() -> Self {
        Self(quick_cache::sync::Cache::new(KEPT_CREDENTIALS))
    }
}

impl<K: Eq + Hash + Clone, V> TrustCache<K, V> {
    /// What `key` was read as at accounts version `version`, if it was and not too long
    /// ago. Nothing is kept for `None` (changes may be going unheard).
    pub fn get(&self, key: &K, version: Option<u64>) -> Option<Arc<V>> {
        let version = version?;
        let kept = self.0.get(key)?;
        let current = kept.version == version && kept.read_at.elapsed() < KEPT_FOR;
        current.then_some(kept.value)
    }

    /// Keeps `value` for `key`, read at accounts version `version` (taken before the read).
    pub fn keep(&self, key: K, value: Arc<V>, version: Option<u64>) {
        self.keep_read_at(key, value, version, Instant::now());
    }

    /// Drops `key`: the next use reads it.
    pub fn forget(&self, key: &K) {
        self.0.remove(key);
    }

    fn keep_read_at(&self, key: K, value: Arc<V>, version: Option<u64>, read_at: Instant) {
        if let Some(version) = version {
            let kept = Kept {
                value,
                version,
                read_at,
            };
            self.0.insert(key, kept);
        }
    }
}

/// The live sign-in `id` of user `user_id`, as kept or read (and then kept), its use
/// recorded.
///
/// # Errors
/// `INTERNAL_SERVER_ERROR` on failure.
pub async fn live(ctx: Context<'_>, id: i64, user_id: i64) -> AppResult<Option<Arc<LiveSignIn>>> {
    let version = ctx.events.accounts_version();
    let kept = ctx
        .sign_ins
        .get(&id, version)
        .filter(|kept| kept.user_id == user_id);
    let live = match kept {
        Some(kept) => kept,
        None => match sign_ins::live_with_user(ctx.db.reader(), id, user_id).await? {
            Some(read) => {
                let read = Arc::new(read);
                ctx.sign_ins.keep(id, Arc::clone(&read), version);
                read
            }
            None => return Ok(None),
        },
    };
    if sign_ins::touch(ctx.db, live.id, live.last_used_at).await? {
        // Read again next time, with the use just recorded.
        ctx.sign_ins.forget(&live.id);
    }
    Ok(Some(live))
}

/// The account `user_id` an operator token names, as kept or read (and then kept); `None`
/// when there is no such account.
///
/// # Errors
/// `INTERNAL_SERVER_ERROR` on failure.
pub async fn operator_account(
    ctx: Context<'_>,
    user_id: i64,
) -> AppResult<Option<Arc<user::Model>>> {
    let version = ctx.events.accounts_version();
    if let Some(kept) = ctx.operator_accounts.get(&user_id, version) {
        return Ok(Some(kept));
    }
    let Some(read) = users::by_id(ctx.db.reader(), user_id).await? else {
        return Ok(None);
    };
    let read = Arc::new(read);
    ctx.operator_accounts
        .keep(user_id, Arc::clone(&read), version);
    Ok(Some(read))
}

#[cfg(test)]
mod tests {
    use chrono::Utc;

    use super::*;

    fn sign_in(id: i64, user_id: i64) -> Arc<LiveSignIn> {
        Arc::new(LiveSignIn {
            id,
            app_id: None,
            scopes: None,
            last_used_at: Utc::now(),
            user_id,
            role: "user".to_owned(),
            ban_reason: None,
            banned_until: None,
        })
    }

    #[test]
    fn a_sign_in_is_kept_only_at_the_version_it_was_read_at() {
        let cache = SignInCache::default();
        cache.keep(7, sign_in(7, 3), Some(4));
        assert_eq!(cache.get(&7, Some(4)).map(|kept| kept.id), Some(7));
        assert!(cache.get(&7, Some(5)).is_none(), "an account changed since");
        assert!(cache.get(&8, Some(4)).is_none(), "another sign-in");
        assert!(cache.get(&7, None).is_none(), "changes going unheard");
    }

    #[test]
    fn a_sign_in_is_read_again_after_a_while() {
        let cache = SignInCache::default();
        let Some(long_ago) = Instant::now().checked_sub(KEPT_FOR) else {
            return; // the machine has not been up that long
        };
        cache.keep_read_at(7, sign_in(7, 3), Some(4), long_ago);
        assert!(cache.get(&7, Some(4)).is_none());
    }

    #[test]
    fn nothing_is_kept_while_changes_go_unheard() {
        let cache = SignInCache::default();
        cache.keep(7, sign_in(7, 3), None);
        assert!(cache.get(&7, Some(0)).is_none());
    }
}
