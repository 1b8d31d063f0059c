//! Ranking history, so that a cursor of a ranked list keeps its order after refreshes:
//! `ranking_history` holds, for each paper a refresh re-ranked, the values it had before
//! (tagged with the generation that replaced them); `ranking_generations` says when each
//! generation began, so history older than the retention period can be pruned.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // No foreign key: a deleted paper's history is pruned with the rest.
        manager
            .create_table(
                Table::create()
                    .table(RankingHistory::Table)
                    .col(big_integer(RankingHistory::PaperId))
                    .col(big_integer(RankingHistory::Generation))
                    .col(integer(RankingHistory::RankCount))
                    .col(double(RankingHistory::HotScore))
                    .primary_key(
                        Index::create()
                            .name("pk-ranking_history")
                            .col(RankingHistory::PaperId)
                            .col(RankingHistory::Generation),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx-ranking_history-generation")
                    .table(RankingHistory::Table)
                    .col(RankingHistory::Generation)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(RankingGenerations::Table)
                    .col(big_integer(RankingGenerations::Generation).primary_key())
                    .col(timestamp_with_time_zone(RankingGenerations::RefreshedAt))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(RankingGenerations::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(RankingHistory::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum RankingHistory {
    Table,
    PaperId,
    Generation,
    RankCount,
    HotScore,
}

#[derive(DeriveIden)]
enum RankingGenerations {
    Table,
    Generation,
    RefreshedAt,
}
