//! Keyset conditions and orderings shared by every list query: a page after (or before) a
//! cursor, and the first rows of many owners' lists at once ([`OwnedList`]). Both take a
//! list's order as one list of sort columns, so a first page and the pages after it
//! cannot disagree.

use std::collections::HashMap;

use sea_orm::sea_query::{
    Alias, Asterisk, Expr, ExprTrait, JoinType, Query, SelectStatement, UnionType,
};
use sea_orm::{
    ConnectionTrait, DbBackend, Order, QueryFilter, QueryOrder, QueryResult, QuerySelect, Select,
};

use crate::error::{AppError, AppResult};
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
const OWNER_ID: &str = "owner_id";

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
    /// one index range per owner. `None` without owners.
    ///
    /// PostgreSQL reads the ranges as a `LATERAL` join over the owners' ids: one
    /// parameterised range scan, whatever their number (a `UNION ALL` of 20 ranges took it
    /// about six times as long to plan and four times as long to run); elsewhere (SQLite
    /// has no `LATERAL`) the ranges are joined with `UNION ALL`.
    fn first_pages(
        &self,
        backend: DbBackend,
        owner_ids: &[i64],
        limit: u64,
    ) -> Option<SelectStatement> {
        let mut statement = match backend {
            DbBackend::Postgres => self.lateral_ranges(owner_ids, limit)?,
            _ => self.union_of_ranges(owner_ids, limit)?,
        };
        statement.order_by(Alias::new(OWNER_ID), Order::Asc);
        for position in 0..self.order.len() {
            statement.order_by(sort_alias(position), self.direction());
        }
        Some(statement)
    }

    /// [`Self::first_pages`], run: each owner's rows as `read` makes them, in list order.
    ///
    /// # Errors
    /// `INTERNAL_SERVER_ERROR` on database failure.
    pub async fn read_first_pages<T, E: Into<AppError>>(
        &self,
        db: &impl ConnectionTrait,
        owner_ids: &[i64],
        limit: u64,
        read: impl Fn(&QueryResult) -> Result<T, E>,
    ) -> AppResult<HashMap<i64, Vec<T>>> {
        let backend = db.get_database_backend();
        let Some(statement) = self.first_pages(backend, owner_ids, limit) else {
            return Ok(HashMap::new());
        };
        let rows = db.query_all_raw(backend.build(&statement)).await?;
        let mut pages: HashMap<i64, Vec<T>> = HashMap::new();
        for row in &rows {
            let owner_id: i64 = row.try_get("", OWNER_ID)?;
            pages
                .entry(owner_id)
                .or_default()
                .push(read(row).map_err(Into::into)?);
        }
        Ok(pages)
    }

    /// One owner's range: the list's rows with the owner and the sort columns named, where
    /// the owner is `owner`.
    fn range_of(&self, owner: Expr, limit: u64) -> SelectStatement {
        let mut range = self.rows.clone();
        range
            .expr_as(self.owner.clone(), Alias::new(OWNER_ID))
            .and_where(self.owner.clone().eq(owner));
        for (position, column) in self.order.iter().enumerate() {
            range
                .expr_as(column.clone(), sort_alias(position))
                .order_by_expr(column.clone(), self.direction());
        }
        range.limit(limit);
        range
    }

    fn lateral_ranges(&self, owner_ids: &[i64], limit: u64) -> Option<SelectStatement> {
        if owner_ids.is_empty() {
            return None;
        }
        let owners = Alias::new("owners");
        let ranges = Alias::new("owner_ranges");
        // A VALUES list names its one column `column1`.
        let owner = Expr::col((owners.clone(), Alias::new("column1")));
        let statement = Query::select()
            .column((ranges.clone(), Asterisk))
            .from_values(owner_ids.iter().copied(), owners)
            .join_lateral(
                JoinType::InnerJoin,
                self.range_of(owner, limit),
                ranges,
                Expr::cust("TRUE"),
            )
            .to_owned();
        Some(statement)
    }

    fn union_of_ranges(&self, owner_ids: &[i64], limit: u64) -> Option<SelectStatement> {
        let mut arms = owner_ids.iter().enumerate().map(|(index, owner_id)| {
            // SQLite takes ORDER BY and LIMIT in a compound's arm only inside a subquery.
            Query::select()
                .column(Asterisk)
                .from_subquery(
                    self.range_of(Expr::val(*owner_id), limit),
                    Alias::new(format!("owner_{index}")),
                )
                .to_owned()
        });
        let mut statement = arms.next()?;
        for arm in arms {
            statement.union(UnionType::All, arm);
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

    fn replies() -> OwnedList {
        let column = |name: &str| Expr::col((Alias::new("comments"), Alias::new(name)));
        OwnedList {
            rows: Query::select()
                .column(Asterisk)
                .from(Alias::new("comments"))
                .to_owned(),
            owner: column("parent_id"),
            order: vec![column("id")],
            descending: false,
        }
    }

    #[test]
    fn postgres_reads_every_owners_range_through_one_subquery() {
        let owners: Vec<i64> = (1..=20).collect();
        let statement = replies()
            .first_pages(DbBackend::Postgres, &owners, 6)
            .map(|statement| DbBackend::Postgres.build(&statement));
        let Some(statement) = statement else {
            panic!("no statement for 20 owners");
        };
        assert_eq!(
            statement.sql.matches("LIMIT").count(),
            1,
            "{}",
            statement.sql
        );
        assert!(statement.sql.contains("JOIN LATERAL"), "{}", statement.sql);
        assert_eq!(statement.values.map(|values| values.0.len()), Some(21));
    }

    #[test]
    fn sqlite_joins_one_range_per_owner() {
        let owners: Vec<i64> = (1..=20).collect();
        let Some(statement) = replies().first_pages(DbBackend::Sqlite, &owners, 6) else {
            panic!("no statement for 20 owners");
        };
        let sql = DbBackend::Sqlite.build(&statement).sql;
        assert_eq!(sql.matches("LIMIT").count(), 20, "{sql}");
        assert_eq!(sql.matches("UNION ALL").count(), 19, "{sql}");
    }

    #[test]
    fn no_owners_need_no_statement() {
        for backend in [DbBackend::Postgres, DbBackend::Sqlite] {
            assert!(replies().first_pages(backend, &[], 6).is_none());
        }
    }

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
