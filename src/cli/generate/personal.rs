//! Generated categories and personal data: every paper's arXiv categories, follows,
//! collections and notifications.
//!
//! Drawn from their own random stream (seeded from the plan's seed), so that the rest of
//! the data set is the same with or without them. Follows have fixed subjects for
//! benchmarks when there are any:
//! - user 1 follows 10 authors, user 2 follows 1,000 authors and 20 categories — the
//!   personal feed's light and heavy readers;
//! - author 1 (the most prolific) is followed by users 3 to 10,002 — the notification
//!   fan-out's audience;
//!
//! and the rest are drawn with the same popularity skew as bylines.

use std::collections::HashSet;

use chrono::{DateTime, Duration, Utc};
use sea_orm::{ConnectionTrait, DbErr, Value};

use crate::domain::collection::POSITION_SPACING;

use super::rng::Rng;
use super::{BulkInsert, Sizes, span_micros, to_i64};

/// Categories papers are listed in, the most common first.
const CATEGORIES: [&str; 20] = [
    "cs.LG",
    "cs.CV",
    "cs.CL",
    "cs.AI",
    "stat.ML",
    "cs.RO",
    "cs.CR",
    "cs.IR",
    "cs.SE",
    "cs.DC",
    "cs.NE",
    "cs.HC",
    "math.OC",
    "eess.IV",
    "eess.SP",
    "cs.SD",
    "cs.DB",
    "cs.PL",
    "q-bio.NC",
    "physics.comp-ph",
];
/// Authors the feed's heavy reader follows.
const HEAVY_READER_AUTHORS: u64 = 1_000;
/// Authors the feed's light reader follows.
const LIGHT_READER_AUTHORS: u64 = 10;
/// Followers of author 1.
const FANOUT_AUDIENCE: u64 = 10_000;
/// Items of a generated collection.
const ITEMS_PER_COLLECTION: u64 = 20;

/// A stream independent of the main one.
pub(super) fn rng_for(seed: u64) -> Rng {
    Rng::new(seed ^ 0x5EED_0F7E_450A_11D5)
}

/// Lists every paper in 1–3 categories (the primary first), carrying its submission time.
/// The counts in `categories` are written here, not by the trigger (switched off on
/// PostgreSQL by the caller; SQLite's runs per row and would count twice).
pub(super) async fn insert_categories(
    db: &impl ConnectionTrait,
    rng: &mut Rng,
    submitted: &[DateTime<Utc>],
    counted_by_triggers: bool,
) -> Result<u64, DbErr> {
    let mut listings = BulkInsert::new(
        db,
        "paper_categories",
        &["paper_id", "code", "position", "submitted_at"],
    );
    let mut counts = [0i64; CATEGORIES.len()];
    let mut rows = 0;
    for (index, submitted_at) in submitted.iter().enumerate() {
        let mut codes: Vec<usize> = Vec::with_capacity(3);
        let wanted = 1 + rng.below(3);
        while (codes.len() as u64) < wanted {
            let code = rng.skewed_below(CATEGORIES.len() as u64) as usize;
            if !codes.contains(&code) {
                codes.push(code);
            }
        }
        for (position, code) in codes.into_iter().enumerate() {
            counts[code] += 1;
            rows += 1;
            listings
                .push([
                    (to_i64(index as u64) + 1).into(),
                    CATEGORIES[code].into(),
                    (position as i32).into(),
                    (*submitted_at).into(),
                ])
                .await?;
        }
    }
    listings.flush().await?;
    if !counted_by_triggers {
        let mut categories = BulkInsert::new(db, "categories", &["code", "paper_count"]);
        for (code, count) in CATEGORIES.iter().zip(counts) {
            if count > 0 {
                categories
                    .push([
                        (*code).into(),
                        i32::try_from(count).unwrap_or(i32::MAX).into(),
                    ])
                    .await?;
            }
        }
        categories.flush().await?;
    }
    Ok(rows)
}

/// Writes `sizes.follows` author follows (the fixed subjects first) and the heavy reader's
/// category follows; the number of follows written.
pub(super) async fn insert_follows(
    db: &impl ConnectionTrait,
    rng: &mut Rng,
    sizes: Sizes,
    until: DateTime<Utc>,
) -> Result<u64, DbErr> {
    if sizes.follows == 0 || sizes.users == 0 || sizes.authors == 0 {
        return Ok(0);
    }
    let mut pairs: HashSet<(u64, u64)> = HashSet::new();
    let add = |pairs: &mut HashSet<(u64, u64)>, user: u64, author: u64| {
        (pairs.len() as u64) < sizes.follows && pairs.insert((user, author))
    };
    for (reader, count) in [(1, LIGHT_READER_AUTHORS), (2, HEAVY_READER_AUTHORS)] {
        let wanted = count.min(sizes.authors);
        let mut followed = 0;
        while followed < wanted && (pairs.len() as u64) < sizes.follows {
            if add(&mut pairs, reader, rng.skewed_below(sizes.authors) + 1) {
                followed += 1;
            }
        }
    }
    for user in 3..=(FANOUT_AUDIENCE + 2).min(sizes.users) {
        add(&mut pairs, user, 1);
    }
    let mut attempts = 0u64;
    // The fixed readers follow exactly their numbers; everyone else draws.
    let drawing = sizes.users.saturating_sub(2);
    while (pairs.len() as u64) < sizes.follows
        && drawing > 0
        && attempts < sizes.follows.saturating_mul(4)
    {
        attempts += 1;
        let user = 3 + rng.below(drawing);
        let author = rng.skewed_below(sizes.authors) + 1;
        add(&mut pairs, user, author);
    }
    let mut pairs: Vec<(u64, u64)> = pairs.into_iter().collect();
    pairs.sort_unstable();
    let mut follows = BulkInsert::new(
        db,
        "author_follows",
        &["user_id", "author_id", "created_at"],
    );
    for (user, author) in &pairs {
        let at = until - Duration::minutes(to_i64(rng.below(60 * 24 * 365)));
        follows
            .push([to_i64(*user).into(), to_i64(*author).into(), at.into()])
            .await?;
    }
    follows.flush().await?;
    if sizes.users >= 2 {
        let mut categories =
            BulkInsert::new(db, "category_follows", &["user_id", "code", "created_at"]);
        for code in CATEGORIES {
            categories
                .push([2i64.into(), code.into(), until.into()])
                .await?;
        }
        categories.flush().await?;
    }
    Ok(pairs.len() as u64)
}

/// Writes `sizes.collections` collections of [`ITEMS_PER_COLLECTION`] papers each, owned
/// by random users, about half public; the number of items written. With
/// `counted_by_triggers` the database's triggers keep `item_count` (SQLite).
pub(super) async fn insert_collections(
    db: &impl ConnectionTrait,
    rng: &mut Rng,
    sizes: Sizes,
    until: DateTime<Utc>,
    counted_by_triggers: bool,
) -> Result<u64, DbErr> {
    if sizes.collections == 0 || sizes.users == 0 || sizes.papers == 0 {
        return Ok(0);
    }
    let mut collections = BulkInsert::new(
        db,
        "collections",
        &[
            "id",
            "owner_id",
            "name",
            "description",
            "visibility",
            "item_count",
            "created_at",
            "updated_at",
        ],
    );
    let mut items = BulkInsert::new(
        db,
        "collection_items",
        &["collection_id", "paper_id", "position", "note", "added_at"],
    );
    let mut written = 0;
    for index in 0..sizes.collections {
        let id = to_i64(index) + 1;
        let at = until - Duration::minutes(to_i64(rng.below(60 * 24 * 365)));
        let visibility = match rng.below(4) {
            0 | 1 => "PUBLIC",
            2 => "UNLISTED",
            _ => "PRIVATE",
        };
        let mut papers: Vec<u64> = Vec::with_capacity(ITEMS_PER_COLLECTION as usize);
        while (papers.len() as u64) < ITEMS_PER_COLLECTION.min(sizes.papers) {
            let paper = sizes.papers - rng.skewed_below(sizes.papers);
            if !papers.contains(&paper) {
                papers.push(paper);
            }
        }
        collections
            .push([
                id.into(),
                (to_i64(rng.below(sizes.users)) + 1).into(),
                format!("Reading list {id}").into(),
                String::new().into(),
                visibility.into(),
                if counted_by_triggers {
                    0
                } else {
                    i32::try_from(papers.len()).unwrap_or(0)
                }
                .into(),
                at.into(),
                at.into(),
            ])
            .await?;
        for (position, paper) in (1_i64..).zip(&papers) {
            if items.is_full() {
                // Items reference collections: send the collections first.
                collections.flush().await?;
                items.flush().await?;
            }
            let note = (rng.below(4) == 0).then(|| format!("See section {}", rng.below(9) + 1));
            items.add([
                id.into(),
                to_i64(*paper).into(),
                (position * POSITION_SPACING).into(),
                note.into(),
                at.into(),
            ]);
            written += 1;
        }
    }
    collections.flush().await?;
    items.flush().await?;
    Ok(written)
}

/// Writes `sizes.notifications` read and unread notifications about random papers to
/// random users (none to the fan-out audience's open groups).
pub(super) async fn insert_notifications(
    db: &impl ConnectionTrait,
    rng: &mut Rng,
    sizes: Sizes,
    (start, until): (DateTime<Utc>, DateTime<Utc>),
) -> Result<u64, DbErr> {
    if sizes.notifications == 0 || sizes.users == 0 || sizes.papers == 0 {
        return Ok(0);
    }
    let mut notifications = BulkInsert::new(
        db,
        "notifications",
        &[
            "user_id",
            "kind",
            "actor_id",
            "paper_id",
            "created_at",
            "read_at",
        ],
    );
    let span = span_micros(start, until);
    for _ in 0..sizes.notifications {
        let at = start + Duration::microseconds(to_i64(rng.below(span.unsigned_abs())));
        let kind = rng.pick(&["PAPER_COMMENT", "MENTION", "MODERATION"]);
        let read = rng.below(3) > 0;
        notifications
            .push([
                (to_i64(rng.below(sizes.users)) + 1).into(),
                kind.into(),
                (to_i64(rng.below(sizes.users)) + 1).into(),
                (to_i64(sizes.papers - rng.skewed_below(sizes.papers))).into(),
                at.into(),
                Value::from(read.then_some(at)),
            ])
            .await?;
    }
    notifications.flush().await?;
    Ok(sizes.notifications)
}
