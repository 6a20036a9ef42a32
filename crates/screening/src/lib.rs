//! Curbside's screening: every incoming question is checked, locally and without a model
//! download, for private information, emergencies, personal-advice requests, health myths, spam
//! and duplicates. Each detector is a pure function in its own module that says why it fired;
//! [`Screener::screen`] runs them all and produces the redacted default wording.
//!
//! Quality is measured on the labelled corpora in `corpus/` (see `tests/corpus.rs` and
//! docs/safety.md); speed in `benches/screen.rs`.

pub mod advice;
pub mod duplicate;
pub mod emergency;
pub mod myth;
pub mod phi;
pub mod spam;
pub mod text;

pub use duplicate::{DuplicateHit, DuplicateIndex};
pub use myth::{MythList, MythListError};
pub use spam::SpamRules;
pub use text::Lang;

use curbside_domain::{screening::describe_kinds, Finding, Flag, Screening, SpanKind};

/// What screening needs to know beyond the text: the session's earlier questions (for
/// duplicates) and the author's earlier comments in the session (for repetition).
#[derive(Debug, Default)]
pub struct ScreenContext<'a> {
    pub earlier: Option<&'a DuplicateIndex>,
    pub author_earlier: &'a [&'a str],
}

/// A screening result with the redacted default wording and what a session's automatic
/// settings need (whether the duplicate is exact).
#[derive(Debug, Clone, PartialEq)]
pub struct Screened {
    pub screening: Screening,
    /// The text with every private span replaced by its placeholder.
    pub redacted: String,
    pub exact_duplicate: bool,
    pub lang: Lang,
}

/// The configured detectors. Built once at start (the myth file is read then) and shared.
#[derive(Debug, Clone)]
pub struct Screener {
    myths: MythList,
    spam: SpamRules,
}

impl Default for Screener {
    fn default() -> Self {
        Screener { myths: MythList::builtin(), spam: SpamRules::default() }
    }
}

impl Screener {
    pub fn new(myths: MythList, spam: SpamRules) -> Screener {
        Screener { myths, spam }
    }

    pub fn myths(&self) -> &MythList {
        &self.myths
    }

    /// Screens one comment. Offsets in the spans index `text` as given.
    pub fn screen(&self, text: &str, ctx: &ScreenContext<'_>) -> Screened {
        let folded = text::fold(text);
        let lang = text::detect_lang(&folded);
        let spans = phi::detect(text);
        let mut findings = Vec::new();
        if let Some(e) = emergency::detect(&folded) {
            findings.push(Finding::new(Flag::Emergency, e.reason));
        }
        if !spans.is_empty() {
            let kinds: Vec<SpanKind> = spans.iter().map(|s| s.kind).collect();
            findings.push(Finding::new(Flag::Phi, describe_kinds(&kinds)));
        }
        let mut suggested_text = None;
        if let Some(a) = advice::detect(&folded, lang) {
            findings.push(Finding::new(Flag::PersonalAdvice, a.reason));
            suggested_text = Some(a.suggested_text.to_owned());
        }
        let myth = self.myths.detect_myth(&folded);
        let myth_topic = myth.map(|m| m.topic.clone());
        let myth_source = myth.and_then(|m| m.source.clone());
        if let Some(topic) = &myth_topic {
            findings.push(Finding::new(Flag::Myth, format!("repeats a common myth: {topic}")));
        }
        let author_earlier: Vec<String> = ctx.author_earlier.iter().map(|t| text::fold(t)).collect();
        let author_refs: Vec<&str> = author_earlier.iter().map(String::as_str).collect();
        if let Some(reason) = spam::detect(&folded, &self.spam, &author_refs) {
            findings.push(Finding::new(Flag::Spam, reason));
        }
        let dup = ctx.earlier.and_then(|idx| idx.best(text));
        if let Some(d) = dup {
            let reason = if d.exact {
                format!("exact duplicate of question {}", d.of)
            } else {
                format!("similar to question {}", d.of)
            };
            findings.push(Finding::new(Flag::DuplicateCandidate, reason));
        }
        let screening = Screening {
            spans,
            findings,
            suggested_text,
            myth_topic,
            myth_source,
            duplicate_of: dup.map(|d| d.of),
        };
        let redacted = screening.redact(text);
        Screened { screening, redacted, exact_duplicate: dup.is_some_and(|d| d.exact), lang }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use curbside_domain::QuestionId;

    #[test]
    fn screening_redacts_and_explains() {
        let s = Screener::default().screen(
            "my son Jake has chest pain right now, call me at 555-201-3344",
            &ScreenContext::default(),
        );
        assert_eq!(s.redacted, "my son [name removed] has chest pain right now, call me at [phone removed]");
        let flags: Vec<Flag> = s.screening.flags().collect();
        assert_eq!(flags, vec![Flag::Emergency, Flag::Phi]);
        assert_eq!(s.screening.findings[1].reason, "a name and a phone number");
        assert_eq!(s.screening.findings[0].reason, "chest pain happening now");
    }

    #[test]
    fn duplicates_and_myths_are_labelled_with_their_target_and_topic() {
        let mut idx = DuplicateIndex::new();
        idx.add(QuestionId(12), "Do vaccines cause autism?");
        let ctx = ScreenContext { earlier: Some(&idx), author_earlier: &[] };
        let s = Screener::default().screen("do vaccines cause autism", &ctx);
        assert_eq!(s.screening.duplicate_of, Some(QuestionId(12)));
        assert!(s.exact_duplicate);
        assert_eq!(s.screening.myth_topic.as_deref(), Some("vaccines and autism"));
        assert!(s.screening.has(Flag::Myth) && s.screening.has(Flag::DuplicateCandidate));
    }

    #[test]
    fn a_plain_general_question_has_no_findings() {
        let s =
            Screener::default().screen("What foods help lower cholesterol? 🙏", &ScreenContext::default());
        assert_eq!(s.screening, Screening::default());
        assert_eq!(s.redacted, "What foods help lower cholesterol? 🙏");
    }
}
