//! An author's papers in their list's order straight from an index: each byline row keeps
//! its paper's `published_order` and `submitted_at`, under an index on
//! `(author_id, published_order, submitted_at, paper_id)`. A page of an author's papers is
//! then a range of that index, however many papers the author has. Writers set both
//! columns with the row; a trigger keeps them equal to the paper's if the paper changes.

use sea_orm_migration::prelude::*;

use crate::per_backend::per_backend_migration;

#[derive(DeriveMigrationName)]
pub struct Migration;

const SQLITE_UP: &[&str] = &[
    "ALTER TABLE paper_authors ADD COLUMN published_order date_text NOT NULL DEFAULT '0001-01-01'",
    "ALTER TABLE paper_authors ADD COLUMN submitted_at timestamp_with_timezone_text NOT NULL DEFAULT '1970-01-01T00:00:00+00:00'",
    "UPDATE paper_authors SET
        published_order = (SELECT p.published_order FROM papers p WHERE p.id = paper_authors.paper_id),
        submitted_at = (SELECT p.submitted_at FROM papers p WHERE p.id = paper_authors.paper_id)",
    "CREATE INDEX \"idx-paper_authors-author_id-published_order-submitted_at-paper_id\"
        ON paper_authors (author_id, published_order, submitted_at, paper_id)",
    "CREATE TRIGGER papers_ordering_keys AFTER UPDATE OF published_order, submitted_at ON papers
     BEGIN
        UPDATE paper_authors SET published_order = NEW.published_order, submitted_at = NEW.submitted_at
        WHERE paper_id = NEW.id;
     END",
];

const POSTGRES_UP: &[&str] = &[
    "ALTER TABLE paper_authors ADD COLUMN published_order date NOT NULL DEFAULT '0001-01-01'",
    "ALTER TABLE paper_authors ADD COLUMN submitted_at timestamptz NOT NULL DEFAULT '1970-01-01T00:00:00Z'",
    "UPDATE paper_authors pa SET published_order = p.published_order, submitted_at = p.submitted_at
        FROM papers p WHERE p.id = pa.paper_id",
    "CREATE INDEX \"idx-paper_authors-author_id-published_order-submitted_at-paper_id\"
        ON paper_authors (author_id, published_order, submitted_at, paper_id)",
    "CREATE FUNCTION papers_ordering_keys() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        UPDATE paper_authors SET published_order = NEW.published_order, submitted_at = NEW.submitted_at
        WHERE paper_id = NEW.id;
        RETURN NULL;
    END
    $$",
    "CREATE TRIGGER papers_ordering_keys AFTER UPDATE OF published_order, submitted_at ON papers
        FOR EACH ROW WHEN (OLD.published_order IS DISTINCT FROM NEW.published_order
                           OR OLD.submitted_at IS DISTINCT FROM NEW.submitted_at)
        EXECUTE FUNCTION papers_ordering_keys()",
];

const SQLITE_DOWN: &[&str] = &[
    "DROP TRIGGER papers_ordering_keys",
    "DROP INDEX \"idx-paper_authors-author_id-published_order-submitted_at-paper_id\"",
    "ALTER TABLE paper_authors DROP COLUMN submitted_at",
    "ALTER TABLE paper_authors DROP COLUMN published_order",
];

const POSTGRES_DOWN: &[&str] = &[
    "DROP TRIGGER papers_ordering_keys ON papers",
    "DROP FUNCTION papers_ordering_keys()",
    "DROP INDEX \"idx-paper_authors-author_id-published_order-submitted_at-paper_id\"",
    "ALTER TABLE paper_authors DROP COLUMN submitted_at",
    "ALTER TABLE paper_authors DROP COLUMN published_order",
];

per_backend_migration!(up: SQLITE_UP, POSTGRES_UP; down: SQLITE_DOWN, POSTGRES_DOWN);
