//! `collections`: a user's named lists of papers.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "collections")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    /// `None` once the owner's account is gone (public and unlisted collections stay).
    pub owner_id: Option<i64>,
    pub name: String,
    pub description: String,
    /// `PUBLIC`, `UNLISTED` or `PRIVATE`.
    pub visibility: String,
    /// Kept exact by triggers.
    pub item_count: i32,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
