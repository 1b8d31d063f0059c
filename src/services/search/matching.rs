//! Which index rows a query matches, how they score, and the tiers results come in.

use sea_orm::DbBackend;
use sea_orm::sea_query::{Alias, Expr, ExprTrait, Query, SelectStatement};

use crate::domain::search_query::{SearchQuery, WordIndex};

use super::coverage::{Coverage, STEMMED_CONFIG, TITLE_TERMS_TABLE, WORDS_CONFIG};

/// The two tiers of results, best first. Papers whose title or byline holds every wanted
/// term come first, ranked by how well their title and byline match; then the others,
/// ranked over title, abstract and byline. The first tier is found and ranked in the small
/// title index, so a page of a common word or phrase does not score every abstract that
/// mentions it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tier {
    Titles,
    Rest,
}

impl Tier {
    /// The tiers in result order.
    pub(super) const ORDER: [Self; 2] = [Self::Titles, Self::Rest];

    /// The tier's value in a cursor: higher comes first.
    pub fn key(self) -> i64 {
        match self {
            Self::Titles => 1,
            Self::Rest => 0,
        }
    }

    pub(super) fn from_key(key: i64) -> Option<Self> {
        Self::ORDER.into_iter().find(|tier| tier.key() == key)
    }
}

/// The query as one PostgreSQL `tsquery` expression: each index's terms parsed by its
/// configuration, the parts joined with `&&`.
pub(super) fn pg_tsquery(query: &SearchQuery) -> (String, Vec<sea_orm::Value>) {
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
pub(super) fn sqlite_driver(query: &SearchQuery) -> WordIndex {
    if query.wants(WordIndex::Stemmed) {
        WordIndex::Stemmed
    } else {
        WordIndex::Words
    }
}

/// Where a query's matches are found and how they score.
pub(super) struct IndexMatch {
    /// The index table.
    pub(super) table: &'static str,
    /// Its column holding the paper id.
    pub(super) paper_id: String,
    /// What the query's terms require of a row of `table`.
    pub(super) condition: Expr,
    /// Higher is a better match.
    pub(super) score: Expr,
}

impl IndexMatch {
    /// The matching rows of the index table, nothing selected yet.
    pub(super) fn rows(&self) -> SelectStatement {
        Query::select()
            .from(Alias::new(self.table))
            .and_where(self.condition.clone())
            .to_owned()
    }

    /// These matches narrowed to the papers `other` matches too, checked paper by paper.
    fn also_matching(mut self, other: &Self) -> Self {
        let other_condition = if other.table == self.table {
            other.condition.clone()
        } else {
            let mut rows = other.rows();
            rows.expr(Expr::val(1)).and_where(
                Expr::cust(other.paper_id.clone()).eq(Expr::cust(self.paper_id.clone())),
            );
            Expr::exists(rows)
        };
        self.condition = self.condition.and(other_condition);
        self
    }

    /// These matches without the papers `other` matches.
    fn excluding(mut self, other: &Self) -> Self {
        let other_condition = if other.table == self.table {
            other.condition.clone().not()
        } else {
            let mut rows = other.rows();
            rows.expr(Expr::cust(other.paper_id.clone()));
            Expr::cust(self.paper_id.clone()).not_in_subquery(rows)
        };
        self.condition = self.condition.and(other_condition);
        self
    }
}

/// The rows of the `coverage` index that `query` matches. On SQLite the table is the
/// stemmed index when a wanted term is looked up there, else the words index; the other
/// index, when the query has terms for it, narrows by rowid.
pub(super) fn index_match(
    backend: DbBackend,
    query: &SearchQuery,
    coverage: Coverage,
) -> IndexMatch {
    if backend == DbBackend::Postgres {
        let (tsquery, values) = pg_tsquery(query);
        let table = coverage.pg_table();
        // sea-query numbers a custom expression's values `$1…` on PostgreSQL.
        return IndexMatch {
            table,
            paper_id: format!("{table}.paper_id"),
            condition: Expr::cust_with_values(
                format!("{table}.document @@ {tsquery}"),
                values.clone(),
            ),
            // float8: the cursor carries the exact value the next page compares against.
            score: Expr::cust_with_values(
                format!("ts_rank_cd({table}.document, {tsquery})::float8"),
                values,
            ),
        };
    }
    let driver = sqlite_driver(query);
    let other = match driver {
        WordIndex::Stemmed => WordIndex::Words,
        WordIndex::Words => WordIndex::Stemmed,
    };
    let table = coverage.sqlite_table(driver);
    let paper_id = format!("{table}.rowid");
    let mut condition = Expr::cust_with_values(
        format!("{table} MATCH ?"),
        [query.fts5_matching(driver).unwrap_or_default()],
    );
    let other_table = coverage.sqlite_table(other);
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
        score: Expr::cust(format!("-bm25({table}, {})", coverage.bm25_weights())),
        condition,
    }
}

/// The first tier of a one-word query on PostgreSQL: the word's rows of the title terms
/// table, kept in order of their score (`ts_rank_cd` of the title vector for that lexeme,
/// what the vectors' own ranking gives), so that a page is a range of its primary key
/// rather than a ranking of every title that holds the word.
fn title_terms_match(word: &str) -> IndexMatch {
    let table = TITLE_TERMS_TABLE;
    IndexMatch {
        table,
        paper_id: format!("{table}.paper_id"),
        // A word of ASCII letters is one token: its vector holds one lexeme, or none.
        condition: Expr::cust_with_values(
            format!("{table}.lexeme = (tsvector_to_array(to_tsvector('{STEMMED_CONFIG}', $1)))[1]"),
            [word],
        ),
        score: Expr::cust(format!("{table}.score")),
    }
}

/// The index rows of `tier`'s matches, and how they score.
pub(super) fn tier_match(backend: DbBackend, query: &SearchQuery, tier: Tier) -> IndexMatch {
    if tier == Tier::Titles
        && backend == DbBackend::Postgres
        && let Some(word) = query.sole_letters_word()
    {
        return title_terms_match(word);
    }
    let titles = index_match(backend, query, Coverage::Titles);
    let whole = index_match(backend, query, Coverage::Whole);
    match tier {
        // Every wanted term in the title or byline implies a match of the whole paper, but
        // an excluded term may be in the abstract.
        Tier::Titles if query.excludes() => titles.also_matching(&whole),
        Tier::Titles => titles,
        Tier::Rest => whole.excluding(&titles),
    }
}
