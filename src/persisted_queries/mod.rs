//! Persisted queries: a request names its document by the SHA-256 of the text instead of
//! sending it.
//!
//! Two modes, as the ecosystem's clients expect them:
//!
//! * **Automatic** (Apollo's APQ protocol): a client sends
//!   `extensions.persistedQuery = {version: 1, sha256Hash}` alone; an unknown hash answers
//!   `PersistedQueryNotFound` and the client sends hash and document together once, which
//!   registers the document (after it passed every check) for every instance on the
//!   database ([`store`]). A GET by hash is then a short, cacheable URL.
//! * **Trusted documents** (`PAPERBOARD_TRUSTED_DOCUMENTS`): only the documents of the
//!   operator's manifest run, named by hash or sent in full; anything else is
//!   `PERSISTED_QUERY_NOT_ALLOWED`.
//!
//! `documentId` (the GraphQL-over-HTTP persisted-documents parameter, `sha256:<hex>` or
//! bare hex) is read as the same hash.

mod manifest;
mod store;

use std::collections::HashMap;
use std::sync::Arc;

use async_graphql_value::ConstValue;

use crate::db::Database;
use crate::digest::sha256_hex;
use crate::error::{AppError, AppResult};

pub use manifest::{ManifestError, load_manifest};

/// The request extension of the APQ protocol.
pub const EXTENSION: &str = "persistedQuery";
/// The only APQ protocol version.
const VERSION: i64 = 1;
/// Documents an instance keeps in memory in front of the shared store.
const LOCAL_DOCUMENTS: usize = 2_048;

/// How this server treats persisted queries.
pub enum PersistedQueries {
    /// Turned off: a hash is refused with `PersistedQueryNotSupported`.
    Off,
    /// Apollo's automatic persisted queries, stored in the database.
    Automatic(Automatic),
    /// Only the listed documents run.
    Trusted(HashMap<String, Arc<str>>),
}

/// The automatic store: the database, with this instance's recent documents in memory.
pub struct Automatic {
    db: Database,
    max_documents: u64,
    recent: quick_cache::sync::Cache<String, Arc<str>>,
}

/// A document to register once it has passed the checks (see [`PersistedQueries::register`]).
#[derive(Debug)]
pub struct Registration {
    hash: String,
}

impl PersistedQueries {
    /// Automatic persisted queries on `db`, keeping at most `max_documents` (0: off).
    pub fn automatic(db: &Database, max_documents: u64) -> Self {
        if max_documents == 0 {
            return Self::Off;
        }
        Self::Automatic(Automatic {
            db: db.clone(),
            max_documents,
            recent: quick_cache::sync::Cache::new(LOCAL_DOCUMENTS),
        })
    }

    /// Fills in the document of a request that names one by hash, and takes the
    /// persisted-query extension off the request; in trusted mode, refuses a document
    /// that is not listed. `Some` when the request teaches a new document, to be
    /// registered after it passed the checks.
    ///
    /// # Errors
    /// `PERSISTED_QUERY_NOT_FOUND`, `PersistedQueryNotSupported` (`BAD_USER_INPUT`),
    /// `PERSISTED_QUERY_NOT_ALLOWED`, or `BAD_USER_INPUT` for a malformed extension or a
    /// hash that is not the document's.
    pub async fn resolve(
        &self,
        request: &mut async_graphql::Request,
    ) -> AppResult<Option<Registration>> {
        let named = request
            .extensions
            .remove(EXTENSION)
            .map(|value| requested_hash(&value))
            .transpose()?;
        let sent = (!request.query.is_empty()).then(|| sha256_hex(request.query.as_bytes()));
        if let (Some(named), Some(sent)) = (&named, &sent)
            && named != sent
        {
            return Err(AppError::bad_input(
                "extensions.persistedQuery.sha256Hash",
                "provided sha does not match query",
            ));
        }
        match self {
            Self::Off if named.is_some() => Err(AppError::PersistedQueryNotSupported),
            Self::Off => Ok(None),
            Self::Trusted(documents) => {
                let Some(hash) = named.or(sent) else {
                    return Ok(None);
                };
                let document = documents
                    .get(&hash)
                    .ok_or(AppError::PersistedQueryNotAllowed(
                        "the document is not in the server's manifest",
                    ))?;
                if request.query.is_empty() {
                    request.query = document.to_string();
                }
                Ok(None)
            }
            Self::Automatic(store) => {
                let Some(hash) = named else {
                    return Ok(None);
                };
                if !request.query.is_empty() {
                    let known = store.recent.get(&hash).is_some();
                    return Ok((!known).then_some(Registration { hash }));
                }
                let document = store.find(&hash).await?;
                request.query = document.to_string();
                Ok(None)
            }
        }
    }

    /// Stores the document a request taught, once it passed every check.
    ///
    /// # Errors
    /// `INTERNAL_SERVER_ERROR` (or `SERVICE_UNAVAILABLE`) when the store fails.
    pub async fn register(&self, registration: Registration, document: &str) -> AppResult<()> {
        let Self::Automatic(store) = self else {
            return Ok(());
        };
        store::save(&store.db, &registration.hash, document).await?;
        store.recent.insert(registration.hash, Arc::from(document));
        Ok(())
    }

    /// Deletes the least recently used documents beyond the bound; the number deleted.
    ///
    /// # Errors
    /// `INTERNAL_SERVER_ERROR` on database failure.
    pub async fn prune(&self) -> AppResult<u64> {
        match self {
            Self::Automatic(store) => store::prune(&store.db, store.max_documents).await,
            Self::Off | Self::Trusted(_) => Ok(0),
        }
    }
}

impl Automatic {
    /// The document of `hash`: from memory, else from the shared store.
    async fn find(&self, hash: &str) -> AppResult<Arc<str>> {
        if let Some(document) = self.recent.get(hash) {
            return Ok(document);
        }
        let document: Arc<str> = store::load(&self.db, hash)
            .await?
            .ok_or(AppError::PersistedQueryNotFound)?
            .into();
        self.recent.insert(hash.to_owned(), Arc::clone(&document));
        Ok(document)
    }
}

/// The hash an APQ extension names: `{version: 1, sha256Hash: "<64 hex digits>"}`.
fn requested_hash(extension: &ConstValue) -> AppResult<String> {
    let malformed = || {
        AppError::bad_input(
            "extensions.persistedQuery",
            "`persistedQuery` must be {\"version\": 1, \"sha256Hash\": \"<64 hex digits>\"}",
        )
    };
    let ConstValue::Object(fields) = extension else {
        return Err(malformed());
    };
    match fields.get("version") {
        Some(ConstValue::Number(version)) if version.as_i64() == Some(VERSION) => {}
        Some(ConstValue::Number(_)) => return Err(AppError::PersistedQueryNotSupported),
        _ => return Err(malformed()),
    }
    match fields.get("sha256Hash") {
        Some(ConstValue::String(hash)) => normalized_hash(hash).ok_or_else(malformed),
        _ => Err(malformed()),
    }
}

/// A SHA-256 hash as 64 lowercase hex digits, or `None` when it is not one.
pub fn normalized_hash(hash: &str) -> Option<String> {
    let hash = hash.strip_prefix("sha256:").unwrap_or(hash);
    (hash.len() == 64 && hash.bytes().all(|byte| byte.is_ascii_hexdigit()))
        .then(|| hash.to_ascii_lowercase())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn extension(json: serde_json::Value) -> ConstValue {
        ConstValue::from_json(json).unwrap_or(ConstValue::Null)
    }

    #[test]
    fn only_version_one_with_a_sha256_is_accepted() {
        let hash = "A".repeat(64);
        assert_eq!(
            requested_hash(&extension(
                serde_json::json!({"version": 1, "sha256Hash": hash})
            ))
            .ok(),
            Some("a".repeat(64))
        );
        assert!(matches!(
            requested_hash(&extension(
                serde_json::json!({"version": 2, "sha256Hash": hash})
            )),
            Err(AppError::PersistedQueryNotSupported)
        ));
        for malformed in [
            serde_json::json!({"version": 1, "sha256Hash": "abc"}),
            serde_json::json!({"version": 1}),
            serde_json::json!({"sha256Hash": hash}),
            serde_json::json!("abc"),
        ] {
            assert!(matches!(
                requested_hash(&extension(malformed)),
                Err(AppError::BadInput { .. })
            ));
        }
    }

    #[test]
    fn document_ids_may_carry_the_algorithm() {
        let hex = "0123456789abcdef".repeat(4);
        assert_eq!(
            normalized_hash(&format!("sha256:{hex}")).as_deref(),
            Some(hex.as_str())
        );
        assert_eq!(normalized_hash("sha256:xyz"), None);
    }
}
