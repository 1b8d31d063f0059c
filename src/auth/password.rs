//! Password hashing: argon2id with OWASP's minimum parameters, as PHC strings.
//!
//! Hashing is CPU-bound for tens of milliseconds, so it runs on the blocking pool, and a
//! semaphore bounds how many run at once: a burst of logins waits for a permit instead of
//! taking every core from queries. Verifying against an unknown account runs the same work
//! against a dummy hash, so the answer's timing does not tell whether the account exists.

use std::sync::Arc;

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use tokio::sync::Semaphore;

use crate::error::AppError;

/// OWASP's minimum for argon2id: 19 MiB of memory, 2 iterations, 1 lane.
const MEMORY_KIB: u32 = 19 * 1024;
const ITERATIONS: u32 = 2;
const LANES: u32 = 1;

/// Hashes and verifies passwords off the async runtime, a bounded number at a time.
pub struct Passwords {
    permits: Arc<Semaphore>,
    dummy_hash: String,
}

impl Passwords {
    /// A hasher allowing `max_concurrent` hashes at once (at least one).
    ///
    /// # Errors
    /// `INTERNAL_SERVER_ERROR` if the dummy hash cannot be computed.
    pub fn new(max_concurrent: usize) -> Result<Self, AppError> {
        let dummy_hash = hash_now("a password nobody has, to spend the same time")?;
        Ok(Self {
            permits: Arc::new(Semaphore::new(max_concurrent.max(1))),
            dummy_hash,
        })
    }

    /// The PHC string of `password` with a fresh random salt.
    ///
    /// # Errors
    /// `INTERNAL_SERVER_ERROR` if hashing fails.
    pub async fn hash(&self, password: String) -> Result<String, AppError> {
        self.run_blocking(move || hash_now(&password)).await?
    }

    /// Whether `password` matches `stored`; with no stored hash (unknown account) the same
    /// work is done against a dummy hash and the answer is `false`.
    ///
    /// # Errors
    /// `INTERNAL_SERVER_ERROR` if the blocking pool fails.
    pub async fn verify(&self, password: String, stored: Option<String>) -> Result<bool, AppError> {
        let dummy = self.dummy_hash.clone();
        self.run_blocking(move || {
            // A missing or unparsable hash (e.g. generated accounts) costs a dummy verify.
            let parsed = stored
                .as_deref()
                .and_then(|hash| PasswordHash::new(hash).ok());
            match parsed {
                Some(hash) => argon2().verify_password(password.as_bytes(), &hash).is_ok(),
                None => {
                    if let Ok(hash) = PasswordHash::new(&dummy) {
                        let _ = argon2().verify_password(password.as_bytes(), &hash);
                    }
                    false
                }
            }
        })
        .await
    }

    async fn run_blocking<T: Send + 'static>(
        &self,
        work: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T, AppError> {
        let permit = Arc::clone(&self.permits)
            .acquire_owned()
            .await
            .map_err(AppError::internal)?;
        let span = tracing::Span::current();
        tokio::task::spawn_blocking(move || {
            let _permit = permit;
            span.in_scope(work)
        })
        .await
        .map_err(AppError::internal)
    }
}

fn argon2() -> Argon2<'static> {
    // These constants are valid argon2 parameters; `default()` is the unreachable fallback.
    let params = Params::new(MEMORY_KIB, ITERATIONS, LANES, None).unwrap_or_default();
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

fn hash_now(password: &str) -> Result<String, AppError> {
    let mut salt = [0u8; 16];
    getrandom::fill(&mut salt).map_err(|error| AppError::internal(error.to_string()))?;
    let salt =
        SaltString::encode_b64(&salt).map_err(|error| AppError::internal(error.to_string()))?;
    argon2()
        .hash_password(password.as_bytes(), &salt)
        .map(|hash| hash.to_string())
        .map_err(|error| AppError::internal(error.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn hashes_are_argon2id_phc_strings_that_verify() -> Result<(), AppError> {
        let passwords = Passwords::new(2)?;
        let hash = passwords
            .hash("correct horse battery staple".into())
            .await?;
        assert!(
            hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
            "{hash}"
        );
        assert!(
            passwords
                .verify("correct horse battery staple".into(), Some(hash.clone()))
                .await?
        );
        assert!(
            !passwords
                .verify("wrong horse battery staple".into(), Some(hash))
                .await?
        );
        Ok(())
    }

    #[tokio::test]
    async fn unknown_accounts_and_unusable_hashes_never_verify() -> Result<(), AppError> {
        let passwords = Passwords::new(1)?;
        assert!(!passwords.verify("anything at all".into(), None).await?);
        assert!(
            !passwords
                .verify("anything at all".into(), Some("!disabled".into()))
                .await?
        );
        Ok(())
    }
}
