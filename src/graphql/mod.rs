//! The GraphQL schema: types, resolvers, loaders and limits. Knows nothing of HTTP.

mod context;
pub mod limits;
pub mod loaders;
mod owned_papers;
mod query;
pub mod types;

use async_graphql::dataloader::DataLoader;
use async_graphql::{EmptyMutation, EmptySubscription, Schema, SDLExportOptions};

use crate::config::GraphqlLimits;
use crate::state::AppState;

pub use query::QueryRoot;

/// The served schema.
pub type AppSchema = Schema<QueryRoot, EmptyMutation, EmptySubscription>;

/// Most directives on one field.
const MAX_DIRECTIVES: usize = 8;
/// Deepest recursion the engine may use on a parsed document.
const MAX_RECURSIVE_DEPTH: usize = 32;

/// Builds the schema with its limits, loaders and application state.
pub fn build_schema(state: AppState, limits: &GraphqlLimits) -> AppSchema {
    let loader = DataLoader::new(loaders::DbLoader::new(state.db.clone()), tokio::spawn);
    schema_builder()
        .data(state)
        .data(loader)
        .extension(limits::OperationLimits {
            max_fields: limits.max_fields,
        })
        .limit_depth(limits.max_depth)
        .limit_complexity(limits.max_complexity)
        .limit_recursive_depth(MAX_RECURSIVE_DEPTH)
        .limit_directives(MAX_DIRECTIVES)
        .finish()
}

fn schema_builder() -> async_graphql::SchemaBuilder<QueryRoot, EmptyMutation, EmptySubscription> {
    Schema::build(QueryRoot, EmptyMutation, EmptySubscription)
}

/// The schema in SDL, with sorted fields, arguments and enum values: `schema.graphql`.
pub fn export_sdl() -> String {
    schema_builder().finish().sdl_with_options(
        SDLExportOptions::new()
            .sorted_fields()
            .sorted_arguments()
            .sorted_enum_items(),
    )
}
