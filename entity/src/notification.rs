//! `notifications`: a user's inbox.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "notifications")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    /// The recipient.
    pub user_id: i64,
    /// `COMMENT_REPLY`, `PAPER_COMMENT`, `MENTION`, `FOLLOWED_AUTHOR_PAPER`,
    /// `FOLLOWED_USER_PAPER` or `MODERATION`.
    pub kind: String,
    /// Set on rows that gather events while unread (papers of followed sources).
    pub group_key: Option<String>,
    /// How many events the row stands for.
    pub event_count: i32,
    pub actor_id: Option<i64>,
    pub author_id: Option<i64>,
    pub paper_id: Option<i64>,
    pub comment_id: Option<i64>,
    /// When the row's latest event happened.
    pub created_at: DateTimeUtc,
    pub read_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
