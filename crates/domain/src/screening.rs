//! What screening found in a question: private-information spans (offsets into the original
//! text), findings with the reason each detector fired, and the redacted default wording.
//!
//! Offsets count Unicode scalar values (Rust `char`s, JavaScript `Array.from(text)` indices), end
//! exclusive, so a console highlights the same characters the server redacted.

use crate::{Flag, QuestionId};
use serde::{Deserialize, Serialize};
use std::fmt;

/// The kind of identifier a span holds (HIPAA Safe Harbor's identifiers that appear in comments).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum SpanKind {
    Phone,
    Email,
    /// A date tied to a person: birth, admission, surgery, appointment.
    Date,
    /// Record, insurance, social-security, licence or account numbers.
    IdNumber,
    /// A street address.
    Address,
    Url,
    /// An @mention or handle.
    Mention,
    /// A person's name (the commenter's or someone they name).
    Name,
}

impl SpanKind {
    pub const ALL: [SpanKind; 8] = [
        SpanKind::Phone,
        SpanKind::Email,
        SpanKind::Date,
        SpanKind::IdNumber,
        SpanKind::Address,
        SpanKind::Url,
        SpanKind::Mention,
        SpanKind::Name,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            SpanKind::Phone => "phone",
            SpanKind::Email => "email",
            SpanKind::Date => "date",
            SpanKind::IdNumber => "id_number",
            SpanKind::Address => "address",
            SpanKind::Url => "url",
            SpanKind::Mention => "mention",
            SpanKind::Name => "name",
        }
    }

    pub fn parse(s: &str) -> Option<SpanKind> {
        SpanKind::ALL.into_iter().find(|k| k.as_str() == s)
    }

    /// How a moderator reads the kind ("phone number").
    pub fn label(self) -> &'static str {
        match self {
            SpanKind::Phone => "phone number",
            SpanKind::Email => "email address",
            SpanKind::Date => "personal date",
            SpanKind::IdNumber => "record or ID number",
            SpanKind::Address => "street address",
            SpanKind::Url => "link",
            SpanKind::Mention => "@mention",
            SpanKind::Name => "name",
        }
    }

    /// The readable placeholder that replaces the span in the default public wording.
    pub fn placeholder(self) -> &'static str {
        match self {
            SpanKind::Phone => "[phone removed]",
            SpanKind::Email => "[email removed]",
            SpanKind::Date => "[date removed]",
            SpanKind::IdNumber => "[number removed]",
            SpanKind::Address => "[address removed]",
            SpanKind::Url => "[link removed]",
            SpanKind::Mention => "[mention removed]",
            SpanKind::Name => "[name removed]",
        }
    }
}

impl fmt::Display for SpanKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One piece of private information: `start..end` in chars of the question's `original_text`.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, utoipa::ToSchema,
)]
pub struct Span {
    pub kind: SpanKind,
    pub start: usize,
    pub end: usize,
}

/// Why a flag was raised, in words for a moderator ("phone number", "chest pain right now").
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Finding {
    pub flag: Flag,
    pub reason: String,
}

impl Finding {
    pub fn new(flag: Flag, reason: impl Into<String>) -> Finding {
        Finding { flag, reason: reason.into() }
    }
}

/// Where a myth's correction can be read (from the myth list): shown on the public transcript
/// next to an answer that addressed the myth.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
pub struct MythSource {
    /// "CDC: Autism and vaccines".
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
}

/// Everything screening says about a question. Empty when nothing fired.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Screening {
    /// Private-information spans in `original_text`, sorted, never overlapping.
    #[serde(default)]
    pub spans: Vec<Span>,
    #[serde(default)]
    pub findings: Vec<Finding>,
    /// A general rewording for personal-advice questions.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub suggested_text: Option<String>,
    /// The health myth the question repeats, for the specialist to address on air.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub myth_topic: Option<String>,
    /// Where the myth's correction can be read, when the myth list names one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub myth_source: Option<MythSource>,
    /// The earlier question this one probably repeats.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duplicate_of: Option<QuestionId>,
}

impl Screening {
    /// The flags the findings raise, each once.
    pub fn flags(&self) -> impl Iterator<Item = Flag> + '_ {
        let mut seen: Vec<Flag> = Vec::new();
        self.findings.iter().filter_map(move |f| {
            if seen.contains(&f.flag) {
                None
            } else {
                seen.push(f.flag);
                Some(f.flag)
            }
        })
    }

    pub fn has(&self, flag: Flag) -> bool {
        self.findings.iter().any(|f| f.flag == flag)
    }

    /// `text` (the text the spans index) with every span replaced by its placeholder.
    /// Spans that fall outside the text are ignored rather than trusted.
    pub fn redact(&self, text: &str) -> String {
        redact(text, &self.spans)
    }
}

/// `text` with each span replaced by its readable placeholder ("Call me at [phone removed]").
/// Overlapping spans are merged into the first one's placeholder.
pub fn redact(text: &str, spans: &[Span]) -> String {
    let mut sorted: Vec<Span> = spans.iter().copied().filter(|s| s.start < s.end).collect();
    sorted.sort_by_key(|s| (s.start, s.end));
    let mut merged: Vec<Span> = Vec::with_capacity(sorted.len());
    for s in sorted {
        match merged.last_mut() {
            Some(last) if s.start < last.end => last.end = last.end.max(s.end),
            _ => merged.push(s),
        }
    }
    let mut out = String::with_capacity(text.len());
    let mut spans = merged.iter().peekable();
    let mut skip_until = 0usize;
    for (i, c) in text.chars().enumerate() {
        if i < skip_until {
            continue;
        }
        if let Some(s) = spans.next_if(|s| s.start == i) {
            out.push_str(s.kind.placeholder());
            skip_until = s.end;
            continue;
        }
        out.push(c);
    }
    out
}

/// The substring of `text` a span covers (by chars).
pub fn span_text(text: &str, span: &Span) -> String {
    text.chars().skip(span.start).take(span.end.saturating_sub(span.start)).collect()
}

/// Names the spans for a moderator: "a phone number and a name".
pub fn describe_kinds(kinds: &[SpanKind]) -> String {
    let mut unique: Vec<SpanKind> = Vec::new();
    for k in kinds {
        if !unique.contains(k) {
            unique.push(*k);
        }
    }
    let words: Vec<String> = unique
        .iter()
        .map(|k| {
            let label = k.label();
            let article = if label.starts_with(['a', 'e', 'i', 'o', 'u', '@']) { "an" } else { "a" };
            format!("{article} {label}")
        })
        .collect();
    match words.len() {
        0 => String::new(),
        1 => words[0].clone(),
        n => format!("{} and {}", words[..n - 1].join(", "), words[n - 1]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn screening_json_has_the_agreed_shape() {
        let s = Screening {
            spans: vec![Span { kind: SpanKind::Phone, start: 10, end: 22 }],
            findings: vec![
                Finding::new(Flag::Phi, "phone number"),
                Finding::new(Flag::Emergency, "chest pain right now"),
            ],
            suggested_text: None,
            myth_topic: Some("vaccines and autism".into()),
            myth_source: None,
            duplicate_of: Some(QuestionId(12)),
        };
        let json = serde_json::to_string(&s).unwrap();
        assert_eq!(
            json,
            r#"{"spans":[{"kind":"phone","start":10,"end":22}],"findings":[{"flag":"phi","reason":"phone number"},{"flag":"emergency","reason":"chest pain right now"}],"myth_topic":"vaccines and autism","duplicate_of":12}"#
        );
        assert_eq!(serde_json::from_str::<Screening>(&json).unwrap(), s);
        assert_eq!(serde_json::from_str::<Screening>("{}").unwrap(), Screening::default());
    }

    #[test]
    fn redaction_replaces_spans_by_char_offsets() {
        let text = "Soy María, llámame al 555-123-4567 😀 gracias";
        let start = text.chars().position(|c| c == '5').unwrap();
        let spans = [
            Span { kind: SpanKind::Name, start: 4, end: 9 },
            Span { kind: SpanKind::Phone, start, end: start + 12 },
        ];
        assert_eq!(redact(text, &spans), "Soy [name removed], llámame al [phone removed] 😀 gracias");
    }

    #[test]
    fn redaction_ignores_spans_past_the_end_and_merges_overlaps() {
        let spans = [
            Span { kind: SpanKind::Url, start: 0, end: 4 },
            Span { kind: SpanKind::Email, start: 2, end: 6 },
            Span { kind: SpanKind::Name, start: 50, end: 60 },
        ];
        assert_eq!(redact("abcdefgh", &spans), "[link removed]gh");
    }

    #[test]
    fn kinds_read_as_a_list() {
        assert_eq!(describe_kinds(&[SpanKind::Phone]), "a phone number");
        assert_eq!(
            describe_kinds(&[SpanKind::Phone, SpanKind::Name, SpanKind::Email, SpanKind::Phone]),
            "a phone number, a name and an email address"
        );
        for k in SpanKind::ALL {
            assert_eq!(SpanKind::parse(k.as_str()), Some(k));
            assert_eq!(serde_json::to_value(k).unwrap(), k.as_str());
        }
    }
}
