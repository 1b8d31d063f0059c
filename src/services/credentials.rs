//! Who a bearer token stands for: an access token (a JWT naming its sign-in) or a personal
//! access token (`pbp_…`), and what it may do.

use chrono::{DateTime, Utc};
use entity::user;

use crate::auth::{Auth, Credential, Role, Scopes, Viewer};
use crate::error::{AppError, AppResult};

use super::{Context, credential_cache, personal_tokens, users};

const INVALID_TOKEN: &str = "invalid or expired access token";

/// A viewer proven by a token, and when the proof runs out (`None`: a personal token
/// without expiry).
#[derive(Debug, Clone, Copy)]
pub struct Authenticated {
    pub viewer: Viewer,
    pub expires_at: Option<DateTime<Utc>>,
}

/// The viewer a bearer token stands for.
///
/// # Errors
/// `UNAUTHENTICATED` for any invalid, expired or revoked token, or one of a deleted
/// account.
pub async fn authenticate(ctx: Context<'_>, auth: &Auth, token: &str) -> AppResult<Authenticated> {
    let invalid = || AppError::Unauthenticated(INVALID_TOKEN);
    let now = Utc::now();
    let standing = |user: &user::Model| {
        (
            user.id,
            Role::from_stored(&user.role),
            users::ban_of(user, now).is_some(),
        )
    };
    let ((id, role, banned), scopes, credential, expires_at) = if token
        .starts_with(personal_tokens::PREFIX)
    {
        let live = personal_tokens::live(ctx, token)
            .await?
            .ok_or_else(invalid)?;
        let credential = Credential::PersonalToken { id: live.token.id };
        let scopes = Scopes::from_stored(&live.token.scopes);
        (
            standing(&live.user),
            scopes,
            credential,
            live.token.expires_at,
        )
    } else {
        let verified = auth.keys.verify(token, now).map_err(|error| {
            tracing::debug!(%error, "access token refused");
            invalid()
        })?;
        let expires_at = Some(verified.expires_at);
        match verified.sign_in {
            None => {
                let user = credential_cache::operator_account(ctx, verified.user_id)
                    .await?
                    .ok_or_else(invalid)?;
                (
                    standing(&user),
                    Scopes::all(),
                    Credential::Operator,
                    expires_at,
                )
            }
            Some(id) => {
                let live = credential_cache::live(ctx, id, verified.user_id)
                    .await?
                    .ok_or_else(invalid)?;
                let credential = match live.app_id {
                    Some(app) => Credential::App { sign_in: id, app },
                    None => Credential::Session { sign_in: id },
                };
                let banned = users::ban_from(live.ban_reason.as_deref(), live.banned_until, now);
                let standing = (
                    live.user_id,
                    Role::from_stored(&live.role),
                    banned.is_some(),
                );
                (standing, live.scopes(), credential, expires_at)
            }
        }
    };
    Ok(Authenticated {
        viewer: Viewer::User {
            id,
            role,
            banned,
            scopes,
            credential,
        },
        expires_at,
    })
}
