//! GraphQL over HTTP: `POST /graphql` (JSON body), `GET /graphql` (queries only), and
//! GraphiQL for browsers.
//!
//! The stock async-graphql handlers are not used: they read bodies without a limit, run
//! mutations sent by GET or as forms (CSRF), accept batches, ignore `operationName` in a
//! GET, and answer a body without `query` as an empty document.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Instant;

use async_graphql::parser::types::OperationType;

use axum::body::Body;
use axum::extract::{ConnectInfo, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use serde_json::Value as Json;
use tracing::Instrument;

use crate::auth::{Viewer, bearer_token};
use crate::error::{AppError, UNAVAILABLE_RETRY_AFTER};
use crate::graphql::overlay::ViewerOverlay;
use crate::graphql::preflight::{Prepared, Refusal, Transport};
use crate::graphql::shape::ResponseShape;
use crate::graphql::{ClientAddr, UserAgent, guard, loaders};
use crate::persisted_queries;
use crate::rate_limit::Quota;
use crate::services::credentials;
use crate::telemetry::metrics::{self, Outcome};

use super::budget;
use super::caching::{self, Finished, Kept, Policy};
use super::listener::PeerAddr;
use super::response_cache::{Lifetime, ReadKey};
use super::responses::{self, Media};
use super::{HttpState, graphiql, operations, ws};

/// Largest accepted request body.
pub const MAX_BODY_BYTES: usize = 64 * 1024;

/// `POST /graphql`: one operation as `application/json`.
pub async fn graphql_post(
    State(state): State<HttpState>,
    ConnectInfo(PeerAddr(peer)): ConnectInfo<PeerAddr>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let media = Media::negotiate(&headers);
    let request = match read_post(&headers, body, media).await {
        Ok(request) => request,
        Err(refused) => return refused,
    };
    let caller = match Caller::identify(&state, &headers, peer, media).await {
        Ok(caller) => caller,
        Err(refused) => return refused,
    };
    execute(&state, request, Transport::HttpPost, caller, media).await
}

/// The operation of a POST body: one JSON object, within [`MAX_BODY_BYTES`].
pub(super) async fn read_post(
    headers: &HeaderMap,
    body: Body,
    media: Media,
) -> Result<async_graphql::Request, Response> {
    if !is_json(headers) {
        return Err(responses::error(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            AppError::bad_input("Content-Type", "send the operation as application/json"),
            media,
        ));
    }
    let bytes = match axum::body::to_bytes(body, MAX_BODY_BYTES).await {
        Ok(bytes) => bytes,
        Err(error) if is_over_limit(&error) => {
            return Err(responses::error(
                StatusCode::PAYLOAD_TOO_LARGE,
                AppError::bad_input("body", format!("the body exceeds {MAX_BODY_BYTES} bytes")),
                media,
            ));
        }
        Err(_) => {
            return Err(bad_request(
                AppError::bad_input("body", "the body did not arrive in full"),
                media,
            ));
        }
    };
    if bytes.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'[') {
        return Err(bad_request(
            AppError::bad_input("body", "batched operations are not supported: send one"),
            media,
        ));
    }
    let request = match serde_json::from_slice::<Json>(&bytes) {
        Ok(Json::Object(fields)) => post_params(fields),
        _ => Err(AppError::bad_input(
            "body",
            "the body must be a JSON object with `query`, and optionally `operationName`, `variables` and `extensions`",
        )),
    };
    request.map_err(|error| bad_request(error, media))
}

/// The operation of a GET's URL parameters.
pub(super) fn read_get(uri: &axum::http::Uri) -> Result<async_graphql::Request, AppError> {
    get_params(url_params(uri))
}

fn url_params(uri: &axum::http::Uri) -> Vec<(String, String)> {
    let raw_query = uri.query().unwrap_or_default();
    url::form_urlencoded::parse(raw_query.as_bytes())
        .into_owned()
        .collect()
}

/// `GET /graphql`: GraphiQL for a browser, otherwise a query from the URL's parameters.
pub async fn graphql_get(
    State(state): State<HttpState>,
    ConnectInfo(PeerAddr(peer)): ConnectInfo<PeerAddr>,
    request: axum::extract::Request,
) -> Response {
    let (parts, _body) = request.into_parts();
    let headers = &parts.headers;
    if is_websocket_upgrade(headers) {
        let client = ClientAddr(Some(client_ip(&state, headers, peer)));
        return ws::upgrade(state, client, parts).await;
    }
    let params = url_params(&parts.uri);
    if wants_html(headers) && !params.iter().any(|(key, _)| key == "query") {
        return Html(graphiql::PAGE).into_response();
    }
    let media = Media::negotiate(headers);
    let request = match get_params(params) {
        Ok(request) => request,
        Err(error) => return bad_request(error, media),
    };
    let caller = match Caller::identify(&state, headers, peer, media).await {
        Ok(caller) => caller,
        Err(refused) => return refused,
    };
    execute(&state, request, Transport::HttpGet, caller, media).await
}

/// The GraphQL request of a POST body's fields.
fn post_params(
    mut fields: serde_json::Map<String, Json>,
) -> Result<async_graphql::Request, AppError> {
    let query = match fields.remove("query") {
        Some(Json::String(query)) => query,
        // A persisted query names its document instead (checked once resolved).
        None | Some(Json::Null) => String::new(),
        Some(_) => return Err(AppError::bad_input("query", "`query` must be a string")),
    };
    let document_id = match fields.remove("documentId") {
        None | Some(Json::Null) => None,
        Some(Json::String(id)) => Some(id),
        Some(_) => {
            return Err(AppError::bad_input(
                "documentId",
                "`documentId` must be a string",
            ));
        }
    };
    let operation_name = match fields.remove("operationName") {
        None | Some(Json::Null) => None,
        Some(Json::String(name)) => Some(name),
        Some(_) => {
            return Err(AppError::bad_input(
                "operationName",
                "`operationName` must be a string",
            ));
        }
    };
    let variables = json_map(fields.remove("variables"), "variables")?;
    let extensions = json_map(fields.remove("extensions"), "extensions")?;
    Ok(build_request(
        query,
        operation_name,
        variables,
        with_document_id(extensions, document_id),
    ))
}

/// The GraphQL request of a GET's URL parameters (`variables` and `extensions` as JSON).
fn get_params(params: Vec<(String, String)>) -> Result<async_graphql::Request, AppError> {
    let mut query = None;
    let mut operation_name = None;
    let mut variables = None;
    let mut extensions = None;
    let mut document_id = None;
    for (key, value) in params {
        let slot = match key.as_str() {
            "query" => &mut query,
            "operationName" => &mut operation_name,
            "variables" => &mut variables,
            "extensions" => &mut extensions,
            "documentId" => &mut document_id,
            _ => continue,
        };
        if slot.replace(value).is_some() {
            return Err(AppError::bad_input(
                key.clone(),
                format!("`{key}` is given twice"),
            ));
        }
    }
    let query = query.unwrap_or_default();
    let parse_json = |text: Option<String>, field: &str| -> Result<Option<Json>, AppError> {
        text.filter(|text| !text.is_empty())
            .map(|text| {
                serde_json::from_str(&text)
                    .map_err(|_| AppError::bad_input(field, format!("`{field}` must be JSON")))
            })
            .transpose()
    };
    let variables = json_map(parse_json(variables, "variables")?, "variables")?;
    let extensions = json_map(parse_json(extensions, "extensions")?, "extensions")?;
    let operation_name = operation_name.filter(|name| !name.is_empty());
    Ok(build_request(
        query,
        operation_name,
        variables,
        with_document_id(extensions, document_id),
    ))
}

fn missing_query() -> AppError {
    AppError::bad_input("query", "pass the operation as `query`")
}

/// A `documentId` (GraphQL over HTTP's persisted documents) is read as an APQ hash.
fn with_document_id(
    mut extensions: serde_json::Map<String, Json>,
    document_id: Option<String>,
) -> serde_json::Map<String, Json> {
    if let Some(id) = document_id {
        extensions
            .entry(persisted_queries::EXTENSION)
            .or_insert_with(|| serde_json::json!({ "version": 1, "sha256Hash": id }));
    }
    extensions
}

/// A JSON object parameter (`variables`, `extensions`): absent, null or an object.
fn json_map(value: Option<Json>, field: &str) -> Result<serde_json::Map<String, Json>, AppError> {
    match value {
        None | Some(Json::Null) => Ok(serde_json::Map::new()),
        Some(Json::Object(map)) => Ok(map),
        Some(_) => Err(AppError::bad_input(
            field,
            format!("`{field}` must be an object"),
        )),
    }
}

fn build_request(
    query: String,
    operation_name: Option<String>,
    variables: serde_json::Map<String, Json>,
    extensions: serde_json::Map<String, Json>,
) -> async_graphql::Request {
    let mut request = async_graphql::Request::new(query)
        .variables(async_graphql::Variables::from_json(Json::Object(variables)));
    if let Some(name) = operation_name {
        request = request.operation_name(name);
    }
    for (key, value) in extensions {
        if let Ok(value) = async_graphql::Value::from_json(value) {
            request.extensions.insert(key, value);
        }
    }
    request
}

/// Who sent a request: the viewer its bearer token stands for, and its address.
pub(super) struct Caller {
    pub viewer: Viewer,
    pub addr: ClientAddr,
    user_agent: UserAgent,
    /// The entity tags of the answers the caller holds (`If-None-Match`).
    held_tags: Vec<HeaderValue>,
    /// When the credential stops being good for a live stream (`None`: anonymous).
    pub live_until: Option<tokio::time::Instant>,
}

impl Caller {
    /// No `Authorization` header is an anonymous viewer; a header that is present but not a
    /// valid bearer token, or two headers, are refused with 401, never downgraded to
    /// anonymous.
    pub(super) async fn identify(
        state: &HttpState,
        headers: &HeaderMap,
        peer: SocketAddr,
        media: Media,
    ) -> Result<Self, Response> {
        let addr = ClientAddr(Some(client_ip(state, headers, peer)));
        let user_agent = UserAgent(
            headers
                .get(header::USER_AGENT)
                .and_then(|value| value.to_str().ok())
                .map(str::to_owned),
        );
        let held_tags = caching::held_tags(headers);
        let mut values = headers.get_all(header::AUTHORIZATION).iter();
        let Some(header) = values.next() else {
            return Ok(Self {
                viewer: Viewer::Anonymous,
                addr,
                user_agent,
                held_tags,
                live_until: None,
            });
        };
        // Checking a token needs the database: during a known outage, say so at once.
        if state.app.db.is_down() {
            return Err(unavailable(media));
        }
        // Two credentials are ambiguous: refuse rather than pick one.
        let token = header
            .to_str()
            .ok()
            .filter(|_| values.next().is_none())
            .and_then(bearer_token);
        let authenticated = match token {
            Some(token) => authenticated_viewer(state, token).await,
            None => Err(AppError::Unauthenticated(
                "send exactly one Authorization header, `Bearer <token>`",
            )),
        };
        match authenticated {
            Ok(authenticated) => Ok(Self {
                viewer: authenticated.viewer,
                addr,
                user_agent,
                held_tags,
                live_until: Some(operations::live_until(
                    authenticated.expires_at,
                    state.app.config.auth.access_token_seconds,
                )),
            }),
            Err(error @ AppError::Unauthenticated(_)) => Err(unauthorized(error, media)),
            Err(error @ AppError::RateLimited { .. }) => Err(responses::error(
                StatusCode::TOO_MANY_REQUESTS,
                error,
                media,
            )),
            Err(AppError::ServiceUnavailable { .. }) => Err(unavailable(media)),
            Err(error) => Err(responses::error(
                StatusCode::INTERNAL_SERVER_ERROR,
                error,
                media,
            )),
        }
    }
}

/// The viewer a token stands for, within its OAuth app's request budget.
async fn authenticated_viewer(
    state: &HttpState,
    token: &str,
) -> Result<credentials::Authenticated, AppError> {
    let authenticated =
        credentials::authenticate(state.app.services(), &state.app.auth, token).await?;
    if let Some(app) = authenticated.viewer.app() {
        state.app.limits.app_requests.take(app).await?;
    }
    Ok(authenticated)
}

fn unauthorized(error: AppError, media: Media) -> Response {
    let mut response = responses::error(StatusCode::UNAUTHORIZED, error, media);
    response.headers_mut().insert(
        header::WWW_AUTHENTICATE,
        HeaderValue::from_static("Bearer error=\"invalid_token\""),
    );
    response
}

/// 503: the database is known to be unreachable.
fn unavailable(media: Media) -> Response {
    responses::error(
        StatusCode::SERVICE_UNAVAILABLE,
        AppError::ServiceUnavailable {
            retry_after: UNAVAILABLE_RETRY_AFTER,
        },
        media,
    )
}

fn bad_request(error: AppError, media: Media) -> Response {
    responses::error(StatusCode::BAD_REQUEST, error, media)
}

/// The peer address, or the last `X-Forwarded-For` entry when a trusted proxy writes it.
pub(super) fn client_ip(state: &HttpState, headers: &HeaderMap, peer: SocketAddr) -> IpAddr {
    if state.app.auth.trust_forwarded_for
        && let Some(forwarded) = headers
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|value| value.to_str().ok())
            .flat_map(|value| value.split(','))
            .filter_map(|entry| entry.trim().parse::<IpAddr>().ok())
            .next_back()
    {
        return forwarded;
    }
    peer.ip()
}

/// Checks the operation, then runs it for the caller and shapes the answer. An anonymous
/// read of the hot lists is answered from the instance's shared answers when nothing
/// changed since one was computed (see `response_cache`).
async fn execute(
    state: &HttpState,
    request: async_graphql::Request,
    transport: Transport,
    caller: Caller,
    media: Media,
) -> Response {
    let started = Instant::now();
    let mut observed = Observed {
        operation: None,
        name: None,
        outcome: Outcome::Refused,
        quota: None,
    };
    let mut response = answer(state, request, transport, caller, media, &mut observed).await;
    if let Some(quota) = &observed.quota {
        response = budget::report(response, quota).await;
    }
    metrics::request(
        transport,
        observed.operation,
        observed.name.as_deref(),
        observed.outcome,
        Some(started.elapsed()),
    );
    response
}

/// What [`answer`] learnt of a request, for its metrics and budget report.
struct Observed {
    operation: Option<OperationType>,
    name: Option<String>,
    outcome: Outcome,
    /// Where the caller's budget stands after (or for refusing) this request.
    quota: Option<Quota>,
}

/// The answer to a request (see [`execute`]).
async fn answer(
    state: &HttpState,
    mut request: async_graphql::Request,
    transport: Transport,
    caller: Caller,
    media: Media,
    observed: &mut Observed,
) -> Response {
    let registration = match state.app.persisted.resolve(&mut request).await {
        Ok(registration) => registration,
        Err(error) => return persisted_query_refusal(error, media),
    };
    if request.query.is_empty() {
        return bad_request(missing_query(), media);
    }
    // Anonymous callers share answers; signed-in ones share the answers made theirs by
    // an overlay (see `overlay`), under a key of their own.
    let shared_read = match (&caller.viewer, state.answers.is_enabled()) {
        (Viewer::Anonymous, true) => ReadKey::of(&request),
        (Viewer::User { .. }, true) => ReadKey::of(&request).map(ReadKey::for_every_viewer),
        _ => None,
    }
    .and_then(|key| Some((key, state.app.events.version()?)));
    if let Some((key, version)) = &shared_read
        && let Some(finished) = state.answers.get(key, *version)
    {
        if let Some(refused) = charge(state, &caller, finished.cost, observed, media) {
            return refused;
        }
        observed.operation = Some(OperationType::Query);
        observed.name.clone_from(&finished.operation_name);
        return from_shared(state, &finished, (transport, &caller, media), observed).await;
    }
    let prepared = match state.preflight.check(&mut request, transport) {
        Ok(prepared) => prepared,
        Err(Refusal::Invalid(errors)) => return responses::request_errors(errors, media),
        Err(Refusal::WrongTransport(error)) if transport == Transport::HttpGet => {
            let mut response = responses::error(StatusCode::METHOD_NOT_ALLOWED, error, media);
            response
                .headers_mut()
                .insert(header::ALLOW, HeaderValue::from_static("POST"));
            return response;
        }
        Err(Refusal::WrongTransport(error)) => return bad_request(error, media),
    };
    observed.operation = Some(prepared.operation);
    observed.name.clone_from(&prepared.operation_name);
    if let Some(refused) = charge(state, &caller, prepared.cost, observed, media) {
        return refused;
    }
    if prepared.needs_database && state.app.db.is_down() {
        return unavailable(media);
    }

    // A signed-in read that differs from the anonymous one only in comments' viewer fields
    // shares one answer with every viewer, personalised per request (see `overlay`).
    let overlay = match caller.viewer {
        Viewer::User { .. } if prepared.shareable && state.answers.is_enabled() => {
            ViewerOverlay::plan(
                state.preflight.index(),
                &prepared.document,
                prepared.operation_name.as_deref(),
            )
            .map(Arc::new)
        }
        _ => None,
    };
    let mut shared_read = match (&caller.viewer, &overlay) {
        (Viewer::Anonymous, _) | (_, Some(_)) => shared_read.filter(|_| prepared.shareable),
        (_, None) => None,
    };
    // Held until the answer is stored: identical reads wait for it instead of computing.
    let lead = match &shared_read {
        Some((key, _)) => state.answers.take_turn(key).await,
        None => None,
    };
    if lead.is_none()
        && let Some((key, _)) = shared_read.take()
    {
        // Another request computed this read meanwhile: its answer, if it still holds.
        let version = state.app.events.version();
        if let Some(finished) = version.and_then(|version| state.answers.get(&key, version)) {
            return from_shared(state, &finished, (transport, &caller, media), observed).await;
        }
        shared_read = version.map(|version| (key, version));
    }
    let variables = request.variables.clone();
    let operation_name = request.operation_name.clone();
    let taught = registration.map(|registration| (registration, request.query.clone()));
    let mut request = request;
    if let Some(quota) = observed.quota {
        request = request.data(quota);
    }
    let computed_for = match &overlay {
        Some(overlay) => {
            request.set_parsed_query(overlay.document.clone());
            Viewer::Anonymous
        }
        None => caller.viewer,
    };
    let request = request
        .data(computed_for)
        .data(caller.addr)
        .data(caller.user_agent.clone())
        .data(loaders::for_request(&state.app));
    let span = tracing::debug_span!(
        target: "paperboard",
        "graphql",
        otel.name = %format!(
            "{} {}",
            metrics::operation_label(Some(prepared.operation)),
            prepared.operation_name.as_deref().unwrap_or("anonymous")
        ),
        graphql.operation.type = metrics::operation_label(Some(prepared.operation)),
        graphql.operation.name = prepared.operation_name.as_deref().unwrap_or_default(),
    );
    let mut response = guard::execute(&state.schema, request)
        .instrument(span)
        .await;
    // A document is stored once the engine validated it too; failing to store it costs
    // the client one more round trip later, not this answer.
    if let Some((registration, document)) = taught
        && !responses::never_ran(&response)
        && let Err(error) = state.app.persisted.register(registration, &document).await
    {
        tracing::warn!(error = ?error, "storing a persisted query failed");
    }
    ResponseShape {
        index: state.preflight.index(),
        document: overlay
            .as_ref()
            .map_or(&prepared.document, |overlay| &overlay.document),
        operation_name: operation_name.as_deref(),
        variables: &variables,
    }
    .apply(&mut response);
    let max_bytes = state.app.config.limits.max_response_bytes;
    let policy = Policy::of(transport, &caller.viewer, response.cache_control);
    if (shared_read.is_some() || policy.is_public())
        && let Some(body) = responses::shareable_body(&response, max_bytes)
    {
        let mut finished = Finished::new(body, response.cache_control)
            .answering(prepared.operation_name.clone(), prepared.cost);
        if let Some(overlay) = &overlay {
            let data = std::mem::take(&mut response.data);
            match overlay.share(state.preflight.index(), data) {
                Ok(shared) => finished = finished.keeping(shared, Arc::clone(overlay)),
                Err(error) => return responses::error(StatusCode::OK, error, media),
            }
        }
        if let Some((key, version)) = shared_read {
            let current = state.app.events.version();
            let lifetime = lifetime(state, overlay.as_deref(), &prepared);
            state
                .answers
                .put(key, (version, current), lifetime, finished.clone());
        }
        return from_shared(state, &finished, (transport, &caller, media), observed).await;
    }
    if let Some(overlay) = &overlay {
        let index = state.preflight.index();
        let personal = match overlay.share(index, std::mem::take(&mut response.data)) {
            Ok(shared) => {
                overlay
                    .personalise(index, state.app.db.reader(), caller.viewer, &shared)
                    .await
            }
            Err(error) => Err(error),
        }
        .and_then(|json| serde_json::from_slice(&json).map_err(AppError::internal));
        match personal {
            Ok(data) => response.data = data,
            Err(error) => return responses::error(StatusCode::OK, error, media),
        }
    }
    observed.outcome = if responses::never_ran(&response) {
        Outcome::Refused
    } else if response.errors.is_empty() {
        Outcome::Ok
    } else {
        Outcome::Errors
    };
    caching::uncacheable(responses::execution(response, media, max_bytes), policy)
}

/// How long a shared answer to `prepared` may be served while no change is heard.
fn lifetime(state: &HttpState, overlay: Option<&ViewerOverlay>, prepared: &Prepared) -> Lifetime {
    let published_only = match overlay {
        Some(overlay) => overlay.changes_only_when_published,
        // An anonymous read: the same rules, though nothing is filled in for a viewer.
        None => ViewerOverlay::plan(
            state.preflight.index(),
            &prepared.document,
            prepared.operation_name.as_deref(),
        )
        .is_some_and(|plan| plan.changes_only_when_published),
    };
    if published_only {
        Lifetime::UntilChanged
    } else {
        Lifetime::Clock
    }
}

/// Charges `cost` to the caller's budget, noting where it stands; the 429 to send when
/// the budget does not cover it.
fn charge(
    state: &HttpState,
    caller: &Caller,
    cost: u64,
    observed: &mut Observed,
    media: Media,
) -> Option<Response> {
    match budget::charge(state, caller.viewer, caller.addr, cost) {
        Ok(quota) => {
            observed.quota = quota;
            None
        }
        Err((error, quota)) => {
            observed.quota = Some(quota);
            let retry_after = quota.reset_in_seconds(chrono::Utc::now());
            let mut response = responses::error(StatusCode::TOO_MANY_REQUESTS, error, media);
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(retry_after));
            Some(response)
        }
    }
}

/// The shared answer `finished` as `caller`'s: as it is, or made theirs by the overlay it
/// keeps.
async fn from_shared(
    state: &HttpState,
    finished: &Finished,
    (transport, caller, media): (Transport, &Caller, Media),
    observed: &mut Observed,
) -> Response {
    let Some(Kept { shared, overlay }) = &finished.kept else {
        observed.outcome = Outcome::Ok;
        return finished_answer(finished, transport, caller, media);
    };
    observed.outcome = Outcome::Errors;
    let personal = overlay
        .personalise(
            state.preflight.index(),
            state.app.db.reader(),
            caller.viewer,
            shared,
        )
        .await;
    let data = match personal {
        Ok(data) => data,
        Err(error) => return responses::error(StatusCode::OK, error, media),
    };
    let mut body = Vec::with_capacity(data.len() + 9);
    body.extend_from_slice(b"{\"data\":");
    body.extend_from_slice(&data);
    body.push(b'}');
    observed.outcome = Outcome::Ok;
    let policy = Policy::of(transport, &caller.viewer, finished.cache_control);
    if policy == Policy::Private {
        // A viewer's own answer is never revalidated: no entity tag to compute.
        return caching::uncacheable(responses::shared(body.into(), media), policy);
    }
    let personal = Finished::new(body.into(), finished.cache_control)
        .answering(finished.operation_name.clone(), finished.cost);
    finished_answer(&personal, transport, caller, media)
}

/// An answer without errors, with the caching its caller and fields allow.
fn finished_answer(
    finished: &Finished,
    transport: Transport,
    caller: &Caller,
    media: Media,
) -> Response {
    let policy = Policy::of(transport, &caller.viewer, finished.cache_control);
    caching::respond(finished, policy, &caller.held_tags, media)
}

/// A persisted query that cannot run. A hash the server does not know is an ordinary
/// GraphQL answer (200 in `application/json`), which Apollo's clients expect before they
/// send the document; the rest are request errors.
fn persisted_query_refusal(error: AppError, media: Media) -> Response {
    match error {
        AppError::ServiceUnavailable { .. } => unavailable(media),
        AppError::Internal(_) => responses::error(StatusCode::INTERNAL_SERVER_ERROR, error, media),
        error => responses::request_errors(vec![error.into_server_error()], media),
    }
}

/// Whether reading a body failed because it passed the size limit.
fn is_over_limit(error: &axum::Error) -> bool {
    let mut cause: Option<&(dyn std::error::Error + 'static)> = Some(error);
    while let Some(current) = cause {
        if current.is::<http_body_util::LengthLimitError>() {
            return true;
        }
        cause = current.source();
    }
    false
}

fn is_json(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.split(';').next())
        .is_some_and(|essence| essence.trim().eq_ignore_ascii_case("application/json"))
}

fn is_websocket_upgrade(headers: &HeaderMap) -> bool {
    headers
        .get(header::UPGRADE)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| value.eq_ignore_ascii_case("websocket"))
}

fn wants_html(headers: &HeaderMap) -> bool {
    headers
        .get(header::ACCEPT)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|accept| accept.contains("text/html"))
}
