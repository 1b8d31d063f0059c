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
            comments: 3_000,
            follows: 2_000,
            collections: 30,
            notifications: 500,
        },
        seed: 3,
        until: Utc.with_ymd_and_hms(2026, 11, 1, 0, 0, 0).unwrap(),
        password_hash: None,
    };
    let report = generate(&app.state.db, &plan).await.unwrap();
    assert_eq!(report.upvotes, 1_000);
    assert_eq!(report.comments, 3_000);
    assert_eq!(report.collection_items, 30 * 20);
    assert_eq!(report.notifications, 500);
    assert!(report.category_listings >= 200);
    assert_eq!(schema_definitions(&app).await, migrated);

    // Every stored count of the discussion equals its rows, however it was written.
    let db = app.state.db.reader();
    for (what, sql) in [
        (
            "papers.comment_count",
            "SELECT count(*) FROM papers p WHERE p.comment_count <> \
             (SELECT count(*) FROM comments c WHERE c.paper_id = p.id)",
        ),
        (
            "comments.reply_count",
            "SELECT count(*) FROM comments p WHERE p.reply_count <> \
             (SELECT count(*) FROM comments c WHERE c.parent_id = p.id)",
        ),
        (
            "comments.upvote_count",
            "SELECT count(*) FROM comments c WHERE c.upvote_count <> \
             (SELECT count(*) FROM comment_upvotes u WHERE u.comment_id = c.id)",
        ),
        (
            "categories.paper_count",
            "SELECT count(*) FROM categories c WHERE c.paper_count <> \
             (SELECT count(*) FROM paper_categories l WHERE l.code = c.code)",
        ),
        (
            "paper_categories.submitted_at",
            "SELECT count(*) FROM paper_categories l JOIN papers p ON p.id = l.paper_id \
             WHERE l.submitted_at <> p.submitted_at",
        ),
        (
            "collections.item_count",
            "SELECT count(*) FROM collections c WHERE c.item_count <> \
             (SELECT count(*) FROM collection_items i WHERE i.collection_id = c.id)",
        ),
        (
            "thread depth",
            "SELECT count(*) FROM comments c JOIN comments p ON p.id = c.parent_id \
             WHERE c.depth <> p.depth + 1 OR c.paper_id <> p.paper_id OR c.depth > 15",
        ),
    ] {
        let row = db
            .query_one_raw(Statement::from_string(db.get_database_backend(), sql))
            .await
            .unwrap()
            .unwrap();
        let wrong: i64 = row.try_get_by_index(0).unwrap();
        assert_eq!(wrong, 0, "{what}");
    }
    for (sql, expected) in [
        ("SELECT count(*) FROM author_follows WHERE user_id = 1", 10),
        ("SELECT count(*) FROM author_follows WHERE user_id = 2", 300),
        (
            "SELECT count(*) FROM category_follows WHERE user_id = 2",
            20,
        ),
        (
            "SELECT count(*) FROM author_follows WHERE author_id = 1 AND user_id > 2",
            18,
        ),
    ] {
        let row = db
            .query_one_raw(Statement::from_string(db.get_database_backend(), sql))
            .await
            .unwrap()
            .unwrap();
        let found: i64 = row.try_get_by_index(0).unwrap();
        assert_eq!(found, expected, "{sql}");
    }
    assert_eq!(
        crate::search::title_terms_out_of_step(&app).await,
        0,
        "the title terms of a bulk load"
    );
    let busiest = db
        .query_one_raw(Statement::from_string(
            db.get_database_backend(),
            "SELECT max(comment_count) FROM papers",
        ))
        .await
        .unwrap()
        .unwrap();
    let busiest: i32 = busiest.try_get_by_index(0).unwrap();
    assert!(
        busiest > 100,
        "the newest papers draw many comments: {busiest}"
    );

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
    let duplicate = db
        .execute_raw(Statement::from_string(
            db.get_database_backend(),
            "INSERT INTO upvotes (user_id, paper_id, created_at) \
             SELECT user_id, paper_id, created_at FROM upvotes LIMIT 1",
        ))
        .await;
    assert!(
        duplicate.is_err(),
        "a second upvote of a pair breaks the key"
    );
}
