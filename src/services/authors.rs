//! Reading authors: lookups, the alphabetical list, and bylines.

use std::collections::HashMap;

use entity::{author, paper_author};
use sea_orm::sea_query::{Alias, Asterisk, Expr, ExprTrait, LikeExpr, Order, Query};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbBackend, EntityTrait, FromQueryResult, QueryFilter, QuerySelect,
};

use crate::error::AppResult;
use crate::pagination::{KeyPart, Keyset, ListKind, Page, PageRequest};

use super::keyset::apply_page;

/// The cursor family of the author list.
pub const LIST_KIND: ListKind = ListKind::AuthorsByName;

/// The types of an author-list cursor's key parts.
pub fn cursor_shape() -> Vec<KeyPart> {
    vec![KeyPart::Text(String::new())]
}

/// The position of `author` in the alphabetical list.
pub fn key_of(author: &author::Model) -> Keyset {
    Keyset {
        parts: vec![KeyPart::Text(author.name_key.clone())],
        id: author.id,
        generation: None,
    }
}

/// The lower-cased form names are compared in.
pub fn name_key(name: &str) -> String {
    name.to_lowercase()
}

/// How a `nameContains` search finds its authors.
enum NameSearch {
    /// No filter.
    All,
    /// Walk the name index and test each name: fast while matches are common.
    Walk { pattern: String },
    /// Take the names holding the needle's trigrams first (SQLite's `authors_trigram`),
    /// then test and sort those: fast while matches are rare.
    Trigrams { pattern: String },
}

/// Names sampled to tell a common needle from a rare one.
const DENSITY_SAMPLE: u64 = 4_000;
/// Matches in the sample from which a needle counts as common: walking the name index
/// then finds a page within about `DENSITY_SAMPLE / COMMON_MATCHES × page size` names.
const COMMON_MATCHES: i64 = 2;

/// Chooses how to search for `name_contains`. PostgreSQL's planner weighs its trigram
/// index itself; on SQLite a rare needle of three characters or more goes through the
/// trigram table, since walking the name index would read every name to fill a page.
async fn plan(db: &impl ConnectionTrait, name_contains: Option<&str>) -> AppResult<NameSearch> {
    let Some(needle) = name_contains.filter(|needle| !needle.is_empty()) else {
        return Ok(NameSearch::All);
    };
    let needle = name_key(needle);
    let pattern = format!("%{}%", escape_like(&needle));
    let trigram_ready = db.get_database_backend() == DbBackend::Sqlite
        && needle.chars().count() >= 3
        && !needle.contains(['%', '_', '\\']);
    if trigram_ready && sampled_matches(db, &pattern).await? < COMMON_MATCHES {
        return Ok(NameSearch::Trigrams { pattern });
    }
    Ok(NameSearch::Walk { pattern })
}

/// How many of the newest [`DENSITY_SAMPLE`] authors match `pattern`: ids follow
/// insertion, not names, so this samples the alphabet evenly.
async fn sampled_matches(db: &impl ConnectionTrait, pattern: &str) -> AppResult<i64> {
    let sample = Query::select()
        .column(author::Column::NameKey)
        .from(author::Entity)
        .order_by(author::Column::Id, Order::Desc)
        .limit(DENSITY_SAMPLE)
        .to_owned();
    let count = Query::select()
        .expr(Expr::col(Asterisk).count())
        .from_subquery(sample, "sample")
        .and_where(name_like(pattern))
        .to_owned();
    let row = db.query_one(&count).await?;
    Ok(row
        .map(|row| row.try_get_by_index::<i64>(0))
        .transpose()?
        .unwrap_or(0))
}

fn name_like(pattern: &str) -> Expr {
    Expr::col(author::Column::NameKey).like(LikeExpr::new(pattern).escape('\\'))
}

fn matching(search: &NameSearch) -> sea_orm::Select<author::Entity> {
    let select = author::Entity::find();
    match search {
        NameSearch::All => select,
        NameSearch::Walk { pattern } => select.filter(name_like(pattern)),
        NameSearch::Trigrams { pattern } => select.filter(name_like(pattern)).filter(
            Expr::col((author::Entity, author::Column::Id)).in_subquery(
                Query::select()
                    .expr(Expr::cust("rowid"))
                    .from(Alias::new("authors_trigram"))
                    // Without ESCAPE: FTS5 uses its index only for a plain LIKE, and the
                    // needle has no wildcard to escape.
                    .and_where(Expr::cust_with_values("name_key LIKE ?", [pattern.clone()]))
                    .to_owned(),
            ),
        ),
    }
}

/// `%`, `_` and `\` match themselves.
fn escape_like(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for ch in text.chars() {
        if matches!(ch, '%' | '_' | '\\') {
            escaped.push('\\');
        }
        escaped.push(ch);
    }
    escaped
}

/// One page of authors in alphabetical order, optionally only names containing a string
/// (case-insensitive).
///
/// # Errors
/// `BAD_USER_INPUT` for an out-of-range cursor; `INTERNAL_SERVER_ERROR` on database failure.
pub async fn list(
    db: &impl ConnectionTrait,
    name_contains: Option<&str>,
    page: &PageRequest,
) -> AppResult<Page<author::Model>> {
    let columns = vec![
        Expr::col((author::Entity, author::Column::NameKey)),
        Expr::col((author::Entity, author::Column::Id)),
    ];
    let search = plan(db, name_contains).await?;
    let rows = apply_page(matching(&search), columns, false, page)?
        .all(db)
        .await?;
    Ok(page.into_page(rows))
}

/// How many authors match.
///
/// # Errors
/// `INTERNAL_SERVER_ERROR` on database failure.
pub async fn count(db: &impl ConnectionTrait, name_contains: Option<&str>) -> AppResult<i64> {
    let search = plan(db, name_contains).await?;
    let count = matching(&search)
        .select_only()
        .column_as(
            Expr::col((author::Entity, author::Column::Id)).count(),
            "count",
        )
        .into_tuple::<i64>()
        .one(db)
        .await?;
    Ok(count.unwrap_or(0))
}

/// The author with this id.
///
/// # Errors
/// `INTERNAL_SERVER_ERROR` on database failure.
pub async fn by_id(db: &impl ConnectionTrait, id: i64) -> AppResult<Option<author::Model>> {
    Ok(author::Entity::find_by_id(id).one(db).await?)
}

/// The authors with these ids, by id.
///
/// # Errors
/// `INTERNAL_SERVER_ERROR` on database failure.
pub async fn by_ids(
    db: &impl ConnectionTrait,
    ids: &[i64],
) -> AppResult<HashMap<i64, author::Model>> {
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    let authors = author::Entity::find()
        .filter(author::Column::Id.is_in(ids.iter().copied()))
        .all(db)
        .await?;
    Ok(authors
        .into_iter()
        .map(|author| (author.id, author))
        .collect())
}

/// The bylines of these papers, in byline order.
///
/// # Errors
/// `INTERNAL_SERVER_ERROR` on database failure.
pub async fn bylines(
    db: &impl ConnectionTrait,
    paper_ids: &[i64],
) -> AppResult<HashMap<i64, Vec<author::Model>>> {
    if paper_ids.is_empty() {
        return Ok(HashMap::new());
    }
    let statement = Query::select()
        .column((paper_author::Entity, paper_author::Column::PaperId))
        .column((author::Entity, Asterisk))
        .from(paper_author::Entity)
        .inner_join(
            author::Entity,
            Expr::col((author::Entity, author::Column::Id))
                .equals((paper_author::Entity, paper_author::Column::AuthorId)),
        )
        .and_where(
            Expr::col((paper_author::Entity, paper_author::Column::PaperId))
                .is_in(paper_ids.iter().copied()),
        )
        .order_by(
            (paper_author::Entity, paper_author::Column::PaperId),
            Order::Asc,
        )
        .order_by(
            (paper_author::Entity, paper_author::Column::Position),
            Order::Asc,
        )
        .to_owned();
    let rows = db
        .query_all_raw(db.get_database_backend().build(&statement))
        .await?;
    let mut bylines: HashMap<i64, Vec<author::Model>> = HashMap::with_capacity(paper_ids.len());
    for row in rows {
        let paper_id: i64 = row.try_get("", "paper_id")?;
        bylines
            .entry(paper_id)
            .or_default()
            .push(author::Model::from_query_result(&row, "")?);
    }
    Ok(bylines)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn like_wildcards_are_escaped() {
        assert_eq!(escape_like(r"50%_a\b"), r"50\%\_a\\b");
    }
}
