//! Small pieces shared by the readers of XML sources.

use quick_xml::escape::resolve_predefined_entity;
use quick_xml::events::BytesRef;

/// The text a character or predefined entity reference stands for; `None` for any other
/// entity (the sources declare none).
///
/// # Errors
/// A malformed character reference.
pub fn resolve(reference: &BytesRef<'_>) -> Result<Option<String>, quick_xml::Error> {
    if let Some(ch) = reference.resolve_char_ref()? {
        return Ok(Some(ch.to_string()));
    }
    let name = reference.decode()?;
    Ok(resolve_predefined_entity(&name).map(str::to_owned))
}

/// Text wrapped over lines as one line of single spaces.
pub fn unfold(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}
