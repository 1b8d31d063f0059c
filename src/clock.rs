//! Timestamps as the database stores them.
//!
//! PostgreSQL keeps microseconds; cursors carry microseconds; so every stored timestamp is
//! truncated to microseconds first, or a SQLite row would compare unequal to its own cursor.

use chrono::{DateTime, SubsecRound, Utc};

/// The current time, truncated to microseconds.
pub fn now() -> DateTime<Utc> {
    stored(Utc::now())
}

/// `at` truncated to microseconds.
pub fn stored(at: DateTime<Utc>) -> DateTime<Utc> {
    at.trunc_subsecs(6)
}
