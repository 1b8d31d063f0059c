//! Proving an account's email address: a link mailed to it, valid 48 hours, for that
//! address only (a verification of an address the account no longer has proves nothing).

use chrono::Utc;
use entity::user;
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, TransactionTrait};

use crate::clock;
use crate::error::{AppError, AppResult};
use crate::mail::{Mail, Mailer};

use super::account_tokens::{self, Purpose};
use super::{Context, users};

/// Mails a verification link to the user's current address (nothing when it is verified).
///
/// # Errors
/// `RATE_LIMITED` beyond the hourly limit; `INTERNAL_SERVER_ERROR` on failure.
pub async fn request(
    ctx: Context<'_>,
    mailer: &Mailer,
    base_url: &str,
    user_id: i64,
) -> AppResult<()> {
    let user = users::by_id(ctx.db.writer(), user_id)
        .await?
        .ok_or(AppError::Unauthenticated("the account is gone"))?;
    if user.email_verified_at.is_some() {
        return Ok(());
    }
    ctx.limits
        .password_resets
        .take(format!("verify:{user_id}"))
        .await?;
    let token = account_tokens::issue(
        ctx.db.writer(),
        user.id,
        Purpose::EmailVerification,
        &user.email,
    )
    .await?;
    let link = format!("{base_url}/account/verify-email?token={token}");
    let body = format!(
        "Hello {},\n\nto confirm that {} is your address on Paperboard, open this link \
         within 48 hours:\n\n{link}\n",
        user.username, user.email
    );
    mailer
        .send(Mail {
            to: &user.email,
            subject: "Confirm your email address on Paperboard",
            body,
        })
        .await
}

/// Marks the address a token was mailed to as verified, if the account still has it.
///
/// # Errors
/// `BAD_USER_INPUT` (`token`) for an unknown, used or expired token, or one for an address
/// the account no longer has.
pub async fn verify(ctx: Context<'_>, token: &str) -> AppResult<user::Model> {
    let invalid = || {
        AppError::bad_input(
            "token",
            "this verification link is invalid, used or expired",
        )
    };
    let transaction = ctx.db.writer().begin().await?;
    let redeemed = account_tokens::redeem(&transaction, Purpose::EmailVerification, token)
        .await?
        .ok_or_else(invalid)?;
    let user = users::by_id(&transaction, redeemed.user_id)
        .await?
        .filter(|user| user.email == redeemed.email)
        .ok_or_else(invalid)?;
    user::Entity::update_many()
        .col_expr(
            user::Column::EmailVerifiedAt,
            Expr::val(clock::stored(Utc::now())),
        )
        .filter(user::Column::Id.eq(user.id))
        .exec(&transaction)
        .await?;
    let user = users::by_id(&transaction, user.id)
        .await?
        .ok_or_else(invalid)?;
    transaction.commit().await?;
    Ok(user)
}
