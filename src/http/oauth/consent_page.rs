//! The sign-in and consent page: server-rendered HTML that works without JavaScript (see
//! `http::html` for escaping and the headers every such page carries).

use axum::http::StatusCode;
use axum::response::Response;

use crate::auth::Scope;
use crate::http::html::{escape, page as html_page};

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
        "<h1>Authorize <b>{name}</b> to use your Paperboard account</h1>{description}\
         <p>App homepage: <a href=\"{homepage}\" rel=\"noopener noreferrer\">{homepage}</a></p>\
         <p>It will be able to:</p><ul>{scopes}</ul>{error}\
         <form method=\"post\" action=\"/oauth/authorize\">{hidden}{who}\
         <div class=\"actions\"><button type=\"submit\" name=\"decision\" value=\"approve\">Authorize</button>\
         <button type=\"submit\" name=\"decision\" value=\"deny\" formnovalidate>Deny</button></div>\
         </form><p>You will be sent back to <code>{redirect}</code>.</p>",
        name = escape(&app.name),
        homepage = escape(&app.homepage_url),
        redirect = escape(&request.redirect_uri),
    );
    html_page(StatusCode::OK, &format!("Authorize {}", app.name), &body)
}

/// A page with one message (errors that are not sent back to an app).
pub fn message(status: StatusCode, text: &str) -> Response {
    crate::http::html::message(status, "Authorization failed", text)
}
