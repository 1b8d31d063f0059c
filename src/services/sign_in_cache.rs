//! Sign-ins recently checked, so that a request with an access token need not read its
//! sign-in again.
//!
//! Every such request must know that its sign-in is live and what its account may do. That
//! changes only when a sign-in is revoked or an account's role, ban or existence changes,
//! and each of those publishes a change that [concerns accounts]
//! (crate::events::Change::concerns_accounts). A sign-in read at one accounts version is
//! kept while the version stays — on every instance, as each hears every change — and at
//! most [`KEPT_FOR`] in any case, the bound for rows changed by hand in the database. The
//! version is taken before the read, so a change published while it runs retires what it
//! read.

use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::error::AppResult;

use super::Context;
use super::sign_ins::{self, LiveSignIn};

/// Sign-ins kept per instance (one is about 200 bytes).
const KEPT_SIGN_INS: usize = 100_000;
/// The longest a checked sign-in is trusted without reading it again.
pub const KEPT_FOR: Duration = Duration::from_secs(30);

/// Checked sign-ins by id, each with the accounts version it was read at.
pub struct SignInCache(quick_cache::sync::Cache<i64, Kept>);

#[derive(Clone)]
struct Kept {
    sign_in: Arc<LiveSignIn>,
    version: u64,
    read_at: Instant,
}

impl Default for SignInCache {
    fn default() -> Self {
        Self(quick_cache::sync::Cache::new(KEPT_SIGN_INS))
    }
}

impl SignInCache {
    /// Sign-in `id` of user `user_id` as read at accounts version `version`, if it was and
    /// not too long ago. Nothing is kept for `None` (changes may be going unheard).
    pub fn get(&self, id: i64, user_id: i64, version: Option<u64>) -> Option<Arc<LiveSignIn>> {
        let version = version?;
        let kept = self.0.get(&id)?;
        let current = kept.version == version
            && kept.sign_in.user_id == user_id
            && kept.read_at.elapsed() < KEPT_FOR;
        current.then_some(kept.sign_in)
    }

    /// Keeps `sign_in`, read at accounts version `version` (taken before the read).
    pub fn keep(&self, sign_in: Arc<LiveSignIn>, version: Option<u64>) {
        self.keep_read_at(sign_in, version, Instant::now());
    }

    /// Drops sign-in `id`: the next use reads it.
    pub fn forget(&self, id: i64) {
        self.0.remove(&id);
    }

    fn keep_read_at(&self, sign_in: Arc<LiveSignIn>, version: Option<u64>, read_at: Instant) {
        if let Some(version) = version {
            let kept = Kept {
                sign_in,
                version,
                read_at,
            };
            self.0.insert(kept.sign_in.id, kept);
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
    let live = match ctx.sign_ins.get(id, user_id, version) {
        Some(kept) => kept,
        None => match sign_ins::live_with_user(ctx.db.reader(), id, user_id).await? {
            Some(read) => {
                let read = Arc::new(read);
                ctx.sign_ins.keep(Arc::clone(&read), version);
                read
            }
            None => return Ok(None),
        },
    };
    if sign_ins::touch(ctx.db, live.id, live.last_used_at).await? {
        // Read again next time, with the use just recorded.
        ctx.sign_ins.forget(live.id);
    }
    Ok(Some(live))
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
        cache.keep(sign_in(7, 3), Some(4));
        assert_eq!(cache.get(7, 3, Some(4)).map(|kept| kept.id), Some(7));
        assert!(
            cache.get(7, 3, Some(5)).is_none(),
            "an account changed since"
        );
        assert!(cache.get(7, 9, Some(4)).is_none(), "another user's token");
        assert!(cache.get(8, 3, Some(4)).is_none(), "another sign-in");
        assert!(cache.get(7, 3, None).is_none(), "changes going unheard");
    }

    #[test]
    fn a_sign_in_is_read_again_after_a_while() {
        let cache = SignInCache::default();
        let Some(long_ago) = Instant::now().checked_sub(KEPT_FOR) else {
            return; // the machine has not been up that long
        };
        cache.keep_read_at(sign_in(7, 3), Some(4), long_ago);
        assert!(cache.get(7, 3, Some(4)).is_none());
    }

    #[test]
    fn nothing_is_kept_while_changes_go_unheard() {
        let cache = SignInCache::default();
        cache.keep(sign_in(7, 3), None);
        assert!(cache.get(7, 3, Some(0)).is_none());
    }
}
