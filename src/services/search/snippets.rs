//! Highlighted excerpts of the abstracts around a query's matches.

use std::collections::HashMap;

use sea_orm::{ConnectionTrait, DbBackend};

use crate::domain::search_query::SearchQuery;
use crate::error::AppResult;
use crate::services::sql;

use super::coverage::{Coverage, STEMMED_CONFIG};
use super::matching::{pg_tsquery, sqlite_driver};

/// Marks the start of a highlighted match in a snippet, before it is turned into HTML.
const MATCH_START: char = '\u{E000}';
/// Marks the end of a highlighted match.
const MATCH_END: char = '\u{E001}';
/// Words in a snippet.
const SNIPPET_WORDS: u32 = 32;

/// A short excerpt of each paper's abstract around the query's matches, as HTML: the text
/// escaped, every match in `<mark>…</mark>`.
///
/// # Errors
/// `INTERNAL_SERVER_ERROR` on database failure.
pub async fn snippets(
    db: &impl ConnectionTrait,
    query: &SearchQuery,
    ids: &[i64],
) -> AppResult<HashMap<i64, String>> {
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    let backend = db.get_database_backend();
    let (sql, mut values) = if backend == DbBackend::Postgres {
        let options = format!(
            "StartSel={MATCH_START}, StopSel={MATCH_END}, MaxWords={SNIPPET_WORDS}, \
             MinWords={}, MaxFragments=1, FragmentDelimiter=\" … \"",
            SNIPPET_WORDS / 2
        );
        // The tsquery's placeholders are numbered; the ids' follow them.
        let (tsquery, values) = pg_tsquery(query);
        let ids_list = (values.len() + 1..=values.len() + ids.len())
            .map(|n| format!("${n}"))
            .collect::<Vec<_>>()
            .join(", ");
        (
            format!(
                "SELECT p.id AS id, ts_headline('{STEMMED_CONFIG}', p.abstract, {tsquery}, '{options}') \
                 AS snippet FROM papers p WHERE p.id IN ({ids_list})"
            ),
            values,
        )
    } else {
        let driver = sqlite_driver(query);
        let table = Coverage::Whole.sqlite_table(driver);
        (
            format!(
                "SELECT rowid AS id, snippet({table}, 1, '{MATCH_START}', '{MATCH_END}', '…', \
                 {SNIPPET_WORDS}) AS snippet FROM {table} \
                 WHERE {table} MATCH ? AND rowid IN ({})",
                sql::placeholders(ids.len())
            ),
            vec![query.fts5_matching(driver).unwrap_or_default().into()],
        )
    };
    values.extend(ids.iter().map(|id| sea_orm::Value::from(*id)));
    let rows = db
        .query_all_raw(sql::statement(backend, &sql, values))
        .await?;
    let mut snippets = HashMap::with_capacity(rows.len());
    for row in rows {
        let text: String = row.try_get("", "snippet")?;
        snippets.insert(row.try_get::<i64>("", "id")?, highlighted_html(&text));
    }
    Ok(snippets)
}

/// `text` with its match markers as `<mark>` elements and everything else HTML-escaped.
fn highlighted_html(text: &str) -> String {
    let mut html = String::with_capacity(text.len() + 32);
    let mut open = false;
    for ch in text.chars() {
        match ch {
            MATCH_START if !open => {
                html.push_str("<mark>");
                open = true;
            }
            MATCH_END if open => {
                html.push_str("</mark>");
                open = false;
            }
            MATCH_START | MATCH_END => {}
            '&' => html.push_str("&amp;"),
            '<' => html.push_str("&lt;"),
            '>' => html.push_str("&gt;"),
            '"' => html.push_str("&quot;"),
            '\'' => html.push_str("&#39;"),
            _ => html.push(ch),
        }
    }
    if open {
        html.push_str("</mark>");
    }
    html
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn snippets_escape_text_and_mark_matches() {
        assert_eq!(
            highlighted_html("a <b> & \u{E000}layers\u{E001}'s \"x\""),
            "a &lt;b&gt; &amp; <mark>layers</mark>&#39;s &quot;x&quot;"
        );
    }

    #[test]
    fn stray_markers_never_leave_a_mark_open() {
        assert_eq!(highlighted_html("\u{E001}a\u{E000}b"), "a<mark>b</mark>");
        assert_eq!(highlighted_html("\u{E000}\u{E000}c"), "<mark>c</mark>");
    }
}
