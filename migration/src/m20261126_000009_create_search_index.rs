//! The full-text index over papers: title, abstract and author names.
//!
//! Words are indexed twice: by English stem (for words and phrases: `layers` finds `layer`)
//! and as written (for prefixes: the stem of `optimization` is `optim`, which `optimiz*`
//! does not start). Both fold case and accents.
//!
//! SQLite: two FTS5 tables, rowid = paper id — `paper_search` (porter over unicode61) and
//! `paper_words` (unicode61) — each with the columns title, abstract, authors.
//! PostgreSQL: one `tsvector` per paper in `paper_search` under a GIN index: the title
//! (weight A), authors (B) and abstract (C) under the `paperboard_english` configuration
//! (`unaccent`, then English stems), followed by the same under `paperboard_words`
//! (`unaccent`, words as written).
//!
//! The application writes a paper's index rows in the transaction that stores the paper and
//! its byline; this migration builds them for the papers stored before it. Deleting a paper
//! deletes its rows (a trigger on SQLite, a cascading foreign key on PostgreSQL).

use sea_orm_migration::prelude::*;

use crate::per_backend::per_backend_migration;

#[derive(DeriveMigrationName)]
pub struct Migration;

const SQLITE_UP: &[&str] = &[
    "CREATE VIRTUAL TABLE paper_search USING fts5(
        title, abstract, authors,
        tokenize = 'porter unicode61 remove_diacritics 2'
    )",
    "CREATE VIRTUAL TABLE paper_words USING fts5(
        title, abstract, authors,
        tokenize = 'unicode61 remove_diacritics 2'
    )",
    "CREATE TRIGGER papers_search_delete AFTER DELETE ON papers BEGIN
        DELETE FROM paper_search WHERE rowid = OLD.id;
        DELETE FROM paper_words WHERE rowid = OLD.id;
    END",
    "INSERT INTO paper_search (rowid, title, abstract, authors)
        SELECT p.id, p.title, p.abstract,
            COALESCE((SELECT group_concat(a.name, ' ') FROM paper_authors pa
                JOIN authors a ON a.id = pa.author_id WHERE pa.paper_id = p.id), '')
        FROM papers p",
    "INSERT INTO paper_words (rowid, title, abstract, authors)
        SELECT rowid, title, abstract, authors FROM paper_search",
];

const POSTGRES_UP: &[&str] = &[
    "CREATE EXTENSION IF NOT EXISTS unaccent",
    "CREATE TEXT SEARCH CONFIGURATION paperboard_english (COPY = english)",
    "ALTER TEXT SEARCH CONFIGURATION paperboard_english
        ALTER MAPPING FOR hword, hword_part, word WITH unaccent, english_stem",
    "CREATE TEXT SEARCH CONFIGURATION paperboard_words (COPY = simple)",
    "ALTER TEXT SEARCH CONFIGURATION paperboard_words
        ALTER MAPPING FOR hword, hword_part, word WITH unaccent, simple",
    "CREATE TABLE paper_search (
        paper_id BIGINT PRIMARY KEY REFERENCES papers (id) ON DELETE CASCADE,
        document TSVECTOR NOT NULL
    )",
    // Kept in the row (compressed) rather than TOASTed: the planner costs a sequential scan
    // by the main table's size, and with the vectors out of line it looked cheaper than the
    // GIN index while every row's vector had to be fetched and decompressed.
    "ALTER TABLE paper_search ALTER COLUMN document SET STORAGE MAIN",
    "CREATE INDEX idx_paper_search_document ON paper_search USING GIN (document)",
    "INSERT INTO paper_search (paper_id, document)
        SELECT p.id, setweight(to_tsvector('paperboard_english', p.title), 'A')
            || setweight(to_tsvector('paperboard_english', COALESCE(byline.names, '')), 'B')
            || setweight(to_tsvector('paperboard_english', p.abstract), 'C')
            || setweight(to_tsvector('paperboard_words', p.title), 'A')
            || setweight(to_tsvector('paperboard_words', COALESCE(byline.names, '')), 'B')
            || setweight(to_tsvector('paperboard_words', p.abstract), 'C')
        FROM papers p LEFT JOIN (
            SELECT pa.paper_id, string_agg(a.name, ' ' ORDER BY pa.position) AS names
            FROM paper_authors pa JOIN authors a ON a.id = pa.author_id GROUP BY pa.paper_id
        ) byline ON byline.paper_id = p.id",
];

const SQLITE_DOWN: &[&str] = &[
    "DROP TRIGGER papers_search_delete",
    "DROP TABLE paper_words",
    "DROP TABLE paper_search",
];

const POSTGRES_DOWN: &[&str] = &[
    "DROP TABLE paper_search",
    "DROP TEXT SEARCH CONFIGURATION paperboard_words",
    "DROP TEXT SEARCH CONFIGURATION paperboard_english",
];

per_backend_migration!(up: SQLITE_UP, POSTGRES_UP; down: SQLITE_DOWN, POSTGRES_DOWN);
