//! `ranking_history` keyed by (generation, paper): every refresh appended its rows at
//! random places of a (paper, generation) key and of a generation index — on SQLite a
//! table and two indexes, the largest share of what an upvote wrote besides the upvote
//! itself. Keyed by generation first, a refresh appends to one tree (on SQLite a table
//! without rowid), pruning cuts its oldest range, and a walk reads the range written since
//! it began, which the separate generation index served before.

use sea_orm_migration::prelude::*;

use crate::per_backend::per_backend_migration;

#[derive(DeriveMigrationName)]
pub struct Migration;

const SQLITE_UP: &[&str] = &[
    r#"CREATE TABLE "ranking_history_by_generation" (
        "generation" integer NOT NULL,
        "paper_id" integer NOT NULL,
        "rank_count" integer NOT NULL,
        "hot_score" double NOT NULL,
        CONSTRAINT "pk-ranking_history" PRIMARY KEY ("generation", "paper_id")
    ) WITHOUT ROWID"#,
    r#"INSERT INTO "ranking_history_by_generation" (generation, paper_id, rank_count, hot_score)
        SELECT generation, paper_id, rank_count, hot_score FROM "ranking_history""#,
    r#"DROP TABLE "ranking_history""#,
    r#"ALTER TABLE "ranking_history_by_generation" RENAME TO "ranking_history""#,
];

const SQLITE_DOWN: &[&str] = &[
    r#"CREATE TABLE "ranking_history_by_paper" (
        "paper_id" integer NOT NULL,
        "generation" integer NOT NULL,
        "rank_count" integer NOT NULL,
        "hot_score" double NOT NULL,
        CONSTRAINT "pk-ranking_history" PRIMARY KEY ("paper_id", "generation")
    )"#,
    r#"INSERT INTO "ranking_history_by_paper" (paper_id, generation, rank_count, hot_score)
        SELECT paper_id, generation, rank_count, hot_score FROM "ranking_history""#,
    r#"DROP TABLE "ranking_history""#,
    r#"ALTER TABLE "ranking_history_by_paper" RENAME TO "ranking_history""#,
    r#"CREATE INDEX "idx-ranking_history-generation" ON "ranking_history" ("generation")"#,
];

const POSTGRES_UP: &[&str] = &[
    r#"ALTER TABLE "ranking_history" DROP CONSTRAINT "pk-ranking_history""#,
    r#"DROP INDEX "idx-ranking_history-generation""#,
    r#"ALTER TABLE "ranking_history" ADD CONSTRAINT "pk-ranking_history" PRIMARY KEY ("generation", "paper_id")"#,
];

const POSTGRES_DOWN: &[&str] = &[
    r#"ALTER TABLE "ranking_history" DROP CONSTRAINT "pk-ranking_history""#,
    r#"ALTER TABLE "ranking_history" ADD CONSTRAINT "pk-ranking_history" PRIMARY KEY ("paper_id", "generation")"#,
    r#"CREATE INDEX "idx-ranking_history-generation" ON "ranking_history" ("generation")"#,
];

per_backend_migration!(up: SQLITE_UP, POSTGRES_UP; down: SQLITE_DOWN, POSTGRES_DOWN);
