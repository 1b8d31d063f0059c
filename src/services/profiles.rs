//! Editing one's profile: display name, bio, website and avatar links. A change is
//! published: pages showing the account are shared between readers until one is.

use entity::user;
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

use crate::domain::{account, profile};
use crate::error::{AppError, AppResult};
use crate::events::Change;

use super::{Context, users};

/// A change to one profile field: `None` leaves it, `Some(None)` clears it.
pub type FieldChange = Option<Option<String>>;

/// The fields to change, as given.
#[derive(Debug, Default)]
pub struct ProfileChanges {
    pub display_name: FieldChange,
    pub bio: FieldChange,
    pub website_url: FieldChange,
    pub avatar_url: FieldChange,
}

/// Applies `changes` to `user_id`'s profile after checking every field; nothing is stored
/// when one is invalid.
///
/// # Errors
/// `BAD_USER_INPUT` naming the first invalid field.
pub async fn update(
    ctx: Context<'_>,
    user_id: i64,
    changes: ProfileChanges,
) -> AppResult<user::Model> {
    let fields = [
        (
            changes.display_name,
            user::Column::DisplayName,
            "input.displayName",
        ),
        (changes.bio, user::Column::Bio, "input.bio"),
        (
            changes.website_url,
            user::Column::WebsiteUrl,
            "input.websiteUrl",
        ),
        (
            changes.avatar_url,
            user::Column::AvatarUrl,
            "input.avatarUrl",
        ),
    ];
    let mut update = user::Entity::update_many().filter(user::Column::Id.eq(user_id));
    let mut changed = false;
    for (change, column, field) in fields {
        let Some(value) = change else { continue };
        let value = match value {
            None => None,
            Some(text) => checked(column, &text).map_err(|m| AppError::bad_input(field, m))?,
        };
        update = update.col_expr(column, Expr::val(value));
        changed = true;
    }
    if changed {
        update.exec(ctx.db.writer()).await?;
        ctx.events.publish(Change::UserChanged { user_id }).await;
    }
    users::by_id(ctx.db.writer(), user_id)
        .await?
        .ok_or(AppError::Unauthenticated("the account is gone"))
}

/// The stored form of a profile field's new text (`None`: blank, cleared).
fn checked(column: user::Column, text: &str) -> Result<Option<String>, String> {
    match column {
        user::Column::DisplayName => account::display_name(Some(text)),
        user::Column::Bio => profile::bio(text),
        user::Column::WebsiteUrl => profile::link(text, "websiteUrl"),
        _ => profile::link(text, "avatarUrl"),
    }
}
