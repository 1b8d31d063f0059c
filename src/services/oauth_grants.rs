//! What users grant OAuth apps: consents, authorization codes, and their exchange for
//! tokens.
//!
//! A code is 256 random bits, stored as its SHA-256, valid for 60 seconds and for one
//! exchange: the exchange marks it used before checking anything else, so a failed PKCE
//! check burns it too, and a code presented again revokes the sign-in its first exchange
//! started (RFC 6749 §4.1.2: a replayed code means it leaked).

use chrono::Duration;
use entity::{oauth_app, oauth_code as code, oauth_consent as consent};
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder,
    TransactionTrait,
};

use crate::auth::{Auth, Scopes, pkce, random_token, token_hash};
use crate::clock;
use crate::db::Database;
use crate::error::{AppError, AppResult};

use super::sign_ins::{self, Origin, Tokens, Which};
use super::{Context, users};

/// How long a code may wait for its exchange.
pub const CODE_LIFETIME_SECONDS: i64 = 60;

/// Whether `user_id` already granted `app_id` at least `scopes`.
///
/// # Errors
/// `INTERNAL_SERVER_ERROR` on failure.
pub async fn consented(
    db: &impl ConnectionTrait,
    user_id: i64,
    app_id: i64,
    scopes: Scopes,
) -> AppResult<bool> {
    let granted = consent::Entity::find_by_id((user_id, app_id))
        .one(db)
        .await?;
    Ok(granted.is_some_and(|granted| Scopes::from_stored(&granted.scopes).covers(scopes)))
}

/// What an authorization request asked for, validated.
#[derive(Debug, Clone)]
pub struct Grant {
    pub user_id: i64,
    pub app_id: i64,
    pub redirect_uri: String,
    pub scopes: Scopes,
    pub code_challenge: String,
}

/// Records the user's consent and issues a code for it.
///
/// # Errors
/// `INTERNAL_SERVER_ERROR` on failure.
pub async fn authorize(db: &Database, grant: Grant) -> AppResult<String> {
    let now = clock::now();
    let secret = random_token(32)?;
    let transaction = db.writer().begin().await?;
    consent::Entity::insert(consent::ActiveModel {
        user_id: Set(grant.user_id),
        app_id: Set(grant.app_id),
        scopes: Set(grant.scopes.to_string()),
        granted_at: Set(now),
    })
    .on_conflict(
        OnConflict::columns([consent::Column::UserId, consent::Column::AppId])
            .update_columns([consent::Column::Scopes, consent::Column::GrantedAt])
            .to_owned(),
    )
    .exec(&transaction)
    .await?;
    code::Entity::insert(code::ActiveModel {
        code_hash: Set(token_hash(&secret)),
        app_id: Set(grant.app_id),
        user_id: Set(grant.user_id),
        redirect_uri: Set(grant.redirect_uri),
        scopes: Set(grant.scopes.to_string()),
        code_challenge: Set(grant.code_challenge),
        created_at: Set(now),
        expires_at: Set(now + Duration::seconds(CODE_LIFETIME_SECONDS)),
        used_at: Set(None),
        sign_in_id: Set(None),
        ..Default::default()
    })
    .exec(&transaction)
    .await?;
    transaction.commit().await?;
    Ok(secret)
}

/// Why a code was not exchanged. Clients see `invalid_grant` with the description.
#[derive(Debug)]
pub enum ExchangeRefused {
    InvalidGrant(&'static str),
    Failed(AppError),
}

impl From<AppError> for ExchangeRefused {
    fn from(error: AppError) -> Self {
        Self::Failed(error)
    }
}

impl From<sea_orm::DbErr> for ExchangeRefused {
    fn from(error: sea_orm::DbErr) -> Self {
        Self::Failed(error.into())
    }
}

/// What the client presents with a code.
pub struct Exchange<'a> {
    pub code: &'a str,
    pub redirect_uri: Option<&'a str>,
    pub code_verifier: Option<&'a str>,
    pub origin: Origin,
}

/// Exchanges a code issued to `app` for tokens.
///
/// # Errors
/// [`ExchangeRefused`]; a reused code also revokes the tokens of its first exchange.
pub async fn exchange(
    ctx: Context<'_>,
    auth: &Auth,
    app: &oauth_app::Model,
    presented: Exchange<'_>,
) -> Result<Tokens, ExchangeRefused> {
    let invalid = ExchangeRefused::InvalidGrant;
    if presented.code.len() > 128 {
        return Err(invalid("unknown authorization code"));
    }
    let now = clock::now();
    let db = ctx.db;
    let transaction = db.writer().begin().await?;
    let Some(issued) = code::Entity::find()
        .filter(code::Column::CodeHash.eq(token_hash(presented.code)))
        .one(&transaction)
        .await?
    else {
        return Err(invalid("unknown authorization code"));
    };
    let claimed = code::Entity::update_many()
        .col_expr(code::Column::UsedAt, Expr::val(now))
        .filter(code::Column::Id.eq(issued.id))
        .filter(code::Column::UsedAt.is_null())
        .exec(&transaction)
        .await?
        .rows_affected;
    if claimed != 1 {
        let revoked = match issued.sign_in_id {
            Some(sign_in) => Some(sign_ins::revoke(&transaction, sign_in).await?),
            None => None,
        };
        transaction.commit().await?;
        if let Some(revoked) = revoked {
            revoked.publish(ctx.events).await;
        }
        tracing::warn!(
            app.id = issued.app_id,
            "authorization code reused: its tokens revoked"
        );
        return Err(invalid("the authorization code was already used"));
    }
    let refusal = if issued.app_id != app.id {
        Some("the authorization code was issued to another client")
    } else if issued.expires_at <= now {
        Some("the authorization code expired")
    } else if presented.redirect_uri != Some(issued.redirect_uri.as_str()) {
        Some("redirect_uri does not match the authorization request")
    } else if !presented
        .code_verifier
        .is_some_and(|verifier| pkce::verifies(verifier, &issued.code_challenge))
    {
        Some("code_verifier does not match the code challenge")
    } else {
        None
    };
    if let Some(refusal) = refusal {
        // The code is burned either way: a guess at the verifier gets one try.
        transaction.commit().await?;
        return Err(invalid(refusal));
    }
    let Some(user) = users::by_id(&transaction, issued.user_id).await? else {
        transaction.commit().await?;
        return Err(invalid("the account is gone"));
    };
    let origin = Origin {
        app: Some(app.id),
        scopes: Some(Scopes::from_stored(&issued.scopes)),
        ..presented.origin
    };
    let tokens = sign_ins::start(&transaction, auth, user, origin).await?;
    code::Entity::update_many()
        .col_expr(code::Column::SignInId, Expr::val(tokens.sign_in.id))
        .filter(code::Column::Id.eq(issued.id))
        .exec(&transaction)
        .await?;
    transaction.commit().await?;
    Ok(tokens)
}

/// The apps a user granted access, with what they granted, newest grant first.
///
/// # Errors
/// `INTERNAL_SERVER_ERROR` on failure.
pub async fn authorized_apps(
    db: &impl ConnectionTrait,
    user_id: i64,
) -> AppResult<Vec<(consent::Model, oauth_app::Model)>> {
    let consents = consent::Entity::find()
        .filter(consent::Column::UserId.eq(user_id))
        .order_by_desc(consent::Column::GrantedAt)
        .all(db)
        .await?;
    let ids: Vec<i64> = consents.iter().map(|granted| granted.app_id).collect();
    let apps = oauth_app::Entity::find()
        .filter(oauth_app::Column::Id.is_in(ids))
        .all(db)
        .await?;
    Ok(consents
        .into_iter()
        .filter_map(|granted| {
            let app = apps.iter().find(|app| app.id == granted.app_id)?.clone();
            Some((granted, app))
        })
        .collect())
}

/// Withdraws what `user_id` granted app `app_id`: the consent, and every sign-in (so every
/// token) of that app for the user. `false` when nothing was granted.
///
/// # Errors
/// `INTERNAL_SERVER_ERROR` on failure.
pub async fn revoke_authorization(ctx: Context<'_>, user_id: i64, app_id: i64) -> AppResult<bool> {
    let transaction = ctx.db.writer().begin().await?;
    let removed = consent::Entity::delete_by_id((user_id, app_id))
        .exec(&transaction)
        .await?
        .rows_affected;
    let revoked = sign_ins::revoke_of_user(&transaction, user_id, Which::OfApp(app_id)).await?;
    transaction.commit().await?;
    Ok(removed + revoked.publish(ctx.events).await > 0)
}
