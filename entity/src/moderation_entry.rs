//! `moderation_log`: one row per moderator action, public.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "moderation_log")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    /// `None` once the moderator's account is gone.
    pub moderator_id: Option<i64>,
    /// `HIDE_COMMENT`, `UNHIDE_COMMENT`, `DELETE_COMMENT`, `DELETE_PAPER`, `BAN_USER`,
    /// `UNBAN_USER`, `SET_ROLE` or `DISMISS_REPORT`.
    pub action: String,
    /// `COMMENT`, `PAPER`, `USER` or `REPORT`.
    pub target_kind: String,
    pub target_id: i64,
    pub reason: Option<String>,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
