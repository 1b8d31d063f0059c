//! Typed access to what the schema and each request carry, without panics.

use async_graphql::Context;
use async_graphql::dataloader::DataLoader;

use crate::auth::Viewer;
use crate::error::AppError;
use crate::state::AppState;

use super::loaders::DbLoader;

/// The application state in schema data.
pub fn state<'a>(ctx: &Context<'a>) -> Result<&'a AppState, AppError> {
    ctx.data::<AppState>()
        .map_err(|_| AppError::internal("AppState missing from schema data"))
}

/// The batching loader in schema data.
pub fn loader<'a>(ctx: &Context<'a>) -> Result<&'a DataLoader<DbLoader>, AppError> {
    ctx.data::<DataLoader<DbLoader>>()
        .map_err(|_| AppError::internal("DataLoader missing from schema data"))
}

/// The viewer of this request; anonymous when the transport attached none.
pub fn viewer(ctx: &Context<'_>) -> Viewer {
    ctx.data_opt::<Viewer>().copied().unwrap_or_default()
}
