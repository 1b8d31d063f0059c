//! Personal access tokens: scoped tokens for scripts and bots.
//!
//! A token is `pbp_` and 43 base64url characters (256 random bits): the prefix lets secret
//! scanners spot a leaked one. Only its SHA-256 is stored; the token is shown once.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use entity::personal_access_token as token;
use entity::user;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait, EntityTrait, PaginatorTrait,
    QueryFilter, QueryOrder,
};

use crate::auth::{Scopes, random_token, token_hash};
use crate::clock;
use crate::db::Database;
use crate::error::{AppError, AppResult};

use super::sign_ins::Revoked;
use super::{Context, users};

/// What every personal access token starts with.
pub const PREFIX: &str = "pbp_";
/// Live tokens a user may hold at once.
pub const MAX_TOKENS_PER_USER: u64 = 100;
const MAX_NAME_CHARS: usize = 100;
/// The furthest expiry allowed, in days.
const MAX_LIFETIME_DAYS: i64 = 366;
const TOUCH_INTERVAL_SECONDS: i64 = 60;

/// A validated request for a token.
#[derive(Debug, Clone)]
pub struct NewToken {
    pub name: String,
    pub scopes: Scopes,
    pub expires_at: Option<DateTime<Utc>>,
}

impl NewToken {
    /// Checks the name (1–100 characters after trimming), the scopes (at least one) and the expiry (in the future, within a year; none: never expires).
    ///
    /// # Errors
    /// `BAD_USER_INPUT` naming the field.
    pub fn validate(
        name: &str,
        scopes: Scopes,
        expires_at: Option<DateTime<Utc>>,
        now: DateTime<Utc>,
    ) -> AppResult<Self> {
        let name = name.trim();
        if name.is_empty() || name.chars().count() > MAX_NAME_CHARS {
            return Err(AppError::bad_input(
                "input.name",
                format!("a name of 1 to {MAX_NAME_CHARS} characters"),
            ));
        }
        if scopes.is_empty() {
            return Err(AppError::bad_input(
                "input.scopes",
                "grant at least one scope",
            ));
        }
        if let Some(at) = expires_at
            && (at <= now || at > now + chrono::Duration::days(MAX_LIFETIME_DAYS))
        {
            return Err(AppError::bad_input(
                "input.expiresAt",
                format!("an expiry in the future, at most {MAX_LIFETIME_DAYS} days ahead"),
            ));
        }
        Ok(Self {
            name: name.to_owned(),
            scopes,
            expires_at,
        })
    }
}

/// Creates a token for `user_id`: its row and the token, to be shown once.
///
/// # Errors
/// `BAD_USER_INPUT` beyond [`MAX_TOKENS_PER_USER`] live tokens; `INTERNAL_SERVER_ERROR` on
/// failure.
pub async fn create(
    db: &Database,
    user_id: i64,
    new: NewToken,
) -> AppResult<(token::Model, String)> {
    let now = clock::now();
    let live = live_of(user_id, now).count(db.writer()).await?;
    if live >= MAX_TOKENS_PER_USER {
        return Err(AppError::bad_input(
            "input",
            format!("at most {MAX_TOKENS_PER_USER} live tokens; revoke one first"),
        ));
    }
    let secret = format!("{PREFIX}{}", random_token(32)?);
    let row = token::Entity::insert(token::ActiveModel {
        user_id: Set(user_id),
        name: Set(new.name),
        token_hash: Set(token_hash(&secret)),
        scopes: Set(new.scopes.to_string()),
        created_at: Set(now),
        last_used_at: Set(None),
        expires_at: Set(new.expires_at),
        revoked_at: Set(None),
        ..Default::default()
    })
    .exec_with_returning(db.writer())
    .await?;
    Ok((row, secret))
}

fn live_of(user_id: i64, now: DateTime<Utc>) -> sea_orm::Select<token::Entity> {
    token::Entity::find()
        .filter(token::Column::UserId.eq(user_id))
        .filter(token::Column::RevokedAt.is_null())
        .filter(
            Condition::any()
                .add(token::Column::ExpiresAt.is_null())
                .add(token::Column::ExpiresAt.gt(now)),
        )
}

/// A user's live tokens, newest first.
///
/// # Errors
/// `INTERNAL_SERVER_ERROR` on failure.
pub async fn list(db: &impl ConnectionTrait, user_id: i64) -> AppResult<Vec<token::Model>> {
    Ok(live_of(user_id, clock::now())
        .order_by_desc(token::Column::Id)
        .all(db)
        .await?)
}

/// Revokes token `id` of `user_id` (none when the user has no such live token).
///
/// # Errors
/// `INTERNAL_SERVER_ERROR` on failure.
pub async fn revoke(db: &Database, user_id: i64, id: i64) -> AppResult<Revoked> {
    let revoked = token::Entity::update_many()
        .col_expr(token::Column::RevokedAt, Expr::val(clock::now()))
        .filter(token::Column::Id.eq(id))
        .filter(token::Column::UserId.eq(user_id))
        .filter(token::Column::RevokedAt.is_null())
        .exec(db.writer())
        .await?
        .rows_affected;
    Ok(Revoked::of(revoked))
}

/// A live personal access token and its account, as read together.
#[derive(Debug)]
pub struct LivePersonalToken {
    pub token: token::Model,
    pub user: user::Model,
}

/// The live token `secret` stands for and its account, as kept or read (and then kept), its
/// use noted; `None` for anything else (unknown, revoked, expired, of a deleted account).
///
/// # Errors
/// `INTERNAL_SERVER_ERROR` on failure.
pub async fn live(ctx: Context<'_>, secret: &str) -> AppResult<Option<Arc<LivePersonalToken>>> {
    if !secret.starts_with(PREFIX) || secret.len() > 128 {
        return Ok(None);
    }
    let hash = token_hash(secret);
    let version = ctx.events.accounts_version();
    let live = match ctx.personal_tokens.get(&hash, version) {
        Some(kept) => kept,
        None => {
            let Some(read) = read_live(ctx.db.reader(), &hash).await? else {
                return Ok(None);
            };
            let read = Arc::new(read);
            ctx.personal_tokens
                .keep(hash.clone(), Arc::clone(&read), version);
            read
        }
    };
    let now = clock::now();
    if live.token.expires_at.is_some_and(|at| at <= now) {
        return Ok(None);
    }
    if touch(ctx.db, &live.token, now).await? {
        // Read again next time, with the use just recorded.
        ctx.personal_tokens.forget(&hash);
    }
    Ok(Some(live))
}

/// The unrevoked token of hash `hash` and its account.
async fn read_live(db: &impl ConnectionTrait, hash: &str) -> AppResult<Option<LivePersonalToken>> {
    let Some(token) = token::Entity::find()
        .filter(token::Column::TokenHash.eq(hash))
        .filter(token::Column::RevokedAt.is_null())
        .one(db)
        .await?
    else {
        return Ok(None);
    };
    let user = users::by_id(db, token.user_id).await?;
    Ok(user.map(|user| LivePersonalToken { token, user }))
}

/// Notes a use of `token` at `now`, at most once a minute: whether it wrote.
async fn touch(db: &Database, token: &token::Model, now: DateTime<Utc>) -> AppResult<bool> {
    let stale = token
        .last_used_at
        .is_none_or(|at| now - at >= chrono::Duration::seconds(TOUCH_INTERVAL_SECONDS));
    if stale {
        token::Entity::update_many()
            .col_expr(token::Column::LastUsedAt, Expr::val(now))
            .filter(token::Column::Id.eq(token.id))
            .exec(db.writer())
            .await?;
    }
    Ok(stale)
}
