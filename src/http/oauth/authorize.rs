//! `GET /oauth/authorize` shows the sign-in and consent page; `POST /oauth/authorize`
//! takes the user's decision.
//!
//! Until the client and its redirect URI are known good, errors are shown on a page and
//! never sent anywhere: redirecting to an unregistered URI would make this an open
//! redirect. After that, errors go to the redirect URI as RFC 6749 §4.1.2.1 says, with
//! `state` and `iss` (RFC 9207).

use axum::Form;
use axum::extract::{ConnectInfo, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use entity::oauth_app;

use crate::auth::{Scopes, pkce, random_token, same_secret};
use crate::error::AppError;
use crate::http::graphql::client_ip;
use crate::http::{HttpState, PeerAddr};
use crate::services::oauth_grants::{self, Grant};
use crate::services::sign_ins::{self, Origin};
use crate::services::{accounts, oauth_apps, users};

use super::consent_page::{self, Page, Prompt};
use super::cookies;
use super::params::Params;

/// A validated authorization request.
pub struct AuthorizeRequest {
    pub app: oauth_app::Model,
    pub redirect_uri: String,
    pub scopes: Scopes,
    pub state: Option<String>,
    pub code_challenge: String,
}

/// Why a request cannot go on.
enum Refusal {
    /// The client or redirect URI is not to be trusted: shown, never redirected.
    Shown(StatusCode, &'static str),
    /// Sent back to the app's registered redirect URI.
    Redirected {
        redirect_uri: String,
        state: Option<String>,
        error: &'static str,
        description: String,
    },
}

/// Checks an authorization request's parameters.
async fn validate(state: &HttpState, params: &Params) -> Result<AuthorizeRequest, Refusal> {
    let unknown = Refusal::Shown(StatusCode::BAD_REQUEST, "This app is not registered.");
    let client_id = params.get("client_id").ok_or(Refusal::Shown(
        StatusCode::BAD_REQUEST,
        "The request names no app (client_id is missing).",
    ))?;
    let app = oauth_apps::by_client_id(state.app.db.reader(), client_id)
        .await
        .map_err(|_| Refusal::Shown(StatusCode::SERVICE_UNAVAILABLE, "Try again shortly."))?
        .ok_or(unknown)?;
    let registered: Vec<&str> = oauth_apps::redirect_uris(&app).collect();
    let redirect_uri = match (params.get("redirect_uri"), registered.as_slice()) {
        (Some(asked), _) if registered.contains(&asked) => asked.to_owned(),
        (None, [only]) => (*only).to_owned(),
        _ => {
            return Err(Refusal::Shown(
                StatusCode::BAD_REQUEST,
                "The redirect URI is not one this app registered.",
            ));
        }
    };
    let refuse = |error, description: &str| Refusal::Redirected {
        redirect_uri: redirect_uri.clone(),
        state: params.get("state").map(str::to_owned),
        error,
        description: description.to_owned(),
    };
    if params.get("response_type") != Some("code") {
        return Err(refuse(
            "unsupported_response_type",
            "only response_type=code is supported",
        ));
    }
    let Some(code_challenge) = params.get("code_challenge") else {
        return Err(refuse(
            "invalid_request",
            "PKCE is required: send code_challenge",
        ));
    };
    if params.get("code_challenge_method") != Some("S256") {
        return Err(refuse(
            "invalid_request",
            "code_challenge_method must be S256",
        ));
    }
    if !pkce::is_challenge(code_challenge) {
        return Err(refuse(
            "invalid_request",
            "code_challenge is not an S256 challenge",
        ));
    }
    let scopes = Scopes::parse(params.get("scope").unwrap_or_default())
        .map_err(|unknown| refuse("invalid_scope", &unknown.to_string()))?;
    if params.get("state").is_some_and(|value| value.len() > 1_000) {
        return Err(refuse("invalid_request", "state is too long"));
    }
    Ok(AuthorizeRequest {
        redirect_uri: redirect_uri.clone(),
        state: params.get("state").map(str::to_owned),
        app,
        scopes,
        code_challenge: code_challenge.to_owned(),
    })
}

/// `GET /oauth/authorize`.
pub async fn show(
    State(state): State<HttpState>,
    headers: HeaderMap,
    Query(query): Query<Vec<(String, String)>>,
) -> Response {
    let params = match Params::new(query) {
        Ok(params) => params,
        Err(repeated) => return repeated_page(&repeated.0),
    };
    let request = match validate(&state, &params).await {
        Ok(request) => request,
        Err(refusal) => return refused(&state, refusal),
    };
    let user = match signed_in_user(&state, &headers).await {
        Ok(user) => user,
        Err(error) => return unavailable(&error),
    };
    if let Some(user) = &user {
        match oauth_grants::consented(
            state.app.db.reader(),
            user.id,
            request.app.id,
            request.scopes,
        )
        .await
        {
            Ok(true) => return grant(&state, &request, user.id).await,
            Ok(false) => {}
            Err(error) => return unavailable(&error),
        }
    }
    let csrf = cookies::read(&headers, cookies::CSRF)
        .filter(|value| value.len() == 43)
        .map(str::to_owned)
        .or_else(|| random_token(32).ok());
    let Some(csrf) = csrf else {
        return unavailable(&AppError::internal("no randomness"));
    };
    let prompt = Prompt {
        signed_in_as: user.map(|user| user.username),
        error: None,
    };
    let mut response = consent_page::render(&Page {
        request: &request,
        prompt: &prompt,
        csrf: &csrf,
    });
    if let Some(cookie) = cookies::set(cookies::CSRF, &csrf, "Strict", 3600, secure(&state)) {
        response.headers_mut().append(header::SET_COOKIE, cookie);
    }
    response
}

/// `POST /oauth/authorize`: the consent form.
pub async fn decide(
    State(state): State<HttpState>,
    ConnectInfo(PeerAddr(peer)): ConnectInfo<PeerAddr>,
    headers: HeaderMap,
    Form(form): Form<Vec<(String, String)>>,
) -> Response {
    let params = match Params::new(form) {
        Ok(params) => params,
        Err(repeated) => return repeated_page(&repeated.0),
    };
    let request = match validate(&state, &params).await {
        Ok(request) => request,
        Err(refusal) => return refused(&state, refusal),
    };
    // Double-submit: a cross-site form cannot read, nor set, the `SameSite=Strict` cookie.
    let csrf_ok = match (
        cookies::read(&headers, cookies::CSRF),
        params.get("csrf_token"),
    ) {
        (Some(cookie), Some(field)) => same_secret(cookie, field),
        _ => false,
    };
    if !csrf_ok {
        return consent_page::message(
            StatusCode::FORBIDDEN,
            "This form expired or was not sent from this site. Go back to the app and try again.",
        );
    }
    if params.get("decision") != Some("approve") {
        return redirect_error(
            &state,
            &request.redirect_uri,
            request.state.as_deref(),
            "access_denied",
            "the user denied the request",
        );
    }
    let user = match signed_in_user(&state, &headers).await {
        Ok(user) => user,
        Err(error) => return unavailable(&error),
    };
    if let Some(user) = user {
        return grant(&state, &request, user.id).await;
    }
    sign_in_and_grant(&state, &headers, peer, &params, &request).await
}

/// Checks the form's credentials; on success signs the browser in and grants.
async fn sign_in_and_grant(
    state: &HttpState,
    headers: &HeaderMap,
    peer: std::net::SocketAddr,
    params: &Params,
    request: &AuthorizeRequest,
) -> Response {
    let client = client_ip(state, headers, peer);
    let login = params.get("username").unwrap_or_default();
    let password = params.get("password").unwrap_or_default().to_owned();
    let verified = accounts::verify_login(
        state.app.services(),
        &state.app.auth,
        login,
        password,
        Some(client),
    )
    .await;
    let user = match verified {
        Ok(user) => user,
        Err(error @ (AppError::Unauthenticated(_) | AppError::RateLimited { .. })) => {
            let prompt = Prompt {
                signed_in_as: None,
                error: Some(error.to_string()),
            };
            let csrf = params.get("csrf_token").unwrap_or_default();
            let mut response = consent_page::render(&Page {
                request,
                prompt: &prompt,
                csrf,
            });
            *response.status_mut() = StatusCode::UNAUTHORIZED;
            return response;
        }
        Err(error) => return unavailable(&error),
    };
    let origin = Origin {
        user_agent: headers
            .get(header::USER_AGENT)
            .and_then(|value| value.to_str().ok())
            .map(str::to_owned),
        client_address: Some(client.to_string()),
        ..Origin::default()
    };
    let user_id = user.id;
    let browser = match sign_ins::start(state.app.db.writer(), &state.app.auth, user, origin).await
    {
        Ok(tokens) => tokens,
        Err(error) => return unavailable(&error),
    };
    let mut response = grant(state, request, user_id).await;
    let cookie = cookies::set(
        cookies::SIGN_IN,
        &browser.refresh_token,
        "Lax",
        cookies::SIGN_IN_SECONDS,
        secure(state),
    );
    if let Some(cookie) = cookie {
        response.headers_mut().append(header::SET_COOKIE, cookie);
    }
    response
}

/// The user the browser is signed in as on this page, if any.
async fn signed_in_user(
    state: &HttpState,
    headers: &HeaderMap,
) -> Result<Option<entity::user::Model>, AppError> {
    let Some(token) = cookies::read(headers, cookies::SIGN_IN) else {
        return Ok(None);
    };
    let db = state.app.db.reader();
    match sign_ins::browser_user(db, token).await? {
        Some(user_id) => users::by_id(db, user_id).await,
        None => Ok(None),
    }
}

/// Issues a code and sends the browser back to the app with it.
async fn grant(state: &HttpState, request: &AuthorizeRequest, user_id: i64) -> Response {
    let grant = Grant {
        user_id,
        app_id: request.app.id,
        redirect_uri: request.redirect_uri.clone(),
        scopes: request.scopes,
        code_challenge: request.code_challenge.clone(),
    };
    match oauth_grants::authorize(&state.app.db, grant).await {
        Ok(code) => redirect(
            state,
            &request.redirect_uri,
            request.state.as_deref(),
            &[("code", &code)],
        ),
        Err(error) => unavailable(&error),
    }
}

fn refused(state: &HttpState, refusal: Refusal) -> Response {
    match refusal {
        Refusal::Shown(status, message) => consent_page::message(status, message),
        Refusal::Redirected {
            redirect_uri,
            state: app_state,
            error,
            description,
        } => redirect_error(
            state,
            &redirect_uri,
            app_state.as_deref(),
            error,
            &description,
        ),
    }
}

fn redirect_error(
    state: &HttpState,
    redirect_uri: &str,
    app_state: Option<&str>,
    error: &str,
    description: &str,
) -> Response {
    redirect(
        state,
        redirect_uri,
        app_state,
        &[("error", error), ("error_description", description)],
    )
}

/// `303 See Other` to a registered redirect URI with `pairs`, `state` and `iss` added to
/// its query.
fn redirect(
    state: &HttpState,
    redirect_uri: &str,
    app_state: Option<&str>,
    pairs: &[(&str, &str)],
) -> Response {
    let Ok(mut target) = url::Url::parse(redirect_uri) else {
        return consent_page::message(StatusCode::BAD_REQUEST, "The redirect URI is malformed.");
    };
    {
        let mut query = target.query_pairs_mut();
        for (name, value) in pairs {
            query.append_pair(name, value);
        }
        if let Some(app_state) = app_state {
            query.append_pair("state", app_state);
        }
        query.append_pair("iss", &state.app.config.platform.base_url());
    }
    let Ok(location) = HeaderValue::from_str(target.as_str()) else {
        return consent_page::message(StatusCode::BAD_REQUEST, "The redirect URI is malformed.");
    };
    let mut response = StatusCode::SEE_OTHER.into_response();
    response.headers_mut().insert(header::LOCATION, location);
    crate::http::html::protect(response.headers_mut());
    response
}

fn repeated_page(name: &str) -> Response {
    let message = if name.len() > 40 {
        "A parameter is repeated.".to_owned()
    } else {
        format!("The parameter `{name}` is repeated.")
    };
    consent_page::message(StatusCode::BAD_REQUEST, &message)
}

fn unavailable(error: &AppError) -> Response {
    tracing::error!(%error, "authorization page failed");
    consent_page::message(
        StatusCode::SERVICE_UNAVAILABLE,
        "Something went wrong on our side. Try again shortly.",
    )
}

fn secure(state: &HttpState) -> bool {
    state
        .app
        .config
        .platform
        .public_url
        .as_ref()
        .is_some_and(|url| url.scheme() == "https")
}
