//! Substring search over author names (`authors(nameContains:)`) by trigrams, so that a
//! rare substring is found without walking every name.
//!
//! PostgreSQL: a GIN `pg_trgm` index on `name_key`, which `LIKE '%…%'` uses by itself. The
//! extension ships with PostgreSQL and is trusted (a database owner may create it); where
//! it cannot be created the index is left out and searches walk the name index as before.
//! SQLite: an FTS5 table with the trigram tokenizer over `authors.name_key`, kept in step
//! by triggers; the query decides when to use it (see `services::authors`).

use sea_orm_migration::prelude::*;

use crate::per_backend::per_backend_migration;

#[derive(DeriveMigrationName)]
pub struct Migration;

const SQLITE_UP: &[&str] = &[
    "CREATE VIRTUAL TABLE authors_trigram USING fts5(
        name_key, content = 'authors', content_rowid = 'id', tokenize = 'trigram'
    )",
    "INSERT INTO authors_trigram (authors_trigram) VALUES ('rebuild')",
    "CREATE TRIGGER authors_trigram_insert AFTER INSERT ON authors BEGIN
        INSERT INTO authors_trigram (rowid, name_key) VALUES (new.id, new.name_key);
    END",
    "CREATE TRIGGER authors_trigram_delete AFTER DELETE ON authors BEGIN
        INSERT INTO authors_trigram (authors_trigram, rowid, name_key)
        VALUES ('delete', old.id, old.name_key);
    END",
    "CREATE TRIGGER authors_trigram_update AFTER UPDATE OF name_key ON authors BEGIN
        INSERT INTO authors_trigram (authors_trigram, rowid, name_key)
        VALUES ('delete', old.id, old.name_key);
        INSERT INTO authors_trigram (rowid, name_key) VALUES (new.id, new.name_key);
    END",
];

const SQLITE_DOWN: &[&str] = &[
    "DROP TRIGGER authors_trigram_update",
    "DROP TRIGGER authors_trigram_delete",
    "DROP TRIGGER authors_trigram_insert",
    "DROP TABLE authors_trigram",
];

const POSTGRES_UP: &[&str] = &[
    "DO $$ BEGIN
        CREATE EXTENSION IF NOT EXISTS pg_trgm;
    EXCEPTION WHEN OTHERS THEN
        RAISE WARNING 'pg_trgm is not available (%): author substring search walks the name index', SQLERRM;
    END $$",
    "DO $$ BEGIN
        IF EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm') THEN
            CREATE INDEX IF NOT EXISTS idx_authors_name_key_trigrams
                ON authors USING gin (name_key gin_trgm_ops);
        END IF;
    END $$",
];

const POSTGRES_DOWN: &[&str] = &["DROP INDEX IF EXISTS idx_authors_name_key_trigrams"];

per_backend_migration!(up: SQLITE_UP, POSTGRES_UP; down: SQLITE_DOWN, POSTGRES_DOWN);
