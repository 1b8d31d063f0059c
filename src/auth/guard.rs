//! Guards for GraphQL fields: the role and scope a write needs, and account management,
//! which only a first-party sign-in may do.

use async_graphql::{Context, Guard};

use crate::error::AppError;
use crate::services::users;
use crate::state::AppState;

use super::{Role, Scope, Viewer};

/// Requires a signed-in viewer with at least `0`'s role, whose credential grants scope `1`,
/// and who is not banned: `UNAUTHENTICATED` when anonymous, `FORBIDDEN` when the role is
/// lacking, `FORBIDDEN` with `requiredScope` when the scope is, and `FORBIDDEN` with the
/// ban's reason for a banned account. Every write carries it.
pub struct RoleGuard(pub Role, pub Scope);

impl Guard for RoleGuard {
    async fn check(&self, ctx: &Context<'_>) -> async_graphql::Result<()> {
        match ctx.data_opt::<Viewer>().copied().unwrap_or_default() {
            Viewer::Anonymous => Err(AppError::Unauthenticated("sign in first").into()),
            Viewer::User { role, .. } if !role.includes(self.0) => {
                Err(AppError::Forbidden("your role does not allow this").into())
            }
            Viewer::User { scopes, .. } if !scopes.contains(self.1) => {
                Err(AppError::MissingScope(self.1).into())
            }
            Viewer::User {
                id, banned: true, ..
            } => Err(ban_of(ctx, id).await.into()),
            Viewer::User { .. } => Ok(()),
        }
    }
}

/// Requires a first-party sign-in (not an OAuth app, not a personal access token): the
/// account's password, sessions, apps and tokens are managed on Paperboard itself. Banned
/// accounts may still manage (and delete) themselves.
pub struct AccountGuard;

impl Guard for AccountGuard {
    async fn check(&self, ctx: &Context<'_>) -> async_graphql::Result<()> {
        let viewer = ctx.data_opt::<Viewer>().copied().unwrap_or_default();
        match viewer {
            Viewer::Anonymous => Err(AppError::Unauthenticated("sign in first").into()),
            _ if viewer.is_first_party() => Ok(()),
            _ => Err(AppError::Forbidden(
                "only a sign-in on Paperboard itself can manage the account, its apps and tokens",
            )
            .into()),
        }
    }
}

/// Requires a viewer who is not banned (`FORBIDDEN` with the ban's reason otherwise), for
/// the account's writes that others see (its profile, its apps' names): a banned account
/// still manages its password, sessions and tokens, and may delete itself.
pub struct UnbannedGuard;

impl Guard for UnbannedGuard {
    async fn check(&self, ctx: &Context<'_>) -> async_graphql::Result<()> {
        match ctx.data_opt::<Viewer>().copied().unwrap_or_default() {
            Viewer::User {
                id, banned: true, ..
            } => Err(ban_of(ctx, id).await.into()),
            _ => Ok(()),
        }
    }
}

/// The error telling user `id` why they may not write.
async fn ban_of(ctx: &Context<'_>, id: i64) -> AppError {
    let Ok(state) = ctx.data::<AppState>() else {
        return AppError::internal("AppState missing from schema data");
    };
    match users::by_id(state.db.reader(), id).await {
        Ok(Some(user)) => users::ban_of(&user, chrono::Utc::now()).unwrap_or(AppError::Banned {
            reason: "banned".to_owned(),
            until: None,
        }),
        Ok(None) => AppError::Unauthenticated("the account is gone"),
        Err(error) => error,
    }
}
