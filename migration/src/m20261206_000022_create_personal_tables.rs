//! The personal layer: saved papers, follows of authors, users and categories, and the
//! notifications inbox.
//!
//! Saves and follows are one row per (user, target), so saving or following twice is a
//! no-op through the primary key; each has an index from the target side for counts and
//! for finding followers when a paper arrives.
//!
//! The personal feed is read, not written (see `services::feed`): it merges the newest
//! papers of each followed source, so every source needs its papers as an index range
//! newest submission first — `paper_authors (author_id, submitted_at, paper_id)`,
//! `paper_categories (code, submitted_at, paper_id)` (which therefore carries its paper's
//! `submitted_at`, kept equal by a trigger like `paper_authors`' keys), and the papers'
//! existing submitter index.
//!
//! Notifications: one row per recipient and event, except for papers by followed authors
//! or users, which gather into one unread row per recipient and kind (`group_key`, unique
//! among unread rows): a burst of 500 papers is one row per follower whose
//! `event_count` says 500. Lists read `(user_id, created_at, id)`; unread counts read a
//! partial index over unread rows.

use sea_orm_migration::prelude::*;

use crate::per_backend::per_backend_migration;

#[derive(DeriveMigrationName)]
pub struct Migration;

const SQLITE_UP: &[&str] = &[
    "CREATE TABLE saved_papers (
        user_id integer NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        paper_id integer NOT NULL REFERENCES papers (id) ON DELETE CASCADE,
        created_at timestamp_with_timezone_text NOT NULL,
        PRIMARY KEY (user_id, paper_id)
    )",
    "CREATE INDEX idx_saved_papers_user_time ON saved_papers (user_id, created_at, paper_id)",
    "CREATE INDEX idx_saved_papers_paper ON saved_papers (paper_id)",
    "CREATE TABLE author_follows (
        user_id integer NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        author_id integer NOT NULL REFERENCES authors (id) ON DELETE CASCADE,
        created_at timestamp_with_timezone_text NOT NULL,
        PRIMARY KEY (user_id, author_id)
    )",
    "CREATE INDEX idx_author_follows_user_time ON author_follows (user_id, created_at, author_id)",
    "CREATE INDEX idx_author_follows_author ON author_follows (author_id, user_id)",
    "CREATE TABLE user_follows (
        follower_id integer NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        user_id integer NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        created_at timestamp_with_timezone_text NOT NULL,
        PRIMARY KEY (follower_id, user_id)
    )",
    "CREATE INDEX idx_user_follows_follower_time ON user_follows (follower_id, created_at, user_id)",
    "CREATE INDEX idx_user_follows_user ON user_follows (user_id, follower_id)",
    "CREATE TABLE category_follows (
        user_id integer NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        code text NOT NULL,
        created_at timestamp_with_timezone_text NOT NULL,
        PRIMARY KEY (user_id, code)
    )",
    "CREATE INDEX idx_category_follows_code ON category_follows (code, user_id)",
    "CREATE INDEX idx_paper_authors_author_submitted
        ON paper_authors (author_id, submitted_at, paper_id)",
    "ALTER TABLE paper_categories ADD COLUMN submitted_at timestamp_with_timezone_text NOT NULL DEFAULT '1970-01-01T00:00:00+00:00'",
    "UPDATE paper_categories SET
        submitted_at = (SELECT p.submitted_at FROM papers p WHERE p.id = paper_categories.paper_id)",
    "CREATE INDEX idx_paper_categories_code_submitted
        ON paper_categories (code, submitted_at, paper_id)",
    "CREATE TRIGGER papers_category_keys AFTER UPDATE OF submitted_at ON papers
     BEGIN
        UPDATE paper_categories SET submitted_at = NEW.submitted_at WHERE paper_id = NEW.id;
     END",
    "CREATE TABLE notifications (
        id integer NOT NULL PRIMARY KEY AUTOINCREMENT,
        user_id integer NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        kind text NOT NULL,
        group_key text NULL,
        event_count integer NOT NULL DEFAULT 1,
        actor_id integer NULL REFERENCES users (id) ON DELETE SET NULL,
        author_id integer NULL REFERENCES authors (id) ON DELETE SET NULL,
        paper_id integer NULL REFERENCES papers (id) ON DELETE CASCADE,
        comment_id integer NULL REFERENCES comments (id) ON DELETE CASCADE,
        created_at timestamp_with_timezone_text NOT NULL,
        read_at timestamp_with_timezone_text NULL
    )",
    "CREATE INDEX idx_notifications_user_time ON notifications (user_id, created_at, id)",
    "CREATE INDEX idx_notifications_unread ON notifications (user_id, id) WHERE read_at IS NULL",
    "CREATE UNIQUE INDEX idx_notifications_open_group
        ON notifications (user_id, group_key) WHERE read_at IS NULL AND group_key IS NOT NULL",
    "CREATE INDEX idx_notifications_actor ON notifications (actor_id)",
    "CREATE INDEX idx_notifications_author ON notifications (author_id)",
    "CREATE INDEX idx_notifications_paper ON notifications (paper_id)",
    "CREATE INDEX idx_notifications_comment ON notifications (comment_id)",
];

const POSTGRES_UP: &[&str] = &[
    "CREATE TABLE saved_papers (
        user_id bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        paper_id bigint NOT NULL REFERENCES papers (id) ON DELETE CASCADE,
        created_at timestamptz NOT NULL,
        PRIMARY KEY (user_id, paper_id)
    )",
    "CREATE INDEX idx_saved_papers_user_time ON saved_papers (user_id, created_at, paper_id)",
    "CREATE INDEX idx_saved_papers_paper ON saved_papers (paper_id)",
    "CREATE TABLE author_follows (
        user_id bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        author_id bigint NOT NULL REFERENCES authors (id) ON DELETE CASCADE,
        created_at timestamptz NOT NULL,
        PRIMARY KEY (user_id, author_id)
    )",
    "CREATE INDEX idx_author_follows_user_time ON author_follows (user_id, created_at, author_id)",
    "CREATE INDEX idx_author_follows_author ON author_follows (author_id, user_id)",
    "CREATE TABLE user_follows (
        follower_id bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        user_id bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        created_at timestamptz NOT NULL,
        PRIMARY KEY (follower_id, user_id)
    )",
    "CREATE INDEX idx_user_follows_follower_time ON user_follows (follower_id, created_at, user_id)",
    "CREATE INDEX idx_user_follows_user ON user_follows (user_id, follower_id)",
    "CREATE TABLE category_follows (
        user_id bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        code text NOT NULL,
        created_at timestamptz NOT NULL,
        PRIMARY KEY (user_id, code)
    )",
    "CREATE INDEX idx_category_follows_code ON category_follows (code, user_id)",
    "CREATE INDEX idx_paper_authors_author_submitted
        ON paper_authors (author_id, submitted_at, paper_id)",
    "ALTER TABLE paper_categories ADD COLUMN submitted_at timestamptz NOT NULL DEFAULT '1970-01-01T00:00:00Z'",
    "UPDATE paper_categories pc SET submitted_at = p.submitted_at
        FROM papers p WHERE p.id = pc.paper_id",
    "CREATE INDEX idx_paper_categories_code_submitted
        ON paper_categories (code, submitted_at, paper_id)",
    "CREATE FUNCTION papers_category_keys() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        UPDATE paper_categories SET submitted_at = NEW.submitted_at WHERE paper_id = NEW.id;
        RETURN NULL;
    END
    $$",
    "CREATE TRIGGER papers_category_keys AFTER UPDATE OF submitted_at ON papers
        FOR EACH ROW WHEN (OLD.submitted_at IS DISTINCT FROM NEW.submitted_at)
        EXECUTE FUNCTION papers_category_keys()",
    "CREATE TABLE notifications (
        id bigserial PRIMARY KEY,
        user_id bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        kind text NOT NULL,
        group_key text NULL,
        event_count integer NOT NULL DEFAULT 1,
        actor_id bigint NULL REFERENCES users (id) ON DELETE SET NULL,
        author_id bigint NULL REFERENCES authors (id) ON DELETE SET NULL,
        paper_id bigint NULL REFERENCES papers (id) ON DELETE CASCADE,
        comment_id bigint NULL REFERENCES comments (id) ON DELETE CASCADE,
        created_at timestamptz NOT NULL,
        read_at timestamptz NULL
    )",
    "CREATE INDEX idx_notifications_user_time ON notifications (user_id, created_at, id)",
    "CREATE INDEX idx_notifications_unread ON notifications (user_id, id) WHERE read_at IS NULL",
    "CREATE UNIQUE INDEX idx_notifications_open_group
        ON notifications (user_id, group_key) WHERE read_at IS NULL AND group_key IS NOT NULL",
    "CREATE INDEX idx_notifications_actor ON notifications (actor_id)",
    "CREATE INDEX idx_notifications_author ON notifications (author_id)",
    "CREATE INDEX idx_notifications_paper ON notifications (paper_id)",
    "CREATE INDEX idx_notifications_comment ON notifications (comment_id)",
];

const SQLITE_DOWN: &[&str] = &[
    "DROP TABLE notifications",
    "DROP TRIGGER papers_category_keys",
    "DROP INDEX idx_paper_categories_code_submitted",
    "ALTER TABLE paper_categories DROP COLUMN submitted_at",
    "DROP INDEX idx_paper_authors_author_submitted",
    "DROP TABLE category_follows",
    "DROP TABLE user_follows",
    "DROP TABLE author_follows",
    "DROP TABLE saved_papers",
];

const POSTGRES_DOWN: &[&str] = &[
    "DROP TABLE notifications",
    "DROP TRIGGER papers_category_keys ON papers",
    "DROP FUNCTION papers_category_keys()",
    "DROP INDEX idx_paper_categories_code_submitted",
    "ALTER TABLE paper_categories DROP COLUMN submitted_at",
    "DROP INDEX idx_paper_authors_author_submitted",
    "DROP TABLE category_follows",
    "DROP TABLE user_follows",
    "DROP TABLE author_follows",
    "DROP TABLE saved_papers",
];

per_backend_migration!(up: SQLITE_UP, POSTGRES_UP; down: SQLITE_DOWN, POSTGRES_DOWN);
