//! The two cookies of the consent page: the CSRF token (double-submit, `SameSite=Strict`)
//! and the browser's sign-in (`SameSite=Lax`, so that an app's redirect to the consent page
//! carries it and a user who already consented is sent straight back). Both `HttpOnly`,
//! scoped to `/oauth`, and `Secure` when the public URL is https.

use axum::http::{HeaderMap, HeaderValue, header};

pub const CSRF: &str = "pb_csrf";
pub const SIGN_IN: &str = "pb_session";
/// How long the browser stays signed in on the consent page.
pub const SIGN_IN_SECONDS: u32 = 12 * 3600;

/// The value of cookie `name` in the request, if sent once.
pub fn read<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    let mut found = headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .filter(|(key, _)| *key == name)
        .map(|(_, value)| value);
    let first = found.next()?;
    found.next().is_none().then_some(first)
}

/// A `Set-Cookie` value for `name`.
pub fn set(
    name: &str,
    value: &str,
    same_site: &str,
    max_age: u32,
    secure: bool,
) -> Option<HeaderValue> {
    let secure = if secure { "; Secure" } else { "" };
    HeaderValue::from_str(&format!(
        "{name}={value}; Path=/oauth; HttpOnly; SameSite={same_site}; Max-Age={max_age}{secure}"
    ))
    .ok()
}
