//! Sign-ins and their refresh tokens.
//!
//! A login (or an OAuth code exchange) starts a sign-in: a row saying who, through which
//! app, with which scopes and from where, and a family of refresh tokens. `rotate` marks
//! the presented token replaced and issues a new one in the same family. Presenting a
//! replaced token again is reuse — a sign that it leaked — and revokes the sign-in, newest
//! token included. The rotation is a conditional update, so of two concurrent refreshes of
//! one token at most one succeeds (the other counts as reuse). Access tokens name their
//! sign-in, so revoking it (logout, password change, `revokeSession`, an app's
//! authorization withdrawn) ends them at once, not when they expire.

use chrono::{DateTime, Utc};
use entity::{session, sign_in, user};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, TransactionTrait,
};

use crate::auth::jwt::AccessToken;
use crate::auth::{Auth, Scopes, random_token, token_hash};
use crate::clock;
use crate::db::Database;
use crate::error::{AppError, AppResult};
use crate::events::{Change, EventBus};

use super::{Context, users};

const INVALID_SESSION: &str = "invalid or expired refresh token";
/// Longest token worth hashing: ours are 43 characters.
const MAX_TOKEN_CHARS: usize = 128;
/// `last_used_at` is rewritten at most this often per sign-in, so that reading with a token
/// is not a write per request.
const TOUCH_INTERVAL_SECONDS: i64 = 300;
/// Longest user agent kept.
const MAX_USER_AGENT_CHARS: usize = 256;

/// Where a sign-in comes from.
#[derive(Debug, Clone, Default)]
pub struct Origin {
    /// The OAuth app signing in for the user; `None` for Paperboard's own sign-in.
    pub app: Option<i64>,
    /// Scopes granted to the app; `None` for a first-party sign-in (every scope).
    pub scopes: Option<Scopes>,
    pub user_agent: Option<String>,
    pub client_address: Option<String>,
}

/// Fresh tokens of a sign-in.
#[derive(Debug, Clone)]
pub struct Tokens {
    pub user: user::Model,
    pub sign_in: sign_in::Model,
    pub access: AccessToken,
    pub refresh_token: String,
}

impl Tokens {
    /// The scopes these tokens hold.
    pub fn scopes(&self) -> Scopes {
        scopes_of(&self.sign_in)
    }
}

/// What a sign-in's tokens may do: its granted scopes, or all of them for first-party ones.
pub fn scopes_of(sign_in: &sign_in::Model) -> Scopes {
    stored_scopes(sign_in.scopes.as_deref())
}

/// The scopes a sign-in stores: `None` for a first-party sign-in, which holds every one.
fn stored_scopes(stored: Option<&str>) -> Scopes {
    stored.map_or_else(Scopes::all, Scopes::from_stored)
}

/// Starts a sign-in for `user` and issues its first tokens.
///
/// # Errors
/// `INTERNAL_SERVER_ERROR` on failure.
pub async fn start(
    db: &impl ConnectionTrait,
    auth: &Auth,
    user: user::Model,
    origin: Origin,
) -> AppResult<Tokens> {
    let now = clock::now();
    let family = random_token(16)?;
    let user_agent = origin
        .user_agent
        .map(|agent| agent.chars().take(MAX_USER_AGENT_CHARS).collect());
    let sign_in = sign_in::Entity::insert(sign_in::ActiveModel {
        family_id: Set(family.clone()),
        user_id: Set(user.id),
        app_id: Set(origin.app),
        scopes: Set(origin.scopes.map(|scopes| scopes.to_string())),
        user_agent: Set(user_agent),
        client_address: Set(origin.client_address),
        created_at: Set(now),
        last_used_at: Set(now),
        revoked_at: Set(None),
        ..Default::default()
    })
    .exec_with_returning(db)
    .await?;
    let refresh_token = issue_refresh_token(db, auth, user.id, family, now).await?;
    let access = auth.keys.issue(user.id, Some(sign_in.id), now)?;
    Ok(Tokens {
        user,
        sign_in,
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

/// Who may rotate a refresh token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Presenter {
    /// Paperboard's own clients (`refreshSession`): first-party sign-ins only.
    FirstParty,
    /// An authenticated OAuth client: its own sign-ins only.
    App(i64),
}

/// Why a refresh token was not rotated.
#[derive(Debug)]
pub enum RefreshRefused {
    /// Unknown, expired, revoked, reused, or of another client.
    Invalid,
    /// A scope was asked for that the sign-in was never granted.
    ScopeEscalation,
    Failed(AppError),
}

impl From<AppError> for RefreshRefused {
    fn from(error: AppError) -> Self {
        Self::Failed(error)
    }
}

impl From<sea_orm::DbErr> for RefreshRefused {
    fn from(error: sea_orm::DbErr) -> Self {
        Self::Failed(error.into())
    }
}

impl From<RefreshRefused> for AppError {
    fn from(refused: RefreshRefused) -> Self {
        match refused {
            RefreshRefused::Invalid | RefreshRefused::ScopeEscalation => {
                AppError::Unauthenticated(INVALID_SESSION)
            }
            RefreshRefused::Failed(error) => error,
        }
    }
}

/// Rotates a refresh token presented by `presenter`; `narrowed`, when given, replaces the
/// sign-in's scopes by a subset of them (OAuth's `scope` on refresh).
///
/// # Errors
/// [`RefreshRefused`]; reuse of a replaced token also revokes its sign-in.
pub async fn rotate(
    ctx: Context<'_>,
    auth: &Auth,
    token: &str,
    presenter: Presenter,
    narrowed: Option<Scopes>,
) -> Result<Tokens, RefreshRefused> {
    if token.len() > MAX_TOKEN_CHARS {
        return Err(RefreshRefused::Invalid);
    }
    let now = clock::now();
    let transaction = ctx.db.writer().begin().await?;
    let Some(current) = session_of(&transaction, token).await? else {
        return Err(RefreshRefused::Invalid);
    };
    let Some(sign_in) = by_family(&transaction, &current.family_id).await? else {
        return Err(RefreshRefused::Invalid);
    };
    let presented_by_owner = match presenter {
        Presenter::FirstParty => sign_in.app_id.is_none(),
        Presenter::App(app) => sign_in.app_id == Some(app),
    };
    if !presented_by_owner
        || sign_in.revoked_at.is_some()
        || current.revoked_at.is_some()
        || current.expires_at <= now
    {
        return Err(RefreshRefused::Invalid);
    }
    if let Some(narrowed) = narrowed
        && !scopes_of(&sign_in).covers(narrowed)
    {
        return Err(RefreshRefused::ScopeEscalation);
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
        let revoked = revoke(&transaction, sign_in.id).await?;
        transaction.commit().await?;
        revoked.publish(ctx.events).await;
        tracing::warn!(
            user.id = current.user_id,
            "refresh token reused: sign-in revoked"
        );
        return Err(RefreshRefused::Invalid);
    }
    let Some(user) = users::by_id(&transaction, current.user_id).await? else {
        return Err(RefreshRefused::Invalid);
    };
    let mut update = sign_in::Entity::update_many()
        .col_expr(sign_in::Column::LastUsedAt, Expr::val(now))
        .filter(sign_in::Column::Id.eq(sign_in.id));
    if let Some(narrowed) = narrowed {
        update = update.col_expr(sign_in::Column::Scopes, Expr::val(narrowed.to_string()));
    }
    update.exec(&transaction).await?;
    let next = issue_refresh_token(&transaction, auth, user.id, current.family_id, now).await?;
    let sign_in = sign_in::Entity::find_by_id(sign_in.id)
        .one(&transaction)
        .await?
        .ok_or(RefreshRefused::Invalid)?;
    transaction.commit().await?;
    if narrowed.is_some() {
        // The sign-in's earlier access tokens lost scopes too.
        ctx.events.publish(Change::SignInsChanged).await;
    }
    let access = auth.keys.issue(user.id, Some(sign_in.id), now)?;
    Ok(Tokens {
        user,
        sign_in,
        access,
        refresh_token: next,
    })
}

/// The sign-in a refresh token belongs to, whatever its state.
///
/// # Errors
/// `INTERNAL_SERVER_ERROR` on failure.
pub async fn by_refresh_token(
    db: &impl ConnectionTrait,
    token: &str,
) -> AppResult<Option<sign_in::Model>> {
    let Some(current) = session_of(db, token).await? else {
        return Ok(None);
    };
    by_family(db, &current.family_id).await
}

/// The refresh-token row of `token`, whatever its state.
async fn session_of(db: &impl ConnectionTrait, token: &str) -> AppResult<Option<session::Model>> {
    if token.len() > MAX_TOKEN_CHARS {
        return Ok(None);
    }
    Ok(session::Entity::find()
        .filter(session::Column::TokenHash.eq(token_hash(token)))
        .one(db)
        .await?)
}

async fn by_family(
    db: &impl ConnectionTrait,
    family_id: &str,
) -> AppResult<Option<sign_in::Model>> {
    Ok(sign_in::Entity::find()
        .filter(sign_in::Column::FamilyId.eq(family_id))
        .one(db)
        .await?)
}

/// The live sign-in `id` of user `user_id`: `None` once revoked or gone.
///
/// # Errors
/// `INTERNAL_SERVER_ERROR` on failure.
pub async fn live(
    db: &impl ConnectionTrait,
    id: i64,
    user_id: i64,
) -> AppResult<Option<sign_in::Model>> {
    Ok(sign_in::Entity::find_by_id(id)
        .filter(sign_in::Column::UserId.eq(user_id))
        .filter(sign_in::Column::RevokedAt.is_null())
        .one(db)
        .await?)
}

/// What checking an access token needs of its live sign-in and its account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LiveSignIn {
    pub id: i64,
    pub app_id: Option<i64>,
    /// As stored: `None` for every scope.
    pub scopes: Option<String>,
    pub last_used_at: DateTime<Utc>,
    pub user_id: i64,
    pub role: String,
    pub ban_reason: Option<String>,
    pub banned_until: Option<DateTime<Utc>>,
}

impl LiveSignIn {
    pub fn scopes(&self) -> Scopes {
        stored_scopes(self.scopes.as_deref())
    }
}

/// The live sign-in `id` of user `user_id` with what its account may do, in one statement
/// of only those columns (every request with an access token asks this).
///
/// # Errors
/// `INTERNAL_SERVER_ERROR` on failure.
pub async fn live_with_user(
    db: &impl ConnectionTrait,
    id: i64,
    user_id: i64,
) -> AppResult<Option<LiveSignIn>> {
    type Row = (
        i64,
        Option<i64>,
        Option<String>,
        DateTime<Utc>,
        String,
        Option<String>,
        Option<DateTime<Utc>>,
    );
    let found: Option<Row> = sign_in::Entity::find_by_id(id)
        .filter(sign_in::Column::UserId.eq(user_id))
        .filter(sign_in::Column::RevokedAt.is_null())
        .inner_join(user::Entity)
        .select_only()
        .columns([
            sign_in::Column::Id,
            sign_in::Column::AppId,
            sign_in::Column::Scopes,
            sign_in::Column::LastUsedAt,
        ])
        .columns([
            user::Column::Role,
            user::Column::BanReason,
            user::Column::BannedUntil,
        ])
        .into_tuple()
        .one(db)
        .await?;
    Ok(found.map(
        |(id, app_id, scopes, last_used_at, role, ban_reason, banned_until)| LiveSignIn {
            id,
            app_id,
            scopes,
            last_used_at,
            user_id,
            role,
            ban_reason,
            banned_until,
        },
    ))
}

/// Records that a sign-in's token was used, at most every few minutes: whether it wrote.
///
/// # Errors
/// `INTERNAL_SERVER_ERROR` on failure.
pub async fn touch(db: &Database, id: i64, last_used_at: DateTime<Utc>) -> AppResult<bool> {
    let now = clock::now();
    if now - last_used_at < chrono::Duration::seconds(TOUCH_INTERVAL_SECONDS) {
        return Ok(false);
    }
    sign_in::Entity::update_many()
        .col_expr(sign_in::Column::LastUsedAt, Expr::val(now))
        .filter(sign_in::Column::Id.eq(id))
        .exec(db.writer())
        .await?;
    Ok(true)
}

/// Ends the sign-in a refresh token belongs to: `true` when something was revoked.
///
/// # Errors
/// `INTERNAL_SERVER_ERROR` on failure.
pub async fn logout(ctx: Context<'_>, token: &str) -> AppResult<bool> {
    let writer = ctx.db.writer();
    match by_refresh_token(writer, token).await? {
        Some(sign_in) if sign_in.app_id.is_none() => {
            let revoked = revoke(writer, sign_in.id).await?;
            Ok(revoked.publish(ctx.events).await > 0)
        }
        _ => Ok(false),
    }
}

/// Sign-ins (or personal access tokens) a statement revoked, to publish once its
/// transaction commits: instances keep the credentials they checked until they hear that one
/// changed.
#[must_use = "publish it after the commit, or instances may go on accepting the revoked tokens"]
#[derive(Debug, Clone, Copy)]
pub struct Revoked(u64);

impl Revoked {
    /// `count` credentials revoked.
    pub(super) fn of(count: u64) -> Self {
        Self(count)
    }

    /// Publishes the revocation, if there was one; how many credentials were revoked.
    pub async fn publish(self, events: &EventBus) -> u64 {
        if self.0 > 0 {
            events.publish(Change::SignInsChanged).await;
        }
        self.0
    }
}

/// Revokes one sign-in (none when it already was).
///
/// # Errors
/// `INTERNAL_SERVER_ERROR` on failure.
pub async fn revoke(db: &impl ConnectionTrait, id: i64) -> AppResult<Revoked> {
    let revoked = sign_in::Entity::update_many()
        .col_expr(sign_in::Column::RevokedAt, Expr::val(clock::now()))
        .filter(sign_in::Column::Id.eq(id))
        .filter(sign_in::Column::RevokedAt.is_null())
        .exec(db)
        .await?
        .rows_affected;
    Ok(Revoked(revoked))
}

/// Which of a user's sign-ins to revoke.
#[derive(Debug, Clone, Copy)]
pub enum Which {
    /// Every one but `except` (the current one, after a password change).
    AllBut(Option<i64>),
    /// Those of one OAuth app.
    OfApp(i64),
}

/// Revokes a user's sign-ins.
///
/// # Errors
/// `INTERNAL_SERVER_ERROR` on failure.
pub async fn revoke_of_user(
    db: &impl ConnectionTrait,
    user_id: i64,
    which: Which,
) -> AppResult<Revoked> {
    let mut update = sign_in::Entity::update_many()
        .col_expr(sign_in::Column::RevokedAt, Expr::val(clock::now()))
        .filter(sign_in::Column::UserId.eq(user_id))
        .filter(sign_in::Column::RevokedAt.is_null());
    update = match which {
        Which::AllBut(Some(except)) => update.filter(sign_in::Column::Id.ne(except)),
        Which::AllBut(None) => update,
        Which::OfApp(app) => update.filter(sign_in::Column::AppId.eq(app)),
    };
    Ok(Revoked(update.exec(db).await?.rows_affected))
}

/// Most sessions listed.
pub const MAX_SESSIONS_LISTED: u64 = 100;

/// A user's first-party sign-ins (their sessions) that are neither revoked nor unused
/// since `since` (their refresh tokens lapsed), newest first, at most
/// [`MAX_SESSIONS_LISTED`].
///
/// # Errors
/// `INTERNAL_SERVER_ERROR` on failure.
pub async fn sessions_of(
    db: &impl ConnectionTrait,
    user_id: i64,
    since: DateTime<Utc>,
) -> AppResult<Vec<sign_in::Model>> {
    Ok(sign_in::Entity::find()
        .filter(sign_in::Column::UserId.eq(user_id))
        .filter(sign_in::Column::AppId.is_null())
        .filter(sign_in::Column::RevokedAt.is_null())
        .filter(sign_in::Column::LastUsedAt.gt(since))
        .order_by_desc(sign_in::Column::Id)
        .limit(MAX_SESSIONS_LISTED)
        .all(db)
        .await?)
}

/// The user a browser's sign-in cookie (a first-party refresh token, never rotated by the
/// browser) stands for, while neither it nor its sign-in is revoked, replaced or expired.
///
/// # Errors
/// `INTERNAL_SERVER_ERROR` on failure.
pub async fn browser_user(db: &impl ConnectionTrait, token: &str) -> AppResult<Option<i64>> {
    let now = clock::now();
    let Some(current) = session_of(db, token).await? else {
        return Ok(None);
    };
    if current.replaced_at.is_some() || current.revoked_at.is_some() || current.expires_at <= now {
        return Ok(None);
    }
    let sign_in = by_family(db, &current.family_id).await?;
    Ok(sign_in
        .filter(|sign_in| sign_in.revoked_at.is_none() && sign_in.app_id.is_none())
        .map(|sign_in| sign_in.user_id))
}
