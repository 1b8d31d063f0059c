//! Collections' lists: a collection's items (first pages batched across collections), a
//! user's collections, the public collections holding a paper, and how many hold each
//! paper of a page.

use std::collections::HashMap;

use async_graphql::Context;
use async_graphql::dataloader::Loader;
use entity::collection;

use crate::pagination::PageArgs;
use crate::services::collections::{
    self, COLLECTIONS_LIST, ITEMS_LIST, ItemRow, collection_key, item_cursor_shape,
};

use super::context::{loader, state, viewer};
use super::loaders::{DbLoader, SharedError, failed, group_by_limit, unique};
use super::prefetch;
use super::types::{Collection, CollectionItem, Connection, TotalCount};

/// The first `limit` items of a collection.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct FirstItemsOf {
    pub collection_id: i64,
    pub limit: u64,
}

/// How many public collections hold a paper.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct PublicCollectionCount(pub i64);

impl Loader<FirstItemsOf> for DbLoader {
    type Value = Vec<ItemRow>;
    type Error = SharedError;

    #[tracing::instrument(target = "paperboard", name = "load FirstItemsOf", level = "debug", skip_all, fields(keys = keys.len()))]
    async fn load(
        &self,
        keys: &[FirstItemsOf],
    ) -> Result<HashMap<FirstItemsOf, Vec<ItemRow>>, SharedError> {
        let groups = group_by_limit(keys.iter().map(|key| (key.limit, key.collection_id)));
        let mut pages = HashMap::with_capacity(keys.len());
        for (limit, ids) in groups {
            let mut found = collections::first_items(self.db.reader(), &ids, limit)
                .await
                .map_err(failed)?;
            for collection_id in ids {
                let key = FirstItemsOf {
                    collection_id,
                    limit,
                };
                pages.insert(key, found.remove(&collection_id).unwrap_or_default());
            }
        }
        Ok(pages)
    }
}

impl Loader<PublicCollectionCount> for DbLoader {
    type Value = i64;
    type Error = SharedError;

    #[tracing::instrument(target = "paperboard", name = "load PublicCollectionCount", level = "debug", skip_all, fields(keys = keys.len()))]
    async fn load(
        &self,
        keys: &[PublicCollectionCount],
    ) -> Result<HashMap<PublicCollectionCount, i64>, SharedError> {
        let ids = unique(keys.iter().map(|key| key.0));
        let counts = collections::public_counts(self.db.reader(), &ids)
            .await
            .map_err(failed)?;
        Ok(ids
            .into_iter()
            .map(|id| {
                let count = counts.get(&id).copied().unwrap_or(0);
                (PublicCollectionCount(id), count)
            })
            .collect())
    }
}

/// A page of `collection`'s items (the caller could read the collection).
pub async fn items_of(
    ctx: &Context<'_>,
    collection: &collection::Model,
    (first, after): (Option<i32>, Option<String>),
) -> async_graphql::Result<Connection<CollectionItem>> {
    let request = PageArgs::forward(first, after).parse(ITEMS_LIST, &item_cursor_shape())?;
    let page = if request.after.is_none() {
        let key = FirstItemsOf {
            collection_id: collection.id,
            limit: request.fetch_limit(),
        };
        request.into_page(loader(ctx)?.load_one(key).await?.unwrap_or_default())
    } else {
        collections::items_page(state(ctx)?.db.reader(), collection.id, &request).await?
    };
    prefetch::collection_items(ctx, &page.items).await?;
    let page = page.map(|row| {
        let key = row.key();
        (CollectionItem::from(row), key)
    });
    let total = TotalCount::Known(i64::from(collection.item_count));
    Ok(Connection::new(page, ITEMS_LIST, total))
}

/// A page of `owner_id`'s collections, newest first: all of them for the owner, the
/// public ones for everyone else.
pub async fn collections_of_user(
    ctx: &Context<'_>,
    owner_id: i64,
    (first, after): (Option<i32>, Option<String>),
) -> async_graphql::Result<Connection<Collection>> {
    let all = viewer(ctx).private_reader() == Some(owner_id);
    let request = PageArgs::forward(first, after).parse(COLLECTIONS_LIST, &[])?;
    let page = collections::of_owner(state(ctx)?.db.reader(), owner_id, all, &request).await?;
    Ok(collection_connection(
        page,
        TotalCount::Collections { owner_id, all },
    ))
}

/// A page of the public collections holding `paper_id`, newest first.
pub async fn collections_holding(
    ctx: &Context<'_>,
    paper_id: i64,
    (first, after): (Option<i32>, Option<String>),
) -> async_graphql::Result<Connection<Collection>> {
    let request = PageArgs::forward(first, after).parse(COLLECTIONS_LIST, &[])?;
    let page = collections::public_holding(state(ctx)?.db.reader(), paper_id, &request).await?;
    Ok(collection_connection(
        page,
        TotalCount::CollectionsHolding(paper_id),
    ))
}

fn collection_connection(
    page: crate::pagination::Page<collection::Model>,
    total: TotalCount,
) -> Connection<Collection> {
    let page = page.map(|model| {
        let key = collection_key(&model);
        (Collection::from(model), key)
    });
    Connection::new(page, COLLECTIONS_LIST, total)
}

/// How many public collections hold `paper_id` (batched across the page).
pub async fn public_collection_count(
    ctx: &Context<'_>,
    paper_id: i64,
) -> async_graphql::Result<i32> {
    let count = loader(ctx)?
        .load_one(PublicCollectionCount(paper_id))
        .await?
        .unwrap_or(0);
    Ok(i32::try_from(count).unwrap_or(i32::MAX))
}
