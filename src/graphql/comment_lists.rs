//! The comment lists of papers, comments and users. First pages are batched across
//! parents (the replies of a whole page of comments in one statement); later pages are
//! keyset ranges of the same index. Either way the rows come with their authors and the
//! viewer's upvotes, which the request's loader is then given.

use async_graphql::Context;

use entity::user;

use crate::error::AppError;
use crate::pagination::PageArgs;
use crate::services::comments::{self, CommentList, ThreadRow};

use super::comment_loaders::{FirstCommentsOf, HasUpvotedComment};
use super::context::{loader, state, viewer};
use super::loaders::UserById;
use super::types::{Comment, Connection, TotalCount};

/// A page of `list` of `owner_id`; `total` says how `totalCount` is learnt.
pub async fn comments_of(
    ctx: &Context<'_>,
    list: CommentList,
    owner_id: i64,
    (first, after): (Option<i32>, Option<String>),
    total: TotalCount,
) -> async_graphql::Result<Connection<Comment>> {
    let request = PageArgs::forward(first, after).parse(list.list_kind(), &list.cursor_shape())?;
    let viewer = viewer(ctx).user_id();
    let page = if request.after.is_none() {
        let rows = loader(ctx)?
            .load_one(FirstCommentsOf {
                list,
                owner_id,
                limit: request.fetch_limit(),
                viewer,
            })
            .await?
            .unwrap_or_default();
        request.into_page(rows)
    } else {
        comments::page(state(ctx)?.db.reader(), list, owner_id, &request, viewer).await?
    };
    remember_relations(ctx, &page.items).await?;
    let page = page.map(|row| {
        let key = list.key_of(&row.comment);
        (Comment::from(row.comment), key)
    });
    Ok(Connection::new(page, list.list_kind(), total))
}

/// Gives the request's loader the authors and the viewer's upvotes read with the rows, so
/// that the comments' `author` and `viewerHasUpvoted` cost no further statement.
async fn remember_relations(ctx: &Context<'_>, rows: &[ThreadRow]) -> Result<(), AppError> {
    let loader = loader(ctx)?;
    let authors: Vec<(UserById, user::Model)> = rows
        .iter()
        .filter_map(|row| {
            let author = row.author.clone()?;
            Some((UserById(author.id), author))
        })
        .collect();
    loader.feed_many(authors).await;
    if let Some(user_id) = viewer(ctx).user_id() {
        let upvoted: Vec<(HasUpvotedComment, bool)> = rows
            .iter()
            .filter_map(|row| {
                let key = HasUpvotedComment {
                    user_id,
                    comment_id: row.comment.id,
                };
                Some((key, row.viewer_upvoted?))
            })
            .collect();
        loader.feed_many(upvoted).await;
    }
    Ok(())
}
