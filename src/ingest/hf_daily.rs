//! Hugging Face's daily papers list (`GET /api/daily_papers?date=YYYY-MM-DD`, a JSON array)
//! read into paper records, as `huggingface_hub`'s `PaperInfo` reads it.
//!
//! Each item holds a `paper` object: `id` (the arXiv id), `title`, `summary`, `authors`
//! (`[{ "name": … }]`), `publishedAt` (the arXiv submission), `submittedOnDailyAt` (the
//! list's day, as midnight UTC), `upvotes`, and when known `githubRepo`, `githubStars` and
//! `projectPage`. The list's upvotes become the paper's baseline, and the paper is
//! submitted on the day it was listed, so that `dailyPapers(date)` mirrors that day.

use chrono::{DateTime, NaiveDate, Utc};
use serde::Deserialize;

use crate::domain::paper::{self, NewPaper};
use crate::domain::paper_metadata::{self, PaperMetadata};

use super::arxiv_oai::Skipped;
use super::xml::unfold;

#[derive(Deserialize)]
struct Item {
    paper: Option<HfPaper>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct HfPaper {
    id: Option<String>,
    title: Option<String>,
    summary: Option<String>,
    #[serde(default)]
    authors: Vec<HfAuthor>,
    published_at: Option<DateTime<Utc>>,
    submitted_on_daily_at: Option<DateTime<Utc>>,
    upvotes: Option<i64>,
    github_repo: Option<String>,
    github_stars: Option<i64>,
    project_page: Option<String>,
}

#[derive(Deserialize)]
struct HfAuthor {
    name: Option<String>,
}

/// Reads one day's list: each item a paper or the reason it is skipped.
///
/// # Errors
/// The JSON is malformed or not an array.
pub fn parse_day(
    json: &str,
    day: NaiveDate,
    today: NaiveDate,
) -> Result<Vec<Result<NewPaper, Skipped>>, serde_json::Error> {
    let items: Vec<serde_json::Value> = serde_json::from_str(json)?;
    Ok(items
        .into_iter()
        .enumerate()
        .map(|(position, item)| {
            let name = item["paper"]["id"]
                .as_str()
                .map_or_else(|| format!("item {position} of {day}"), str::to_owned);
            serde_json::from_value::<Item>(item)
                .map_err(|error| error.to_string())
                .and_then(|item| into_paper(item, day, today))
                .map_err(|reason| Skipped {
                    record: name,
                    reason,
                })
        })
        .collect())
}

fn into_paper(item: Item, day: NaiveDate, today: NaiveDate) -> Result<NewPaper, String> {
    let hf = item.paper.ok_or("no paper")?;
    let arxiv_id = paper::arxiv_id(&hf.id.ok_or("no id")?)?;
    let names: Vec<String> = hf
        .authors
        .into_iter()
        .filter_map(|author| author.name)
        .map(|name| unfold(&name))
        .collect();
    let listed = hf
        .submitted_on_daily_at
        .unwrap_or_else(|| day.and_time(chrono::NaiveTime::MIN).and_utc());
    let upvotes = hf.upvotes.unwrap_or(0);
    let optional_url = |url: Option<String>| url.map(|url| paper::http_url(&url)).transpose();
    Ok(NewPaper {
        arxiv_id: Some(arxiv_id),
        title: paper::title(&unfold(&hf.title.ok_or("no title")?))?,
        abstract_text: paper::abstract_text(&unfold(&hf.summary.unwrap_or_default()))?,
        authors: paper::authors(&names, true).map_err(|(_, message)| message)?,
        published_at: hf
            .published_at
            .map(|at| paper::published_on(at.date_naive(), today))
            .transpose()?,
        submitted_at: Some(listed),
        submitted_by: None,
        github_url: optional_url(hf.github_repo)?,
        project_url: optional_url(hf.project_page)?,
        upvote_baseline: i32::try_from(upvotes.clamp(0, paper::MAX_UPVOTE_BASELINE)).unwrap_or(0),
        metadata: PaperMetadata {
            github_stars: hf
                .github_stars
                .map(paper_metadata::github_stars)
                .transpose()?,
            ..PaperMetadata::default()
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day() -> NaiveDate {
        NaiveDate::from_ymd_opt(2025, 1, 6).unwrap_or_default()
    }

    const LIST: &str = r#"[
      {"paper": {"id": "2501.02001", "authors": [{"_id": "a1", "name": "Ada Lovelace", "hidden": false},
                 {"_id": "a2", "name": "Grace Hopper", "hidden": false}],
                 "publishedAt": "2025-01-03T18:59:59.000Z", "submittedOnDailyAt": "2025-01-06T00:00:00.000Z",
                 "title": "Daily\n Papers", "summary": "An abstract\nover lines.", "upvotes": 42,
                 "discussionId": "d1", "githubRepo": "https://github.com/example/daily", "githubStars": 314,
                 "projectPage": "https://example.org/daily", "ai_keywords": ["papers"]},
       "publishedAt": "2025-01-03T18:59:59.000Z", "title": "Daily Papers", "numComments": 3},
      {"paper": {"id": "not an id", "title": "Broken", "summary": "x"}},
      {"paper": {"id": "2501.02003", "summary": "No title"}}
    ]"#;

    #[test]
    fn a_day_yields_papers_listed_that_day_and_named_skips() -> Result<(), serde_json::Error> {
        let records = parse_day(LIST, day(), day())?;
        let Some(Ok(paper)) = records.first() else {
            panic!("the first item is a paper: {records:?}");
        };
        assert_eq!(paper.arxiv_id.as_deref(), Some("2501.02001"));
        assert_eq!(paper.title, "Daily Papers");
        assert_eq!(paper.abstract_text, "An abstract over lines.");
        assert_eq!(paper.authors, ["Ada Lovelace", "Grace Hopper"]);
        assert_eq!(paper.upvote_baseline, 42);
        assert_eq!(paper.metadata.github_stars, Some(314));
        assert_eq!(
            paper.github_url.as_deref(),
            Some("https://github.com/example/daily")
        );
        assert_eq!(
            paper.project_url.as_deref(),
            Some("https://example.org/daily")
        );
        assert_eq!(
            paper.submitted_at.map(|at| at.date_naive()),
            Some(day()),
            "submitted on the day it was listed"
        );
        assert_eq!(paper.published_at, NaiveDate::from_ymd_opt(2025, 1, 3));
        let skipped: Vec<&str> = records[1..]
            .iter()
            .filter_map(|record| record.as_ref().err())
            .map(|skip| skip.record.as_str())
            .collect();
        assert_eq!(skipped, ["not an id", "2501.02003"]);
        Ok(())
    }

    #[test]
    fn malformed_json_is_an_error() {
        assert!(parse_day("{", day(), day()).is_err());
        assert!(parse_day("{}", day(), day()).is_err());
    }
}
