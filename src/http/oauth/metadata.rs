//! RFC 8414 authorization server metadata.

use axum::Json;
use axum::extract::State;
use serde_json::{Value, json};

use crate::auth::Scope;
use crate::http::HttpState;

/// `GET /.well-known/oauth-authorization-server`.
pub async fn metadata(State(state): State<HttpState>) -> Json<Value> {
    let issuer = state.app.config.platform.base_url();
    let scopes: Vec<&str> = Scope::ALL.iter().map(|scope| scope.as_str()).collect();
    Json(json!({
        "issuer": issuer,
        "authorization_endpoint": format!("{issuer}/oauth/authorize"),
        "token_endpoint": format!("{issuer}/oauth/token"),
        "revocation_endpoint": format!("{issuer}/oauth/revoke"),
        "scopes_supported": scopes,
        "response_types_supported": ["code"],
        "response_modes_supported": ["query"],
        "grant_types_supported": ["authorization_code", "refresh_token"],
        "code_challenge_methods_supported": ["S256"],
        "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post", "none"],
        "revocation_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post", "none"],
        "authorization_response_iss_parameter_supported": true,
        "service_documentation": format!("{issuer}/graphql"),
    }))
}
