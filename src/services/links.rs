//! Lists made by link tables — one row per (owner, listed row) with the time it was made:
//! a paper's upvoters, a user's upvoted and saved papers, the authors and users a user
//! follows. Each list is newest link first, a range of the table's
//! `(owner, created_at, listed)` index however long it is; first pages of many owners are
//! read at once (see [`OwnedList`]).

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Alias, Asterisk, Expr, ExprTrait, Query};
use sea_orm::{ConnectionTrait, FromQueryResult};

use crate::error::AppResult;
use crate::pagination::{KeyPart, Keyset, Page, PageRequest};

use super::keyset::OwnedList;

/// A link table and the table of the rows it lists (joined on their `id`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LinkTable {
    pub table: &'static str,
    /// The column naming the list's owner.
    pub owner: &'static str,
    /// The column naming the listed row.
    pub listed: &'static str,
    pub listed_table: &'static str,
}

/// The column carrying when a listed row was linked.
const LINKED_AT: &str = "linked_at";

/// One listed row and when its link was made.
#[derive(Debug, Clone)]
pub struct Linked<T> {
    pub item: T,
    pub linked_at: DateTime<Utc>,
}

impl<T> Linked<T> {
    /// The row's position in its list.
    pub fn key(&self, id: i64) -> Keyset {
        Keyset {
            parts: vec![KeyPart::time(self.linked_at)],
            id,
            generation: None,
        }
    }
}

impl LinkTable {
    /// The types of a cursor's key parts.
    pub fn cursor_shape() -> Vec<KeyPart> {
        vec![KeyPart::Time(0)]
    }

    fn column(&self, name: &'static str) -> Expr {
        Expr::col((Alias::new(self.table), Alias::new(name)))
    }

    /// The listed rows with the time of each link as `linked_at`, newest first.
    fn list(&self) -> OwnedList {
        let listed = Alias::new(self.listed_table);
        let rows = Query::select()
            .column((listed.clone(), Asterisk))
            .expr_as(self.column("created_at"), Alias::new(LINKED_AT))
            .from(Alias::new(self.table))
            .inner_join(
                listed.clone(),
                Expr::col((listed, Alias::new("id")))
                    .equals((Alias::new(self.table), Alias::new(self.listed))),
            )
            .to_owned();
        OwnedList {
            rows,
            owner: self.column(self.owner),
            order: vec![self.column("created_at"), self.column(self.listed)],
            descending: true,
        }
    }

    /// A page of `owner_id`'s list after (or before) the request's cursors.
    ///
    /// # Errors
    /// `BAD_USER_INPUT` for an out-of-range cursor; `INTERNAL_SERVER_ERROR` on database
    /// failure.
    pub async fn page<T: FromQueryResult>(
        &self,
        db: &impl ConnectionTrait,
        owner_id: i64,
        request: &PageRequest,
    ) -> AppResult<Page<Linked<T>>> {
        let statement = self.list().page(owner_id, request)?;
        let backend = db.get_database_backend();
        let rows = db.query_all_raw(backend.build(&statement)).await?;
        let linked = rows
            .iter()
            .map(|row| linked(row))
            .collect::<AppResult<Vec<_>>>()?;
        Ok(request.into_page(linked))
    }

    /// The first `limit` entries of each owner's list, in one statement.
    ///
    /// # Errors
    /// `INTERNAL_SERVER_ERROR` on database failure.
    pub async fn first_pages<T: FromQueryResult>(
        &self,
        db: &impl ConnectionTrait,
        owner_ids: &[i64],
        limit: u64,
    ) -> AppResult<HashMap<i64, Vec<Linked<T>>>> {
        self.list()
            .read_first_pages(db, owner_ids, limit, linked)
            .await
    }

    /// How many links each of `owner_ids` has (owners without links are absent).
    ///
    /// # Errors
    /// `INTERNAL_SERVER_ERROR` on database failure.
    pub async fn counts_by_owner(
        &self,
        db: &impl ConnectionTrait,
        owner_ids: &[i64],
    ) -> AppResult<HashMap<i64, i64>> {
        self.counts(db, self.owner, owner_ids).await
    }

    /// How many links `owner_id` has.
    ///
    /// # Errors
    /// `INTERNAL_SERVER_ERROR` on database failure.
    pub async fn count_of(&self, db: &impl ConnectionTrait, owner_id: i64) -> AppResult<i64> {
        let counts = self.counts_by_owner(db, &[owner_id]).await?;
        Ok(counts.get(&owner_id).copied().unwrap_or(0))
    }

    /// How many links point at each of `listed_ids` (a paper's savers, an author's
    /// followers); rows without links are absent.
    ///
    /// # Errors
    /// `INTERNAL_SERVER_ERROR` on database failure.
    pub async fn counts_by_listed(
        &self,
        db: &impl ConnectionTrait,
        listed_ids: &[i64],
    ) -> AppResult<HashMap<i64, i64>> {
        self.counts(db, self.listed, listed_ids).await
    }

    async fn counts(
        &self,
        db: &impl ConnectionTrait,
        column: &'static str,
        ids: &[i64],
    ) -> AppResult<HashMap<i64, i64>> {
        if ids.is_empty() {
            return Ok(HashMap::new());
        }
        let statement = Query::select()
            .expr_as(self.column(column), Alias::new("id"))
            .expr_as(Expr::col(Asterisk).count(), Alias::new("count"))
            .from(Alias::new(self.table))
            .and_where(self.column(column).is_in(ids.iter().copied()))
            .group_by_col(Alias::new(column))
            .to_owned();
        let rows = db
            .query_all_raw(db.get_database_backend().build(&statement))
            .await?;
        rows.iter()
            .map(|row| Ok((row.try_get("", "id")?, row.try_get("", "count")?)))
            .collect()
    }

    /// Which of `listed_ids` `owner_id` links to, in one statement.
    ///
    /// # Errors
    /// `INTERNAL_SERVER_ERROR` on database failure.
    pub async fn linked_among(
        &self,
        db: &impl ConnectionTrait,
        owner_id: i64,
        listed_ids: &[i64],
    ) -> AppResult<HashSet<i64>> {
        if listed_ids.is_empty() {
            return Ok(HashSet::new());
        }
        let statement = Query::select()
            .expr_as(self.column(self.listed), Alias::new("id"))
            .from(Alias::new(self.table))
            .and_where(self.column(self.owner).eq(owner_id))
            .and_where(self.column(self.listed).is_in(listed_ids.iter().copied()))
            .to_owned();
        let rows = db
            .query_all_raw(db.get_database_backend().build(&statement))
            .await?;
        rows.iter()
            .map(|row| Ok(row.try_get::<i64>("", "id")?))
            .collect()
    }
}

fn linked<T: FromQueryResult>(row: &sea_orm::QueryResult) -> AppResult<Linked<T>> {
    Ok(Linked {
        item: T::from_query_result(row, "")?,
        linked_at: row.try_get("", LINKED_AT)?,
    })
}
