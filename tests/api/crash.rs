//! `kill -9` in the middle of 64 concurrent upvoters, then a restart: every count still
//! equals baseline + rows, and every mutation that was answered is stored.

use std::collections::HashMap;
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sea_orm::{ConnectionTrait, Database, DatabaseConnection, DbBackend, Statement};
use serde_json::{Value, json};

use crate::helpers::{ServerProcess, TestDb, sign_token};

const CLIENTS: usize = 64;
const PAPERS: usize = 12;
const KILL_AFTER: Duration = Duration::from_millis(1_500);

const UPVOTE: &str = "mutation($p: ID!) { upvotePaper(paperId: $p) { paper { id } } }";
const REMOVE: &str = "mutation($p: ID!) { removeUpvote(paperId: $p) { paper { id } } }";

/// What one client learnt: for each paper, whether its last answered mutation left an
/// upvote, and the mutation in flight when the server died (paper, upvoted), if any.
#[derive(Default)]
struct ClientLog {
    answered: HashMap<i64, bool>,
    in_flight: Option<(i64, bool)>,
    count: usize,
}

#[tokio::test]
async fn a_hard_kill_loses_no_answered_upvote_and_breaks_no_count() {
    let db = TestDb::create().await;
    let mut server =
        ServerProcess::start(&db, &["--demo", "--upvotes-per-minute", "10000000"]).await;
    let connection = Database::connect(db.config().url()).await.unwrap();
    let users = insert_users(&connection, CLIENTS).await;
    connection.close().await.ok();
    let papers = paper_ids(&server).await;

    let url = server.url("/graphql");
    let clients: Vec<_> = users
        .iter()
        .enumerate()
        .map(|(index, user_id)| {
            tokio::spawn(upvote_until_refused(
                url.clone(),
                sign_token(*user_id),
                papers.clone(),
                index as u64 + 1,
            ))
        })
        .collect();
    tokio::time::sleep(KILL_AFTER).await;
    server.kill_hard();
    let mut logs = Vec::new();
    for client in clients {
        logs.push(client.await.unwrap());
    }
    let answered: usize = logs.iter().map(|log| log.count).sum();
    assert!(
        answered > CLIENTS,
        "only {answered} mutations were answered"
    );

    let _restarted = ServerProcess::start(&db, &[]).await;
    let connection = Database::connect(db.config().url()).await.unwrap();
    let mismatched = mismatched_counts(&connection).await;
    assert!(
        mismatched.is_empty(),
        "counts off baseline + rows: {mismatched:?}"
    );
    let stored = stored_upvotes(&connection).await;
    for (user_id, log) in users.iter().zip(&logs) {
        for (paper, upvoted) in &log.answered {
            let now = stored.contains(&(*user_id, *paper));
            let in_flight_here = log.in_flight.filter(|(flying, _)| flying == paper);
            let allowed = match in_flight_here {
                Some((_, flying_upvoted)) => now == *upvoted || now == flying_upvoted,
                None => now == *upvoted,
            };
            assert!(
                allowed,
                "user {user_id}, paper {paper}: answered {upvoted}, stored {now}"
            );
        }
    }
    connection.close().await.ok();
}

/// Upvotes and removes at random until the server stops answering.
async fn upvote_until_refused(
    url: String,
    token: String,
    papers: Vec<(String, i64)>,
    seed: u64,
) -> ClientLog {
    let client = reqwest::Client::new();
    let mut log = ClientLog::default();
    let mut state = seed.wrapping_mul(6_364_136_223_846_793_005);
    loop {
        state = state
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        let (global_id, paper) = &papers[(state >> 33) as usize % papers.len()];
        let upvote = (state >> 20) & 1 == 0;
        log.in_flight = Some((*paper, upvote));
        let sent = client
            .post(&url)
            .bearer_auth(&token)
            .json(&json!({ "query": if upvote { UPVOTE } else { REMOVE }, "variables": { "p": global_id } }))
            .send()
            .await;
        let Ok(response) = sent else {
            return log;
        };
        let Ok(body) = response.json::<Value>().await else {
            return log;
        };
        assert!(body.get("errors").is_none(), "{body}");
        log.in_flight = None;
        log.answered.insert(*paper, upvote);
        log.count += 1;
    }
}

async fn insert_users(db: &DatabaseConnection, count: usize) -> Vec<i64> {
    let backend = db.get_database_backend();
    let sql = match backend {
        DbBackend::Postgres => {
            "INSERT INTO users (username, username_key, email, email_key, password_hash, role, created_at) VALUES ($1, $1, $2, $2, '!', 'USER', $3) RETURNING id"
        }
        _ => {
            "INSERT INTO users (username, username_key, email, email_key, password_hash, role, created_at) VALUES (?1, ?1, ?2, ?2, '!', 'USER', ?3) RETURNING id"
        }
    };
    let mut ids = Vec::with_capacity(count);
    for index in 0..count {
        let name = format!("crash{index}");
        let row = db
            .query_one_raw(Statement::from_sql_and_values(
                backend,
                sql,
                [
                    name.clone().into(),
                    format!("{name}@example.org").into(),
                    chrono::Utc::now().into(),
                ],
            ))
            .await
            .unwrap()
            .unwrap();
        ids.push(row.try_get_by_index(0).unwrap());
    }
    ids
}

/// The first papers' global ids, with the database ids inside them.
async fn paper_ids(server: &ServerProcess) -> Vec<(String, i64)> {
    let body: Value = reqwest::Client::new()
        .post(server.url("/graphql"))
        .json(&json!({ "query": format!("{{ papers(first: {PAPERS}) {{ nodes {{ id }} }} }}") }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    body["data"]["papers"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|node| {
            let global = node["id"].as_str().unwrap().to_owned();
            let decoded = String::from_utf8(URL_SAFE_NO_PAD.decode(&global).unwrap()).unwrap();
            let id = decoded.split_once(':').unwrap().1.parse().unwrap();
            (global, id)
        })
        .collect()
}

async fn mismatched_counts(db: &DatabaseConnection) -> Vec<(i64, i64, i64)> {
    let rows = db
        .query_all_raw(Statement::from_string(
            db.get_database_backend(),
            "SELECT p.id, p.upvote_count, p.upvote_baseline + (SELECT COUNT(*) FROM upvotes u WHERE u.paper_id = p.id) \
             FROM papers p",
        ))
        .await
        .unwrap();
    rows.iter()
        .map(|row| {
            let id: i64 = row.try_get_by_index(0).unwrap();
            let count: i32 = row.try_get_by_index(1).unwrap();
            let expected: i64 = row.try_get_by_index(2).unwrap();
            (id, i64::from(count), expected)
        })
        .filter(|(_, count, expected)| count != expected)
        .collect()
}

async fn stored_upvotes(db: &DatabaseConnection) -> std::collections::HashSet<(i64, i64)> {
    db.query_all_raw(Statement::from_string(
        db.get_database_backend(),
        "SELECT user_id, paper_id FROM upvotes",
    ))
    .await
    .unwrap()
    .iter()
    .map(|row| {
        (
            row.try_get_by_index(0).unwrap(),
            row.try_get_by_index(1).unwrap(),
        )
    })
    .collect()
}
