//! Generated discussion: comment threads and comment upvotes.
//!
//! Papers are drawn with the same popularity skew as upvotes (index `i` from the newest
//! about `1/(i+1)` as often), so most papers have no comments and the newest few have tens
//! of thousands — the newest about 9 % of all. Within a paper, comments follow its
//! submission in time; a little over half answer an earlier comment of the same paper
//! (threads at most 16 levels deep), and each gets a few upvotes from distinct users,
//! geometric with mean about 0.4.

use chrono::{DateTime, Duration, Utc};
use sea_orm::{ConnectionTrait, DbErr, Value};

use crate::domain::comment::{CommentBody, MAX_THREAD_LEVELS};

use super::rng::Rng;
use super::vocabulary::Vocabulary;
use super::{BulkInsert, Sizes, span_micros, to_i64};

/// Share of comments that answer another comment.
const REPLY_SHARE: f64 = 0.55;
/// Chance of each further upvote of a comment.
const UPVOTE_CHANCE: f64 = 0.3;

/// One comment, before it is written.
struct Draft {
    /// Position of the parent among the paper's comments.
    parent: Option<usize>,
    depth: i32,
    author: u64,
    upvoters: Vec<u64>,
    replies: i32,
}

/// What was written.
pub struct Written {
    pub comments: u64,
    pub upvotes: u64,
}

/// Writes `sizes.comments` comments and their upvotes. With `counted_by_triggers` the
/// database's triggers keep the stored counts (SQLite); otherwise the rows carry them and
/// `papers.comment_count` is set afterwards by the caller (PostgreSQL, triggers off).
pub(super) async fn insert_comments(
    db: &impl ConnectionTrait,
    rng: &mut Rng,
    sizes: Sizes,
    submitted: &[DateTime<Utc>],
    until: DateTime<Utc>,
    counted_by_triggers: bool,
) -> Result<Written, DbErr> {
    let mut per_paper = vec![0u32; submitted.len()];
    if sizes.papers == 0 || sizes.users == 0 {
        return Ok(Written {
            comments: 0,
            upvotes: 0,
        });
    }
    for _ in 0..sizes.comments {
        let paper = sizes.papers - 1 - rng.skewed_below(sizes.papers);
        per_paper[paper as usize] += 1;
    }
    let mut comments = BulkInsert::new(
        db,
        "comments",
        &[
            "id",
            "paper_id",
            "author_id",
            "parent_id",
            "depth",
            "body",
            "body_html",
            "created_at",
            "deleted",
            "hidden",
            "upvote_count",
            "reply_count",
        ],
    );
    let mut upvotes = BulkInsert::new(
        db,
        "comment_upvotes",
        &["comment_id", "user_id", "created_at"],
    );
    let vocabulary = Vocabulary::new();
    let mut next_id = 1i64;
    let mut upvote_rows = 0u64;
    for (paper, &count) in per_paper.iter().enumerate() {
        if count == 0 {
            continue;
        }
        let drafts = thread(rng, sizes.users, count as usize);
        let first_id = next_id;
        let start = submitted[paper];
        let spacing = span_micros(start, until) / i64::from(count + 1);
        for (position, draft) in drafts.iter().enumerate() {
            let id = first_id + to_i64(position as u64);
            let created_at =
                start + Duration::microseconds(spacing * (to_i64(position as u64) + 1));
            let words = 8 + rng.below(30) as usize;
            let text = sentence(rng, &vocabulary, words);
            let body = CommentBody::parse(&text)
                .map_err(|message| DbErr::Custom(format!("a generated comment: {message}")))?;
            let counts = |value: i32| if counted_by_triggers { 0 } else { value };
            comments
                .push([
                    id.into(),
                    (to_i64(paper as u64) + 1).into(),
                    (to_i64(draft.author) + 1).into(),
                    draft
                        .parent
                        .map(|parent| first_id + to_i64(parent as u64))
                        .into(),
                    draft.depth.into(),
                    body.markdown.into(),
                    body.html.into(),
                    created_at.into(),
                    false.into(),
                    false.into(),
                    counts(i32::try_from(draft.upvoters.len()).unwrap_or(i32::MAX)).into(),
                    counts(draft.replies).into(),
                ])
                .await?;
            for &user in &draft.upvoters {
                pending_upvote(&mut upvotes, id, user, created_at);
                upvote_rows += 1;
            }
            if upvotes.is_full() {
                // Comments go first: the upvote rows refer to them.
                comments.flush().await?;
                upvotes.flush().await?;
            }
        }
        next_id += i64::from(count);
    }
    comments.flush().await?;
    upvotes.flush().await?;
    Ok(Written {
        comments: sizes.comments,
        upvotes: upvote_rows,
    })
}

fn pending_upvote(
    upvotes: &mut BulkInsert<'_, impl ConnectionTrait>,
    comment_id: i64,
    user: u64,
    at: DateTime<Utc>,
) {
    upvotes.add([
        Value::from(comment_id),
        (to_i64(user) + 1).into(),
        at.into(),
    ]);
}

/// The `count` comments of one paper in time order: who wrote each, what it answers, who
/// upvoted it, and how many replies it got.
fn thread(rng: &mut Rng, users: u64, count: usize) -> Vec<Draft> {
    let mut drafts: Vec<Draft> = Vec::with_capacity(count);
    for position in 0..count {
        let parent = (position > 0 && rng.unit() < REPLY_SHARE)
            .then(|| rng.below(position as u64) as usize)
            .filter(|&parent| drafts[parent].depth + 1 < MAX_THREAD_LEVELS);
        let depth = parent.map_or(0, |parent| drafts[parent].depth + 1);
        if let Some(parent) = parent {
            drafts[parent].replies += 1;
        }
        let mut upvoters = Vec::new();
        let first = rng.below(users);
        while (upvoters.len() as u64) < users && rng.unit() < UPVOTE_CHANCE {
            upvoters.push((first + upvoters.len() as u64) % users);
        }
        drafts.push(Draft {
            parent,
            depth,
            author: rng.below(users),
            upvoters,
            replies: 0,
        });
    }
    drafts
}

fn sentence(rng: &mut Rng, vocabulary: &Vocabulary, words: usize) -> String {
    let mut text = String::with_capacity(words * 8);
    for index in 0..words {
        if index > 0 {
            text.push(' ');
        }
        text.push_str(vocabulary.draw(rng));
    }
    text.push('.');
    text
}
