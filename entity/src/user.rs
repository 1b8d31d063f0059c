//! `users`: accounts.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "users")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub username: String,
    /// `username` lower-cased; unique.
    pub username_key: String,
    pub email: String,
    /// `email` lower-cased; unique.
    pub email_key: String,
    pub display_name: Option<String>,
    /// argon2id PHC string.
    pub password_hash: String,
    /// `USER`, `MODERATOR` or `ADMIN`.
    pub role: String,
    pub created_at: DateTimeUtc,
    /// Set while the account is banned.
    pub ban_reason: Option<String>,
    /// When a ban ends; `None` for a ban without end.
    pub banned_until: Option<DateTimeUtc>,
    pub bio: Option<String>,
    pub website_url: Option<String>,
    pub avatar_url: Option<String>,
    /// When the current `email` was proven to be the user's; `None` until then.
    pub email_verified_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
