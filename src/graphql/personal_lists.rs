//! The personal layer's lists: saved papers and the inbox (their owner's only), the
//! authors and users someone follows, and the personal feed.

use async_graphql::Context;
use entity::{author, paper, user};

use crate::auth::Scope;
use crate::error::AppError;
use crate::pagination::{ListKind, PageArgs};
use crate::services::follows::{FOLLOWED_AUTHORS, FOLLOWED_USERS};
use crate::services::links::LinkTable;
use crate::services::saves::SAVED_PAPERS;
use crate::services::{feed, notifications};

use super::context::{state, viewer};
use super::prefetch;
use super::types::{Author, Connection, Notification, Paper, TotalCount, User};

/// `Ok` when the viewer is `owner_id` and their credential grants `scope`: saved papers
/// and notifications are private.
pub fn owner_only(ctx: &Context<'_>, owner_id: i64, scope: PrivateData) -> Result<(), AppError> {
    let viewer = viewer(ctx);
    if viewer.user_id() != Some(owner_id) {
        return Err(AppError::Forbidden("only its owner can see this"));
    }
    match scope {
        PrivateData::Saved => viewer.require_scope(Scope::Read),
        PrivateData::Inbox => viewer.require_inbox_scope(),
    }
}

/// Which private data a field reads, for the scope it needs.
#[derive(Debug, Clone, Copy)]
pub enum PrivateData {
    /// Saved papers (`read`).
    Saved,
    /// Notifications (`notifications` or `read`).
    Inbox,
}

/// A page of the papers `user_id` saved, newest save first (the owner only).
pub async fn saved_papers_of(
    ctx: &Context<'_>,
    user_id: i64,
    (first, after): (Option<i32>, Option<String>),
) -> async_graphql::Result<Connection<Paper>> {
    owner_only(ctx, user_id, PrivateData::Saved)?;
    let request =
        PageArgs::forward(first, after).parse(ListKind::SavedPapers, &LinkTable::cursor_shape())?;
    let page = SAVED_PAPERS
        .page::<paper::Model>(state(ctx)?.db.reader(), user_id, &request)
        .await?;
    let papers: Vec<paper::Model> = page.items.iter().map(|saved| saved.item.clone()).collect();
    prefetch::paper_connection(ctx, &papers).await?;
    let page = page.map(|saved| {
        let key = saved.key(saved.item.id);
        (Paper::from(saved.item), key)
    });
    Ok(Connection::new(
        page,
        ListKind::SavedPapers,
        TotalCount::SavedPapers(user_id),
    ))
}

/// A page of the authors `user_id` follows, newest follow first.
pub async fn followed_authors_of(
    ctx: &Context<'_>,
    user_id: i64,
    (first, after): (Option<i32>, Option<String>),
) -> async_graphql::Result<Connection<Author>> {
    let request = PageArgs::forward(first, after)
        .parse(ListKind::FollowedAuthors, &LinkTable::cursor_shape())?;
    let page = FOLLOWED_AUTHORS
        .page::<author::Model>(state(ctx)?.db.reader(), user_id, &request)
        .await?;
    let page = page.map(|followed| {
        let key = followed.key(followed.item.id);
        (Author::from(followed.item), key)
    });
    Ok(Connection::new(
        page,
        ListKind::FollowedAuthors,
        TotalCount::FollowedAuthors(user_id),
    ))
}

/// A page of the users `user_id` follows, newest follow first.
pub async fn followed_users_of(
    ctx: &Context<'_>,
    user_id: i64,
    (first, after): (Option<i32>, Option<String>),
) -> async_graphql::Result<Connection<User>> {
    let request = PageArgs::forward(first, after)
        .parse(ListKind::FollowedUsers, &LinkTable::cursor_shape())?;
    let page = FOLLOWED_USERS
        .page::<user::Model>(state(ctx)?.db.reader(), user_id, &request)
        .await?;
    let page = page.map(|followed| {
        let key = followed.key(followed.item.id);
        (User::from(followed.item), key)
    });
    Ok(Connection::new(
        page,
        ListKind::FollowedUsers,
        TotalCount::FollowedUsers(user_id),
    ))
}

/// A page of `user_id`'s personal feed.
pub async fn feed_of(
    ctx: &Context<'_>,
    user_id: i64,
    (first, after): (Option<i32>, Option<String>),
) -> async_graphql::Result<Connection<Paper>> {
    let request = PageArgs::forward(first, after).parse(feed::LIST_KIND, &feed::cursor_shape())?;
    let page = feed::page(state(ctx)?.db.reader(), user_id, &request).await?;
    prefetch::paper_connection(ctx, &page.items).await?;
    let page = page.map(|paper| {
        let key = feed::key_of(&paper);
        (Paper::from(paper), key)
    });
    Ok(Connection::new(
        page,
        feed::LIST_KIND,
        TotalCount::Feed(user_id),
    ))
}

/// A page of `user_id`'s notifications, newest first (the owner only).
pub async fn notifications_of(
    ctx: &Context<'_>,
    user_id: i64,
    (first, after): (Option<i32>, Option<String>),
    unread_only: bool,
) -> async_graphql::Result<Connection<Notification>> {
    owner_only(ctx, user_id, PrivateData::Inbox)?;
    let request = PageArgs::forward(first, after)
        .parse(notifications::LIST_KIND, &notifications::cursor_shape())?;
    let db = state(ctx)?.db.reader();
    let page = notifications::page(db, user_id, unread_only, &request).await?;
    prefetch::notifications(ctx, &page.items).await?;
    let page = page.map(|model| {
        let key = notifications::key_of(&model);
        (Notification::from(model), key)
    });
    let total = TotalCount::Notifications {
        user_id,
        unread_only,
    };
    Ok(Connection::new(page, notifications::LIST_KIND, total))
}
