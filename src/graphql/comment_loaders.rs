//! Batch loaders of the discussion: comments by id, the viewer's comment upvotes, and the
//! first page of many threads at once (one statement per nested list).

use std::collections::HashMap;

use async_graphql::dataloader::Loader;
use entity::{comment, paper};

use crate::services::comments::{self, CommentList, ThreadRow};
use crate::services::papers;

use super::loaders::{DbLoader, SharedError, failed, group_by_limit, unique};

/// A comment by id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct CommentById(pub i64);

/// A paper by id (a comment's paper).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct PaperById(pub i64);

/// Whether `user_id` has upvoted `comment_id`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct HasUpvotedComment {
    pub user_id: i64,
    pub comment_id: i64,
}

/// The first `limit` comments of an owner's list (a paper's, a comment's replies, a
/// user's) with their authors and whether `viewer` upvoted them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct FirstCommentsOf {
    pub list: CommentList,
    pub owner_id: i64,
    pub limit: u64,
    pub viewer: Option<i64>,
}

impl Loader<CommentById> for DbLoader {
    type Value = comment::Model;
    type Error = SharedError;

    #[tracing::instrument(target = "paperboard", name = "load CommentById", level = "debug", skip_all, fields(keys = keys.len()))]
    async fn load(
        &self,
        keys: &[CommentById],
    ) -> Result<HashMap<CommentById, comment::Model>, SharedError> {
        let ids = unique(keys.iter().map(|key| key.0));
        let found = comments::by_ids(self.db.reader(), &ids)
            .await
            .map_err(failed)?;
        Ok(found
            .into_iter()
            .map(|(id, comment)| (CommentById(id), comment))
            .collect())
    }
}

impl Loader<PaperById> for DbLoader {
    type Value = paper::Model;
    type Error = SharedError;

    #[tracing::instrument(target = "paperboard", name = "load PaperById", level = "debug", skip_all, fields(keys = keys.len()))]
    async fn load(
        &self,
        keys: &[PaperById],
    ) -> Result<HashMap<PaperById, paper::Model>, SharedError> {
        let ids = unique(keys.iter().map(|key| key.0));
        let found = papers::by_ids(self.db.reader(), &ids)
            .await
            .map_err(failed)?;
        Ok(found
            .into_iter()
            .map(|(id, paper)| (PaperById(id), paper))
            .collect())
    }
}

impl Loader<HasUpvotedComment> for DbLoader {
    type Value = bool;
    type Error = SharedError;

    #[tracing::instrument(target = "paperboard", name = "load HasUpvotedComment", level = "debug", skip_all, fields(keys = keys.len()))]
    async fn load(
        &self,
        keys: &[HasUpvotedComment],
    ) -> Result<HashMap<HasUpvotedComment, bool>, SharedError> {
        // In practice one viewer: one statement.
        let mut by_user: HashMap<i64, Vec<i64>> = HashMap::new();
        for key in keys {
            by_user.entry(key.user_id).or_default().push(key.comment_id);
        }
        let mut answers = HashMap::with_capacity(keys.len());
        for (user_id, comment_ids) in by_user {
            let upvoted = comments::upvoted_by(self.db.reader(), user_id, &comment_ids)
                .await
                .map_err(failed)?;
            for comment_id in comment_ids {
                let key = HasUpvotedComment {
                    user_id,
                    comment_id,
                };
                answers.insert(key, upvoted.contains(&comment_id));
            }
        }
        Ok(answers)
    }
}

/// A list as one viewer reads it.
type ListFor = (CommentList, Option<i64>);

impl Loader<FirstCommentsOf> for DbLoader {
    type Value = Vec<ThreadRow>;
    type Error = SharedError;

    #[tracing::instrument(target = "paperboard", name = "load FirstCommentsOf", level = "debug", skip_all, fields(keys = keys.len()))]
    async fn load(
        &self,
        keys: &[FirstCommentsOf],
    ) -> Result<HashMap<FirstCommentsOf, Vec<ThreadRow>>, SharedError> {
        // One statement per (list, viewer, page size): in practice one per nested field.
        let mut lists: HashMap<ListFor, Vec<(u64, i64)>> = HashMap::new();
        for key in keys {
            lists
                .entry((key.list, key.viewer))
                .or_default()
                .push((key.limit, key.owner_id));
        }
        let mut pages = HashMap::with_capacity(keys.len());
        for ((list, viewer), owners) in lists {
            for (limit, ids) in group_by_limit(owners.into_iter()) {
                let mut found = comments::first_pages(self.db.reader(), list, &ids, limit, viewer)
                    .await
                    .map_err(failed)?;
                for owner_id in ids {
                    let key = FirstCommentsOf {
                        list,
                        owner_id,
                        limit,
                        viewer,
                    };
                    pages.insert(key, found.remove(&owner_id).unwrap_or_default());
                }
            }
        }
        Ok(pages)
    }
}
