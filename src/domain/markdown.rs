//! Comment bodies: Markdown as written, rendered to HTML that a frontend can put in its page.
//!
//! `pulldown-cmark` renders (CommonMark with tables and strikethrough); `ammonia` then
//! cleans the result against an allow-list, so that no script, event handler, `javascript:`
//! URL or foreign attribute survives whatever the renderer let through. Two things are
//! settled before rendering:
//!
//! * raw HTML in the Markdown is shown as text, not interpreted: a comment is Markdown,
//!   and an HTML tree is the one thing a reader could nest without bound;
//! * Markdown nested deeper than [`MAX_NESTING`] (a "bomb" of thousands of `>` or list
//!   markers) keeps its text but loses the structure past that depth, so that no later
//!   step walks a tree thousands of levels deep.

use std::collections::HashSet;
use std::sync::LazyLock;

use pulldown_cmark::{Event, Options, Parser, html};

/// The deepest structure kept: quotes in lists in quotes… well beyond real discussion.
pub const MAX_NESTING: usize = 24;

/// What links carry: no ranking credit, marked as user content, no opener access.
const LINK_REL: &str = "nofollow ugc noopener";

/// The allow-list: ammonia's defaults (formatting, lists, tables, code, links) without
/// images (tracking pixels), with absolute `http`, `https` and `mailto` URLs only.
static SANITIZER: LazyLock<ammonia::Builder<'static>> = LazyLock::new(|| {
    let mut builder = ammonia::Builder::default();
    builder
        .rm_tags(["img"])
        .url_schemes(HashSet::from(["http", "https", "mailto"]))
        .url_relative(ammonia::UrlRelative::Deny)
        .link_rel(Some(LINK_REL));
    builder
});

/// `markdown` as sanitised HTML.
pub fn to_safe_html(markdown: &str) -> String {
    let options = Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH;
    let events = capped_nesting(Parser::new_ext(markdown, options).map(raw_html_as_text));
    let mut rendered = String::with_capacity(markdown.len() + markdown.len() / 2);
    html::push_html(&mut rendered, events);
    SANITIZER.clean(&rendered).to_string()
}

fn raw_html_as_text(event: Event<'_>) -> Event<'_> {
    match event {
        Event::Html(text) | Event::InlineHtml(text) => Event::Text(text),
        other => other,
    }
}

/// The events with every start and end past [`MAX_NESTING`] left out (their contents
/// stay).
fn capped_nesting<'a>(events: impl Iterator<Item = Event<'a>>) -> impl Iterator<Item = Event<'a>> {
    // For each open element, whether its start was kept.
    let mut open: Vec<bool> = Vec::new();
    events.filter(move |event| match event {
        Event::Start(_) => {
            let kept = open.len() < MAX_NESTING;
            open.push(kept);
            kept
        }
        Event::End(_) => open.pop().unwrap_or(true),
        _ => true,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markdown_renders_and_links_are_marked() {
        let html = to_safe_html("**bold** and [code](https://github.com/x/y)\n\n- one\n- two");
        assert!(html.contains("<strong>bold</strong>"), "{html}");
        assert!(
            html.contains(
                r#"<a href="https://github.com/x/y" rel="nofollow ugc noopener">code</a>"#
            ),
            "{html}"
        );
        assert!(html.contains("<li>one</li>"), "{html}");
    }

    #[test]
    fn raw_html_is_shown_as_text() {
        let html = to_safe_html("<script>alert(1)</script> and <b onclick=x>b</b>");
        assert!(!html.contains("<script"), "{html}");
        assert!(!html.contains("<b"), "{html}");
        assert!(html.contains("&lt;script&gt;"), "{html}");
    }

    #[test]
    fn dangerous_links_lose_their_target() {
        for markdown in [
            "[x](javascript:alert(1))",
            "[x](JaVaScRiPt:alert(1))",
            "[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
            "[x](vbscript:msgbox(1))",
            "[x](/relative)",
            "<javascript:alert(1)>",
        ] {
            let html = to_safe_html(markdown);
            assert!(!html.contains("href"), "{markdown}: {html}");
        }
    }

    #[test]
    fn deep_nesting_is_flattened_past_the_cap() {
        let bomb = ">".repeat(20_000) + " deep";
        let html = to_safe_html(&bomb);
        assert!(
            html.matches("<blockquote>").count() <= MAX_NESTING,
            "capped"
        );
        assert!(html.contains("deep"));
        let brackets = to_safe_html(&"[".repeat(20_000));
        assert_eq!(brackets.matches('[').count(), 20_000);
        let lists = to_safe_html(&"- ".repeat(10_000));
        assert!(lists.matches("<ul>").count() <= MAX_NESTING);
    }
}
