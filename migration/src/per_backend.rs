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
