//! The search indexes: which part of a paper each covers, and where it lives.

use crate::domain::search_query::WordIndex;

/// PostgreSQL's text search configurations: English stems, and words as written.
pub(super) const STEMMED_CONFIG: &str = "paperboard_english";
pub(super) const WORDS_CONFIG: &str = "paperboard_words";

/// SQLite's full-text tables over whole papers: by English stem, and by word as written.
pub(super) const SQLITE_TABLES: [&str; 2] = ["paper_search", "paper_words"];
/// The same over titles and bylines.
pub(super) const SQLITE_TITLE_TABLES: [&str; 2] = ["paper_titles", "paper_title_words"];
/// PostgreSQL's (lexeme, score, paper) rows of the title vectors, in score order (kept by
/// triggers on the title table).
pub(super) const TITLE_TERMS_TABLE: &str = "paper_title_terms";
/// Every index coverage.
pub(super) const COVERAGES: [Coverage; 2] = [Coverage::Whole, Coverage::Titles];

/// What part of each paper an index covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Coverage {
    /// Title, abstract and author names.
    Whole,
    /// Title and author names only: a small index, cheap to rank from.
    Titles,
}

impl Coverage {
    /// SQLite's full-text tables: by English stem, and by word as written.
    pub(super) fn sqlite_tables(self) -> [&'static str; 2] {
        match self {
            Self::Whole => SQLITE_TABLES,
            Self::Titles => SQLITE_TITLE_TABLES,
        }
    }

    /// FTS5's bm25 weights of the tables' columns: a title match weighs most.
    pub(super) fn bm25_weights(self) -> &'static str {
        match self {
            // title, abstract, authors
            Self::Whole => "10.0, 1.0, 5.0",
            // title, authors
            Self::Titles => "10.0, 5.0",
        }
    }

    /// PostgreSQL's table of the coverage's vectors (`paper_id`, `document`).
    pub(super) fn pg_table(self) -> &'static str {
        match self {
            Self::Whole => "paper_search",
            Self::Titles => "paper_title_search",
        }
    }

    /// The GIN index of that table's vectors (created by the migrations).
    pub(super) fn pg_index(self) -> &'static str {
        match self {
            Self::Whole => "idx_paper_search_document",
            Self::Titles => "idx_paper_title_search_document",
        }
    }

    /// The SQLite table that looks up terms of `index`.
    pub(super) fn sqlite_table(self, index: WordIndex) -> &'static str {
        let [stemmed, words] = self.sqlite_tables();
        match index {
            WordIndex::Stemmed => stemmed,
            WordIndex::Words => words,
        }
    }
}

/// Every SQLite full-text table.
pub(super) fn all_sqlite_tables() -> impl Iterator<Item = &'static str> {
    COVERAGES.into_iter().flat_map(Coverage::sqlite_tables)
}
