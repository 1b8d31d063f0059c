//! Accounts' credentials: who is asking, and how they proved it.
//!
//! Access tokens are short-lived JWTs ([`jwt`]); refresh tokens are opaque random strings
//! stored only as hashes (see `services::accounts`); passwords are argon2id ([`password`]).
//! Repeated failed logins are slowed down by `rate_limit`.

mod guard;
pub mod jwt;
pub mod password;
pub mod pkce;
mod scope;
mod secret;
mod viewer;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

pub use guard::{AccountGuard, RoleGuard, UnbannedGuard};
pub use scope::{Scope, Scopes, UnknownScope};
pub use secret::{SecretError, jwt_secret};
pub use viewer::{Credential, Role, Viewer};

use crate::error::AppError;

/// The token of an `Authorization` value `Bearer <token>` (scheme in any case), or `None`
/// when the value is not of that form. HTTP headers and WebSocket `connection_init`
/// payloads both go through here.
pub fn bearer_token(authorization: &str) -> Option<&str> {
    let (scheme, token) = authorization.split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty() && !token.contains(' '))
        .then_some(token)
}

/// `bytes` random bytes from the operating system, base64url-encoded.
///
/// # Errors
/// `INTERNAL_SERVER_ERROR` if the system has no randomness to give.
pub fn random_token(bytes: usize) -> Result<String, AppError> {
    let mut buffer = vec![0u8; bytes];
    getrandom::fill(&mut buffer).map_err(|error| AppError::internal(error.to_string()))?;
    Ok(URL_SAFE_NO_PAD.encode(buffer))
}

/// The stored form of a refresh token: SHA-256, hex. Tokens carry 256 random bits, so a
/// fast hash is enough; a slow one would only slow down every refresh.
pub fn token_hash(token: &str) -> String {
    crate::digest::sha256_hex(token.as_bytes())
}

/// Whether two stored hashes (or other secrets) are equal, in time independent of where
/// they differ.
pub fn same_secret(a: &str, b: &str) -> bool {
    use subtle::ConstantTimeEq;
    bool::from(a.as_bytes().ct_eq(b.as_bytes()))
}

/// Everything that authenticates: token keys and password hashing.
pub struct Auth {
    pub keys: jwt::TokenKeys,
    pub passwords: password::Passwords,
    pub refresh_lifetime: chrono::Duration,
    pub trust_forwarded_for: bool,
}

/// Why authentication could not be set up.
#[derive(Debug, thiserror::Error)]
pub enum AuthSetupError {
    #[error(transparent)]
    Secret(#[from] SecretError),
    #[error("cannot prepare password hashing")]
    Passwords(#[source] AppError),
}

impl Auth {
    /// Builds authentication from configuration; the secret may be read from (or created
    /// in) `data_dir`.
    ///
    /// # Errors
    /// [`AuthSetupError`] when no usable secret can be had.
    pub fn new(
        config: &crate::config::AuthConfig,
        data_dir: &std::path::Path,
    ) -> Result<Self, AuthSetupError> {
        let secret = jwt_secret(config.jwt_secret.as_ref(), data_dir)?;
        let hashes = config.max_concurrent_hashes.unwrap_or_else(|| {
            std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get)
        });
        Ok(Self {
            keys: jwt::TokenKeys::new(
                &secret,
                std::time::Duration::from_secs(config.access_token_seconds),
            ),
            passwords: password::Passwords::new(hashes).map_err(AuthSetupError::Passwords)?,
            refresh_lifetime: chrono::Duration::days(
                i64::try_from(config.refresh_token_days).unwrap_or(30),
            ),
            trust_forwarded_for: config.trust_forwarded_for,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::bearer_token;

    #[test]
    fn only_bearer_credentials_with_one_token_are_read() {
        assert_eq!(bearer_token("Bearer abc.def"), Some("abc.def"));
        assert_eq!(bearer_token("bearer  abc "), Some("abc"));
        assert_eq!(bearer_token("Basic abc"), None);
        assert_eq!(bearer_token("Bearer"), None);
        assert_eq!(bearer_token("Bearer "), None);
        assert_eq!(bearer_token("Bearer a b"), None);
    }
}
