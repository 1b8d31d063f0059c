//! The synthetic data generator (benchmarks, scale tests) leaves the schema as the
//! migrations made it and the data consistent with it.

use chrono::{TimeZone, Utc};
use paperboard::cli::generate::{Plan, Sizes, generate};
use sea_orm::{ConnectionTrait, Statement};

use crate::helpers::TestApp;

/// Every index and constraint definition of the schema, sorted.
async fn schema_definitions(app: &TestApp) -> Vec<String> {
    let db = app.state.db.writer();
    let backend = db.get_database_backend();
    let sql = if app.is_postgres() {
        "SELECT pg_get_indexdef(indexrelid) FROM pg_index \
           JOIN pg_class c ON c.oid = indrelid JOIN pg_namespace n ON n.oid = c.relnamespace \
           WHERE n.nspname = 'public' \
         UNION ALL \
         SELECT conrelid::regclass::text || ' ' || conname || ' ' || pg_get_constraintdef(oid) \
           FROM pg_constraint WHERE connamespace = 'public'::regnamespace"
    } else {
        // ANALYZE adds the statistics tables, which are not part of the schema.
        "SELECT sql FROM sqlite_master WHERE sql IS NOT NULL AND name NOT LIKE 'sqlite_stat%'"
    };
    let rows = db
        .query_all_raw(Statement::from_string(backend, sql))
        .await
        .unwrap();
    let mut definitions: Vec<String> = rows
        .iter()
        .map(|row| row.try_get_by_index(0).unwrap())
        .collect();
    definitions.sort();
    definitions
}

#[tokio::test]
async fn generated_data_keeps_every_index_and_key_of_the_schema() {
    let app = TestApp::spawn().await;
    let migrated = schema_definitions(&app).await;
    assert!(
        migrated
            .iter()
            .any(|d| d.contains("FOREIGN KEY (paper_id)"))
            || !app.is_postgres(),
        "the catalogue query sees the foreign keys: {migrated:?}"
    );
    let plan = Plan {
        sizes: Sizes {
            papers: 200,
            authors: 300,
            users: 20,
            upvotes: 1_000,
        },
        seed: 3,
        until: Utc.with_ymd_and_hms(2026, 11, 1, 0, 0, 0).unwrap(),
        password_hash: None,
    };
    let report = generate(&app.state.db, &plan).await.unwrap();
    assert_eq!(report.upvotes, 1_000);
    assert_eq!(schema_definitions(&app).await, migrated);

    // The restored keys hold: an upvote of a paper that does not exist is refused.
    let db = app.state.db.writer();
    let orphan = db
        .execute_raw(Statement::from_string(
            db.get_database_backend(),
            "INSERT INTO upvotes (user_id, paper_id, created_at) \
             VALUES (1, 999999, CURRENT_TIMESTAMP)",
        ))
        .await;
    assert!(orphan.is_err(), "a missing paper breaks the foreign key");
}
