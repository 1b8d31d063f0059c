//! `oauth_codes`: authorization codes, single-use and short-lived.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "oauth_codes")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    /// SHA-256 of the code, hex.
    pub code_hash: String,
    pub app_id: i64,
    pub user_id: i64,
    /// The redirect URI the code was sent to; the exchange must name it again.
    pub redirect_uri: String,
    /// Granted scopes, space-separated.
    pub scopes: String,
    /// PKCE `S256` challenge: base64url(SHA-256(verifier)).
    pub code_challenge: String,
    pub created_at: DateTimeUtc,
    pub expires_at: DateTimeUtc,
    /// Set by the one exchange that may use the code.
    pub used_at: Option<DateTimeUtc>,
    /// The sign-in the exchange started, revoked if the code is presented again.
    pub sign_in_id: Option<i64>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
