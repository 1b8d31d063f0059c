//! Keyset conditions and orderings shared by every list query.

use sea_orm::sea_query::{Expr, ExprTrait, SelectStatement};
use sea_orm::{Order, QueryFilter, QueryOrder, QuerySelect, Select};

use crate::error::AppError;
use crate::pagination::{Keyset, PageRequest};

/// Restricts `select` to the page's range of `columns` (sort columns, then id) and orders it
/// so that the first `fetch_limit` rows are the page (reversed when paging backward).
pub(crate) fn apply_page<E: sea_orm::EntityTrait>(
    mut select: Select<E>,
    columns: Vec<Expr>,
    descending: bool,
    page: &PageRequest,
) -> Result<Select<E>, AppError> {
    let bounds = PageBounds::new(&columns, descending, page)?;
    for condition in bounds.conditions {
        select = select.filter(condition);
    }
    for column in columns {
        select = select.order_by(column, bounds.order.clone());
    }
    Ok(select.limit(page.fetch_limit()))
}

/// [`apply_page`] for a statement built with sea-query rather than over an entity.
pub(crate) fn apply_page_to_statement(
    statement: &mut SelectStatement,
    columns: Vec<Expr>,
    descending: bool,
    page: &PageRequest,
) -> Result<(), AppError> {
    let bounds = PageBounds::new(&columns, descending, page)?;
    for condition in bounds.conditions {
        statement.and_where(condition);
    }
    for column in columns {
        statement.order_by_expr(column, bounds.order.clone());
    }
    statement.limit(page.fetch_limit());
    Ok(())
}

/// A page's range conditions and its sort direction.
struct PageBounds {
    conditions: Vec<Expr>,
    order: Order,
}

impl PageBounds {
    fn new(columns: &[Expr], descending: bool, page: &PageRequest) -> Result<Self, AppError> {
        let mut conditions = Vec::with_capacity(2);
        if let Some(after) = &page.after {
            conditions.push(beyond(columns.to_vec(), after, descending)?);
        }
        if let Some(before) = &page.before {
            conditions.push(beyond(columns.to_vec(), before, !descending)?);
        }
        let order = if descending != page.backward {
            Order::Desc
        } else {
            Order::Asc
        };
        Ok(Self { conditions, order })
    }
}

/// `(columns…) < key` when `descending`, else `(columns…) > key`: the rows after `key`.
pub(crate) fn beyond(columns: Vec<Expr>, key: &Keyset, descending: bool) -> Result<Expr, AppError> {
    let mut values = Vec::with_capacity(key.parts.len() + 1);
    for part in &key.parts {
        let value = part
            .to_value()
            .ok_or_else(|| AppError::bad_input("after", "cursor is out of range"))?;
        values.push(Expr::val(value));
    }
    values.push(Expr::val(key.id));
    let columns = Expr::tuple(columns);
    let values = Expr::tuple(values);
    Ok(if descending {
        columns.lt(values)
    } else {
        columns.gt(values)
    })
}
