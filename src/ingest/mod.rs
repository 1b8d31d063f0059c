//! Readers of papers from outside sources. Each turns what a source sends into validated
//! [`NewPaper`] records, or a list of problems naming the record and field; storing them is
//! the catalogue's job. Used by the `import` command and by `serve --demo`.
//!
//! [`NewPaper`]: crate::domain::paper::NewPaper

pub mod arxiv_api;
pub mod arxiv_atom;
pub mod arxiv_oai;
pub mod arxiv_versions;
mod demo_json;
pub mod harvest;
pub mod hf_daily;
pub mod hf_sync;
pub mod pacer;
pub mod polite;
pub mod schedule;
mod xml;

pub use demo_json::{ImportError, RecordProblem, parse_demo_json};

/// The demo data set, compiled into the binary.
pub const DEMO_PAPERS_JSON: &str = include_str!("../../assets/demo-papers.json");
