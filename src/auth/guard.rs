//! Role guards for GraphQL fields.

use async_graphql::{Context, Guard};

use crate::error::AppError;

use super::{Role, Viewer};

/// Requires a signed-in viewer with at least `0`'s role: `UNAUTHENTICATED` when anonymous,
/// `FORBIDDEN` when the role is lacking.
pub struct RoleGuard(pub Role);

impl Guard for RoleGuard {
    async fn check(&self, ctx: &Context<'_>) -> async_graphql::Result<()> {
        match ctx.data_opt::<Viewer>().copied().unwrap_or_default() {
            Viewer::Anonymous => Err(AppError::Unauthenticated("sign in first").into()),
            Viewer::User { role, .. } if role.includes(self.0) => Ok(()),
            Viewer::User { .. } => Err(AppError::Forbidden("your role does not allow this").into()),
        }
    }
}
