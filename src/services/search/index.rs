//! Keeping the search indexes in step with the papers.

use sea_orm::{ConnectionTrait, DbBackend};

use crate::error::AppResult;
use crate::services::sql;

use super::coverage::{
    COVERAGES, Coverage, SQLITE_TABLES, SQLITE_TITLE_TABLES, STEMMED_CONFIG, WORDS_CONFIG,
    all_sqlite_tables,
};

/// Writes the index rows of these papers (title, abstract, byline) from their stored rows:
/// call it in the transaction that stores a paper and its byline.
///
/// # Errors
/// `INTERNAL_SERVER_ERROR` on database failure.
pub async fn index_papers(db: &impl ConnectionTrait, ids: &[i64]) -> AppResult<()> {
    for chunk in ids.chunks(sql::IN_LIST_CHUNK) {
        let values: Vec<sea_orm::Value> = chunk.iter().map(|id| (*id).into()).collect();
        let scope = format!("WHERE p.id IN ({})", sql::placeholders(chunk.len()));
        let backend = db.get_database_backend();
        if backend == DbBackend::Sqlite {
            for table in all_sqlite_tables() {
                let delete = format!(
                    "DELETE FROM {table} WHERE rowid IN ({})",
                    sql::placeholders(chunk.len())
                );
                db.execute_raw(sql::statement(backend, &delete, values.clone()))
                    .await?;
            }
        }
        for statement in index_sql(backend, &scope) {
            // The scope's list may appear more than once; every placeholder is one of its ids.
            let bound = values
                .iter()
                .cycle()
                .take(statement.matches('?').count())
                .cloned()
                .collect();
            db.execute_raw(sql::statement(backend, &statement, bound))
                .await?;
        }
    }
    Ok(())
}

/// Rebuilds the index rows of every paper (after a bulk load).
///
/// # Errors
/// The database's error.
pub async fn index_all(db: &impl ConnectionTrait) -> Result<(), sea_orm::DbErr> {
    let backend = db.get_database_backend();
    if backend == DbBackend::Sqlite {
        for table in all_sqlite_tables() {
            let delete = format!("DELETE FROM {table}");
            db.execute_raw(sql::statement(backend, &delete, Vec::new()))
                .await?;
        }
    }
    // A GIN index is built far faster in one pass than row by row.
    let rebuild_gin = backend == DbBackend::Postgres;
    if rebuild_gin {
        for coverage in COVERAGES {
            let drop = format!("DROP INDEX {}", coverage.pg_index());
            db.execute_raw(sql::statement(backend, &drop, Vec::new()))
                .await?;
        }
    }
    if backend == DbBackend::Postgres {
        // Sent as simple queries: PostgreSQL plans no parallel workers for a statement of
        // the extended protocol (a prepared statement), whose execution might be suspended.
        for statement in postgres_bulk_sql() {
            db.execute_unprepared(&statement).await?;
        }
    } else {
        for statement in index_sql(backend, "") {
            db.execute_raw(sql::statement(backend, &statement, Vec::new()))
                .await?;
        }
    }
    if rebuild_gin {
        for coverage in COVERAGES {
            let create = format!(
                "CREATE INDEX {} ON {} USING GIN (document)",
                coverage.pg_index(),
                coverage.pg_table()
            );
            db.execute_raw(sql::statement(backend, &create, Vec::new()))
                .await?;
        }
    }
    if backend == DbBackend::Sqlite {
        // A bulk insert leaves FTS5 with many segments, and every lookup of a paper's row
        // by id (snippets) seeks in each one: merged into one, those lookups are about
        // twice as fast.
        for table in all_sqlite_tables() {
            let optimize = format!("INSERT INTO {table} ({table}) VALUES ('optimize')");
            db.execute_raw(sql::statement(backend, &optimize, Vec::new()))
                .await?;
        }
    }
    Ok(())
}

/// The statements that index the papers `scope` (a `WHERE` on `papers p`) selects.
fn index_sql(backend: DbBackend, scope: &str) -> Vec<String> {
    if backend == DbBackend::Postgres {
        // The vectors are computed once and written to both tables.
        vec![format!(
            "WITH rows AS ({}), whole AS ({}) {}",
            postgres_rows(scope),
            copy_into(Coverage::Whole, "rows"),
            copy_into(Coverage::Titles, "rows")
        )]
    } else {
        // The stemmed whole-paper table is written from the papers; the others copy its
        // rows, which is several times faster than gathering each byline again.
        let [source, words] = SQLITE_TABLES;
        let mut statements = vec![format!(
            "INSERT INTO {source} (rowid, title, abstract, authors) \
             SELECT p.id, p.title, p.abstract, \
               COALESCE((SELECT group_concat(a.name, ' ') FROM paper_authors pa \
                 JOIN authors a ON a.id = pa.author_id WHERE pa.paper_id = p.id), '') \
             FROM papers p {scope}"
        )];
        let copy = |table: &str, columns: &[&str]| {
            let selected: Vec<String> =
                columns.iter().map(|column| format!("s.{column}")).collect();
            format!(
                "INSERT INTO {table} (rowid, {}) SELECT s.rowid, {} \
                 FROM papers p JOIN {source} s ON s.rowid = p.id {scope}",
                columns.join(", "),
                selected.join(", ")
            )
        };
        statements.push(copy(words, &["title", "abstract", "authors"]));
        for table in SQLITE_TITLE_TABLES {
            statements.push(copy(table, &["title", "authors"]));
        }
        statements
    }
}

/// Writes (or rewrites) the rows of `coverage`'s table from `source`, a relation of
/// `postgres_rows`' columns.
fn copy_into(coverage: Coverage, source: &str) -> String {
    let column = match coverage {
        Coverage::Whole => "document",
        Coverage::Titles => "title_document",
    };
    format!(
        "INSERT INTO {} (paper_id, document) SELECT id, {column} FROM {source} \
         ON CONFLICT (paper_id) DO UPDATE SET document = EXCLUDED.document",
        coverage.pg_table()
    )
}

/// Settings under which PostgreSQL computes a bulk load's vectors with parallel workers:
/// computing them is most of the indexing, and the planner's default costs keep a
/// 100,000-paper build in one process.
const PARALLEL_BUILD: [&str; 7] = [
    // Without statistics of the freshly loaded tables the planner joins the bylines in a
    // way that leaves the vectors to the leader process.
    "ANALYZE papers, paper_authors, authors",
    // Also for the GIN builds that follow.
    sql::ROOMY_MAINTENANCE_MEMORY,
    "SET LOCAL parallel_setup_cost = 0",
    "SET LOCAL parallel_tuple_cost = 0",
    "SET LOCAL min_parallel_table_scan_size = 0",
    // The leader stores the rows the workers compute; computing as well, it falls behind.
    "SET LOCAL parallel_leader_participation = off",
    // A vector (about 3 KB) is over the TOAST threshold: pglz tries and mostly gives up,
    // lz4 compresses it in a fraction of the time, and every later copy moves less.
    "SELECT set_config('default_toast_compression', 'lz4', true) FROM pg_settings \
     WHERE name = 'default_toast_compression' AND 'lz4' = ANY (enumvals)",
];

/// Every paper's rows, their vectors computed by parallel workers: a `CREATE TABLE AS` may
/// run in parallel where an `INSERT … SELECT` may not (PostgreSQL 15), so the rows are
/// built in a scratch table of the same transaction and copied.
///
/// The title terms are built the same way, apart from the triggers that keep them row by
/// row: every row is written again (the table emptied first), and its key is built once
/// at the end instead of entry by entry.
fn postgres_bulk_sql() -> Vec<String> {
    let mut statements: Vec<String> = PARALLEL_BUILD.iter().map(|s| (*s).to_owned()).collect();
    statements.push(format!(
        "CREATE UNLOGGED TABLE paper_search_build AS {}",
        postgres_rows("")
    ));
    statements.push("ALTER TABLE paper_title_search DISABLE TRIGGER USER".to_owned());
    for coverage in COVERAGES {
        statements.push(copy_into(coverage, "paper_search_build"));
    }
    statements.push("ALTER TABLE paper_title_search ENABLE TRIGGER USER".to_owned());
    statements.extend(
        [
            "TRUNCATE paper_title_terms",
            "ALTER TABLE paper_title_terms DROP CONSTRAINT pk_paper_title_terms",
            "CREATE UNLOGGED TABLE title_terms_build AS \
             SELECT t.* FROM paper_search_build b, title_terms(b.title_document, b.id) t",
            "INSERT INTO paper_title_terms (lexeme, score, paper_id) \
             SELECT lexeme, score, paper_id FROM title_terms_build",
            "DROP TABLE title_terms_build",
            "ALTER TABLE paper_title_terms \
             ADD CONSTRAINT pk_paper_title_terms PRIMARY KEY (lexeme, score, paper_id)",
            "DROP TABLE paper_search_build",
        ]
        .map(str::to_owned),
    );
    statements
}

/// `SELECT id, document, title_document` of the papers `scope` selects (PostgreSQL).
fn postgres_rows(scope: &str) -> String {
    // Title (A) and byline (B), then abstract (C) for the whole paper, under each
    // configuration: six vectors, each computed once and concatenated into both documents.
    let parts = [STEMMED_CONFIG, WORDS_CONFIG].map(|config| {
        format!(
            "setweight(to_tsvector('{config}', p.title), 'A') AS {config}_title, \
             setweight(to_tsvector('{config}', COALESCE(byline.names, '')), 'B') AS {config}_byline, \
             setweight(to_tsvector('{config}', p.abstract), 'C') AS {config}_abstract"
        )
    });
    let document = |parts: &[&str]| {
        [STEMMED_CONFIG, WORDS_CONFIG]
            .iter()
            .flat_map(|config| parts.iter().map(move |part| format!("v.{config}_{part}")))
            .collect::<Vec<_>>()
            .join(" || ")
    };
    // Bylines are aggregated in one pass: a correlated subquery per paper is planned as
    // a hash join over both tables *per paper* when the tables have no statistics yet
    // (as in the generator's transaction).
    let bylines = if scope.is_empty() {
        "SELECT pa.paper_id, string_agg(a.name, ' ' ORDER BY pa.position) AS names \
             FROM paper_authors pa JOIN authors a ON a.id = pa.author_id GROUP BY pa.paper_id"
            .to_owned()
    } else {
        format!(
            "SELECT pa.paper_id, string_agg(a.name, ' ' ORDER BY pa.position) AS names \
                 FROM paper_authors pa JOIN authors a ON a.id = pa.author_id \
                 WHERE pa.paper_id IN (SELECT p.id FROM papers p {scope}) GROUP BY pa.paper_id"
        )
    };
    // `OFFSET 0` keeps the subquery whole: pulled up, each vector would be computed once
    // per document that uses it.
    format!(
        "SELECT v.id, {} AS document, {} AS title_document \
         FROM (SELECT p.id, {} \
           FROM papers p LEFT JOIN ({bylines}) byline ON byline.paper_id = p.id {scope} \
           OFFSET 0) v",
        document(&["title", "byline", "abstract"]),
        document(&["title", "byline"]),
        parts.join(", "),
    )
}
