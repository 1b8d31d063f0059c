//! `Collection`, `CollectionItem`, and the inputs of the collection mutations.

use std::sync::Arc;

use async_graphql::{Context, Enum, ID, InputObject, Object, SimpleObject};
use entity::collection;

use crate::domain::collection::Visibility;
use crate::graphql::collection_lists::items_of;
use crate::graphql::context::loader;
use crate::graphql::loaders::UserById;
use crate::graphql::types::{GlobalId, NodeKind};
use crate::services::collections::ItemRow;

use super::connection::Connection;
use super::{DateTime, Paper, User, page_cost};

/// Who may read a collection.
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
#[graphql(name = "CollectionVisibility")]
pub enum CollectionVisibilityValue {
    /// Listed on its owner's profile and on its papers.
    Public,
    /// Readable by anyone with its id; listed nowhere.
    Unlisted,
    /// Its owner's only.
    Private,
}

impl From<CollectionVisibilityValue> for Visibility {
    fn from(value: CollectionVisibilityValue) -> Self {
        match value {
            CollectionVisibilityValue::Public => Self::Public,
            CollectionVisibilityValue::Unlisted => Self::Unlisted,
            CollectionVisibilityValue::Private => Self::Private,
        }
    }
}

impl From<Visibility> for CollectionVisibilityValue {
    fn from(value: Visibility) -> Self {
        match value {
            Visibility::Public => Self::Public,
            Visibility::Unlisted => Self::Unlisted,
            Visibility::Private => Self::Private,
        }
    }
}

/// A named list of papers in its owner's order, with notes.
#[derive(Clone)]
pub struct Collection(Arc<collection::Model>);

impl From<collection::Model> for Collection {
    fn from(model: collection::Model) -> Self {
        Self(Arc::new(model))
    }
}

#[Object]
impl Collection {
    /// Opaque global id.
    pub async fn id(&self) -> ID {
        ID(GlobalId::encode(NodeKind::Collection, self.0.id))
    }

    /// Null once the owner's account is deleted (its public collections stay).
    async fn owner(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<User>> {
        let Some(owner_id) = self.0.owner_id else {
            return Ok(None);
        };
        let found = loader(ctx)?.load_one(UserById(owner_id)).await?;
        Ok(found.map(User::from))
    }

    /// 1–100 characters.
    async fn name(&self) -> &str {
        &self.0.name
    }

    /// At most 2,000 characters; empty when none.
    async fn description(&self) -> &str {
        &self.0.description
    }

    async fn visibility(&self) -> CollectionVisibilityValue {
        Visibility::from_stored(&self.0.visibility).into()
    }

    /// Its papers in the owner's order.
    #[graphql(complexity = "page_cost(first, None, child_complexity)")]
    async fn items(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Page size, 1–100 (default 20).")] first: Option<i32>,
        #[graphql(desc = "Cursor to continue after.")] after: Option<String>,
    ) -> async_graphql::Result<Connection<CollectionItem>> {
        items_of(ctx, &self.0, (first, after)).await
    }

    /// How many papers it holds (at most 10,000).
    async fn item_count(&self) -> i32 {
        self.0.item_count
    }

    async fn created_at(&self) -> DateTime {
        DateTime(self.0.created_at)
    }

    /// The last change of its fields or items.
    async fn updated_at(&self) -> DateTime {
        DateTime(self.0.updated_at)
    }
}

/// A paper in a collection.
#[derive(Clone)]
pub struct CollectionItem {
    paper: Paper,
    note: Option<String>,
    added_at: chrono::DateTime<chrono::Utc>,
}

impl From<ItemRow> for CollectionItem {
    fn from(row: ItemRow) -> Self {
        Self {
            paper: Paper::from(row.paper),
            note: row.note,
            added_at: row.added_at,
        }
    }
}

#[Object]
impl CollectionItem {
    async fn paper(&self) -> &Paper {
        &self.paper
    }

    /// The owner's note on the paper.
    async fn note(&self) -> Option<&str> {
        self.note.as_deref()
    }

    async fn added_at(&self) -> DateTime {
        DateTime(self.added_at)
    }
}

/// What `addToCollection` did: the collection as it now is, and the item.
#[derive(SimpleObject)]
pub struct AddToCollectionPayload {
    pub collection: Collection,
    pub item: CollectionItem,
}

/// A new collection.
#[derive(InputObject)]
pub struct CreateCollectionInput {
    /// 1–100 characters on one line.
    pub name: String,
    /// At most 2,000 characters.
    pub description: Option<String>,
    /// `PRIVATE` when omitted.
    pub visibility: Option<CollectionVisibilityValue>,
}

/// Changes to a collection: the fields given change, the others stay.
#[derive(InputObject)]
pub struct UpdateCollectionInput {
    pub name: Option<String>,
    pub description: Option<String>,
    pub visibility: Option<CollectionVisibilityValue>,
}
