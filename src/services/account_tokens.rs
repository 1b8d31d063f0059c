//! One-time account tokens: password resets (30 minutes) and email verifications
//! (48 hours). 256 random bits, stored as SHA-256, used once: redeeming marks the token
//! used by a conditional update, so two redemptions of one token cannot both succeed.

use chrono::Duration;
use entity::account_token as token;
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};

use crate::auth::{random_token, token_hash};
use crate::clock;
use crate::error::AppResult;

/// What a token is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    PasswordReset,
    EmailVerification,
}

impl Purpose {
    fn as_str(self) -> &'static str {
        match self {
            Self::PasswordReset => "RESET",
            Self::EmailVerification => "VERIFY",
        }
    }

    fn lifetime(self) -> Duration {
        match self {
            Self::PasswordReset => Duration::minutes(30),
            Self::EmailVerification => Duration::hours(48),
        }
    }
}

/// Issues a token for `user_id` mailed to `email`.
///
/// # Errors
/// `INTERNAL_SERVER_ERROR` on failure.
pub async fn issue(
    db: &impl ConnectionTrait,
    user_id: i64,
    purpose: Purpose,
    email: &str,
) -> AppResult<String> {
    let secret = random_token(32)?;
    let now = clock::now();
    token::Entity::insert(token::ActiveModel {
        user_id: Set(user_id),
        purpose: Set(purpose.as_str().to_owned()),
        token_hash: Set(token_hash(&secret)),
        email: Set(email.to_owned()),
        created_at: Set(now),
        expires_at: Set(now + purpose.lifetime()),
        used_at: Set(None),
        ..Default::default()
    })
    .exec(db)
    .await?;
    Ok(secret)
}

/// Redeems a token: its row when it is known, of this purpose, unexpired and unused (and
/// now used); `None` otherwise.
///
/// # Errors
/// `INTERNAL_SERVER_ERROR` on failure.
pub async fn redeem(
    db: &impl ConnectionTrait,
    purpose: Purpose,
    secret: &str,
) -> AppResult<Option<token::Model>> {
    if secret.len() > 128 {
        return Ok(None);
    }
    let now = clock::now();
    let Some(row) = token::Entity::find()
        .filter(token::Column::TokenHash.eq(token_hash(secret)))
        .filter(token::Column::Purpose.eq(purpose.as_str()))
        .one(db)
        .await?
    else {
        return Ok(None);
    };
    if row.expires_at <= now {
        return Ok(None);
    }
    let claimed = token::Entity::update_many()
        .col_expr(token::Column::UsedAt, Expr::val(now))
        .filter(token::Column::Id.eq(row.id))
        .filter(token::Column::UsedAt.is_null())
        .exec(db)
        .await?
        .rows_affected;
    Ok((claimed == 1).then_some(row))
}

/// Retires every unused token of `user_id` for `purpose` (after a reset, the other reset
/// links die too).
///
/// # Errors
/// `INTERNAL_SERVER_ERROR` on failure.
pub async fn retire(db: &impl ConnectionTrait, user_id: i64, purpose: Purpose) -> AppResult<()> {
    token::Entity::update_many()
        .col_expr(token::Column::UsedAt, Expr::val(clock::now()))
        .filter(token::Column::UserId.eq(user_id))
        .filter(token::Column::Purpose.eq(purpose.as_str()))
        .filter(token::Column::UsedAt.is_null())
        .exec(db)
        .await?;
    Ok(())
}
