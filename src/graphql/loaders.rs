//! Batch loaders for every relation a list fans out on: one statement per relation per
//! page, whatever the page size.
//!
//! One `DbLoader` serves every key type. A caching loader is made for each request (see
//! [`for_request`]), so a value is loaded once per request and never outlives it (or the
//! viewer it was loaded for).

use std::collections::HashMap;
use std::sync::Arc;

use async_graphql::dataloader::{DataLoader, HashMapCache, Loader};
use entity::{paper, user};

use crate::db::Database;
use crate::error::AppError;
use crate::services::bylines::{self, Byline, BylineCache, BylineKey};
use crate::services::papers::{self, PaperOwner};
use crate::services::upvotes::{self, UpvoteList, Upvoted};
use crate::services::{categories, users};
use crate::state::AppState;

/// A loader error, shareable between the resolvers that waited on one batch.
#[derive(Debug, Clone)]
pub struct SharedError(Arc<AppError>);

impl From<AppError> for SharedError {
    fn from(error: AppError) -> Self {
        Self(Arc::new(error))
    }
}

impl From<SharedError> for async_graphql::Error {
    fn from(error: SharedError) -> Self {
        // Logged once, when the batch failed.
        error.0.graphql_error()
    }
}

pub(super) fn failed(error: AppError) -> SharedError {
    if let AppError::Internal(cause) = &error {
        tracing::error!(error = %cause, "batch load failed");
    }
    error.into()
}

/// The database (and byline cache) behind every batch.
pub struct DbLoader {
    pub(super) db: Database,
    bylines: Arc<BylineCache>,
}

/// The loader type requests carry.
pub type RequestLoader = DataLoader<DbLoader, HashMapCache>;

/// A fresh caching loader for one request (or one subscription event).
pub fn for_request(state: &AppState) -> RequestLoader {
    let loader = DbLoader {
        db: state.db.clone(),
        bylines: Arc::clone(&state.bylines),
    };
    // Batches run in tasks of their own, within the span of the resolver that asked.
    let spawn = |batch: futures_util::future::BoxFuture<'static, ()>| {
        tokio::spawn(tracing::Instrument::in_current_span(batch))
    };
    DataLoader::with_cache(loader, spawn, HashMapCache::default())
}

/// A user by id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct UserById(pub i64);

/// Whether `user_id` has upvoted `paper_id`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct HasUpvoted {
    pub user_id: i64,
    pub paper_id: i64,
}

/// The number of upvote rows of a paper (its upvoters) or of a user (their upvotes).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct UpvoteCountOf(pub UpvoteList, pub i64);

/// The first `limit` upvoters of a paper.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct FirstUpvotersOf {
    pub paper_id: i64,
    pub limit: u64,
}

/// The first `limit` papers a user upvoted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct FirstUpvotedBy {
    pub user_id: i64,
    pub limit: u64,
}

/// The byline of a paper at a revision.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct BylineOf(pub BylineKey);

/// The category codes of a paper, the primary first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct CategoriesOf(pub i64);

/// The number of papers listed in a category.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct PaperCountIn(pub String);

/// The number of papers of an author or submitter.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct PaperCountOf(pub PaperOwner, pub i64);

/// The first `limit` papers of an author or submitter.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct FirstPapersOf {
    pub owner: PaperOwner,
    pub owner_id: i64,
    pub limit: u64,
}

impl Loader<UserById> for DbLoader {
    type Value = user::Model;
    type Error = SharedError;

    #[tracing::instrument(target = "paperboard", name = "load UserById", level = "debug", skip_all, fields(keys = keys.len()))]
    async fn load(&self, keys: &[UserById]) -> Result<HashMap<UserById, user::Model>, SharedError> {
        let ids: Vec<i64> = keys.iter().map(|key| key.0).collect();
        let found = users::by_ids(self.db.reader(), &ids)
            .await
            .map_err(failed)?;
        Ok(found
            .into_iter()
            .map(|(id, user)| (UserById(id), user))
            .collect())
    }
}

impl Loader<BylineOf> for DbLoader {
    type Value = Byline;
    type Error = SharedError;

    #[tracing::instrument(target = "paperboard", name = "load BylineOf", level = "debug", skip_all, fields(keys = keys.len()))]
    async fn load(&self, keys: &[BylineOf]) -> Result<HashMap<BylineOf, Byline>, SharedError> {
        let wanted: Vec<BylineKey> = keys.iter().map(|key| key.0).collect();
        let mut bylines = bylines::load(self.db.reader(), &self.bylines, &wanted)
            .await
            .map_err(failed)?;
        Ok(keys
            .iter()
            .filter_map(|key| Some((*key, bylines.remove(&key.0.paper_id)?)))
            .collect())
    }
}

impl Loader<CategoriesOf> for DbLoader {
    type Value = Vec<String>;
    type Error = SharedError;

    #[tracing::instrument(target = "paperboard", name = "load CategoriesOf", level = "debug", skip_all, fields(keys = keys.len()))]
    async fn load(
        &self,
        keys: &[CategoriesOf],
    ) -> Result<HashMap<CategoriesOf, Vec<String>>, SharedError> {
        let ids: Vec<i64> = keys.iter().map(|key| key.0).collect();
        let listed = categories::of_papers(self.db.reader(), &ids)
            .await
            .map_err(failed)?;
        Ok(listed
            .into_iter()
            .map(|(paper_id, codes)| (CategoriesOf(paper_id), codes))
            .collect())
    }
}

impl Loader<PaperCountIn> for DbLoader {
    type Value = i32;
    type Error = SharedError;

    #[tracing::instrument(target = "paperboard", name = "load PaperCountIn", level = "debug", skip_all, fields(keys = keys.len()))]
    async fn load(&self, keys: &[PaperCountIn]) -> Result<HashMap<PaperCountIn, i32>, SharedError> {
        let codes: Vec<String> = keys.iter().map(|key| key.0.clone()).collect();
        let counts = categories::paper_counts(self.db.reader(), &codes)
            .await
            .map_err(failed)?;
        Ok(counts
            .into_iter()
            .map(|(code, count)| (PaperCountIn(code), count))
            .collect())
    }
}

impl Loader<PaperCountOf> for DbLoader {
    type Value = i64;
    type Error = SharedError;

    #[tracing::instrument(target = "paperboard", name = "load PaperCountOf", level = "debug", skip_all, fields(keys = keys.len()))]
    async fn load(&self, keys: &[PaperCountOf]) -> Result<HashMap<PaperCountOf, i64>, SharedError> {
        let mut counts = HashMap::with_capacity(keys.len());
        for owner in [PaperOwner::Author, PaperOwner::Submitter] {
            let ids: Vec<i64> = keys.iter().filter(|k| k.0 == owner).map(|k| k.1).collect();
            if ids.is_empty() {
                continue;
            }
            let found = papers::paper_counts_of(self.db.reader(), owner, &ids)
                .await
                .map_err(failed)?;
            // Owners without papers have no row: their count is zero.
            counts.extend(ids.into_iter().map(|id| {
                (
                    PaperCountOf(owner, id),
                    found.get(&id).copied().unwrap_or(0),
                )
            }));
        }
        Ok(counts)
    }
}

impl Loader<FirstPapersOf> for DbLoader {
    type Value = Vec<paper::Model>;
    type Error = SharedError;

    #[tracing::instrument(target = "paperboard", name = "load FirstPapersOf", level = "debug", skip_all, fields(keys = keys.len()))]
    async fn load(
        &self,
        keys: &[FirstPapersOf],
    ) -> Result<HashMap<FirstPapersOf, Vec<paper::Model>>, SharedError> {
        // One statement per (owner kind, page size): in practice one per nested field.
        let mut groups: HashMap<(PaperOwner, u64), Vec<i64>> = HashMap::new();
        for key in keys {
            groups
                .entry((key.owner, key.limit))
                .or_default()
                .push(key.owner_id);
        }
        let mut pages = HashMap::with_capacity(keys.len());
        for ((owner, limit), ids) in groups {
            let mut found = papers::first_papers_of(self.db.reader(), owner, &ids, limit)
                .await
                .map_err(failed)?;
            for owner_id in ids {
                let key = FirstPapersOf {
                    owner,
                    owner_id,
                    limit,
                };
                pages.insert(key, found.remove(&owner_id).unwrap_or_default());
            }
        }
        Ok(pages)
    }
}

impl Loader<HasUpvoted> for DbLoader {
    type Value = bool;
    type Error = SharedError;

    #[tracing::instrument(target = "paperboard", name = "load HasUpvoted", level = "debug", skip_all, fields(keys = keys.len()))]
    async fn load(&self, keys: &[HasUpvoted]) -> Result<HashMap<HasUpvoted, bool>, SharedError> {
        let users: Vec<i64> = unique(keys.iter().map(|key| key.user_id));
        let papers: Vec<i64> = unique(keys.iter().map(|key| key.paper_id));
        let upvoted = upvotes::upvoted_pairs(self.db.reader(), &users, &papers)
            .await
            .map_err(failed)?;
        Ok(keys
            .iter()
            .map(|key| (*key, upvoted.contains(&(key.user_id, key.paper_id))))
            .collect())
    }
}

impl Loader<UpvoteCountOf> for DbLoader {
    type Value = i64;
    type Error = SharedError;

    #[tracing::instrument(target = "paperboard", name = "load UpvoteCountOf", level = "debug", skip_all, fields(keys = keys.len()))]
    async fn load(
        &self,
        keys: &[UpvoteCountOf],
    ) -> Result<HashMap<UpvoteCountOf, i64>, SharedError> {
        let mut counts = HashMap::with_capacity(keys.len());
        for list in [UpvoteList::UpvotersOf, UpvoteList::UpvotedBy] {
            let ids: Vec<i64> = keys.iter().filter(|k| k.0 == list).map(|k| k.1).collect();
            if ids.is_empty() {
                continue;
            }
            let found = upvotes::counts(self.db.reader(), list, &ids)
                .await
                .map_err(failed)?;
            counts.extend(ids.into_iter().map(|id| {
                (
                    UpvoteCountOf(list, id),
                    found.get(&id).copied().unwrap_or(0),
                )
            }));
        }
        Ok(counts)
    }
}

impl Loader<FirstUpvotersOf> for DbLoader {
    type Value = Vec<Upvoted<user::Model>>;
    type Error = SharedError;

    #[tracing::instrument(target = "paperboard", name = "load FirstUpvotersOf", level = "debug", skip_all, fields(keys = keys.len()))]
    async fn load(
        &self,
        keys: &[FirstUpvotersOf],
    ) -> Result<HashMap<FirstUpvotersOf, Self::Value>, SharedError> {
        let groups = group_by_limit(keys.iter().map(|key| (key.limit, key.paper_id)));
        let mut pages = HashMap::with_capacity(keys.len());
        for (limit, ids) in groups {
            let mut found =
                upvotes::first_pages(self.db.reader(), UpvoteList::UpvotersOf, &ids, limit)
                    .await
                    .map_err(failed)?;
            for paper_id in ids {
                let key = FirstUpvotersOf { paper_id, limit };
                pages.insert(key, found.remove(&paper_id).unwrap_or_default());
            }
        }
        Ok(pages)
    }
}

impl Loader<FirstUpvotedBy> for DbLoader {
    type Value = Vec<Upvoted<paper::Model>>;
    type Error = SharedError;

    #[tracing::instrument(target = "paperboard", name = "load FirstUpvotedBy", level = "debug", skip_all, fields(keys = keys.len()))]
    async fn load(
        &self,
        keys: &[FirstUpvotedBy],
    ) -> Result<HashMap<FirstUpvotedBy, Self::Value>, SharedError> {
        let groups = group_by_limit(keys.iter().map(|key| (key.limit, key.user_id)));
        let mut pages = HashMap::with_capacity(keys.len());
        for (limit, ids) in groups {
            let mut found =
                upvotes::first_pages(self.db.reader(), UpvoteList::UpvotedBy, &ids, limit)
                    .await
                    .map_err(failed)?;
            for user_id in ids {
                let key = FirstUpvotedBy { user_id, limit };
                pages.insert(key, found.remove(&user_id).unwrap_or_default());
            }
        }
        Ok(pages)
    }
}

/// Owner ids grouped by page size: one statement per size (in practice, per field).
pub(super) fn group_by_limit(keys: impl Iterator<Item = (u64, i64)>) -> HashMap<u64, Vec<i64>> {
    let mut groups: HashMap<u64, Vec<i64>> = HashMap::new();
    for (limit, owner_id) in keys {
        groups.entry(limit).or_default().push(owner_id);
    }
    groups
}

pub(super) fn unique(ids: impl Iterator<Item = i64>) -> Vec<i64> {
    let mut ids: Vec<i64> = ids.collect();
    ids.sort_unstable();
    ids.dedup();
    ids
}
