//! What a paper list can be narrowed by (the `PaperFilter` input, decoded), defined once:
//! a filter is a list of [`Condition`]s, and each condition is both a SQL condition (for
//! lists) and a test on a loaded paper (for papers that arrive as subscription events).
//! Comparisons of a column with a value are written once for both, through the model's
//! column values, with SQL's treatment of a missing value (it passes no comparison).

use std::cmp::Ordering;
use std::collections::HashSet;
use std::sync::Arc;

use chrono::{DateTime, NaiveDate, Utc};
use entity::{
    author_follow, category_follow, paper, paper_author, paper_category, user, user_follow,
};
use sea_orm::sea_query::{Expr, ExprTrait, Query};
use sea_orm::{ColumnTrait, ModelTrait, QueryFilter, Select, Value};

use crate::domain::account::lookup_key;

/// Conditions a paper list can be narrowed by; all must hold.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PaperFilter {
    /// Submitted strictly after.
    pub submitted_after: Option<DateTime<Utc>>,
    /// Submitted strictly before.
    pub submitted_before: Option<DateTime<Utc>>,
    /// Published on or after.
    pub published_from: Option<NaiveDate>,
    /// Published on or before.
    pub published_to: Option<NaiveDate>,
    /// Has this author on its byline.
    pub author_id: Option<i64>,
    /// Submitted by the user with this username (case-insensitive).
    pub submitted_by_username: Option<String>,
    /// Submitted by the user with this id.
    pub submitted_by_user_id: Option<i64>,
    /// At least this many upvotes.
    pub min_upvotes: Option<i32>,
    /// Has (or lacks) a code repository link.
    pub has_code: Option<bool>,
    /// Listed (primarily or cross-listed) in any of these arXiv categories.
    pub categories: Option<Vec<String>>,
    /// In the personal feed of a user: by an author, from a submitter or in a category
    /// they follow.
    pub followed_by: Option<FollowedBy>,
}

/// The sources a user follows, as a filter sees them.
#[derive(Debug, Clone, PartialEq)]
pub struct FollowedBy {
    pub user_id: i64,
    /// What the user followed when loaded, for testing papers in memory (subscriptions);
    /// lists read the follows in SQL and leave it `None`.
    pub sources: Option<Arc<FollowedSources>>,
}

/// The authors, users and categories a user follows.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FollowedSources {
    pub authors: HashSet<i64>,
    pub users: HashSet<i64>,
    pub categories: HashSet<String>,
}

/// What a filter tests of a paper beyond its own row.
#[derive(Debug, Clone, Copy, Default)]
pub struct Related<'a> {
    /// The byline's author ids.
    pub author_ids: &'a [i64],
    pub submitter: Option<&'a user::Model>,
    /// The paper's category codes.
    pub categories: &'a [String],
}

/// One condition on a paper.
#[derive(Debug, Clone)]
enum Condition {
    /// A column compared with a value.
    Compare {
        column: paper::Column,
        operator: Operator,
        value: Value,
    },
    /// A column holds a value (`true`) or none (`false`).
    Present {
        column: paper::Column,
        present: bool,
    },
    /// The byline holds this author.
    HasAuthor(i64),
    /// The submitter's username has this lookup key; `None` is a spelling no username
    /// can have, which nothing matches.
    SubmitterNamed(Option<String>),
    /// Listed in any of these categories.
    InCategories(Vec<String>),
    /// By an author, from a submitter or in a category the user follows.
    Followed(FollowedBy),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Operator {
    Less,
    LessOrEqual,
    Equal,
    GreaterOrEqual,
    Greater,
}

impl PaperFilter {
    /// Whether the filter lets every paper through.
    pub fn is_empty(&self) -> bool {
        *self == Self::default()
    }

    /// The filter as conditions: the one place each field gets its meaning.
    fn conditions(&self) -> Vec<Condition> {
        use Operator::{Equal, Greater, GreaterOrEqual, Less, LessOrEqual};
        let compare = |column, operator, value: Value| Condition::Compare {
            column,
            operator,
            value,
        };
        let mut conditions = Vec::new();
        if let Some(at) = self.submitted_after {
            conditions.push(compare(paper::Column::SubmittedAt, Greater, at.into()));
        }
        if let Some(at) = self.submitted_before {
            conditions.push(compare(paper::Column::SubmittedAt, Less, at.into()));
        }
        if let Some(day) = self.published_from {
            conditions.push(compare(
                paper::Column::PublishedAt,
                GreaterOrEqual,
                day.into(),
            ));
        }
        if let Some(day) = self.published_to {
            conditions.push(compare(paper::Column::PublishedAt, LessOrEqual, day.into()));
        }
        if let Some(author_id) = self.author_id {
            conditions.push(Condition::HasAuthor(author_id));
        }
        if let Some(username) = &self.submitted_by_username {
            conditions.push(Condition::SubmitterNamed(lookup_key(username)));
        }
        if let Some(user_id) = self.submitted_by_user_id {
            conditions.push(compare(paper::Column::SubmittedBy, Equal, user_id.into()));
        }
        if let Some(min) = self.min_upvotes {
            conditions.push(compare(
                paper::Column::UpvoteCount,
                GreaterOrEqual,
                min.into(),
            ));
        }
        if let Some(present) = self.has_code {
            conditions.push(Condition::Present {
                column: paper::Column::GithubUrl,
                present,
            });
        }
        if let Some(codes) = &self.categories {
            conditions.push(Condition::InCategories(codes.clone()));
        }
        if let Some(followed) = &self.followed_by {
            conditions.push(Condition::Followed(followed.clone()));
        }
        conditions
    }

    /// `select` narrowed by the filter, in SQL.
    pub(crate) fn apply(&self, select: Select<paper::Entity>) -> Select<paper::Entity> {
        self.conditions()
            .iter()
            .fold(select, |select, condition| select.filter(condition.sql()))
    }

    /// Whether a paper (with its byline, submitter and categories) passes the filter.
    pub fn matches(&self, paper: &paper::Model, related: Related<'_>) -> bool {
        self.conditions()
            .iter()
            .all(|condition| condition.holds(paper, related))
    }
}

impl Condition {
    fn sql(&self) -> Expr {
        match self {
            Self::Compare {
                column,
                operator,
                value,
            } => {
                let column = Expr::col((paper::Entity, *column));
                let value = Expr::val(value.clone());
                match operator {
                    Operator::Less => column.lt(value),
                    Operator::LessOrEqual => column.lte(value),
                    Operator::Equal => column.eq(value),
                    Operator::GreaterOrEqual => column.gte(value),
                    Operator::Greater => column.gt(value),
                }
            }
            Self::Present { column, present } => {
                let column = Expr::col((paper::Entity, *column));
                if *present {
                    column.is_not_null()
                } else {
                    column.is_null()
                }
            }
            Self::HasAuthor(author_id) => paper::Column::Id.in_subquery(
                Query::select()
                    .column(paper_author::Column::PaperId)
                    .from(paper_author::Entity)
                    .and_where(Expr::col(paper_author::Column::AuthorId).eq(*author_id))
                    .to_owned(),
            ),
            Self::SubmitterNamed(Some(key)) => paper::Column::SubmittedBy.in_subquery(
                Query::select()
                    .column(user::Column::Id)
                    .from(user::Entity)
                    .and_where(Expr::col(user::Column::UsernameKey).eq(key.as_str()))
                    .to_owned(),
            ),
            Self::SubmitterNamed(None) => Expr::val(false),
            Self::InCategories(codes) => paper::Column::Id.in_subquery(
                Query::select()
                    .column(paper_category::Column::PaperId)
                    .from(paper_category::Entity)
                    .and_where(
                        Expr::col(paper_category::Column::Code)
                            .is_in(codes.iter().map(String::as_str)),
                    )
                    .to_owned(),
            ),
            Self::Followed(followed) => followed_sql(followed.user_id),
        }
    }

    fn holds(&self, paper: &paper::Model, related: Related<'_>) -> bool {
        match self {
            Self::Compare {
                column,
                operator,
                value,
            } => compare(&paper.get(*column), value).is_some_and(|order| match operator {
                Operator::Less => order.is_lt(),
                Operator::LessOrEqual => order.is_le(),
                Operator::Equal => order.is_eq(),
                Operator::GreaterOrEqual => order.is_ge(),
                Operator::Greater => order.is_gt(),
            }),
            Self::Present { column, present } => paper.get(*column).is_some() == *present,
            Self::HasAuthor(author_id) => related.author_ids.contains(author_id),
            Self::SubmitterNamed(key) => related
                .submitter
                .zip(key.as_ref())
                .is_some_and(|(user, key)| user.username_key == *key),
            Self::InCategories(codes) => related
                .categories
                .iter()
                .any(|listed| codes.contains(listed)),
            Self::Followed(followed) => followed
                .sources
                .as_deref()
                .is_some_and(|sources| sources.include(related)),
        }
    }
}

impl FollowedSources {
    /// Whether a paper's byline, submitter or categories hold a followed source.
    fn include(&self, related: Related<'_>) -> bool {
        related
            .author_ids
            .iter()
            .any(|id| self.authors.contains(id))
            || related
                .submitter
                .is_some_and(|user| self.users.contains(&user.id))
            || related
                .categories
                .iter()
                .any(|code| self.categories.contains(code))
    }
}

/// Papers with a followed author, a followed submitter or a followed category.
fn followed_sql(user_id: i64) -> Expr {
    let by_author = paper::Column::Id.in_subquery(
        Query::select()
            .column(paper_author::Column::PaperId)
            .from(paper_author::Entity)
            .and_where(
                Expr::col(paper_author::Column::AuthorId).in_subquery(
                    Query::select()
                        .column(author_follow::Column::AuthorId)
                        .from(author_follow::Entity)
                        .and_where(Expr::col(author_follow::Column::UserId).eq(user_id))
                        .to_owned(),
                ),
            )
            .to_owned(),
    );
    let in_category = paper::Column::Id.in_subquery(
        Query::select()
            .column(paper_category::Column::PaperId)
            .from(paper_category::Entity)
            .and_where(
                Expr::col(paper_category::Column::Code).in_subquery(
                    Query::select()
                        .column(category_follow::Column::Code)
                        .from(category_follow::Entity)
                        .and_where(Expr::col(category_follow::Column::UserId).eq(user_id))
                        .to_owned(),
                ),
            )
            .to_owned(),
    );
    let by_submitter = paper::Column::SubmittedBy.in_subquery(
        Query::select()
            .column(user_follow::Column::UserId)
            .from(user_follow::Entity)
            .and_where(Expr::col(user_follow::Column::FollowerId).eq(user_id))
            .to_owned(),
    );
    by_author.or(in_category).or(by_submitter)
}

/// How a stored value compares with a filter's value; `None` when either is missing (SQL's
/// NULL) or they are of kinds a filter never compares.
fn compare(stored: &Value, wanted: &Value) -> Option<Ordering> {
    match (stored, wanted) {
        (Value::Int(Some(a)), Value::Int(Some(b))) => Some(a.cmp(b)),
        (Value::BigInt(Some(a)), Value::BigInt(Some(b))) => Some(a.cmp(b)),
        (Value::ChronoDate(Some(a)), Value::ChronoDate(Some(b))) => Some(a.cmp(b)),
        (Value::ChronoDateTimeUtc(Some(a)), Value::ChronoDateTimeUtc(Some(b))) => Some(a.cmp(b)),
        _ => None,
    }
}
