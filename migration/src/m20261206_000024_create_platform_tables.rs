//! The platform: sign-ins, OAuth apps and their grants, personal access tokens, one-time
//! account tokens (password reset, email verification), and profile fields.
//!
//! A sign-in is what a login, or an OAuth code exchange, starts: one row per refresh-token
//! family (`sessions.family_id`), carrying who, through which app, with which scopes
//! (`NULL`: a first-party sign-in holding every scope), and from where. Access tokens name
//! their sign-in, so revoking it ends them at once. Every secret column holds a SHA-256
//! hash, never the secret; every foreign key has an index, so deleting an account or an app
//! never scans these tables.

use sea_orm_migration::prelude::*;

use crate::per_backend::per_backend_migration;

#[derive(DeriveMigrationName)]
pub struct Migration;

const SQLITE_UP: &[&str] = &[
    "ALTER TABLE users ADD COLUMN bio text NULL",
    "ALTER TABLE users ADD COLUMN website_url text NULL",
    "ALTER TABLE users ADD COLUMN avatar_url text NULL",
    "ALTER TABLE users ADD COLUMN email_verified_at timestamp_with_timezone_text NULL",
    "CREATE TABLE oauth_apps (
        id integer NOT NULL PRIMARY KEY AUTOINCREMENT,
        client_id text NOT NULL UNIQUE,
        owner_id integer NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        name text NOT NULL,
        description text NOT NULL DEFAULT '',
        homepage_url text NOT NULL,
        redirect_uris text NOT NULL,
        confidential integer NOT NULL,
        secret_hash text NULL,
        created_at timestamp_with_timezone_text NOT NULL,
        updated_at timestamp_with_timezone_text NOT NULL
    )",
    "CREATE INDEX idx_oauth_apps_owner ON oauth_apps (owner_id, id)",
    "CREATE TABLE sign_ins (
        id integer NOT NULL PRIMARY KEY AUTOINCREMENT,
        family_id text NOT NULL UNIQUE,
        user_id integer NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        app_id integer NULL REFERENCES oauth_apps (id) ON DELETE CASCADE,
        scopes text NULL,
        user_agent text NULL,
        client_address text NULL,
        created_at timestamp_with_timezone_text NOT NULL,
        last_used_at timestamp_with_timezone_text NOT NULL,
        revoked_at timestamp_with_timezone_text NULL
    )",
    "CREATE INDEX idx_sign_ins_user ON sign_ins (user_id, id)",
    "CREATE INDEX idx_sign_ins_app ON sign_ins (app_id)",
    "INSERT INTO sign_ins (family_id, user_id, created_at, last_used_at, revoked_at)
        SELECT family_id, user_id, MIN(created_at), MAX(created_at),
               CASE WHEN COUNT(revoked_at) = COUNT(*) THEN MAX(revoked_at) END
        FROM sessions GROUP BY family_id, user_id",
    "CREATE TABLE oauth_consents (
        user_id integer NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        app_id integer NOT NULL REFERENCES oauth_apps (id) ON DELETE CASCADE,
        scopes text NOT NULL,
        granted_at timestamp_with_timezone_text NOT NULL,
        PRIMARY KEY (user_id, app_id)
    )",
    "CREATE INDEX idx_oauth_consents_app ON oauth_consents (app_id)",
    "CREATE TABLE oauth_codes (
        id integer NOT NULL PRIMARY KEY AUTOINCREMENT,
        code_hash text NOT NULL UNIQUE,
        app_id integer NOT NULL REFERENCES oauth_apps (id) ON DELETE CASCADE,
        user_id integer NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        redirect_uri text NOT NULL,
        scopes text NOT NULL,
        code_challenge text NOT NULL,
        created_at timestamp_with_timezone_text NOT NULL,
        expires_at timestamp_with_timezone_text NOT NULL,
        used_at timestamp_with_timezone_text NULL,
        sign_in_id integer NULL REFERENCES sign_ins (id) ON DELETE SET NULL
    )",
    "CREATE INDEX idx_oauth_codes_app ON oauth_codes (app_id)",
    "CREATE INDEX idx_oauth_codes_user ON oauth_codes (user_id)",
    "CREATE INDEX idx_oauth_codes_sign_in ON oauth_codes (sign_in_id)",
    "CREATE TABLE personal_access_tokens (
        id integer NOT NULL PRIMARY KEY AUTOINCREMENT,
        user_id integer NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        name text NOT NULL,
        token_hash text NOT NULL UNIQUE,
        scopes text NOT NULL,
        created_at timestamp_with_timezone_text NOT NULL,
        last_used_at timestamp_with_timezone_text NULL,
        expires_at timestamp_with_timezone_text NULL,
        revoked_at timestamp_with_timezone_text NULL
    )",
    "CREATE INDEX idx_personal_access_tokens_user ON personal_access_tokens (user_id, id)",
    "CREATE TABLE account_tokens (
        id integer NOT NULL PRIMARY KEY AUTOINCREMENT,
        user_id integer NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        purpose text NOT NULL,
        token_hash text NOT NULL UNIQUE,
        email text NOT NULL,
        created_at timestamp_with_timezone_text NOT NULL,
        expires_at timestamp_with_timezone_text NOT NULL,
        used_at timestamp_with_timezone_text NULL
    )",
    "CREATE INDEX idx_account_tokens_user ON account_tokens (user_id, purpose)",
];

const POSTGRES_UP: &[&str] = &[
    "ALTER TABLE users ADD COLUMN bio text NULL",
    "ALTER TABLE users ADD COLUMN website_url text NULL",
    "ALTER TABLE users ADD COLUMN avatar_url text NULL",
    "ALTER TABLE users ADD COLUMN email_verified_at timestamptz NULL",
    "CREATE TABLE oauth_apps (
        id bigserial PRIMARY KEY,
        client_id text NOT NULL UNIQUE,
        owner_id bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        name text NOT NULL,
        description text NOT NULL DEFAULT '',
        homepage_url text NOT NULL,
        redirect_uris text NOT NULL,
        confidential boolean NOT NULL,
        secret_hash text NULL,
        created_at timestamptz NOT NULL,
        updated_at timestamptz NOT NULL
    )",
    "CREATE INDEX idx_oauth_apps_owner ON oauth_apps (owner_id, id)",
    "CREATE TABLE sign_ins (
        id bigserial PRIMARY KEY,
        family_id text NOT NULL UNIQUE,
        user_id bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        app_id bigint NULL REFERENCES oauth_apps (id) ON DELETE CASCADE,
        scopes text NULL,
        user_agent text NULL,
        client_address text NULL,
        created_at timestamptz NOT NULL,
        last_used_at timestamptz NOT NULL,
        revoked_at timestamptz NULL
    )",
    "CREATE INDEX idx_sign_ins_user ON sign_ins (user_id, id)",
    "CREATE INDEX idx_sign_ins_app ON sign_ins (app_id)",
    "INSERT INTO sign_ins (family_id, user_id, created_at, last_used_at, revoked_at)
        SELECT family_id, user_id, MIN(created_at), MAX(created_at),
               CASE WHEN COUNT(revoked_at) = COUNT(*) THEN MAX(revoked_at) END
        FROM sessions GROUP BY family_id, user_id",
    "CREATE TABLE oauth_consents (
        user_id bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        app_id bigint NOT NULL REFERENCES oauth_apps (id) ON DELETE CASCADE,
        scopes text NOT NULL,
        granted_at timestamptz NOT NULL,
        PRIMARY KEY (user_id, app_id)
    )",
    "CREATE INDEX idx_oauth_consents_app ON oauth_consents (app_id)",
    "CREATE TABLE oauth_codes (
        id bigserial PRIMARY KEY,
        code_hash text NOT NULL UNIQUE,
        app_id bigint NOT NULL REFERENCES oauth_apps (id) ON DELETE CASCADE,
        user_id bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        redirect_uri text NOT NULL,
        scopes text NOT NULL,
        code_challenge text NOT NULL,
        created_at timestamptz NOT NULL,
        expires_at timestamptz NOT NULL,
        used_at timestamptz NULL,
        sign_in_id bigint NULL REFERENCES sign_ins (id) ON DELETE SET NULL
    )",
    "CREATE INDEX idx_oauth_codes_app ON oauth_codes (app_id)",
    "CREATE INDEX idx_oauth_codes_user ON oauth_codes (user_id)",
    "CREATE INDEX idx_oauth_codes_sign_in ON oauth_codes (sign_in_id)",
    "CREATE TABLE personal_access_tokens (
        id bigserial PRIMARY KEY,
        user_id bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        name text NOT NULL,
        token_hash text NOT NULL UNIQUE,
        scopes text NOT NULL,
        created_at timestamptz NOT NULL,
        last_used_at timestamptz NULL,
        expires_at timestamptz NULL,
        revoked_at timestamptz NULL
    )",
    "CREATE INDEX idx_personal_access_tokens_user ON personal_access_tokens (user_id, id)",
    "CREATE TABLE account_tokens (
        id bigserial PRIMARY KEY,
        user_id bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        purpose text NOT NULL,
        token_hash text NOT NULL UNIQUE,
        email text NOT NULL,
        created_at timestamptz NOT NULL,
        expires_at timestamptz NOT NULL,
        used_at timestamptz NULL
    )",
    "CREATE INDEX idx_account_tokens_user ON account_tokens (user_id, purpose)",
];

const SQLITE_DOWN: &[&str] = &[
    "DROP TABLE account_tokens",
    "DROP TABLE personal_access_tokens",
    "DROP TABLE oauth_codes",
    "DROP TABLE oauth_consents",
    "DROP TABLE sign_ins",
    "DROP TABLE oauth_apps",
    "ALTER TABLE users DROP COLUMN email_verified_at",
    "ALTER TABLE users DROP COLUMN avatar_url",
    "ALTER TABLE users DROP COLUMN website_url",
    "ALTER TABLE users DROP COLUMN bio",
];

per_backend_migration!(up: SQLITE_UP, POSTGRES_UP; down: SQLITE_DOWN, SQLITE_DOWN);
