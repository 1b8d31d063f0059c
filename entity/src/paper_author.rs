//! `paper_authors`: the ordered byline.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "paper_authors")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub paper_id: i64,
    /// 0-based position in the byline.
    #[sea_orm(primary_key, auto_increment = false)]
    pub position: i32,
    pub author_id: i64,
    /// The paper's `published_order`, kept here so an author's list is an index range.
    pub published_order: Date,
    /// The paper's `submitted_at`, for the same reason.
    pub submitted_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
