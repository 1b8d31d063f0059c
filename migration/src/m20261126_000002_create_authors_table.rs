//! Authors as printed on papers: one printed name is one author record.

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
                    .table(Authors::Table)
                    .col(big_pk_auto(Authors::Id))
                    .col(string_len(Authors::Name, 200))
                    .col(string_len(Authors::NameKey, 200))
                    .col(big_integer_null(Authors::UserId))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk-authors-user_id")
                            .from(Authors::Table, Authors::UserId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::SetNull),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("uq-authors-name")
                    .table(Authors::Table)
                    .col(Authors::Name)
                    .unique()
                    .to_owned(),
            )
            .await?;
        // Alphabetical listing and case-insensitive lookups walk this index.
        manager
            .create_index(
                Index::create()
                    .name("idx-authors-name_key-id")
                    .table(Authors::Table)
                    .col(Authors::NameKey)
                    .col(Authors::Id)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx-authors-user_id")
                    .table(Authors::Table)
                    .col(Authors::UserId)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Authors::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
pub(crate) enum Authors {
    Table,
    Id,
    Name,
    NameKey,
    UserId,
}
