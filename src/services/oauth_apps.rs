//! OAuth apps registered by users: their client ids, secrets and redirect URIs.
//!
//! A client id (`pbc_…`) is public; a confidential app's secret (`pbs_…`) is shown once,
//! stored as its SHA-256 and compared in constant time. Redirect URIs are kept exactly as
//! registered and compared byte for byte.

use entity::oauth_app as app;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder,
};

use crate::auth::{random_token, same_secret, token_hash};
use crate::clock;
use crate::db::Database;
use crate::domain::web_address;
use crate::error::{AppError, AppResult};
use crate::events::Change;

use super::Context;

/// Apps one user may register.
pub const MAX_APPS_PER_USER: u64 = 50;
/// Redirect URIs one app may register.
pub const MAX_REDIRECT_URIS: usize = 10;
const MAX_NAME_CHARS: usize = 100;
const MAX_DESCRIPTION_CHARS: usize = 1_000;

/// An app's editable fields, validated.
#[derive(Debug, Clone)]
pub struct AppFields {
    pub name: String,
    pub description: String,
    pub homepage_url: String,
    pub redirect_uris: Vec<String>,
}

impl AppFields {
    /// Checks every field, naming the first invalid one.
    ///
    /// # Errors
    /// `BAD_USER_INPUT` naming the field.
    pub fn validate(
        name: &str,
        description: Option<&str>,
        homepage_url: &str,
        redirect_uris: &[String],
    ) -> AppResult<Self> {
        let name = name.trim();
        if name.is_empty()
            || name.chars().count() > MAX_NAME_CHARS
            || name.chars().any(char::is_control)
        {
            return Err(AppError::bad_input(
                "input.name",
                format!("a name of 1 to {MAX_NAME_CHARS} printable characters"),
            ));
        }
        let description = description.unwrap_or_default().trim();
        if description.chars().count() > MAX_DESCRIPTION_CHARS {
            return Err(AppError::bad_input(
                "input.description",
                format!("at most {MAX_DESCRIPTION_CHARS} characters"),
            ));
        }
        let homepage_url = web_address::link(homepage_url, "homepageUrl")
            .map_err(|message| AppError::bad_input("input.homepageUrl", message))?;
        if redirect_uris.is_empty() || redirect_uris.len() > MAX_REDIRECT_URIS {
            return Err(AppError::bad_input(
                "input.redirectUris",
                format!("register 1 to {MAX_REDIRECT_URIS} redirect URIs"),
            ));
        }
        let mut checked = Vec::with_capacity(redirect_uris.len());
        for uri in redirect_uris {
            let uri = web_address::redirect_uri(uri)
                .map_err(|message| AppError::bad_input("input.redirectUris", message))?;
            if !checked.contains(&uri) {
                checked.push(uri);
            }
        }
        Ok(Self {
            name: name.to_owned(),
            description: description.to_owned(),
            homepage_url,
            redirect_uris: checked,
        })
    }
}

/// The redirect URIs an app registered.
pub fn redirect_uris(model: &app::Model) -> impl Iterator<Item = &str> {
    model.redirect_uris.lines()
}

/// Whether `secret` is the app's client secret (constant time; never for public apps).
pub fn secret_matches(model: &app::Model, secret: &str) -> bool {
    model
        .secret_hash
        .as_deref()
        .is_some_and(|stored| same_secret(stored, &token_hash(secret)))
}

fn new_secret() -> AppResult<String> {
    Ok(format!("pbs_{}", random_token(32)?))
}

/// Registers an app owned by `owner_id`: its row and, for a confidential app, its secret.
///
/// # Errors
/// `BAD_USER_INPUT` beyond [`MAX_APPS_PER_USER`]; `INTERNAL_SERVER_ERROR` on failure.
pub async fn create(
    db: &Database,
    owner_id: i64,
    fields: AppFields,
    confidential: bool,
) -> AppResult<(app::Model, Option<String>)> {
    let owned = app::Entity::find()
        .filter(app::Column::OwnerId.eq(owner_id))
        .count(db.writer())
        .await?;
    if owned >= MAX_APPS_PER_USER {
        return Err(AppError::bad_input(
            "input",
            format!("at most {MAX_APPS_PER_USER} apps per account"),
        ));
    }
    let secret = confidential.then(new_secret).transpose()?;
    let now = clock::now();
    let row = app::Entity::insert(app::ActiveModel {
        client_id: Set(format!("pbc_{}", random_token(16)?)),
        owner_id: Set(owner_id),
        name: Set(fields.name),
        description: Set(fields.description),
        homepage_url: Set(fields.homepage_url),
        redirect_uris: Set(fields.redirect_uris.join("\n")),
        confidential: Set(confidential),
        secret_hash: Set(secret.as_deref().map(token_hash)),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    })
    .exec_with_returning(db.writer())
    .await?;
    Ok((row, secret))
}

/// The app with this client id, whoever owns it.
///
/// # Errors
/// `INTERNAL_SERVER_ERROR` on failure.
pub async fn by_client_id(
    db: &impl ConnectionTrait,
    client_id: &str,
) -> AppResult<Option<app::Model>> {
    if client_id.len() > 64 {
        return Ok(None);
    }
    Ok(app::Entity::find()
        .filter(app::Column::ClientId.eq(client_id))
        .one(db)
        .await?)
}

/// The app `client_id` if `owner_id` owns it; `NOT_FOUND` otherwise (another's app does
/// not exist for them).
///
/// # Errors
/// `NOT_FOUND`; `INTERNAL_SERVER_ERROR` on failure.
pub async fn owned(
    db: &impl ConnectionTrait,
    owner_id: i64,
    client_id: &str,
) -> AppResult<app::Model> {
    by_client_id(db, client_id)
        .await?
        .filter(|model| model.owner_id == owner_id)
        .ok_or(AppError::NotFound { resource: "app" })
}

/// The apps `owner_id` registered, newest first.
///
/// # Errors
/// `INTERNAL_SERVER_ERROR` on failure.
pub async fn of_owner(db: &impl ConnectionTrait, owner_id: i64) -> AppResult<Vec<app::Model>> {
    Ok(app::Entity::find()
        .filter(app::Column::OwnerId.eq(owner_id))
        .order_by_desc(app::Column::Id)
        .all(db)
        .await?)
}

/// Replaces an app's fields.
///
/// # Errors
/// `NOT_FOUND` unless `owner_id` owns it; `INTERNAL_SERVER_ERROR` on failure.
pub async fn update(
    db: &Database,
    owner_id: i64,
    client_id: &str,
    fields: AppFields,
) -> AppResult<app::Model> {
    let current = owned(db.writer(), owner_id, client_id).await?;
    app::Entity::update_many()
        .col_expr(app::Column::Name, Expr::val(fields.name))
        .col_expr(app::Column::Description, Expr::val(fields.description))
        .col_expr(app::Column::HomepageUrl, Expr::val(fields.homepage_url))
        .col_expr(
            app::Column::RedirectUris,
            Expr::val(fields.redirect_uris.join("\n")),
        )
        .col_expr(app::Column::UpdatedAt, Expr::val(clock::now()))
        .filter(app::Column::Id.eq(current.id))
        .exec(db.writer())
        .await?;
    owned(db.writer(), owner_id, client_id).await
}

/// Gives a confidential app a new secret (the old one stops working at once).
///
/// # Errors
/// `NOT_FOUND` unless `owner_id` owns it; `BAD_USER_INPUT` for a public app.
pub async fn rotate_secret(
    db: &Database,
    owner_id: i64,
    client_id: &str,
) -> AppResult<(app::Model, String)> {
    let current = owned(db.writer(), owner_id, client_id).await?;
    if !current.confidential {
        return Err(AppError::bad_input(
            "clientId",
            "a public app has no secret",
        ));
    }
    let secret = new_secret()?;
    app::Entity::update_many()
        .col_expr(app::Column::SecretHash, Expr::val(token_hash(&secret)))
        .col_expr(app::Column::UpdatedAt, Expr::val(clock::now()))
        .filter(app::Column::Id.eq(current.id))
        .exec(db.writer())
        .await?;
    Ok((owned(db.writer(), owner_id, client_id).await?, secret))
}

/// Deletes an app; its codes, grants and sign-ins go with it (their tokens stop working).
///
/// # Errors
/// `NOT_FOUND` unless `owner_id` owns it; `INTERNAL_SERVER_ERROR` on failure.
pub async fn delete(ctx: Context<'_>, owner_id: i64, client_id: &str) -> AppResult<()> {
    let current = owned(ctx.db.writer(), owner_id, client_id).await?;
    app::Entity::delete_by_id(current.id)
        .exec(ctx.db.writer())
        .await?;
    ctx.events.publish(Change::SignInsChanged).await;
    Ok(())
}
