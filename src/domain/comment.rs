//! What a valid comment is: its body and its place in a thread.

use super::markdown;

/// The longest body, in characters after trimming.
pub const MAX_BODY_CHARS: usize = 20_000;
/// Levels a thread may have: top-level comments are level 1, so the deepest reply has
/// depth `MAX_THREAD_LEVELS - 1`.
pub const MAX_THREAD_LEVELS: i32 = 16;

/// A checked comment body and its rendering.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommentBody {
    /// Markdown as written (trimmed).
    pub markdown: String,
    /// Sanitised HTML.
    pub html: String,
}

impl CommentBody {
    /// `text` trimmed, 1–[`MAX_BODY_CHARS`] characters, without control characters other
    /// than line breaks and tabs, and rendered.
    ///
    /// # Errors
    /// Why the body is not acceptable.
    pub fn parse(text: &str) -> Result<Self, String> {
        let markdown = text.trim();
        if markdown.is_empty() {
            return Err("the comment must not be empty".to_owned());
        }
        if markdown.chars().count() > MAX_BODY_CHARS {
            return Err(format!(
                "the comment must be at most {MAX_BODY_CHARS} characters"
            ));
        }
        if markdown
            .chars()
            .any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t'))
        {
            return Err("the comment must not contain control characters".to_owned());
        }
        Ok(Self {
            markdown: markdown.to_owned(),
            html: markdown::to_safe_html(markdown),
        })
    }
}

/// The depth of a reply to a comment at `parent_depth`.
///
/// # Errors
/// The thread is as deep as it may be.
pub fn reply_depth(parent_depth: i32) -> Result<i32, String> {
    let depth = parent_depth + 1;
    if depth >= MAX_THREAD_LEVELS {
        return Err(format!(
            "threads are at most {MAX_THREAD_LEVELS} levels deep"
        ));
    }
    Ok(depth)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bodies_are_trimmed_bounded_and_rendered() {
        let body = CommentBody::parse("  *hi*\n").ok();
        assert_eq!(
            body.map(|b| (b.markdown, b.html)),
            Some(("*hi*".to_owned(), "<p><em>hi</em></p>\n".to_owned()))
        );
        assert!(CommentBody::parse(" \n\t ").is_err());
        assert!(CommentBody::parse(&"x".repeat(MAX_BODY_CHARS)).is_ok());
        assert!(CommentBody::parse(&"é".repeat(MAX_BODY_CHARS + 1)).is_err());
        assert!(CommentBody::parse("a\u{0}b").is_err());
    }

    #[test]
    fn threads_stop_at_sixteen_levels() {
        assert_eq!(reply_depth(0), Ok(1));
        assert_eq!(reply_depth(14), Ok(15));
        assert!(reply_depth(15).is_err());
    }
}
