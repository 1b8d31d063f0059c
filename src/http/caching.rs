//! HTTP caching of GraphQL answers.
//!
//! Only an anonymous `GET` whose answer has no errors is cacheable by others: it answers
//! `Cache-Control: public, max-age=N`, N the smallest age of the fields it selects (set
//! on the root fields with async-graphql's `cache_control`: lookups 60 s, lists 10 s), a
//! strong `ETag` (the SHA-256 of the body), and 304 to a matching `If-None-Match`. A root
//! field that depends on the viewer is `private`; every answer to a signed-in request or
//! a `POST`, and every answer with errors, is `private, no-store` / `no-store` (set by a
//! layer on the route when nothing else was). `Vary: Accept, Authorization` keeps shared
//! caches from handing an anonymous answer to a signed-in request.

use std::sync::Arc;

use async_graphql::CacheControl;
use axum::body::Bytes;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use crate::auth::Viewer;
use crate::digest::sha256_base64url;
use crate::graphql::overlay::{SharedAnswer, ViewerOverlay};
use crate::graphql::preflight::Transport;

use super::responses::{self, Media};

/// `Cache-Control` of an answer no one may store.
pub const NO_STORE: HeaderValue = HeaderValue::from_static("no-store");
/// `Cache-Control` of an answer for the signed-in viewer only.
const PRIVATE: HeaderValue = HeaderValue::from_static("private, no-store");
/// What a shared cache must key a public answer on besides the URL.
const VARY: HeaderValue = HeaderValue::from_static("Accept, Authorization");

/// A finished answer without errors, as served and as kept by the response cache.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finished {
    /// The serialised `{"data": …}`.
    pub body: Bytes,
    /// The freshness its fields allow.
    pub cache_control: CacheControl,
    /// Its strong entity tag.
    pub etag: HeaderValue,
    /// The name of the operation it answers, for the metrics of the requests it serves.
    pub operation_name: Option<String>,
    /// What the operation costs, charged to every request it serves.
    pub cost: u64,
    /// What each viewer's answer is made from, for an answer shared by signed-in viewers.
    pub kept: Option<Kept>,
}

/// A shared answer ready for each viewer and the overlay that makes it theirs (see
/// `graphql::overlay`): kept so that a repeated read needs neither to be computed again.
#[derive(Debug, Clone)]
pub struct Kept {
    pub shared: Arc<SharedAnswer>,
    pub overlay: Arc<ViewerOverlay>,
}

impl PartialEq for Kept {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.shared, &other.shared) && Arc::ptr_eq(&self.overlay, &other.overlay)
    }
}

impl Eq for Kept {}

impl Finished {
    pub fn new(body: Bytes, cache_control: CacheControl) -> Self {
        let etag = strong_etag(&body);
        Self {
            body,
            cache_control,
            etag,
            operation_name: None,
            cost: 1,
            kept: None,
        }
    }

    /// The answer, keeping `shared` to be personalised by `overlay`.
    #[must_use]
    pub fn keeping(mut self, shared: SharedAnswer, overlay: Arc<ViewerOverlay>) -> Self {
        self.kept = Some(Kept {
            shared: Arc::new(shared),
            overlay,
        });
        self
    }

    /// The answer, as answering operation `name` of cost `cost`.
    #[must_use]
    pub fn answering(mut self, name: Option<String>, cost: u64) -> Self {
        self.operation_name = name;
        self.cost = cost;
        self
    }
}

/// The strong entity tag of `body`: its SHA-256, quoted.
pub fn strong_etag(body: &[u8]) -> HeaderValue {
    let tag = format!("\"{}\"", sha256_base64url(body));
    // Base64url and quotes are always a valid header value.
    HeaderValue::from_str(&tag).unwrap_or(HeaderValue::from_static("\"\""))
}

/// The entity tags a request says its sender holds (`If-None-Match`).
pub fn held_tags(headers: &HeaderMap) -> Vec<HeaderValue> {
    headers
        .get_all(header::IF_NONE_MATCH)
        .iter()
        .cloned()
        .collect()
}

/// How an answer of `transport` for `viewer` may be cached.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Policy {
    /// Anonymous `GET`: shared caches may keep it (for `max_age` seconds, 0: revalidate).
    Public { max_age: i32 },
    /// Depends on who asks: only the viewer's own agent may see it, and not keep it.
    Private,
    /// Never kept (a `POST`).
    NoStore,
}

impl Policy {
    /// The policy of an answer whose fields allow `control`.
    pub fn of(transport: Transport, viewer: &Viewer, control: CacheControl) -> Self {
        if !matches!(viewer, Viewer::Anonymous) || !control.public {
            return Self::Private;
        }
        match transport {
            Transport::HttpGet => Self::Public {
                max_age: control.max_age.max(0),
            },
            _ => Self::NoStore,
        }
    }

    /// Whether shared caches may keep the answer.
    pub fn is_public(self) -> bool {
        matches!(self, Self::Public { .. })
    }

    fn header(self) -> HeaderValue {
        match self {
            Self::Public { max_age: 0 } => HeaderValue::from_static("public, no-cache"),
            Self::Public { max_age } => {
                HeaderValue::from_str(&format!("public, max-age={max_age}")).unwrap_or(NO_STORE)
            }
            Self::Private => PRIVATE,
            Self::NoStore => NO_STORE,
        }
    }
}

/// A 200 answer of `finished` under `policy`, or 304 when the client's copy
/// (`If-None-Match`) is current.
pub fn respond(
    finished: &Finished,
    policy: Policy,
    held_tags: &[HeaderValue],
    media: Media,
) -> Response {
    let mut response = if policy.is_public() && matches_etag(held_tags, &finished.etag) {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        responses::shared(finished.body.clone(), media)
    };
    let headers = response.headers_mut();
    headers.insert(header::CACHE_CONTROL, policy.header());
    if policy.is_public() {
        headers.insert(header::ETAG, finished.etag.clone());
        headers.insert(header::VARY, VARY);
    }
    response
}

/// Marks an answer that is not [`Finished`] (it has errors) as never kept; a viewer's
/// own answer is also private.
pub fn uncacheable(mut response: Response, policy: Policy) -> Response {
    let value = if policy == Policy::Private {
        PRIVATE
    } else {
        NO_STORE
    };
    response.headers_mut().insert(header::CACHE_CONTROL, value);
    response
}

/// Whether the `If-None-Match` values name `etag` (or are `*`), compared weakly as
/// RFC 9110 asks.
pub(super) fn matches_etag(held_tags: &[HeaderValue], etag: &HeaderValue) -> bool {
    let ours = etag.as_bytes();
    held_tags
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .map(str::trim)
        .any(|tag| tag == "*" || tag.strip_prefix("W/").unwrap_or(tag).as_bytes() == ours)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_anonymous_gets_are_public() {
        let control = CacheControl {
            public: true,
            max_age: 10,
        };
        assert_eq!(
            Policy::of(Transport::HttpGet, &Viewer::Anonymous, control),
            Policy::Public { max_age: 10 }
        );
        assert_eq!(
            Policy::of(Transport::HttpPost, &Viewer::Anonymous, control),
            Policy::NoStore
        );
        let private = CacheControl {
            public: false,
            max_age: 10,
        };
        assert_eq!(
            Policy::of(Transport::HttpGet, &Viewer::Anonymous, private),
            Policy::Private
        );
    }

    #[test]
    fn a_matching_tag_is_not_modified() {
        let finished = Finished::new(
            Bytes::from_static(b"{\"data\":{}}"),
            CacheControl::default(),
        );
        let policy = Policy::Public { max_age: 10 };
        let tag = finished.etag.to_str().unwrap_or_default().to_owned();
        let held = [HeaderValue::from_str(&format!("\"other\", W/{tag}")).unwrap_or(NO_STORE)];
        let response = respond(&finished, policy, &held, Media::Json);
        assert_eq!(response.status(), StatusCode::NOT_MODIFIED);
        assert_eq!(response.headers().get(header::ETAG), Some(&finished.etag));
        let fresh = respond(
            &finished,
            policy,
            &[HeaderValue::from_static("\"other\"")],
            Media::Json,
        );
        assert_eq!(fresh.status(), StatusCode::OK);
        assert_eq!(
            fresh.headers().get(header::CACHE_CONTROL),
            Some(&HeaderValue::from_static("public, max-age=10"))
        );
    }
}
