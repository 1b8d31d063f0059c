//! `sign_ins`: what a login or an OAuth code exchange starts; one refresh-token family.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "sign_ins")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    /// `sessions.family_id` of this sign-in's refresh tokens.
    pub family_id: String,
    pub user_id: i64,
    /// The OAuth app signed in through; `None` for a first-party sign-in.
    pub app_id: Option<i64>,
    /// Granted scopes, space-separated; `None` for a first-party sign-in (every scope).
    pub scopes: Option<String>,
    pub user_agent: Option<String>,
    pub client_address: Option<String>,
    pub created_at: DateTimeUtc,
    pub last_used_at: DateTimeUtc,
    pub revoked_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::user::Entity",
        from = "Column::UserId",
        to = "super::user::Column::Id"
    )]
    User,
}

impl Related<super::user::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::User.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
