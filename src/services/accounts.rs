//! Accounts: registration, login (which starts a sign-in, see `sign_ins`), and roles.

use std::net::IpAddr;

use entity::user;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QuerySelect,
    SqlErr,
};

use crate::auth::{Auth, Role};
use crate::clock;
use crate::db::Database;
use crate::domain::account::{self, lookup_key};
use crate::error::{AppError, AppResult};
use crate::events::{Change, EventBus};
use crate::rate_limit::LoginAccount;

use super::sign_ins::{self, Origin, Tokens};
use super::{Context, users};

/// The one answer to every failed login or refresh.
const INVALID_CREDENTIALS: &str = "invalid username, email or password";

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
    origin: Origin,
    client: Option<IpAddr>,
) -> AppResult<Tokens> {
    if let Some(client) = client {
        ctx.limits.registrations.take(client).await?;
    }
    let user = create_account(ctx.db, auth, registration).await?;
    sign_ins::start(ctx.db.writer(), auth, user, origin).await
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

/// Checks a login and starts a sign-in from `origin`. Unknown accounts and wrong passwords
/// fail alike, in about the same time.
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
    origin: Origin,
    client: Option<IpAddr>,
) -> AppResult<Tokens> {
    let user = verify_login(ctx, auth, username_or_email, password, client).await?;
    sign_ins::start(ctx.db.writer(), auth, user, origin).await
}

/// The account a username or email and password prove, under the login throttle.
///
/// # Errors
/// As [`login`].
pub async fn verify_login(
    ctx: Context<'_>,
    auth: &Auth,
    username_or_email: &str,
    password: String,
    client: Option<IpAddr>,
) -> AppResult<user::Model> {
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
            Ok(user)
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

/// Gives a user `role` (the operator's command), and publishes it: `false` when no user
/// has that username.
///
/// # Errors
/// `INTERNAL_SERVER_ERROR` on failure.
pub async fn promote(
    db: &Database,
    events: &EventBus,
    username: &str,
    role: Role,
) -> AppResult<bool> {
    let Some(key) = lookup_key(username) else {
        return Ok(false);
    };
    let found: Option<i64> = user::Entity::find()
        .filter(user::Column::UsernameKey.eq(key))
        .select_only()
        .column(user::Column::Id)
        .into_tuple()
        .one(db.writer())
        .await?;
    let Some(user_id) = found else {
        return Ok(false);
    };
    user::Entity::update_many()
        .col_expr(user::Column::Role, Expr::val(role.as_str()))
        .filter(user::Column::Id.eq(user_id))
        .exec(db.writer())
        .await?;
    events.publish(Change::UserChanged { user_id }).await;
    Ok(true)
}
