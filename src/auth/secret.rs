//! The JWT signing secret: `JWT_SECRET` when configured, otherwise a random 256-bit secret
//! generated on first start and kept in the data directory (mode 0600), so that tokens
//! survive restarts. Several instances must share one `JWT_SECRET`.

use std::io::Write;
use std::path::{Path, PathBuf};

use crate::config::Secret;

/// Shortest accepted secret, in bytes.
pub const MIN_SECRET_BYTES: usize = 32;
const SECRET_FILE: &str = "jwt-secret";

/// Why no secret could be had.
#[derive(Debug, thiserror::Error)]
pub enum SecretError {
    #[error("JWT_SECRET must be at least {MIN_SECRET_BYTES} bytes")]
    TooShort,
    #[error("cannot read or create the JWT secret file {path}")]
    File {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("the JWT secret file {0} holds fewer than {MIN_SECRET_BYTES} bytes")]
    FileTooShort(PathBuf),
    #[error("the operating system gave no randomness")]
    Randomness,
}

/// The secret's bytes: the configured one, or the data directory's (created if missing).
///
/// # Errors
/// [`SecretError`] when the configured secret is too short or the file cannot be used.
pub fn jwt_secret(configured: Option<&Secret>, data_dir: &Path) -> Result<Vec<u8>, SecretError> {
    if let Some(secret) = configured {
        let bytes = secret.expose().as_bytes();
        if bytes.len() < MIN_SECRET_BYTES {
            return Err(SecretError::TooShort);
        }
        return Ok(bytes.to_vec());
    }
    let path = data_dir.join(SECRET_FILE);
    let file_error = |source| SecretError::File {
        path: path.clone(),
        source,
    };
    match std::fs::read_to_string(&path) {
        Ok(text) => {
            let secret = text.trim().as_bytes().to_vec();
            if secret.len() < MIN_SECRET_BYTES {
                return Err(SecretError::FileTooShort(path));
            }
            Ok(secret)
        }
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
            std::fs::create_dir_all(data_dir).map_err(file_error)?;
            let secret = super::random_token(32).map_err(|_| SecretError::Randomness)?;
            write_private(&path, &secret).map_err(file_error)?;
            Ok(secret.into_bytes())
        }
        Err(error) => Err(file_error(error)),
    }
}

/// Creates `path` readable by its owner only, failing if it exists (another process won).
fn write_private(path: &Path, contents: &str) -> std::io::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(path)?;
    file.write_all(contents.as_bytes())?;
    file.sync_all()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_generated_secret_is_private_and_reused() -> Result<(), SecretError> {
        let dir = tempfile::tempdir().map_err(|source| SecretError::File {
            path: PathBuf::new(),
            source,
        })?;
        let first = jwt_secret(None, dir.path())?;
        let second = jwt_secret(None, dir.path())?;
        assert_eq!(first, second);
        assert!(first.len() >= MIN_SECRET_BYTES);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(dir.path().join(SECRET_FILE))
                .map_err(|source| SecretError::File {
                    path: PathBuf::new(),
                    source,
                })?
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        Ok(())
    }

    #[test]
    fn short_configured_secrets_are_refused() {
        let short = Secret::new("too short");
        assert!(matches!(
            jwt_secret(Some(&short), Path::new("/nonexistent")),
            Err(SecretError::TooShort)
        ));
    }
}
