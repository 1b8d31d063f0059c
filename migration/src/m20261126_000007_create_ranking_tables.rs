//! The ranking refresh: `ranking_queue` holds papers whose upvotes changed since the last
//! refresh; `ranking_state` holds the refresh generation, which cursors of ranked lists
//! carry so that a walk never mixes two rankings.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // No foreign key: a queued paper may be deleted before the refresh sees it.
        manager
            .create_table(
                Table::create()
                    .table(RankingQueue::Table)
                    .col(big_integer(RankingQueue::PaperId).primary_key())
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(RankingState::Table)
                    .col(integer(RankingState::Id).primary_key())
                    .col(big_integer(RankingState::Generation).default(1))
                    .to_owned(),
            )
            .await?;
        manager
            .exec_stmt(
                Query::insert()
                    .into_table(RankingState::Table)
                    .columns([RankingState::Id, RankingState::Generation])
                    .values_panic([1.into(), 1.into()])
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(RankingState::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(RankingQueue::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum RankingQueue {
    Table,
    PaperId,
}

#[derive(DeriveIden)]
enum RankingState {
    Table,
    Id,
    Generation,
}
