//! `POST /oauth/token` (authorization code with PKCE, refresh token) and
//! `POST /oauth/revoke` (RFC 7009).

use axum::Form;
use axum::extract::{ConnectInfo, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use entity::oauth_app;

use crate::auth::Scopes;
use crate::error::AppError;
use crate::http::graphql::client_ip;
use crate::http::{HttpState, PeerAddr};
use crate::services::oauth_grants::{self, Exchange, ExchangeRefused};
use crate::services::sign_ins::{self, Origin, Presenter, RefreshRefused, Tokens};

use super::client_auth;
use super::params::Params;

/// An RFC 6749 §5.2 error.
#[derive(Debug)]
pub struct OAuthError {
    status: StatusCode,
    code: &'static str,
    description: String,
    /// Whether to challenge with `WWW-Authenticate: Basic` (the client tried Basic).
    basic_challenge: bool,
}

impl OAuthError {
    fn new(status: StatusCode, code: &'static str, description: impl Into<String>) -> Self {
        Self {
            status,
            code,
            description: description.into(),
            basic_challenge: false,
        }
    }

    pub fn invalid_request(description: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "invalid_request", description)
    }

    pub fn invalid_client(description: &str, basic_challenge: bool) -> Self {
        Self {
            basic_challenge,
            ..Self::new(StatusCode::UNAUTHORIZED, "invalid_client", description)
        }
    }

    fn invalid_grant(description: &str) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "invalid_grant", description)
    }

    fn invalid_scope(description: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "invalid_scope", description)
    }

    /// A failure of ours: logged, and told as `server_error` (or 429/503 when it is one).
    pub fn server(error: AppError) -> Self {
        match error {
            AppError::RateLimited { .. } => Self::new(
                StatusCode::TOO_MANY_REQUESTS,
                "invalid_request",
                "too many requests; slow down",
            ),
            AppError::ServiceUnavailable { .. } => Self::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "temporarily_unavailable",
                "the service is temporarily unavailable",
            ),
            other => {
                tracing::error!(error = %other, "OAuth endpoint failed");
                Self::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "server_error",
                    "internal server error",
                )
            }
        }
    }
}

impl IntoResponse for OAuthError {
    fn into_response(self) -> Response {
        let body = json!({ "error": self.code, "error_description": self.description });
        let mut response = (self.status, axum::Json(body)).into_response();
        no_store(response.headers_mut());
        if self.basic_challenge {
            response.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Basic realm=\"paperboard\""),
            );
        }
        response
    }
}

/// Token responses are never cached (§5.1).
fn no_store(headers: &mut HeaderMap) {
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
}

/// The form of a request (repeated parameters refused) and its authenticated client, within
/// the per-address throttle.
async fn admitted(
    state: &HttpState,
    headers: &HeaderMap,
    peer: std::net::SocketAddr,
    form: Vec<(String, String)>,
) -> Result<(Params, oauth_app::Model), OAuthError> {
    let client = client_ip(state, headers, peer);
    state
        .app
        .limits
        .token_requests
        .take(client)
        .await
        .map_err(OAuthError::server)?;
    let params = Params::new(form).map_err(|repeated| {
        OAuthError::invalid_request(format!("parameter `{}` is repeated", repeated.0))
    })?;
    let app = client_auth::authenticate(&state.app.db, headers, &params).await?;
    Ok((params, app))
}

/// `POST /oauth/token`.
pub async fn token(
    State(state): State<HttpState>,
    ConnectInfo(PeerAddr(peer)): ConnectInfo<PeerAddr>,
    headers: HeaderMap,
    Form(form): Form<Vec<(String, String)>>,
) -> Result<Response, OAuthError> {
    let (params, app) = admitted(&state, &headers, peer, form).await?;
    let tokens = match params.get("grant_type") {
        Some("authorization_code") => {
            let code = params
                .get("code")
                .ok_or_else(|| OAuthError::invalid_request("`code` is missing"))?;
            let origin = Origin {
                user_agent: headers
                    .get(header::USER_AGENT)
                    .and_then(|value| value.to_str().ok())
                    .map(str::to_owned),
                client_address: Some(client_ip(&state, &headers, peer).to_string()),
                ..Origin::default()
            };
            let exchange = Exchange {
                code,
                redirect_uri: params.get("redirect_uri"),
                code_verifier: params.get("code_verifier"),
                origin,
            };
            oauth_grants::exchange(state.app.services(), &state.app.auth, &app, exchange)
                .await
                .map_err(|refused| match refused {
                    ExchangeRefused::InvalidGrant(why) => OAuthError::invalid_grant(why),
                    ExchangeRefused::Failed(error) => OAuthError::server(error),
                })?
        }
        Some("refresh_token") => {
            let refresh_token = params
                .get("refresh_token")
                .ok_or_else(|| OAuthError::invalid_request("`refresh_token` is missing"))?;
            let narrowed = params
                .get("scope")
                .map(Scopes::parse)
                .transpose()
                .map_err(|unknown| OAuthError::invalid_scope(unknown.to_string()))?;
            let presenter = Presenter::App(app.id);
            sign_ins::rotate(
                state.app.services(),
                &state.app.auth,
                refresh_token,
                presenter,
                narrowed,
            )
            .await
            .map_err(|refused| match refused {
                RefreshRefused::Invalid => {
                    OAuthError::invalid_grant("invalid, expired or revoked refresh token")
                }
                RefreshRefused::ScopeEscalation => OAuthError::invalid_scope(
                    "a refresh may only narrow the scopes originally granted",
                ),
                RefreshRefused::Failed(error) => OAuthError::server(error),
            })?
        }
        Some(other) => {
            return Err(OAuthError::new(
                StatusCode::BAD_REQUEST,
                "unsupported_grant_type",
                format!("grant type `{other}` is not supported"),
            ));
        }
        None => return Err(OAuthError::invalid_request("`grant_type` is missing")),
    };
    Ok(token_response(&tokens))
}

fn token_response(tokens: &Tokens) -> Response {
    let expires_in = (tokens.access.expires_at - chrono::Utc::now())
        .num_seconds()
        .max(0);
    let body = json!({
        "access_token": tokens.access.token,
        "token_type": "Bearer",
        "expires_in": expires_in,
        "refresh_token": tokens.refresh_token,
        "scope": tokens.scopes().to_string(),
    });
    let mut response = axum::Json(body).into_response();
    no_store(response.headers_mut());
    response
}

/// `POST /oauth/revoke`: revokes the sign-in a refresh or access token of this client
/// belongs to. Unknown tokens, and tokens of other clients, are answered 200 all the same
/// (RFC 7009 §2.2).
pub async fn revoke(
    State(state): State<HttpState>,
    ConnectInfo(PeerAddr(peer)): ConnectInfo<PeerAddr>,
    headers: HeaderMap,
    Form(form): Form<Vec<(String, String)>>,
) -> Result<Response, OAuthError> {
    let (params, app) = admitted(&state, &headers, peer, form).await?;
    let token = params
        .get("token")
        .ok_or_else(|| OAuthError::invalid_request("`token` is missing"))?;
    let db = &state.app.db;
    let by_refresh = sign_ins::by_refresh_token(db.writer(), token)
        .await
        .map_err(OAuthError::server)?
        .map(|sign_in| (sign_in.id, sign_in.app_id));
    let by_access = match state.app.auth.keys.verify(token, chrono::Utc::now()) {
        Ok(verified) => match verified.sign_in {
            Some(id) => sign_ins::live(db.writer(), id, verified.user_id)
                .await
                .map_err(OAuthError::server)?
                .map(|sign_in| (sign_in.id, sign_in.app_id)),
            None => None,
        },
        Err(_) => None,
    };
    if let Some((sign_in, _)) = by_refresh
        .or(by_access)
        .filter(|(_, owner)| *owner == Some(app.id))
    {
        sign_ins::revoke(db.writer(), sign_in)
            .await
            .map_err(OAuthError::server)?
            .publish(&state.app.events)
            .await;
    }
    let mut response = StatusCode::OK.into_response();
    no_store(response.headers_mut());
    Ok(response)
}
