//! A second, small full-text index over each paper's title and author names only: the
//! first tier of search results (papers whose title or byline holds every query term) is
//! found and ranked there without reading the abstracts' far longer posting lists.
//!
//! SQLite: two FTS5 tables, rowid = paper id, columns title and authors — `paper_titles`
//! (porter over unicode61) and `paper_title_words` (unicode61), tokenised as `paper_search`
//! and `paper_words`. PostgreSQL: a `title_document` vector beside `document` in
//! `paper_search` (title A, authors B, under both configurations) with its own GIN index.
//! Deleting a paper deletes these rows as it does the others.

use sea_orm_migration::prelude::*;

use crate::per_backend::per_backend_migration;

#[derive(DeriveMigrationName)]
pub struct Migration;

const SQLITE_UP: &[&str] = &[
    "CREATE VIRTUAL TABLE paper_titles USING fts5(
        title, authors,
        tokenize = 'porter unicode61 remove_diacritics 2'
    )",
    "CREATE VIRTUAL TABLE paper_title_words USING fts5(
        title, authors,
        tokenize = 'unicode61 remove_diacritics 2'
    )",
    "DROP TRIGGER papers_search_delete",
    "CREATE TRIGGER papers_search_delete AFTER DELETE ON papers BEGIN
        DELETE FROM paper_search WHERE rowid = OLD.id;
        DELETE FROM paper_words WHERE rowid = OLD.id;
        DELETE FROM paper_titles WHERE rowid = OLD.id;
        DELETE FROM paper_title_words WHERE rowid = OLD.id;
    END",
    "INSERT INTO paper_titles (rowid, title, authors)
        SELECT rowid, title, authors FROM paper_search",
    "INSERT INTO paper_title_words (rowid, title, authors)
        SELECT rowid, title, authors FROM paper_search",
];

const POSTGRES_UP: &[&str] = &[
    "ALTER TABLE paper_search ADD COLUMN title_document TSVECTOR NOT NULL DEFAULT ''",
    "UPDATE paper_search ps
        SET title_document = setweight(to_tsvector('paperboard_english', p.title), 'A')
            || setweight(to_tsvector('paperboard_english', COALESCE(byline.names, '')), 'B')
            || setweight(to_tsvector('paperboard_words', p.title), 'A')
            || setweight(to_tsvector('paperboard_words', COALESCE(byline.names, '')), 'B')
        FROM papers p LEFT JOIN (
            SELECT pa.paper_id, string_agg(a.name, ' ' ORDER BY pa.position) AS names
            FROM paper_authors pa JOIN authors a ON a.id = pa.author_id GROUP BY pa.paper_id
        ) byline ON byline.paper_id = p.id
        WHERE p.id = ps.paper_id",
    "ALTER TABLE paper_search ALTER COLUMN title_document DROP DEFAULT",
    "CREATE INDEX idx_paper_search_title_document ON paper_search USING GIN (title_document)",
];

const SQLITE_DOWN: &[&str] = &[
    "DROP TRIGGER papers_search_delete",
    "CREATE TRIGGER papers_search_delete AFTER DELETE ON papers BEGIN
        DELETE FROM paper_search WHERE rowid = OLD.id;
        DELETE FROM paper_words WHERE rowid = OLD.id;
    END",
    "DROP TABLE paper_title_words",
    "DROP TABLE paper_titles",
];

const POSTGRES_DOWN: &[&str] = &["ALTER TABLE paper_search DROP COLUMN title_document"];

per_backend_migration!(up: SQLITE_UP, POSTGRES_UP; down: SQLITE_DOWN, POSTGRES_DOWN);
