//! Changing and resetting passwords. Both end other sign-ins: a password change keeps only
//! the sign-in that made it; a reset (whoever asked for it may have been locked out by an
//! intruder) ends all of them.

use std::net::IpAddr;

use entity::user;
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, TransactionTrait};

use crate::auth::Auth;
use crate::domain::account::{self, lookup_key};
use crate::error::{AppError, AppResult};
use crate::mail::{Mail, Mailer};
use crate::rate_limit::LoginAccount;

use super::account_tokens::{self, Purpose};
use super::sign_ins::{self, Which};
use super::{Context, users};

const WRONG_PASSWORD: &str = "the current password is wrong";

/// Checks the password of signed-in user `user_id` before a sensitive change, under the
/// login throttle (a stolen session must not become a password oracle).
///
/// # Errors
/// `UNAUTHENTICATED` for a wrong password; `RATE_LIMITED` while backing off.
pub async fn confirm(
    ctx: Context<'_>,
    auth: &Auth,
    user_id: i64,
    password: String,
    client: Option<IpAddr>,
) -> AppResult<user::Model> {
    let throttle = &ctx.limits.logins;
    let account = LoginAccount::Known(user_id);
    if let Some(retry_after) = throttle.wait(&account, client).await? {
        return Err(AppError::RateLimited { retry_after });
    }
    let user = users::by_id(ctx.db.writer(), user_id)
        .await?
        .ok_or(AppError::Unauthenticated("the account is gone"))?;
    let fits = password.len() <= account::MAX_PASSWORD_BYTES;
    let stored = fits.then(|| user.password_hash.clone());
    if auth.passwords.verify(password, stored).await? {
        throttle.succeeded(&account).await?;
        Ok(user)
    } else {
        throttle.failed(&account, client).await?;
        Err(AppError::Unauthenticated(WRONG_PASSWORD))
    }
}

/// Replaces the viewer's password after checking the current one; every other sign-in of
/// the account ends (`keep`: the sign-in making the change).
///
/// # Errors
/// As [`confirm`]; `BAD_USER_INPUT` (`newPassword`) for a password too short or too long.
pub async fn change(
    ctx: Context<'_>,
    auth: &Auth,
    user_id: i64,
    (current, new): (String, String),
    keep: Option<i64>,
    client: Option<IpAddr>,
) -> AppResult<()> {
    account::new_password(&new).map_err(|m| AppError::bad_input("newPassword", m))?;
    confirm(ctx, auth, user_id, current, client).await?;
    let hash = auth.passwords.hash(new).await?;
    let transaction = ctx.db.writer().begin().await?;
    set_hash(&transaction, user_id, hash).await?;
    let revoked = sign_ins::revoke_of_user(&transaction, user_id, Which::AllBut(keep)).await?;
    transaction.commit().await?;
    revoked.publish(ctx.events).await;
    Ok(())
}

async fn set_hash(db: &impl sea_orm::ConnectionTrait, user_id: i64, hash: String) -> AppResult<()> {
    user::Entity::update_many()
        .col_expr(user::Column::PasswordHash, Expr::val(hash))
        .filter(user::Column::Id.eq(user_id))
        .exec(db)
        .await?;
    Ok(())
}

/// Mails a reset link to the account with this address, if there is one and it is within
/// its hourly limit. The caller answers before this runs, so that the answer and its timing
/// say nothing about whether the address exists.
///
/// # Errors
/// `INTERNAL_SERVER_ERROR` on failure (logged by the caller; never shown).
pub async fn mail_reset_link(
    ctx: Context<'_>,
    mailer: &Mailer,
    base_url: &str,
    email: &str,
) -> AppResult<()> {
    let Some(key) = lookup_key(email.trim()).filter(|key| key.len() <= 254) else {
        return Ok(());
    };
    let Some(user) = user::Entity::find()
        .filter(user::Column::EmailKey.eq(key))
        .one(ctx.db.reader())
        .await?
    else {
        return Ok(());
    };
    if ctx
        .limits
        .password_resets
        .take(format!("account:{}", user.id))
        .await
        .is_err()
    {
        tracing::info!(
            user.id = user.id,
            "password reset mail held back: hourly limit"
        );
        return Ok(());
    }
    let token = account_tokens::issue(
        ctx.db.writer(),
        user.id,
        Purpose::PasswordReset,
        &user.email,
    )
    .await?;
    let link = format!("{base_url}/account/reset-password?token={token}");
    let body = format!(
        "Hello {},\n\nsomeone asked to reset the password of your Paperboard account. To \
         choose a new password, open this link within 30 minutes:\n\n{link}\n\nIf it was not \
         you, ignore this mail: your password stays as it is.\n",
        user.username
    );
    mailer
        .send(Mail {
            to: &user.email,
            subject: "Reset your Paperboard password",
            body,
        })
        .await
}

/// Sets a new password with a reset token; every sign-in of the account ends, and the
/// account's other reset links die.
///
/// # Errors
/// `BAD_USER_INPUT` (`token`) for an unknown, used or expired token, (`newPassword`) for an
/// unacceptable password.
pub async fn reset(ctx: Context<'_>, auth: &Auth, token: &str, new: String) -> AppResult<()> {
    account::new_password(&new).map_err(|m| AppError::bad_input("newPassword", m))?;
    let hash = auth.passwords.hash(new).await?;
    let transaction = ctx.db.writer().begin().await?;
    let Some(redeemed) =
        account_tokens::redeem(&transaction, Purpose::PasswordReset, token).await?
    else {
        return Err(AppError::bad_input(
            "token",
            "this reset link is invalid, used or expired; ask for a new one",
        ));
    };
    set_hash(&transaction, redeemed.user_id, hash).await?;
    account_tokens::retire(&transaction, redeemed.user_id, Purpose::PasswordReset).await?;
    let revoked =
        sign_ins::revoke_of_user(&transaction, redeemed.user_id, Which::AllBut(None)).await?;
    transaction.commit().await?;
    revoked.publish(ctx.events).await;
    Ok(())
}
