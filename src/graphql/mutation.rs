//! The write half of the API.

use std::net::IpAddr;

use async_graphql::{Context, ID, MergedObject, Object};

use crate::auth::{Role, RoleGuard, Scope};
use crate::clock;
use crate::domain::paper;
use crate::error::AppError;
use crate::graphql::types::{GlobalId, NodeKind};
use crate::services::{catalog, moderation, upvotes};

use super::account_mutation::AccountMutation;
use super::collection_mutation::CollectionMutation;
use super::comment_mutation::CommentMutation;
use super::context::{loader, state, viewer};
use super::loaders::HasUpvoted;
use super::moderation_api::ModerationMutation;
use super::personal_mutation::PersonalMutation;
use super::platform_mutation::PlatformMutation;
use super::types::{Paper, SubmitPaperInput, SubmitPaperPayload, UpvotePayload};

/// The address a request came from, when known (the transport attaches it).
#[derive(Debug, Clone, Copy)]
pub struct ClientAddr(pub Option<IpAddr>);

/// The `User-Agent` a request came with, when any (the transport attaches it).
#[derive(Debug, Clone, Default)]
pub struct UserAgent(pub Option<String>);

/// Entry points for changing things: accounts and papers here, the discussion in
/// [`CommentMutation`].
#[derive(MergedObject, Default)]
#[graphql(name = "Mutation")]
pub struct MutationRoot(
    AccountMutation,
    CoreMutation,
    CommentMutation,
    ModerationMutation,
    PersonalMutation,
    CollectionMutation,
    PlatformMutation,
);

/// Upvotes and papers.
#[derive(Default)]
pub struct CoreMutation;

#[Object]
impl CoreMutation {
    /// Upvotes a paper as the signed-in user. Upvoting twice changes nothing.
    #[graphql(guard = "RoleGuard(Role::User, Scope::Vote)")]
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
    #[graphql(guard = "RoleGuard(Role::User, Scope::Vote)")]
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
    #[graphql(guard = "RoleGuard(Role::User, Scope::Submit)")]
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
    #[graphql(guard = "RoleGuard(Role::User, Scope::Submit)")]
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
    #[graphql(guard = "RoleGuard(Role::Moderator, Scope::Moderate)")]
    async fn delete_paper(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<ID> {
        let moderator_id = signed_in_user(ctx)?;
        let paper_id = GlobalId::decode_as(&id, NodeKind::Paper, "id")?;
        moderation::delete_paper(state(ctx)?.services(), moderator_id, paper_id).await?;
        Ok(id)
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

pub(super) fn client_addr(ctx: &Context<'_>) -> Option<IpAddr> {
    ctx.data_opt::<ClientAddr>().and_then(|addr| addr.0)
}
