//! Moderation: bans on accounts (`ban_reason` set while banned; `banned_until` null for a
//! ban without end), reports of comments and papers (at most one open report per reporter
//! and target, enforced by a partial unique index), and the public log of every moderator
//! action, newest first by id. Every foreign key has an index, so deleting an account
//! never scans these tables.

use sea_orm_migration::prelude::*;

use crate::per_backend::per_backend_migration;

#[derive(DeriveMigrationName)]
pub struct Migration;

const SQLITE_UP: &[&str] = &[
    "ALTER TABLE users ADD COLUMN ban_reason text NULL",
    "ALTER TABLE users ADD COLUMN banned_until timestamp_with_timezone_text NULL",
    "CREATE TABLE reports (
        id integer NOT NULL PRIMARY KEY AUTOINCREMENT,
        reporter_id integer NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        target_kind text NOT NULL,
        target_id integer NOT NULL,
        reason text NOT NULL,
        status text NOT NULL DEFAULT 'OPEN',
        action text NULL,
        created_at timestamp_with_timezone_text NOT NULL,
        resolved_at timestamp_with_timezone_text NULL,
        resolved_by integer NULL REFERENCES users (id) ON DELETE SET NULL
    )",
    "CREATE UNIQUE INDEX idx_reports_one_open
        ON reports (reporter_id, target_kind, target_id) WHERE status = 'OPEN'",
    "CREATE INDEX idx_reports_status ON reports (status, id)",
    "CREATE INDEX idx_reports_target ON reports (target_kind, target_id)",
    "CREATE INDEX idx_reports_reporter ON reports (reporter_id)",
    "CREATE INDEX idx_reports_resolved_by ON reports (resolved_by)",
    "CREATE TABLE moderation_log (
        id integer NOT NULL PRIMARY KEY AUTOINCREMENT,
        moderator_id integer NULL REFERENCES users (id) ON DELETE SET NULL,
        action text NOT NULL,
        target_kind text NOT NULL,
        target_id integer NOT NULL,
        reason text NULL,
        created_at timestamp_with_timezone_text NOT NULL
    )",
    "CREATE INDEX idx_moderation_log_moderator ON moderation_log (moderator_id)",
];

const POSTGRES_UP: &[&str] = &[
    "ALTER TABLE users ADD COLUMN ban_reason text NULL",
    "ALTER TABLE users ADD COLUMN banned_until timestamptz NULL",
    "CREATE TABLE reports (
        id bigserial PRIMARY KEY,
        reporter_id bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        target_kind text NOT NULL,
        target_id bigint NOT NULL,
        reason text NOT NULL,
        status text NOT NULL DEFAULT 'OPEN',
        action text NULL,
        created_at timestamptz NOT NULL,
        resolved_at timestamptz NULL,
        resolved_by bigint NULL REFERENCES users (id) ON DELETE SET NULL
    )",
    "CREATE UNIQUE INDEX idx_reports_one_open
        ON reports (reporter_id, target_kind, target_id) WHERE status = 'OPEN'",
    "CREATE INDEX idx_reports_status ON reports (status, id)",
    "CREATE INDEX idx_reports_target ON reports (target_kind, target_id)",
    "CREATE INDEX idx_reports_reporter ON reports (reporter_id)",
    "CREATE INDEX idx_reports_resolved_by ON reports (resolved_by)",
    "CREATE TABLE moderation_log (
        id bigserial PRIMARY KEY,
        moderator_id bigint NULL REFERENCES users (id) ON DELETE SET NULL,
        action text NOT NULL,
        target_kind text NOT NULL,
        target_id bigint NOT NULL,
        reason text NULL,
        created_at timestamptz NOT NULL
    )",
    "CREATE INDEX idx_moderation_log_moderator ON moderation_log (moderator_id)",
];

const DOWN: &[&str] = &[
    "DROP TABLE moderation_log",
    "DROP TABLE reports",
    "ALTER TABLE users DROP COLUMN banned_until",
    "ALTER TABLE users DROP COLUMN ban_reason",
];

per_backend_migration!(up: SQLITE_UP, POSTGRES_UP; down: DOWN, DOWN);
