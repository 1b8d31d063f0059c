//! The comment lists of papers, comments and users. First pages are batched across
//! parents (the replies of a whole page of comments in one statement); later pages are
//! keyset ranges of the same index.

use async_graphql::Context;

use crate::pagination::PageArgs;
use crate::services::comments::{self, CommentList};

use super::comment_loaders::FirstCommentsOf;
use super::context::{loader, state};
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
    let page = if request.after.is_none() {
        let rows = loader(ctx)?
            .load_one(FirstCommentsOf {
                list,
                owner_id,
                limit: request.fetch_limit(),
            })
            .await?
            .unwrap_or_default();
        request.into_page(rows)
    } else {
        comments::page(state(ctx)?.db.reader(), list, owner_id, &request).await?
    };
    let page = page.map(|model| {
        let key = list.key_of(&model);
        (Comment::from(model), key)
    });
    Ok(Connection::new(page, list.list_kind(), total))
}
