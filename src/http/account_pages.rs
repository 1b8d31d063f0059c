//! The pages mailed links open: choosing a new password, and confirming an email address.
//! Both only show a form on `GET` (mail scanners that prefetch links consume nothing); the
//! `POST` redeems the token, which is itself the proof: no other credential is needed.

use axum::Form;
use axum::Router;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use serde::Deserialize;

use crate::error::AppError;
use crate::services::{email_verification, passwords};

use super::HttpState;
use super::html::{escape, message, page};

/// The account pages' routes.
pub fn routes() -> Router<HttpState> {
    Router::new()
        .route(
            "/account/reset-password",
            get(reset_form).post(reset_password),
        )
        .route("/account/verify-email", get(verify_form).post(verify_email))
}

#[derive(Deserialize)]
pub struct TokenQuery {
    #[serde(default)]
    token: String,
}

#[derive(Deserialize)]
pub struct ResetForm {
    #[serde(default)]
    token: String,
    #[serde(default)]
    new_password: String,
}

fn reset_page(status: StatusCode, token: &str, error: Option<&str>) -> Response {
    let error = error
        .map(|text| format!("<p class=\"error\" role=\"alert\">{}</p>", escape(text)))
        .unwrap_or_default();
    let body = format!(
        "<h1>Choose a new password</h1>{error}\
         <form method=\"post\" action=\"/account/reset-password\">\
         <input type=\"hidden\" name=\"token\" value=\"{}\">\
         <label for=\"new_password\">New password (at least 12 characters)</label>\
         <input type=\"password\" id=\"new_password\" name=\"new_password\" autocomplete=\"new-password\" required>\
         <div class=\"actions\"><button type=\"submit\">Set the password</button></div></form>",
        escape(token)
    );
    page(status, "Choose a new password", &body)
}

async fn reset_form(Query(query): Query<TokenQuery>) -> Response {
    reset_page(StatusCode::OK, &query.token, None)
}

async fn reset_password(State(state): State<HttpState>, Form(form): Form<ResetForm>) -> Response {
    let outcome = passwords::reset(
        state.app.services(),
        &state.app.auth,
        &form.token,
        form.new_password,
    )
    .await;
    match outcome {
        Ok(()) => message(
            StatusCode::OK,
            "Password changed",
            "Your password was changed and every session signed out. Sign in with the new password.",
        ),
        Err(AppError::BadInput {
            field,
            message: text,
        }) if field == "newPassword" => {
            reset_page(StatusCode::BAD_REQUEST, &form.token, Some(&text))
        }
        Err(AppError::BadInput { message: text, .. }) => {
            message(StatusCode::BAD_REQUEST, "Link not valid", &text)
        }
        Err(error) => failed(&error),
    }
}

async fn verify_form(Query(query): Query<TokenQuery>) -> Response {
    let body = format!(
        "<h1>Confirm your email address</h1>\
         <form method=\"post\" action=\"/account/verify-email\">\
         <input type=\"hidden\" name=\"token\" value=\"{}\">\
         <div class=\"actions\"><button type=\"submit\">Confirm</button></div></form>",
        escape(&query.token)
    );
    page(StatusCode::OK, "Confirm your email address", &body)
}

async fn verify_email(State(state): State<HttpState>, Form(form): Form<TokenQuery>) -> Response {
    match email_verification::verify(state.app.services(), &form.token).await {
        Ok(user) => message(
            StatusCode::OK,
            "Address confirmed",
            &format!("{} is now confirmed as your address.", user.email),
        ),
        Err(AppError::BadInput { message: text, .. }) => {
            message(StatusCode::BAD_REQUEST, "Link not valid", &text)
        }
        Err(error) => failed(&error),
    }
}

fn failed(error: &AppError) -> Response {
    tracing::error!(%error, "account page failed");
    message(
        StatusCode::SERVICE_UNAVAILABLE,
        "Something went wrong",
        "Something went wrong on our side. Try again shortly.",
    )
}
