//! The search query language: what a person types, parsed once and rendered for SQLite FTS5
//! or PostgreSQL `tsquery`.
//!
//! * `word` — every word must match (English stemming: `layers` finds `layer`);
//! * `"exact phrase"` — the words next to each other, in order;
//! * `word*` — any word starting with `word` (at least 3 characters);
//! * `-word`, `-"phrase"` — papers containing it are left out.
//!
//! Words are runs of letters and digits; anything else separates them, so punctuation, SQL
//! or FTS syntax and emoji are never interpreted. Plain words and phrases are looked up by
//! their English stems, prefixes among the words as written (see [`WordIndex`]). A term like `GPT-4` is the phrase `gpt 4`,
//! as the indexes see it. Common English words (`the`, `of`) are ignored outside phrases.
//! Rendered queries hold only words, in the syntax each engine expects, so no input can
//! produce a syntax error in the database.

/// Why a query cannot be searched; the message is for the person who typed it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct InvalidQuery(String);

/// Longest query accepted, in characters.
pub const MAX_QUERY_CHARS: usize = 1_000;
/// Most terms (words and phrases) in one query.
pub const MAX_TERMS: usize = 32;
/// Shortest prefix of a `word*` term.
pub const MIN_PREFIX_CHARS: usize = 3;

/// Words too common to narrow a search: PostgreSQL's English stop words, which its English
/// configuration leaves out of every stemmed vector. Both engines ignore the same words: a
/// word dropped on one side only would find papers on SQLite and none on PostgreSQL (and
/// beside an exclusion, every paper without the excluded word).
#[rustfmt::skip]
const STOP_WORDS: &[&str] = &[
    "a", "about", "above", "after", "again", "against", "all", "am", "an", "and", "any",
    "are", "as", "at", "be", "because", "been", "before", "being", "below", "between",
    "both", "but", "by", "can", "did", "do", "does", "doing", "don", "down", "during",
    "each", "few", "for", "from", "further", "had", "has", "have", "having", "he", "her",
    "here", "hers", "herself", "him", "himself", "his", "how", "i", "if", "in", "into",
    "is", "it", "its", "itself", "just", "me", "more", "most", "my", "myself", "no", "nor",
    "not", "now", "of", "off", "on", "once", "only", "or", "other", "our", "ours",
    "ourselves", "out", "over", "own", "s", "same", "she", "should", "so", "some", "such",
    "t", "than", "that", "the", "their", "theirs", "them", "themselves", "then", "there",
    "these", "they", "this", "those", "through", "to", "too", "under", "until", "up",
    "very", "was", "we", "were", "what", "when", "where", "which", "while", "who", "whom",
    "why", "will", "with", "you", "your", "yours", "yourself", "yourselves",
];

/// One term of a query: a word or phrase, wanted or excluded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Term {
    /// Lowercase words, in order (one for a plain word).
    pub words: Vec<String>,
    /// The last word is a prefix.
    pub prefix: bool,
    /// Papers with this term are excluded.
    pub excluded: bool,
}

/// A parsed search query with at least one wanted term.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SearchQuery {
    terms: Vec<Term>,
}

impl SearchQuery {
    /// Parses what a user typed.
    ///
    /// # Errors
    /// `BAD_USER_INPUT` on `query` when it is too long, has too many terms, a prefix that is
    /// too short, or nothing to search for (empty, only punctuation or common words, or
    /// only exclusions).
    pub fn parse(input: &str) -> Result<Self, InvalidQuery> {
        if input.chars().count() > MAX_QUERY_CHARS {
            return Err(invalid(format!(
                "the query is longer than {MAX_QUERY_CHARS} characters"
            )));
        }
        let terms = terms(input);
        if terms.len() > MAX_TERMS {
            return Err(invalid(format!(
                "the query has more than {MAX_TERMS} terms"
            )));
        }
        if let Some(term) = terms.iter().find(|term| {
            term.prefix
                && term
                    .words
                    .last()
                    .is_some_and(|w| w.chars().count() < MIN_PREFIX_CHARS)
        }) {
            return Err(invalid(format!(
                "a prefix search needs at least {MIN_PREFIX_CHARS} characters before `*` (got `{}*`)",
                term.words.join(" ")
            )));
        }
        if !terms.iter().any(|term| !term.excluded) {
            return Err(invalid(
                "the query has no words to search for (only punctuation, common words or exclusions)",
            ));
        }
        Ok(Self { terms })
    }

    /// The terms, in the order typed.
    pub fn terms(&self) -> &[Term] {
        &self.terms
    }

    /// Whether some wanted term is looked up in `index`.
    pub fn wants(&self, index: WordIndex) -> bool {
        self.terms
            .iter()
            .any(|term| !term.excluded && term.index() == index)
    }

    /// The query's one word, when it is nothing but a plain word of ASCII letters: the one
    /// shape every text search parser reads as a single token, so the word stands for one
    /// lexeme (or none, if the engine deems it a stop word).
    pub fn sole_letters_word(&self) -> Option<&str> {
        let [term] = self.terms.as_slice() else {
            return None;
        };
        let [word] = term.words.as_slice() else {
            return None;
        };
        let plain = !term.prefix && !term.excluded;
        (plain && !word.is_empty() && word.bytes().all(|byte| byte.is_ascii_alphabetic()))
            .then_some(word.as_str())
    }

    /// Whether some term is excluded.
    pub fn excludes(&self) -> bool {
        self.terms.iter().any(|term| term.excluded)
    }

    /// FTS5 syntax for "every wanted term of `index`, none of its excluded ones"; `None` when
    /// `index` has no wanted term. Every word is quoted, so FTS5 operators are inert.
    pub fn fts5_matching(&self, index: WordIndex) -> Option<String> {
        let wanted: Vec<String> = self
            .of(index)
            .filter(|term| !term.excluded)
            .map(Term::fts5)
            .collect();
        if wanted.is_empty() {
            return None;
        }
        let mut query = format!("({})", wanted.join(" "));
        for term in self.of(index).filter(|term| term.excluded) {
            query.push_str(" NOT ");
            query.push_str(&term.fts5());
        }
        Some(query)
    }

    /// FTS5 syntax for "any excluded term of `index`"; `None` when it has none.
    pub fn fts5_excluded(&self, index: WordIndex) -> Option<String> {
        let excluded: Vec<String> = self
            .of(index)
            .filter(|term| term.excluded)
            .map(Term::fts5)
            .collect();
        (!excluded.is_empty()).then(|| excluded.join(" OR "))
    }

    /// `to_tsquery` syntax for the terms of `index` (`&` between terms, `<->` inside
    /// phrases, `:*` for prefixes, `!` for exclusions); `None` when it has none. Words are
    /// letters and digits only, so they need no quoting.
    pub fn tsquery(&self, index: WordIndex) -> Option<String> {
        let rendered: Vec<String> = self
            .of(index)
            .map(|term| {
                let mut phrase = term.words.join(" <-> ");
                if term.prefix {
                    phrase.push_str(":*");
                }
                match (term.excluded, term.words.len() > 1) {
                    (true, _) => format!("!({phrase})"),
                    (false, true) => format!("({phrase})"),
                    (false, false) => phrase,
                }
            })
            .collect();
        (!rendered.is_empty()).then(|| rendered.join(" & "))
    }

    /// A stable 63-bit FNV-1a hash of the parsed query: equal for queries that search the
    /// same, whatever their spelling.
    pub fn fingerprint(&self) -> i64 {
        let mut hash = 0xcbf2_9ce4_8422_2325_u64;
        let mut feed = |bytes: &[u8]| {
            for byte in bytes {
                hash = (hash ^ u64::from(*byte)).wrapping_mul(0x0100_0000_01b3);
            }
        };
        for term in &self.terms {
            feed(&[u8::from(term.prefix), u8::from(term.excluded)]);
            for word in &term.words {
                feed(word.as_bytes());
                feed(&[0]);
            }
            feed(&[1]);
        }
        i64::try_from(hash >> 1).unwrap_or_default()
    }

    fn of(&self, index: WordIndex) -> impl Iterator<Item = &Term> {
        self.terms.iter().filter(move |term| term.index() == index)
    }
}

/// Where a term is looked up. Stemmed words cannot serve prefixes (the stem of
/// `optimization` is `optim`, which `optimiz*` does not start), so prefix terms are looked
/// up among the words as written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WordIndex {
    /// English stems (`layers` and `layer` are one entry).
    Stemmed,
    /// Words as written, lowercased and without accents.
    Words,
}

impl Term {
    /// The index this term is looked up in.
    pub fn index(&self) -> WordIndex {
        if self.prefix {
            WordIndex::Words
        } else {
            WordIndex::Stemmed
        }
    }

    fn fts5(&self) -> String {
        let mut text = format!("\"{}\"", self.words.join(" "));
        if self.prefix {
            text.push_str(" *");
        }
        text
    }
}

fn invalid(message: impl Into<String>) -> InvalidQuery {
    InvalidQuery(message.into())
}

/// Splits the input into terms: quoted phrases, and runs of other non-space characters.
fn terms(input: &str) -> Vec<Term> {
    let mut terms = Vec::new();
    let mut rest = input;
    loop {
        rest = rest.trim_start();
        if rest.is_empty() {
            break;
        }
        let excluded = rest.starts_with('-');
        let body = if excluded { &rest[1..] } else { rest };
        if let Some(quoted) = body.strip_prefix('"') {
            // A phrase runs to the closing quote, or to the end when it is left open.
            let (phrase, after) = quoted.split_once('"').unwrap_or((quoted, ""));
            let prefix = after.starts_with('*');
            let words = words(phrase);
            if !words.is_empty() {
                terms.push(Term {
                    words,
                    prefix,
                    excluded,
                });
            }
            rest = after.trim_start_matches('*');
        } else {
            let end = body.find(char::is_whitespace).unwrap_or(body.len());
            let chunk = &body[..end];
            let prefix = chunk.ends_with('*');
            let words = words(chunk);
            // A single common word narrows nothing; inside a compound (`state-of-the-art`)
            // it keeps the phrase intact.
            // A prefix is looked up among the words as written, where nothing is dropped.
            let common = !prefix && words.len() == 1 && STOP_WORDS.contains(&words[0].as_str());
            if !words.is_empty() && !common {
                terms.push(Term {
                    words,
                    prefix,
                    excluded,
                });
            }
            rest = &body[end..];
        }
    }
    terms
}

/// The lowercase runs of letters and digits in `text`.
fn words(text: &str) -> Vec<String> {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|word| !word.is_empty())
        .map(str::to_lowercase)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use WordIndex::{Stemmed, Words};

    fn parsed(input: &str) -> SearchQuery {
        SearchQuery::parse(input).unwrap_or_else(|error| panic!("{input:?}: {error}"))
    }

    #[test]
    fn words_phrases_and_exclusions_go_to_the_stemmed_index() {
        let query = parsed(r#"Diffusion "language model" -vision -"image generation""#);
        assert_eq!(
            query.fts5_matching(Stemmed).as_deref(),
            Some(r#"("diffusion" "language model") NOT "vision" NOT "image generation""#)
        );
        assert_eq!(
            query.tsquery(Stemmed).as_deref(),
            Some("diffusion & (language <-> model) & !(vision) & !(image <-> generation)")
        );
        assert_eq!(query.fts5_matching(Words), None);
        assert_eq!(query.tsquery(Words), None);
    }

    #[test]
    fn only_a_lone_plain_word_of_ascii_letters_is_a_sole_word() {
        assert_eq!(parsed("Networks").sole_letters_word(), Some("networks"));
        assert_eq!(
            parsed("  the networks ").sole_letters_word(),
            Some("networks")
        );
        for input in [
            "neural networks",
            "\"neural networks\"",
            "network*",
            "network -vision",
            "1e5x",
            "gpt4",
            "naïve",
            "GPT-4",
        ] {
            assert_eq!(parsed(input).sole_letters_word(), None, "{input}");
        }
    }

    #[test]
    fn prefixes_go_to_the_words_index() {
        let query = parsed(r#"optimiz* "neural netw"* -transf* graph"#);
        assert!(query.wants(Stemmed) && query.wants(Words));
        assert_eq!(
            query.fts5_matching(Stemmed).as_deref(),
            Some(r#"("graph")"#)
        );
        assert_eq!(
            query.fts5_matching(Words).as_deref(),
            Some(r#"("optimiz" * "neural netw" *) NOT "transf" *"#)
        );
        assert_eq!(query.fts5_excluded(Words).as_deref(), Some(r#""transf" *"#));
        assert_eq!(
            query.tsquery(Words).as_deref(),
            Some("optimiz:* & (neural <-> netw:*) & !(transf:*)")
        );
    }

    #[test]
    fn punctuation_splits_words_into_a_phrase() {
        let query = parsed("GPT-4o's");
        assert_eq!(
            query.fts5_matching(Stemmed).as_deref(),
            Some(r#"("gpt 4o s")"#)
        );
        assert_eq!(
            query.tsquery(Stemmed).as_deref(),
            Some("(gpt <-> 4o <-> s)")
        );
    }

    #[test]
    fn syntax_of_either_engine_is_inert() {
        for input in [
            r#"NEAR(a b) OR title:x AND y^ "#,
            "'); DROP TABLE papers; --",
            "a & b | !c <-> dee:* \\ abc*",
        ] {
            let query = parsed(input);
            for index in [Stemmed, Words] {
                if let Some(fts) = query.fts5_matching(index) {
                    // Outside quoted words only parentheses, `*` and the NOT keyword remain.
                    assert!(
                        fts.split('"')
                            .step_by(2)
                            .all(|outside| outside.chars().all(|c| " ()*NOT".contains(c))),
                        "{input:?} → {fts}"
                    );
                }
                if let Some(tsquery) = query.tsquery(index) {
                    assert!(
                        tsquery
                            .chars()
                            .all(|c| c.is_alphanumeric() || " &!()<->:*".contains(c)),
                        "{input:?} → {tsquery}"
                    );
                }
            }
        }
    }

    #[test]
    fn an_open_quote_runs_to_the_end() {
        assert_eq!(
            parsed(r#"sparse "mixture of"#)
                .fts5_matching(Stemmed)
                .as_deref(),
            Some(r#"("sparse" "mixture of")"#)
        );
    }

    #[test]
    fn accents_and_case_are_kept_for_the_engines_to_fold() {
        assert_eq!(
            parsed("Schrödinger").tsquery(Stemmed).as_deref(),
            Some("schrödinger")
        );
    }

    #[test]
    fn nothing_to_search_for_is_refused() {
        for input in [
            "",
            "   ",
            "\"\"",
            "-vision",
            "the of and",
            "🙂🚀",
            "*",
            "- -- \"",
            "&&||",
            "-abc*",
        ] {
            let Err(error) = SearchQuery::parse(input) else {
                panic!("{input:?} was accepted");
            };
            assert!(
                !error.to_string().is_empty(),
                "{input:?}: a message for the user"
            );
        }
    }

    #[test]
    fn common_words_are_dropped_outside_phrases() {
        assert_eq!(
            parsed("the attention of models")
                .fts5_matching(Stemmed)
                .as_deref(),
            Some(r#"("attention" "models")"#)
        );
        assert_eq!(
            parsed("\"state of the art\"")
                .fts5_matching(Stemmed)
                .as_deref(),
            Some(r#"("state of the art")"#)
        );
        // Every word PostgreSQL's English configuration drops is dropped on both engines…
        assert_eq!(
            parsed("which networks -between")
                .tsquery(Stemmed)
                .as_deref(),
            Some("networks")
        );
        assert!(SearchQuery::parse("which -vision").is_err());
        assert_eq!(STOP_WORDS.len(), 127);
        // …but a prefix is looked up among the words as written, which keep them.
        assert_eq!(parsed("other*").tsquery(Words).as_deref(), Some("other:*"));
    }

    #[test]
    fn fingerprints_tell_queries_apart_but_not_spellings() {
        assert_eq!(
            parsed("Neural  NETWORK").fingerprint(),
            parsed("neural network").fingerprint()
        );
        assert_ne!(
            parsed("neural network").fingerprint(),
            parsed("\"neural network\"").fingerprint()
        );
        assert_ne!(
            parsed("neural").fingerprint(),
            parsed("neural*").fingerprint()
        );
        assert_ne!(
            parsed("vision neural").fingerprint(),
            parsed("-vision neural").fingerprint()
        );
        assert!(parsed("neural").fingerprint() >= 0);
    }

    #[test]
    fn bounds_are_enforced() {
        assert!(SearchQuery::parse(&"a".repeat(MAX_QUERY_CHARS + 1)).is_err());
        let many = (0..=MAX_TERMS)
            .map(|i| format!("word{i}"))
            .collect::<Vec<_>>()
            .join(" ");
        assert!(SearchQuery::parse(&many).is_err());
        assert!(SearchQuery::parse("ab*").is_err());
        assert!(SearchQuery::parse("abc*").is_ok());
    }
}
