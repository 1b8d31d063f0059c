//! Submitting papers, and the events subscriptions deliver.

use async_graphql::{InputObject, SimpleObject};
use chrono::NaiveDate;

use crate::domain::paper;
use crate::domain::paper::NewPaper;
use crate::domain::paper_metadata::PaperMetadata;
use crate::error::AppError;

use super::{Date, Paper};

/// A paper to add to the feed.
#[derive(InputObject)]
pub struct SubmitPaperInput {
    /// arXiv identifier, modern (`2410.10977`) or legacy (`hep-th/9901001`); an `arXiv:`
    /// prefix and a version suffix are accepted and dropped. Unique.
    pub arxiv_id: Option<String>,
    /// 1–300 characters.
    pub title: String,
    /// 1–10,000 characters.
    #[graphql(name = "abstract")]
    pub abstract_text: String,
    /// The byline, in order: 1–200 distinct names of 1–200 characters. Names are matched
    /// to existing authors exactly.
    pub authors: Vec<String>,
    /// Publication date; not in the future.
    pub published_at: Option<Date>,
    /// An http(s) URL of at most 2,048 bytes.
    pub github_url: Option<String>,
    /// An http(s) URL of at most 2,048 bytes.
    pub project_url: Option<String>,
}

impl SubmitPaperInput {
    /// The validated paper (its submitter is set by the service); `today` bounds the
    /// publication date.
    ///
    /// # Errors
    /// `BAD_USER_INPUT` naming the first invalid field (`input.authors[3]`, …).
    pub fn validate(self, today: NaiveDate) -> Result<NewPaper, AppError> {
        let field = |name: &str| format!("input.{name}");
        let title =
            paper::title(&self.title).map_err(|m| AppError::bad_input(field("title"), m))?;
        let abstract_text = paper::abstract_text(&self.abstract_text)
            .map_err(|m| AppError::bad_input(field("abstract"), m))?;
        let authors = paper::authors(&self.authors, false).map_err(|(index, m)| {
            let name = match index {
                Some(index) => field(&format!("authors[{index}]")),
                None => field("authors"),
            };
            AppError::bad_input(name, m)
        })?;
        let arxiv_id = self
            .arxiv_id
            .as_deref()
            .map(paper::arxiv_id)
            .transpose()
            .map_err(|m| AppError::bad_input(field("arxivId"), m))?;
        let github_url = self
            .github_url
            .as_deref()
            .map(paper::http_url)
            .transpose()
            .map_err(|m| AppError::bad_input(field("githubUrl"), m))?;
        let project_url = self
            .project_url
            .as_deref()
            .map(paper::http_url)
            .transpose()
            .map_err(|m| AppError::bad_input(field("projectUrl"), m))?;
        let published_at = self
            .published_at
            .map(|day| paper::published_on(day.0, today))
            .transpose()
            .map_err(|m| AppError::bad_input(field("publishedAt"), m))?;
        Ok(NewPaper {
            arxiv_id,
            title,
            abstract_text,
            authors,
            published_at,
            submitted_at: None,
            submitted_by: None,
            github_url,
            project_url,
            upvote_baseline: 0,
            metadata: PaperMetadata::default(),
        })
    }
}

/// The result of `submitPaper`.
#[derive(SimpleObject)]
pub struct SubmitPaperPayload {
    /// The paper as stored.
    pub paper: Paper,
}

/// A paper's upvote count changed.
#[derive(SimpleObject)]
pub struct UpvoteEvent {
    /// The paper.
    pub paper: Paper,
    /// Its upvote count right after the change.
    pub upvote_count: i32,
}
