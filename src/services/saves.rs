//! Bookmarks: a user's saved papers, newest save first, visible to that user only.

use std::collections::HashSet;

use entity::{paper, saved_paper};
use sea_orm::sea_query::OnConflict;
use sea_orm::{ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};

use crate::clock;
use crate::error::{AppError, AppResult};
use crate::pagination::{Page, PageRequest};

use super::links::{LinkTable, Linked};
use super::{Context, papers, sql};

/// The saved papers of a user.
pub const SAVED_PAPERS: LinkTable = LinkTable {
    table: "saved_papers",
    owner: "user_id",
    listed: "paper_id",
    listed_table: "papers",
};

/// `user_id` saves `paper_id`; saving it again changes nothing.
///
/// # Errors
/// `NOT_FOUND` when there is no such paper.
pub async fn save(ctx: Context<'_>, user_id: i64, paper_id: i64) -> AppResult<paper::Model> {
    let row = saved_paper::ActiveModel {
        user_id: Set(user_id),
        paper_id: Set(paper_id),
        created_at: Set(clock::stored(clock::now())),
    };
    saved_paper::Entity::insert(row)
        .on_conflict(
            OnConflict::columns([saved_paper::Column::UserId, saved_paper::Column::PaperId])
                .do_nothing()
                .to_owned(),
        )
        .exec_without_returning(ctx.db.writer())
        .await
        .map_err(sql::missing("paper"))?;
    saved_paper_of(ctx, paper_id).await
}

/// `user_id` unsaves `paper_id`; unsaving a paper that is not saved changes nothing.
///
/// # Errors
/// `NOT_FOUND` when there is no such paper.
pub async fn unsave(ctx: Context<'_>, user_id: i64, paper_id: i64) -> AppResult<paper::Model> {
    saved_paper::Entity::delete_many()
        .filter(saved_paper::Column::UserId.eq(user_id))
        .filter(saved_paper::Column::PaperId.eq(paper_id))
        .exec(ctx.db.writer())
        .await?;
    saved_paper_of(ctx, paper_id).await
}

async fn saved_paper_of(ctx: Context<'_>, paper_id: i64) -> AppResult<paper::Model> {
    papers::by_id(ctx.db.writer(), paper_id)
        .await?
        .ok_or(AppError::NotFound { resource: "paper" })
}

/// Which of `paper_ids` `user_id` has saved.
///
/// # Errors
/// `INTERNAL_SERVER_ERROR` on database failure.
pub async fn saved_among(
    db: &impl ConnectionTrait,
    user_id: i64,
    paper_ids: &[i64],
) -> AppResult<HashSet<i64>> {
    SAVED_PAPERS.linked_among(db, user_id, paper_ids).await
}

/// A page of `user_id`'s saved papers, newest save first.
///
/// # Errors
/// `BAD_USER_INPUT` for an out-of-range cursor; `INTERNAL_SERVER_ERROR` on database failure.
pub async fn saved_papers(
    db: &impl ConnectionTrait,
    user_id: i64,
    request: &PageRequest,
) -> AppResult<Page<Linked<paper::Model>>> {
    SAVED_PAPERS.page(db, user_id, request).await
}
