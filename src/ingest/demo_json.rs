//! The demo JSON format: an array of records with `title`, `abstract`, `authors`,
//! `published_on`, `upvotes`, `github_url`, `arxiv_id` (and optional `project_url`,
//! `submitted_at`, `author_count`, `source`, and the metadata `categories` — arXiv codes,
//! the primary first — `doi`, `journal_ref`, `comment`, `license`, `version`, `pdf_url`,
//! `github_stars`). Unknown keys are ignored.

use std::fmt;

use chrono::{DateTime, NaiveDate, Utc};
use serde_json::{Map, Value};

use crate::domain::paper;
use crate::domain::paper::NewPaper;
use crate::domain::paper_metadata::{self, PaperMetadata};

/// Most problems reported for one file; the rest are summarised.
const MAX_PROBLEMS: usize = 50;

/// One invalid field of one record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordProblem {
    /// 0-based position of the record in the file's array.
    pub index: usize,
    pub field: String,
    pub message: String,
}

impl fmt::Display for RecordProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "record {}, field `{}`: {}",
            self.index, self.field, self.message
        )
    }
}

/// Why a file cannot be imported. Nothing is stored when any of these occur.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error("the file is not valid JSON: {0}")]
    Json(#[from] serde_json::Error),
    #[error("the file must hold a JSON array of paper records")]
    NotAnArray,
    #[error("{} invalid record field(s):\n{}", .0.len(), render(.0))]
    Invalid(Vec<RecordProblem>),
}

fn render(problems: &[RecordProblem]) -> String {
    let mut lines: Vec<String> = problems
        .iter()
        .take(MAX_PROBLEMS)
        .map(ToString::to_string)
        .collect();
    if problems.len() > MAX_PROBLEMS {
        lines.push(format!("… and {} more", problems.len() - MAX_PROBLEMS));
    }
    lines.join("\n")
}

/// Parses and validates a whole file; `today` bounds publication dates.
///
/// # Errors
/// [`ImportError`] listing every invalid field, when any record is invalid.
pub fn parse_demo_json(text: &str, today: NaiveDate) -> Result<Vec<NewPaper>, ImportError> {
    let Value::Array(records) = serde_json::from_str::<Value>(text)? else {
        return Err(ImportError::NotAnArray);
    };
    let mut papers = Vec::with_capacity(records.len());
    let mut problems = Vec::new();
    for (index, record) in records.iter().enumerate() {
        let mut reader = RecordReader {
            index,
            problems: &mut problems,
        };
        if let Some(paper) = reader.paper(record, today) {
            papers.push(paper);
        }
    }
    if problems.is_empty() {
        Ok(papers)
    } else {
        Err(ImportError::Invalid(problems))
    }
}

/// Reads one record, collecting problems instead of stopping at the first.
struct RecordReader<'a> {
    index: usize,
    problems: &'a mut Vec<RecordProblem>,
}

impl RecordReader<'_> {
    fn problem(&mut self, field: &str, message: impl Into<String>) {
        self.problems.push(RecordProblem {
            index: self.index,
            field: field.to_owned(),
            message: message.into(),
        });
    }

    fn paper(&mut self, record: &Value, today: NaiveDate) -> Option<NewPaper> {
        let Value::Object(fields) = record else {
            self.problem("(record)", "must be a JSON object");
            return None;
        };
        let before = self.problems.len();
        let title = self.required_text(fields, "title", paper::title);
        let abstract_text = self.required_text(fields, "abstract", paper::abstract_text);
        let authors = self.authors(fields);
        let published_at = self.published_on(fields, today);
        let submitted_at = self.submitted_at(fields);
        let upvote_baseline = self.upvotes(fields);
        let arxiv_id = self.optional_text(fields, "arxiv_id", paper::arxiv_id);
        let github_url = self.optional_text(fields, "github_url", paper::http_url);
        let project_url = self.optional_text(fields, "project_url", paper::http_url);
        let metadata = self.metadata(fields);
        if self.problems.len() > before {
            return None;
        }
        Some(NewPaper {
            arxiv_id,
            title: title?,
            abstract_text: abstract_text?,
            authors: authors?,
            published_at,
            submitted_at,
            submitted_by: None,
            github_url,
            project_url,
            upvote_baseline: upvote_baseline?,
            metadata,
        })
    }

    fn metadata(&mut self, fields: &Map<String, Value>) -> PaperMetadata {
        PaperMetadata {
            categories: self.categories(fields),
            doi: self.optional_text(fields, "doi", paper_metadata::doi),
            journal_ref: self.optional_text(fields, "journal_ref", paper_metadata::journal_ref),
            arxiv_comment: self.optional_text(fields, "comment", paper_metadata::arxiv_comment),
            license: self.optional_text(fields, "license", paper::http_url),
            version: self.optional_number(fields, "version", paper_metadata::version),
            pdf_url: self.optional_text(fields, "pdf_url", paper::http_url),
            github_stars: self.optional_number(
                fields,
                "github_stars",
                paper_metadata::github_stars,
            ),
        }
    }

    fn categories(&mut self, fields: &Map<String, Value>) -> Vec<String> {
        let Some(codes) = self.strings(fields, "categories", "arXiv category codes") else {
            return Vec::new();
        };
        paper_metadata::categories(&codes).unwrap_or_else(|(position, message)| {
            let field = match position {
                Some(position) => format!("categories[{position}]"),
                None => "categories".to_owned(),
            };
            self.problem(&field, message);
            Vec::new()
        })
    }

    fn optional_number<T>(
        &mut self,
        fields: &Map<String, Value>,
        key: &str,
        check: fn(i64) -> Result<T, String>,
    ) -> Option<T> {
        match fields.get(key) {
            None | Some(Value::Null) => None,
            Some(value) => {
                let Some(number) = value.as_i64() else {
                    self.problem(key, "must be an integer or null");
                    return None;
                };
                check(number)
                    .map_err(|message| self.problem(key, message))
                    .ok()
            }
        }
    }

    fn string<'v>(&mut self, fields: &'v Map<String, Value>, key: &str) -> Option<&'v str> {
        match fields.get(key) {
            None | Some(Value::Null) => None,
            Some(Value::String(text)) => Some(text),
            Some(_) => {
                self.problem(key, "must be a string or null");
                None
            }
        }
    }

    fn required_text(
        &mut self,
        fields: &Map<String, Value>,
        key: &str,
        check: fn(&str) -> Result<String, String>,
    ) -> Option<String> {
        let Some(text) = self.string(fields, key) else {
            if !matches!(fields.get(key), Some(value) if !value.is_null()) {
                self.problem(key, "is required");
            }
            return None;
        };
        check(text)
            .map_err(|message| self.problem(key, message))
            .ok()
    }

    fn optional_text(
        &mut self,
        fields: &Map<String, Value>,
        key: &str,
        check: fn(&str) -> Result<String, String>,
    ) -> Option<String> {
        let text = self.string(fields, key)?;
        check(text)
            .map_err(|message| self.problem(key, message))
            .ok()
    }

    /// An optional array of strings (missing or null: empty); `what` describes its items.
    fn strings(
        &mut self,
        fields: &Map<String, Value>,
        key: &str,
        what: &str,
    ) -> Option<Vec<String>> {
        let items = match fields.get(key) {
            None | Some(Value::Null) => return Some(Vec::new()),
            Some(Value::Array(items)) => items,
            Some(_) => {
                self.problem(key, format!("must be an array of {what}"));
                return None;
            }
        };
        let mut strings = Vec::with_capacity(items.len());
        for (position, item) in items.iter().enumerate() {
            let Value::String(text) = item else {
                self.problem(&format!("{key}[{position}]"), "must be a string");
                return None;
            };
            strings.push(text.clone());
        }
        Some(strings)
    }

    fn authors(&mut self, fields: &Map<String, Value>) -> Option<Vec<String>> {
        let names = self.strings(fields, "authors", "names")?;
        let byline = match paper::authors(&names, true) {
            Ok(byline) => byline,
            Err((position, message)) => {
                let field = match position {
                    Some(position) => format!("authors[{position}]"),
                    None => "authors".to_owned(),
                };
                self.problem(&field, message);
                return None;
            }
        };
        if let Some(count) = fields.get("author_count").filter(|v| !v.is_null()) {
            let consistent = count
                .as_u64()
                .is_some_and(|count| byline.is_empty() || count == byline.len() as u64);
            if !consistent {
                self.problem(
                    "author_count",
                    "must be a non-negative integer equal to the number of authors listed",
                );
                return None;
            }
        }
        Some(byline)
    }

    fn published_on(&mut self, fields: &Map<String, Value>, today: NaiveDate) -> Option<NaiveDate> {
        let text = self.string(fields, "published_on")?;
        let Ok(day) = NaiveDate::parse_from_str(text, "%Y-%m-%d") else {
            self.problem("published_on", "must be a date as YYYY-MM-DD");
            return None;
        };
        paper::published_on(day, today)
            .map_err(|message| self.problem("published_on", message))
            .ok()
    }

    fn submitted_at(&mut self, fields: &Map<String, Value>) -> Option<DateTime<Utc>> {
        let text = self.string(fields, "submitted_at")?;
        match DateTime::parse_from_rfc3339(text) {
            Ok(at) => Some(at.with_timezone(&Utc)),
            Err(_) => {
                self.problem("submitted_at", "must be an RFC 3339 timestamp");
                None
            }
        }
    }

    fn upvotes(&mut self, fields: &Map<String, Value>) -> Option<i32> {
        match fields.get("upvotes") {
            None | Some(Value::Null) => Some(0),
            Some(value) => {
                let count = value
                    .as_i64()
                    .filter(|count| (0..=paper::MAX_UPVOTE_BASELINE).contains(count))
                    .and_then(|count| i32::try_from(count).ok());
                if count.is_none() {
                    self.problem(
                        "upvotes",
                        format!(
                            "must be an integer from 0 to {}",
                            paper::MAX_UPVOTE_BASELINE
                        ),
                    );
                }
                count
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::DEMO_PAPERS_JSON;
    use super::*;

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, 26).unwrap_or_default()
    }

    #[test]
    fn the_bundled_demo_file_is_valid() -> Result<(), ImportError> {
        let papers = parse_demo_json(DEMO_PAPERS_JSON, today())?;
        assert_eq!(papers.len(), 43);
        assert_eq!(papers.iter().filter(|p| p.arxiv_id.is_some()).count(), 42);
        assert_eq!(papers.iter().filter(|p| p.github_url.is_some()).count(), 6);
        Ok(())
    }

    #[test]
    fn problems_name_the_record_and_field() {
        let text = r#"[
            {"title": "Fine", "abstract": "A", "authors": ["X"], "upvotes": 1},
            {"title": "", "abstract": "A", "upvotes": -1, "github_url": "javascript:alert(1)"},
            {"abstract": "A", "arxiv_id": "nope", "published_on": "2026-13-01"}
        ]"#;
        let Err(ImportError::Invalid(problems)) = parse_demo_json(text, today()) else {
            panic!("the file must be rejected");
        };
        let named: Vec<(usize, &str)> = problems
            .iter()
            .map(|p| (p.index, p.field.as_str()))
            .collect();
        assert_eq!(
            named,
            vec![
                (1, "title"),
                (1, "upvotes"),
                (1, "github_url"),
                (2, "title"),
                (2, "published_on"),
                (2, "arxiv_id"),
            ]
        );
    }

    #[test]
    fn a_file_that_is_not_an_array_is_rejected() {
        assert!(matches!(
            parse_demo_json("{}", today()),
            Err(ImportError::NotAnArray)
        ));
        assert!(matches!(
            parse_demo_json("[", today()),
            Err(ImportError::Json(_))
        ));
    }
}
