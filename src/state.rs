//! The application state: built once, cloned cheaply, injected everywhere. No globals.

use std::sync::Arc;

use crate::auth::Auth;
use crate::config::Config;
use crate::db::Database;
use crate::events::EventBus;
use crate::ingest::arxiv_api::ArxivApi;
use crate::mail::Mailer;
use crate::persisted_queries::PersistedQueries;
use crate::rate_limit::Limits;
use crate::services::bylines::BylineCache;
use crate::services::credential_cache::{AccountCache, PersonalTokenCache, SignInCache};
use crate::services::upvote_writes::UpvoteWriter;

/// Everything a request handler or resolver may need.
#[derive(Clone)]
pub struct AppState {
    pub db: Database,
    pub config: Arc<Config>,
    pub auth: Arc<Auth>,
    pub bylines: Arc<BylineCache>,
    /// Sign-ins recently checked (see `services::credential_cache`).
    pub sign_ins: Arc<SignInCache>,
    /// Personal access tokens recently checked (the same).
    pub personal_tokens: Arc<PersonalTokenCache>,
    /// Accounts of operator tokens recently checked (the same).
    pub operator_accounts: Arc<AccountCache>,
    /// Rate limits and the login throttle.
    pub limits: Arc<Limits>,
    pub events: Arc<EventBus>,
    pub upvote_writer: Arc<UpvoteWriter>,
    /// Where `submitArxivPaper` fetches records.
    pub arxiv: Arc<ArxivApi>,
    /// Sends password-reset and verification mails.
    pub mailer: Arc<Mailer>,
    /// Documents named by hash: automatic persisted queries or trusted documents.
    pub persisted: Arc<PersistedQueries>,
}

impl AppState {
    /// The services' view of the state.
    pub fn services(&self) -> crate::services::Context<'_> {
        crate::services::Context {
            db: &self.db,
            events: &self.events,
            limits: &self.limits,
            bylines: &self.bylines,
            upvote_writer: &self.upvote_writer,
            sign_ins: &self.sign_ins,
            personal_tokens: &self.personal_tokens,
            operator_accounts: &self.operator_accounts,
        }
    }

    /// Bundles the parts (and starts the tasks some of them own: call within the runtime).
    pub fn new(
        db: Database,
        config: Config,
        auth: Auth,
        events: EventBus,
        arxiv: ArxivApi,
        mailer: Mailer,
        persisted: PersistedQueries,
    ) -> Self {
        Self {
            persisted: Arc::new(persisted),
            arxiv: Arc::new(arxiv),
            upvote_writer: Arc::new(UpvoteWriter::start(&db)),
            limits: Arc::new(Limits::new(
                &config.activity,
                &config.auth,
                &config.platform,
                &db,
            )),
            mailer: Arc::new(mailer),
            events: Arc::new(events),
            db,
            config: Arc::new(config),
            auth: Arc::new(auth),
            bylines: Arc::default(),
            sign_ins: Arc::default(),
            personal_tokens: Arc::default(),
            operator_accounts: Arc::default(),
        }
    }
}
