//! Typed access to what the schema and each request carry, without panics.

use async_graphql::Context;

use crate::auth::Viewer;
use crate::error::AppError;
use crate::state::AppState;

use super::loaders::RequestLoader;

/// The application state in schema data.
pub fn state<'a>(ctx: &Context<'a>) -> Result<&'a AppState, AppError> {
    ctx.data::<AppState>()
        .map_err(|_| AppError::internal("AppState missing from schema data"))
}

/// The request's batching loader (attached by the transport with the viewer).
pub fn loader<'a>(ctx: &Context<'a>) -> Result<&'a RequestLoader, AppError> {
    ctx.data::<RequestLoader>()
        .map_err(|_| AppError::internal("DataLoader missing from request data"))
}

/// The viewer of this request; anonymous when the transport attached none.
pub fn viewer(ctx: &Context<'_>) -> Viewer {
    ctx.data_opt::<Viewer>().copied().unwrap_or_default()
}
