//! The application state: built once, cloned cheaply, injected everywhere. No globals.

use std::sync::Arc;
use std::time::Duration;

use crate::auth::Auth;
use crate::config::Config;
use crate::db::Database;
use crate::events::EventBus;
use crate::rate_limit::{Rate, RateLimiter};
use crate::services::bylines::BylineCache;
use crate::sockets::Sockets;

/// Everything a request handler or resolver may need.
#[derive(Clone)]
pub struct AppState {
    pub db: Database,
    pub config: Arc<Config>,
    pub auth: Arc<Auth>,
    pub bylines: Arc<BylineCache>,
    pub sockets: Arc<Sockets>,
    /// Upvote and removal mutations, per user.
    pub upvote_limiter: Arc<RateLimiter<i64>>,
    /// Paper submissions, per user.
    pub submission_limiter: Arc<RateLimiter<i64>>,
    pub events: Arc<EventBus>,
}

impl AppState {
    /// Bundles the parts.
    pub fn new(db: Database, config: Config, auth: Auth, events: EventBus) -> Self {
        let activity = &config.activity;
        let upvotes = Rate::per(activity.upvotes_per_minute, Duration::from_secs(60));
        let submissions = Rate::per(activity.submissions_per_hour, Duration::from_secs(3600));
        Self {
            sockets: Sockets::new(config.sockets.max_sockets_per_user),
            upvote_limiter: Arc::new(RateLimiter::new(upvotes)),
            submission_limiter: Arc::new(RateLimiter::new(submissions)),
            events: Arc::new(events),
            db,
            config: Arc::new(config),
            auth: Arc::new(auth),
            bylines: Arc::default(),
        }
    }
}
