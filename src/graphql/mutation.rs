//! The write half of the API.

use std::net::IpAddr;

use async_graphql::{Context, ID, MergedObject, Object};

use crate::auth::{Role, RoleGuard};
use crate::clock;
use crate::domain::paper;
use crate::error::AppError;
use crate::graphql::types::{GlobalId, NodeKind};
use crate::services::accounts::{self, Registration};
use crate::services::{catalog, moderation, upvotes};

use super::collection_mutation::CollectionMutation;
use super::comment_mutation::CommentMutation;
use super::context::{loader, state, viewer};
use super::loaders::HasUpvoted;
use super::moderation_api::ModerationMutation;
use super::personal_mutation::PersonalMutation;
use super::types::{
    AuthPayload, LoginInput, Paper, RegisterInput, SubmitPaperInput, SubmitPaperPayload,
    UpvotePayload,
};

/// The address a request came from, when known (the transport attaches it).
#[derive(Debug, Clone, Copy)]
pub struct ClientAddr(pub Option<IpAddr>);

/// Entry points for changing things: accounts and papers here, the discussion in
/// [`CommentMutation`].
#[derive(MergedObject, Default)]
#[graphql(name = "Mutation")]
pub struct MutationRoot(
    CoreMutation,
    CommentMutation,
    ModerationMutation,
    PersonalMutation,
    CollectionMutation,
);

/// Accounts, upvotes and papers.
#[derive(Default)]
pub struct CoreMutation;

#[Object]
impl CoreMutation {
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
        let signed_in = accounts::register(
            state.services(),
            &state.auth,
            registration,
            client_addr(ctx),
        )
        .await?;
        Ok(AuthPayload::from(signed_in))
    }

    /// Signs in with a username or email and a password. Every failure is the same
    /// `UNAUTHENTICATED` error; repeated failures are slowed down (`RATE_LIMITED`).
    async fn login(
        &self,
        ctx: &Context<'_>,
        input: LoginInput,
    ) -> async_graphql::Result<AuthPayload> {
        let state = state(ctx)?;
        let signed_in = accounts::login(
            state.services(),
            &state.auth,
            &input.username_or_email,
            input.password,
            client_addr(ctx),
        )
        .await?;
        Ok(AuthPayload::from(signed_in))
    }

    /// Exchanges a refresh token for new tokens. The old refresh token stops working;
    /// presenting it again revokes the whole session.
    async fn refresh_session(
        &self,
        ctx: &Context<'_>,
        refresh_token: String,
    ) -> async_graphql::Result<AuthPayload> {
        let state = state(ctx)?;
        let signed_in = accounts::refresh(&state.db, &state.auth, &refresh_token).await?;
        Ok(AuthPayload::from(signed_in))
    }

    /// Upvotes a paper as the signed-in user. Upvoting twice changes nothing.
    #[graphql(guard = "RoleGuard(Role::User)")]
    async fn upvote_paper(
        &self,
        ctx: &Context<'_>,
        paper_id: ID,
    ) -> async_graphql::Result<UpvotePayload> {
        let (user_id, paper_id) = upvote_arguments(ctx, &paper_id)?;
        let outcome = upvotes::upvote(state(ctx)?.services(), user_id, paper_id).await?;
        upvoted_payload(ctx, user_id, outcome.paper, true).await
    }

    /// Withdraws the signed-in user's upvote. Removing an absent upvote changes nothing.
    #[graphql(guard = "RoleGuard(Role::User)")]
    async fn remove_upvote(
        &self,
        ctx: &Context<'_>,
        paper_id: ID,
    ) -> async_graphql::Result<UpvotePayload> {
        let (user_id, paper_id) = upvote_arguments(ctx, &paper_id)?;
        let outcome = upvotes::remove(state(ctx)?.services(), user_id, paper_id).await?;
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
        let user_id = signed_in_user(ctx)?;
        let paper = input.validate(clock::now().date_naive())?;
        let stored = catalog::submit(state(ctx)?.services(), user_id, paper).await?;
        Ok(SubmitPaperPayload {
            paper: Paper::from(stored),
        })
    }

    /// Adds the paper with this arXiv id to the feed, submitted by the signed-in user, with
    /// its metadata fetched from arXiv. An id already listed is a `CONFLICT`, one arXiv does
    /// not know `NOT_FOUND`; when arXiv cannot answer (unreachable, slow, busy) the error is
    /// `UPSTREAM_UNAVAILABLE` with `retryAfterSeconds`. Nothing is stored on any error; the
    /// same rate limit as `submitPaper` applies.
    #[graphql(guard = "RoleGuard(Role::User)")]
    async fn submit_arxiv_paper(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "With or without version suffix or `arXiv:` prefix.")] arxiv_id: String,
    ) -> async_graphql::Result<SubmitPaperPayload> {
        let user_id = signed_in_user(ctx)?;
        let arxiv_id = paper::arxiv_id(&arxiv_id)
            .map_err(|message| AppError::bad_input("arxivId", message))?;
        let state = state(ctx)?;
        let stored =
            catalog::submit_from_arxiv(state.services(), &state.arxiv, user_id, &arxiv_id).await?;
        Ok(SubmitPaperPayload {
            paper: Paper::from(stored),
        })
    }

    /// Removes a paper, its byline, upvotes and discussion. Moderators and admins; logged
    /// in `moderationLog`.
    #[graphql(guard = "RoleGuard(Role::Moderator)")]
    async fn delete_paper(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<ID> {
        let moderator_id = signed_in_user(ctx)?;
        let paper_id = GlobalId::decode_as(&id, NodeKind::Paper, "id")?;
        moderation::delete_paper(state(ctx)?.services(), moderator_id, paper_id).await?;
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

/// The viewer's id and the decoded paper id of an upvote mutation.
fn upvote_arguments(ctx: &Context<'_>, paper_id: &ID) -> Result<(i64, i64), AppError> {
    let user_id = signed_in_user(ctx)?;
    let paper_id = GlobalId::decode_as(paper_id, NodeKind::Paper, "paperId")?;
    Ok((user_id, paper_id))
}

pub(super) fn signed_in_user(ctx: &Context<'_>) -> Result<i64, AppError> {
    viewer(ctx)
        .user_id()
        .ok_or(AppError::Unauthenticated("sign in first"))
}

fn client_addr(ctx: &Context<'_>) -> Option<IpAddr> {
    ctx.data_opt::<ClientAddr>().and_then(|addr| addr.0)
}
