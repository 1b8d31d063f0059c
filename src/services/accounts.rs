//! Accounts and their refresh-token sessions.
//!
//! A login starts a session family. `refresh` rotates: the presented token is marked
//! replaced and a new one is issued in the same family. Presenting a replaced token again is
//! reuse — a sign that it leaked — and revokes the whole family, newest token included. The
//! rotation is a conditional update, so of two concurrent refreshes of one token at most one
//! succeeds (the other counts as reuse). `logout` revokes the family.

use std::net::IpAddr;

use chrono::{DateTime, Utc};
use entity::{session, user};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, SqlErr,
    TransactionTrait,
};

use crate::auth::jwt::AccessToken;
use crate::auth::{Auth, Role, Viewer, random_token, token_hash};
use crate::clock;
use crate::db::Database;
use crate::domain::account::{self, lookup_key};
use crate::error::{AppError, AppResult};
use crate::rate_limit::LoginAccount;

use super::{Context, users};

/// The one answer to every failed login or refresh.
const INVALID_CREDENTIALS: &str = "invalid username, email or password";
const INVALID_SESSION: &str = "invalid or expired refresh token";
const INVALID_TOKEN: &str = "invalid or expired access token";

/// A validated registration.
#[derive(Debug, Clone)]
pub struct Registration {
    pub username: String,
    pub email: String,
    pub password: String,
    pub display_name: Option<String>,
}

impl Registration {
    /// Checks every field, naming the first invalid one (`input.username`, …).
    ///
    /// # Errors
    /// `BAD_USER_INPUT` naming the field.
    pub fn validate(
        username: &str,
        email: &str,
        password: String,
        display_name: Option<&str>,
    ) -> AppResult<Self> {
        let username =
            account::username(username).map_err(|m| AppError::bad_input("input.username", m))?;
        let email = account::email(email).map_err(|m| AppError::bad_input("input.email", m))?;
        account::new_password(&password).map_err(|m| AppError::bad_input("input.password", m))?;
        let display_name = account::display_name(display_name)
            .map_err(|m| AppError::bad_input("input.displayName", m))?;
        Ok(Self {
            username,
            email,
            password,
            display_name,
        })
    }
}

/// A user who just proved who they are, with fresh tokens.
#[derive(Debug, Clone)]
pub struct SignedIn {
    pub user: user::Model,
    pub access: AccessToken,
    pub refresh_token: String,
}

/// Creates an account (within the client address's registration limit) and signs it in.
///
/// # Errors
/// `RATE_LIMITED` beyond the client's limit; `CONFLICT` naming `input.username` or
/// `input.email` when taken (case-insensitively); `INTERNAL_SERVER_ERROR` on failure.
/// Nothing is stored on error.
pub async fn register(
    ctx: Context<'_>,
    auth: &Auth,
    registration: Registration,
    client: Option<IpAddr>,
) -> AppResult<SignedIn> {
    if let Some(client) = client {
        ctx.limits.registrations.take(client).await?;
    }
    let user = create_account(ctx.db, auth, registration).await?;
    sign_in(ctx.db, auth, user).await
}

async fn create_account(
    db: &Database,
    auth: &Auth,
    registration: Registration,
) -> AppResult<user::Model> {
    let writer = db.writer();
    let (Some(username_key), Some(email_key)) = (
        lookup_key(&registration.username),
        lookup_key(&registration.email),
    ) else {
        return Err(AppError::bad_input(
            "input.username",
            "usernames and emails are ASCII",
        ));
    };
    // Checked first for a clear answer without hashing; the unique indexes decide races.
    if users::by_username(writer, &registration.username)
        .await?
        .is_some()
    {
        return Err(username_taken());
    }
    if user::Entity::find()
        .filter(user::Column::EmailKey.eq(email_key.clone()))
        .one(writer)
        .await?
        .is_some()
    {
        return Err(email_taken());
    }
    let password_hash = auth.passwords.hash(registration.password).await?;
    let row = user::ActiveModel {
        username: Set(registration.username),
        username_key: Set(username_key),
        email: Set(registration.email),
        email_key: Set(email_key),
        display_name: Set(registration.display_name),
        password_hash: Set(password_hash),
        role: Set(Role::User.as_str().to_owned()),
        created_at: Set(clock::now()),
        ..Default::default()
    };
    user::Entity::insert(row)
        .exec_with_returning(writer)
        .await
        .map_err(unique_violation_to_conflict)
}

fn username_taken() -> AppError {
    AppError::conflict("input.username", "that username is taken")
}

fn email_taken() -> AppError {
    AppError::conflict("input.email", "an account with that email exists")
}

fn unique_violation_to_conflict(error: DbErr) -> AppError {
    match error.sql_err() {
        Some(SqlErr::UniqueConstraintViolation(message)) if message.contains("email_key") => {
            email_taken()
        }
        Some(SqlErr::UniqueConstraintViolation(message)) if message.contains("username_key") => {
            username_taken()
        }
        _ => error.into(),
    }
}

/// Checks a login. Unknown accounts and wrong passwords fail alike, in about the same time.
/// Failures count against the account the name resolves to, whether its username or its
/// email was typed (see [`LoginThrottle`]).
///
/// # Errors
/// `RATE_LIMITED` while the account or client is backing off; `UNAUTHENTICATED` for any
/// wrong credential.
pub async fn login(
    ctx: Context<'_>,
    auth: &Auth,
    username_or_email: &str,
    password: String,
    client: Option<IpAddr>,
) -> AppResult<SignedIn> {
    let db = ctx.db;
    let throttle = &ctx.limits.logins;
    let typed = username_or_email.trim();
    let found = if password.len() > account::MAX_PASSWORD_BYTES {
        None
    } else {
        by_username_or_email(db.reader(), typed).await?
    };
    let account = match &found {
        Some(user) => LoginAccount::Known(user.id),
        None => LoginAccount::unknown(typed),
    };
    if let Some(retry_after) = throttle.wait(&account, client).await? {
        return Err(AppError::RateLimited { retry_after });
    }
    let stored = found.as_ref().map(|user| user.password_hash.clone());
    let verified = auth.passwords.verify(password, stored).await?;
    match found {
        Some(user) if verified => {
            throttle.succeeded(&account).await?;
            sign_in(db, auth, user).await
        }
        _ => {
            throttle.failed(&account, client).await?;
            Err(AppError::Unauthenticated(INVALID_CREDENTIALS))
        }
    }
}

/// The account a login name stands for: an email when it holds `@`, else a username.
async fn by_username_or_email(
    db: &impl ConnectionTrait,
    typed: &str,
) -> AppResult<Option<user::Model>> {
    let Some(key) = lookup_key(typed).filter(|key| key.len() <= 254) else {
        return Ok(None);
    };
    if key.contains('@') {
        Ok(user::Entity::find()
            .filter(user::Column::EmailKey.eq(key))
            .one(db)
            .await?)
    } else {
        users::by_username(db, &key).await
    }
}

/// Starts a session family for `user` and issues its first tokens.
async fn sign_in(db: &Database, auth: &Auth, user: user::Model) -> AppResult<SignedIn> {
    let family = random_token(16)?;
    let now = clock::now();
    let refresh_token = issue_refresh_token(db.writer(), auth, user.id, family, now).await?;
    let access = auth.keys.issue(user.id, now)?;
    Ok(SignedIn {
        user,
        access,
        refresh_token,
    })
}

async fn issue_refresh_token(
    db: &impl ConnectionTrait,
    auth: &Auth,
    user_id: i64,
    family_id: String,
    now: DateTime<Utc>,
) -> AppResult<String> {
    let token = random_token(32)?;
    session::Entity::insert(session::ActiveModel {
        user_id: Set(user_id),
        family_id: Set(family_id),
        token_hash: Set(token_hash(&token)),
        created_at: Set(now),
        expires_at: Set(now + auth.refresh_lifetime),
        replaced_at: Set(None),
        revoked_at: Set(None),
        ..Default::default()
    })
    .exec(db)
    .await?;
    Ok(token)
}

/// Rotates a refresh token: the user and a new refresh token.
///
/// # Errors
/// `UNAUTHENTICATED` for an unknown, expired, revoked or reused token (reuse also revokes
/// the token's whole family).
pub async fn refresh(db: &Database, auth: &Auth, token: &str) -> AppResult<SignedIn> {
    let invalid = || AppError::Unauthenticated(INVALID_SESSION);
    if token.len() > 128 {
        return Err(invalid());
    }
    let now = clock::now();
    let transaction = db.writer().begin().await?;
    let Some(current) = session::Entity::find()
        .filter(session::Column::TokenHash.eq(token_hash(token)))
        .one(&transaction)
        .await?
    else {
        return Err(invalid());
    };
    if current.revoked_at.is_some() || current.expires_at <= now {
        return Err(invalid());
    }
    // Only one rotation of a token can win; a replaced token presented again is reuse.
    let rotated = session::Entity::update_many()
        .col_expr(session::Column::ReplacedAt, Expr::val(now))
        .filter(session::Column::Id.eq(current.id))
        .filter(session::Column::ReplacedAt.is_null())
        .filter(session::Column::RevokedAt.is_null())
        .exec(&transaction)
        .await?
        .rows_affected;
    if rotated != 1 {
        revoke_family(&transaction, &current.family_id, now).await?;
        transaction.commit().await?;
        tracing::warn!(
            user.id = current.user_id,
            "refresh token reused: session family revoked"
        );
        return Err(invalid());
    }
    let Some(user) = users::by_id(&transaction, current.user_id).await? else {
        return Err(invalid());
    };
    let next = issue_refresh_token(&transaction, auth, user.id, current.family_id, now).await?;
    transaction.commit().await?;
    let access = auth.keys.issue(user.id, now)?;
    Ok(SignedIn {
        user,
        access,
        refresh_token: next,
    })
}

/// Ends the session a refresh token belongs to: `true` when something was revoked.
///
/// # Errors
/// `INTERNAL_SERVER_ERROR` on failure.
pub async fn logout(db: &Database, token: &str) -> AppResult<bool> {
    if token.len() > 128 {
        return Ok(false);
    }
    let writer = db.writer();
    let Some(current) = session::Entity::find()
        .filter(session::Column::TokenHash.eq(token_hash(token)))
        .one(writer)
        .await?
    else {
        return Ok(false);
    };
    Ok(revoke_family(writer, &current.family_id, clock::now()).await? > 0)
}

async fn revoke_family(
    db: &impl ConnectionTrait,
    family_id: &str,
    now: DateTime<Utc>,
) -> AppResult<u64> {
    Ok(session::Entity::update_many()
        .col_expr(session::Column::RevokedAt, Expr::val(now))
        .filter(session::Column::FamilyId.eq(family_id))
        .filter(session::Column::RevokedAt.is_null())
        .exec(db)
        .await?
        .rows_affected)
}

/// A viewer proven by an access token, and when the proof runs out.
#[derive(Debug, Clone, Copy)]
pub struct Authenticated {
    pub viewer: Viewer,
    pub expires_at: DateTime<Utc>,
}

/// The viewer an access token stands for.
///
/// # Errors
/// `UNAUTHENTICATED` for any invalid token, or one of a deleted account.
pub async fn authenticate(db: &Database, auth: &Auth, token: &str) -> AppResult<Authenticated> {
    let verified = auth.keys.verify(token, Utc::now()).map_err(|error| {
        tracing::debug!(%error, "access token refused");
        AppError::Unauthenticated(INVALID_TOKEN)
    })?;
    let user = users::by_id(db.reader(), verified.user_id)
        .await?
        .ok_or(AppError::Unauthenticated(INVALID_TOKEN))?;
    Ok(Authenticated {
        viewer: Viewer::User {
            id: user.id,
            role: Role::from_stored(&user.role),
            banned: users::ban_of(&user, Utc::now()).is_some(),
        },
        expires_at: verified.expires_at,
    })
}

/// Gives a user `role` (the operator's command): `false` when no user has that username.
///
/// # Errors
/// `INTERNAL_SERVER_ERROR` on failure.
pub async fn promote(db: &Database, username: &str, role: Role) -> AppResult<bool> {
    let Some(key) = lookup_key(username) else {
        return Ok(false);
    };
    let updated = user::Entity::update_many()
        .col_expr(user::Column::Role, Expr::val(role.as_str()))
        .filter(user::Column::UsernameKey.eq(key))
        .exec(db.writer())
        .await?
        .rows_affected;
    Ok(updated > 0)
}
