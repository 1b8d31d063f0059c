//! Pure rules: no SQL, no GraphQL, no HTTP. What a valid paper or account is, how papers
//! are ranked, what a search query means — written once, and used by every layer that
//! needs them.

pub mod account;
pub mod collection;
pub mod comment;
mod markdown;
pub mod mention;
pub mod moderation;
pub mod paper;
pub mod paper_metadata;
pub mod profile;
pub mod ranking;
pub mod search_query;
pub mod taxonomy;
mod text;
pub mod web_address;
