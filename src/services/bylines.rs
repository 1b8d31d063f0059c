//! Bylines, with an in-process cache.
//!
//! A byline is written once, with its paper, and never changes (authors are not renamed and
//! bylines are not edited), so a cached byline stays right for as long as its paper exists;
//! deleting a paper forgets it. Lists then cost one statement for the page, and bylines only
//! for papers not seen recently. Each instance keeps its own cache: with several instances on
//! one database nothing needs invalidating across them, because nothing cached ever changes.

use std::collections::HashMap;
use std::sync::Arc;

use entity::author;
use sea_orm::ConnectionTrait;

use crate::error::AppResult;

use super::authors;

/// Bylines kept per instance (a byline is a few hundred bytes).
const CACHED_BYLINES: usize = 50_000;

/// A paper's authors, in byline order, shared without copying.
pub type Byline = Arc<[Arc<author::Model>]>;

/// Recently used bylines, by paper id.
pub struct BylineCache(quick_cache::sync::Cache<i64, Byline>);

impl Default for BylineCache {
    fn default() -> Self {
        Self(quick_cache::sync::Cache::new(CACHED_BYLINES))
    }
}

impl BylineCache {
    /// Drops a paper's byline (when the paper is deleted).
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
    paper_ids: &[i64],
) -> AppResult<HashMap<i64, Byline>> {
    let mut found = HashMap::with_capacity(paper_ids.len());
    let mut missing = Vec::new();
    for id in paper_ids {
        match cache.0.get(id) {
            Some(byline) => {
                found.insert(*id, byline);
            }
            None => missing.push(*id),
        }
    }
    if missing.is_empty() {
        return Ok(found);
    }
    let mut loaded = authors::bylines(db, &missing).await?;
    for id in missing {
        let byline: Byline = loaded
            .remove(&id)
            .unwrap_or_default()
            .into_iter()
            .map(Arc::new)
            .collect();
        cache.0.insert(id, Arc::clone(&byline));
        found.insert(id, byline);
    }
    Ok(found)
}
