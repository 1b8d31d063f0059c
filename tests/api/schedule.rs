//! Scheduled syncs: a server configured with `PAPERBOARD_SYNC_*` harvests arXiv and merges
//! Hugging Face's lists on its own; with two instances on one PostgreSQL database, never
//! both at once.

use std::time::{Duration, Instant};

use paperboard::config::Config;
use serde_json::json;

use crate::helpers::TestApp;
use crate::helpers::ws::TRANSPORT_WS;
use crate::hf_fixture::HfFixture;
use crate::oai_fixture::OaiFixture;

fn scheduled(config: &mut Config, oai: &str, hf: &str) {
    config.sources.arxiv_oai_url = oai.to_owned();
    config.sources.hf_url = hf.to_owned();
    config.sources.arxiv_request_interval_millis = 0;
    config.sources.hf_request_interval_millis = 0;
    // Every 3 s, the first round 3 s after start.
    config.schedule.sync_interval_minutes = 0.05;
    config.schedule.sync_arxiv_sets = vec!["cs".to_owned()];
    config.schedule.sync_hf_daily = true;
}

async fn paper_count(app: &TestApp) -> i64 {
    app.query("query Count { papers { totalCount } }", json!({}))
        .await["papers"]["totalCount"]
        .as_i64()
        .unwrap()
}

#[tokio::test]
async fn a_server_syncs_on_schedule_and_instances_take_turns() {
    let (oai, oai_url) = OaiFixture::start().await;
    let (hf, hf_url) = HfFixture::start().await;
    oai.pause_answers(Duration::from_millis(150));
    let app = TestApp::spawn_with(|config| scheduled(config, &oai_url, &hf_url)).await;
    let second = if app.is_postgres() {
        Some(app.second_instance().await)
    } else {
        None
    };

    // Subscribers hear the harvested papers, through the category filter.
    let mut client = app.ws_ready(TRANSPORT_WS, None).await;
    client
        .subscribe(
            "subscribe",
            "retrieval",
            r#"subscription { paperAdded(filter: { categories: ["cs.IR"] }) { arxivId } }"#,
            json!({}),
        )
        .await;

    let deadline = Instant::now() + Duration::from_secs(20);
    while paper_count(&app).await < 5 {
        assert!(
            Instant::now() < deadline,
            "the scheduled harvest stored nothing"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let mut heard = Vec::new();
    for _ in 0..2 {
        let message = client.next_json().await;
        heard.push(message["payload"]["data"]["paperAdded"]["arxivId"].clone());
    }
    heard.sort_by_key(ToString::to_string);
    assert_eq!(heard, [json!("2501.10001"), json!("2501.10004")]);
    // Let another round run (a finished harvest starts over).
    tokio::time::sleep(Duration::from_secs(4)).await;
    assert_eq!(
        paper_count(&app).await,
        5,
        "every harvested paper stored once"
    );
    let asked = oai.requests();
    assert!(
        asked.len() >= 6,
        "more than one round ran: {} requests",
        asked.len()
    );
    assert_eq!(oai.most_in_flight(), 1, "never two harvests at once");
    let days = hf.requested_days();
    let today = chrono::Utc::now().date_naive();
    let yesterday = today - chrono::Days::new(1);
    assert!(
        days.contains(&yesterday.to_string()) && days.contains(&today.to_string()),
        "{days:?}"
    );
    drop(second);
}
