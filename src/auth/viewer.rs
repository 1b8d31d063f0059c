//! The viewer of a request: anonymous, or a signed-in user with a role, the scopes their
//! credential grants, and the credential itself.

use super::{Scope, Scopes};
use crate::error::AppError;

/// A user's role.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    User,
    /// Moderates discussion: hides and deletes comments, bans users, removes papers.
    Moderator,
    Admin,
}

impl Role {
    /// The stored form (`USER`, `MODERATOR` or `ADMIN`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::User => "USER",
            Self::Moderator => "MODERATOR",
            Self::Admin => "ADMIN",
        }
    }

    /// Parses the stored form; anything unknown has no privileges.
    pub fn from_stored(value: &str) -> Self {
        match value {
            "ADMIN" => Self::Admin,
            "MODERATOR" => Self::Moderator,
            _ => Self::User,
        }
    }

    /// Whether this role grants everything `required` does: each role grants what the
    /// ones below it do.
    pub fn includes(self, required: Role) -> bool {
        self.rank() >= required.rank()
    }

    fn rank(self) -> u8 {
        match self {
            Self::User => 0,
            Self::Moderator => 1,
            Self::Admin => 2,
        }
    }
}

/// How a signed-in viewer proved who they are.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Credential {
    /// An access token of a first-party sign-in (`login`, `register`).
    Session { sign_in: i64 },
    /// An access token an OAuth app obtained for the user.
    App { sign_in: i64, app: i64 },
    /// A personal access token.
    PersonalToken { id: i64 },
    /// A token minted with the server's secret by the operator's tools (benchmarks), not
    /// tied to a sign-in.
    Operator,
}

/// Who a request acts for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Viewer {
    /// No credentials: reads only.
    #[default]
    Anonymous,
    /// A user with a valid token; `banned` while the account may not write; `scopes` is
    /// what the token may do beyond public reads.
    User {
        id: i64,
        role: Role,
        banned: bool,
        scopes: Scopes,
        credential: Credential,
    },
}

impl Viewer {
    /// The signed-in user's id.
    pub fn user_id(self) -> Option<i64> {
        match self {
            Self::Anonymous => None,
            Self::User { id, .. } => Some(id),
        }
    }

    /// Whether the viewer moderates (moderators and admins).
    pub fn is_moderator(self) -> bool {
        matches!(self, Self::User { role, .. } if role.includes(Role::Moderator))
    }

    /// Whether the viewer may see private fields of user `user_id` (the user themself, or
    /// an admin), leaving the token's scopes aside.
    pub fn can_see_private_fields_of(self, user_id: i64) -> bool {
        match self {
            Self::Anonymous => false,
            Self::User { id, role, .. } => id == user_id || role == Role::Admin,
        }
    }

    /// Whether the viewer's credential grants `scope` (anonymous viewers hold none).
    pub fn has_scope(self, scope: Scope) -> bool {
        matches!(self, Self::User { scopes, .. } if scopes.contains(scope))
    }

    /// `Ok` when the credential grants `scope`; otherwise `FORBIDDEN` naming the scope.
    ///
    /// # Errors
    /// [`AppError::MissingScope`].
    pub fn require_scope(self, scope: Scope) -> Result<(), AppError> {
        if self.has_scope(scope) {
            Ok(())
        } else {
            Err(AppError::MissingScope(scope))
        }
    }

    /// The viewer's id when their credential may read their private data (`read`).
    pub fn private_reader(self) -> Option<i64> {
        self.user_id().filter(|_| self.has_scope(Scope::Read))
    }

    /// `Ok` when the credential may read the viewer's notifications (`notifications` or
    /// `read`); otherwise `FORBIDDEN` naming `notifications`.
    ///
    /// # Errors
    /// [`AppError::MissingScope`].
    pub fn require_inbox_scope(self) -> Result<(), AppError> {
        if self.has_scope(Scope::Read) {
            Ok(())
        } else {
            self.require_scope(Scope::Notifications)
        }
    }

    /// Whether the viewer signed in on Paperboard itself (or holds an operator token): only
    /// such a sign-in manages the account, its apps and its tokens.
    pub fn is_first_party(self) -> bool {
        matches!(
            self,
            Self::User {
                credential: Credential::Session { .. } | Credential::Operator,
                ..
            }
        )
    }

    /// The OAuth app acting for the viewer, if any.
    pub fn app(self) -> Option<i64> {
        match self {
            Self::User {
                credential: Credential::App { app, .. },
                ..
            } => Some(app),
            _ => None,
        }
    }

    /// The sign-in the viewer's access token belongs to, if any.
    pub fn sign_in(self) -> Option<i64> {
        match self {
            Self::User {
                credential: Credential::Session { sign_in } | Credential::App { sign_in, .. },
                ..
            } => Some(sign_in),
            _ => None,
        }
    }
}
