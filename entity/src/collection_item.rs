//! `collection_items`: one per (collection, paper), in the owner's order.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "collection_items")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub collection_id: i64,
    #[sea_orm(primary_key, auto_increment = false)]
    pub paper_id: i64,
    /// The item's place: items are listed by ascending position.
    pub position: i64,
    pub note: Option<String>,
    pub added_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
