//! `cast_upvotes`: the upvotes waiting at one instance cast in one call on PostgreSQL, each
//! as `cast_upvote` casts one (the voter's token, the row, the paper read back), so that a
//! burst of upvotes costs one round trip and one commit instead of one each.

use sea_orm_migration::prelude::*;

use crate::per_backend::per_backend_migration;

#[derive(DeriveMigrationName)]
pub struct Migration;

const POSTGRES_UP: &[&str] = &[CAST_UPVOTES_ONE_BY_ONE];

/// Also what migration 000031 restores when it is undone.
pub(crate) const CAST_UPVOTES_ONE_BY_ONE: &str =
    // The arrays are parallel, one element per upvote, cast in their order. A paper that is
    // not there answers `paper` null and takes no token, so that one bad id cannot fail the
    // others' call; a paper deleted between that check and the insert still fails the whole
    // call on the foreign key, and the caller casts each upvote on its own.
    "CREATE OR REPLACE FUNCTION cast_upvotes(
        voters bigint[], voted_papers bigint[], adding boolean[], cast_at timestamptz[],
        bucket_keys text[], bursts float8[], per_seconds float8[]
    ) RETURNS TABLE (ord integer, allowed boolean, tokens float8, changed integer, paper papers)
    LANGUAGE plpgsql AS $$
    DECLARE
        one record;
    BEGIN
        FOR i IN 1 .. coalesce(array_length(voters, 1), 0) LOOP
            ord := i;
            allowed := true;
            tokens := NULL;
            changed := 0;
            paper := NULL;
            PERFORM FROM papers AS p WHERE p.id = voted_papers[i];
            IF FOUND THEN
                SELECT c.* INTO one
                    FROM cast_upvote(voters[i], voted_papers[i], adding[i], cast_at[i],
                                     bucket_keys[i], bursts[i], per_seconds[i]) AS c;
                allowed := one.allowed;
                tokens := one.tokens;
                changed := one.changed;
                paper := one.paper;
            END IF;
            RETURN NEXT;
        END LOOP;
    END
    $$";

const POSTGRES_DOWN: &[&str] = &[
    "DROP FUNCTION cast_upvotes(bigint[], bigint[], boolean[], timestamptz[], text[], float8[], float8[])",
];

per_backend_migration!(up: &[], POSTGRES_UP; down: &[], POSTGRES_DOWN);
