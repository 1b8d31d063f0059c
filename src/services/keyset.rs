//! Keyset conditions and orderings shared by every list query: a page after (or before) a
//! cursor, and the first rows of many owners' lists at once. Both take a list's order as
//! one list of sort columns, so a first page and the pages after it cannot disagree.

use sea_orm::sea_query::{
    Alias, Asterisk, Expr, ExprTrait, Func, IntoIden, OverStatement, Query, SelectStatement,
    WindowStatement,
};
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
            conditions.push(beyond(columns.to_vec(), after, descending, "after")?);
        }
        if let Some(before) = &page.before {
            conditions.push(beyond(columns.to_vec(), before, !descending, "before")?);
        }
        let order = if descending != page.backward {
            Order::Desc
        } else {
            Order::Asc
        };
        Ok(Self { conditions, order })
    }
}

/// `(columns…) < key` when `descending`, else `(columns…) > key`: the rows after `key`, the
/// cursor given as `field`.
pub(crate) fn beyond(
    columns: Vec<Expr>,
    key: &Keyset,
    descending: bool,
    field: &str,
) -> Result<Expr, AppError> {
    let mut values = Vec::with_capacity(key.parts.len() + 1);
    for part in &key.parts {
        let value = part
            .to_value()
            .ok_or_else(|| AppError::bad_input(field, format!("`{field}` is out of range")))?;
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

/// The column a first-rows statement names each row's owner in.
pub(crate) const OWNER_ID: &str = "owner_id";
/// The column holding a row's position in its owner's list.
const RANK_IN_OWNER: &str = "rank_in_owner";

/// The first `limit` rows of each owner's list, in one statement: `rows` selects the rows
/// (with its sources and conditions; every column of `listed` is added); `owner` is the
/// column naming their owner; `order` are the list's sort columns, as the pages after the
/// first use them. The result is ordered by owner, then by position in the list.
pub(crate) fn first_rows_per_owner(
    mut rows: SelectStatement,
    listed: impl IntoIden,
    owner: Expr,
    order: Vec<Expr>,
    descending: bool,
    limit: u64,
) -> SelectStatement {
    let direction = if descending { Order::Desc } else { Order::Asc };
    let mut window = WindowStatement::new();
    window.add_partition_by(owner.clone());
    for column in order {
        window.order_by_expr(column, direction.clone());
    }
    rows.column((listed.into_iden(), Asterisk))
        .expr_as(owner, Alias::new(OWNER_ID))
        .expr_window_as(
            Func::cust(Alias::new("ROW_NUMBER")),
            window,
            Alias::new(RANK_IN_OWNER),
        );
    Query::select()
        .column(Asterisk)
        .from_subquery(rows, Alias::new("ranked"))
        .and_where(
            Expr::col(Alias::new(RANK_IN_OWNER)).lte(i64::try_from(limit).unwrap_or(i64::MAX)),
        )
        .order_by(Alias::new(OWNER_ID), Order::Asc)
        .order_by(Alias::new(RANK_IN_OWNER), Order::Asc)
        .to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pagination::KeyPart;

    #[test]
    fn an_unusable_cursor_is_named_by_the_argument_it_came_in() {
        let broken = Keyset {
            parts: vec![KeyPart::Float(f64::NAN)],
            id: 1,
            generation: None,
        };
        let page = PageRequest {
            size: 10,
            backward: true,
            after: None,
            before: Some(broken),
        };
        let columns = vec![Expr::col(Alias::new("score")), Expr::col(Alias::new("id"))];
        match PageBounds::new(&columns, true, &page) {
            Err(AppError::BadInput { field, .. }) => assert_eq!(field, "before"),
            Err(other) => panic!("another error: {other}"),
            Ok(_) => panic!("a NaN cursor was accepted"),
        }
    }
}
