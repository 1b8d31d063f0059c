//! Client authentication at the token and revocation endpoints: `client_secret_basic`,
//! `client_secret_post`, or `none` (a public client names itself with `client_id`).

use axum::http::{HeaderMap, header};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use entity::oauth_app;

use crate::db::Database;
use crate::services::oauth_apps;

use super::params::Params;
use super::token::OAuthError;

/// The authenticated client, or the RFC's error.
pub async fn authenticate(
    db: &Database,
    headers: &HeaderMap,
    params: &Params,
) -> Result<oauth_app::Model, OAuthError> {
    let basic = basic_credentials(headers)?;
    let used_basic = basic.is_some();
    let (client_id, secret) = match (basic, params.get("client_secret")) {
        (Some(_), Some(_)) => {
            return Err(OAuthError::invalid_request(
                "use one client authentication method",
            ));
        }
        (Some((id, secret)), None) => {
            if params.get("client_id").is_some_and(|named| named != id) {
                return Err(OAuthError::invalid_request(
                    "client_id differs from the credentials",
                ));
            }
            (id, Some(secret))
        }
        (None, secret) => {
            let id = params
                .get("client_id")
                .ok_or_else(|| OAuthError::invalid_client("client authentication failed", false))?;
            (id.to_owned(), secret.map(str::to_owned))
        }
    };
    let failed = || OAuthError::invalid_client("client authentication failed", used_basic);
    let app = oauth_apps::by_client_id(db.reader(), &client_id)
        .await
        .map_err(OAuthError::server)?
        .ok_or_else(failed)?;
    let authenticated = match (app.confidential, secret) {
        (true, Some(secret)) => oauth_apps::secret_matches(&app, &secret),
        (false, None) => true,
        // A public client has no secret; a confidential one must send it.
        _ => false,
    };
    if authenticated {
        Ok(app)
    } else {
        Err(failed())
    }
}

/// `client_id` and secret from `Authorization: Basic`, each form-urlencoded (§2.3.1).
fn basic_credentials(headers: &HeaderMap) -> Result<Option<(String, String)>, OAuthError> {
    let Some(value) = headers.get(header::AUTHORIZATION) else {
        return Ok(None);
    };
    let malformed = || OAuthError::invalid_client("malformed Basic credentials", true);
    let text = value.to_str().map_err(|_| malformed())?;
    let (scheme, encoded) = text.split_once(' ').ok_or_else(malformed)?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return Err(malformed());
    }
    let decoded = STANDARD.decode(encoded.trim()).map_err(|_| malformed())?;
    let decoded = String::from_utf8(decoded).map_err(|_| malformed())?;
    let (id, secret) = decoded.split_once(':').ok_or_else(malformed)?;
    Ok(Some((form_decode(id), form_decode(secret))))
}

fn form_decode(part: &str) -> String {
    url::form_urlencoded::parse(part.as_bytes())
        .next()
        .map(|(key, _)| key.into_owned())
        .unwrap_or_default()
}
