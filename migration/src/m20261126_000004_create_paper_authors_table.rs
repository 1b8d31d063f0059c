//! The ordered byline of each paper.

use sea_orm_migration::{prelude::*, schema::*};

use crate::m20261126_000002_create_authors_table::Authors;
use crate::m20261126_000003_create_papers_table::Papers;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(PaperAuthors::Table)
                    .col(big_integer(PaperAuthors::PaperId))
                    .col(integer(PaperAuthors::Position))
                    .col(big_integer(PaperAuthors::AuthorId))
                    .primary_key(
                        Index::create()
                            .name("pk-paper_authors")
                            .col(PaperAuthors::PaperId)
                            .col(PaperAuthors::Position),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk-paper_authors-paper_id")
                            .from(PaperAuthors::Table, PaperAuthors::PaperId)
                            .to(Papers::Table, Papers::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk-paper_authors-author_id")
                            .from(PaperAuthors::Table, PaperAuthors::AuthorId)
                            .to(Authors::Table, Authors::Id)
                            .on_delete(ForeignKeyAction::Restrict),
                    )
                    .to_owned(),
            )
            .await?;
        // An author appears once per byline; the index also serves an author's papers.
        manager
            .create_index(
                Index::create()
                    .name("uq-paper_authors-author_id-paper_id")
                    .table(PaperAuthors::Table)
                    .col(PaperAuthors::AuthorId)
                    .col(PaperAuthors::PaperId)
                    .unique()
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(PaperAuthors::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum PaperAuthors {
    Table,
    PaperId,
    Position,
    AuthorId,
}
