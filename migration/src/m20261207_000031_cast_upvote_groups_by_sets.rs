//! PostgreSQL casts a group of upvotes with set statements instead of a loop of
//! `cast_upvote` calls: `cast_upvotes` takes every voter's tokens, writes every row and
//! reads every paper back in the same few statements whatever the group's size, and the
//! count trigger becomes a statement trigger, so that a multi-row write updates each
//! paper's count and ranking queue once. What a group locks it locks in one order — buckets
//! by key, then papers by id — so that an instance can cast two groups at once; should two
//! calls still deadlock, PostgreSQL fails one and its caller casts those upvotes one by one.

use sea_orm_migration::prelude::*;

use crate::{
    m20261126_000008_create_upvote_count_triggers, m20261207_000030_create_group_upvote_cast,
    per_backend,
};

#[derive(DeriveMigrationName)]
pub struct Migration;

const POSTGRES_UP: &[&str] = &[
    "DROP TRIGGER upvotes_count ON upvotes",
    "DROP FUNCTION upvotes_count()",
    // A transition table holds the rows one statement wrote (or deleted), under the same
    // name for both triggers; papers are updated in id order so that two writers lock the
    // papers they share in the same order.
    "CREATE FUNCTION upvotes_count_changed() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        UPDATE papers AS p
            SET upvote_count = p.upvote_count
                + CASE TG_OP WHEN 'INSERT' THEN d.n ELSE -d.n END
            FROM (SELECT c.paper_id, count(*)::integer AS n FROM changed AS c
                  GROUP BY c.paper_id ORDER BY c.paper_id) AS d
            WHERE p.id = d.paper_id;
        INSERT INTO ranking_queue (paper_id)
            SELECT DISTINCT c.paper_id FROM changed AS c ORDER BY c.paper_id
            ON CONFLICT DO NOTHING;
        RETURN NULL;
    END
    $$",
    "CREATE TRIGGER upvotes_count_added AFTER INSERT ON upvotes
        REFERENCING NEW TABLE AS changed
        FOR EACH STATEMENT EXECUTE FUNCTION upvotes_count_changed()",
    "CREATE TRIGGER upvotes_count_removed AFTER DELETE ON upvotes
        REFERENCING OLD TABLE AS changed
        FOR EACH STATEMENT EXECUTE FUNCTION upvotes_count_changed()",
    // The same contract as migration 000030's loop: the arrays are parallel, one element per
    // upvote, in their order; no (voter, paper) pair may come twice (the caller cuts a group
    // where one comes again). A paper that is not there answers `paper` null and takes no
    // token. A voter's bucket grants the first of its upvotes as many tokens as it holds,
    // as taking them one by one would: `now()` is the same for the whole call, so the
    // bucket refills once. Buckets are locked in key order, before any row is written.
    "CREATE OR REPLACE FUNCTION cast_upvotes(
        voters bigint[], voted_papers bigint[], adding boolean[], cast_at timestamptz[],
        bucket_keys text[], bursts float8[], per_seconds float8[]
    ) RETURNS TABLE (ord integer, allowed boolean, tokens float8, changed integer, paper papers)
    LANGUAGE plpgsql AS $$
    #variable_conflict use_column
    DECLARE
        charged_ords integer[];
        charged_allowed boolean[];
        charged_tokens float8[];
        bucket_names text[];
        bucket_tokens float8[];
        bucket_allowed boolean[];
        granted_adds integer[];
        granted_removals integer[];
        changed_ords integer[];
    BEGIN
        WITH votes AS (
            SELECT v.ord::integer AS ord, v.paper_id, v.bucket_key, v.burst, v.per_second,
                   row_number() OVER (PARTITION BY v.bucket_key ORDER BY v.ord) AS nth,
                   count(*) OVER (PARTITION BY v.bucket_key) AS wanted
            FROM unnest(voted_papers, bucket_keys, bursts, per_seconds)
                 WITH ORDINALITY AS v(paper_id, bucket_key, burst, per_second, ord)
            WHERE EXISTS (SELECT 1 FROM papers AS p WHERE p.id = v.paper_id)
        ),
        held AS (
            INSERT INTO rate_buckets AS b (key, tokens, allowed, updated_at)
            SELECT DISTINCT ON (v.bucket_key) v.bucket_key, v.burst, true, now()
            FROM votes AS v ORDER BY v.bucket_key
            ON CONFLICT (key) DO UPDATE SET tokens = b.tokens
            RETURNING b.key, b.tokens, b.updated_at
        ),
        charged AS (
            SELECT v.ord, v.bucket_key, v.nth, v.wanted, a.available
            FROM votes AS v
            JOIN held AS h ON h.key = v.bucket_key
            CROSS JOIN LATERAL (SELECT LEAST(v.burst, h.tokens
                + GREATEST(EXTRACT(EPOCH FROM (now() - h.updated_at))::float8, 0) * v.per_second)
                AS available) AS a
        )
        SELECT array_agg(c.ord ORDER BY c.ord),
               array_agg(c.nth <= floor(c.available) ORDER BY c.ord),
               array_agg(CASE WHEN c.nth <= floor(c.available) THEN c.available - c.nth
                              ELSE c.available - LEAST(c.wanted, floor(c.available)) END
                         ORDER BY c.ord),
               array_agg(c.bucket_key ORDER BY c.ord) FILTER (WHERE c.nth = c.wanted),
               array_agg(c.available - LEAST(c.wanted, floor(c.available)) ORDER BY c.ord)
                   FILTER (WHERE c.nth = c.wanted),
               array_agg(c.wanted <= floor(c.available) ORDER BY c.ord)
                   FILTER (WHERE c.nth = c.wanted)
        INTO charged_ords, charged_allowed, charged_tokens,
             bucket_names, bucket_tokens, bucket_allowed
        FROM charged AS c;

        UPDATE rate_buckets AS b SET tokens = s.tokens, allowed = s.allowed, updated_at = now()
            FROM unnest(bucket_names, bucket_tokens, bucket_allowed) AS s(key, tokens, allowed)
            WHERE b.key = s.key;

        -- A statement that writes nothing would still run its trigger: skip it.
        granted_adds := ARRAY(SELECT c.ord FROM unnest(charged_ords, charged_allowed) AS c(ord, allowed)
                              WHERE c.allowed AND adding[c.ord]);
        granted_removals := ARRAY(SELECT c.ord FROM unnest(charged_ords, charged_allowed) AS c(ord, allowed)
                                  WHERE c.allowed AND NOT adding[c.ord]);
        IF cardinality(granted_adds) > 0 THEN
            WITH added AS (
                INSERT INTO upvotes AS u (user_id, paper_id, created_at)
                SELECT voters[g.ord], voted_papers[g.ord], cast_at[g.ord]
                FROM unnest(granted_adds) AS g(ord)
                ORDER BY voted_papers[g.ord], voters[g.ord]
                ON CONFLICT (user_id, paper_id) DO NOTHING
                RETURNING u.user_id, u.paper_id
            )
            SELECT array_agg(g.ord) INTO changed_ords
            FROM unnest(granted_adds) AS g(ord)
            JOIN added AS a ON a.user_id = voters[g.ord] AND a.paper_id = voted_papers[g.ord];
        END IF;
        IF cardinality(granted_removals) > 0 THEN
            WITH removed AS (
                DELETE FROM upvotes AS u USING unnest(granted_removals) AS g(ord)
                WHERE u.user_id = voters[g.ord] AND u.paper_id = voted_papers[g.ord]
                RETURNING u.user_id, u.paper_id
            )
            SELECT array_cat(changed_ords, array_agg(g.ord)) INTO changed_ords
            FROM unnest(granted_removals) AS g(ord)
            JOIN removed AS r ON r.user_id = voters[g.ord] AND r.paper_id = voted_papers[g.ord];
        END IF;

        RETURN QUERY
        SELECT v.ord::integer,
               COALESCE(c.allowed, true),
               c.tokens,
               (w.ord IS NOT NULL)::integer,
               p
        FROM unnest(voted_papers) WITH ORDINALITY AS v(paper_id, ord)
        LEFT JOIN unnest(charged_ords, charged_allowed, charged_tokens)
                  AS c(ord, allowed, tokens) ON c.ord = v.ord
        LEFT JOIN unnest(changed_ords) AS w(ord) ON w.ord = v.ord
        LEFT JOIN papers AS p ON p.id = v.paper_id AND c.allowed
        ORDER BY v.ord;
    END
    $$",
];

const POSTGRES_DOWN: &[&str] = &[
    "DROP TRIGGER upvotes_count_added ON upvotes",
    "DROP TRIGGER upvotes_count_removed ON upvotes",
    "DROP FUNCTION upvotes_count_changed()",
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        per_backend::run(manager, &[], POSTGRES_UP).await
    }

    /// Back to the row trigger of migration 000008 and the loop of migration 000030.
    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        per_backend::run(manager, &[], POSTGRES_DOWN).await?;
        per_backend::run(
            manager,
            &[],
            m20261126_000008_create_upvote_count_triggers::POSTGRES_UP,
        )
        .await?;
        per_backend::run(
            manager,
            &[],
            &[m20261207_000030_create_group_upvote_cast::CAST_UPVOTES_ONE_BY_ONE],
        )
        .await
    }
}
