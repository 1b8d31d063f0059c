//! The one application error type, its stable client codes, and their GraphQL form.
//!
//! `AppError`'s `Display` is written for clients: internal causes are kept as the
//! `#[source]`, logged once when the error becomes a GraphQL error, and never sent.

use std::time::Duration;

use async_graphql::{ErrorExtensionValues, ServerError};

/// Result alias used by services and resolvers.
pub type AppResult<T> = Result<T, AppError>;

/// The closed set of `extensions.code` values a client can see. Never renamed once shipped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorCode {
    Unauthenticated,
    Forbidden,
    BadUserInput,
    NotFound,
    Conflict,
    RateLimited,
    QueryTooComplex,
    ResponseTooLarge,
    ServiceUnavailable,
    UpstreamUnavailable,
    PersistedQueryNotFound,
    PersistedQueryNotAllowed,
    InternalServerError,
}

impl ErrorCode {
    /// The wire form, e.g. `BAD_USER_INPUT`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Unauthenticated => "UNAUTHENTICATED",
            Self::Forbidden => "FORBIDDEN",
            Self::BadUserInput => "BAD_USER_INPUT",
            Self::NotFound => "NOT_FOUND",
            Self::Conflict => "CONFLICT",
            Self::RateLimited => "RATE_LIMITED",
            Self::QueryTooComplex => "QUERY_TOO_COMPLEX",
            Self::ResponseTooLarge => "RESPONSE_TOO_LARGE",
            Self::ServiceUnavailable => "SERVICE_UNAVAILABLE",
            Self::UpstreamUnavailable => "UPSTREAM_UNAVAILABLE",
            Self::PersistedQueryNotFound => "PERSISTED_QUERY_NOT_FOUND",
            Self::PersistedQueryNotAllowed => "PERSISTED_QUERY_NOT_ALLOWED",
            Self::InternalServerError => "INTERNAL_SERVER_ERROR",
        }
    }
}

/// Every failure a request can end in.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// `UNAUTHENTICATED`: missing or invalid credentials.
    #[error("{0}")]
    Unauthenticated(&'static str),
    /// `FORBIDDEN`: signed in, but not allowed.
    #[error("{0}")]
    Forbidden(&'static str),
    /// `FORBIDDEN`: the credential was not granted this scope; `extensions.requiredScope`
    /// names it.
    #[error("this token was not granted the `{}` scope", .0.as_str())]
    MissingScope(crate::auth::Scope),
    /// `FORBIDDEN`: the account is banned from writing; `reason` and the end of the ban
    /// (none: without end) are told.
    #[error("your account is banned: {reason}")]
    Banned {
        reason: String,
        until: Option<chrono::DateTime<chrono::Utc>>,
    },
    /// `BAD_USER_INPUT`: an argument is invalid; `field` names it.
    #[error("{message}")]
    BadInput { field: String, message: String },
    /// `NOT_FOUND`: a well-formed id that names nothing (in mutations).
    #[error("{resource} not found")]
    NotFound { resource: &'static str },
    /// `CONFLICT`: the value of `field` is already taken.
    #[error("{message}")]
    Conflict { field: String, message: String },
    /// `RATE_LIMITED`: too many attempts; retry after the given delay.
    #[error("too many requests; retry in {} s", retry_after.as_secs().max(1))]
    RateLimited { retry_after: Duration },
    /// `RATE_LIMITED`: a subscriber fell behind and missed events.
    #[error("this subscription fell behind and missed {missed} events; refetch to catch up")]
    FellBehind { missed: u64 },
    /// `QUERY_TOO_COMPLEX`: the operation exceeds a size, depth or complexity limit.
    #[error("{0}")]
    QueryTooComplex(String),
    /// `RESPONSE_TOO_LARGE`: the answer would exceed the configured size.
    #[error("the response would exceed {limit} bytes; select fewer fields or smaller pages")]
    ResponseTooLarge { limit: usize },
    /// `SERVICE_UNAVAILABLE`: the database is unreachable; retry after the given delay.
    #[error("the service is temporarily unavailable; retry in {} s", retry_after.as_secs().max(1))]
    ServiceUnavailable { retry_after: Duration },
    /// `UPSTREAM_UNAVAILABLE`: a source this server fetches from (arXiv) is unreachable,
    /// slow or rate-limiting; retry after the given delay.
    #[error("{source_name} is unavailable ({reason}); retry in {} s", retry_after.as_secs().max(1))]
    UpstreamUnavailable {
        source_name: &'static str,
        reason: String,
        retry_after: Duration,
    },
    /// `PERSISTED_QUERY_NOT_FOUND`: a persisted-query hash this server does not know; the
    /// message is the one Apollo's clients look for, to send the document with its hash.
    #[error("PersistedQueryNotFound")]
    PersistedQueryNotFound,
    /// `BAD_USER_INPUT` (the contract's codes have no other for it): persisted queries are
    /// off, or the request asks for a protocol version this server does not speak. The
    /// message is the one Apollo's clients look for, to stop sending hashes.
    #[error("PersistedQueryNotSupported")]
    PersistedQueryNotSupported,
    /// `PERSISTED_QUERY_NOT_ALLOWED`: the server runs only its trusted documents.
    #[error("only trusted documents run on this server: {0}")]
    PersistedQueryNotAllowed(&'static str),
    /// `INTERNAL_SERVER_ERROR`: anything else. The cause is logged, never shown.
    #[error("internal server error")]
    Internal(#[source] Box<dyn std::error::Error + Send + Sync>),
}

impl AppError {
    /// A `BAD_USER_INPUT` error about one field.
    pub fn bad_input(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self::BadInput {
            field: field.into(),
            message: message.into(),
        }
    }

    /// A `CONFLICT` error about one field.
    pub fn conflict(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self::Conflict {
            field: field.into(),
            message: message.into(),
        }
    }

    /// An internal error wrapping its cause.
    pub fn internal(cause: impl Into<Box<dyn std::error::Error + Send + Sync>>) -> Self {
        Self::Internal(cause.into())
    }

    /// The client-visible code of this error.
    pub fn code(&self) -> ErrorCode {
        match self {
            Self::Unauthenticated(_) => ErrorCode::Unauthenticated,
            Self::Forbidden(_) | Self::MissingScope(_) | Self::Banned { .. } => {
                ErrorCode::Forbidden
            }
            Self::BadInput { .. } => ErrorCode::BadUserInput,
            Self::NotFound { .. } => ErrorCode::NotFound,
            Self::Conflict { .. } => ErrorCode::Conflict,
            Self::RateLimited { .. } | Self::FellBehind { .. } => ErrorCode::RateLimited,
            Self::QueryTooComplex(_) => ErrorCode::QueryTooComplex,
            Self::ResponseTooLarge { .. } => ErrorCode::ResponseTooLarge,
            Self::ServiceUnavailable { .. } => ErrorCode::ServiceUnavailable,
            Self::UpstreamUnavailable { .. } => ErrorCode::UpstreamUnavailable,
            Self::PersistedQueryNotFound => ErrorCode::PersistedQueryNotFound,
            Self::PersistedQueryNotSupported => ErrorCode::BadUserInput,
            Self::PersistedQueryNotAllowed(_) => ErrorCode::PersistedQueryNotAllowed,
            Self::Internal(_) => ErrorCode::InternalServerError,
        }
    }

    fn extensions(&self) -> ErrorExtensionValues {
        let mut extensions = ErrorExtensionValues::default();
        extensions.set("code", self.code().as_str());
        match self {
            Self::BadInput { field, .. } | Self::Conflict { field, .. } => {
                extensions.set("field", field.as_str());
            }
            Self::RateLimited { retry_after }
            | Self::ServiceUnavailable { retry_after }
            | Self::UpstreamUnavailable { retry_after, .. } => {
                let seconds = i32::try_from(retry_after.as_secs().max(1)).unwrap_or(i32::MAX);
                extensions.set("retryAfterSeconds", seconds);
            }
            Self::FellBehind { missed } => {
                extensions.set("missedEvents", i32::try_from(*missed).unwrap_or(i32::MAX));
            }
            Self::MissingScope(scope) => {
                extensions.set("requiredScope", scope.as_str());
            }
            Self::Banned { reason, until } => {
                extensions.set("banReason", reason.as_str());
                if let Some(until) = until {
                    extensions.set("bannedUntil", until.to_rfc3339());
                }
            }
            _ => {}
        }
        extensions
    }

    fn log_if_internal(&self) {
        if let Self::Internal(cause) = self {
            tracing::error!(error = %cause, debug = ?cause, "internal error");
        }
    }

    /// The error as a request-level GraphQL error (no path), for transport failures.
    pub fn into_server_error(self) -> ServerError {
        self.log_if_internal();
        let mut error = ServerError::new(self.to_string(), None);
        error.extensions = Some(self.extensions());
        error
    }

    /// The GraphQL form of this error, without logging it (callers log once).
    pub fn graphql_error(&self) -> async_graphql::Error {
        async_graphql::Error {
            message: self.to_string(),
            source: None,
            extensions: Some(self.extensions()),
        }
    }
}

impl From<AppError> for async_graphql::Error {
    fn from(error: AppError) -> Self {
        error.log_if_internal();
        error.graphql_error()
    }
}

/// What a client is told to wait when the database is unreachable.
pub const UNAVAILABLE_RETRY_AFTER: Duration = Duration::from_secs(5);

impl From<sea_orm::DbErr> for AppError {
    fn from(error: sea_orm::DbErr) -> Self {
        if crate::db::is_unreachable(&error) {
            tracing::warn!(%error, "the database is unreachable");
            return Self::ServiceUnavailable {
                retry_after: UNAVAILABLE_RETRY_AFTER,
            };
        }
        Self::internal(error)
    }
}

/// The `extensions.code` of a GraphQL error, if it has one.
pub fn code_of(error: &ServerError) -> Option<String> {
    match error.extensions.as_ref()?.get("code")? {
        async_graphql::Value::String(code) => Some(code.clone()),
        _ => None,
    }
}

/// Gives every error in a response a code: errors raised by the GraphQL engine itself
/// (parsing, validation, input coercion, limits) arrive without one.
pub fn tag_untagged_errors(errors: &mut [ServerError]) {
    for error in errors {
        let has_code = error
            .extensions
            .as_ref()
            .is_some_and(|extensions| extensions.get("code").is_some());
        if !has_code {
            let code = engine_error_code(&error.message);
            error
                .extensions
                .get_or_insert_with(ErrorExtensionValues::default)
                .set("code", code.as_str());
        }
    }
}

/// async-graphql reports its depth and complexity limits only by message text.
fn engine_error_code(message: &str) -> ErrorCode {
    if message.starts_with("Query is too complex")
        || message.starts_with("Query is nested too deep")
    {
        ErrorCode::QueryTooComplex
    } else {
        ErrorCode::BadUserInput
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn internal_errors_never_show_their_cause() {
        let error = AppError::internal("SELECT secret FROM users failed");
        assert_eq!(error.to_string(), "internal server error");
        let graphql: async_graphql::Error = error.into();
        assert_eq!(graphql.message, "internal server error");
    }

    #[test]
    fn engine_errors_get_a_code() {
        let mut errors = vec![
            ServerError::new("Query is too complex.", None),
            ServerError::new("Unknown field \"x\"", None),
        ];
        tag_untagged_errors(&mut errors);
        let codes: Vec<_> = errors
            .iter()
            .map(|e| e.extensions.as_ref().and_then(|x| x.get("code")).cloned())
            .collect();
        assert_eq!(
            codes,
            vec![
                Some(async_graphql::Value::from("QUERY_TOO_COMPLEX")),
                Some(async_graphql::Value::from("BAD_USER_INPUT")),
            ]
        );
    }
}
