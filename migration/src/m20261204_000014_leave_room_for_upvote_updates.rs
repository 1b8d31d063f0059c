//! Room on every page of `papers` for the row versions upvotes write. An upvote changes
//! only `upvote_count`, which no index holds, so PostgreSQL can write the new version on
//! the same page without touching the nine indexes (a HOT update) — if the page has room.
//! Bulk-loaded pages are full, and then every upvote updated every index. Pages written
//! from now on keep a fifth free; existing ones get room as vacuum prunes them. SQLite
//! rewrites a row in place: nothing to do there.

use sea_orm_migration::prelude::*;

use crate::per_backend::per_backend_migration;

#[derive(DeriveMigrationName)]
pub struct Migration;

const POSTGRES_UP: &[&str] = &["ALTER TABLE papers SET (fillfactor = 80)"];
const POSTGRES_DOWN: &[&str] = &["ALTER TABLE papers RESET (fillfactor)"];

per_backend_migration!(up: &[], POSTGRES_UP; down: &[], POSTGRES_DOWN);
