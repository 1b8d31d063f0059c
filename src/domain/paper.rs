//! A paper as users and sources describe it, and the rules its fields follow (shared by
//! submissions and imports). Each check returns the normalised value or a message for
//! the client; the caller names the field (a GraphQL argument path, or a record index and
//! key in an import).

use chrono::{DateTime, NaiveDate, Utc};

use super::paper_metadata::PaperMetadata;
use super::text::single_line;

/// Longest title, in characters.
pub const MAX_TITLE_CHARS: usize = 300;
/// Longest abstract, in characters.
pub const MAX_ABSTRACT_CHARS: usize = 10_000;
/// Longest author name, in characters.
pub const MAX_AUTHOR_NAME_CHARS: usize = 200;
/// Most authors on one byline.
pub const MAX_AUTHORS: usize = 200;
/// Longest URL, in bytes.
pub const MAX_URL_LEN: usize = 2_048;
/// Largest imported upvote baseline.
pub const MAX_UPVOTE_BASELINE: i64 = 10_000_000;

/// A validated paper, ready to store.
#[derive(Debug, Clone, PartialEq)]
pub struct NewPaper {
    pub arxiv_id: Option<String>,
    pub title: String,
    pub abstract_text: String,
    /// Byline, in order.
    pub authors: Vec<String>,
    pub published_at: Option<NaiveDate>,
    /// When the paper entered the source feed; `None` means now.
    pub submitted_at: Option<DateTime<Utc>>,
    pub submitted_by: Option<i64>,
    pub github_url: Option<String>,
    pub project_url: Option<String>,
    /// Upvotes the source already counted.
    pub upvote_baseline: i32,
    /// What the source says beyond the above.
    pub metadata: PaperMetadata,
}

/// The `published_order` of undated papers: they sort as the oldest.
const UNDATED: NaiveDate = match NaiveDate::from_ymd_opt(1, 1, 1) {
    Some(day) => day,
    None => NaiveDate::MIN,
};

/// Where a paper sorts by publication: its date, undated papers as the oldest.
pub fn published_order(published_at: Option<NaiveDate>) -> NaiveDate {
    published_at.unwrap_or(UNDATED)
}

/// A paper title.
pub fn title(value: &str) -> Result<String, String> {
    single_line(value, "title", MAX_TITLE_CHARS)
}

/// An abstract: trimmed, non-empty, line breaks and tabs allowed.
pub fn abstract_text(value: &str) -> Result<String, String> {
    let value = value.trim();
    if value.is_empty() {
        return Err("abstract must not be empty".to_owned());
    }
    if value.chars().count() > MAX_ABSTRACT_CHARS {
        return Err(format!(
            "abstract must be at most {MAX_ABSTRACT_CHARS} characters"
        ));
    }
    if value
        .chars()
        .any(|ch| ch.is_control() && !matches!(ch, '\n' | '\r' | '\t'))
    {
        return Err("abstract must not contain control characters".to_owned());
    }
    Ok(value.to_owned())
}

/// A byline: 1..=200 distinct, non-empty names (`allow_empty` for imports whose source
/// lacked the names). An error names the position at fault, or none for the list itself.
pub fn authors(
    names: &[String],
    allow_empty: bool,
) -> Result<Vec<String>, (Option<usize>, String)> {
    if names.is_empty() && !allow_empty {
        return Err((None, "at least one author is required".to_owned()));
    }
    if names.len() > MAX_AUTHORS {
        return Err((None, format!("at most {MAX_AUTHORS} authors")));
    }
    let mut byline: Vec<String> = Vec::with_capacity(names.len());
    for (index, name) in names.iter().enumerate() {
        let name = single_line(name, "author name", MAX_AUTHOR_NAME_CHARS)
            .map_err(|message| (Some(index), message))?;
        if byline.contains(&name) {
            return Err((Some(index), format!("author {name:?} appears twice")));
        }
        byline.push(name);
    }
    Ok(byline)
}

/// An arXiv identifier in the modern (`2410.10977`) or legacy (`hep-th/9901001`) form,
/// with an optional `arXiv:` prefix and version suffix, both removed.
pub fn arxiv_id(value: &str) -> Result<String, String> {
    let invalid = || format!("{value:?} is not an arXiv identifier");
    let value = value.trim();
    if value.len() > 64 {
        return Err(invalid());
    }
    let bare = match value.get(..6) {
        Some(prefix) if prefix.eq_ignore_ascii_case("arxiv:") => &value[6..],
        _ => value,
    };
    let unversioned = strip_version(bare);
    if is_modern_arxiv_id(unversioned) || is_legacy_arxiv_id(unversioned) {
        Ok(unversioned.to_owned())
    } else {
        Err(invalid())
    }
}

/// `2410.10977v2` → `2410.10977`; anything else unchanged.
fn strip_version(id: &str) -> &str {
    if let Some(at) = id.rfind('v') {
        let digits = &id[at + 1..];
        if at > 0 && !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) {
            return &id[..at];
        }
    }
    id
}

/// `YYMM.NNNN` (2007–2014) or `YYMM.NNNNN` (2015 on).
fn is_modern_arxiv_id(id: &str) -> bool {
    let Some((yymm, number)) = id.split_once('.') else {
        return false;
    };
    let all_digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    let month_ok = yymm
        .get(2..)
        .and_then(|month| month.parse::<u8>().ok())
        .is_some_and(|month| (1..=12).contains(&month));
    yymm.len() == 4
        && all_digits(yymm)
        && month_ok
        && (4..=5).contains(&number.len())
        && all_digits(number)
}

/// `archive(.XX)/YYMMNNN`, e.g. `hep-th/9901001` or `math.GT/0309136`.
fn is_legacy_arxiv_id(id: &str) -> bool {
    let Some((archive, number)) = id.split_once('/') else {
        return false;
    };
    let (name, subject) = match archive.split_once('.') {
        Some((name, subject)) => (name, Some(subject)),
        None => (archive, None),
    };
    let name_ok = name.starts_with(|c: char| c.is_ascii_lowercase())
        && name.bytes().all(|b| b.is_ascii_lowercase() || b == b'-');
    let subject_ok =
        subject.is_none_or(|s| s.len() == 2 && s.bytes().all(|b| b.is_ascii_uppercase()));
    name_ok && subject_ok && number.len() == 7 && number.bytes().all(|b| b.is_ascii_digit())
}

/// An absolute `http` or `https` URL of at most 2,048 bytes.
pub fn http_url(value: &str) -> Result<String, String> {
    let value = value.trim();
    if value.len() > MAX_URL_LEN {
        return Err(format!("URL must be at most {MAX_URL_LEN} bytes"));
    }
    let parsed = url::Url::parse(value).map_err(|_| "not a valid URL".to_owned())?;
    if !matches!(parsed.scheme(), "http" | "https") {
        return Err("only http and https URLs are allowed".to_owned());
    }
    if parsed.host_str().is_none_or(str::is_empty) {
        return Err("URL must name a host".to_owned());
    }
    if value
        .chars()
        .any(|ch| ch.is_control() || ch.is_whitespace())
    {
        return Err("URL must not contain spaces or control characters".to_owned());
    }
    Ok(value.to_owned())
}

/// A publication date no later than `today`.
pub fn published_on(value: NaiveDate, today: NaiveDate) -> Result<NaiveDate, String> {
    if value > today {
        Err("publication date must not be in the future".to_owned())
    } else {
        Ok(value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arxiv_ids_in_both_forms_are_normalised() {
        for (raw, want) in [
            ("2410.10977", "2410.10977"),
            ("2410.10977v3", "2410.10977"),
            ("arXiv:0706.0001", "0706.0001"),
            ("hep-th/9901001", "hep-th/9901001"),
            ("math.GT/0309136v2", "math.GT/0309136"),
        ] {
            assert_eq!(arxiv_id(raw).as_deref(), Ok(want), "{raw}");
        }
    }

    #[test]
    fn malformed_arxiv_ids_are_rejected() {
        for raw in [
            "",
            "2410",
            "2413.10977",
            "2410.109",
            "2410.109777",
            "24a0.10977",
            "HEP-TH/9901001",
            "hep-th/990100",
            "math.gt/0309136",
            "2410.10977v",
            "v1",
            "../../etc/passwd",
            "2410.10977; DROP TABLE papers",
        ] {
            assert!(arxiv_id(raw).is_err(), "{raw:?} must be rejected");
        }
    }

    #[test]
    fn only_http_urls_are_accepted() {
        assert!(http_url("https://github.com/org/repo").is_ok());
        for raw in [
            "javascript:alert(1)",
            "JAVASCRIPT:alert(1)",
            "data:text/html,<script>",
            "ftp://example.com/x",
            "https://",
            "not a url",
            "https://exa mple.com",
        ] {
            assert!(http_url(raw).is_err(), "{raw:?} must be rejected");
        }
        assert!(http_url(&format!("https://e.com/{}", "a".repeat(MAX_URL_LEN))).is_err());
    }

    #[test]
    fn bylines_reject_blank_duplicate_and_overlong_names() {
        let names = |list: &[&str]| list.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
        assert!(authors(&names(&["A", " "]), false).is_err());
        assert!(authors(&names(&["A", "A"]), false).is_err());
        assert!(authors(&[], false).is_err());
        assert!(authors(&[], true).is_ok());
        assert!(authors(&["x".repeat(MAX_AUTHOR_NAME_CHARS + 1)], false).is_err());
        assert_eq!(
            authors(&names(&[" Ada Lovelace "]), false),
            Ok(names(&["Ada Lovelace"]))
        );
    }

    #[test]
    fn titles_and_abstracts_are_bounded() {
        assert!(title("  ").is_err());
        assert!(title("a\u{0}b").is_err());
        assert!(title(&"t".repeat(MAX_TITLE_CHARS + 1)).is_err());
        assert_eq!(title(" Attention ").as_deref(), Ok("Attention"));
        assert!(abstract_text("line one\nline two").is_ok());
        assert!(abstract_text("nul\u{0}").is_err());
    }
}
