//! The trending score.
//!
//! `hot_score = log2(1 + upvotes) + hours_since_epoch(submitted_at) / 24`
//!
//! This is exponential time decay with a half-life of one day: ranking by it is the same as
//! ranking by `(1 + upvotes) × 2^(−age in days)`, so a paper needs twice the upvotes of a
//! paper submitted a day later to stay level with it (the Reddit form of the Hacker News
//! and Lemmy "hot" rank). Because every paper decays at the same rate, the order of two
//! papers changes only when their upvotes do: the score is stored, indexed, and updated
//! with `upvote_count`, and no periodic re-ranking is needed.

use chrono::{DateTime, Utc};

/// Seconds of age that halve a paper's weight.
const HALF_LIFE_SECONDS: f64 = 86_400.0;

/// The trending score of a paper with `upvotes` upvotes submitted at `submitted_at`.
pub fn hot_score(upvotes: i32, submitted_at: DateTime<Utc>) -> f64 {
    let upvotes = f64::from(upvotes.max(0));
    // Microsecond precision keeps the score a pure function of the stored timestamp.
    let seconds = submitted_at.timestamp_micros() as f64 / 1_000_000.0;
    (1.0 + upvotes).log2() + seconds / HALF_LIFE_SECONDS
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn a_day_of_age_costs_a_doubling_of_upvotes() {
        let today = Utc.with_ymd_and_hms(2026, 11, 26, 12, 0, 0).single();
        let yesterday = Utc.with_ymd_and_hms(2026, 11, 25, 12, 0, 0).single();
        let (Some(today), Some(yesterday)) = (today, yesterday) else {
            panic!("valid dates");
        };
        assert!((hot_score(9, today) - hot_score(19, yesterday)).abs() < 1e-9);
        assert!(hot_score(20, yesterday) > hot_score(9, today));
        assert!(hot_score(0, today) > hot_score(0, yesterday));
    }
}
