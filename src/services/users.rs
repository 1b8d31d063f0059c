//! Reading users.

use std::collections::HashMap;

use entity::user;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};

use crate::error::AppResult;

/// The lower-cased form usernames and emails are compared in.
pub fn lookup_key(value: &str) -> String {
    value.to_lowercase()
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
    Ok(user::Entity::find()
        .filter(user::Column::UsernameKey.eq(lookup_key(username)))
        .one(db)
        .await?)
}
