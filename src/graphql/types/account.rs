//! Inputs and payloads of the account mutations.

use async_graphql::{InputObject, SimpleObject};

use crate::services::sign_ins::Tokens;

use super::{DateTime, Paper, User};

/// A new account.
#[derive(InputObject)]
pub struct RegisterInput {
    /// 3–32 of `A–Z a–z 0–9 _ -`, unique regardless of case.
    pub username: String,
    /// Unique regardless of case.
    pub email: String,
    /// At least 12 characters and at most 1,024 bytes (longer is refused, never truncated).
    pub password: String,
    /// Optional, at most 100 characters.
    pub display_name: Option<String>,
}

/// Credentials.
#[derive(InputObject)]
pub struct LoginInput {
    /// A username or an email address, in any case.
    pub username_or_email: String,
    pub password: String,
}

/// A signed-in session.
#[derive(SimpleObject)]
pub struct AuthPayload {
    /// Send as `Authorization: Bearer <accessToken>`; valid for 15 minutes.
    pub access_token: String,
    /// Opaque; exchange it with `refreshSession` for new tokens (valid 30 days, single use).
    pub refresh_token: String,
    /// When `accessToken` expires.
    pub expires_at: DateTime,
    /// The signed-in user (its `email` is visible: it is the viewer).
    pub user: User,
}

impl From<Tokens> for AuthPayload {
    fn from(signed_in: Tokens) -> Self {
        Self {
            access_token: signed_in.access.token,
            refresh_token: signed_in.refresh_token,
            expires_at: DateTime(signed_in.access.expires_at),
            user: User::seen_by_self(signed_in.user),
        }
    }
}

/// The result of an upvote mutation.
#[derive(SimpleObject)]
pub struct UpvotePayload {
    /// The paper as it now stands (`upvoteCount`, `viewerHasUpvoted`).
    pub paper: Paper,
}
