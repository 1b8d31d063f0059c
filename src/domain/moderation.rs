//! What a moderator or a reporter must say.

use super::text::single_line;

/// The longest reason of a report, hide or ban.
pub const MAX_REASON_CHARS: usize = 500;

/// A trimmed single-line reason of 1–[`MAX_REASON_CHARS`] characters.
///
/// # Errors
/// Why the reason is not acceptable.
pub fn reason(text: &str) -> Result<String, String> {
    single_line(text, "the reason", MAX_REASON_CHARS)
}
