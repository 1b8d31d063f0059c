//! Rate limits and login throttles shared by every instance on one PostgreSQL database.
//!
//! The tables are UNLOGGED: they are written on every limited action, and losing them in a
//! crash only forgets some counts. SQLite serves one instance, which counts in memory, so
//! they exist only on PostgreSQL.

use sea_orm_migration::prelude::*;

use crate::per_backend::per_backend_migration;

#[derive(DeriveMigrationName)]
pub struct Migration;

const POSTGRES_UP: &[&str] = &[
    "CREATE UNLOGGED TABLE rate_buckets (
        key text NOT NULL CONSTRAINT pk_rate_buckets PRIMARY KEY,
        tokens double precision NOT NULL,
        allowed boolean NOT NULL,
        updated_at timestamptz NOT NULL
    )",
    "CREATE UNLOGGED TABLE login_failures (
        key text NOT NULL CONSTRAINT pk_login_failures PRIMARY KEY,
        failures integer NOT NULL,
        last_failure timestamptz NOT NULL,
        blocked_until timestamptz NOT NULL
    )",
];

const POSTGRES_DOWN: &[&str] = &["DROP TABLE login_failures", "DROP TABLE rate_buckets"];

per_backend_migration!(up: &[], POSTGRES_UP; down: &[], POSTGRES_DOWN);
