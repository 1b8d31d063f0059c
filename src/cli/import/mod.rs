//! Readers for paper files. Each turns a file into validated [`NewPaper`] records or a
//! list of problems naming the record and field; storing them is the catalogue's job.
//!
//! [`NewPaper`]: crate::domain::paper::NewPaper

mod demo_json;

pub use demo_json::{ImportError, RecordProblem, parse_demo_json};

/// The demo data set, compiled into the binary.
pub const DEMO_PAPERS_JSON: &str = include_str!("../../../assets/demo-papers.json");
