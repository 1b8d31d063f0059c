//! Bylines, with an in-process cache.
//!
//! A byline changes only when its paper is revised (a new version from arXiv), and a
//! revision sets the paper's `updated_at`. The cache keeps each byline with the revision it
//! was read at, and a paper read at another revision misses it: the paper row (always read
//! fresh) says which byline is current, so no instance — nor a server whose database a
//! `paperboard sync` in another process revised — can serve an old byline. Deleting a
//! paper forgets its byline (SQLite may give its id to the next paper). Lists then cost one
//! statement for the page, and bylines only for papers not seen at their revision.

use std::collections::HashMap;
use std::sync::Arc;

use entity::{author, paper};
use sea_orm::ConnectionTrait;

use crate::error::AppResult;

use super::authors;

/// Bylines kept per instance (a byline is a few hundred bytes).
const CACHED_BYLINES: usize = 50_000;

/// A paper's authors, in byline order, shared without copying.
pub type Byline = Arc<[Arc<author::Model>]>;

/// Which byline a paper row calls for: its id and revision.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct BylineKey {
    pub paper_id: i64,
    /// `updated_at` in microseconds, 0 for a paper never revised.
    pub revision: i64,
}

impl BylineKey {
    /// The byline `paper` (as just read) calls for.
    pub fn of(paper: &paper::Model) -> Self {
        Self {
            paper_id: paper.id,
            revision: paper.updated_at.map_or(0, |at| at.timestamp_micros()),
        }
    }
}

/// Recently used bylines, by paper id, with the revision each was read at.
pub struct BylineCache(quick_cache::sync::Cache<i64, (i64, Byline)>);

impl Default for BylineCache {
    fn default() -> Self {
        Self(quick_cache::sync::Cache::new(CACHED_BYLINES))
    }
}

impl BylineCache {
    /// Drops a paper's byline (when the paper is deleted or revised).
    pub fn forget(&self, paper_id: i64) {
        self.0.remove(&paper_id);
    }
}

/// The bylines of these papers: cached ones from memory, the rest in one statement.
///
/// # Errors
/// `INTERNAL_SERVER_ERROR` on database failure.
pub async fn load(
    db: &impl ConnectionTrait,
    cache: &BylineCache,
    keys: &[BylineKey],
) -> AppResult<HashMap<i64, Byline>> {
    let mut found = HashMap::with_capacity(keys.len());
    let mut missing = Vec::new();
    for key in keys {
        match cache.0.get(&key.paper_id) {
            Some((revision, byline)) if revision == key.revision => {
                found.insert(key.paper_id, byline);
            }
            _ => missing.push(*key),
        }
    }
    if missing.is_empty() {
        return Ok(found);
    }
    let ids: Vec<i64> = missing.iter().map(|key| key.paper_id).collect();
    let mut loaded = authors::bylines(db, &ids).await?;
    for key in missing {
        let byline: Byline = loaded
            .remove(&key.paper_id)
            .unwrap_or_default()
            .into_iter()
            .map(Arc::new)
            .collect();
        cache
            .0
            .insert(key.paper_id, (key.revision, Arc::clone(&byline)));
        found.insert(key.paper_id, byline);
    }
    Ok(found)
}
