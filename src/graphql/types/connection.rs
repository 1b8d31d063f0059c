//! Relay connections: `XConnection { edges nodes pageInfo totalCount }`, `XEdge`, `PageInfo`.
//!
//! Cursors are encoded only when a client selects them, and `totalCount` runs its count
//! query only when selected, so a plain page costs one keyset query.

use std::borrow::Cow;

use async_graphql::{Context, Object, OutputType, TypeName};

use crate::graphql::collection_lists::PublicCollectionCount;
use crate::graphql::context::{loader, state};
use crate::graphql::loaders::{PaperCountOf, UpvoteCountOf};
use crate::pagination::{Keyset, ListKind, Page};
use crate::services::comments::{self, CommentList};
use crate::services::follows::{FOLLOWED_AUTHORS, FOLLOWED_USERS};
use crate::services::moderation;
use crate::services::papers::{PaperListing, PaperOwner};
use crate::services::saves::SAVED_PAPERS;
use crate::services::search::SearchListing;
use crate::services::upvotes::UpvoteList;
use crate::services::{
    authors, categories, collections, feed, notifications, papers, search, users,
};

/// How to learn a connection's total size, run only when `totalCount` is selected.
#[derive(Debug, Clone)]
pub enum TotalCount {
    /// Papers of a listing.
    Papers(Box<PaperListing>),
    /// Papers matching a search.
    Search(Box<SearchListing>),
    /// Papers of an author or submitter (batched across parents).
    PapersOf(PaperOwner, i64),
    /// Authors whose name contains a string.
    Authors(Option<String>),
    /// All users.
    Users,
    /// Categories that have papers.
    Categories,
    /// A paper's upvoters or a user's upvotes (batched across parents).
    Upvotes(UpvoteList, i64),
    /// A paper's top-level comments or a user's comments.
    Comments(CommentList, i64),
    /// A count stored with the parent (a comment's replies).
    Known(i64),
    /// Reports with a status (`OPEN`, `RESOLVED`).
    Reports(&'static str),
    /// The moderation log.
    ModerationLog,
    /// A user's saved papers.
    SavedPapers(i64),
    /// The authors a user follows.
    FollowedAuthors(i64),
    /// The users a user follows.
    FollowedUsers(i64),
    /// A user's personal feed.
    Feed(i64),
    /// A user's notifications, or only the unread ones.
    Notifications { user_id: i64, unread_only: bool },
    /// A user's collections: all of them, or the public ones.
    Collections { owner_id: i64, all: bool },
    /// The public collections holding a paper.
    CollectionsHolding(i64),
}

impl TotalCount {
    async fn resolve(&self, ctx: &Context<'_>) -> async_graphql::Result<i32> {
        let db = state(ctx)?.db.reader();
        let count = match self {
            Self::Papers(listing) => papers::count(db, listing).await?,
            Self::Search(listing) => search::count(db, listing).await?,
            Self::PapersOf(owner, id) => loader(ctx)?
                .load_one(PaperCountOf(*owner, *id))
                .await?
                .unwrap_or(0),
            Self::Authors(name_contains) => authors::count(db, name_contains.as_deref()).await?,
            Self::Users => users::count(db).await?,
            Self::Categories => categories::count(db).await?,
            Self::Upvotes(list, id) => loader(ctx)?
                .load_one(UpvoteCountOf(*list, *id))
                .await?
                .unwrap_or(0),
            Self::Comments(list, id) => {
                i64::try_from(comments::count(db, *list, *id).await?).unwrap_or(i64::MAX)
            }
            Self::Known(count) => *count,
            Self::Reports(status) => {
                i64::try_from(moderation::count_reports(db, status).await?).unwrap_or(i64::MAX)
            }
            Self::ModerationLog => {
                i64::try_from(moderation::count_log(db).await?).unwrap_or(i64::MAX)
            }
            Self::SavedPapers(user_id) => SAVED_PAPERS.count_of(db, *user_id).await?,
            Self::FollowedAuthors(user_id) => FOLLOWED_AUTHORS.count_of(db, *user_id).await?,
            Self::FollowedUsers(user_id) => FOLLOWED_USERS.count_of(db, *user_id).await?,
            Self::Feed(user_id) => feed::count(db, *user_id).await?,
            Self::Notifications {
                user_id,
                unread_only,
            } => i64::try_from(notifications::count(db, *user_id, *unread_only).await?)
                .unwrap_or(i64::MAX),
            Self::Collections { owner_id, all } => {
                i64::try_from(collections::count_of_owner(db, *owner_id, *all).await?)
                    .unwrap_or(i64::MAX)
            }
            Self::CollectionsHolding(paper_id) => loader(ctx)?
                .load_one(PublicCollectionCount(*paper_id))
                .await?
                .unwrap_or(0),
        };
        Ok(i32::try_from(count).unwrap_or(i32::MAX))
    }
}

/// A page of `T` with cursors.
pub struct Connection<T> {
    items: Vec<(T, Keyset)>,
    list: ListKind,
    has_next_page: bool,
    has_previous_page: bool,
    total: TotalCount,
}

impl<T> Connection<T> {
    /// Wraps a page whose items are already paired with their positions in `list`.
    pub fn new(page: Page<(T, Keyset)>, list: ListKind, total: TotalCount) -> Self {
        Self {
            items: page.items,
            list,
            has_next_page: page.has_next_page,
            has_previous_page: page.has_previous_page,
            total,
        }
    }
}

impl<T: OutputType> TypeName for Connection<T> {
    fn type_name() -> Cow<'static, str> {
        format!("{}Connection", T::type_name()).into()
    }
}

/// A page of a list, with Relay cursors.
#[Object(name_type)]
impl<T: OutputType + Clone> Connection<T> {
    /// The items of this page with their cursors.
    async fn edges(&self) -> Vec<Edge<T>> {
        self.items
            .iter()
            .map(|(node, key)| Edge {
                node: node.clone(),
                key: key.clone(),
                list: self.list,
            })
            .collect()
    }

    /// The items of this page, without cursors.
    async fn nodes(&self) -> Vec<T> {
        self.items.iter().map(|(node, _)| node.clone()).collect()
    }

    /// Where this page sits in the list.
    async fn page_info(&self) -> PageInfo {
        PageInfo {
            has_next_page: self.has_next_page,
            has_previous_page: self.has_previous_page,
            start: self.items.first().map(|(_, key)| key.clone()),
            end: self.items.last().map(|(_, key)| key.clone()),
            list: self.list,
        }
    }

    /// The number of items in the whole list (all pages). Costs a count query: select it
    /// only when you show it.
    async fn total_count(&self, ctx: &Context<'_>) -> async_graphql::Result<i32> {
        self.total.resolve(ctx).await
    }
}

/// One item of a page and its cursor.
pub struct Edge<T> {
    node: T,
    key: Keyset,
    list: ListKind,
}

impl<T: OutputType> TypeName for Edge<T> {
    fn type_name() -> Cow<'static, str> {
        format!("{}Edge", T::type_name()).into()
    }
}

/// An item and the cursor to page from it.
#[Object(name_type)]
impl<T: OutputType + Clone> Edge<T> {
    /// Opaque cursor: pass it as `after` or `before`.
    async fn cursor(&self) -> String {
        self.key.encode(self.list)
    }

    /// The item.
    async fn node(&self) -> &T {
        &self.node
    }
}

/// Relay page information.
pub struct PageInfo {
    has_next_page: bool,
    has_previous_page: bool,
    start: Option<Keyset>,
    end: Option<Keyset>,
    list: ListKind,
}

/// Whether more items exist around this page, and the cursors of its ends.
#[Object]
impl PageInfo {
    /// More items follow this page.
    async fn has_next_page(&self) -> bool {
        self.has_next_page
    }

    /// More items precede this page.
    async fn has_previous_page(&self) -> bool {
        self.has_previous_page
    }

    /// Cursor of the first item; null when the page is empty.
    async fn start_cursor(&self) -> Option<String> {
        self.start.as_ref().map(|key| key.encode(self.list))
    }

    /// Cursor of the last item; null when the page is empty.
    async fn end_cursor(&self) -> Option<String> {
        self.end.as_ref().map(|key| key.encode(self.list))
    }
}
