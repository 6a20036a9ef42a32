//! Duplicates across platforms: similarity on normalised text (folded, stop words dropped, plurals
//! trimmed) as the mean of a word-set Jaccard and a character-trigram Dice coefficient. The best
//! earlier question at or above [`SIMILAR`] is suggested; identical normalised text is an exact
//! duplicate (which a session may merge automatically).
//!
//! The index is inverted (word → earlier questions), so a new comment is compared only with the
//! questions it shares a word with: two texts with no word in common score at most 0.5 (Jaccard
//! 0, Dice at most 1), below [`SIMILAR`], so skipping them changes no result.

use crate::text::{fold, words};
use curbside_domain::QuestionId;
use std::collections::HashMap;

/// The score from which a question is suggested as a duplicate.
pub const SIMILAR: f64 = 0.6;

const STOP: &[&str] = &[
    "a", "an", "the", "and", "or", "but", "is", "are", "was", "were", "be", "been", "do", "does", "did", "i",
    "im", "i'm", "me", "my", "you", "your", "we", "our", "it", "its", "it's", "this", "that", "to", "of",
    "in", "on", "for", "with", "at", "by", "from", "so", "if", "can", "could", "should", "would", "will",
    "what", "how", "why", "when", "there", "any", "some", "about", "just", "really", "please", "pls", "hi",
    "hello", "hey", "thanks", "thank", "dr", "doctor", "doc", "q", "question", "have", "has", "get", "u",
    "ur", "el", "la", "los", "las", "de", "del", "que", "y", "o", "en", "es", "un", "una", "mi", "me", "se",
    "lo", "le", "por", "para", "con", "al", "como", "hay", "si", "su", "doctora", "hola", "gracias",
    "pregunta", "puede", "pueden", "what's", "whats", "exactly", "actually", "cual", "cuales", "cuanto",
    "cuanta",
];

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DuplicateHit {
    pub of: QuestionId,
    pub exact: bool,
    pub score: f64,
}

struct Entry {
    id: QuestionId,
    exact: String,
    /// Hashes of the kept words and of their character trigrams, sorted and deduplicated, so
    /// comparing two entries is a linear merge (no hashing per comparison).
    tokens: Vec<u64>,
    grams: Vec<u64>,
}

/// FNV-1a: small, fast and stable; collisions only blur a similarity score slightly.
fn fnv(chars: impl Iterator<Item = char>) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for c in chars {
        h ^= c as u64;
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
}

fn sorted_unique(mut v: Vec<u64>) -> Vec<u64> {
    v.sort_unstable();
    v.dedup();
    v
}

/// The size of the intersection of two sorted, deduplicated lists.
fn common(a: &[u64], b: &[u64]) -> usize {
    let (mut i, mut j, mut n) = (0, 0, 0);
    while i < a.len() && j < b.len() {
        match a[i].cmp(&b[j]) {
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
            std::cmp::Ordering::Equal => {
                n += 1;
                i += 1;
                j += 1;
            }
        }
    }
    n
}

/// The word Jaccard a candidate needs for its score to reach [`SIMILAR`] at all (with a perfect
/// trigram Dice of 1): candidates below it are skipped without comparing trigrams.
const MIN_JACCARD: f64 = 2.0 * SIMILAR - 1.0;
/// Earlier questions scored per probe at most: those sharing the most words with it.
const MAX_SCORED: usize = 256;

/// Earlier questions of a session, fingerprinted once, to compare each new comment against.
#[derive(Default)]
pub struct DuplicateIndex {
    entries: Vec<Entry>,
    /// Word hash → positions in `entries` holding it, ascending.
    postings: HashMap<u64, Vec<u32>>,
    /// Normalised text → the oldest question with exactly that text.
    exact: HashMap<String, QuestionId>,
}

impl std::fmt::Debug for DuplicateIndex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DuplicateIndex").field("entries", &self.entries.len()).finish()
    }
}

fn stem(w: &str) -> String {
    let w = w.trim_matches('\'');
    if w.len() > 4 && w.ends_with("es") && !w.ends_with("ses") {
        w[..w.len() - 2].to_owned()
    } else if w.len() > 3 && w.ends_with('s') && !w.ends_with("ss") {
        w[..w.len() - 1].to_owned()
    } else {
        w.to_owned()
    }
}

fn fingerprint(id: QuestionId, text: &str) -> Entry {
    let folded = fold(text);
    let all: Vec<&str> = words(&folded).collect();
    let exact = all.join(" ");
    let kept: Vec<String> = all.iter().filter(|w| !STOP.contains(w)).map(|w| stem(w)).collect();
    let joined: Vec<char> = kept.join(" ").chars().collect();
    let grams = sorted_unique(joined.windows(3).map(|w| fnv(w.iter().copied())).collect());
    let tokens = sorted_unique(kept.iter().map(|w| fnv(w.chars())).collect());
    Entry { id, exact, tokens, grams }
}

fn score(a: &Entry, b: &Entry) -> f64 {
    if a.tokens.is_empty() || b.tokens.is_empty() {
        return 0.0;
    }
    let inter = common(&a.tokens, &b.tokens) as f64;
    let union = (a.tokens.len() + b.tokens.len()) as f64 - inter;
    let jaccard = inter / union;
    let g_inter = common(&a.grams, &b.grams) as f64;
    let g_total = (a.grams.len() + b.grams.len()) as f64;
    let dice = if g_total == 0.0 { 0.0 } else { 2.0 * g_inter / g_total };
    (jaccard + dice) / 2.0
}

impl DuplicateIndex {
    pub fn new() -> DuplicateIndex {
        DuplicateIndex::default()
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Adds an earlier question.
    pub fn add(&mut self, id: QuestionId, text: &str) {
        let entry = fingerprint(id, text);
        let at = self.entries.len() as u32;
        for t in &entry.tokens {
            self.postings.entry(*t).or_default().push(at);
        }
        if !entry.exact.is_empty() {
            self.exact.entry(entry.exact.clone()).or_insert(id);
        }
        self.entries.push(entry);
    }

    /// The earlier question `text` most likely repeats: an exact duplicate if there is one (the
    /// oldest), else the most similar at or above [`SIMILAR`] (the oldest of equals).
    pub fn best(&self, text: &str) -> Option<DuplicateHit> {
        let probe = fingerprint(QuestionId(0), text);
        if probe.exact.is_empty() {
            return None;
        }
        if let Some(id) = self.exact.get(&probe.exact) {
            return Some(DuplicateHit { of: *id, exact: true, score: 1.0 });
        }
        // How many words each earlier question shares with the probe, from the postings.
        // A count per earlier question (zeroed memory is cheaper than hashing each posting).
        let mut shared = vec![0u32; self.entries.len()];
        let mut touched: Vec<u32> = Vec::new();
        for t in &probe.tokens {
            for &at in self.postings.get(t).map(Vec::as_slice).unwrap_or_default() {
                if shared[at as usize] == 0 {
                    touched.push(at);
                }
                shared[at as usize] += 1;
            }
        }
        // A live session can hold thousands of near-identical questions, which all share the
        // probe's words: only those sharing the most are scored (per comment, the cost stays
        // flat as the session grows instead of growing with it). Below the cap this is every
        // candidate, as before.
        if touched.len() > MAX_SCORED {
            touched.sort_unstable_by_key(|&at| (std::cmp::Reverse(shared[at as usize]), at));
            touched.truncate(MAX_SCORED);
        }
        // Oldest first, as a full scan would visit them: ties keep the oldest question.
        touched.sort_unstable();
        let mut best: Option<DuplicateHit> = None;
        for at in touched {
            let common = shared[at as usize];
            let e = &self.entries[at as usize];
            let union = (probe.tokens.len() + e.tokens.len()) as f64 - f64::from(common);
            if f64::from(common) / union < MIN_JACCARD {
                continue;
            }
            let s = score(&probe, e);
            if s >= SIMILAR && best.is_none_or(|b| s > b.score) {
                best = Some(DuplicateHit { of: e.id, exact: false, score: s });
            }
        }
        best
    }
}

/// The similarity of two texts, 0 to 1 (for tests and the corpus evaluation).
pub fn similarity(a: &str, b: &str) -> f64 {
    let (a, b) = (fingerprint(QuestionId(0), a), fingerprint(QuestionId(0), b));
    if !a.exact.is_empty() && a.exact == b.exact {
        return 1.0;
    }
    score(&a, &b)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn among_thousands_of_near_identical_questions_the_closest_is_still_found() {
        let mut idx = DuplicateIndex::new();
        // More candidates than are scored: each shares "safe exercise stent" with the probe.
        for n in 0..1000 {
            idx.add(QuestionId(n), &format!("Is it safe to exercise after a stent? viewer{n}"));
        }
        // The one that also shares "heart" and "walking" must win over the crowd.
        idx.add(QuestionId(5000), "Is it safe to exercise after a heart stent by walking?");
        let hit = idx.best("Is brisk walking safe exercise after a heart stent?").expect("a duplicate");
        assert_eq!((hit.of, hit.exact), (QuestionId(5000), false));
    }

    #[test]
    fn exact_duplicates_ignore_case_accents_and_punctuation() {
        let mut idx = DuplicateIndex::new();
        idx.add(QuestionId(3), "Is coffee bad for my heart?");
        idx.add(QuestionId(4), "What lowers cholesterol");
        let hit = idx.best("is COFFEE bad for my heart").unwrap();
        assert_eq!((hit.of, hit.exact), (QuestionId(3), true));
    }

    /// What `best` answered before the index: every earlier question compared in turn.
    fn best_by_scan(idx: &DuplicateIndex, text: &str) -> Option<DuplicateHit> {
        let probe = fingerprint(QuestionId(0), text);
        if probe.exact.is_empty() {
            return None;
        }
        if let Some(e) = idx.entries.iter().find(|e| e.exact == probe.exact) {
            return Some(DuplicateHit { of: e.id, exact: true, score: 1.0 });
        }
        let mut best: Option<DuplicateHit> = None;
        for e in &idx.entries {
            let s = score(&probe, e);
            if s >= SIMILAR && best.is_none_or(|b| s > b.score) {
                best = Some(DuplicateHit { of: e.id, exact: false, score: s });
            }
        }
        best
    }

    #[test]
    fn the_inverted_index_finds_what_a_full_scan_finds() {
        let texts = [
            "Is coffee bad for your heart?",
            "is coffee bad for the heart",
            "Is COFFEE bad for your heart??",
            "How much exercise do I need each week?",
            "how much exercise per week do i need",
            "What is a normal blood pressure?",
            "what's normal blood pressure for adults",
            "Does red wine help the heart?",
            "red wine good for heart?",
            "¿El café es malo para el corazón?",
            "el cafe es malo para el corazon",
            "Can I eat eggs with high cholesterol?",
            "eggs and cholesterol, are they ok",
            "",
            "???",
        ];
        let mut idx = DuplicateIndex::new();
        for (i, t) in texts.iter().enumerate() {
            assert_eq!(idx.best(t), best_by_scan(&idx, t), "{t:?} against {i} earlier questions");
            idx.add(QuestionId(i as i64 + 1), t);
        }
        assert_eq!(idx.best("is coffee bad for your heart").map(|h| h.of), Some(QuestionId(1)));
    }

    #[test]
    fn rewordings_are_candidates_and_different_questions_are_not() {
        let mut idx = DuplicateIndex::new();
        idx.add(QuestionId(1), "Is coffee bad for your heart?");
        idx.add(QuestionId(2), "How much exercise do I need each week?");
        let hit = idx.best("is drinking coffee bad for the heart").unwrap();
        assert_eq!((hit.of, hit.exact), (QuestionId(1), false));
        assert_eq!(idx.best("what foods lower blood pressure"), None);
    }
}
