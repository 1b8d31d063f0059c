//! Hand-written SQL for the few queries the query builder cannot express (window functions),
//! written once with `?` placeholders and rendered for the connected backend.

use std::collections::HashMap;

use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbBackend, DbErr, EntityTrait, QueryFilter, QuerySelect, SqlErr,
    Statement, Value,
};

use crate::error::{AppError, AppResult};

/// Values bound in one `IN (…)` list: well under SQLite's 32,766 and PostgreSQL's 65,535
/// parameters per statement.
pub const IN_LIST_CHUNK: usize = 500;
/// Rows written by one multi-row `INSERT` (each binding a few values).
pub const INSERT_ROWS_CHUNK: usize = 500;

/// Raises this transaction's `maintenance_work_mem` to at least 256 MB (PostgreSQL), for
/// index builds after a bulk load: with the default 64 MB their sorts spill and merge.
pub const ROOMY_MAINTENANCE_MEMORY: &str = "SELECT set_config('maintenance_work_mem', '256MB', true) \
     WHERE pg_size_bytes(current_setting('maintenance_work_mem')) < 268435456";

/// A statement from SQL with `?` placeholders, numbered `$1, $2…` for PostgreSQL.
///
/// The SQL must not contain `?` inside literals; callers bind every value.
pub fn statement(backend: DbBackend, sql: &str, values: Vec<Value>) -> Statement {
    let sql = match backend {
        DbBackend::Postgres => number_placeholders(sql),
        _ => sql.to_owned(),
    };
    Statement::from_sql_and_values(backend, sql, values)
}

/// A PostgreSQL array literal of `elements`, each quoted (`{"1","2"}`): the text form a
/// `$n::bigint[]` (or any other array type) parameter is read from.
pub fn array_literal(elements: impl Iterator<Item = String>) -> String {
    let mut literal = String::from("{");
    for (index, element) in elements.enumerate() {
        if index > 0 {
            literal.push(',');
        }
        literal.push('"');
        for ch in element.chars() {
            if matches!(ch, '"' | '\\') {
                literal.push('\\');
            }
            literal.push(ch);
        }
        literal.push('"');
    }
    literal.push('}');
    literal
}

/// `?, ?` → `$1, $2`.
fn number_placeholders(sql: &str) -> String {
    let mut rendered = String::with_capacity(sql.len() + 16);
    let mut next = 1;
    for ch in sql.chars() {
        if ch == '?' {
            rendered.push('$');
            rendered.push_str(&next.to_string());
            next += 1;
        } else {
            rendered.push(ch);
        }
    }
    rendered
}

/// `?, ?, ?` with `count` placeholders, for `IN (…)` lists.
pub fn placeholders(count: usize) -> String {
    let mut list = String::with_capacity(count * 3);
    for index in 0..count {
        if index > 0 {
            list.push_str(", ");
        }
        list.push('?');
    }
    list
}

/// How many rows of `E` each of `owner_ids` has in `owner_column` (owners without rows are
/// absent), in one statement.
///
/// # Errors
/// `INTERNAL_SERVER_ERROR` on database failure.
pub async fn counts_by_owner<E: EntityTrait>(
    db: &impl ConnectionTrait,
    owner_column: E::Column,
    owner_ids: &[i64],
) -> AppResult<HashMap<i64, i64>> {
    if owner_ids.is_empty() {
        return Ok(HashMap::new());
    }
    let counts: Vec<(i64, i64)> = E::find()
        .select_only()
        .column(owner_column)
        .column_as(Expr::col(owner_column).count(), "count")
        .filter(owner_column.is_in(owner_ids.iter().copied()))
        .group_by(owner_column)
        .into_tuple()
        .all(db)
        .await?;
    Ok(counts.into_iter().collect())
}

/// Maps a foreign-key violation — the row a write points at is not there — to `NOT_FOUND`
/// for `resource`, and any other failure to an internal error.
pub fn missing(resource: &'static str) -> impl Fn(DbErr) -> AppError {
    move |error| match error.sql_err() {
        Some(SqlErr::ForeignKeyConstraintViolation(_)) => AppError::NotFound { resource },
        _ => error.into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn array_literals_quote_every_element() {
        let elements = ["1", "", "a\"b", "c\\d", "NULL", "{x,y}"].map(str::to_owned);
        assert_eq!(
            array_literal(elements.into_iter()),
            r#"{"1","","a\"b","c\\d","NULL","{x,y}"}"#
        );
        assert_eq!(array_literal(std::iter::empty()), "{}");
    }

    #[test]
    fn placeholders_are_numbered_for_postgres() {
        assert_eq!(
            number_placeholders("a = ? AND b IN (?, ?)"),
            "a = $1 AND b IN ($2, $3)"
        );
        assert_eq!(placeholders(3), "?, ?, ?");
    }
}
