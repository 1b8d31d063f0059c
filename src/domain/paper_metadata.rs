//! What the real sources (arXiv, Hugging Face) say about a paper beyond its title, abstract
//! and byline, and what a valid value of each is.

use super::taxonomy::category_name;
use super::text::single_line;

/// Most categories one paper can be listed under (arXiv papers have a handful).
pub const MAX_CATEGORIES: usize = 20;
const MAX_DOI_CHARS: usize = 256;
const MAX_JOURNAL_REF_CHARS: usize = 1_000;
const MAX_COMMENT_CHARS: usize = 2_000;
/// arXiv versions are numbered from 1; a few papers reach the dozens.
const MAX_VERSION: i32 = 1_000;
const MAX_GITHUB_STARS: i64 = 100_000_000;
/// How arXiv's comment line begins on a withdrawn paper.
const WITHDRAWN_PREFIX: &str = "this paper has been withdrawn";

/// The optional metadata of a paper; every field may be missing.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PaperMetadata {
    /// arXiv category codes, the primary first, without duplicates.
    pub categories: Vec<String>,
    pub doi: Option<String>,
    pub journal_ref: Option<String>,
    /// The authors' comment line ("12 pages, 5 figures").
    pub arxiv_comment: Option<String>,
    /// The licence's URL.
    pub license: Option<String>,
    /// The latest version number.
    pub version: Option<i32>,
    pub pdf_url: Option<String>,
    pub github_stars: Option<i32>,
}

impl PaperMetadata {
    /// Whether the comment line says the paper was withdrawn.
    pub fn withdrawn(&self) -> bool {
        self.arxiv_comment.as_deref().is_some_and(|comment| {
            comment
                .get(..WITHDRAWN_PREFIX.len())
                .is_some_and(|start| start.eq_ignore_ascii_case(WITHDRAWN_PREFIX))
        })
    }
}

/// A list of arXiv category codes: each in the taxonomy, none twice, at most
/// [`MAX_CATEGORIES`]. An error names the position at fault, or none for the list itself.
pub fn categories(codes: &[String]) -> Result<Vec<String>, (Option<usize>, String)> {
    if codes.len() > MAX_CATEGORIES {
        return Err((None, format!("at most {MAX_CATEGORIES} categories")));
    }
    let mut valid: Vec<String> = Vec::with_capacity(codes.len());
    for (index, code) in codes.iter().enumerate() {
        let code = category_code(code).map_err(|message| (Some(index), message))?;
        if valid.contains(&code) {
            return Err((Some(index), format!("category {code:?} appears twice")));
        }
        valid.push(code);
    }
    Ok(valid)
}

/// One arXiv category code of the taxonomy, as arXiv spells it (`cs.LG`).
pub fn category_code(value: &str) -> Result<String, String> {
    let value = value.trim();
    if category_name(value).is_none() {
        let shown: String = value.chars().take(40).collect();
        return Err(format!("{shown:?} is not an arXiv category code"));
    }
    Ok(value.to_owned())
}

/// A DOI: `10.` and a registrant code, a slash and a suffix, on one line.
pub fn doi(value: &str) -> Result<String, String> {
    let value = single_line(value, "DOI", MAX_DOI_CHARS)?;
    let valid = value
        .strip_prefix("10.")
        .and_then(|rest| rest.split_once('/'))
        .is_some_and(|(registrant, suffix)| {
            !registrant.is_empty()
                && registrant.bytes().all(|b| b.is_ascii_digit() || b == b'.')
                && !suffix.is_empty()
                && !suffix.chars().any(char::is_whitespace)
        });
    if valid {
        Ok(value)
    } else {
        Err(format!("{value:?} is not a DOI (10.NNNN/suffix)"))
    }
}

/// A journal reference, on one line.
pub fn journal_ref(value: &str) -> Result<String, String> {
    single_line(value, "journal reference", MAX_JOURNAL_REF_CHARS)
}

/// The authors' comment line; arXiv folds it, so line breaks become spaces.
pub fn arxiv_comment(value: &str) -> Result<String, String> {
    let unfolded: String = value.split_whitespace().collect::<Vec<_>>().join(" ");
    single_line(&unfolded, "comment", MAX_COMMENT_CHARS)
}

/// A version number from 1.
pub fn version(value: i64) -> Result<i32, String> {
    i32::try_from(value)
        .ok()
        .filter(|version| (1..=MAX_VERSION).contains(version))
        .ok_or_else(|| format!("version must be from 1 to {MAX_VERSION}"))
}

/// A GitHub star count.
pub fn github_stars(value: i64) -> Result<i32, String> {
    if (0..=MAX_GITHUB_STARS).contains(&value) {
        i32::try_from(value).map_err(|_| "too many stars".to_owned())
    } else {
        Err(format!("stars must be from 0 to {MAX_GITHUB_STARS}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn codes(list: &[&str]) -> Vec<String> {
        list.iter().map(|code| (*code).to_owned()).collect()
    }

    #[test]
    fn categories_must_be_known_distinct_and_few() {
        assert_eq!(
            categories(&codes(&["cs.LG", " stat.ML "])),
            Ok(codes(&["cs.LG", "stat.ML"]))
        );
        assert_eq!(
            categories(&codes(&["cs.LG", "cs.XX"])).map_err(|e| e.0),
            Err(Some(1))
        );
        assert_eq!(
            categories(&codes(&["cs.LG", "cs.LG"])).map_err(|e| e.0),
            Err(Some(1))
        );
        let many = vec!["cs.LG".to_owned(); MAX_CATEGORIES + 1];
        assert_eq!(categories(&many).map_err(|e| e.0), Err(None));
        assert_eq!(categories(&[]), Ok(Vec::new()));
    }

    #[test]
    fn dois_have_a_registrant_and_a_suffix() {
        assert_eq!(
            doi("10.1145/3580305.3599931"),
            Ok("10.1145/3580305.3599931".to_owned())
        );
        for bad in [
            "",
            "10.1145",
            "11.1145/x",
            "10./x",
            "10.1145/",
            "10.ab/x",
            "10.1/a b",
        ] {
            assert!(doi(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn a_comment_is_unfolded_and_can_say_withdrawn() {
        assert_eq!(
            arxiv_comment("12 pages,\n  5 figures"),
            Ok("12 pages, 5 figures".to_owned())
        );
        let withdrawn = PaperMetadata {
            arxiv_comment: Some("This paper has been withdrawn by the author".to_owned()),
            ..PaperMetadata::default()
        };
        assert!(withdrawn.withdrawn());
        let kept = PaperMetadata {
            arxiv_comment: Some("Not withdrawn".to_owned()),
            ..PaperMetadata::default()
        };
        assert!(!kept.withdrawn());
        assert!(!PaperMetadata::default().withdrawn());
    }

    #[test]
    fn versions_and_stars_are_bounded() {
        assert_eq!(version(3), Ok(3));
        assert!(version(0).is_err() && version(1_001).is_err() && version(-1).is_err());
        assert_eq!(github_stars(0), Ok(0));
        assert!(github_stars(-1).is_err() && github_stars(i64::MAX).is_err());
    }
}
