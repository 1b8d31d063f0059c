//! Opaque global ids (Relay): `base64url("Paper:42")`.
//!
//! Clients must treat ids as opaque strings; the encoding only has to round-trip and to
//! tell a malformed id (or an id of another type) from a well-formed one.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use crate::error::AppError;

/// The object types that have global ids.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum NodeKind {
    Paper,
    Author,
    User,
    Comment,
    Report,
    ModerationAction,
    Notification,
    Collection,
    Session,
    PersonalAccessToken,
}

impl NodeKind {
    fn name(self) -> &'static str {
        match self {
            Self::Paper => "Paper",
            Self::Author => "Author",
            Self::User => "User",
            Self::Comment => "Comment",
            Self::Report => "Report",
            Self::ModerationAction => "ModerationAction",
            Self::Notification => "Notification",
            Self::Collection => "Collection",
            Self::Session => "Session",
            Self::PersonalAccessToken => "PersonalAccessToken",
        }
    }

    fn from_name(name: &str) -> Option<Self> {
        match name {
            "Paper" => Some(Self::Paper),
            "Author" => Some(Self::Author),
            "User" => Some(Self::User),
            "Comment" => Some(Self::Comment),
            "Report" => Some(Self::Report),
            "ModerationAction" => Some(Self::ModerationAction),
            "Notification" => Some(Self::Notification),
            "Collection" => Some(Self::Collection),
            "Session" => Some(Self::Session),
            "PersonalAccessToken" => Some(Self::PersonalAccessToken),
            _ => None,
        }
    }
}

/// A decoded global id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct GlobalId {
    pub kind: NodeKind,
    pub id: i64,
}

impl GlobalId {
    /// The opaque form of `kind` + `id`.
    pub fn encode(kind: NodeKind, id: i64) -> String {
        URL_SAFE_NO_PAD.encode(format!("{}:{id}", kind.name()))
    }

    /// Decodes any global id.
    ///
    /// # Errors
    /// `BAD_USER_INPUT` naming `field` when `raw` is not an id this server issued.
    pub fn decode(raw: &str, field: &str) -> Result<Self, AppError> {
        let malformed = || AppError::bad_input(field, format!("`{field}` is not a valid id"));
        if raw.len() > 64 {
            return Err(malformed());
        }
        let bytes = URL_SAFE_NO_PAD.decode(raw).map_err(|_| malformed())?;
        let text = std::str::from_utf8(&bytes).map_err(|_| malformed())?;
        let (kind, id) = text.split_once(':').ok_or_else(malformed)?;
        let kind = NodeKind::from_name(kind).ok_or_else(malformed)?;
        // Reject signs, leading zeros and spaces so that each id has one spelling.
        let canonical = !id.is_empty()
            && id.bytes().all(|b| b.is_ascii_digit())
            && !(id.len() > 1 && id.starts_with('0'));
        let id: i64 = id
            .parse()
            .ok()
            .filter(|id| canonical && *id > 0)
            .ok_or_else(malformed)?;
        Ok(Self { kind, id })
    }

    /// Decodes an id that must be of `kind`.
    ///
    /// # Errors
    /// `BAD_USER_INPUT` when `raw` is malformed or names another type.
    pub fn decode_as(raw: &str, kind: NodeKind, field: &str) -> Result<i64, AppError> {
        let id = Self::decode(raw, field)?;
        if id.kind == kind {
            Ok(id.id)
        } else {
            Err(AppError::bad_input(
                field,
                format!("`{field}` must be the id of a {}", kind.name()),
            ))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_round_trip() -> Result<(), AppError> {
        let raw = GlobalId::encode(NodeKind::Author, 9_007_199_254_740_993);
        assert_eq!(
            GlobalId::decode(&raw, "id")?,
            GlobalId {
                kind: NodeKind::Author,
                id: 9_007_199_254_740_993
            }
        );
        Ok(())
    }

    #[test]
    fn malformed_ids_are_rejected() {
        let encode = |text: &str| URL_SAFE_NO_PAD.encode(text);
        for raw in [
            String::new(),
            "not base64!".to_owned(),
            encode("Paper"),
            encode("Paper:"),
            encode("Paper:-1"),
            encode("Paper:0"),
            encode("Paper:007"),
            encode("Paper:+7"),
            encode("Paper:99999999999999999999"),
            encode("Cake:1"),
            "A".repeat(10_000),
        ] {
            assert!(
                GlobalId::decode(&raw, "id").is_err(),
                "{raw:?} must be rejected"
            );
        }
    }

    #[test]
    fn ids_of_another_type_are_rejected() {
        let raw = GlobalId::encode(NodeKind::User, 1);
        assert!(GlobalId::decode_as(&raw, NodeKind::Paper, "id").is_err());
    }
}
