//! Accounts. Usernames and emails are unique case-insensitively through their `*_key`
//! columns (the lower-cased form), which works the same on SQLite and PostgreSQL.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Users::Table)
                    .col(big_pk_auto(Users::Id))
                    .col(string_len(Users::Username, 32))
                    .col(string_len(Users::UsernameKey, 32))
                    .col(string_len(Users::Email, 254))
                    .col(string_len(Users::EmailKey, 254))
                    .col(string_len_null(Users::DisplayName, 100))
                    .col(text(Users::PasswordHash))
                    .col(string_len(Users::Role, 16).default("USER"))
                    .col(timestamp_with_time_zone(Users::CreatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("uq-users-username_key")
                    .table(Users::Table)
                    .col(Users::UsernameKey)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("uq-users-email_key")
                    .table(Users::Table)
                    .col(Users::EmailKey)
                    .unique()
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Users::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
pub(crate) enum Users {
    Table,
    Id,
    Username,
    UsernameKey,
    Email,
    EmailKey,
    DisplayName,
    PasswordHash,
    Role,
    CreatedAt,
}
