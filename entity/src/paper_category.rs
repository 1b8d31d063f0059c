//! `paper_categories`: a paper's arXiv categories.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "paper_categories")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub paper_id: i64,
    #[sea_orm(primary_key, auto_increment = false)]
    pub code: String,
    /// 0 for the primary category, then the cross-lists in the source's order.
    pub position: i32,
    /// The paper's `submitted_at`, kept here so a category's papers are an index range.
    pub submitted_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
