//! Migrations written as SQL per backend, for what the schema builder cannot express
//! (triggers, full-text tables).

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DbBackend, Statement};

/// Runs `postgres` on PostgreSQL and `sqlite` elsewhere, statement by statement.
pub async fn run(
    manager: &SchemaManager<'_>,
    sqlite: &[&str],
    postgres: &[&str],
) -> Result<(), DbErr> {
    let backend = manager.get_database_backend();
    let statements = match backend {
        DbBackend::Postgres => postgres,
        _ => sqlite,
    };
    for sql in statements {
        manager
            .get_connection()
            .execute_raw(Statement::from_string(backend, *sql))
            .await?;
    }
    Ok(())
}

/// Implements `MigrationTrait` for the module's `Migration` as SQL per backend: `up` runs
/// the first list on SQLite and the second on PostgreSQL ([`run`]), `down` likewise.
macro_rules! per_backend_migration {
    (up: $sqlite_up:expr, $postgres_up:expr; down: $sqlite_down:expr, $postgres_down:expr) => {
        #[async_trait::async_trait]
        impl MigrationTrait for Migration {
            async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
                $crate::per_backend::run(manager, $sqlite_up, $postgres_up).await
            }

            async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
                $crate::per_backend::run(manager, $sqlite_down, $postgres_down).await
            }
        }
    };
}

pub(crate) use per_backend_migration;
