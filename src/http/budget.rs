//! Charging operations to the caller's hourly budget of cost points, and telling the
//! caller where it stands: `extensions.cost` in the answer (`requested`, `remaining`,
//! `resetAt`), and the IETF `RateLimit-Policy` / `RateLimit` headers
//! (draft-ietf-httpapi-ratelimit-headers).
//!
//! A publicly cacheable answer is the same for every anonymous caller, so its body says
//! only what was requested; where the caller stands is in the headers.

use axum::body::Body;
use axum::http::{HeaderValue, header};
use axum::response::Response;
use chrono::{SecondsFormat, Utc};

use crate::auth::Viewer;
use crate::error::AppError;
use crate::graphql::ClientAddr;
use crate::rate_limit::Quota;

use super::HttpState;

/// The name of the budget in the `RateLimit` headers.
const POLICY: &str = "hourly";
/// Largest body that is given its `extensions.cost` (answers are bounded well below it).
const MAX_REPORTED_BODY: usize = 64 * 1024 * 1024;

/// Whose budget pays: an OAuth app's, a user's, or an anonymous client address's.
pub fn identity(viewer: Viewer, addr: ClientAddr) -> String {
    match (viewer.app(), viewer.user_id(), addr.0) {
        (Some(app), _, _) => format!("app:{app}"),
        (None, Some(user), _) => format!("user:{user}"),
        (None, None, Some(ip)) => format!("ip:{ip}"),
        (None, None, None) => "ip:unknown".to_owned(),
    }
}

/// Charges `cost` to the caller: `Ok(None)` when budgets are off, `Ok(Some(quota))` when
/// charged, `Err` with the refusal and the caller's position when the budget is spent.
pub fn charge(
    state: &HttpState,
    viewer: Viewer,
    addr: ClientAddr,
    cost: u64,
) -> Result<Option<Quota>, (AppError, Quota)> {
    match state.app.limits.cost.charge(&identity(viewer, addr), cost) {
        None => Ok(None),
        Some(Ok(quota)) => Ok(Some(quota)),
        Some(Err(quota)) => {
            crate::telemetry::metrics::rate_limited("cost");
            let retry_after = std::time::Duration::from_secs(quota.reset_in_seconds(Utc::now()));
            Err((AppError::RateLimited { retry_after }, quota))
        }
    }
}

/// The `extensions.cost` object; only `requested` for a public answer.
pub fn cost_extension(quota: &Quota, public: bool) -> serde_json::Value {
    if public {
        return serde_json::json!({ "requested": quota.cost });
    }
    serde_json::json!({
        "requested": quota.cost,
        "remaining": quota.remaining,
        "resetAt": quota.reset_at.to_rfc3339_opts(SecondsFormat::Secs, true),
    })
}

/// Adds the `RateLimit` headers and `extensions.cost` to a JSON answer.
pub async fn report(response: Response, quota: &Quota) -> Response {
    let (mut parts, body) = response.into_parts();
    let policy = format!("\"{POLICY}\";q={};w=3600", quota.limit);
    let position = format!(
        "\"{POLICY}\";r={};t={}",
        quota.remaining,
        quota.reset_in_seconds(Utc::now())
    );
    for (name, value) in [("ratelimit-policy", policy), ("ratelimit", position)] {
        if let Ok(value) = HeaderValue::from_str(&value) {
            parts.headers.insert(name, value);
        }
    }
    let public = parts
        .headers
        .get(header::CACHE_CONTROL)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| value.starts_with("public"));
    let Ok(bytes) = axum::body::to_bytes(body, MAX_REPORTED_BODY).await else {
        return Response::from_parts(parts, Body::empty());
    };
    let body = with_extension(&bytes, &cost_extension(quota, public));
    parts.headers.remove(header::CONTENT_LENGTH);
    Response::from_parts(parts, Body::from(body))
}

/// `{"data":…}` with `"extensions":{"cost":…}` added; other bodies (empty, not an
/// object) unchanged.
fn with_extension(body: &[u8], cost: &serde_json::Value) -> Vec<u8> {
    let Some(end) = body.iter().rposition(|byte| *byte == b'}') else {
        return body.to_vec();
    };
    if body.first() != Some(&b'{') {
        return body.to_vec();
    }
    let extension = format!(r#""extensions":{{"cost":{cost}}}"#);
    let mut spliced = Vec::with_capacity(body.len() + extension.len() + 1);
    spliced.extend_from_slice(&body[..end]);
    if body[..end]
        .iter()
        .any(|byte| !byte.is_ascii_whitespace() && *byte != b'{')
    {
        spliced.push(b',');
    }
    spliced.extend_from_slice(extension.as_bytes());
    spliced.extend_from_slice(&body[end..]);
    spliced
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_extension_joins_the_answers_keys() {
        let cost = serde_json::json!({ "requested": 3 });
        let spliced = with_extension(br#"{"data":{"a":1}}"#, &cost);
        let parsed: serde_json::Value = serde_json::from_slice(&spliced).unwrap_or_default();
        assert_eq!(parsed["data"]["a"], 1);
        assert_eq!(parsed["extensions"]["cost"]["requested"], 3);
        assert_eq!(with_extension(b"", &cost), b"".to_vec());
    }
}
