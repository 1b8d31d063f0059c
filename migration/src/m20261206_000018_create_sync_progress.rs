//! Where each harvest stands, so that an interrupted `paperboard sync` resumes from its last
//! completed page: the job (source, set and dates), the resumption token of the next page,
//! the pages done, what they stored, revised, left unchanged and skipped, and whether the
//! harvest finished.

use sea_orm_migration::prelude::*;

use crate::per_backend::per_backend_migration;

#[derive(DeriveMigrationName)]
pub struct Migration;

const SQLITE_UP: &[&str] = &["CREATE TABLE sync_progress (
    job text NOT NULL PRIMARY KEY,
    resumption_token text NULL,
    pages integer NOT NULL DEFAULT 0,
    stored integer NOT NULL DEFAULT 0,
    revised integer NOT NULL DEFAULT 0,
    unchanged integer NOT NULL DEFAULT 0,
    skipped integer NOT NULL DEFAULT 0,
    finished boolean NOT NULL DEFAULT FALSE,
    updated_at timestamp_with_timezone_text NOT NULL
)"];

const POSTGRES_UP: &[&str] = &["CREATE TABLE sync_progress (
    job text NOT NULL PRIMARY KEY,
    resumption_token text NULL,
    pages integer NOT NULL DEFAULT 0,
    stored integer NOT NULL DEFAULT 0,
    revised integer NOT NULL DEFAULT 0,
    unchanged integer NOT NULL DEFAULT 0,
    skipped integer NOT NULL DEFAULT 0,
    finished boolean NOT NULL DEFAULT FALSE,
    updated_at timestamptz NOT NULL
)"];

const DOWN: &[&str] = &["DROP TABLE sync_progress"];

per_backend_migration!(up: SQLITE_UP, POSTGRES_UP; down: DOWN, DOWN);
