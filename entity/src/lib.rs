//! sea-orm entities of Paperboard, one module per table, matching the migrations.
//!
//! Entities carry no API derives and no business logic: GraphQL types convert from them,
//! so a column such as `password_hash` can never reach the schema by accident.

pub mod account_token;
pub mod author;
pub mod author_follow;
pub mod category;
pub mod category_follow;
pub mod collection;
pub mod collection_item;
pub mod comment;
pub mod comment_upvote;
pub mod moderation_entry;
pub mod notification;
pub mod oauth_app;
pub mod oauth_code;
pub mod oauth_consent;
pub mod paper;
pub mod paper_author;
pub mod paper_category;
pub mod personal_access_token;
pub mod ranking_generation;
pub mod ranking_history;
pub mod ranking_queue;
pub mod ranking_state;
pub mod report;
pub mod saved_paper;
pub mod session;
pub mod sign_in;
pub mod sync_progress;
pub mod upvote;
pub mod user;
pub mod user_follow;
