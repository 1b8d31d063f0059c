//! The write half of the API.

use std::net::IpAddr;

use async_graphql::{Context, ID, Object};
use entity::user;

use crate::auth::{Role, RoleGuard};
use crate::clock;
use crate::error::AppError;
use crate::events::Change;
use crate::graphql::types::{GlobalId, NodeKind};
use crate::services::accounts::{self, Registration};
use crate::services::catalog;
use crate::services::upvotes::{self, UpvoteOutcome};
use crate::state::AppState;

use super::context::{loader, state, viewer};
use super::loaders::HasUpvoted;
use super::types::{
    AuthPayload, DateTime, LoginInput, Paper, RegisterInput, SubmitPaperInput, SubmitPaperPayload,
    UpvotePayload, User,
};

/// The address a request came from, when known (the transport attaches it).
#[derive(Debug, Clone, Copy)]
pub struct ClientAddr(pub Option<IpAddr>);

/// Entry points for changing things.
#[derive(Default)]
pub struct MutationRoot;

#[Object(name = "Mutation")]
impl MutationRoot {
    /// Creates an account and signs it in.
    async fn register(
        &self,
        ctx: &Context<'_>,
        input: RegisterInput,
    ) -> async_graphql::Result<AuthPayload> {
        let state = state(ctx)?;
        let registration = Registration::validate(
            &input.username,
            &input.email,
            input.password,
            input.display_name.as_deref(),
        )?;
        if let Some(client) = client_addr(ctx) {
            state.limits.registrations.take(client).await?;
        }
        let user = accounts::register(&state.db, &state.auth, registration).await?;
        Ok(signed_in(state, user).await?)
    }

    /// Signs in with a username or email and a password. Every failure is the same
    /// `UNAUTHENTICATED` error; repeated failures are slowed down (`RATE_LIMITED`).
    async fn login(
        &self,
        ctx: &Context<'_>,
        input: LoginInput,
    ) -> async_graphql::Result<AuthPayload> {
        let state = state(ctx)?;
        let user = accounts::login(
            &state.db,
            &state.auth,
            &state.limits.logins,
            &input.username_or_email,
            input.password,
            client_addr(ctx),
        )
        .await?;
        Ok(signed_in(state, user).await?)
    }

    /// Exchanges a refresh token for new tokens. The old refresh token stops working;
    /// presenting it again revokes the whole session.
    async fn refresh_session(
        &self,
        ctx: &Context<'_>,
        refresh_token: String,
    ) -> async_graphql::Result<AuthPayload> {
        let state = state(ctx)?;
        let (user, refresh_token) =
            accounts::refresh(&state.db, &state.auth, &refresh_token).await?;
        Ok(payload(state, user, refresh_token)?)
    }

    /// Upvotes a paper as the signed-in user. Upvoting twice changes nothing.
    #[graphql(guard = "RoleGuard(Role::User)")]
    async fn upvote_paper(
        &self,
        ctx: &Context<'_>,
        paper_id: ID,
    ) -> async_graphql::Result<UpvotePayload> {
        let (state, user_id, paper_id) = upvote_arguments(ctx, &paper_id).await?;
        let outcome = upvotes::upvote(&state.db, user_id, paper_id).await?;
        publish_upvote_change(state, &outcome).await;
        upvoted_payload(ctx, user_id, outcome.paper, true).await
    }

    /// Withdraws the signed-in user's upvote. Removing an absent upvote changes nothing.
    #[graphql(guard = "RoleGuard(Role::User)")]
    async fn remove_upvote(
        &self,
        ctx: &Context<'_>,
        paper_id: ID,
    ) -> async_graphql::Result<UpvotePayload> {
        let (state, user_id, paper_id) = upvote_arguments(ctx, &paper_id).await?;
        let outcome = upvotes::remove(&state.db, user_id, paper_id).await?;
        publish_upvote_change(state, &outcome).await;
        upvoted_payload(ctx, user_id, outcome.paper, false).await
    }

    /// Adds a paper to the feed, submitted by the signed-in user. A paper whose arXiv id is
    /// already listed is a `CONFLICT`; nothing is stored on any error.
    #[graphql(guard = "RoleGuard(Role::User)")]
    async fn submit_paper(
        &self,
        ctx: &Context<'_>,
        input: SubmitPaperInput,
    ) -> async_graphql::Result<SubmitPaperPayload> {
        let state = state(ctx)?;
        let user_id = viewer(ctx)
            .user_id()
            .ok_or(AppError::Unauthenticated("sign in first"))?;
        let paper = input.validate(user_id, clock::now().date_naive())?;
        state.limits.submissions.take(user_id).await?;
        let stored = catalog::submit(&state.db, paper).await?;
        state
            .events
            .publish(Change::PaperAdded {
                paper_id: stored.id,
            })
            .await;
        Ok(SubmitPaperPayload {
            paper: Paper::from(stored),
        })
    }

    /// Removes a paper, its byline and its upvotes. Admins only.
    #[graphql(guard = "RoleGuard(Role::Admin)")]
    async fn delete_paper(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<ID> {
        let state = state(ctx)?;
        let paper_id = GlobalId::decode_as(&id, NodeKind::Paper, "id")?;
        if !catalog::delete(&state.db, paper_id).await? {
            return Err(AppError::NotFound { resource: "paper" }.into());
        }
        state.bylines.forget(paper_id);
        Ok(id)
    }

    /// Ends the session of a refresh token: `true` when it revoked one, `false` for an
    /// unknown or already revoked token. Access tokens already issued expire on their own.
    async fn logout(
        &self,
        ctx: &Context<'_>,
        refresh_token: String,
    ) -> async_graphql::Result<bool> {
        Ok(accounts::logout(&state(ctx)?.db, &refresh_token).await?)
    }
}

async fn publish_upvote_change(state: &AppState, outcome: &UpvoteOutcome) {
    if outcome.changed {
        let change = Change::UpvoteChanged {
            paper_id: outcome.paper.id,
            upvote_count: outcome.paper.upvote_count,
        };
        state.events.publish(change).await;
    }
}

/// The payload of an upvote mutation; the viewer's upvote state is known, so it is given to
/// the loader rather than read back.
async fn upvoted_payload(
    ctx: &Context<'_>,
    user_id: i64,
    paper: entity::paper::Model,
    upvoted: bool,
) -> async_graphql::Result<UpvotePayload> {
    let key = HasUpvoted {
        user_id,
        paper_id: paper.id,
    };
    loader(ctx)?.feed_one(key, upvoted).await;
    Ok(UpvotePayload {
        paper: Paper::from(paper),
    })
}

/// The state, the viewer's id and the decoded paper id of an upvote mutation, after the
/// viewer's rate limit.
async fn upvote_arguments<'a>(
    ctx: &Context<'a>,
    paper_id: &ID,
) -> Result<(&'a AppState, i64, i64), AppError> {
    let state = state(ctx)?;
    let user_id = viewer(ctx)
        .user_id()
        .ok_or(AppError::Unauthenticated("sign in first"))?;
    let paper_id = GlobalId::decode_as(paper_id, NodeKind::Paper, "paperId")?;
    state.limits.upvotes.take(user_id).await?;
    Ok((state, user_id, paper_id))
}

fn client_addr(ctx: &Context<'_>) -> Option<IpAddr> {
    ctx.data_opt::<ClientAddr>().and_then(|addr| addr.0)
}

async fn signed_in(state: &AppState, user: user::Model) -> Result<AuthPayload, AppError> {
    let refresh_token = accounts::start_session(&state.db, &state.auth, user.id).await?;
    payload(state, user, refresh_token)
}

fn payload(
    state: &AppState,
    user: user::Model,
    refresh_token: String,
) -> Result<AuthPayload, AppError> {
    let access = state.auth.keys.issue(user.id, clock::now())?;
    Ok(AuthPayload {
        access_token: access.token,
        refresh_token,
        expires_at: DateTime(access.expires_at),
        user: User::seen_by_self(user),
    })
}
