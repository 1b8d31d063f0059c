//! Who a bearer token stands for: an access token (a JWT naming its sign-in) or a personal
//! access token (`pbp_…`), and what it may do.

use chrono::{DateTime, Utc};

use crate::auth::{Auth, Credential, Role, Scopes, Viewer};
use crate::db::Database;
use crate::error::{AppError, AppResult};

use super::{personal_tokens, sign_ins, users};

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
pub async fn authenticate(db: &Database, auth: &Auth, token: &str) -> AppResult<Authenticated> {
    let invalid = || AppError::Unauthenticated(INVALID_TOKEN);
    let (user, scopes, credential, expires_at) = if token.starts_with(personal_tokens::PREFIX) {
        let row = personal_tokens::authenticate(db, token)
            .await?
            .ok_or_else(invalid)?;
        let user = users::by_id(db.reader(), row.user_id)
            .await?
            .ok_or_else(invalid)?;
        let credential = Credential::PersonalToken { id: row.id };
        let scopes = Scopes::from_stored(&row.scopes);
        (user, scopes, credential, row.expires_at)
    } else {
        let verified = auth.keys.verify(token, Utc::now()).map_err(|error| {
            tracing::debug!(%error, "access token refused");
            invalid()
        })?;
        let expires_at = Some(verified.expires_at);
        match verified.sign_in {
            None => {
                let user = users::by_id(db.reader(), verified.user_id)
                    .await?
                    .ok_or_else(invalid)?;
                (user, Scopes::all(), Credential::Operator, expires_at)
            }
            Some(id) => {
                let (sign_in, user) = sign_ins::live_with_user(db.reader(), id, verified.user_id)
                    .await?
                    .ok_or_else(invalid)?;
                sign_ins::touch(db, &sign_in).await?;
                let credential = match sign_in.app_id {
                    Some(app) => Credential::App { sign_in: id, app },
                    None => Credential::Session { sign_in: id },
                };
                (user, sign_ins::scopes_of(&sign_in), credential, expires_at)
            }
        }
    };
    Ok(Authenticated {
        viewer: Viewer::User {
            id: user.id,
            role: Role::from_stored(&user.role),
            banned: users::ban_of(&user, Utc::now()).is_some(),
            scopes,
            credential,
        },
        expires_at,
    })
}
