//! What each identity spent of its hourly budget of cost points, per window, summed over
//! every instance (PostgreSQL only: a SQLite database serves one instance, which counts
//! in memory).

use sea_orm_migration::prelude::*;

use crate::per_backend::per_backend_migration;

#[derive(DeriveMigrationName)]
pub struct Migration;

const POSTGRES_UP: &[&str] = &["CREATE TABLE cost_spending (
        identity text NOT NULL,
        window_index bigint NOT NULL,
        points bigint NOT NULL,
        PRIMARY KEY (identity, window_index)
    )"];

const POSTGRES_DOWN: &[&str] = &["DROP TABLE cost_spending"];

per_backend_migration!(up: &[], POSTGRES_UP; down: &[], POSTGRES_DOWN);
