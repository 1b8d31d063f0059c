//! `sync_progress`: where each harvest stands.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "sync_progress")]
pub struct Model {
    /// The source, set and dates of the harvest.
    #[sea_orm(primary_key, auto_increment = false)]
    pub job: String,
    /// Where the next page starts; `None` before the first page and after the last.
    pub resumption_token: Option<String>,
    pub pages: i32,
    pub stored: i32,
    pub revised: i32,
    pub unchanged: i32,
    pub skipped: i32,
    pub finished: bool,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
