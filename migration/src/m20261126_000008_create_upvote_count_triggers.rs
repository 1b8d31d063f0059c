//! Triggers that keep `papers.upvote_count` equal to `upvote_baseline` + upvote rows on every
//! insert and delete of an upvote — whoever writes, however concurrently — and queue the
//! paper for the next ranking refresh.

use sea_orm_migration::prelude::*;

use crate::per_backend::per_backend_migration;

#[derive(DeriveMigrationName)]
pub struct Migration;

const SQLITE_UP: &[&str] = &[
    "CREATE TRIGGER upvotes_count_insert AFTER INSERT ON upvotes BEGIN
        UPDATE papers SET upvote_count = upvote_count + 1 WHERE id = NEW.paper_id;
        INSERT OR IGNORE INTO ranking_queue (paper_id) VALUES (NEW.paper_id);
    END",
    "CREATE TRIGGER upvotes_count_delete AFTER DELETE ON upvotes BEGIN
        UPDATE papers SET upvote_count = upvote_count - 1 WHERE id = OLD.paper_id;
        INSERT OR IGNORE INTO ranking_queue (paper_id) VALUES (OLD.paper_id);
    END",
];

/// Also what migration 000031 restores when it is undone.
pub(crate) const POSTGRES_UP: &[&str] = &[
    "CREATE FUNCTION upvotes_count() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP = 'INSERT' THEN
            UPDATE papers SET upvote_count = upvote_count + 1 WHERE id = NEW.paper_id;
            INSERT INTO ranking_queue (paper_id) VALUES (NEW.paper_id) ON CONFLICT DO NOTHING;
        ELSE
            UPDATE papers SET upvote_count = upvote_count - 1 WHERE id = OLD.paper_id;
            INSERT INTO ranking_queue (paper_id) VALUES (OLD.paper_id) ON CONFLICT DO NOTHING;
        END IF;
        RETURN NULL;
    END
    $$",
    "CREATE TRIGGER upvotes_count AFTER INSERT OR DELETE ON upvotes
        FOR EACH ROW EXECUTE FUNCTION upvotes_count()",
];

const SQLITE_DOWN: &[&str] = &[
    "DROP TRIGGER upvotes_count_insert",
    "DROP TRIGGER upvotes_count_delete",
];

const POSTGRES_DOWN: &[&str] = &[
    "DROP TRIGGER upvotes_count ON upvotes",
    "DROP FUNCTION upvotes_count()",
];

per_backend_migration!(up: SQLITE_UP, POSTGRES_UP; down: SQLITE_DOWN, POSTGRES_DOWN);
