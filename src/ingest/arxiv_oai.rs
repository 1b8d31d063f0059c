//! One page of arXiv's OAI-PMH `ListRecords` answer in the `arXiv` metadata format
//! (<https://info.arxiv.org/help/oa/index.html>), read into paper records.
//!
//! A page holds `<record>`s — a `<header>` (`oai:arXiv.org:ID`, datestamp, a `status=
//! "deleted"` marker) and `<metadata><arXiv>` with `id`, `created`, `updated`, `authors`
//! (`keyname`, `forenames`, `suffix`), `title`, `categories` (space-separated, the primary
//! first), `comments`, `journal-ref`, `doi`, `license`, `abstract` — and, when more follow,
//! a `<resumptionToken>`. An empty result is the OAI error `noRecordsMatch`.
//!
//! A bad record does not spoil its page: it comes back as a [`Skipped`] naming the record
//! and the reason, and the harvest goes on.

use chrono::NaiveDate;
use quick_xml::events::Event;
use quick_xml::reader::Reader;

use crate::domain::paper::{self, NewPaper};
use crate::domain::paper_metadata::{self, PaperMetadata};

use super::arxiv_atom::known_categories;
use super::xml::{resolve, unfold};

/// Why a page could not be read at all.
#[derive(Debug, thiserror::Error)]
pub enum OaiError {
    #[error("malformed XML: {0}")]
    Xml(#[from] quick_xml::Error),
    #[error("the page ends before `</OAI-PMH>`")]
    Truncated,
    #[error("OAI-PMH error {code}: {message}")]
    Protocol { code: String, message: String },
}

/// A record left out, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Skipped {
    /// The record's identifier, or its position on the page when it has none.
    pub record: String,
    pub reason: String,
}

/// One harvested paper.
#[derive(Debug, Clone)]
pub struct OaiRecord {
    pub paper: NewPaper,
    /// Whether arXiv holds a later version than the first (the record has `updated`). The
    /// format does not say which: such a record's version is left unknown (`None`), one
    /// without is version 1.
    pub replaced: bool,
}

/// What one page holds.
#[derive(Debug, Default)]
pub struct OaiPage {
    pub records: Vec<Result<OaiRecord, Skipped>>,
    /// Where the next page starts; `None` on the last page.
    pub resumption_token: Option<String>,
    /// How many records the whole list holds, when the source says.
    pub complete_list_size: Option<u64>,
}

/// Reads one `ListRecords` page; `noRecordsMatch` is an empty last page.
///
/// # Errors
/// [`OaiError`] for malformed or cut-off XML and for OAI errors other than
/// `noRecordsMatch` (such as `badResumptionToken`).
pub fn parse_page(xml: &str, today: NaiveDate) -> Result<OaiPage, OaiError> {
    let mut reader = Reader::from_str(xml);
    let mut page = OaiPage::default();
    let mut record: Option<RecordBuilder> = None;
    let mut author: Option<AuthorName> = None;
    let mut text = String::new();
    let mut error_code: Option<String> = None;
    let mut complete = false;
    loop {
        match reader.read_event()? {
            Event::Start(start) => {
                let name = start.local_name().as_ref().to_vec();
                match name.as_slice() {
                    b"record" => record = Some(RecordBuilder::default()),
                    b"author" => author = Some(AuthorName::default()),
                    b"header" => {
                        let deleted = start
                            .try_get_attribute("status")
                            .map_err(quick_xml::Error::from)?
                            .is_some_and(|status| status.value.as_ref() == b"deleted");
                        if let Some(record) = record.as_mut() {
                            record.deleted = deleted;
                        }
                    }
                    b"resumptionToken" => {
                        page.complete_list_size = start
                            .try_get_attribute("completeListSize")
                            .map_err(quick_xml::Error::from)?
                            .and_then(|size| std::str::from_utf8(&size.value).ok()?.parse().ok());
                    }
                    b"error" => {
                        error_code = start
                            .try_get_attribute("code")
                            .map_err(quick_xml::Error::from)?
                            .map(|code| String::from_utf8_lossy(&code.value).into_owned());
                    }
                    _ => {}
                }
                text.clear();
            }
            Event::Text(content) => {
                text.push_str(&content.decode().map_err(quick_xml::Error::from)?);
            }
            Event::GeneralRef(reference) => {
                text.push_str(&resolve(&reference)?.unwrap_or_default());
            }
            Event::End(end) => {
                let name = end.local_name().as_ref().to_vec();
                let value = std::mem::take(&mut text);
                match name.as_slice() {
                    b"OAI-PMH" => complete = true,
                    b"record" => {
                        if let Some(built) = record.take() {
                            let position = page.records.len();
                            if let Some(result) = built.finish(position, today) {
                                page.records.push(result);
                            }
                        }
                    }
                    b"author" => {
                        if let (Some(record), Some(name)) = (record.as_mut(), author.take()) {
                            record.authors.push(name.printed());
                        }
                    }
                    b"resumptionToken" => {
                        page.resumption_token =
                            Some(value.trim().to_owned()).filter(|token| !token.is_empty());
                    }
                    b"error" => {
                        let code = error_code.take().unwrap_or_default();
                        if code != "noRecordsMatch" {
                            return Err(OaiError::Protocol {
                                code,
                                message: unfold(&value),
                            });
                        }
                    }
                    field => {
                        if let Some(author) = author.as_mut() {
                            author.set(field, &value);
                        } else if let Some(record) = record.as_mut() {
                            record.set(field, value);
                        }
                    }
                }
            }
            Event::Eof => break,
            _ => {}
        }
    }
    if complete {
        Ok(page)
    } else {
        Err(OaiError::Truncated)
    }
}

/// An author as the `arXiv` format splits the name.
#[derive(Debug, Default)]
struct AuthorName {
    keyname: String,
    forenames: String,
    suffix: String,
}

impl AuthorName {
    fn set(&mut self, field: &[u8], value: &str) {
        match field {
            b"keyname" => self.keyname = unfold(value),
            b"forenames" => self.forenames = unfold(value),
            b"suffix" => self.suffix = unfold(value),
            _ => {}
        }
    }

    /// "Forenames Keyname Suffix", as a byline prints it.
    fn printed(&self) -> String {
        [&self.forenames, &self.keyname, &self.suffix]
            .iter()
            .filter(|part| !part.is_empty())
            .map(|part| part.as_str())
            .collect::<Vec<_>>()
            .join(" ")
    }
}

/// The fields of one record read so far.
#[derive(Debug, Default)]
struct RecordBuilder {
    deleted: bool,
    identifier: Option<String>,
    id: Option<String>,
    created: Option<String>,
    updated: Option<String>,
    title: Option<String>,
    abstract_text: Option<String>,
    authors: Vec<String>,
    categories: Option<String>,
    comments: Option<String>,
    journal_ref: Option<String>,
    doi: Option<String>,
    license: Option<String>,
}

impl RecordBuilder {
    fn set(&mut self, field: &[u8], value: String) {
        let slot = match field {
            b"identifier" => &mut self.identifier,
            b"id" => &mut self.id,
            b"created" => &mut self.created,
            b"updated" => &mut self.updated,
            b"title" => &mut self.title,
            b"abstract" => &mut self.abstract_text,
            b"categories" => &mut self.categories,
            b"comments" => &mut self.comments,
            b"journal-ref" => &mut self.journal_ref,
            b"doi" => &mut self.doi,
            b"license" => &mut self.license,
            _ => return,
        };
        *slot = Some(value).filter(|value| !value.trim().is_empty());
    }

    /// The record as a paper, a reason to skip it, or `None` for a deletion notice (arXiv
    /// keeps withdrawn papers as records; a deleted header carries no metadata).
    fn finish(self, position: usize, today: NaiveDate) -> Option<Result<OaiRecord, Skipped>> {
        if self.deleted {
            return None;
        }
        let name = self
            .id
            .clone()
            .or_else(|| self.identifier.clone())
            .unwrap_or_else(|| format!("record {position} of the page"));
        Some(self.into_record(today).map_err(|reason| Skipped {
            record: name,
            reason,
        }))
    }

    fn into_record(self, today: NaiveDate) -> Result<OaiRecord, String> {
        let id = self.id.ok_or("no id")?;
        let arxiv_id = paper::arxiv_id(&id)?;
        let title = paper::title(&unfold(&self.title.ok_or("no title")?))?;
        let abstract_text =
            paper::abstract_text(&unfold(&self.abstract_text.ok_or("no abstract")?))?;
        let authors = paper::authors(&self.authors, false).map_err(|(_, message)| message)?;
        let day = |text: &Option<String>| {
            text.as_deref()
                .and_then(|text| NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d").ok())
        };
        let created = day(&self.created);
        let published_at = created
            .map(|created| paper::published_on(created, today))
            .transpose()?;
        let listed: Vec<String> = self
            .categories
            .as_deref()
            .unwrap_or_default()
            .split_whitespace()
            .map(str::to_owned)
            .collect();
        let categories = known_categories(None, listed.clone());
        if categories.is_empty() {
            return Err(format!("no known category in {:?}", listed.join(" ")));
        }
        let optional = |value: Option<String>, check: fn(&str) -> Result<String, String>| {
            value.map(|value| check(&unfold(&value))).transpose()
        };
        let replaced = self.updated.is_some();
        Ok(OaiRecord {
            replaced,
            paper: NewPaper {
                arxiv_id: Some(arxiv_id),
                title,
                abstract_text,
                authors,
                published_at,
                submitted_at: None,
                submitted_by: None,
                github_url: None,
                project_url: None,
                upvote_baseline: 0,
                metadata: PaperMetadata {
                    categories,
                    doi: optional(self.doi, paper_metadata::doi)?,
                    journal_ref: optional(self.journal_ref, paper_metadata::journal_ref)?,
                    arxiv_comment: optional(self.comments, paper_metadata::arxiv_comment)?,
                    license: optional(self.license, paper::http_url)?,
                    version: (!replaced).then_some(1),
                    pdf_url: None,
                    github_stars: None,
                },
            },
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 12, 6).unwrap_or_default()
    }

    const PAGE: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<OAI-PMH xmlns="http://www.openarchives.org/OAI/2.0/" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
<responseDate>2026-12-06T00:00:00Z</responseDate>
<request verb="ListRecords" metadataPrefix="arXiv" set="cs">http://export.arxiv.org/oai2</request>
<ListRecords>
<record><header><identifier>oai:arXiv.org:2501.00001</identifier><datestamp>2025-01-03</datestamp><setSpec>cs</setSpec></header>
<metadata><arXiv xmlns="http://arxiv.org/OAI/arXiv/">
<id>2501.00001</id><created>2025-01-01</created><updated>2025-01-03</updated>
<authors><author><keyname>Lovelace</keyname><forenames>Ada</forenames></author><author><keyname>Babbage</keyname><forenames>Charles</forenames><suffix>Jr</suffix></author></authors>
<title>Engines of
  Difference &amp; Analysis</title>
<categories>cs.LG stat.ML</categories>
<comments>12 pages</comments>
<license>http://creativecommons.org/licenses/by/4.0/</license>
<abstract>  We revisit the engines.
</abstract>
</arXiv></metadata></record>
<record><header><identifier>oai:arXiv.org:2501.00002</identifier><datestamp>2025-01-03</datestamp></header>
<metadata><arXiv xmlns="http://arxiv.org/OAI/arXiv/"><id>2501.00002</id><created>2025-01-02</created>
<authors><author><keyname>Nobody</keyname></author></authors><categories>cs.XX</categories>
<title>Unknown topic</title><abstract>A.</abstract></arXiv></metadata></record>
<record><header status="deleted"><identifier>oai:arXiv.org:2501.00003</identifier><datestamp>2025-01-03</datestamp></header></record>
<resumptionToken cursor="0" completeListSize="7">6961524|1001</resumptionToken>
</ListRecords>
</OAI-PMH>"#;

    #[test]
    fn a_page_yields_records_skips_and_its_resumption_token() -> Result<(), OaiError> {
        let page = parse_page(PAGE, today())?;
        assert_eq!(page.resumption_token.as_deref(), Some("6961524|1001"));
        assert_eq!(page.complete_list_size, Some(7));
        assert_eq!(page.records.len(), 2, "the deletion notice is not a record");
        let Ok(first) = &page.records[0] else {
            panic!("the first record is valid: {:?}", page.records[0]);
        };
        let paper = &first.paper;
        assert_eq!(paper.arxiv_id.as_deref(), Some("2501.00001"));
        assert_eq!(paper.title, "Engines of Difference & Analysis");
        assert_eq!(paper.abstract_text, "We revisit the engines.");
        assert_eq!(paper.authors, ["Ada Lovelace", "Charles Babbage Jr"]);
        assert_eq!(paper.metadata.categories, ["cs.LG", "stat.ML"]);
        assert_eq!(paper.metadata.arxiv_comment.as_deref(), Some("12 pages"));
        assert!(first.replaced);
        assert_eq!(
            paper.metadata.version, None,
            "a replaced record's version is unknown"
        );
        let Err(skipped) = &page.records[1] else {
            panic!("an unknown category skips the record");
        };
        assert_eq!(
            skipped,
            &Skipped {
                record: "2501.00002".to_owned(),
                reason: "no known category in \"cs.XX\"".to_owned()
            }
        );
        Ok(())
    }

    #[test]
    fn no_records_is_an_empty_last_page_and_other_errors_fail() -> Result<(), OaiError> {
        let empty = r#"<OAI-PMH xmlns="http://www.openarchives.org/OAI/2.0/"><responseDate>x</responseDate>
            <error code="noRecordsMatch">No records</error></OAI-PMH>"#;
        let page = parse_page(empty, today())?;
        assert!(page.records.is_empty() && page.resumption_token.is_none());
        let bad = r#"<OAI-PMH xmlns="http://www.openarchives.org/OAI/2.0/">
            <error code="badResumptionToken">expired</error></OAI-PMH>"#;
        assert!(matches!(
            parse_page(bad, today()),
            Err(OaiError::Protocol { code, .. }) if code == "badResumptionToken"
        ));
        assert!(matches!(
            parse_page(&PAGE[..PAGE.len() - 40], today()),
            Err(OaiError::Truncated | OaiError::Xml(_))
        ));
        Ok(())
    }
}
