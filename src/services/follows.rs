//! Follows: a user follows authors, other users and arXiv categories. Each is one row per
//! (follower, target), so following twice is a no-op; a user follows at most
//! [`MAX_FOLLOWS`] authors and as many users, which bounds the personal feed's work.

use std::collections::{HashMap, HashSet};

use entity::{author_follow, category_follow, user_follow};
use sea_orm::sea_query::{Expr, ExprTrait, OnConflict};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect,
};

use crate::clock;
use crate::domain::taxonomy::category_name;
use crate::error::{AppError, AppResult};

use super::links::LinkTable;
use super::paper_filter::FollowedSources;
use super::{Context, sql};

/// The most authors (and, separately, users) one user may follow.
pub const MAX_FOLLOWS: u64 = 5_000;

/// The authors a user follows, newest follow first.
pub const FOLLOWED_AUTHORS: LinkTable = LinkTable {
    table: "author_follows",
    owner: "user_id",
    listed: "author_id",
    listed_table: "authors",
};

/// The users a user follows, newest follow first.
pub const FOLLOWED_USERS: LinkTable = LinkTable {
    table: "user_follows",
    owner: "follower_id",
    listed: "user_id",
    listed_table: "users",
};

/// What a follower follows.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Followed {
    Author(i64),
    User(i64),
    Category(String),
}

/// `follower_id` follows `target` (`followed`) or stops following it; either twice
/// changes nothing.
///
/// # Errors
/// `NOT_FOUND` for a missing author or user; `BAD_USER_INPUT` for following oneself, an
/// unknown category, or more than [`MAX_FOLLOWS`] authors or users.
pub async fn set(
    ctx: Context<'_>,
    follower_id: i64,
    target: &Followed,
    followed: bool,
) -> AppResult<()> {
    let db = ctx.db.writer();
    if !followed {
        return unfollow(db, follower_id, target).await;
    }
    let now = clock::stored(clock::now());
    match target {
        Followed::Author(author_id) => {
            within_limit(db, &FOLLOWED_AUTHORS, follower_id, "authorId").await?;
            let row = author_follow::ActiveModel {
                user_id: Set(follower_id),
                author_id: Set(*author_id),
                created_at: Set(now),
            };
            author_follow::Entity::insert(row)
                .on_conflict(
                    OnConflict::columns([
                        author_follow::Column::UserId,
                        author_follow::Column::AuthorId,
                    ])
                    .do_nothing()
                    .to_owned(),
                )
                .exec_without_returning(db)
                .await
                .map_err(sql::missing("author"))?;
        }
        Followed::User(user_id) => {
            if *user_id == follower_id {
                return Err(AppError::bad_input(
                    "username",
                    "you cannot follow yourself",
                ));
            }
            within_limit(db, &FOLLOWED_USERS, follower_id, "username").await?;
            let row = user_follow::ActiveModel {
                follower_id: Set(follower_id),
                user_id: Set(*user_id),
                created_at: Set(now),
            };
            user_follow::Entity::insert(row)
                .on_conflict(
                    OnConflict::columns([
                        user_follow::Column::FollowerId,
                        user_follow::Column::UserId,
                    ])
                    .do_nothing()
                    .to_owned(),
                )
                .exec_without_returning(db)
                .await
                .map_err(sql::missing("user"))?;
        }
        Followed::Category(code) => {
            known_category(code)?;
            let row = category_follow::ActiveModel {
                user_id: Set(follower_id),
                code: Set(code.clone()),
                created_at: Set(now),
            };
            category_follow::Entity::insert(row)
                .on_conflict(
                    OnConflict::columns([
                        category_follow::Column::UserId,
                        category_follow::Column::Code,
                    ])
                    .do_nothing()
                    .to_owned(),
                )
                .exec_without_returning(db)
                .await?;
        }
    }
    Ok(())
}

async fn unfollow(db: &impl ConnectionTrait, follower_id: i64, target: &Followed) -> AppResult<()> {
    match target {
        Followed::Author(author_id) => {
            author_follow::Entity::delete_many()
                .filter(author_follow::Column::UserId.eq(follower_id))
                .filter(author_follow::Column::AuthorId.eq(*author_id))
                .exec(db)
                .await?;
        }
        Followed::User(user_id) => {
            user_follow::Entity::delete_many()
                .filter(user_follow::Column::FollowerId.eq(follower_id))
                .filter(user_follow::Column::UserId.eq(*user_id))
                .exec(db)
                .await?;
        }
        Followed::Category(code) => {
            known_category(code)?;
            category_follow::Entity::delete_many()
                .filter(category_follow::Column::UserId.eq(follower_id))
                .filter(category_follow::Column::Code.eq(code.as_str()))
                .exec(db)
                .await?;
        }
    }
    Ok(())
}

fn known_category(code: &str) -> AppResult<()> {
    category_name(code)
        .map(|_| ())
        .ok_or_else(|| AppError::bad_input("code", format!("`{code}` is not an arXiv category")))
}

async fn within_limit(
    db: &impl ConnectionTrait,
    list: &LinkTable,
    follower_id: i64,
    field: &str,
) -> AppResult<()> {
    let count = list.count_of(db, follower_id).await?;
    if u64::try_from(count).unwrap_or(u64::MAX) >= MAX_FOLLOWS {
        return Err(AppError::bad_input(
            field,
            format!("you already follow the most allowed ({MAX_FOLLOWS}); unfollow some first"),
        ));
    }
    Ok(())
}

/// Everything `follower_id` follows, for testing papers as they arrive.
///
/// # Errors
/// `INTERNAL_SERVER_ERROR` on database failure.
pub async fn sources_of(db: &impl ConnectionTrait, follower_id: i64) -> AppResult<FollowedSources> {
    let authors: Vec<i64> = author_follow::Entity::find()
        .select_only()
        .column(author_follow::Column::AuthorId)
        .filter(author_follow::Column::UserId.eq(follower_id))
        .into_tuple()
        .all(db)
        .await?;
    let users: Vec<i64> = user_follow::Entity::find()
        .select_only()
        .column(user_follow::Column::UserId)
        .filter(user_follow::Column::FollowerId.eq(follower_id))
        .into_tuple()
        .all(db)
        .await?;
    let categories = followed_categories(db, follower_id).await?;
    Ok(FollowedSources {
        authors: authors.into_iter().collect(),
        users: users.into_iter().collect(),
        categories: categories.into_iter().collect(),
    })
}

/// The categories `follower_id` follows, by code.
///
/// # Errors
/// `INTERNAL_SERVER_ERROR` on database failure.
pub async fn followed_categories(
    db: &impl ConnectionTrait,
    follower_id: i64,
) -> AppResult<Vec<String>> {
    Ok(category_follow::Entity::find()
        .select_only()
        .column(category_follow::Column::Code)
        .filter(category_follow::Column::UserId.eq(follower_id))
        .order_by_asc(category_follow::Column::Code)
        .into_tuple()
        .all(db)
        .await?)
}

/// How many users follow each of `codes` (categories without followers are absent).
///
/// # Errors
/// `INTERNAL_SERVER_ERROR` on database failure.
pub async fn category_follower_counts(
    db: &impl ConnectionTrait,
    codes: &[String],
) -> AppResult<HashMap<String, i64>> {
    if codes.is_empty() {
        return Ok(HashMap::new());
    }
    let counts: Vec<(String, i64)> = category_follow::Entity::find()
        .select_only()
        .column(category_follow::Column::Code)
        .column_as(Expr::col(category_follow::Column::UserId).count(), "count")
        .filter(category_follow::Column::Code.is_in(codes.iter().cloned()))
        .group_by(category_follow::Column::Code)
        .into_tuple()
        .all(db)
        .await?;
    Ok(counts.into_iter().collect())
}

/// Which of `codes` `follower_id` follows.
///
/// # Errors
/// `INTERNAL_SERVER_ERROR` on database failure.
pub async fn followed_among(
    db: &impl ConnectionTrait,
    follower_id: i64,
    codes: &[String],
) -> AppResult<HashSet<String>> {
    if codes.is_empty() {
        return Ok(HashSet::new());
    }
    let followed: Vec<String> = category_follow::Entity::find()
        .select_only()
        .column(category_follow::Column::Code)
        .filter(category_follow::Column::UserId.eq(follower_id))
        .filter(category_follow::Column::Code.is_in(codes.iter().cloned()))
        .into_tuple()
        .all(db)
        .await?;
    Ok(followed.into_iter().collect())
}
