//! `comments`: threaded discussion of a paper.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "comments")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub paper_id: i64,
    /// `None` once the account is gone.
    pub author_id: Option<i64>,
    /// `None` for a top-level comment.
    pub parent_id: Option<i64>,
    /// 0 for a top-level comment, the parent's depth + 1 for a reply.
    pub depth: i32,
    /// Markdown as written; empty once deleted.
    pub body: String,
    /// `body` rendered and sanitised.
    pub body_html: String,
    pub created_at: DateTimeUtc,
    pub edited_at: Option<DateTimeUtc>,
    /// A tombstone: deleted while it had replies.
    pub deleted: bool,
    /// Hidden by a moderator.
    pub hidden: bool,
    /// Kept by triggers: upvote rows.
    pub upvote_count: i32,
    /// Kept by triggers: direct replies, tombstones included.
    pub reply_count: i32,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
