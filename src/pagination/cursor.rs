//! Opaque cursors: `base64url(JSON [list, [key parts…], id])`.
//!
//! The list tag makes a cursor from one list unusable in another, and decoding checks the
//! shape of the key, so a forged or stale cursor is a `BAD_USER_INPUT`, never a database error.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::error::AppError;

/// Cursors longer than this cannot be ours.
const MAX_CURSOR_LEN: usize = 1024;

/// Which ordering a cursor belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ListKind {
    PapersBySubmitted,
    PapersByPublished,
    PapersByUpvotes,
    DailyPapers,
    TrendingPapers,
    /// Search results by score; the cursor's generation slot holds the query's fingerprint.
    SearchResults,
    AuthorsByName,
    UsersByName,
    UpvotersByTime,
    UpvotedPapersByTime,
    CategoriesByPaperCount,
    CommentsNewest,
    CommentsOldest,
    CommentsTop,
    CommentReplies,
    CommentsByAuthor,
    ReportsByTime,
    ModerationLog,
    PersonalFeed,
    SavedPapers,
    FollowedAuthors,
    FollowedUsers,
    Notifications,
    Collections,
    CollectionItems,
}

impl ListKind {
    /// Lists ordered by upvotes: their keys change at ranking refreshes, so their cursors
    /// carry the ranking generation they were issued in.
    pub fn is_ranked(self) -> bool {
        matches!(
            self,
            Self::PapersByUpvotes | Self::DailyPapers | Self::TrendingPapers
        )
    }

    /// Lists whose cursors carry a generation: the ranked lists' refresh generation, or the
    /// search results' query fingerprint.
    fn has_generation(self) -> bool {
        self.is_ranked() || self == Self::SearchResults
    }

    fn tag(self) -> &'static str {
        match self {
            Self::PapersBySubmitted => "ps",
            Self::PapersByPublished => "pp",
            Self::PapersByUpvotes => "pu",
            Self::DailyPapers => "pd",
            Self::TrendingPapers => "pt",
            Self::SearchResults => "sr",
            Self::AuthorsByName => "an",
            Self::UsersByName => "un",
            Self::UpvotersByTime => "uv",
            Self::UpvotedPapersByTime => "up",
            Self::CategoriesByPaperCount => "cc",
            Self::CommentsNewest => "kn",
            Self::CommentsOldest => "ko",
            Self::CommentsTop => "kt",
            Self::CommentReplies => "kr",
            Self::CommentsByAuthor => "ka",
            Self::ReportsByTime => "rp",
            Self::ModerationLog => "ml",
            Self::PersonalFeed => "fd",
            Self::SavedPapers => "sv",
            Self::FollowedAuthors => "fa",
            Self::FollowedUsers => "fu",
            Self::Notifications => "nt",
            Self::Collections => "cl",
            Self::CollectionItems => "ci",
        }
    }
}

/// One sort-column value of a row.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum KeyPart {
    /// A timestamp, as microseconds since the Unix epoch.
    #[serde(rename = "t")]
    Time(i64),
    /// A date, as days since 0001-01-01.
    #[serde(rename = "d")]
    Day(i32),
    #[serde(rename = "i")]
    Int(i64),
    /// A float, carried as its IEEE 754 bits: a decimal round trip through JSON is not
    /// guaranteed to be exact, and a cursor one ulp off skips or repeats rows.
    #[serde(rename = "f", with = "float_bits")]
    Float(f64),
    #[serde(rename = "s")]
    Text(String),
}

impl KeyPart {
    /// A timestamp part.
    pub fn time(value: DateTime<Utc>) -> Self {
        Self::Time(value.timestamp_micros())
    }

    /// A date part.
    pub fn day(value: NaiveDate) -> Self {
        Self::Day(chrono::Datelike::num_days_from_ce(&value))
    }

    /// The part as a bindable SQL value, or `None` when out of range.
    pub fn to_value(&self) -> Option<sea_orm::Value> {
        Some(match self {
            Self::Time(micros) => DateTime::<Utc>::from_timestamp_micros(*micros)?.into(),
            Self::Day(days) => NaiveDate::from_num_days_from_ce_opt(*days)?.into(),
            Self::Int(value) => (*value).into(),
            Self::Float(value) if value.is_finite() => (*value).into(),
            Self::Float(_) => return None,
            Self::Text(value) => value.clone().into(),
        })
    }

    /// The part as its serde form (`{"t": micros}`, `{"f": bits}`…).
    fn to_json(&self) -> serde_json::Value {
        let (tag, value): (&str, serde_json::Value) = match self {
            Self::Time(micros) => ("t", (*micros).into()),
            Self::Day(days) => ("d", (*days).into()),
            Self::Int(value) => ("i", (*value).into()),
            Self::Float(value) => ("f", value.to_bits().into()),
            Self::Text(value) => ("s", value.as_str().into()),
        };
        let mut object = serde_json::Map::new();
        object.insert(tag.to_owned(), value);
        serde_json::Value::Object(object)
    }

    fn same_type(&self, other: &Self) -> bool {
        std::mem::discriminant(self) == std::mem::discriminant(other)
    }
}

mod float_bits {
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(value: &f64, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_u64(value.to_bits())
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<f64, D::Error> {
        u64::deserialize(deserializer).map(f64::from_bits)
    }
}

/// A row's position in an ordered list: its sort-column values, then its id; in ranked
/// lists, also the ranking generation the values belong to.
#[derive(Debug, Clone, PartialEq)]
pub struct Keyset {
    pub parts: Vec<KeyPart>,
    pub id: i64,
    pub generation: Option<i64>,
}

impl Keyset {
    /// The day a position starts with, for lists whose first sort column is a day.
    pub fn leading_day(&self) -> Option<NaiveDate> {
        match self.parts.first()? {
            KeyPart::Day(days) => NaiveDate::from_num_days_from_ce_opt(*days),
            _ => None,
        }
    }

    /// How two positions of one list compare, in ascending list order (keys, then id).
    pub fn position_cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.parts
            .iter()
            .zip(&other.parts)
            .map(|(mine, theirs)| mine.cmp_same_type(theirs))
            .find(|order| order.is_ne())
            .unwrap_or(std::cmp::Ordering::Equal)
            .then(self.id.cmp(&other.id))
    }
}

impl KeyPart {
    /// Compares two parts of one column (parts of different types compare equal).
    fn cmp_same_type(&self, other: &Self) -> std::cmp::Ordering {
        use std::cmp::Ordering;
        match (self, other) {
            (Self::Time(a), Self::Time(b)) | (Self::Int(a), Self::Int(b)) => a.cmp(b),
            (Self::Day(a), Self::Day(b)) => a.cmp(b),
            (Self::Float(a), Self::Float(b)) => a.total_cmp(b),
            (Self::Text(a), Self::Text(b)) => a.cmp(b),
            _ => Ordering::Equal,
        }
    }
}

/// A cursor as it travels (base64url of this, as JSON).
#[derive(Deserialize)]
struct WireCursor(String, Vec<KeyPart>, i64, Option<i64>);

impl Keyset {
    /// The opaque cursor of this position in `list`.
    pub fn encode(&self, list: ListKind) -> String {
        // Built as a JSON value (whose text form cannot fail) in the shape `WireCursor`
        // deserialises.
        let parts = self.parts.iter().map(KeyPart::to_json).collect();
        let wire = serde_json::Value::Array(vec![
            list.tag().into(),
            serde_json::Value::Array(parts),
            self.id.into(),
            self.generation.into(),
        ]);
        URL_SAFE_NO_PAD.encode(wire.to_string())
    }

    /// Decodes a cursor of `list` whose key parts have the types of `shape`.
    ///
    /// # Errors
    /// `BAD_USER_INPUT` naming `field` for anything this server did not issue for `list`.
    pub fn decode(
        raw: &str,
        list: ListKind,
        shape: &[KeyPart],
        field: &str,
    ) -> Result<Self, AppError> {
        let invalid = || AppError::bad_input(field, format!("`{field}` is not a valid cursor"));
        if raw.is_empty() || raw.len() > MAX_CURSOR_LEN {
            return Err(invalid());
        }
        let json = URL_SAFE_NO_PAD.decode(raw).map_err(|_| invalid())?;
        let WireCursor(tag, parts, id, generation) =
            serde_json::from_slice(&json).map_err(|_| invalid())?;
        if tag != list.tag() {
            return Err(AppError::bad_input(
                field,
                format!("`{field}` is a cursor of a different list"),
            ));
        }
        let shape_matches = parts.len() == shape.len()
            && parts
                .iter()
                .zip(shape)
                .all(|(part, want)| part.same_type(want))
            && parts.iter().all(|part| part.to_value().is_some());
        if !shape_matches || id <= 0 || generation.is_some() != list.has_generation() {
            return Err(invalid());
        }
        Ok(Self {
            parts,
            id,
            generation,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shape() -> Vec<KeyPart> {
        vec![KeyPart::Time(0), KeyPart::Float(0.0)]
    }

    #[test]
    fn cursors_round_trip_exactly() -> Result<(), AppError> {
        let key = Keyset {
            parts: vec![
                KeyPart::Time(1_732_622_400_123_456),
                KeyPart::Float(20_123.456_789_012_3),
            ],
            id: 42,
            generation: Some(7),
        };
        let raw = key.encode(ListKind::TrendingPapers);
        assert_eq!(
            Keyset::decode(&raw, ListKind::TrendingPapers, &shape(), "after")?,
            key
        );
        Ok(())
    }

    #[test]
    fn floats_survive_the_round_trip_to_the_last_bit() -> Result<(), AppError> {
        // Values whose shortest decimal form a non-exact parser reads one ulp off.
        for value in [20_527.375_052_108_022_f64, 0.1 + 0.2, 1e-300] {
            let key = Keyset {
                parts: vec![KeyPart::Time(0), KeyPart::Float(value)],
                id: 3,
                generation: Some(1),
            };
            let decoded = Keyset::decode(
                &key.encode(ListKind::TrendingPapers),
                ListKind::TrendingPapers,
                &shape(),
                "after",
            )?;
            assert_eq!(decoded.parts[1], KeyPart::Float(value));
            let KeyPart::Float(back) = decoded.parts[1] else {
                panic!("a float part");
            };
            assert_eq!(back.to_bits(), value.to_bits());
        }
        Ok(())
    }

    #[test]
    fn positions_compare_by_keys_then_id() {
        let at = |count: i64, id: i64| Keyset {
            parts: vec![KeyPart::Int(count)],
            id,
            generation: None,
        };
        assert!(at(1, 9).position_cmp(&at(2, 1)).is_lt());
        assert!(at(2, 1).position_cmp(&at(2, 3)).is_lt());
        assert!(at(2, 3).position_cmp(&at(2, 3)).is_eq());
        let score = |value: f64| Keyset {
            parts: vec![KeyPart::Float(value)],
            id: 1,
            generation: None,
        };
        assert!(score(-0.5).position_cmp(&score(20_000.25)).is_lt());
    }

    #[test]
    fn cursors_of_another_list_or_shape_are_rejected() {
        let key = Keyset {
            parts: vec![KeyPart::Time(1), KeyPart::Float(1.0)],
            id: 1,
            generation: Some(1),
        };
        let raw = key.encode(ListKind::TrendingPapers);
        assert!(Keyset::decode(&raw, ListKind::DailyPapers, &shape(), "after").is_err());
        let wrong_shape = [KeyPart::Int(0), KeyPart::Float(0.0)];
        assert!(Keyset::decode(&raw, ListKind::TrendingPapers, &wrong_shape, "after").is_err());
    }

    #[test]
    fn ranked_cursors_must_carry_a_generation_and_others_must_not() {
        let ranked_without = Keyset {
            parts: vec![KeyPart::Time(1), KeyPart::Float(1.0)],
            id: 1,
            generation: None,
        };
        let raw = ranked_without.encode(ListKind::TrendingPapers);
        assert!(Keyset::decode(&raw, ListKind::TrendingPapers, &shape(), "after").is_err());
        let plain_with = Keyset {
            parts: vec![KeyPart::Time(1)],
            id: 1,
            generation: Some(3),
        };
        let raw = plain_with.encode(ListKind::PapersBySubmitted);
        assert!(
            Keyset::decode(
                &raw,
                ListKind::PapersBySubmitted,
                &[KeyPart::Time(0)],
                "after"
            )
            .is_err()
        );
    }

    #[test]
    fn garbage_cursors_are_rejected() {
        for raw in ["", "!!!", "bm90IGpzb24", &"A".repeat(5000)] {
            assert!(Keyset::decode(raw, ListKind::TrendingPapers, &shape(), "after").is_err());
        }
    }
}
