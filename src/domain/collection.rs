//! What a valid collection is: its name, description, notes, limits, and how its items
//! keep their order.

use super::text::single_line;

/// The longest name, in characters.
pub const MAX_NAME_CHARS: usize = 100;
/// The longest description, in characters.
pub const MAX_DESCRIPTION_CHARS: usize = 2_000;
/// The longest note on an item, in characters.
pub const MAX_NOTE_CHARS: usize = 2_000;
/// The most collections one user may have.
pub const MAX_COLLECTIONS_PER_USER: i64 = 1_000;
/// The most items one collection may hold.
pub const MAX_ITEMS: i32 = 10_000;
/// The distance between neighbours when items are appended or renumbered: room for 32
/// moves between the same two neighbours before a renumbering.
pub const POSITION_SPACING: i64 = 1 << 32;

/// Who may read a collection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Visibility {
    /// Listed on its owner's profile and on its papers.
    Public,
    /// Readable by anyone with its id; listed nowhere.
    Unlisted,
    /// Its owner's only.
    Private,
}

impl Visibility {
    /// The stored form.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Public => "PUBLIC",
            Self::Unlisted => "UNLISTED",
            Self::Private => "PRIVATE",
        }
    }

    /// The visibility of a stored value; private for anything unknown.
    pub fn from_stored(value: &str) -> Self {
        match value {
            "PUBLIC" => Self::Public,
            "UNLISTED" => Self::Unlisted,
            _ => Self::Private,
        }
    }
}

/// A trimmed name of 1–[`MAX_NAME_CHARS`] characters on one line.
///
/// # Errors
/// Why the name is not acceptable.
pub fn name(value: &str) -> Result<String, String> {
    single_line(value, "the name", MAX_NAME_CHARS)
}

/// A trimmed description of at most [`MAX_DESCRIPTION_CHARS`] characters (empty allowed).
///
/// # Errors
/// Why the description is not acceptable.
pub fn description(value: &str) -> Result<String, String> {
    free_text(value, "the description", MAX_DESCRIPTION_CHARS)
}

/// A trimmed note of at most [`MAX_NOTE_CHARS`] characters; empty is no note.
///
/// # Errors
/// Why the note is not acceptable.
pub fn note(value: &str) -> Result<Option<String>, String> {
    let note = free_text(value, "the note", MAX_NOTE_CHARS)?;
    Ok((!note.is_empty()).then_some(note))
}

fn free_text(value: &str, what: &str, max_chars: usize) -> Result<String, String> {
    let value = value.trim();
    if value.chars().count() > max_chars {
        return Err(format!("{what} must be at most {max_chars} characters"));
    }
    if value
        .chars()
        .any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t'))
    {
        return Err(format!("{what} must not contain control characters"));
    }
    Ok(value.to_owned())
}

/// A position between `before` and `after` (either end open); `None` when they are
/// neighbours with no room between them.
pub fn position_between(before: Option<i64>, after: Option<i64>) -> Option<i64> {
    match (before, after) {
        (None, None) => Some(0),
        (Some(before), None) => before.checked_add(POSITION_SPACING),
        (None, Some(after)) => after.checked_sub(POSITION_SPACING),
        (Some(before), Some(after)) => {
            let gap = after.checked_sub(before)?;
            (gap >= 2).then(|| before + gap / 2)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_one_line_of_one_to_a_hundred_characters() {
        assert_eq!(name("  Reading list ").as_deref(), Ok("Reading list"));
        assert!(name(" ").is_err());
        assert!(name(&"x".repeat(101)).is_err());
        assert!(name("two\nlines").is_err());
        assert!(name(&"é".repeat(100)).is_ok());
    }

    #[test]
    fn empty_notes_are_no_notes() {
        assert_eq!(note("  "), Ok(None));
        assert_eq!(note(" read §3 "), Ok(Some("read §3".to_owned())));
        assert!(note(&"x".repeat(2_001)).is_err());
        assert!(description(&"x".repeat(2_001)).is_err());
        assert_eq!(description(""), Ok(String::new()));
    }

    #[test]
    fn positions_fall_between_neighbours_until_there_is_no_room() {
        assert_eq!(position_between(None, None), Some(0));
        assert_eq!(
            position_between(Some(10), None),
            Some(10 + POSITION_SPACING)
        );
        assert_eq!(
            position_between(None, Some(10)),
            Some(10 - POSITION_SPACING)
        );
        assert_eq!(position_between(Some(10), Some(20)), Some(15));
        assert_eq!(position_between(Some(10), Some(11)), None);
        let mut upper = POSITION_SPACING;
        let mut moves = 0;
        while let Some(between) = position_between(Some(0), Some(upper)) {
            upper = between;
            moves += 1;
        }
        assert_eq!(moves, 32);
    }
}
