//! Documents registered through automatic persisted queries, by the SHA-256 of their text,
//! so that every instance on one database knows a hash any of them was taught.
//!
//! `last_used_at` is refreshed when an instance loads a document into its memory (not on
//! every request), which is enough to prune the least recently used beyond the store's
//! bound.

use sea_orm_migration::prelude::*;

use crate::per_backend::per_backend_migration;

#[derive(DeriveMigrationName)]
pub struct Migration;

const SQLITE_UP: &[&str] = &[
    "CREATE TABLE persisted_queries (
        hash text NOT NULL PRIMARY KEY,
        document text NOT NULL,
        last_used_at timestamp_with_timezone_text NOT NULL
    )",
    "CREATE INDEX idx_persisted_queries_last_used ON persisted_queries (last_used_at)",
];

const POSTGRES_UP: &[&str] = &[
    "CREATE TABLE persisted_queries (
        hash text NOT NULL PRIMARY KEY,
        document text NOT NULL,
        last_used_at timestamptz NOT NULL
    )",
    "CREATE INDEX idx_persisted_queries_last_used ON persisted_queries (last_used_at)",
];

const DOWN: &[&str] = &["DROP TABLE persisted_queries"];

per_backend_migration!(up: SQLITE_UP, POSTGRES_UP; down: DOWN, DOWN);
