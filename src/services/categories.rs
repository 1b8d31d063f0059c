//! arXiv categories: which papers are listed in each, and the categories by paper count.
//!
//! A category has no numeric id: its code is its key. Cursors of the category list carry
//! (paper count, code) as their key parts and a constant id.

use std::collections::HashMap;

use entity::{category, paper_category};
use sea_orm::sea_query::{Cond, Expr, ExprTrait};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};

use crate::error::{AppError, AppResult};
use crate::pagination::{KeyPart, Keyset, ListKind, Page, PageRequest};

/// The cursor family of the category list.
pub const LIST_KIND: ListKind = ListKind::CategoriesByPaperCount;
/// The id slot of category cursors (categories are keyed by code).
const CURSOR_ID: i64 = 1;

/// The types of a category cursor's key parts: paper count, code.
pub fn cursor_shape() -> Vec<KeyPart> {
    vec![KeyPart::Int(0), KeyPart::Text(String::new())]
}

/// A category's position in the list.
pub fn key_of(model: &category::Model) -> Keyset {
    Keyset {
        parts: vec![
            KeyPart::Int(i64::from(model.paper_count)),
            KeyPart::Text(model.code.clone()),
        ],
        id: CURSOR_ID,
        generation: None,
    }
}

/// The categories that have papers, most papers first (ties by code), one page.
///
/// # Errors
/// `BAD_USER_INPUT` for a cursor this list did not issue; `INTERNAL_SERVER_ERROR` on
/// database failure.
pub async fn list(
    db: &impl ConnectionTrait,
    request: &PageRequest,
) -> AppResult<Page<category::Model>> {
    let mut select = category::Entity::find().filter(category::Column::PaperCount.gt(0));
    if let Some(after) = &request.after {
        let (count, code) = match after.parts.as_slice() {
            [KeyPart::Int(count), KeyPart::Text(code)] => (*count, code.clone()),
            _ => {
                return Err(AppError::bad_input(
                    "after",
                    "`after` is not a valid cursor",
                ));
            }
        };
        select = select.filter(
            Cond::any()
                .add(Expr::col(category::Column::PaperCount).lt(count))
                .add(
                    Expr::col(category::Column::PaperCount)
                        .eq(count)
                        .and(Expr::col(category::Column::Code).gt(code)),
                ),
        );
    }
    let rows = select
        .order_by_desc(category::Column::PaperCount)
        .order_by_asc(category::Column::Code)
        .limit(request.fetch_limit())
        .all(db)
        .await?;
    Ok(request.into_page(rows))
}

/// How many categories have papers.
///
/// # Errors
/// `INTERNAL_SERVER_ERROR` on database failure.
pub async fn count(db: &impl ConnectionTrait) -> AppResult<i64> {
    let count: Option<i64> = category::Entity::find()
        .select_only()
        .column_as(Expr::col(category::Column::Code).count(), "count")
        .filter(category::Column::PaperCount.gt(0))
        .into_tuple()
        .one(db)
        .await?;
    Ok(count.unwrap_or(0))
}

/// How many papers are listed in each of `codes` that has any, in one statement.
///
/// # Errors
/// `INTERNAL_SERVER_ERROR` on database failure.
pub async fn paper_counts(
    db: &impl ConnectionTrait,
    codes: &[String],
) -> AppResult<HashMap<String, i32>> {
    if codes.is_empty() {
        return Ok(HashMap::new());
    }
    let rows = category::Entity::find()
        .filter(category::Column::Code.is_in(codes.iter().cloned()))
        .all(db)
        .await?;
    Ok(rows
        .into_iter()
        .map(|category| (category.code, category.paper_count))
        .collect())
}

/// The category codes of each of `paper_ids`, the primary first, in one statement.
///
/// # Errors
/// `INTERNAL_SERVER_ERROR` on database failure.
pub async fn of_papers(
    db: &impl ConnectionTrait,
    paper_ids: &[i64],
) -> AppResult<HashMap<i64, Vec<String>>> {
    let mut listed: HashMap<i64, Vec<String>> = HashMap::new();
    if paper_ids.is_empty() {
        return Ok(listed);
    }
    let rows = paper_category::Entity::find()
        .filter(paper_category::Column::PaperId.is_in(paper_ids.iter().copied()))
        .order_by_asc(paper_category::Column::PaperId)
        .order_by_asc(paper_category::Column::Position)
        .all(db)
        .await?;
    for row in rows {
        listed.entry(row.paper_id).or_default().push(row.code);
    }
    Ok(listed)
}

/// The category codes of one paper, the primary first.
///
/// # Errors
/// `INTERNAL_SERVER_ERROR` on database failure.
pub async fn of_paper(db: &impl ConnectionTrait, paper_id: i64) -> AppResult<Vec<String>> {
    Ok(of_papers(db, &[paper_id])
        .await?
        .remove(&paper_id)
        .unwrap_or_default())
}
