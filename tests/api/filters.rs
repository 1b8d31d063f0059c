//! `PaperFilter` is one definition evaluated two ways: in SQL for lists, in memory for
//! subscription events. Random papers × random filters: both ways select the same papers.

use std::collections::{HashMap, HashSet};

use chrono::{Duration, NaiveDate, TimeZone, Utc};
use entity::{paper_author, paper_category, user};
use paperboard::domain::paper::NewPaper;
use paperboard::domain::paper_metadata::PaperMetadata;
use paperboard::pagination::PageRequest;
use paperboard::services::catalog;
use paperboard::services::papers::{self, PaperFilter, PaperListing, PaperOrder, Related};
use sea_orm::EntityTrait;

use crate::helpers::TestApp;

const PAPERS: usize = 80;
const FILTERS: usize = 300;
const AUTHORS: [&str; 6] = ["Ada", "Grace", "Alan", "Edsger", "Barbara", "Donald"];
const CATEGORIES: [&str; 4] = ["cs.LG", "cs.CL", "stat.ML", "math.OC"];

/// A small deterministic generator (a linear congruential one), so failures repeat.
struct Dice(u64);

impl Dice {
    fn roll(&mut self, sides: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (self.0 >> 33) % sides.max(1)
    }

    fn chance(&mut self, in_hundred: u64) -> bool {
        self.roll(100) < in_hundred
    }
}

fn day(offset: u64) -> NaiveDate {
    NaiveDate::from_ymd_opt(2024, 1, 1).unwrap_or_default()
        + Duration::days(i64::try_from(offset).unwrap_or(0))
}

#[tokio::test]
async fn filters_select_the_same_papers_in_sql_and_in_memory() {
    let app = TestApp::spawn().await;
    app.quick_users("Submitter", 4).await;
    let db = &app.state.db;
    let users = user::Entity::find().all(db.reader()).await.unwrap();
    let start = Utc.with_ymd_and_hms(2024, 1, 1, 0, 0, 0).single().unwrap();
    let mut dice = Dice(7);
    let records: Vec<NewPaper> = (0..PAPERS)
        .map(|n| NewPaper {
            arxiv_id: None,
            title: format!("Random paper {n}"),
            abstract_text: "Generated for the filter property test.".to_owned(),
            authors: AUTHORS
                .iter()
                .filter(|_| dice.chance(30))
                .map(|name| (*name).to_owned())
                .collect(),
            published_at: dice.chance(80).then(|| day(dice.roll(60))),
            submitted_at: Some(start + Duration::hours(i64::try_from(dice.roll(24 * 60)).unwrap())),
            submitted_by: dice
                .chance(70)
                .then(|| users[usize::try_from(dice.roll(users.len() as u64)).unwrap()].id),
            github_url: dice.chance(50).then(|| "https://github.com/x/y".to_owned()),
            project_url: None,
            upvote_baseline: i32::try_from(dice.roll(12)).unwrap(),
            metadata: PaperMetadata {
                categories: CATEGORIES
                    .iter()
                    .filter(|_| dice.chance(40))
                    .map(|code| (*code).to_owned())
                    .collect(),
                ..PaperMetadata::default()
            },
        })
        .collect();
    catalog::insert_papers(db.writer(), records).await.unwrap();

    let stored = papers::list(
        db.reader(),
        &listing(PaperFilter::default()),
        &PageRequest::first(100),
    )
    .await
    .unwrap()
    .page
    .items;
    assert_eq!(stored.len(), PAPERS);
    let mut bylines: HashMap<i64, Vec<i64>> = HashMap::new();
    for row in paper_author::Entity::find().all(db.reader()).await.unwrap() {
        bylines.entry(row.paper_id).or_default().push(row.author_id);
    }
    let author_ids: Vec<i64> = bylines.values().flatten().copied().collect();
    let mut listed: HashMap<i64, Vec<String>> = HashMap::new();
    for row in paper_category::Entity::find()
        .all(db.reader())
        .await
        .unwrap()
    {
        listed.entry(row.paper_id).or_default().push(row.code);
    }
    let users_by_id: HashMap<i64, user::Model> =
        users.iter().map(|user| (user.id, user.clone())).collect();

    let mut non_trivial = 0;
    for _ in 0..FILTERS {
        let filter = random_filter(&mut dice, &users, &author_ids, start);
        let in_sql: HashSet<i64> = papers::list(
            db.reader(),
            &listing(filter.clone()),
            &PageRequest::first(100),
        )
        .await
        .unwrap()
        .page
        .items
        .iter()
        .map(|paper| paper.id)
        .collect();
        let in_memory: HashSet<i64> = stored
            .iter()
            .filter(|paper| {
                let byline = bylines.get(&paper.id).map_or(&[][..], Vec::as_slice);
                let submitter = paper.submitted_by.and_then(|id| users_by_id.get(&id));
                let categories = listed.get(&paper.id).map_or(&[][..], Vec::as_slice);
                filter.matches(
                    paper,
                    Related {
                        author_ids: byline,
                        submitter,
                        categories,
                    },
                )
            })
            .map(|paper| paper.id)
            .collect();
        assert_eq!(in_sql, in_memory, "{filter:?}");
        if !in_sql.is_empty() && in_sql.len() < PAPERS {
            non_trivial += 1;
        }
    }
    assert!(
        non_trivial > FILTERS / 4,
        "the filters narrowed too rarely: {non_trivial}"
    );
}

fn listing(filter: PaperFilter) -> PaperListing {
    PaperListing {
        filter,
        order: PaperOrder::Submitted,
        descending: true,
    }
}

fn random_filter(
    dice: &mut Dice,
    users: &[user::Model],
    author_ids: &[i64],
    start: chrono::DateTime<Utc>,
) -> PaperFilter {
    let at = |dice: &mut Dice| start + Duration::hours(i64::try_from(dice.roll(24 * 60)).unwrap());
    PaperFilter {
        submitted_after: dice.chance(25).then(|| at(dice)),
        submitted_before: dice.chance(25).then(|| at(dice)),
        published_from: dice.chance(25).then(|| day(dice.roll(60))),
        published_to: dice.chance(25).then(|| day(dice.roll(60))),
        author_id: dice.chance(20).then(|| {
            if dice.chance(10) {
                -1
            } else {
                author_ids[usize::try_from(dice.roll(author_ids.len() as u64)).unwrap()]
            }
        }),
        submitted_by_username: dice.chance(20).then(|| {
            let name = &users[usize::try_from(dice.roll(users.len() as u64)).unwrap()].username;
            match dice.roll(4) {
                0 => name.to_uppercase(),
                // A look-alike with U+212A KELVIN SIGN matches nothing.
                1 => format!("\u{212A}{name}"),
                2 => "nobody".to_owned(),
                _ => name.clone(),
            }
        }),
        submitted_by_user_id: dice
            .chance(10)
            .then(|| users[usize::try_from(dice.roll(users.len() as u64)).unwrap()].id),
        min_upvotes: dice
            .chance(25)
            .then(|| i32::try_from(dice.roll(12)).unwrap()),
        has_code: dice.chance(25).then(|| dice.chance(50)),
        categories: dice.chance(30).then(|| {
            let mut codes: Vec<String> = CATEGORIES
                .iter()
                .filter(|_| dice.chance(40))
                .map(|code| (*code).to_owned())
                .collect();
            // A code no paper has.
            if dice.chance(20) {
                codes.push("cs.AI".to_owned());
            }
            codes
        }),
        followed_by: None,
    }
}
