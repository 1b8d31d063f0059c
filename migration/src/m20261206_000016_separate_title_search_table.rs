//! PostgreSQL: the title-and-byline vectors move out of `paper_search` into a table of
//! their own, `paper_title_search`.
//!
//! The first tier of search results reads every title match's row to rank it. In
//! `paper_search` each of those rows also carries the paper's whole vector (abstract
//! included, kept in the row), so a common word read most of that table's pages; the
//! rows of `paper_title_search` are a few times smaller. SQLite already keeps the title
//! index in tables of its own: nothing changes there.

use sea_orm_migration::prelude::*;

use crate::per_backend::per_backend_migration;

#[derive(DeriveMigrationName)]
pub struct Migration;

const POSTGRES_UP: &[&str] = &[
    "CREATE TABLE paper_title_search (
        paper_id BIGINT PRIMARY KEY REFERENCES papers (id) ON DELETE CASCADE,
        document TSVECTOR NOT NULL
    )",
    // As `paper_search.document`: in the row, so that the planner costs the table by size.
    "ALTER TABLE paper_title_search ALTER COLUMN document SET STORAGE MAIN",
    "INSERT INTO paper_title_search (paper_id, document)
        SELECT paper_id, title_document FROM paper_search",
    "CREATE INDEX idx_paper_title_search_document ON paper_title_search USING GIN (document)",
    "ALTER TABLE paper_search DROP COLUMN title_document",
];

const POSTGRES_DOWN: &[&str] = &[
    "ALTER TABLE paper_search ADD COLUMN title_document TSVECTOR NOT NULL DEFAULT ''",
    "UPDATE paper_search ps SET title_document = t.document
        FROM paper_title_search t WHERE t.paper_id = ps.paper_id",
    "ALTER TABLE paper_search ALTER COLUMN title_document DROP DEFAULT",
    "CREATE INDEX idx_paper_search_title_document ON paper_search USING GIN (title_document)",
    "DROP TABLE paper_title_search",
];

per_backend_migration!(up: &[], POSTGRES_UP; down: &[], POSTGRES_DOWN);
