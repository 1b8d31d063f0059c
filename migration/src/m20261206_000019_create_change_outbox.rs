//! On SQLite, where servers and command-line tools are separate processes with no channel
//! between them, the changes a tool publishes (a harvest's new and revised papers) are
//! written to `change_outbox`; servers read what is new there a few times a second and hand
//! it to their subscribers. PostgreSQL carries the same changes by `NOTIFY` and needs no
//! table.

use sea_orm_migration::prelude::*;

use crate::per_backend::per_backend_migration;

#[derive(DeriveMigrationName)]
pub struct Migration;

const SQLITE_UP: &[&str] = &["CREATE TABLE change_outbox (
    seq integer NOT NULL PRIMARY KEY AUTOINCREMENT,
    changes text NOT NULL,
    written_ms integer NOT NULL
)"];

per_backend_migration!(up: SQLITE_UP, &[]; down: &["DROP TABLE change_outbox"], &[]);
