//! Profile fields a user edits: a short bio and two links.

use super::web_address;

/// Longest bio, in characters.
pub const MAX_BIO_CHARS: usize = 500;

/// A bio: at most 500 characters, line breaks allowed, no other control characters;
/// blank clears it.
pub fn bio(value: &str) -> Result<Option<String>, String> {
    let value = value.trim();
    if value.is_empty() {
        return Ok(None);
    }
    if value.chars().count() > MAX_BIO_CHARS {
        return Err(format!("bio must be at most {MAX_BIO_CHARS} characters"));
    }
    if value.chars().any(|c| c.is_control() && c != '\n') {
        return Err("bio must not contain control characters".to_owned());
    }
    Ok(Some(value.to_owned()))
}

/// A profile link (website, avatar); blank clears it.
pub fn link(value: &str, what: &str) -> Result<Option<String>, String> {
    if value.trim().is_empty() {
        return Ok(None);
    }
    web_address::link(value, what).map(Some)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bios_are_bounded_and_blank_clears() {
        assert_eq!(bio("  "), Ok(None));
        assert_eq!(bio(" Hi\nthere "), Ok(Some("Hi\nthere".to_owned())));
        assert!(bio(&"x".repeat(MAX_BIO_CHARS + 1)).is_err());
        assert!(bio("bell\u{7}").is_err());
    }
}
