//! Public and unlisted collections outlive their owner's account, as comments do:
//! `collections.owner_id` becomes nullable, set null when the account goes. (Private ones
//! are deleted with the account by the service, before the account row.)
//!
//! SQLite cannot change a column's constraint in place: the table is rebuilt by its
//! documented procedure (foreign keys off, copy, drop, rename, indexes and the triggers that
//! name the table recreated, foreign keys checked). Migrations on SQLite run on the single
//! writer connection, outside a transaction, so the pragma holds for every statement here.

use sea_orm_migration::prelude::*;

use crate::per_backend::run;

#[derive(DeriveMigrationName)]
pub struct Migration;

const SQLITE_UP: &[&str] = &[
    "PRAGMA foreign_keys = OFF",
    "BEGIN",
    "DROP TRIGGER collection_items_count_insert",
    "DROP TRIGGER collection_items_count_delete",
    "CREATE TABLE collections_rebuilt (
        id integer NOT NULL PRIMARY KEY AUTOINCREMENT,
        owner_id integer NULL REFERENCES users (id) ON DELETE SET NULL,
        name text NOT NULL,
        description text NOT NULL DEFAULT '',
        visibility text NOT NULL,
        item_count integer NOT NULL DEFAULT 0,
        created_at timestamp_with_timezone_text NOT NULL,
        updated_at timestamp_with_timezone_text NOT NULL
    )",
    "INSERT INTO collections_rebuilt
        (id, owner_id, name, description, visibility, item_count, created_at, updated_at)
        SELECT id, owner_id, name, description, visibility, item_count, created_at, updated_at
        FROM collections",
    "DROP TABLE collections",
    "ALTER TABLE collections_rebuilt RENAME TO collections",
    "CREATE INDEX idx_collections_owner ON collections (owner_id, id)",
    "CREATE TRIGGER collection_items_count_insert AFTER INSERT ON collection_items BEGIN
        UPDATE collections SET item_count = item_count + 1 WHERE id = NEW.collection_id;
    END",
    "CREATE TRIGGER collection_items_count_delete AFTER DELETE ON collection_items BEGIN
        UPDATE collections SET item_count = item_count - 1 WHERE id = OLD.collection_id;
    END",
    "COMMIT",
    "PRAGMA foreign_keys = ON",
];

const POSTGRES_UP: &[&str] = &[
    "ALTER TABLE collections ALTER COLUMN owner_id DROP NOT NULL",
    "ALTER TABLE collections DROP CONSTRAINT collections_owner_id_fkey",
    "ALTER TABLE collections ADD CONSTRAINT collections_owner_id_fkey
        FOREIGN KEY (owner_id) REFERENCES users (id) ON DELETE SET NULL",
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        run(manager, SQLITE_UP, POSTGRES_UP).await?;
        if manager.get_database_backend() != sea_orm_migration::sea_orm::DbBackend::Postgres {
            check_foreign_keys(manager).await?;
        }
        Ok(())
    }

    async fn down(&self, _manager: &SchemaManager) -> Result<(), DbErr> {
        // Owner-less collections have no owner to give back: there is no way down.
        Err(DbErr::Migration(
            "collections of deleted accounts cannot be given owners again".to_owned(),
        ))
    }
}

/// Fails when the rebuilt table broke a foreign key (it cannot: the rows are copied as
/// they were; this is the procedure's own check).
async fn check_foreign_keys(manager: &SchemaManager<'_>) -> Result<(), DbErr> {
    use sea_orm_migration::sea_orm::{ConnectionTrait, Statement};
    let backend = manager.get_database_backend();
    let broken = manager
        .get_connection()
        .query_all_raw(Statement::from_string(backend, "PRAGMA foreign_key_check"))
        .await?;
    if broken.is_empty() {
        Ok(())
    } else {
        Err(DbErr::Migration(format!(
            "{} rows break a foreign key after rebuilding collections",
            broken.len()
        )))
    }
}
