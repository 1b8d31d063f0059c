//! `oauth_apps`: third-party applications registered by users.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "oauth_apps")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    /// Public identifier sent by the app.
    pub client_id: String,
    pub owner_id: i64,
    pub name: String,
    pub description: String,
    pub homepage_url: String,
    /// Registered redirect URIs, one per line, compared exactly.
    pub redirect_uris: String,
    /// Whether the app keeps a secret (a server); public apps (SPAs, native) do not.
    pub confidential: bool,
    /// SHA-256 of the client secret, hex; `None` for public apps.
    pub secret_hash: Option<String>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
