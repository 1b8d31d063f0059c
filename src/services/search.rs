//! Full-text search over papers: keeping the index in step with the papers, ranked and
//! filtered result pages, counts and highlighted snippets.
//!
//! SQLite ranks with FTS5's bm25 (title weighs 10, authors 5, abstract 1); PostgreSQL with
//! `ts_rank_cd` over a vector weighted title A, authors B, abstract C. Either way the score
//! is "higher is better" and pages are keyset ranges over (score, id).

use std::collections::HashMap;

use entity::paper;
use sea_orm::sea_query::{Alias, Expr, ExprTrait, JoinType, Query, SelectStatement};
use sea_orm::{
    ConnectionTrait, DbBackend, EntityTrait, FromQueryResult, QueryFilter, QuerySelect, QueryTrait,
    Select,
};

use crate::error::AppResult;
use crate::pagination::{Page, PageRequest};
use crate::search::{SearchQuery, WordIndex};

use super::keyset::{apply_page, apply_page_to_statement};
use super::papers::{self, PaperFilter};
use super::sql;

/// Marks the start of a highlighted match in a snippet, before it is turned into HTML.
const MATCH_START: char = '\u{E000}';
/// Marks the end of a highlighted match.
const MATCH_END: char = '\u{E001}';
/// Words in a snippet.
const SNIPPET_WORDS: u32 = 32;

/// Search results: which papers match, narrowed by a filter.
#[derive(Debug, Clone)]
pub struct SearchListing {
    pub query: SearchQuery,
    pub filter: PaperFilter,
}

/// A matching paper and its score (higher is a better match).
#[derive(Debug, Clone)]
pub struct Hit {
    pub paper: paper::Model,
    pub score: f64,
}

/// Writes the index rows of these papers (title, abstract, byline) from their stored rows:
/// call it in the transaction that stores a paper and its byline.
///
/// # Errors
/// `INTERNAL_SERVER_ERROR` on database failure.
pub async fn index_papers(db: &impl ConnectionTrait, ids: &[i64]) -> AppResult<()> {
    for chunk in ids.chunks(500) {
        let values: Vec<sea_orm::Value> = chunk.iter().map(|id| (*id).into()).collect();
        let scope = format!("WHERE p.id IN ({})", sql::placeholders(chunk.len()));
        let backend = db.get_database_backend();
        if backend == DbBackend::Sqlite {
            for table in SQLITE_TABLES {
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

/// SQLite's full-text tables: by English stem, and by word as written.
const SQLITE_TABLES: [&str; 2] = ["paper_search", "paper_words"];

/// Rebuilds the index rows of every paper (after a bulk load).
///
/// # Errors
/// The database's error.
pub async fn index_all(db: &impl ConnectionTrait) -> Result<(), sea_orm::DbErr> {
    let backend = db.get_database_backend();
    if backend == DbBackend::Sqlite {
        for table in SQLITE_TABLES {
            let delete = format!("DELETE FROM {table}");
            db.execute_raw(sql::statement(backend, &delete, Vec::new()))
                .await?;
        }
    }
    // A GIN index is built far faster in one pass than row by row.
    let rebuild_gin = backend == DbBackend::Postgres;
    if rebuild_gin {
        db.execute_raw(sql::statement(
            backend,
            &format!("DROP INDEX {GIN_INDEX}"),
            Vec::new(),
        ))
        .await?;
    }
    for statement in index_sql(backend, "") {
        db.execute_raw(sql::statement(backend, &statement, Vec::new()))
            .await?;
    }
    if rebuild_gin {
        let create = format!("CREATE INDEX {GIN_INDEX} ON paper_search USING GIN (document)");
        db.execute_raw(sql::statement(backend, &create, Vec::new()))
            .await?;
    }
    if backend == DbBackend::Sqlite {
        // A bulk insert leaves FTS5 with many segments, and every lookup of a paper's row
        // by id (snippets) seeks in each one: merged into one, those lookups are about
        // twice as fast.
        for table in SQLITE_TABLES {
            let optimize = format!("INSERT INTO {table} ({table}) VALUES ('optimize')");
            db.execute_raw(sql::statement(backend, &optimize, Vec::new()))
                .await?;
        }
    }
    Ok(())
}

/// PostgreSQL's index of the search vectors (created by the migrations).
const GIN_INDEX: &str = "idx_paper_search_document";

/// The statements that index the papers `scope` (a `WHERE` on `papers p`) selects.
fn index_sql(backend: DbBackend, scope: &str) -> Vec<String> {
    if backend == DbBackend::Postgres {
        let vector = |config: &str| {
            format!(
                "setweight(to_tsvector('{config}', p.title), 'A') \
                 || setweight(to_tsvector('{config}', COALESCE(byline.names, '')), 'B') \
                 || setweight(to_tsvector('{config}', p.abstract), 'C')"
            )
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
        vec![format!(
            "INSERT INTO paper_search (paper_id, document) \
             SELECT p.id, {} || {} \
             FROM papers p LEFT JOIN ({bylines}) byline ON byline.paper_id = p.id \
             {scope} \
             ON CONFLICT (paper_id) DO UPDATE SET document = EXCLUDED.document",
            vector(STEMMED_CONFIG),
            vector(WORDS_CONFIG),
        )]
    } else {
        SQLITE_TABLES
            .iter()
            .map(|table| {
                format!(
                    "INSERT INTO {table} (rowid, title, abstract, authors) \
                     SELECT p.id, p.title, p.abstract, \
                       COALESCE((SELECT group_concat(a.name, ' ') FROM paper_authors pa \
                         JOIN authors a ON a.id = pa.author_id WHERE pa.paper_id = p.id), '') \
                     FROM papers p {scope}"
                )
            })
            .collect()
    }
}

/// PostgreSQL's text search configurations: English stems, and words as written.
const STEMMED_CONFIG: &str = "paperboard_english";
const WORDS_CONFIG: &str = "paperboard_words";

/// The SQLite table that looks up terms of `index`.
fn sqlite_table(index: WordIndex) -> &'static str {
    match index {
        WordIndex::Stemmed => SQLITE_TABLES[0],
        WordIndex::Words => SQLITE_TABLES[1],
    }
}

/// The query as one PostgreSQL `tsquery` expression: each index's terms parsed by its
/// configuration, the parts joined with `&&`.
fn pg_tsquery(query: &SearchQuery) -> (String, Vec<sea_orm::Value>) {
    let mut parts = Vec::new();
    let mut values = Vec::new();
    for (index, config) in [
        (WordIndex::Stemmed, STEMMED_CONFIG),
        (WordIndex::Words, WORDS_CONFIG),
    ] {
        if let Some(text) = query.tsquery(index) {
            values.push(text.into());
            parts.push(format!("to_tsquery('{config}', ${})", values.len()));
        }
    }
    (format!("({})", parts.join(" && ")), values)
}

/// The index a query is ranked by on SQLite: the stemmed one when a wanted term is looked
/// up there, else the words index.
fn sqlite_driver(query: &SearchQuery) -> WordIndex {
    if query.wants(WordIndex::Stemmed) {
        WordIndex::Stemmed
    } else {
        WordIndex::Words
    }
}

/// Where a query's matches are found and how they score.
struct IndexMatch {
    /// The index table.
    table: &'static str,
    /// Its column holding the paper id.
    paper_id: String,
    /// What the query's terms require of a row of `table`.
    condition: Expr,
    /// Higher is a better match.
    score: Expr,
}

impl IndexMatch {
    /// The matching rows of the index table, nothing selected yet.
    fn rows(&self) -> SelectStatement {
        Query::select()
            .from(Alias::new(self.table))
            .and_where(self.condition.clone())
            .to_owned()
    }
}

/// The index rows `query` matches. On SQLite the table is the stemmed index when a wanted
/// term is looked up there, else the words index; the other index, when the query has terms
/// for it, narrows by rowid.
fn index_match(backend: DbBackend, query: &SearchQuery) -> IndexMatch {
    if backend == DbBackend::Postgres {
        let (tsquery, values) = pg_tsquery(query);
        // sea-query numbers a custom expression's values `$1…` on PostgreSQL.
        return IndexMatch {
            table: "paper_search",
            paper_id: "paper_search.paper_id".to_owned(),
            condition: Expr::cust_with_values(
                format!("paper_search.document @@ {tsquery}"),
                values.clone(),
            ),
            // float8: the cursor carries the exact value the next page compares against.
            score: Expr::cust_with_values(
                format!("ts_rank_cd(paper_search.document, {tsquery})::float8"),
                values,
            ),
        };
    }
    let driver = sqlite_driver(query);
    let other = match driver {
        WordIndex::Stemmed => WordIndex::Words,
        WordIndex::Words => WordIndex::Stemmed,
    };
    let table = sqlite_table(driver);
    let paper_id = format!("{table}.rowid");
    let mut condition = Expr::cust_with_values(
        format!("{table} MATCH ?"),
        [query.fts5_matching(driver).unwrap_or_default()],
    );
    let other_table = sqlite_table(other);
    if let Some(wanted) = query.fts5_matching(other) {
        condition = condition.and(Expr::cust_with_values(
            format!("{paper_id} IN (SELECT rowid FROM {other_table} WHERE {other_table} MATCH ?)"),
            [wanted],
        ));
    } else if let Some(excluded) = query.fts5_excluded(other) {
        condition = condition.and(Expr::cust_with_values(
            format!(
                "{paper_id} NOT IN (SELECT rowid FROM {other_table} WHERE {other_table} MATCH ?)"
            ),
            [excluded],
        ));
    }
    IndexMatch {
        table,
        paper_id,
        // bm25 is lower for better matches; negated so that both engines sort descending.
        score: Expr::cust(format!("-bm25({table}, 10.0, 1.0, 5.0)")),
        condition,
    }
}

/// The papers that match `listing`, joined to their index rows, before paging.
fn matching(listing: &SearchListing, index: &IndexMatch) -> Select<paper::Entity> {
    let mut select = listing.filter.apply(paper::Entity::find());
    QuerySelect::query(&mut select).join(
        JoinType::InnerJoin,
        Alias::new(index.table),
        Expr::cust(format!("{} = papers.id", index.paper_id)),
    );
    select.filter(index.condition.clone())
}

/// The statement ranking one page of matches: ids and scores, best first. Without a filter
/// it reads the index table alone — joining `papers` would cost a lookup per match.
fn ranked_page(
    backend: DbBackend,
    listing: &SearchListing,
    request: &PageRequest,
) -> AppResult<sea_orm::Statement> {
    let index = index_match(backend, &listing.query);
    if listing.filter.is_empty() {
        let id = Expr::cust(index.paper_id.clone());
        let mut statement = index.rows();
        statement
            .expr_as(id.clone(), Alias::new("id"))
            .expr_as(index.score.clone(), Alias::new("search_score"));
        apply_page_to_statement(&mut statement, vec![index.score, id], true, request)?;
        return Ok(backend.build(&statement));
    }
    let id = Expr::col((paper::Entity, paper::Column::Id));
    Ok(apply_page(
        matching(listing, &index),
        vec![index.score.clone(), id.clone()],
        true,
        request,
    )?
    .select_only()
    .column_as(id, "id")
    .column_as(index.score, "search_score")
    .build(backend))
}

/// One page of results, best match first (ties: newest paper first).
///
/// # Errors
/// `BAD_USER_INPUT` for an out-of-range cursor; `INTERNAL_SERVER_ERROR` on database failure.
pub async fn search(
    db: &impl ConnectionTrait,
    listing: &SearchListing,
    request: &PageRequest,
) -> AppResult<Page<Hit>> {
    let backend = db.get_database_backend();
    // Every match is scored and sorted, so the sort carries only ids and scores; the page's
    // rows are read afterwards, by id.
    let ranked = ranked_page(backend, listing, request)?;
    let order = if request.backward { "ASC" } else { "DESC" };
    let sql = format!(
        "SELECT papers.*, ranked.search_score FROM ({}) ranked \
         JOIN papers ON papers.id = ranked.id \
         ORDER BY ranked.search_score {order}, papers.id {order}",
        ranked.sql
    );
    let statement = sea_orm::Statement {
        sql,
        values: ranked.values,
        db_backend: backend,
    };
    let rows = db.query_all_raw(statement).await?;
    let mut hits = Vec::with_capacity(rows.len());
    for row in rows {
        hits.push(Hit {
            score: row.try_get::<f64>("", "search_score")?,
            paper: paper::Model::from_query_result(&row, "")?,
        });
    }
    Ok(request.into_page(hits))
}

/// How many papers match `listing`.
///
/// # Errors
/// `INTERNAL_SERVER_ERROR` on database failure.
pub async fn count(db: &impl ConnectionTrait, listing: &SearchListing) -> AppResult<i64> {
    let backend = db.get_database_backend();
    let index = index_match(backend, &listing.query);
    if !listing.filter.is_empty() {
        return papers::count_selected(db, matching(listing, &index)).await;
    }
    let statement = index
        .rows()
        .expr_as(Expr::cust("COUNT(*)"), Alias::new("count"))
        .to_owned();
    let row = db.query_one_raw(backend.build(&statement)).await?;
    Ok(row
        .map(|row| row.try_get::<i64>("", "count"))
        .transpose()?
        .unwrap_or(0))
}

/// A short excerpt of each paper's abstract around the query's matches, as HTML: the text
/// escaped, every match in `<mark>…</mark>`.
///
/// # Errors
/// `INTERNAL_SERVER_ERROR` on database failure.
pub async fn snippets(
    db: &impl ConnectionTrait,
    query: &SearchQuery,
    ids: &[i64],
) -> AppResult<HashMap<i64, String>> {
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    let backend = db.get_database_backend();
    let (sql, mut values) = if backend == DbBackend::Postgres {
        let options = format!(
            "StartSel={MATCH_START}, StopSel={MATCH_END}, MaxWords={SNIPPET_WORDS}, \
             MinWords={}, MaxFragments=1, FragmentDelimiter=\" … \"",
            SNIPPET_WORDS / 2
        );
        // The tsquery's placeholders are numbered; the ids' follow them.
        let (tsquery, values) = pg_tsquery(query);
        let ids_list = (values.len() + 1..=values.len() + ids.len())
            .map(|n| format!("${n}"))
            .collect::<Vec<_>>()
            .join(", ");
        (
            format!(
                "SELECT p.id AS id, ts_headline('{STEMMED_CONFIG}', p.abstract, {tsquery}, '{options}') \
                 AS snippet FROM papers p WHERE p.id IN ({ids_list})"
            ),
            values,
        )
    } else {
        let driver = sqlite_driver(query);
        let table = sqlite_table(driver);
        (
            format!(
                "SELECT rowid AS id, snippet({table}, 1, '{MATCH_START}', '{MATCH_END}', '…', \
                 {SNIPPET_WORDS}) AS snippet FROM {table} \
                 WHERE {table} MATCH ? AND rowid IN ({})",
                sql::placeholders(ids.len())
            ),
            vec![query.fts5_matching(driver).unwrap_or_default().into()],
        )
    };
    values.extend(ids.iter().map(|id| sea_orm::Value::from(*id)));
    let rows = db
        .query_all_raw(sql::statement(backend, &sql, values))
        .await?;
    let mut snippets = HashMap::with_capacity(rows.len());
    for row in rows {
        let text: String = row.try_get("", "snippet")?;
        snippets.insert(row.try_get::<i64>("", "id")?, highlighted_html(&text));
    }
    Ok(snippets)
}

/// `text` with its match markers as `<mark>` elements and everything else HTML-escaped.
fn highlighted_html(text: &str) -> String {
    let mut html = String::with_capacity(text.len() + 32);
    let mut open = false;
    for ch in text.chars() {
        match ch {
            MATCH_START if !open => {
                html.push_str("<mark>");
                open = true;
            }
            MATCH_END if open => {
                html.push_str("</mark>");
                open = false;
            }
            MATCH_START | MATCH_END => {}
            '&' => html.push_str("&amp;"),
            '<' => html.push_str("&lt;"),
            '>' => html.push_str("&gt;"),
            '"' => html.push_str("&quot;"),
            '\'' => html.push_str("&#39;"),
            _ => html.push(ch),
        }
    }
    if open {
        html.push_str("</mark>");
    }
    html
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn snippets_escape_text_and_mark_matches() {
        assert_eq!(
            highlighted_html("a <b> & \u{E000}layers\u{E001}'s \"x\""),
            "a &lt;b&gt; &amp; <mark>layers</mark>&#39;s &quot;x&quot;"
        );
    }

    #[test]
    fn stray_markers_never_leave_a_mark_open() {
        assert_eq!(highlighted_html("\u{E001}a\u{E000}b"), "a<mark>b</mark>");
        assert_eq!(highlighted_html("\u{E000}\u{E000}c"), "<mark>c</mark>");
    }
}
