//! Two PostgreSQL functions that let an upvote be one round trip: `take_rate_token` takes a
//! token from a shared rate-limit bucket (the one definition of the bucket's arithmetic,
//! also called on its own for every other shared limit), and `cast_upvote` takes the
//! voter's token, writes or deletes the upvote row and reads the paper back, each statement
//! seeing the ones before it. SQLite, which serves one instance, limits in memory and
//! group-commits its writes instead.

use sea_orm_migration::prelude::*;

use crate::per_backend::per_backend_migration;

#[derive(DeriveMigrationName)]
pub struct Migration;

const POSTGRES_UP: &[&str] = &[
    // Tokens refill at `per_second` since the bucket's last update, up to `burst`; the
    // database's clock is the one every instance shares. PL/pgSQL rather than SQL: a SQL
    // function that writes is parsed and planned again on every call, a PL/pgSQL one once
    // per connection.
    "CREATE FUNCTION take_rate_token(
        bucket_key text, burst float8, per_second float8,
        OUT allowed boolean, OUT tokens float8
    ) LANGUAGE plpgsql AS $$
    #variable_conflict use_column
    BEGIN
        INSERT INTO rate_buckets AS b (key, tokens, allowed, updated_at)
        VALUES (bucket_key, burst - 1, true, now())
        ON CONFLICT (key) DO UPDATE SET
            tokens = CASE
                WHEN LEAST(burst, b.tokens + GREATEST(EXTRACT(EPOCH FROM (now() - b.updated_at))::float8, 0) * per_second) >= 1
                THEN LEAST(burst, b.tokens + GREATEST(EXTRACT(EPOCH FROM (now() - b.updated_at))::float8, 0) * per_second) - 1
                ELSE LEAST(burst, b.tokens + GREATEST(EXTRACT(EPOCH FROM (now() - b.updated_at))::float8, 0) * per_second)
            END,
            allowed = LEAST(burst, b.tokens + GREATEST(EXTRACT(EPOCH FROM (now() - b.updated_at))::float8, 0) * per_second) >= 1,
            updated_at = now()
        RETURNING b.allowed, b.tokens INTO allowed, tokens;
    END
    $$",
    // A refused vote writes nothing and returns no paper; a missing paper fails the insert
    // on its foreign key (nothing of the call is kept) or returns no paper for a removal.
    // PL/pgSQL gives each statement a fresh snapshot, so the paper read last carries the
    // count the upvote trigger just wrote.
    "CREATE FUNCTION cast_upvote(
        voter bigint, voted_paper bigint, adding boolean, cast_at timestamptz,
        bucket_key text, burst float8, per_second float8,
        OUT allowed boolean, OUT tokens float8, OUT changed integer, OUT paper papers
    ) LANGUAGE plpgsql AS $$
    BEGIN
        SELECT t.allowed, t.tokens INTO allowed, tokens
            FROM take_rate_token(bucket_key, burst, per_second) AS t;
        changed := 0;
        IF NOT allowed THEN
            RETURN;
        END IF;
        IF adding THEN
            INSERT INTO upvotes AS u (user_id, paper_id, created_at)
                VALUES (voter, voted_paper, cast_at)
                ON CONFLICT (user_id, paper_id) DO NOTHING;
        ELSE
            DELETE FROM upvotes AS u WHERE u.user_id = voter AND u.paper_id = voted_paper;
        END IF;
        GET DIAGNOSTICS changed = ROW_COUNT;
        SELECT p.* INTO paper FROM papers AS p WHERE p.id = voted_paper;
    END
    $$",
];

const POSTGRES_DOWN: &[&str] = &[
    "DROP FUNCTION cast_upvote(bigint, bigint, boolean, timestamptz, text, float8, float8)",
    "DROP FUNCTION take_rate_token(text, float8, float8)",
];

per_backend_migration!(up: &[], POSTGRES_UP; down: &[], POSTGRES_DOWN);
