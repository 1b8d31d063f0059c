//! Reading users.

use std::collections::HashMap;

use entity::user;
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter};

use crate::domain::account::lookup_key;
use crate::error::{AppError, AppResult};
use crate::pagination::{KeyPart, Keyset, ListKind, Page, PageRequest};

use super::keyset::apply_page;

/// The cursor family of the user list.
pub const LIST_KIND: ListKind = ListKind::UsersByName;

/// The types of a user-list cursor's key parts.
pub fn cursor_shape() -> Vec<KeyPart> {
    vec![KeyPart::Text(String::new())]
}

/// The position of `user` in the alphabetical list.
pub fn key_of(user: &user::Model) -> Keyset {
    Keyset {
        parts: vec![KeyPart::Text(user.username_key.clone())],
        id: user.id,
        generation: None,
    }
}

/// One page of users in username order.
///
/// # Errors
/// `BAD_USER_INPUT` for an out-of-range cursor; `INTERNAL_SERVER_ERROR` on database failure.
pub async fn list(db: &impl ConnectionTrait, page: &PageRequest) -> AppResult<Page<user::Model>> {
    let columns = vec![
        Expr::col((user::Entity, user::Column::UsernameKey)),
        Expr::col((user::Entity, user::Column::Id)),
    ];
    let rows = apply_page(user::Entity::find(), columns, false, page)?
        .all(db)
        .await?;
    Ok(page.into_page(rows))
}

/// How many users there are.
///
/// # Errors
/// `INTERNAL_SERVER_ERROR` on database failure.
pub async fn count(db: &impl ConnectionTrait) -> AppResult<i64> {
    let count = user::Entity::find().count(db).await?;
    Ok(i64::try_from(count).unwrap_or(i64::MAX))
}

/// The user with this id.
///
/// # Errors
/// `INTERNAL_SERVER_ERROR` on database failure.
pub async fn by_id(db: &impl ConnectionTrait, id: i64) -> AppResult<Option<user::Model>> {
    Ok(user::Entity::find_by_id(id).one(db).await?)
}

/// The users with these ids, by id.
///
/// # Errors
/// `INTERNAL_SERVER_ERROR` on database failure.
pub async fn by_ids(
    db: &impl ConnectionTrait,
    ids: &[i64],
) -> AppResult<HashMap<i64, user::Model>> {
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    let users = user::Entity::find()
        .filter(user::Column::Id.is_in(ids.iter().copied()))
        .all(db)
        .await?;
    Ok(users.into_iter().map(|user| (user.id, user)).collect())
}

/// The user with this username, compared case-insensitively.
///
/// # Errors
/// `INTERNAL_SERVER_ERROR` on database failure.
pub async fn by_username(
    db: &impl ConnectionTrait,
    username: &str,
) -> AppResult<Option<user::Model>> {
    let Some(key) = lookup_key(username) else {
        return Ok(None);
    };
    Ok(user::Entity::find()
        .filter(user::Column::UsernameKey.eq(key))
        .one(db)
        .await?)
}

/// The ban `user` is under at `now`, as the error its writes get; `None` when not banned
/// (never, or the ban has ended).
pub fn ban_of(user: &user::Model, now: chrono::DateTime<chrono::Utc>) -> Option<AppError> {
    ban_from(user.ban_reason.as_deref(), user.banned_until, now)
}

/// The ban of an account with these ban columns at `now` (see [`ban_of`]).
pub fn ban_from(
    reason: Option<&str>,
    until: Option<chrono::DateTime<chrono::Utc>>,
    now: chrono::DateTime<chrono::Utc>,
) -> Option<AppError> {
    let reason = reason?.to_owned();
    if until.is_some_and(|until| until <= now) {
        return None;
    }
    Some(AppError::Banned { reason, until })
}
