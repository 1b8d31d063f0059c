//! Server-rendered pages (the OAuth consent page, the account links of mails): plain HTML
//! that works without JavaScript. Every value from a user, an app or a request is escaped
//! (ammonia's `clean_text`, safe in text and quoted attributes); pages may not be framed,
//! load nothing, and are never cached.

use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};

const STYLE: &str = "body{font-family:system-ui,sans-serif;max-width:32rem;margin:3rem auto;\
padding:0 1rem;color:#222}h1{font-size:1.3rem}ul{padding-left:1.2rem}label{display:block;\
margin:.6rem 0 .2rem}input[type=text],input[type=password]{width:100%;padding:.4rem}\
.error{color:#a00}.actions{margin-top:1.2rem;display:flex;gap:.6rem}button{padding:.5rem 1rem}";

/// `text` escaped for HTML text and quoted attributes.
pub fn escape(text: &str) -> String {
    ammonia::clean_text(text)
}

/// A page titled `title` (escaped here) around `body` (HTML, escaped by the caller).
pub fn page(status: StatusCode, title: &str, body: &str) -> Response {
    let html = format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width\">\
         <title>{} — Paperboard</title><style>{STYLE}</style></head><body>{body}</body></html>",
        escape(title)
    );
    let mut response = (status, Html(html)).into_response();
    protect(response.headers_mut());
    response
}

/// A page with a heading and one message.
pub fn message(status: StatusCode, heading: &str, text: &str) -> Response {
    let body = format!("<h1>{}</h1><p>{}</p>", escape(heading), escape(text));
    page(status, heading, &body)
}

/// The headers every answer of the authorization endpoint carries: no framing
/// (clickjacking), no scripts, no caching, no referrer.
pub fn protect(headers: &mut HeaderMap) {
    headers.insert("x-frame-options", HeaderValue::from_static("DENY"));
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'; base-uri 'none'",
        ),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    headers.insert(
        "x-content-type-options",
        HeaderValue::from_static("nosniff"),
    );
}
