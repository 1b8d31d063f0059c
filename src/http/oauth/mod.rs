//! The OAuth 2 authorization server (RFC 6749 with OAuth 2.1's rules): the authorization
//! code grant with PKCE `S256` for every client, exact redirect URIs, rotated refresh
//! tokens, revocation (RFC 7009) and metadata (RFC 8414).

mod authorize;
mod client_auth;
mod consent_page;
mod cookies;
mod metadata;
mod params;
mod token;

use axum::Router;
use axum::routing::{get, post};

use super::HttpState;

/// The OAuth endpoints.
pub fn routes() -> Router<HttpState> {
    Router::new()
        .route(
            "/oauth/authorize",
            get(authorize::show).post(authorize::decide),
        )
        .route("/oauth/token", post(token::token))
        .route("/oauth/revoke", post(token::revoke))
        .route(
            "/.well-known/oauth-authorization-server",
            get(metadata::metadata),
        )
}
