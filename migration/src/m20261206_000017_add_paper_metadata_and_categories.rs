//! What the real sources say about a paper beyond its title and byline: DOI, journal
//! reference, the authors' comment line, licence, version, PDF link, GitHub stars, whether it
//! was withdrawn, when the record last changed (`updated_at`, NULL until it first does) and
//! its arXiv categories.
//!
//! `paper_categories` holds one row per (paper, category code), `position` 0 for the primary
//! category. `categories` holds each code that has papers with its paper count, kept exact
//! by triggers on every insert and delete (like `papers.upvote_count`); the human names come
//! from the arXiv taxonomy in the code. Existing papers have no categories.

use sea_orm_migration::prelude::*;

use crate::per_backend::per_backend_migration;

#[derive(DeriveMigrationName)]
pub struct Migration;

const SQLITE_UP: &[&str] = &[
    "ALTER TABLE papers ADD COLUMN doi text NULL",
    "ALTER TABLE papers ADD COLUMN journal_ref text NULL",
    "ALTER TABLE papers ADD COLUMN arxiv_comment text NULL",
    "ALTER TABLE papers ADD COLUMN license text NULL",
    "ALTER TABLE papers ADD COLUMN version integer NULL",
    "ALTER TABLE papers ADD COLUMN pdf_url text NULL",
    "ALTER TABLE papers ADD COLUMN github_stars integer NULL",
    "ALTER TABLE papers ADD COLUMN withdrawn boolean NOT NULL DEFAULT FALSE",
    "ALTER TABLE papers ADD COLUMN updated_at timestamp_with_timezone_text NULL",
    "CREATE TABLE categories (
        code text NOT NULL PRIMARY KEY,
        paper_count integer NOT NULL DEFAULT 0
    )",
    "CREATE TABLE paper_categories (
        paper_id integer NOT NULL REFERENCES papers (id) ON DELETE CASCADE,
        code text NOT NULL,
        position integer NOT NULL,
        PRIMARY KEY (paper_id, code)
    )",
    "CREATE INDEX \"idx-paper_categories-code-paper_id\" ON paper_categories (code, paper_id)",
    "CREATE INDEX \"idx-categories-paper_count-code\" ON categories (paper_count, code)",
    "CREATE TRIGGER paper_categories_count_insert AFTER INSERT ON paper_categories BEGIN
        INSERT INTO categories (code, paper_count) VALUES (NEW.code, 1)
            ON CONFLICT (code) DO UPDATE SET paper_count = paper_count + 1;
    END",
    "CREATE TRIGGER paper_categories_count_delete AFTER DELETE ON paper_categories BEGIN
        UPDATE categories SET paper_count = paper_count - 1 WHERE code = OLD.code;
    END",
];

const POSTGRES_UP: &[&str] = &[
    "ALTER TABLE papers
        ADD COLUMN doi text NULL,
        ADD COLUMN journal_ref text NULL,
        ADD COLUMN arxiv_comment text NULL,
        ADD COLUMN license text NULL,
        ADD COLUMN version integer NULL,
        ADD COLUMN pdf_url text NULL,
        ADD COLUMN github_stars integer NULL,
        ADD COLUMN withdrawn boolean NOT NULL DEFAULT FALSE,
        ADD COLUMN updated_at timestamptz NULL",
    "CREATE TABLE categories (
        code text NOT NULL PRIMARY KEY,
        paper_count integer NOT NULL DEFAULT 0
    )",
    "CREATE TABLE paper_categories (
        paper_id bigint NOT NULL REFERENCES papers (id) ON DELETE CASCADE,
        code text NOT NULL,
        position integer NOT NULL,
        PRIMARY KEY (paper_id, code)
    )",
    "CREATE INDEX \"idx-paper_categories-code-paper_id\" ON paper_categories (code, paper_id)",
    "CREATE INDEX \"idx-categories-paper_count-code\" ON categories (paper_count, code)",
    "CREATE FUNCTION paper_categories_count() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP = 'INSERT' THEN
            INSERT INTO categories (code, paper_count) VALUES (NEW.code, 1)
                ON CONFLICT (code) DO UPDATE SET paper_count = categories.paper_count + 1;
        ELSE
            UPDATE categories SET paper_count = paper_count - 1 WHERE code = OLD.code;
        END IF;
        RETURN NULL;
    END
    $$",
    "CREATE TRIGGER paper_categories_count AFTER INSERT OR DELETE ON paper_categories
        FOR EACH ROW EXECUTE FUNCTION paper_categories_count()",
];

const SQLITE_DOWN: &[&str] = &[
    "DROP TABLE paper_categories",
    "DROP TABLE categories",
    "ALTER TABLE papers DROP COLUMN updated_at",
    "ALTER TABLE papers DROP COLUMN withdrawn",
    "ALTER TABLE papers DROP COLUMN github_stars",
    "ALTER TABLE papers DROP COLUMN pdf_url",
    "ALTER TABLE papers DROP COLUMN version",
    "ALTER TABLE papers DROP COLUMN license",
    "ALTER TABLE papers DROP COLUMN arxiv_comment",
    "ALTER TABLE papers DROP COLUMN journal_ref",
    "ALTER TABLE papers DROP COLUMN doi",
];

const POSTGRES_DOWN: &[&str] = &[
    "DROP TABLE paper_categories",
    "DROP FUNCTION paper_categories_count()",
    "DROP TABLE categories",
    "ALTER TABLE papers
        DROP COLUMN updated_at, DROP COLUMN withdrawn, DROP COLUMN github_stars,
        DROP COLUMN pdf_url, DROP COLUMN version, DROP COLUMN license,
        DROP COLUMN arxiv_comment, DROP COLUMN journal_ref, DROP COLUMN doi",
];

per_backend_migration!(up: SQLITE_UP, POSTGRES_UP; down: SQLITE_DOWN, POSTGRES_DOWN);
