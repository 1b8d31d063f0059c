//! Feeds of the lists a frontend shows, for feed readers: `/feeds/daily.atom`,
//! `/feeds/trending.rss?window=WEEK`, `/feeds/papers.json?author=…&q=…` — Atom 1.0,
//! RSS 2.0 or JSON Feed 1.1 by the extension.
//!
//! `daily` takes `date`; `trending` takes `window` (`DAY`, `WEEK`, `MONTH`, `YEAR`,
//! `ALL`); `papers` takes the `PaperFilter` a frontend uses — `author` (an `Author` id),
//! `submitter` (a username), `category` (repeatable, or `categories` comma-separated),
//! `hasCode` — and `q`, a search query in the `searchPapers` language. Every feed takes
//! `first` (1–100, default 30). A feed is public: `Cache-Control: public, max-age=60`, a
//! strong `ETag` and `Last-Modified`, and 304 to a reader whose copy is current.

mod formats;
mod source;

use axum::extract::{ConnectInfo, Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, FixedOffset, Utc};
use serde_json::{Map, Value as Json};

use crate::error::AppError;
use crate::graphql::ClientAddr;

use super::HttpState;
use super::caching::{held_tags, matches_etag, strong_etag};
use super::graphql::client_ip;
use super::listener::PeerAddr;
use super::responses::{self, Media};

use formats::{FeedDocument, Format};
use source::FeedList;

/// Entries of a feed unless `first` says otherwise.
const DEFAULT_ENTRIES: i32 = 30;
/// Most entries of a feed.
const MAX_ENTRIES: i32 = 100;
/// How long a reader or cache may keep a feed without asking again.
const CACHE_CONTROL: &str = "public, max-age=60";

/// `GET /feeds/{list}.{atom|rss|json}`.
pub async fn feed(
    State(state): State<HttpState>,
    ConnectInfo(PeerAddr(peer)): ConnectInfo<PeerAddr>,
    Path(file): Path<String>,
    headers: HeaderMap,
    uri: Uri,
) -> Response {
    let Some((name, format)) = file
        .rsplit_once('.')
        .and_then(|(name, extension)| Some((name, Format::from_extension(extension)?)))
    else {
        return not_found();
    };
    let params: Vec<(String, String)> =
        url::form_urlencoded::parse(uri.query().unwrap_or_default().as_bytes())
            .into_owned()
            .collect();
    let request = match FeedRequest::parse(name, &params) {
        Ok(Some(request)) => request,
        Ok(None) => return not_found(),
        Err(error) => return bad_request(error),
    };
    let client = ClientAddr(Some(client_ip(&state, &headers, peer)));
    let papers = match request.list.read(&state, client, request.first).await {
        Ok(papers) => papers,
        Err(error) => return refused(error),
    };
    let home_url = state.app.config.platform.base_url();
    let updated = papers
        .iter()
        .map(|paper| paper.updated_at)
        .max()
        .unwrap_or_else(|| Utc::now().fixed_offset());
    let document = FeedDocument {
        title: request.title(),
        self_url: format!("{home_url}{uri}"),
        home_url,
        updated,
        papers,
    };
    let body = document.render(format);
    respond(body, format, updated, &headers)
}

/// A feed and how many entries it holds.
struct FeedRequest {
    list: FeedList,
    first: i32,
    search: Option<String>,
}

impl FeedRequest {
    /// The feed `name` with `params`; `None` for an unknown feed.
    fn parse(name: &str, params: &[(String, String)]) -> Result<Option<Self>, AppError> {
        let single = |key: &str| -> Result<Option<&str>, AppError> {
            let mut values = params
                .iter()
                .filter(|(k, _)| k == key)
                .map(|(_, v)| v.as_str());
            match (values.next(), values.next()) {
                (value, None) => Ok(value.filter(|value| !value.is_empty())),
                (_, Some(_)) => Err(AppError::bad_input(key, format!("`{key}` is given twice"))),
            }
        };
        let first = match single("first")? {
            None => DEFAULT_ENTRIES,
            Some(text) => text
                .parse::<i32>()
                .ok()
                .filter(|first| (1..=MAX_ENTRIES).contains(first))
                .ok_or_else(|| {
                    AppError::bad_input("first", format!("`first` must be 1–{MAX_ENTRIES}"))
                })?,
        };
        let search = single("q")?.map(str::to_owned);
        let list = match name {
            "daily" => FeedList::Daily {
                date: single("date")?.map(str::to_owned),
            },
            "trending" => FeedList::Trending {
                window: single("window")?.unwrap_or("WEEK").to_ascii_uppercase(),
            },
            "papers" => FeedList::Papers {
                filter: paper_filter(
                    params,
                    single("author")?,
                    single("submitter")?,
                    single("hasCode")?,
                )?,
                search: search.clone(),
            },
            _ => return Ok(None),
        };
        Ok(Some(Self {
            list,
            first,
            search,
        }))
    }

    fn title(&self) -> String {
        let list = match &self.list {
            FeedList::Daily { date: Some(date) } => format!("Daily papers of {date}"),
            FeedList::Daily { date: None } => "Daily papers".to_owned(),
            FeedList::Trending { window } => {
                format!("Trending papers ({})", window.to_ascii_lowercase())
            }
            FeedList::Papers { .. } => match &self.search {
                Some(search) => format!("Papers matching “{search}”"),
                None => "New papers".to_owned(),
            },
        };
        format!("{list} · Paperboard")
    }
}

/// The `PaperFilter` of a `papers` feed's parameters.
fn paper_filter(
    params: &[(String, String)],
    author: Option<&str>,
    submitter: Option<&str>,
    has_code: Option<&str>,
) -> Result<Json, AppError> {
    let mut filter = Map::new();
    if let Some(author) = author {
        filter.insert("authorId".to_owned(), Json::from(author));
    }
    if let Some(submitter) = submitter {
        filter.insert("submittedBy".to_owned(), Json::from(submitter));
    }
    if let Some(has_code) = has_code {
        let value = match has_code {
            "true" => true,
            "false" => false,
            _ => {
                return Err(AppError::bad_input(
                    "hasCode",
                    "`hasCode` must be true or false",
                ));
            }
        };
        filter.insert("hasCode".to_owned(), Json::from(value));
    }
    let categories: Vec<Json> = params
        .iter()
        .filter(|(key, _)| key == "category" || key == "categories")
        .flat_map(|(_, value)| value.split(','))
        .map(str::trim)
        .filter(|code| !code.is_empty())
        .map(Json::from)
        .collect();
    if !categories.is_empty() {
        filter.insert("categories".to_owned(), Json::Array(categories));
    }
    Ok(Json::Object(filter))
}

/// The feed, or 304 when the reader's copy is current.
fn respond(
    body: Vec<u8>,
    format: Format,
    updated: DateTime<FixedOffset>,
    request_headers: &HeaderMap,
) -> Response {
    let etag = strong_etag(&body);
    let last_modified = updated
        .with_timezone(&Utc)
        .format("%a, %d %b %Y %H:%M:%S GMT")
        .to_string();
    let held_tags = held_tags(request_headers);
    let current = if held_tags.is_empty() {
        not_modified_since(request_headers, updated)
    } else {
        matches_etag(&held_tags, &etag)
    };
    let mut response = if current {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        (
            [(
                header::CONTENT_TYPE,
                HeaderValue::from_static(format.content_type()),
            )],
            body,
        )
            .into_response()
    };
    let headers = response.headers_mut();
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static(CACHE_CONTROL),
    );
    headers.insert(header::ETAG, etag);
    if let Ok(value) = HeaderValue::from_str(&last_modified) {
        headers.insert(header::LAST_MODIFIED, value);
    }
    response
}

/// Whether `If-Modified-Since` is at or after `updated` (to the second, as HTTP dates go).
fn not_modified_since(headers: &HeaderMap, updated: DateTime<FixedOffset>) -> bool {
    headers
        .get(header::IF_MODIFIED_SINCE)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| DateTime::parse_from_rfc2822(value).ok())
        .is_some_and(|since| since.timestamp() >= updated.timestamp())
}

fn not_found() -> Response {
    responses::error(
        StatusCode::NOT_FOUND,
        AppError::NotFound { resource: "feed" },
        Media::Json,
    )
}

fn bad_request(error: AppError) -> Response {
    responses::error(StatusCode::BAD_REQUEST, error, Media::Json)
}

/// A list that refused its arguments is the reader's mistake (400); anything else is ours.
fn refused(error: async_graphql::ServerError) -> Response {
    let status = match crate::error::code_of(&error).as_deref() {
        Some("BAD_USER_INPUT" | "NOT_FOUND") => StatusCode::BAD_REQUEST,
        Some("SERVICE_UNAVAILABLE") => StatusCode::SERVICE_UNAVAILABLE,
        _ => StatusCode::INTERNAL_SERVER_ERROR,
    };
    responses::server_error(status, error, Media::Json)
}
