//! Batch loaders of the personal layer: whether the viewer saved a page of papers or
//! follows a page of authors, users or categories, and how many follow each — one
//! statement per relation per page.

use std::collections::HashMap;

use async_graphql::dataloader::Loader;
use entity::author;

use crate::services::authors;

use crate::services::follows::{self, FOLLOWED_AUTHORS, FOLLOWED_USERS, Followed};
use crate::services::saves;

use super::loaders::{DbLoader, SharedError, failed, unique};

/// Whether `user_id` has saved `paper_id`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct HasSaved {
    pub user_id: i64,
    pub paper_id: i64,
}

/// An author by id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct AuthorById(pub i64);

impl Loader<AuthorById> for DbLoader {
    type Value = author::Model;
    type Error = SharedError;

    #[tracing::instrument(target = "paperboard", name = "load AuthorById", level = "debug", skip_all, fields(keys = keys.len()))]
    async fn load(
        &self,
        keys: &[AuthorById],
    ) -> Result<HashMap<AuthorById, author::Model>, SharedError> {
        let ids = unique(keys.iter().map(|key| key.0));
        let found = authors::by_ids(self.db.reader(), &ids)
            .await
            .map_err(failed)?;
        Ok(found
            .into_iter()
            .map(|(id, author)| (AuthorById(id), author))
            .collect())
    }
}

/// How many users follow a target.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct FollowerCount(pub Followed);

/// Whether `viewer` follows a target.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ViewerFollows {
    pub viewer: i64,
    pub target: Followed,
}

impl Loader<HasSaved> for DbLoader {
    type Value = bool;
    type Error = SharedError;

    #[tracing::instrument(target = "paperboard", name = "load HasSaved", level = "debug", skip_all, fields(keys = keys.len()))]
    async fn load(&self, keys: &[HasSaved]) -> Result<HashMap<HasSaved, bool>, SharedError> {
        let mut answers = HashMap::with_capacity(keys.len());
        // In practice one viewer: one statement.
        for user_id in unique(keys.iter().map(|key| key.user_id)) {
            let paper_ids = unique(
                keys.iter()
                    .filter(|key| key.user_id == user_id)
                    .map(|key| key.paper_id),
            );
            let saved = saves::saved_among(self.db.reader(), user_id, &paper_ids)
                .await
                .map_err(failed)?;
            for paper_id in paper_ids {
                let key = HasSaved { user_id, paper_id };
                answers.insert(key, saved.contains(&paper_id));
            }
        }
        Ok(answers)
    }
}

/// The targets of each kind among `targets`: (authors, users, categories).
fn by_kind<'a>(targets: impl Iterator<Item = &'a Followed>) -> (Vec<i64>, Vec<i64>, Vec<String>) {
    let (mut authors, mut users, mut categories) = (Vec::new(), Vec::new(), Vec::new());
    for target in targets {
        match target {
            Followed::Author(id) => authors.push(*id),
            Followed::User(id) => users.push(*id),
            Followed::Category(code) => categories.push(code.clone()),
        }
    }
    categories.sort_unstable();
    categories.dedup();
    (
        unique(authors.into_iter()),
        unique(users.into_iter()),
        categories,
    )
}

impl Loader<FollowerCount> for DbLoader {
    type Value = i64;
    type Error = SharedError;

    #[tracing::instrument(target = "paperboard", name = "load FollowerCount", level = "debug", skip_all, fields(keys = keys.len()))]
    async fn load(
        &self,
        keys: &[FollowerCount],
    ) -> Result<HashMap<FollowerCount, i64>, SharedError> {
        let db = self.db.reader();
        let (authors, users, categories) = by_kind(keys.iter().map(|key| &key.0));
        let author_counts = FOLLOWED_AUTHORS
            .counts_by_listed(db, &authors)
            .await
            .map_err(failed)?;
        let user_counts = FOLLOWED_USERS
            .counts_by_listed(db, &users)
            .await
            .map_err(failed)?;
        let category_counts = follows::category_follower_counts(db, &categories)
            .await
            .map_err(failed)?;
        Ok(keys
            .iter()
            .map(|key| {
                let count = match &key.0 {
                    Followed::Author(id) => author_counts.get(id),
                    Followed::User(id) => user_counts.get(id),
                    Followed::Category(code) => category_counts.get(code),
                };
                (key.clone(), count.copied().unwrap_or(0))
            })
            .collect())
    }
}

impl Loader<ViewerFollows> for DbLoader {
    type Value = bool;
    type Error = SharedError;

    #[tracing::instrument(target = "paperboard", name = "load ViewerFollows", level = "debug", skip_all, fields(keys = keys.len()))]
    async fn load(
        &self,
        keys: &[ViewerFollows],
    ) -> Result<HashMap<ViewerFollows, bool>, SharedError> {
        let db = self.db.reader();
        let mut answers = HashMap::with_capacity(keys.len());
        // In practice one viewer: a statement per kind of target on the page.
        for viewer in unique(keys.iter().map(|key| key.viewer)) {
            let targets = keys.iter().filter(|key| key.viewer == viewer);
            let (authors, users, categories) = by_kind(targets.clone().map(|key| &key.target));
            let authors = FOLLOWED_AUTHORS
                .linked_among(db, viewer, &authors)
                .await
                .map_err(failed)?;
            let users = FOLLOWED_USERS
                .linked_among(db, viewer, &users)
                .await
                .map_err(failed)?;
            let categories = follows::followed_among(db, viewer, &categories)
                .await
                .map_err(failed)?;
            for key in targets {
                let follows = match &key.target {
                    Followed::Author(id) => authors.contains(id),
                    Followed::User(id) => users.contains(id),
                    Followed::Category(code) => categories.contains(code),
                };
                answers.insert(key.clone(), follows);
            }
        }
        Ok(answers)
    }
}
