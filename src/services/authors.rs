//! Reading authors: lookups, the alphabetical list, and bylines.

use std::collections::HashMap;

use entity::{author, paper_author};
use sea_orm::sea_query::{Asterisk, Expr, ExprTrait, LikeExpr, Order, Query};
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, FromQueryResult, QueryFilter, QuerySelect,
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

fn matching(name_contains: Option<&str>) -> sea_orm::Select<author::Entity> {
    let select = author::Entity::find();
    match name_contains {
        Some(needle) if !needle.is_empty() => {
            let pattern = format!("%{}%", escape_like(&name_key(needle)));
            select.filter(
                Expr::col((author::Entity, author::Column::NameKey))
                    .like(LikeExpr::new(pattern).escape('\\')),
            )
        }
        _ => select,
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
    let rows = apply_page(matching(name_contains), columns, false, page)?
        .all(db)
        .await?;
    Ok(page.into_page(rows))
}

/// How many authors match.
///
/// # Errors
/// `INTERNAL_SERVER_ERROR` on database failure.
pub async fn count(db: &impl ConnectionTrait, name_contains: Option<&str>) -> AppResult<i64> {
    let count = matching(name_contains)
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
