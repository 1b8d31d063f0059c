//! One upvote per (user, paper).

use sea_orm_migration::{prelude::*, schema::*};

use crate::m20261126_000001_create_users_table::Users;
use crate::m20261126_000003_create_papers_table::Papers;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Upvotes::Table)
                    .col(big_integer(Upvotes::UserId))
                    .col(big_integer(Upvotes::PaperId))
                    .col(timestamp_with_time_zone(Upvotes::CreatedAt))
                    .primary_key(
                        Index::create()
                            .name("pk-upvotes")
                            .col(Upvotes::UserId)
                            .col(Upvotes::PaperId),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk-upvotes-user_id")
                            .from(Upvotes::Table, Upvotes::UserId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk-upvotes-paper_id")
                            .from(Upvotes::Table, Upvotes::PaperId)
                            .to(Papers::Table, Papers::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        // A paper's upvoters, newest first.
        manager
            .create_index(
                Index::create()
                    .name("idx-upvotes-paper_id-created_at-user_id")
                    .table(Upvotes::Table)
                    .col(Upvotes::PaperId)
                    .col(Upvotes::CreatedAt)
                    .col(Upvotes::UserId)
                    .to_owned(),
            )
            .await?;
        // A user's upvoted papers, newest upvote first.
        manager
            .create_index(
                Index::create()
                    .name("idx-upvotes-user_id-created_at-paper_id")
                    .table(Upvotes::Table)
                    .col(Upvotes::UserId)
                    .col(Upvotes::CreatedAt)
                    .col(Upvotes::PaperId)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Upvotes::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum Upvotes {
    Table,
    UserId,
    PaperId,
    CreatedAt,
}
