//! All database access and transactions. Resolvers call these functions and never touch
//! SQL; functions take `&impl ConnectionTrait` so they run on a pool or in a transaction.
//! Functions that change something take a [`Context`]: they enforce its limits, write,
//! and publish to its bus after the commit, so that every caller gets all three.

use crate::db::Database;
use crate::events::EventBus;
use crate::rate_limit::Limits;

use bylines::BylineCache;
use credential_cache::{AccountCache, PersonalTokenCache, SignInCache};
use upvote_writes::UpvoteWriter;

pub mod account_data;
pub mod account_tokens;
pub mod accounts;
pub mod authors;
pub mod bylines;
pub mod catalog;
pub mod categories;
pub mod collections;
pub mod comments;
pub mod credential_cache;
pub mod credentials;
pub mod email_verification;
pub mod feed;
pub mod follows;
mod group_queue;
mod keyset;
pub mod links;
pub mod listings;
pub mod moderation;
pub mod notifications;
pub mod oauth_apps;
pub mod oauth_grants;
mod paper_filter;
pub mod papers;
pub mod passwords;
pub mod personal_tokens;
pub mod profiles;
pub mod rankings;
pub mod revisions;
pub mod saves;
pub mod search;
pub mod sign_ins;
pub mod sql;
pub mod sync_progress;
pub mod upvote_writes;
pub mod upvotes;
pub mod users;

/// What writes need beyond the database.
#[derive(Clone, Copy)]
pub struct Context<'a> {
    pub db: &'a Database,
    /// Where committed changes are published.
    pub events: &'a EventBus,
    /// The rate limits writes are held to.
    pub limits: &'a Limits,
    /// The instance's byline cache, which deletions keep true.
    pub bylines: &'a BylineCache,
    /// Where upvotes are written, a group at a time.
    pub upvote_writer: &'a UpvoteWriter,
    /// The instance's checked sign-ins, which revocations keep true through the bus.
    pub sign_ins: &'a SignInCache,
    /// The instance's checked personal access tokens, kept true the same way.
    pub personal_tokens: &'a PersonalTokenCache,
    /// The accounts of operator tokens checked by the instance, kept true the same way.
    pub operator_accounts: &'a AccountCache,
}
