//! The collection mutations. Only a collection's owner changes it; someone else's private
//! collection is `NOT_FOUND`, as if it did not exist.

use async_graphql::{Context, ID, Object};

use crate::auth::{Role, RoleGuard, Scope};
use crate::domain::collection;
use crate::error::AppError;
use crate::graphql::types::{GlobalId, NodeKind};
use crate::services::collections::{self, CollectionFields};

use super::context::state;
use super::mutation::signed_in_user;
use super::types::{
    AddToCollectionPayload, Collection, CollectionItem, CreateCollectionInput,
    UpdateCollectionInput,
};

/// Entry points of collections.
#[derive(Default)]
pub struct CollectionMutation;

#[Object]
impl CollectionMutation {
    /// Creates a collection (at most 1,000 a user), private unless `visibility` says
    /// otherwise.
    #[graphql(guard = "RoleGuard(Role::User, Scope::Collections)")]
    async fn create_collection(
        &self,
        ctx: &Context<'_>,
        input: CreateCollectionInput,
    ) -> async_graphql::Result<Collection> {
        let owner = signed_in_user(ctx)?;
        let name = checked(collection::name(&input.name), "input.name")?;
        let fields = CollectionFields {
            name: None,
            description: input
                .description
                .map(|text| checked(collection::description(&text), "input.description"))
                .transpose()?,
            visibility: input.visibility.map(Into::into),
        };
        let created = collections::create(state(ctx)?.services(), owner, name, fields).await?;
        Ok(Collection::from(created))
    }

    /// Changes the given fields of one of the viewer's collections.
    #[graphql(guard = "RoleGuard(Role::User, Scope::Collections)")]
    async fn update_collection(
        &self,
        ctx: &Context<'_>,
        id: ID,
        input: UpdateCollectionInput,
    ) -> async_graphql::Result<Collection> {
        let viewer = signed_in_user(ctx)?;
        let collection_id = GlobalId::decode_as(&id, NodeKind::Collection, "id")?;
        let fields = CollectionFields {
            name: input
                .name
                .map(|name| checked(collection::name(&name), "input.name"))
                .transpose()?,
            description: input
                .description
                .map(|text| checked(collection::description(&text), "input.description"))
                .transpose()?,
            visibility: input.visibility.map(Into::into),
        };
        let services = state(ctx)?.services();
        let updated = collections::update(services, viewer, collection_id, fields).await?;
        Ok(Collection::from(updated))
    }

    /// Deletes one of the viewer's collections; returns its id.
    #[graphql(guard = "RoleGuard(Role::User, Scope::Collections)")]
    async fn delete_collection(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<ID> {
        let viewer = signed_in_user(ctx)?;
        let collection_id = GlobalId::decode_as(&id, NodeKind::Collection, "id")?;
        collections::delete(state(ctx)?.services(), viewer, collection_id).await?;
        Ok(id)
    }

    /// Adds a paper at the end of one of the viewer's collections (at most 10,000 papers),
    /// with an optional note (at most 2,000 characters). A paper already there keeps its
    /// place and takes the new note, when one is given.
    #[graphql(guard = "RoleGuard(Role::User, Scope::Collections)")]
    async fn add_to_collection(
        &self,
        ctx: &Context<'_>,
        collection_id: ID,
        paper_id: ID,
        note: Option<String>,
    ) -> async_graphql::Result<AddToCollectionPayload> {
        let viewer = signed_in_user(ctx)?;
        let ids = item_ids(&collection_id, &paper_id)?;
        let note = match note {
            Some(note) => checked(collection::note(&note), "note")?,
            None => None,
        };
        let services = state(ctx)?.services();
        let (collection, item) = collections::add(services, viewer, ids, note).await?;
        Ok(AddToCollectionPayload {
            collection: Collection::from(collection),
            item: CollectionItem::from(item),
        })
    }

    /// Removes a paper from one of the viewer's collections (removing an absent one
    /// changes nothing).
    #[graphql(guard = "RoleGuard(Role::User, Scope::Collections)")]
    async fn remove_from_collection(
        &self,
        ctx: &Context<'_>,
        collection_id: ID,
        paper_id: ID,
    ) -> async_graphql::Result<Collection> {
        let viewer = signed_in_user(ctx)?;
        let ids = item_ids(&collection_id, &paper_id)?;
        let collection = collections::remove(state(ctx)?.services(), viewer, ids).await?;
        Ok(Collection::from(collection))
    }

    /// Moves a paper of one of the viewer's collections right after `afterPaperId`, or to
    /// the front when it is omitted. Only the moved item is rewritten.
    #[graphql(guard = "RoleGuard(Role::User, Scope::Collections)")]
    async fn move_in_collection(
        &self,
        ctx: &Context<'_>,
        collection_id: ID,
        paper_id: ID,
        after_paper_id: Option<ID>,
    ) -> async_graphql::Result<Collection> {
        let viewer = signed_in_user(ctx)?;
        let ids = item_ids(&collection_id, &paper_id)?;
        let after = after_paper_id
            .map(|id| GlobalId::decode_as(&id, NodeKind::Paper, "afterPaperId"))
            .transpose()?;
        let services = state(ctx)?.services();
        let collection = collections::move_item(services, viewer, ids, after).await?;
        Ok(Collection::from(collection))
    }
}

fn checked<T>(result: Result<T, String>, field: &str) -> Result<T, AppError> {
    result.map_err(|message| AppError::bad_input(field, message))
}

fn item_ids(collection_id: &ID, paper_id: &ID) -> Result<(i64, i64), AppError> {
    Ok((
        GlobalId::decode_as(collection_id, NodeKind::Collection, "collectionId")?,
        GlobalId::decode_as(paper_id, NodeKind::Paper, "paperId")?,
    ))
}
