//! A local stand-in for Hugging Face's `GET /api/daily_papers?date=YYYY-MM-DD`, answering in
//! its JSON format (as `huggingface_hub`'s `PaperInfo` reads it) for two days; the upvotes
//! and stars of one paper can be raised between runs.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use axum::Json;
use axum::extract::{Query, State};
use axum::routing::get;

use crate::helpers::fixtures::serve;
use serde_json::{Value, json};

#[derive(Clone, Default)]
pub struct HfFixture {
    raised: Arc<AtomicBool>,
    requested: Arc<Mutex<Vec<String>>>,
}

impl HfFixture {
    /// Starts the fixture on a free port; returns it and the site's base URL.
    pub async fn start() -> (Self, String) {
        let fixture = Self::default();
        let router = axum::Router::new()
            .route("/api/daily_papers", get(day))
            .with_state(fixture.clone());
        let addr = serve(router).await;
        (fixture, format!("http://{addr}"))
    }

    /// The days asked for so far, in order.
    pub fn requested_days(&self) -> Vec<String> {
        self.requested.lock().unwrap().clone()
    }

    /// 2501.02001 gains upvotes and stars.
    pub fn raise(&self) {
        self.raised.store(true, Ordering::SeqCst);
    }
}

#[derive(serde::Deserialize)]
struct Params {
    date: String,
}

async fn day(State(fixture): State<HfFixture>, Query(params): Query<Params>) -> Json<Value> {
    fixture.requested.lock().unwrap().push(params.date.clone());
    let raised = fixture.raised.load(Ordering::SeqCst);
    Json(match params.date.as_str() {
        "2025-01-06" => json!([
            item("2501.02001", "Daily Papers Mirror the Feed", "2025-01-06",
                 if raised { 50 } else { 42 },
                 json!({ "githubRepo": "https://github.com/example/daily",
                         "githubStars": if raised { 400 } else { 314 },
                         "projectPage": "https://example.org/daily" })),
            item("2501.02002", "A Quieter Paper", "2025-01-06", 7, json!({})),
            { "paper": { "id": "2501.02009", "summary": "A paper without a title.",
                         "authors": [], "upvotes": 1 } },
        ]),
        "2025-01-07" => json!([item("2501.02003", "Next Day", "2025-01-07", 3, json!({}))]),
        _ => json!([]),
    })
}

fn item(id: &str, title: &str, day: &str, upvotes: i64, extra: Value) -> Value {
    let mut paper = json!({
        "id": id,
        "authors": [
            { "_id": format!("{id}-a"), "name": "Ada Lovelace", "hidden": false },
            { "_id": format!("{id}-b"), "name": "Grace Hopper", "hidden": false }
        ],
        "publishedAt": "2025-01-03T18:59:59.000Z",
        "submittedOnDailyAt": format!("{day}T00:00:00.000Z"),
        "title": title,
        "summary": format!("The abstract of {id},\nas the list shows it."),
        "upvotes": upvotes,
        "discussionId": format!("{id}-d"),
        "ai_summary": "A summary.",
        "ai_keywords": ["papers"],
    });
    if let (Some(paper), Some(extra)) = (paper.as_object_mut(), extra.as_object()) {
        paper.extend(extra.clone());
    }
    json!({
        "paper": paper,
        "publishedAt": "2025-01-03T18:59:59.000Z",
        "title": title,
        "thumbnail": format!("https://cdn-thumbnails.huggingface.co/social-thumbnails/papers/{id}.png"),
        "numComments": 2,
        "isAuthorParticipating": false,
    })
}
