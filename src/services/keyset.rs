//! Keyset conditions and orderings shared by every list query: a page after (or before) a
//! cursor, and the first rows of many owners' lists at once ([`OwnedList`]). Both take a
//! list's order as one list of sort columns, so a first page and the pages after it
//! cannot disagree.

use sea_orm::sea_query::{Alias, Asterisk, Expr, ExprTrait, Query, SelectStatement, UnionType};
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

/// The column the rows of [`OwnedList::first_pages`] name their owner in.
pub(crate) const OWNER_ID: &str = "owner_id";

/// A list that belongs to one row — an author's papers, a user's upvotes — read from an
/// index whose leading column is the owner and whose next columns are the list's order.
/// Every page is then a range of that index, however long the owner's list: the first
/// pages of many owners at once (one range each, in one statement) and the pages after a
/// cursor alike, from this one description of the list.
pub(crate) struct OwnedList {
    /// The listed rows with their sources and joins (columns added by the caller).
    pub rows: SelectStatement,
    /// The column naming the owner.
    pub owner: Expr,
    /// The sort columns, ending with a unique one.
    pub order: Vec<Expr>,
    pub descending: bool,
}

impl OwnedList {
    /// The first `limit` rows of each owner's list, ordered by owner and then list order:
    /// a range per owner, joined with `UNION ALL`.
    pub fn first_pages(&self, owner_ids: &[i64], limit: u64) -> Option<SelectStatement> {
        let direction = self.direction();
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let mut arms = owner_ids.iter().enumerate().map(|(index, owner_id)| {
            let mut range = self.rows.clone();
            range
                .expr_as(self.owner.clone(), Alias::new(OWNER_ID))
                .and_where(self.owner.clone().eq(*owner_id));
            for (position, column) in self.order.iter().enumerate() {
                range
                    .expr_as(column.clone(), sort_alias(position))
                    .order_by_expr(column.clone(), direction.clone());
            }
            range.limit(limit.unsigned_abs());
            // SQLite takes ORDER BY and LIMIT in a compound's arm only inside a subquery.
            Query::select()
                .column(Asterisk)
                .from_subquery(range, Alias::new(format!("owner_{index}")))
                .to_owned()
        });
        let mut statement = arms.next()?;
        for arm in arms {
            statement.union(UnionType::All, arm);
        }
        statement.order_by(Alias::new(OWNER_ID), Order::Asc);
        for position in 0..self.order.len() {
            statement.order_by(sort_alias(position), direction.clone());
        }
        Some(statement)
    }

    /// One owner's page after (or before) the request's cursors.
    ///
    /// # Errors
    /// `BAD_USER_INPUT` for an out-of-range cursor.
    pub fn page(&self, owner_id: i64, request: &PageRequest) -> Result<SelectStatement, AppError> {
        let mut statement = self.rows.clone();
        statement.and_where(self.owner.clone().eq(owner_id));
        apply_page_to_statement(&mut statement, self.order.clone(), self.descending, request)?;
        Ok(statement)
    }

    fn direction(&self) -> Order {
        if self.descending {
            Order::Desc
        } else {
            Order::Asc
        }
    }
}

fn sort_alias(position: usize) -> Alias {
    Alias::new(format!("sort_{position}"))
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
