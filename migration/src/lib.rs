//! Paperboard's schema migrations: the only way the database schema changes.
//!
//! One change per file, applied in order on start-up and by `paperboard migrate`. The same
//! migrations run on SQLite and PostgreSQL; keys and indexes carry explicit names so that
//! constraint errors and schema drift are readable. A migration that has landed is never
//! edited: change the schema with a new file.

#![expect(
    elided_lifetimes_in_paths,
    reason = "sea-orm-migration's MigrationTrait declares `&SchemaManager` with a hidden lifetime, and implementations must match it"
)]

pub use sea_orm_migration::prelude::*;

mod m20261126_000001_create_users_table;
mod m20261126_000002_create_authors_table;
mod m20261126_000003_create_papers_table;
mod m20261126_000004_create_paper_authors_table;
mod m20261126_000005_create_upvotes_table;
mod m20261126_000006_create_sessions_table;
mod m20261126_000007_create_ranking_tables;
mod m20261126_000008_create_upvote_count_triggers;
mod m20261126_000009_create_search_index;
mod m20261126_000010_create_title_search_index;
mod m20261204_000011_create_shared_limit_tables;
mod m20261204_000012_create_ranking_history;
mod m20261204_000013_add_byline_ordering_keys;
mod m20261204_000014_leave_room_for_upvote_updates;
mod m20261205_000015_index_author_name_substrings;
mod m20261206_000016_separate_title_search_table;
mod m20261206_000017_add_paper_metadata_and_categories;
mod m20261206_000018_create_sync_progress;
mod m20261206_000019_create_change_outbox;
mod m20261206_000020_create_comments;
mod m20261206_000021_create_moderation_tables;
mod m20261206_000022_create_personal_tables;
mod m20261206_000023_create_collections;
mod m20261206_000024_create_platform_tables;
mod m20261206_000025_keep_public_collections_of_deleted_accounts;
mod m20261206_000026_create_persisted_queries;
mod m20261206_000027_create_cost_spending;
mod m20261206_000028_create_upvote_functions;
mod m20261207_000029_create_title_terms;
mod m20261207_000030_create_group_upvote_cast;
mod m20261207_000031_cast_upvote_groups_by_sets;
mod m20261208_000032_key_ranking_history_by_generation;
mod per_backend;

/// Applies Paperboard's migrations in order.
pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261126_000001_create_users_table::Migration),
            Box::new(m20261126_000002_create_authors_table::Migration),
            Box::new(m20261126_000003_create_papers_table::Migration),
            Box::new(m20261126_000004_create_paper_authors_table::Migration),
            Box::new(m20261126_000005_create_upvotes_table::Migration),
            Box::new(m20261126_000006_create_sessions_table::Migration),
            Box::new(m20261126_000007_create_ranking_tables::Migration),
            Box::new(m20261126_000008_create_upvote_count_triggers::Migration),
            Box::new(m20261126_000009_create_search_index::Migration),
            Box::new(m20261126_000010_create_title_search_index::Migration),
            Box::new(m20261204_000011_create_shared_limit_tables::Migration),
            Box::new(m20261204_000012_create_ranking_history::Migration),
            Box::new(m20261204_000013_add_byline_ordering_keys::Migration),
            Box::new(m20261204_000014_leave_room_for_upvote_updates::Migration),
            Box::new(m20261205_000015_index_author_name_substrings::Migration),
            Box::new(m20261206_000016_separate_title_search_table::Migration),
            Box::new(m20261206_000017_add_paper_metadata_and_categories::Migration),
            Box::new(m20261206_000018_create_sync_progress::Migration),
            Box::new(m20261206_000019_create_change_outbox::Migration),
            Box::new(m20261206_000020_create_comments::Migration),
            Box::new(m20261206_000021_create_moderation_tables::Migration),
            Box::new(m20261206_000022_create_personal_tables::Migration),
            Box::new(m20261206_000023_create_collections::Migration),
            Box::new(m20261206_000024_create_platform_tables::Migration),
            Box::new(m20261206_000025_keep_public_collections_of_deleted_accounts::Migration),
            Box::new(m20261206_000026_create_persisted_queries::Migration),
            Box::new(m20261206_000027_create_cost_spending::Migration),
            Box::new(m20261206_000028_create_upvote_functions::Migration),
            Box::new(m20261207_000029_create_title_terms::Migration),
            Box::new(m20261207_000030_create_group_upvote_cast::Migration),
            Box::new(m20261207_000031_cast_upvote_groups_by_sets::Migration),
            Box::new(m20261208_000032_key_ranking_history_by_generation::Migration),
        ]
    }
}
