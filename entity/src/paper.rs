//! `papers`.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "papers")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub arxiv_id: Option<String>,
    pub title: String,
    pub r#abstract: String,
    pub published_at: Option<Date>,
    /// `published_at`, or 0001-01-01 when unknown: the `PUBLISHED_AT` ordering key.
    pub published_order: Date,
    pub submitted_at: DateTimeUtc,
    /// The UTC day of `submitted_at`.
    pub submitted_day: Date,
    pub submitted_by: Option<i64>,
    pub github_url: Option<String>,
    pub project_url: Option<String>,
    /// Upvotes the paper had in the source it was imported from.
    pub upvote_baseline: i32,
    /// `upvote_baseline` + the number of `upvotes` rows, kept exact by database triggers.
    pub upvote_count: i32,
    /// `upvote_count` as of the last ranking refresh: the key of upvote-ranked lists.
    pub rank_count: i32,
    /// Length of the byline.
    pub author_count: i32,
    /// Trending score; depends only on `rank_count` and `submitted_at`.
    pub hot_score: f64,
    pub doi: Option<String>,
    pub journal_ref: Option<String>,
    /// The authors' comment line ("12 pages, 5 figures").
    pub arxiv_comment: Option<String>,
    /// The licence's URL.
    pub license: Option<String>,
    /// The latest arXiv version number.
    pub version: Option<i32>,
    pub pdf_url: Option<String>,
    pub github_stars: Option<i32>,
    pub withdrawn: bool,
    /// The record's last change; `None` while it is as submitted.
    pub updated_at: Option<DateTimeUtc>,
    /// Kept by triggers: comments not deleted.
    pub comment_count: i32,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
