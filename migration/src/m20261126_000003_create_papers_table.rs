//! Papers and the indexes behind every paper list order.
//!
//! Derived columns exist so that each list is an index walk, never a table sort:
//! `submitted_day` (the UTC day of `submitted_at`, for daily lists), `published_order`
//! (`published_at`, or 0001-01-01 when unknown, so that undated papers sort last),
//! `upvote_count` (baseline + upvote rows, always exact), `rank_count` (`upvote_count` as of
//! the last ranking refresh: the key of upvote-ranked lists, frozen between refreshes so
//! that paging is stable), `author_count` (byline length) and `hot_score` (the trending
//! score from `rank_count`; see the `trendingPapers` description).

use sea_orm_migration::{prelude::*, schema::*};

use crate::m20261126_000001_create_users_table::Users;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Papers::Table)
                    .col(big_pk_auto(Papers::Id))
                    .col(string_len_null(Papers::ArxivId, 32))
                    .col(string_len(Papers::Title, 300))
                    .col(text(Papers::Abstract))
                    .col(date_null(Papers::PublishedAt))
                    .col(date(Papers::PublishedOrder))
                    .col(timestamp_with_time_zone(Papers::SubmittedAt))
                    .col(date(Papers::SubmittedDay))
                    .col(big_integer_null(Papers::SubmittedBy))
                    .col(string_len_null(Papers::GithubUrl, 2048))
                    .col(string_len_null(Papers::ProjectUrl, 2048))
                    .col(integer(Papers::UpvoteBaseline).default(0))
                    .col(integer(Papers::UpvoteCount).default(0))
                    .col(integer(Papers::RankCount).default(0))
                    .col(integer(Papers::AuthorCount).default(0))
                    .col(double(Papers::HotScore))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk-papers-submitted_by")
                            .from(Papers::Table, Papers::SubmittedBy)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::SetNull),
                    )
                    .to_owned(),
            )
            .await?;
        create_unique_index(manager, "uq-papers-arxiv_id", &[Papers::ArxivId]).await?;
        create_index(
            manager,
            "idx-papers-submitted_at-id",
            &[Papers::SubmittedAt, Papers::Id],
        )
        .await?;
        create_index(
            manager,
            "idx-papers-published_order-submitted_at-id",
            &[Papers::PublishedOrder, Papers::SubmittedAt, Papers::Id],
        )
        .await?;
        create_index(
            manager,
            "idx-papers-rank_count-id",
            &[Papers::RankCount, Papers::Id],
        )
        .await?;
        create_index(
            manager,
            "idx-papers-submitted_day-rank_count-id",
            &[Papers::SubmittedDay, Papers::RankCount, Papers::Id],
        )
        .await?;
        create_index(
            manager,
            "idx-papers-hot_score-id",
            &[Papers::HotScore, Papers::Id],
        )
        .await?;
        create_index(
            manager,
            "idx-papers-submitted_by-submitted_at-id",
            &[Papers::SubmittedBy, Papers::SubmittedAt, Papers::Id],
        )
        .await?;
        // Imports match records without an arXiv id by exact title.
        create_index(manager, "idx-papers-title", &[Papers::Title]).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Papers::Table).to_owned())
            .await
    }
}

async fn create_index(
    manager: &SchemaManager<'_>,
    name: &str,
    columns: &[Papers],
) -> Result<(), DbErr> {
    let mut index = Index::create();
    index.name(name).table(Papers::Table);
    for column in columns {
        index.col(*column);
    }
    manager.create_index(index).await
}

async fn create_unique_index(
    manager: &SchemaManager<'_>,
    name: &str,
    columns: &[Papers],
) -> Result<(), DbErr> {
    let mut index = Index::create();
    index.name(name).table(Papers::Table).unique();
    for column in columns {
        index.col(*column);
    }
    manager.create_index(index).await
}

#[derive(DeriveIden, Clone, Copy)]
pub(crate) enum Papers {
    Table,
    Id,
    ArxivId,
    Title,
    Abstract,
    PublishedAt,
    PublishedOrder,
    SubmittedAt,
    SubmittedDay,
    SubmittedBy,
    GithubUrl,
    ProjectUrl,
    UpvoteBaseline,
    UpvoteCount,
    RankCount,
    AuthorCount,
    HotScore,
}
