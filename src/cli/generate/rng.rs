//! A small deterministic random number generator (SplitMix64): the same seed gives the
//! same data set on every machine.

/// SplitMix64.
pub struct Rng(u64);

impl Rng {
    /// A generator seeded with `seed`.
    pub fn new(seed: u64) -> Self {
        Self(seed)
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A uniform integer in `0..bound` (`bound` > 0).
    pub fn below(&mut self, bound: u64) -> u64 {
        // Multiply-shift: unbiased enough for synthetic data, and branch-free.
        ((u128::from(self.next_u64()) * u128::from(bound.max(1))) >> 64) as u64
    }

    /// A uniform float in `[0, 1)`.
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// An integer in `0..bound` skewed towards 0: index `i` is drawn about `1/(i+1)` as
    /// often, like popularity in real feeds.
    pub fn skewed_below(&mut self, bound: u64) -> u64 {
        let bound = bound.max(1) as f64;
        let index = (bound + 1.0).powf(self.unit()) - 1.0;
        (index as u64).min(bound as u64 - 1)
    }

    /// One element of a non-empty slice.
    pub fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        items[self.below(items.len() as u64) as usize]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_same_sequence() {
        let (mut a, mut b) = (Rng::new(7), Rng::new(7));
        assert!((0..100).all(|_| a.next_u64() == b.next_u64()));
    }

    #[test]
    fn draws_stay_in_bounds() {
        let mut rng = Rng::new(1);
        assert!((0..10_000).all(|_| rng.below(13) < 13 && rng.skewed_below(13) < 13));
        assert!((0..10_000).all(|_| (0.0..1.0).contains(&rng.unit())));
    }
}
