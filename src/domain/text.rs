//! Rules for free text that every kind of record shares.

/// A trimmed single-line text of 1..=`max_chars` characters.
pub fn single_line(value: &str, what: &str, max_chars: usize) -> Result<String, String> {
    let value = value.trim();
    if value.is_empty() {
        return Err(format!("{what} must not be empty"));
    }
    if value.chars().count() > max_chars {
        return Err(format!("{what} must be at most {max_chars} characters"));
    }
    if value.chars().any(char::is_control) {
        return Err(format!("{what} must not contain control characters"));
    }
    Ok(value.to_owned())
}
