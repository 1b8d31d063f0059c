//! The lists upvotes make: a paper's upvoters and a user's upvoted papers, newest upvote
//! first. First pages are batched across parents; later pages are keyset queries.

use async_graphql::Context;

use crate::pagination::PageArgs;
use crate::services::upvotes::{self, UpvoteList};

use super::context::{loader, state};
use super::loaders::{FirstUpvotedBy, FirstUpvotersOf};
use super::types::{Connection, Paper, TotalCount, User};

/// A page of the users who upvoted paper `paper_id`.
pub async fn upvoters_of(
    ctx: &Context<'_>,
    paper_id: i64,
    first: Option<i32>,
    after: Option<String>,
) -> async_graphql::Result<Connection<User>> {
    let list = UpvoteList::UpvotersOf;
    let request =
        PageArgs::forward(first, after).parse(list.list_kind(), &UpvoteList::cursor_shape())?;
    let page = if request.after.is_none() {
        let key = FirstUpvotersOf {
            paper_id,
            limit: request.fetch_limit(),
        };
        request.into_page(loader(ctx)?.load_one(key).await?.unwrap_or_default())
    } else {
        upvotes::upvoters(state(ctx)?.db.reader(), paper_id, &request).await?
    };
    let page = page.map(|upvoted| {
        let key = upvoted.key(upvoted.item.id);
        (User::from(upvoted.item), key)
    });
    Ok(Connection::new(
        page,
        list.list_kind(),
        TotalCount::Upvotes(list, paper_id),
    ))
}

/// A page of the papers user `user_id` upvoted.
pub async fn upvoted_by(
    ctx: &Context<'_>,
    user_id: i64,
    first: Option<i32>,
    after: Option<String>,
) -> async_graphql::Result<Connection<Paper>> {
    let list = UpvoteList::UpvotedBy;
    let request =
        PageArgs::forward(first, after).parse(list.list_kind(), &UpvoteList::cursor_shape())?;
    let page = if request.after.is_none() {
        let key = FirstUpvotedBy {
            user_id,
            limit: request.fetch_limit(),
        };
        request.into_page(loader(ctx)?.load_one(key).await?.unwrap_or_default())
    } else {
        upvotes::upvoted_papers(state(ctx)?.db.reader(), user_id, &request).await?
    };
    let page = page.map(|upvoted| {
        let key = upvoted.key(upvoted.item.id);
        (Paper::from(upvoted.item), key)
    });
    Ok(Connection::new(
        page,
        list.list_kind(),
        TotalCount::Upvotes(list, user_id),
    ))
}
