//! Spacing of the requests one instance sends to a source: each waits for its turn, turns
//! are at least the configured interval apart, and a caller whose turn is too far off is
//! told how long instead of waiting.

use std::time::Duration;

use tokio::sync::Mutex;
use tokio::time::Instant;

/// The turns of one source.
pub struct Pacer {
    interval: Duration,
    /// When the next request may start.
    next_turn: Mutex<Instant>,
}

impl Pacer {
    /// Turns `interval` apart, the first one now.
    pub fn new(interval: Duration) -> Self {
        Self {
            interval,
            next_turn: Mutex::new(Instant::now()),
        }
    }

    /// Waits for the caller's turn; `Err(wait)` without waiting when the turn is more than
    /// `max_wait` away.
    pub async fn wait_for_turn(&self, max_wait: Duration) -> Result<(), Duration> {
        let turn = {
            let mut next_turn = self.next_turn.lock().await;
            let now = Instant::now();
            let turn = (*next_turn).max(now);
            let wait = turn - now;
            if wait > max_wait {
                return Err(wait);
            }
            *next_turn = turn + self.interval;
            turn
        };
        tokio::time::sleep_until(turn).await;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn turns_are_spaced_and_a_far_turn_is_refused() {
        let pacer = Pacer::new(Duration::from_secs(3));
        let start = Instant::now();
        for expected in [0, 3, 6, 9] {
            assert!(pacer.wait_for_turn(Duration::from_secs(10)).await.is_ok());
            assert_eq!(start.elapsed().as_secs(), expected);
        }
        // The next turn is 3 s off: within 10 s it is waited for, within 2 s it is refused.
        assert_eq!(
            pacer.wait_for_turn(Duration::from_secs(2)).await,
            Err(Duration::from_secs(3))
        );
        assert!(pacer.wait_for_turn(Duration::from_secs(10)).await.is_ok());
        assert_eq!(start.elapsed().as_secs(), 12);
    }
}
