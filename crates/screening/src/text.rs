//! Text folding shared by the detectors: lower case, accents removed, long letter runs shortened
//! ("pleaseeee" → "please"), so typos and emphasis in social-media writing match one pattern.

/// `text` folded for matching: lower case, no diacritics, curly quotes straightened, runs of three
/// or more of the same letter cut to one. Offsets do not survive folding: detectors that report
/// spans match the original text instead.
pub fn fold(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut last: Option<char> = None;
    let mut run = 0usize;
    let mut decomposed: Vec<char> = Vec::with_capacity(4);
    for original in text.chars() {
        decomposed.clear();
        if original.is_ascii() {
            decomposed.push(original);
        } else {
            unicode_normalization::char::decompose_canonical(original, |d| decomposed.push(d));
        }
        for &c in &decomposed {
            if ('\u{0300}'..='\u{036f}').contains(&c) {
                continue;
            }
            let c = match c {
                '\u{2018}' | '\u{2019}' | '\u{00b4}' | '`' => '\'',
                '\u{201c}' | '\u{201d}' => '"',
                other => other,
            };
            for lc in c.to_lowercase() {
                if Some(lc) == last && lc.is_alphabetic() {
                    run += 1;
                    if run >= 2 {
                        // Third and later repeats: drop, and remove the second one too below.
                        continue;
                    }
                } else {
                    if run >= 2 {
                        // A run of 3+ collapses to one letter: the kept second copy goes.
                        out.pop();
                    }
                    run = 0;
                }
                out.push(lc);
                last = Some(lc);
            }
        }
    }
    if run >= 2 {
        out.pop();
    }
    out
}

/// Which language a comment is most likely in: Curbside's detectors know English and Spanish.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Lang {
    En,
    Es,
}

const ES_WORDS: &[&str] = &[
    "el", "la", "los", "las", "de", "que", "y", "en", "es", "mi", "mis", "por", "para", "con", "una", "un",
    "se", "me", "le", "lo", "su", "pero", "como", "tengo", "tiene", "esta", "estoy", "hijo", "hija",
    "doctor", "doctora", "puedo", "debo", "hay", "muy", "mas", "del", "al", "cuando", "porque", "si", "ya",
    "no", "yo", "dolor", "soy", "gracias", "hola", "buenas", "ayuda", "puede", "mama", "papa", "esposo",
    "esposa",
];
const EN_WORDS: &[&str] = &[
    "the", "a", "an", "and", "is", "my", "i", "im", "to", "of", "in", "it", "for", "with", "what", "how",
    "should", "can", "do", "does", "have", "has", "my", "me", "you", "your", "he", "she", "his", "her",
    "this", "that", "on", "at", "be", "are", "was", "not", "pain", "son", "daughter", "mom", "dad", "hi",
    "hello", "thanks", "please", "help", "if", "or", "but", "just", "so",
];

/// A word-count vote between the two languages' commonest words; ties go to English.
pub fn detect_lang(folded: &str) -> Lang {
    let (mut es, mut en) = (0usize, 0usize);
    for w in words(folded) {
        if ES_WORDS.contains(&w) {
            es += 1;
        }
        if EN_WORDS.contains(&w) {
            en += 1;
        }
    }
    if es > en {
        Lang::Es
    } else {
        Lang::En
    }
}

/// The words of a folded text (letters, digits and apostrophes).
pub fn words(folded: &str) -> impl Iterator<Item = &str> {
    folded.split(|c: char| !(c.is_alphanumeric() || c == '\'')).filter(|w| !w.is_empty())
}

/// Maps byte offsets of `text` to char offsets (Unicode scalar values).
pub struct CharIndex {
    /// `starts[i]` is the byte offset of char `i`; one extra entry for the end.
    starts: Vec<usize>,
}

impl CharIndex {
    pub fn new(text: &str) -> CharIndex {
        let mut starts: Vec<usize> = text.char_indices().map(|(b, _)| b).collect();
        starts.push(text.len());
        CharIndex { starts }
    }

    /// The char offset of byte offset `byte` (rounded down to a char boundary).
    pub fn char_at(&self, byte: usize) -> usize {
        match self.starts.binary_search(&byte) {
            Ok(i) => i,
            Err(i) => i.saturating_sub(1),
        }
    }
}

/// Compiles a built-in pattern with ASCII word boundaries and classes (`\b`, `\w`, `\s`, `\d`).
/// Unicode-aware boundaries force the regex engine off its fast path on any non-ASCII comment
/// (accents, emoji); the detectors match folded text or ASCII structures, so ASCII is enough,
/// and letters beyond ASCII are matched with explicit `\p{L}` where needed.
pub(crate) fn pattern(p: &str) -> regex::Regex {
    let mut out = String::with_capacity(p.len() + 64);
    let mut in_class = false;
    let mut chars = p.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                let Some(next) = chars.next() else {
                    out.push(c);
                    break;
                };
                let replacement = match (in_class, next) {
                    (false, 'b' | 'w' | 's' | 'd') => Some(format!("(?-u:\\{next})")),
                    (true, 'w') => Some("0-9A-Za-z_".to_owned()),
                    (true, 's') => Some("\\t\\n\\x0B\\x0C\\r ".to_owned()),
                    (true, 'd') => Some("0-9".to_owned()),
                    _ => None,
                };
                match replacement {
                    Some(r) => out.push_str(&r),
                    None => {
                        out.push(c);
                        out.push(next);
                    }
                }
            }
            '[' if !in_class => {
                in_class = true;
                out.push(c);
                // A `]` or `^]` right after the opening bracket is a literal.
                if chars.peek() == Some(&'^') {
                    out.push('^');
                    chars.next();
                }
                if chars.peek() == Some(&']') {
                    out.push(']');
                    chars.next();
                }
            }
            ']' if in_class => {
                in_class = false;
                out.push(c);
            }
            _ => out.push(c),
        }
    }
    // The patterns are constants of this crate, each exercised by its module's tests.
    #[allow(clippy::expect_used)]
    regex::Regex::new(&out).expect("built-in pattern compiles")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folding_removes_accents_case_and_emphasis() {
        assert_eq!(fold("Me DUELE el Péchooo!!"), "me duele el pecho!!");
        assert_eq!(fold("can’t breatheeee"), "can't breathe");
        assert_eq!(fold("coffee"), "coffee");
        assert_eq!(fold("helppp"), "help");
    }

    #[test]
    fn language_is_voted_by_common_words() {
        assert_eq!(detect_lang(&fold("mi hijo tiene fiebre, que hago?")), Lang::Es);
        assert_eq!(detect_lang(&fold("my son has a fever what do i do")), Lang::En);
    }

    #[test]
    fn byte_offsets_map_to_char_offsets() {
        let idx = CharIndex::new("añb😀c");
        assert_eq!(idx.char_at(0), 0);
        assert_eq!(idx.char_at(3), 2);
        assert_eq!(idx.char_at(8), 4);
    }
}
