//! Collections: named, ordered lists of papers with notes.
//!
//! Items keep their order in `position`, spaced apart so that moving one is a single
//! update to a value between its new neighbours (the service renumbers a collection only
//! when two neighbours leave no room). `(collection_id, position, paper_id)` serves a
//! collection's pages; `(paper_id, collection_id)` the collections holding a paper.
//! `collections.item_count` is kept exact by triggers, whoever deletes (a deleted paper
//! leaves its collections too).

use sea_orm_migration::prelude::*;

use crate::per_backend::per_backend_migration;

#[derive(DeriveMigrationName)]
pub struct Migration;

const SQLITE_UP: &[&str] = &[
    "CREATE TABLE collections (
        id integer NOT NULL PRIMARY KEY AUTOINCREMENT,
        owner_id integer NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        name text NOT NULL,
        description text NOT NULL DEFAULT '',
        visibility text NOT NULL,
        item_count integer NOT NULL DEFAULT 0,
        created_at timestamp_with_timezone_text NOT NULL,
        updated_at timestamp_with_timezone_text NOT NULL
    )",
    "CREATE INDEX idx_collections_owner ON collections (owner_id, id)",
    "CREATE TABLE collection_items (
        collection_id integer NOT NULL REFERENCES collections (id) ON DELETE CASCADE,
        paper_id integer NOT NULL REFERENCES papers (id) ON DELETE CASCADE,
        position bigint NOT NULL,
        note text NULL,
        added_at timestamp_with_timezone_text NOT NULL,
        PRIMARY KEY (collection_id, paper_id)
    )",
    "CREATE INDEX idx_collection_items_order
        ON collection_items (collection_id, position, paper_id)",
    "CREATE INDEX idx_collection_items_paper ON collection_items (paper_id, collection_id)",
    "CREATE TRIGGER collection_items_count_insert AFTER INSERT ON collection_items BEGIN
        UPDATE collections SET item_count = item_count + 1 WHERE id = NEW.collection_id;
    END",
    "CREATE TRIGGER collection_items_count_delete AFTER DELETE ON collection_items BEGIN
        UPDATE collections SET item_count = item_count - 1 WHERE id = OLD.collection_id;
    END",
];

const POSTGRES_UP: &[&str] = &[
    "CREATE TABLE collections (
        id bigserial PRIMARY KEY,
        owner_id bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        name text NOT NULL,
        description text NOT NULL DEFAULT '',
        visibility text NOT NULL,
        item_count integer NOT NULL DEFAULT 0,
        created_at timestamptz NOT NULL,
        updated_at timestamptz NOT NULL
    )",
    "CREATE INDEX idx_collections_owner ON collections (owner_id, id)",
    "CREATE TABLE collection_items (
        collection_id bigint NOT NULL REFERENCES collections (id) ON DELETE CASCADE,
        paper_id bigint NOT NULL REFERENCES papers (id) ON DELETE CASCADE,
        position bigint NOT NULL,
        note text NULL,
        added_at timestamptz NOT NULL,
        PRIMARY KEY (collection_id, paper_id)
    )",
    "CREATE INDEX idx_collection_items_order
        ON collection_items (collection_id, position, paper_id)",
    "CREATE INDEX idx_collection_items_paper ON collection_items (paper_id, collection_id)",
    "CREATE FUNCTION collection_items_count() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP = 'INSERT' THEN
            UPDATE collections SET item_count = item_count + 1 WHERE id = NEW.collection_id;
        ELSE
            UPDATE collections SET item_count = item_count - 1 WHERE id = OLD.collection_id;
        END IF;
        RETURN NULL;
    END
    $$",
    "CREATE TRIGGER collection_items_count AFTER INSERT OR DELETE ON collection_items
        FOR EACH ROW EXECUTE FUNCTION collection_items_count()",
];

const SQLITE_DOWN: &[&str] = &["DROP TABLE collection_items", "DROP TABLE collections"];

const POSTGRES_DOWN: &[&str] = &[
    "DROP TABLE collection_items",
    "DROP FUNCTION collection_items_count()",
    "DROP TABLE collections",
];

per_backend_migration!(up: SQLITE_UP, POSTGRES_UP; down: SQLITE_DOWN, POSTGRES_DOWN);
