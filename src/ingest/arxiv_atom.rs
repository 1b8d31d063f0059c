//! The arXiv API's answer (an Atom feed, <https://info.arxiv.org/help/api/user-manual.html>)
//! read into paper records.
//!
//! Each `<entry>` is one paper: `<id>` is its abstract page with the version
//! (`http://arxiv.org/abs/2501.00001v2`), `<title>` and `<summary>` are wrapped over lines,
//! `<author><name>` the byline, `<published>` the first version's time, `<updated>` the
//! latest's, `arxiv:` elements the DOI, journal reference, comment and primary category,
//! `<category term>` every category, and the `<link title="pdf">` the PDF. An id arXiv does
//! not know gives a feed without entries, or (for ids it cannot parse) one entry whose `<id>`
//! is under `http://arxiv.org/api/errors`.

use chrono::{DateTime, NaiveDate, Utc};
use quick_xml::events::{BytesStart, Event};
use quick_xml::reader::Reader;

use crate::domain::paper::{self, NewPaper};
use crate::domain::paper_metadata::{self, PaperMetadata};
use crate::domain::taxonomy::category_name;

use super::xml::{resolve, unfold};

/// Why a feed could not be read.
#[derive(Debug, thiserror::Error)]
pub enum AtomError {
    #[error("malformed XML: {0}")]
    Xml(#[from] quick_xml::Error),
    #[error("the feed ends before `</feed>`")]
    Truncated,
    #[error("an entry has no usable {field}: {message}")]
    Entry {
        field: &'static str,
        message: String,
    },
}

/// One paper as the arXiv API describes it.
#[derive(Debug, Clone, PartialEq)]
pub struct ArxivEntry {
    /// Without the version.
    pub arxiv_id: String,
    pub version: Option<i32>,
    pub title: String,
    pub summary: String,
    pub authors: Vec<String>,
    pub published: Option<DateTime<Utc>>,
    pub updated: Option<DateTime<Utc>>,
    pub metadata: PaperMetadata,
}

impl ArxivEntry {
    /// The record as a new paper (validated), published on the first version's day.
    ///
    /// # Errors
    /// The field that fails the catalogue's rules.
    pub fn into_new_paper(self, today: NaiveDate) -> Result<NewPaper, AtomError> {
        let invalid =
            |field: &'static str| move |message: String| AtomError::Entry { field, message };
        let published_at = self
            .published
            .map(|at| paper::published_on(at.date_naive(), today))
            .transpose()
            .map_err(invalid("published"))?;
        Ok(NewPaper {
            arxiv_id: Some(self.arxiv_id),
            title: paper::title(&self.title).map_err(invalid("title"))?,
            abstract_text: paper::abstract_text(&self.summary).map_err(invalid("summary"))?,
            authors: paper::authors(&self.authors, false).map_err(|(_, message)| {
                AtomError::Entry {
                    field: "author",
                    message,
                }
            })?,
            published_at,
            submitted_at: None,
            submitted_by: None,
            github_url: None,
            project_url: None,
            upvote_baseline: 0,
            metadata: PaperMetadata {
                version: self.version,
                ..self.metadata
            },
        })
    }
}

/// The entries of a feed, in order; error entries (unparseable ids) are left out.
///
/// # Errors
/// [`AtomError`] for malformed XML or an entry without a usable id.
pub fn parse_feed(xml: &str) -> Result<Vec<ArxivEntry>, AtomError> {
    let mut reader = Reader::from_str(xml);
    let mut entries = Vec::new();
    let mut entry: Option<EntryBuilder> = None;
    // The element whose text is being collected, and the text so far.
    let mut field: Option<Vec<u8>> = None;
    let mut text = String::new();
    let mut in_author = false;
    let mut complete = false;
    loop {
        match reader.read_event()? {
            Event::Start(start) => {
                let name = start.local_name().as_ref().to_vec();
                match (name.as_slice(), entry.as_mut()) {
                    (b"entry", _) => entry = Some(EntryBuilder::default()),
                    (b"author", Some(_)) => in_author = true,
                    (_, Some(builder)) => {
                        builder.attributes(&name, &start)?;
                        field = Some(name);
                        text.clear();
                    }
                    _ => {}
                }
            }
            Event::Empty(start) => {
                if let Some(builder) = entry.as_mut() {
                    builder.attributes(start.local_name().as_ref(), &start)?;
                }
            }
            Event::Text(content) if field.is_some() => {
                text.push_str(&content.decode().map_err(quick_xml::Error::from)?);
            }
            Event::CData(content) if field.is_some() => {
                text.push_str(&content.decode().map_err(quick_xml::Error::from)?);
            }
            Event::GeneralRef(reference) if field.is_some() => {
                let resolved = resolve(&reference)?.ok_or_else(|| AtomError::Entry {
                    field: "text",
                    message: "an undeclared entity".to_owned(),
                })?;
                text.push_str(&resolved);
            }
            Event::End(end) => match end.local_name().as_ref() {
                b"feed" => complete = true,
                b"entry" => {
                    if let Some(built) = entry.take().map(EntryBuilder::finish).transpose()? {
                        entries.extend(built);
                    }
                }
                b"author" => in_author = false,
                name => {
                    if let (Some(builder), Some(open)) = (entry.as_mut(), field.take())
                        && open == name
                    {
                        builder.text(&open, in_author, std::mem::take(&mut text));
                    }
                }
            },
            Event::Eof => break,
            _ => {}
        }
    }
    if complete {
        Ok(entries)
    } else {
        Err(AtomError::Truncated)
    }
}

/// The parts of one entry read so far.
#[derive(Debug, Default)]
struct EntryBuilder {
    id: Option<String>,
    title: String,
    summary: String,
    authors: Vec<String>,
    published: Option<DateTime<Utc>>,
    updated: Option<DateTime<Utc>>,
    primary: Option<String>,
    categories: Vec<String>,
    doi: Option<String>,
    journal_ref: Option<String>,
    comment: Option<String>,
    pdf_url: Option<String>,
}

impl EntryBuilder {
    /// What an element's attributes say (categories and links).
    fn attributes(&mut self, name: &[u8], start: &BytesStart<'_>) -> Result<(), AtomError> {
        let attribute = |key: &[u8]| -> Result<Option<String>, AtomError> {
            match start
                .try_get_attribute(key)
                .map_err(quick_xml::Error::from)?
            {
                Some(value) => Ok(Some(value.unescape_value()?.into_owned())),
                None => Ok(None),
            }
        };
        match name {
            b"primary_category" => self.primary = attribute(b"term")?,
            b"category" => self.categories.extend(attribute(b"term")?),
            b"link" if attribute(b"title")?.as_deref() == Some("pdf") => {
                self.pdf_url = attribute(b"href")?;
            }
            _ => {}
        }
        Ok(())
    }

    /// An element's text.
    fn text(&mut self, name: &[u8], in_author: bool, text: String) {
        let time = |text: &str| {
            DateTime::parse_from_rfc3339(text.trim())
                .ok()
                .map(|at| at.with_timezone(&Utc))
        };
        let present = |text: String| Some(text).filter(|text| !text.trim().is_empty());
        match name {
            b"name" if in_author => self.authors.push(unfold(&text)),
            b"id" => self.id = Some(text.trim().to_owned()),
            b"title" => self.title = unfold(&text),
            b"summary" => self.summary = unfold(&text),
            b"published" => self.published = time(&text),
            b"updated" => self.updated = time(&text),
            b"doi" => self.doi = present(text),
            b"journal_ref" => self.journal_ref = present(text),
            b"comment" => self.comment = present(text),
            _ => {}
        }
    }

    /// The entry, or `None` for an error entry (an id arXiv cannot parse).
    fn finish(self) -> Result<Option<ArxivEntry>, AtomError> {
        let raw_id = self.id.unwrap_or_default();
        if raw_id.contains("/api/errors") {
            return Ok(None);
        }
        let (arxiv_id, version) = id_and_version(&raw_id).ok_or_else(|| AtomError::Entry {
            field: "id",
            message: format!("{raw_id:?} is not an arXiv abstract URL"),
        })?;
        Ok(Some(ArxivEntry {
            arxiv_id,
            version,
            title: self.title,
            summary: self.summary,
            authors: self.authors,
            published: self.published,
            updated: self.updated,
            metadata: PaperMetadata {
                categories: known_categories(self.primary, self.categories),
                doi: self.doi.and_then(|doi| paper_metadata::doi(&doi).ok()),
                journal_ref: self
                    .journal_ref
                    .and_then(|text| paper_metadata::journal_ref(&unfold(&text)).ok()),
                arxiv_comment: self
                    .comment
                    .and_then(|text| paper_metadata::arxiv_comment(&text).ok()),
                license: None,
                version,
                pdf_url: self.pdf_url.and_then(|url| paper::http_url(&url).ok()),
                github_stars: None,
            },
        }))
    }
}

/// `http://arxiv.org/abs/2501.00001v2` → (`2501.00001`, 2).
fn id_and_version(url: &str) -> Option<(String, Option<i32>)> {
    let tail = url.split("/abs/").nth(1)?;
    let id = paper::arxiv_id(tail).ok()?;
    let version = tail
        .strip_prefix(id.as_str())
        .and_then(|rest| rest.strip_prefix('v'))
        .and_then(|digits| digits.parse::<i64>().ok())
        .and_then(|number| paper_metadata::version(number).ok());
    Some((id, version))
}

/// The primary category first, then the others, each once; codes outside the taxonomy
/// (arXiv's retired aliases) are left out.
pub(super) fn known_categories(primary: Option<String>, all: Vec<String>) -> Vec<String> {
    let mut codes: Vec<String> = Vec::with_capacity(all.len() + 1);
    for code in primary.into_iter().chain(all) {
        let code = code.trim().to_owned();
        if category_name(&code).is_some() && !codes.contains(&code) {
            codes.push(code);
        }
    }
    codes.truncate(paper_metadata::MAX_CATEGORIES);
    codes
}

#[cfg(test)]
mod tests {
    use super::*;

    const ENTRY: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<feed xmlns="http://www.w3.org/2005/Atom">
  <title type="html">ArXiv Query: id_list=2501.00001</title>
  <opensearch:totalResults xmlns:opensearch="http://a9.com/-/spec/opensearch/1.1/">1</opensearch:totalResults>
  <entry>
    <id>http://arxiv.org/abs/2501.00001v2</id>
    <updated>2025-01-03T18:00:00Z</updated>
    <published>2025-01-01T18:00:00Z</published>
    <title>Gradient Noise &amp; Deep
  Networks</title>
    <summary>  We study gradient noise
in deep networks.
</summary>
    <author><name>Ada Lovelace</name><arxiv:affiliation xmlns:arxiv="http://arxiv.org/schemas/atom">Analytical Engine</arxiv:affiliation></author>
    <author><name>Grace Hopper</name></author>
    <arxiv:doi xmlns:arxiv="http://arxiv.org/schemas/atom">10.1145/3580305.3599931</arxiv:doi>
    <link title="doi" href="http://dx.doi.org/10.1145/3580305.3599931" rel="related"/>
    <arxiv:comment xmlns:arxiv="http://arxiv.org/schemas/atom">12 pages,
  5 figures</arxiv:comment>
    <arxiv:journal_ref xmlns:arxiv="http://arxiv.org/schemas/atom">KDD 2026</arxiv:journal_ref>
    <link href="http://arxiv.org/abs/2501.00001v2" rel="alternate" type="text/html"/>
    <link title="pdf" href="http://arxiv.org/pdf/2501.00001v2" rel="related" type="application/pdf"/>
    <arxiv:primary_category xmlns:arxiv="http://arxiv.org/schemas/atom" term="stat.ML" scheme="http://arxiv.org/schemas/atom"/>
    <category term="cs.LG" scheme="http://arxiv.org/schemas/atom"/>
    <category term="stat.ML" scheme="http://arxiv.org/schemas/atom"/>
    <category term="cmp-lg" scheme="http://arxiv.org/schemas/atom"/>
  </entry>
</feed>"#;

    #[test]
    fn an_entry_is_read_whole() -> Result<(), AtomError> {
        let entries = parse_feed(ENTRY)?;
        let [entry] = entries.as_slice() else {
            panic!("one entry expected, got {entries:?}");
        };
        assert_eq!(entry.arxiv_id, "2501.00001");
        assert_eq!(entry.version, Some(2));
        assert_eq!(entry.title, "Gradient Noise & Deep Networks");
        assert_eq!(entry.summary, "We study gradient noise in deep networks.");
        assert_eq!(entry.authors, ["Ada Lovelace", "Grace Hopper"]);
        assert_eq!(
            entry.published.map(|at| at.to_rfc3339()),
            Some("2025-01-01T18:00:00+00:00".to_owned())
        );
        let metadata = &entry.metadata;
        // The primary first; a retired code is dropped.
        assert_eq!(metadata.categories, ["stat.ML", "cs.LG"]);
        assert_eq!(metadata.doi.as_deref(), Some("10.1145/3580305.3599931"));
        assert_eq!(
            metadata.arxiv_comment.as_deref(),
            Some("12 pages, 5 figures")
        );
        assert_eq!(metadata.journal_ref.as_deref(), Some("KDD 2026"));
        assert_eq!(
            metadata.pdf_url.as_deref(),
            Some("http://arxiv.org/pdf/2501.00001v2")
        );
        Ok(())
    }

    #[test]
    fn unknown_and_unparseable_ids_give_no_entry() -> Result<(), AtomError> {
        let empty = r#"<feed xmlns="http://www.w3.org/2005/Atom"><title>ArXiv Query</title>
            <opensearch:totalResults xmlns:opensearch="http://a9.com/-/spec/opensearch/1.1/">0</opensearch:totalResults></feed>"#;
        assert!(parse_feed(empty)?.is_empty());
        let error = r#"<feed xmlns="http://www.w3.org/2005/Atom"><entry>
            <id>http://arxiv.org/api/errors#incorrect_id_format_for_nope</id>
            <title>Error</title><summary>incorrect id format for nope</summary></entry></feed>"#;
        assert!(parse_feed(error)?.is_empty());
        Ok(())
    }

    #[test]
    fn malformed_xml_is_an_error() {
        assert!(matches!(
            parse_feed("<feed><entry><id>x</entry></feed>"),
            Err(AtomError::Xml(_))
        ));
        // Cut mid-entry, or after a whole entry but before the feed ends.
        assert!(parse_feed(&ENTRY[..ENTRY.len() / 2]).is_err());
        let cut = ENTRY.find("</entry>").map_or(0, |at| at + "</entry>".len());
        assert!(matches!(
            parse_feed(&ENTRY[..cut]),
            Err(AtomError::Truncated)
        ));
    }
}
