//! `ranking_history`: the ranking values a refresh replaced, tagged with the generation
//! that replaced them, so that a walk can be read as of its own generation. Keyed by
//! generation first: a refresh appends, pruning cuts the oldest range, and a walk reads the
//! range written since it began.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "ranking_history")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub generation: i64,
    #[sea_orm(primary_key, auto_increment = false)]
    pub paper_id: i64,
    pub rank_count: i32,
    pub hot_score: f64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
