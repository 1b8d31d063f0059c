//! `reports`: a user's report of a comment or paper to the moderators.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "reports")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub reporter_id: i64,
    /// `COMMENT` or `PAPER`.
    pub target_kind: String,
    pub target_id: i64,
    pub reason: String,
    /// `OPEN` or `RESOLVED`.
    pub status: String,
    /// How it was resolved: `DISMISS`, `HIDE` or `DELETE`.
    pub action: Option<String>,
    pub created_at: DateTimeUtc,
    pub resolved_at: Option<DateTimeUtc>,
    pub resolved_by: Option<i64>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
