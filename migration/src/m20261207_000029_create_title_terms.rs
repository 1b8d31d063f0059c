//! PostgreSQL: `paper_title_terms`, every (lexeme, score, paper) of the title-and-byline
//! vectors, ordered by the primary key, so that the first tier of a one-word search is a
//! range scan of its best-scoring rows instead of a ranking of every match.
//!
//! A common word's first tier holds tens of thousands of papers at 1,000,000 papers, and
//! GIN keeps no order by score: each match was read from `paper_title_search` and ranked
//! by `ts_rank_cd`. Here each row carries the score that ranking gives the paper for that
//! lexeme alone, computed by the same function. Statement triggers on `paper_title_search`
//! keep the rows in step with every write of the vectors (insert, update, and the delete
//! cascaded from `papers`); an old row is found again by its whole key, recomputed from
//! the old vector. SQLite ranks its title tables by bm25 from FTS5: nothing changes there.

use sea_orm_migration::prelude::*;

use crate::per_backend::per_backend_migration;

#[derive(DeriveMigrationName)]
pub struct Migration;

const POSTGRES_UP: &[&str] = &[
    "CREATE TABLE paper_title_terms (
        lexeme text NOT NULL,
        score float8 NOT NULL,
        paper_id bigint NOT NULL
    )",
    // The lexeme is quoted for `tsquery` input (quotes and backslashes doubled), so that any
    // lexeme, whatever it holds, is queried as itself.
    r"CREATE FUNCTION title_terms(document tsvector, paper_id bigint)
    RETURNS TABLE (lexeme text, score float8, paper_id bigint)
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
        SELECT w.lexeme,
               ts_rank_cd(
                   document,
                   ('''' || replace(replace(w.lexeme, '\', '\\'), '''', '''''') || '''')::tsquery
               )::float8,
               paper_id
          FROM unnest(document) w
    $$",
    "CREATE FUNCTION add_title_terms() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        INSERT INTO paper_title_terms (lexeme, score, paper_id)
        SELECT t.* FROM new_rows n, title_terms(n.document, n.paper_id) t;
        RETURN NULL;
    END $$",
    "CREATE FUNCTION forget_title_terms() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        DELETE FROM paper_title_terms p
         USING old_rows o, title_terms(o.document, o.paper_id) t
         WHERE p.lexeme = t.lexeme AND p.score = t.score AND p.paper_id = t.paper_id;
        RETURN NULL;
    END $$",
    // The key is built after the existing papers' rows are in: by sorting, once, rather
    // than entry by entry.
    "INSERT INTO paper_title_terms (lexeme, score, paper_id)
        SELECT t.* FROM paper_title_search s, title_terms(s.document, s.paper_id) t",
    "ALTER TABLE paper_title_terms
        ADD CONSTRAINT pk_paper_title_terms PRIMARY KEY (lexeme, score, paper_id)",
    "CREATE TRIGGER title_terms_added AFTER INSERT ON paper_title_search
        REFERENCING NEW TABLE AS new_rows
        FOR EACH STATEMENT EXECUTE FUNCTION add_title_terms()",
    // An update forgets the old rows, then adds the new: triggers of one event fire in the
    // order of their names.
    "CREATE TRIGGER title_terms_revised_1_forget AFTER UPDATE ON paper_title_search
        REFERENCING OLD TABLE AS old_rows
        FOR EACH STATEMENT EXECUTE FUNCTION forget_title_terms()",
    "CREATE TRIGGER title_terms_revised_2_add AFTER UPDATE ON paper_title_search
        REFERENCING NEW TABLE AS new_rows
        FOR EACH STATEMENT EXECUTE FUNCTION add_title_terms()",
    "CREATE TRIGGER title_terms_removed AFTER DELETE ON paper_title_search
        REFERENCING OLD TABLE AS old_rows
        FOR EACH STATEMENT EXECUTE FUNCTION forget_title_terms()",
];

const POSTGRES_DOWN: &[&str] = &[
    "DROP TRIGGER title_terms_removed ON paper_title_search",
    "DROP TRIGGER title_terms_revised_2_add ON paper_title_search",
    "DROP TRIGGER title_terms_revised_1_forget ON paper_title_search",
    "DROP TRIGGER title_terms_added ON paper_title_search",
    "DROP FUNCTION forget_title_terms()",
    "DROP FUNCTION add_title_terms()",
    "DROP FUNCTION title_terms(tsvector, bigint)",
    "DROP TABLE paper_title_terms",
];

per_backend_migration!(up: &[], POSTGRES_UP; down: &[], POSTGRES_DOWN);
