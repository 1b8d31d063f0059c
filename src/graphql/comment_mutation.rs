//! The discussion's mutations: adding, editing, deleting and upvoting comments.

use async_graphql::{Context, ID, Object};

use crate::auth::{Role, RoleGuard, Scope};
use crate::domain::comment::CommentBody;
use crate::error::AppError;
use crate::graphql::types::{GlobalId, NodeKind};
use crate::services::comments::{self, Deletion, NewComment};
use crate::services::moderation;

use super::comment_loaders::HasUpvotedComment;
use super::context::{loader, state, viewer};
use super::mutation::signed_in_user;
use super::types::{AddCommentInput, Comment, CommentPayload, DeleteCommentPayload};

/// Entry points of the discussion.
#[derive(Default)]
pub struct CommentMutation;

#[Object]
impl CommentMutation {
    /// Comments on a paper, or answers a comment of the same paper (`parentId`). Threads
    /// are at most 16 levels deep; the number of comments a user may add per hour is
    /// limited (`RATE_LIMITED`).
    #[graphql(guard = "RoleGuard(Role::User, Scope::Comment)")]
    async fn add_comment(
        &self,
        ctx: &Context<'_>,
        input: AddCommentInput,
    ) -> async_graphql::Result<CommentPayload> {
        let author_id = signed_in_user(ctx)?;
        let new = NewComment {
            paper_id: GlobalId::decode_as(&input.paper_id, NodeKind::Paper, "input.paperId")?,
            parent_id: input
                .parent_id
                .map(|id| GlobalId::decode_as(&id, NodeKind::Comment, "input.parentId"))
                .transpose()?,
            body: body(&input.body, "input.body")?,
        };
        let stored = comments::add(state(ctx)?.services(), author_id, new).await?;
        Ok(CommentPayload {
            comment: Comment::from(stored),
        })
    }

    /// Rewrites the body of one of the viewer's comments; sets `editedAt`.
    #[graphql(guard = "RoleGuard(Role::User, Scope::Comment)")]
    async fn edit_comment(
        &self,
        ctx: &Context<'_>,
        id: ID,
        body: String,
    ) -> async_graphql::Result<CommentPayload> {
        let editor_id = signed_in_user(ctx)?;
        let comment_id = GlobalId::decode_as(&id, NodeKind::Comment, "id")?;
        let body = self::body(&body, "body")?;
        let edited = comments::edit(state(ctx)?.services(), editor_id, comment_id, body).await?;
        Ok(CommentPayload {
            comment: Comment::from(edited),
        })
    }

    /// Deletes a comment (its author, or a moderator): one with replies stays as a
    /// tombstone (`deleted`, empty body), one without disappears.
    #[graphql(guard = "RoleGuard(Role::User, Scope::Comment)")]
    async fn delete_comment(
        &self,
        ctx: &Context<'_>,
        id: ID,
    ) -> async_graphql::Result<DeleteCommentPayload> {
        let viewer_id = signed_in_user(ctx)?;
        let comment_id = GlobalId::decode_as(&id, NodeKind::Comment, "id")?;
        let services = state(ctx)?.services();
        // A moderator deleting someone else's comment acts as a moderator: logged.
        let moderating = viewer(ctx).is_moderator()
            && comments::by_ids(services.db.reader(), &[comment_id])
                .await?
                .get(&comment_id)
                .is_some_and(|comment| comment.author_id != Some(viewer_id));
        let deletion = if moderating {
            moderation::delete_comment(services, viewer_id, comment_id, None).await?
        } else {
            comments::delete(services, viewer_id, false, comment_id).await?
        };
        let comment = match deletion {
            Deletion::Tombstoned(tombstone) => Some(Comment::from(tombstone)),
            Deletion::Removed(_) => None,
        };
        Ok(DeleteCommentPayload {
            comment_id: id,
            comment,
        })
    }

    /// Upvotes a comment as the viewer. Upvoting twice changes nothing.
    #[graphql(guard = "RoleGuard(Role::User, Scope::Vote)")]
    async fn upvote_comment(
        &self,
        ctx: &Context<'_>,
        id: ID,
    ) -> async_graphql::Result<CommentPayload> {
        vote(ctx, &id, true).await
    }

    /// Withdraws the viewer's upvote of a comment. Removing an absent upvote changes
    /// nothing.
    #[graphql(guard = "RoleGuard(Role::User, Scope::Vote)")]
    async fn remove_comment_upvote(
        &self,
        ctx: &Context<'_>,
        id: ID,
    ) -> async_graphql::Result<CommentPayload> {
        vote(ctx, &id, false).await
    }
}

fn body(text: &str, field: &str) -> Result<CommentBody, AppError> {
    CommentBody::parse(text).map_err(|message| AppError::bad_input(field, message))
}

/// Casts (`upvoted`) or withdraws the viewer's upvote of comment `id`. The payload's
/// `viewerHasUpvoted` is known, so it is given to the loader rather than read back.
async fn vote(ctx: &Context<'_>, id: &ID, upvoted: bool) -> async_graphql::Result<CommentPayload> {
    let user_id = signed_in_user(ctx)?;
    let comment_id = GlobalId::decode_as(id, NodeKind::Comment, "id")?;
    let services = state(ctx)?.services();
    let comment = if upvoted {
        comments::upvote(services, user_id, comment_id).await?
    } else {
        comments::remove_upvote(services, user_id, comment_id).await?
    };
    let key = HasUpvotedComment {
        user_id,
        comment_id: comment.id,
    };
    loader(ctx)?.feed_one(key, upvoted).await;
    Ok(CommentPayload {
        comment: Comment::from(comment),
    })
}
