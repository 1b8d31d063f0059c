//! The words of synthetic titles and abstracts, drawn as in real text: a few words are very
//! common and most are rare (Zipf's law), so that a search for a word matches a realistic
//! share of the papers rather than most of them.

use super::rng::Rng;
use super::words;

/// Made-up words after the domain words: the long tail of the vocabulary.
const INVENTED_WORDS: usize = 50_000;

/// Syllables of invented words: consonant–vowel pairs with no English suffix among them,
/// so that stemmers leave the words alone.
const SYLLABLES: &[&str] = &[
    "ba", "ko", "ri", "tu", "me", "sa", "lo", "vi", "du", "ne", "pa", "zo", "ki", "mu", "te", "ra",
    "go", "li", "fu", "de", "ha", "no", "si", "bu", "ve", "ta", "po", "mi", "ju", "ke",
];

/// Domain words first (the most frequent), then invented ones by increasing rarity.
pub struct Vocabulary {
    words: Vec<String>,
}

impl Vocabulary {
    pub fn new() -> Self {
        let mut all: Vec<String> = words::WORDS.iter().map(|word| (*word).to_owned()).collect();
        all.extend((0..INVENTED_WORDS).map(invented_word));
        Self { words: all }
    }

    /// A word drawn with probability about `1/(rank+1)`.
    pub fn draw(&self, rng: &mut Rng) -> &str {
        &self.words[rng.skewed_below(self.words.len() as u64) as usize]
    }
}

/// The `index`-th invented word: its digits in base 30 as syllables, three at least.
fn invented_word(index: usize) -> String {
    let base = SYLLABLES.len();
    let mut word = String::with_capacity(8);
    let mut rest = index;
    for _ in 0..3 {
        word.push_str(SYLLABLES[rest % base]);
        rest /= base;
    }
    while rest > 0 {
        word.push_str(SYLLABLES[rest % base]);
        rest /= base;
    }
    word
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;

    #[test]
    fn words_are_distinct() {
        let vocabulary = Vocabulary::new();
        let distinct: HashSet<&String> = vocabulary.words.iter().collect();
        assert_eq!(distinct.len(), vocabulary.words.len());
    }

    #[test]
    fn frequent_ranks_are_drawn_more_often() {
        let vocabulary = Vocabulary::new();
        let mut rng = Rng::new(3);
        let draws: Vec<&str> = (0..200_000).map(|_| vocabulary.draw(&mut rng)).collect();
        let count = |rank: usize| {
            let word = vocabulary.words[rank].as_str();
            draws.iter().filter(|drawn| **drawn == word).count()
        };
        assert!(count(0) > count(50) && count(50) > count(5_000));
    }
}
