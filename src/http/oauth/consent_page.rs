//! The sign-in and consent page: server-rendered HTML that works without JavaScript. Every
//! value from the app or the request is escaped (ammonia's `clean_text`, safe in text and
//! quoted attributes); the page may not be framed and loads nothing.

use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};

use crate::auth::Scope;

use super::authorize::AuthorizeRequest;

/// Who is signing in, and what went wrong last time.
pub struct Prompt {
    pub signed_in_as: Option<String>,
    pub error: Option<String>,
}

/// Everything the page shows.
pub struct Page<'a> {
    pub request: &'a AuthorizeRequest,
    pub prompt: &'a Prompt,
    pub csrf: &'a str,
}

fn escape(text: &str) -> String {
    ammonia::clean_text(text)
}

/// What a scope lets the app do, in words.
fn describe(scope: Scope) -> &'static str {
    match scope {
        Scope::Read => {
            "Read your private data: email address, saved papers, notifications and private collections"
        }
        Scope::Vote => "Upvote papers and comments as you",
        Scope::Submit => "Submit papers as you",
        Scope::Comment => "Write, edit, delete and report comments as you",
        Scope::Collections => "Manage your bookmarks and collections",
        Scope::Follow => "Follow and unfollow authors, users and categories as you",
        Scope::Notifications => "Read your notifications and mark them read",
        Scope::Moderate => "Take moderator actions as you",
    }
}

const STYLE: &str = "body{font-family:system-ui,sans-serif;max-width:32rem;margin:3rem auto;\
padding:0 1rem;color:#222}h1{font-size:1.3rem}ul{padding-left:1.2rem}label{display:block;\
margin:.6rem 0 .2rem}input[type=text],input[type=password]{width:100%;padding:.4rem}\
.error{color:#a00}.actions{margin-top:1.2rem;display:flex;gap:.6rem}button{padding:.5rem 1rem}";

/// The consent page for a request.
pub fn render(page: &Page<'_>) -> Response {
    let request = page.request;
    let app = &request.app;
    let scopes: String = if request.scopes.is_empty() {
        "<li>Only your public profile (no private data, no actions)</li>".to_owned()
    } else {
        request
            .scopes
            .iter()
            .map(|scope| format!("<li><b>{}</b>: {}</li>", scope.as_str(), describe(scope)))
            .collect()
    };
    let hidden: String = [
        ("response_type", Some("code")),
        ("client_id", Some(app.client_id.as_str())),
        ("redirect_uri", Some(request.redirect_uri.as_str())),
        ("scope", Some(&request.scopes.to_string())),
        ("state", request.state.as_deref()),
        ("code_challenge", Some(request.code_challenge.as_str())),
        ("code_challenge_method", Some("S256")),
        ("csrf_token", Some(page.csrf)),
    ]
    .iter()
    .filter_map(|(name, value)| {
        value.map(|value| {
            format!(
                "<input type=\"hidden\" name=\"{name}\" value=\"{}\">",
                escape(value)
            )
        })
    })
    .collect();
    let who = match &page.prompt.signed_in_as {
        Some(username) => format!("<p>Signed in as <b>{}</b>.</p>", escape(username)),
        None => "<label for=\"username\">Username or email</label>\
                 <input type=\"text\" id=\"username\" name=\"username\" autocomplete=\"username\" required>\
                 <label for=\"password\">Password</label>\
                 <input type=\"password\" id=\"password\" name=\"password\" autocomplete=\"current-password\" required>"
            .to_owned(),
    };
    let error = page
        .prompt
        .error
        .as_deref()
        .map(|message| format!("<p class=\"error\" role=\"alert\">{}</p>", escape(message)))
        .unwrap_or_default();
    let description = if app.description.is_empty() {
        String::new()
    } else {
        format!("<p>{}</p>", escape(&app.description))
    };
    let body = format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width\">\
         <title>Authorize {name} — Paperboard</title><style>{STYLE}</style></head><body>\
         <h1>Authorize <b>{name}</b> to use your Paperboard account</h1>{description}\
         <p>App homepage: <a href=\"{homepage}\" rel=\"noopener noreferrer\">{homepage}</a></p>\
         <p>It will be able to:</p><ul>{scopes}</ul>{error}\
         <form method=\"post\" action=\"/oauth/authorize\">{hidden}{who}\
         <div class=\"actions\"><button type=\"submit\" name=\"decision\" value=\"approve\">Authorize</button>\
         <button type=\"submit\" name=\"decision\" value=\"deny\" formnovalidate>Deny</button></div>\
         </form><p>You will be sent back to <code>{redirect}</code>.</p></body></html>",
        name = escape(&app.name),
        homepage = escape(&app.homepage_url),
        redirect = escape(&request.redirect_uri),
    );
    page_response(StatusCode::OK, body)
}

/// A page with one message (errors that are not sent back to an app).
pub fn message(status: StatusCode, text: &'static str) -> Response {
    message_owned(status, text)
}

/// [`message`] for a computed text.
pub fn message_owned(status: StatusCode, text: &str) -> Response {
    let body = format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <title>Paperboard authorization</title><style>{STYLE}</style></head><body>\
         <h1>Authorization failed</h1><p>{}</p></body></html>",
        escape(text)
    );
    page_response(status, body)
}

fn page_response(status: StatusCode, body: String) -> Response {
    let mut response = (status, Html(body)).into_response();
    protect(response.headers_mut());
    response
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
