//! Input objects and enums of paper lists.

use async_graphql::{Enum, ID, InputObject};

use crate::domain::paper_metadata;
use crate::error::AppError;
use crate::graphql::types::{GlobalId, NodeKind};
use crate::services::papers::{FollowedBy, PaperFilter};

use super::{Date, DateTime};

/// Longest accepted `submittedBy` filter: no username is longer.
const MAX_USERNAME_FILTER_LEN: usize = 32;

/// Narrows a paper list. All given conditions must hold.
#[derive(InputObject, Default, Debug, Clone)]
#[graphql(name = "PaperFilter")]
pub struct PaperFilterInput {
    /// Submitted strictly after this time.
    pub submitted_after: Option<DateTime>,
    /// Submitted strictly before this time.
    pub submitted_before: Option<DateTime>,
    /// Published on or after this date.
    pub published_from: Option<Date>,
    /// Published on or before this date.
    pub published_to: Option<Date>,
    /// Has this author (an `Author` id) on its byline.
    pub author_id: Option<ID>,
    /// Submitted by the user with this username (case-insensitive).
    pub submitted_by: Option<String>,
    /// Has at least this many upvotes.
    pub min_upvotes: Option<i32>,
    /// Has (true) or lacks (false) a code repository link.
    pub has_code: Option<bool>,
    /// Listed in any of these arXiv categories (codes such as `cs.LG`), as the primary
    /// category or cross-listed.
    pub categories: Option<Vec<String>>,
    /// Only papers in the signed-in viewer's `feed` (`true`): by authors, from users or in
    /// categories they follow. Signed in only (`UNAUTHENTICATED` otherwise).
    pub followed_by_viewer: Option<bool>,
}

impl PaperFilterInput {
    /// The filter as the paper service takes it, for `viewer`.
    ///
    /// # Errors
    /// `BAD_USER_INPUT` for a malformed author id or an impossible username;
    /// `UNAUTHENTICATED` for `followedByViewer` without a viewer.
    pub fn decode(self, field: &str, viewer: Option<i64>) -> Result<PaperFilter, AppError> {
        let followed_by = match (self.followed_by_viewer, viewer) {
            (Some(true), Some(user_id)) => Some(FollowedBy {
                user_id,
                sources: None,
            }),
            (Some(true), None) => {
                return Err(AppError::Unauthenticated(
                    "sign in to filter by what you follow",
                ));
            }
            _ => None,
        };
        let author_id = self
            .author_id
            .map(|id| GlobalId::decode_as(&id, NodeKind::Author, &format!("{field}.authorId")))
            .transpose()?;
        if let Some(username) = &self.submitted_by
            && username.len() > MAX_USERNAME_FILTER_LEN
        {
            return Err(AppError::bad_input(
                format!("{field}.submittedBy"),
                "`submittedBy` is longer than any username",
            ));
        }
        let categories = self
            .categories
            .map(|codes| decode_categories(&codes, &format!("{field}.categories")))
            .transpose()?;
        Ok(PaperFilter {
            submitted_after: self.submitted_after.map(|at| at.0),
            submitted_before: self.submitted_before.map(|at| at.0),
            published_from: self.published_from.map(|day| day.0),
            published_to: self.published_to.map(|day| day.0),
            author_id,
            submitted_by_username: self.submitted_by,
            submitted_by_user_id: None,
            min_upvotes: self.min_upvotes,
            has_code: self.has_code,
            categories,
            followed_by,
        })
    }
}

/// A list of category codes to filter by: 1 to `MAX_CATEGORIES`, each in the taxonomy.
fn decode_categories(codes: &[String], field: &str) -> Result<Vec<String>, AppError> {
    if codes.is_empty() {
        return Err(AppError::bad_input(
            field,
            "give at least one category code, or leave `categories` out",
        ));
    }
    paper_metadata::categories(codes).map_err(|(position, message)| {
        let field = match position {
            Some(position) => format!("{field}[{position}]"),
            None => field.to_owned(),
        };
        AppError::bad_input(field, message)
    })
}

/// Sort direction.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
pub enum OrderDirection {
    Asc,
    Desc,
}

/// What to sort papers by.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
pub enum PaperOrderField {
    /// When the paper entered the feed.
    SubmittedAt,
    /// Publication date (undated papers count as the oldest), then submission time.
    PublishedAt,
    /// Upvote count.
    Upvotes,
}

/// A paper ordering.
#[derive(InputObject, Copy, Clone, Debug)]
#[graphql(name = "PaperOrder")]
pub struct PaperOrderInput {
    pub field: PaperOrderField,
    pub direction: OrderDirection,
}

/// How far back `trendingPapers` looks.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq, Default)]
pub enum TrendingWindow {
    /// Papers submitted in the last 24 hours.
    Day,
    /// Papers submitted in the last 7 days.
    #[default]
    Week,
    /// Papers submitted in the last 30 days.
    Month,
    /// Every paper.
    All,
}

impl TrendingWindow {
    /// How far back the window reaches.
    pub fn length(self) -> Option<chrono::Duration> {
        match self {
            Self::Day => Some(chrono::Duration::days(1)),
            Self::Week => Some(chrono::Duration::days(7)),
            Self::Month => Some(chrono::Duration::days(30)),
            Self::All => None,
        }
    }
}
