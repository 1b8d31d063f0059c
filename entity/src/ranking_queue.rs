//! `ranking_queue`: papers whose upvotes changed since the last ranking refresh (filled by
//! the upvote triggers).

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "ranking_queue")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub paper_id: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
