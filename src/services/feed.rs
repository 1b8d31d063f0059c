//! The personal feed: papers by the authors a user follows, submitted by the users they
//! follow, or listed in the categories they follow, newest submission first, each once.
//!
//! Read, not written ("fan-out on read"). Each followed source keeps its papers as an index
//! range newest first (see migration 000022), and a page takes the first `limit` papers
//! after the cursor from each source's range, then the first `limit` distinct ones of their
//! union. That is exact: a paper among the page's `limit` is, in each of its sources,
//! behind fewer than `limit` others of the page. A page costs one index range per followed
//! source — bounded by [`follows::MAX_FOLLOWS`](super::follows::MAX_FOLLOWS) — whatever the
//! sources' sizes and however many papers arrive; it is first looked for among the papers
//! of the last day below the page's top (then 16 days, 256, everything), so that busy
//! sources end their ranges early and quiet ones at once. Writing the feed instead (a row per
//! follower and paper) would make a harvest's 50,000 papers cost a row for every follower
//! of every author and category in them, and following a prolific author a backfill of
//! thousands of rows, for a read that is already index ranges.

use chrono::{DateTime, Duration, Utc};
use entity::paper;
use sea_orm::{
    ConnectionTrait, DbBackend, EntityTrait, FromQueryResult, QueryOrder, QuerySelect, Value,
};

use crate::error::{AppError, AppResult};
use crate::pagination::{KeyPart, Keyset, ListKind, Page, PageRequest};

use super::sql;

/// The feed's cursor family.
pub const LIST_KIND: ListKind = ListKind::PersonalFeed;

/// The types of a cursor's key parts: the submission time.
pub fn cursor_shape() -> Vec<KeyPart> {
    vec![KeyPart::Time(0)]
}

/// A paper's position in the feed.
pub fn key_of(paper: &paper::Model) -> Keyset {
    Keyset {
        parts: vec![KeyPart::time(paper.submitted_at)],
        id: paper.id,
        generation: None,
    }
}

/// A kind of followed source: the follow rows naming each source, and the table whose
/// index holds each source's papers newest first.
struct Source {
    range_table: &'static str,
    range_source: &'static str,
    range_paper: &'static str,
    follow_table: &'static str,
    follower: &'static str,
    followed: &'static str,
}

const SOURCES: [Source; 3] = [
    Source {
        range_table: "paper_authors",
        range_source: "author_id",
        range_paper: "paper_id",
        follow_table: "author_follows",
        follower: "user_id",
        followed: "author_id",
    },
    Source {
        range_table: "paper_categories",
        range_source: "code",
        range_paper: "paper_id",
        follow_table: "category_follows",
        follower: "user_id",
        followed: "code",
    },
    Source {
        range_table: "papers",
        range_source: "submitted_by",
        range_paper: "id",
        follow_table: "user_follows",
        follower: "follower_id",
        followed: "user_id",
    },
];

impl Source {
    /// The first `?` papers of each source `?` follows, after the cursor when `after` and
    /// submitted since a time when `bounded`: `(submitted_at, paper_id)` rows. PostgreSQL
    /// takes each range in a `LATERAL` join; SQLite, which has none, reads the same range as
    /// a correlated `rowid IN (…)` list evaluated once per followed source.
    fn arm(&self, backend: DbBackend, after: bool, bounded: bool) -> String {
        let Self {
            range_table,
            range_source,
            range_paper,
            follow_table,
            follower,
            followed,
        } = self;
        let cursor = if after {
            format!("AND (r.submitted_at, r.{range_paper}) < (?, ?)")
        } else {
            String::new()
        };
        let since = if bounded {
            "AND r.submitted_at >= ?"
        } else {
            ""
        };
        let range = format!(
            "FROM {range_table} r WHERE r.{range_source} = f.{followed} {cursor} {since}
             ORDER BY r.submitted_at DESC, r.{range_paper} DESC LIMIT ?"
        );
        match backend {
            DbBackend::Postgres => format!(
                "SELECT x.submitted_at, x.paper_id FROM {follow_table} f
                 CROSS JOIN LATERAL (SELECT r.submitted_at, r.{range_paper} AS paper_id {range}) x
                 WHERE f.{follower} = ?"
            ),
            _ => format!(
                "SELECT s.submitted_at, s.{range_paper} AS paper_id FROM {follow_table} f, {range_table} s
                 WHERE f.{follower} = ? AND s.rowid IN (SELECT r.rowid {range})"
            ),
        }
    }
}

/// How far below the page's top (the cursor, or the newest paper) a page is looked for
/// first, in days, each window tried when the one before held less than a page; `None` is
/// the whole feed. A page within a window is the page: everything outside is older. For a
/// reader of busy sources the first day holds it, and each source's range stops at the
/// window instead of reading a page of old papers from every one of 1,000 sources.
const WINDOWS_DAYS: [Option<i64>; 4] = [Some(1), Some(16), Some(256), None];

/// Followed sources up to which a page is read whole at once: a few sources' ranges are
/// short anyway, and windows would only add statements.
const FEW_SOURCES: i64 = 64;

/// Where a page starts: after a cursor's paper.
#[derive(Debug, Clone, Copy)]
struct After {
    at: DateTime<Utc>,
    id: i64,
}

/// A page of `user_id`'s feed.
///
/// # Errors
/// `BAD_USER_INPUT` for an out-of-range cursor; `INTERNAL_SERVER_ERROR` on database failure.
pub async fn page(
    db: &impl ConnectionTrait,
    user_id: i64,
    request: &PageRequest,
) -> AppResult<Page<paper::Model>> {
    let limit = request.fetch_limit();
    let after = match &request.after {
        Some(key) => Some(after(key)?),
        None => None,
    };
    let sources = followed_sources(db, user_id).await?;
    if sources == 0 {
        return Ok(request.into_page(Vec::new()));
    }
    if sources <= FEW_SOURCES {
        let papers = newest(db, user_id, after, None, limit).await?;
        return Ok(request.into_page(papers));
    }
    let top = match after {
        Some(after) => Some(after.at),
        None => newest_submission(db).await?,
    };
    for window in WINDOWS_DAYS {
        let since = match (window, top) {
            (Some(days), Some(top)) => Some(top - Duration::days(days)),
            _ => None,
        };
        if window.is_some() && since.is_none() {
            continue;
        }
        let papers = newest(db, user_id, after, since, limit).await?;
        if papers.len() as u64 >= limit || since.is_none() {
            return Ok(request.into_page(papers));
        }
    }
    Ok(request.into_page(Vec::new()))
}

/// The first `limit` distinct papers of every followed source, after `after` and
/// submitted since `since`, newest first.
async fn newest(
    db: &impl ConnectionTrait,
    user_id: i64,
    after: Option<After>,
    since: Option<DateTime<Utc>>,
    limit: u64,
) -> AppResult<Vec<paper::Model>> {
    let backend = db.get_database_backend();
    let limit = i64::try_from(limit).unwrap_or(i64::MAX);
    let mut values: Vec<Value> = Vec::new();
    let arms: Vec<String> = SOURCES
        .iter()
        .map(|source| {
            // Placeholders in text order: the follower (SQLite puts it before the range).
            let mut range = Vec::new();
            if let Some(after) = after {
                range.push(Value::from(after.at));
                range.push(Value::from(after.id));
            }
            if let Some(since) = since {
                range.push(Value::from(since));
            }
            range.push(Value::from(limit));
            match backend {
                DbBackend::Postgres => {
                    values.extend(range);
                    values.push(Value::from(user_id));
                }
                _ => {
                    values.push(Value::from(user_id));
                    values.extend(range);
                }
            }
            source.arm(backend, after.is_some(), since.is_some())
        })
        .collect();
    values.push(Value::from(limit));
    let sql = format!(
        "SELECT p.* FROM papers p JOIN (
            SELECT DISTINCT c.submitted_at, c.paper_id FROM ({}) c
            ORDER BY c.submitted_at DESC, c.paper_id DESC LIMIT ?
         ) top ON top.paper_id = p.id
         ORDER BY p.submitted_at DESC, p.id DESC",
        arms.join(" UNION ALL ")
    );
    let rows = db
        .query_all_raw(sql::statement(backend, &sql, values))
        .await?;
    Ok(rows
        .iter()
        .map(|row| paper::Model::from_query_result(row, ""))
        .collect::<Result<Vec<_>, _>>()?)
}

/// How many authors, categories and users `user_id` follows.
async fn followed_sources(db: &impl ConnectionTrait, user_id: i64) -> AppResult<i64> {
    let sql = "SELECT (SELECT COUNT(*) FROM author_follows WHERE user_id = ?)
                    + (SELECT COUNT(*) FROM category_follows WHERE user_id = ?)
                    + (SELECT COUNT(*) FROM user_follows WHERE follower_id = ?) AS sources";
    let values = vec![Value::from(user_id); 3];
    let row = db
        .query_one_raw(sql::statement(db.get_database_backend(), sql, values))
        .await?;
    Ok(match row {
        Some(row) => row.try_get("", "sources")?,
        None => 0,
    })
}

/// When the newest paper was submitted; `None` without papers.
async fn newest_submission(db: &impl ConnectionTrait) -> AppResult<Option<DateTime<Utc>>> {
    Ok(paper::Entity::find()
        .select_only()
        .column(paper::Column::SubmittedAt)
        .order_by_desc(paper::Column::SubmittedAt)
        .limit(1)
        .into_tuple()
        .one(db)
        .await?)
}

/// How many papers `user_id`'s feed holds (every paper of every followed source, once:
/// as costly as the sources are large).
///
/// # Errors
/// `INTERNAL_SERVER_ERROR` on database failure.
pub async fn count(db: &impl ConnectionTrait, user_id: i64) -> AppResult<i64> {
    let sql = "SELECT COUNT(*) AS count FROM (
        SELECT pa.paper_id FROM author_follows f
            JOIN paper_authors pa ON pa.author_id = f.author_id WHERE f.user_id = ?
        UNION SELECT pc.paper_id FROM category_follows f
            JOIN paper_categories pc ON pc.code = f.code WHERE f.user_id = ?
        UNION SELECT p.id FROM user_follows f
            JOIN papers p ON p.submitted_by = f.user_id WHERE f.follower_id = ?
    ) c";
    let values = vec![Value::from(user_id); 3];
    let row = db
        .query_one_raw(sql::statement(db.get_database_backend(), sql, values))
        .await?;
    Ok(match row {
        Some(row) => row.try_get("", "count")?,
        None => 0,
    })
}

fn after(key: &Keyset) -> AppResult<After> {
    let at = match key.parts.first() {
        Some(KeyPart::Time(micros)) => DateTime::<Utc>::from_timestamp_micros(*micros),
        _ => None,
    }
    .ok_or_else(|| AppError::bad_input("after", "`after` is out of range"))?;
    Ok(After { at, id: key.id })
}
