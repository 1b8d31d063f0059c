//! What a feed lists: a page of the public API's own lists, read through the schema as an
//! anonymous caller, so that a feed shows exactly what the list it mirrors shows, with the
//! same argument checks.

use async_graphql::Variables;
use chrono::{DateTime, FixedOffset};
use serde::Deserialize;
use serde_json::{Value as Json, json};

use crate::auth::Viewer;
use crate::error::{AppError, tag_untagged_errors};
use crate::graphql::{ClientAddr, guard, loaders};

use super::super::HttpState;

/// The fields of a paper an entry shows.
const ENTRY_FIELDS: &str = "fragment Entry on Paper { id arxivId title abstract \
    authors { name } submittedAt updatedAt upvoteCount pdfUrl projectUrl githubUrl \
    categories { code } }";

/// A list a feed can follow.
#[derive(Debug, Clone, PartialEq)]
pub enum FeedList {
    /// `dailyPapers` of a day (the latest without one).
    Daily { date: Option<String> },
    /// `trendingPapers` within a window (`DAY`, `WEEK`, …).
    Trending { window: String },
    /// `papers` newest first, or `searchPapers` for a query, under a `PaperFilter`.
    Papers {
        filter: Json,
        search: Option<String>,
    },
}

/// One paper of a feed.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FeedPaper {
    pub id: String,
    pub arxiv_id: Option<String>,
    pub title: String,
    pub r#abstract: String,
    pub authors: Vec<Named>,
    pub submitted_at: DateTime<FixedOffset>,
    pub updated_at: DateTime<FixedOffset>,
    pub upvote_count: i64,
    pub pdf_url: Option<String>,
    pub project_url: Option<String>,
    pub github_url: Option<String>,
    pub categories: Vec<Coded>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Named {
    pub name: String,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Coded {
    pub code: String,
}

impl FeedPaper {
    /// Where a reader goes to read the paper.
    pub fn link(&self) -> Option<String> {
        match &self.arxiv_id {
            Some(arxiv_id) => Some(format!("https://arxiv.org/abs/{arxiv_id}")),
            None => self
                .project_url
                .clone()
                .or_else(|| self.github_url.clone())
                .or_else(|| self.pdf_url.clone()),
        }
    }
}

impl FeedList {
    /// The operation reading the list, and its variables.
    fn operation(&self, first: i32) -> (String, Json) {
        let (selection, variables) = match self {
            Self::Daily { date } => (
                "query Feed($first: Int, $date: Date) { list: dailyPapers(date: $date, first: $first) { nodes { ...Entry } } }",
                json!({ "first": first, "date": date }),
            ),
            Self::Trending { window } => (
                "query Feed($first: Int, $window: TrendingWindow) { list: trendingPapers(window: $window, first: $first) { nodes { ...Entry } } }",
                json!({ "first": first, "window": window }),
            ),
            Self::Papers {
                filter,
                search: Some(search),
            } => (
                "query Feed($first: Int, $filter: PaperFilter, $q: String!) { list: searchPapers(query: $q, filter: $filter, first: $first) { nodes { ...Entry } } }",
                json!({ "first": first, "filter": filter, "q": search }),
            ),
            Self::Papers {
                filter,
                search: None,
            } => (
                "query Feed($first: Int, $filter: PaperFilter) { list: papers(filter: $filter, first: $first) { nodes { ...Entry } } }",
                json!({ "first": first, "filter": filter }),
            ),
        };
        (format!("{selection} {ENTRY_FIELDS}"), variables)
    }

    /// The first `first` papers of the list.
    ///
    /// # Errors
    /// `BAD_USER_INPUT` for arguments the list refuses; what the read failed with else.
    pub async fn read(
        &self,
        state: &HttpState,
        client: ClientAddr,
        first: i32,
    ) -> Result<Vec<FeedPaper>, async_graphql::ServerError> {
        let (document, variables) = self.operation(first);
        let request = async_graphql::Request::new(document)
            .variables(Variables::from_json(variables))
            .data(Viewer::Anonymous)
            .data(client)
            .data(loaders::for_request(&state.app));
        let mut response = guard::execute(&state.schema, request).await;
        tag_untagged_errors(&mut response.errors);
        if let Some(error) = response.errors.drain(..).next() {
            return Err(error);
        }
        let data = response
            .data
            .into_json()
            .map_err(|error| AppError::internal(error).into_server_error())?;
        serde_json::from_value::<Vec<FeedPaper>>(data["list"]["nodes"].clone())
            .map_err(|error| AppError::internal(error).into_server_error())
    }
}
