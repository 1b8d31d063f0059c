//! The GraphQL schema: types, resolvers, loaders and limits. Knows nothing of HTTP.

mod account_mutation;
mod collection_lists;
mod collection_mutation;
mod comment_lists;
mod comment_loaders;
mod comment_mutation;
mod context;
pub mod guard;
pub mod live;
pub mod loaders;
mod moderation_api;
mod mutation;
pub mod overlay;
mod owned_papers;
mod personal_lists;
mod personal_loaders;
mod personal_mutation;
mod personal_query;
mod platform_mutation;
mod prefetch;
pub mod preflight;
mod query;
mod search_results;
pub mod shape;
mod subscription;
pub mod types;
mod upvote_lists;

use async_graphql::{SDLExportOptions, Schema};

use crate::config::GraphqlLimits;
use crate::state::AppState;

use preflight::schema_index::IndexError;
use preflight::{Preflight, SchemaIndex};

pub use mutation::{ClientAddr, MutationRoot, UserAgent};
pub use query::QueryRoot;
pub use subscription::SubscriptionRoot;

/// The served schema.
pub type AppSchema = Schema<QueryRoot, MutationRoot, SubscriptionRoot>;

/// Most directives on one field.
const MAX_DIRECTIVES: usize = 8;
/// Deepest recursion the engine may use on a parsed document.
const MAX_RECURSIVE_DEPTH: usize = 32;

/// Builds the schema with its limits, the application state and the live events its
/// subscriptions follow. Each request must carry a [`Viewer`](crate::auth::Viewer) and a
/// [`loaders::for_request`] loader.
pub fn build_schema(
    state: AppState,
    limits: &GraphqlLimits,
    live: std::sync::Arc<live::LiveEvents>,
) -> AppSchema {
    schema_builder()
        .data(state)
        .data(live)
        .limit_depth(limits.max_depth)
        .limit_complexity(limits.max_complexity)
        .limit_recursive_depth(MAX_RECURSIVE_DEPTH)
        .limit_directives(MAX_DIRECTIVES)
        .finish()
}

fn schema_builder() -> async_graphql::SchemaBuilder<QueryRoot, MutationRoot, SubscriptionRoot> {
    Schema::build(
        QueryRoot::default(),
        MutationRoot::default(),
        SubscriptionRoot,
    )
}

/// The checks run before every operation, within `limits`.
///
/// # Errors
/// The schema could not be indexed (a bug).
pub async fn preflight(limits: &GraphqlLimits) -> Result<Preflight, IndexError> {
    // Indexed from a schema without limits: the full introspection exceeds small ones.
    let index = SchemaIndex::of(&schema_builder().finish()).await?;
    Ok(Preflight::new(
        index,
        limits.clone(),
        types::custom_scalar_checks(),
    ))
}

/// The schema in SDL, with sorted fields, arguments and enum values: `schema.graphql`.
pub fn export_sdl() -> String {
    schema_builder().finish().sdl_with_options(
        SDLExportOptions::new()
            .sorted_fields()
            .sorted_arguments()
            .sorted_enum_items()
            .include_specified_by(),
    )
}
