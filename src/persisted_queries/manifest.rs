//! Reading a manifest of trusted documents.
//!
//! Two shapes are read: a JSON object of hash → document (GraphQL Code Generator's
//! `persisted-documents.json`, Relay's persisted output with SHA-256 ids), and Apollo's
//! persisted-query manifest (`{"format": "apollo-persisted-query-manifest", "version": 1,
//! "operations": [{"id", "body", …}]}`). Every hash must be the SHA-256 of its document:
//! a manifest that says otherwise was built for another server or edited by hand, and is
//! refused at start-up rather than half-trusted.

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

use serde::Deserialize;

use crate::digest::sha256_hex;

use super::normalized_hash;

/// Why a manifest cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum ManifestError {
    #[error("cannot read the trusted documents {path}: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error("the trusted documents {path} are not a manifest: {reason}")]
    Malformed { path: String, reason: String },
    #[error("trusted document {id} in {path}: its id is not the SHA-256 of its text")]
    WrongHash { path: String, id: String },
}

#[derive(Deserialize)]
#[serde(untagged)]
enum Manifest {
    Apollo {
        format: String,
        version: u32,
        operations: Vec<ApolloOperation>,
    },
    Map(HashMap<String, String>),
}

#[derive(Deserialize)]
struct ApolloOperation {
    id: String,
    body: String,
}

/// The documents of the manifest at `path`, by hash.
///
/// # Errors
/// The file cannot be read, is not a manifest, or lists a document under another hash.
pub fn load_manifest(path: &Path) -> Result<HashMap<String, Arc<str>>, ManifestError> {
    let shown = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|source| ManifestError::Read {
        path: shown.clone(),
        source,
    })?;
    parse(&text, &shown)
}

fn parse(text: &str, path: &str) -> Result<HashMap<String, Arc<str>>, ManifestError> {
    let malformed = |reason: String| ManifestError::Malformed {
        path: path.to_owned(),
        reason,
    };
    let entries: Vec<(String, String)> = match serde_json::from_str::<Manifest>(text) {
        Ok(Manifest::Apollo {
            format,
            version,
            operations,
        }) => {
            if format != "apollo-persisted-query-manifest" || version != 1 {
                return Err(malformed(format!(
                    "unknown manifest format {format:?} version {version}"
                )));
            }
            operations
                .into_iter()
                .map(|operation| (operation.id, operation.body))
                .collect()
        }
        Ok(Manifest::Map(map)) => map.into_iter().collect(),
        Err(_) => {
            return Err(malformed(
                "expected an object of hash → document, or Apollo's persisted-query manifest"
                    .to_owned(),
            ));
        }
    };
    let mut documents = HashMap::with_capacity(entries.len());
    for (id, document) in entries {
        let hash = normalized_hash(&id)
            .filter(|hash| *hash == sha256_hex(document.as_bytes()))
            .ok_or_else(|| ManifestError::WrongHash {
                path: path.to_owned(),
                id: id.clone(),
            })?;
        documents.insert(hash, Arc::from(document));
    }
    Ok(documents)
}

#[cfg(test)]
mod tests {
    use super::*;

    const DOCUMENT: &str = "query Front { papers(first: 2) { edges { node { title } } } }";

    #[test]
    fn both_shapes_are_read() -> Result<(), ManifestError> {
        let hash = sha256_hex(DOCUMENT.as_bytes());
        let map = serde_json::json!({ format!("sha256:{hash}"): DOCUMENT }).to_string();
        assert!(parse(&map, "map.json")?.contains_key(&hash));
        let apollo = serde_json::json!({
            "format": "apollo-persisted-query-manifest",
            "version": 1,
            "operations": [{"id": hash, "name": "Front", "type": "query", "body": DOCUMENT}],
        })
        .to_string();
        assert_eq!(
            parse(&apollo, "apollo.json")?.get(&hash).map(|d| &**d),
            Some(DOCUMENT)
        );
        Ok(())
    }

    #[test]
    fn a_hash_that_is_not_the_documents_is_refused() {
        let map = serde_json::json!({ "0".repeat(64): DOCUMENT }).to_string();
        assert!(matches!(
            parse(&map, "m.json"),
            Err(ManifestError::WrongHash { .. })
        ));
        assert!(matches!(
            parse("[1, 2]", "m.json"),
            Err(ManifestError::Malformed { .. })
        ));
    }
}
