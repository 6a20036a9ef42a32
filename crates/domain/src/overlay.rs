//! The on-air overlay's projection of the event log: what a broadcast may show and nothing
//! else — the approved wording, a de-identified "A viewer on Instagram asks", the specialist,
//! and the answer's first lines. Computed from the staff payload, so it rides the same offsets.

use crate::{EventBody, Platform, Question, QuestionChange, QuestionId, QuestionState};
use serde::{Deserialize, Serialize};

/// How much of an answer the overlay shows: a lower third has room for a few lines.
pub const ANSWER_PREVIEW_CHARS: usize = 280;

/// One overlay message.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum OverlayBody {
    /// Show this question (it went on air, or changed while on air, or was answered on air).
    Show { question: OverlayQuestion },
    /// Clear the question with this id, if it is the one shown.
    OffAir { question_id: QuestionId },
}

/// The question as the broadcast shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct OverlayQuestion {
    pub id: QuestionId,
    /// The moderator-approved wording.
    pub text: String,
    /// "A viewer on Instagram asks", "3 viewers on Facebook and Instagram ask".
    pub asked_by: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub specialist: Option<OverlaySpecialist>,
    /// The answer's first lines, once it is published.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub answer: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct OverlaySpecialist {
    pub name: String,
    pub credentials: String,
}

impl OverlayBody {
    /// The overlay message for a staff event, if the overlay must react to it. Only questions
    /// on air, answered or taken off air matter; everything else (new comments, triage,
    /// replies) is invisible to the broadcast.
    pub fn of(event: &EventBody) -> Option<OverlayBody> {
        let EventBody::Question { change, question: q } = event else { return None };
        match change {
            QuestionChange::TakeOffAir => Some(OverlayBody::OffAir { question_id: q.id }),
            QuestionChange::Answer | QuestionChange::Correct if q.state.is_answered() => {
                Some(OverlayBody::Show { question: OverlayQuestion::of(q) })
            }
            _ if q.state == QuestionState::OnAir => {
                Some(OverlayBody::Show { question: OverlayQuestion::of(q) })
            }
            _ => None,
        }
    }
}

impl OverlayBody {
    /// What is shown after this message, given what was shown before it.
    pub fn apply(self, showing: Option<OverlayQuestion>) -> Option<OverlayQuestion> {
        match self {
            OverlayBody::Show { question } => Some(question),
            OverlayBody::OffAir { question_id } => showing.filter(|q| q.id != question_id),
        }
    }
}

impl OverlayQuestion {
    pub fn of(q: &Question) -> OverlayQuestion {
        let mut platforms: Vec<Platform> = Vec::new();
        for s in &q.sources {
            if !platforms.contains(&s.platform) {
                platforms.push(s.platform);
            }
        }
        OverlayQuestion {
            id: q.id,
            text: q.public_text.clone(),
            asked_by: asked_by_line(q.asked_by_count, &platforms),
            specialist: q.answer.as_ref().map(|a| OverlaySpecialist {
                name: a.answered_by.name.clone(),
                credentials: a.answered_by.credentials.clone(),
            }),
            answer: q.answer.as_ref().map(|a| preview(&a.text, ANSWER_PREVIEW_CHARS)),
        }
    }
}

fn platform_words(platforms: &[Platform]) -> String {
    let names: Vec<&str> = platforms
        .iter()
        .map(|p| match p {
            Platform::Facebook => "Facebook",
            Platform::Instagram => "Instagram",
            Platform::Web => "the web",
        })
        .collect();
    match names.as_slice() {
        [] => String::new(),
        [one] => format!(" on {one}"),
        [rest @ .., last] => format!(" on {} and {last}", rest.join(", ")),
    }
}

/// "A viewer on Instagram asks": who asked, without a name, handle or number that identifies.
pub fn asked_by_line(count: i64, platforms: &[Platform]) -> String {
    let on = platform_words(platforms);
    if count <= 1 {
        format!("A viewer{on} asks")
    } else {
        format!("{count} viewers{on} ask")
    }
}

/// The first `max` characters of `text`, cut at a word and marked with an ellipsis.
pub fn preview(text: &str, max: usize) -> String {
    let text = text.trim();
    if text.chars().count() <= max {
        return text.to_owned();
    }
    let cut: String = text.chars().take(max).collect();
    let at = cut.rfind(char::is_whitespace).unwrap_or(cut.len());
    format!("{}…", cut[..at].trim_end_matches(|c: char| c.is_whitespace() || c == ',' || c == ';'))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Answer, AnsweredBy, QuestionSource, SessionId, UserId};
    use std::collections::BTreeSet;

    fn question(state: QuestionState) -> Question {
        let src = |platform, name: &str| QuestionSource {
            comment_id: format!("c-{name}"),
            platform,
            author_name: Some(name.to_owned()),
            text: format!("{name} here, my private words"),
            created_at: 1,
            stored_id: None,
        };
        Question {
            id: QuestionId(9),
            session_id: SessionId(1),
            state,
            version: 3,
            public_text: "Is a daily aspirin right for everyone?".into(),
            original_text: "Rowan here, my dad takes aspirin, should I?".into(),
            flags: BTreeSet::new(),
            asked_by_count: 2,
            merged_into: None,
            assigned_to: None,
            reject_reason: None,
            sources: vec![src(Platform::Instagram, "rowan.t"), src(Platform::Facebook, "Rowan Thistlewood")],
            answer: None,
            created_at: 1,
            updated_at: 2,
            last_actor: Some("Dr Ada Lee".into()),
            screening: Default::default(),
        }
    }

    fn event(change: &str, q: &Question) -> EventBody {
        let change = serde_json::from_value(serde_json::json!(change)).expect("a change name");
        EventBody::Question { change, question: Box::new(q.clone()) }
    }

    #[test]
    fn the_overlay_shows_the_approved_wording_and_nothing_that_identifies_the_askers() {
        let q = question(QuestionState::OnAir);
        let body = OverlayBody::of(&event("put_on_air", &q)).expect("shown");
        let json = serde_json::to_string(&body).expect("json");
        for needle in ["Rowan", "rowan.t", "private words", "c-", "Dr Ada Lee"] {
            assert!(!json.contains(needle), "{needle} leaked into {json}");
        }
        assert!(json.contains("\"asked_by\":\"2 viewers on Instagram and Facebook ask\""), "{json}");
        assert!(json.contains("Is a daily aspirin right for everyone?"), "{json}");
    }

    #[test]
    fn only_on_air_answer_and_off_air_reach_the_overlay() {
        let approved = question(QuestionState::Approved);
        assert_eq!(OverlayBody::of(&event("approve", &approved)), None);
        assert_eq!(OverlayBody::of(&event("created", &question(QuestionState::New))), None);
        assert_eq!(
            OverlayBody::of(&event("take_off_air", &approved)),
            Some(OverlayBody::OffAir { question_id: QuestionId(9) })
        );
        let mut answered = question(QuestionState::Answered);
        answered.answer = Some(Answer {
            text: "Not for everyone. ".repeat(30),
            answered_by: AnsweredBy {
                user_id: UserId(2),
                name: "Dr Ada Lee".into(),
                credentials: "MD".into(),
            },
            answered_at: 5,
            corrected_at: None,
            history: vec![],
        });
        let Some(OverlayBody::Show { question }) = OverlayBody::of(&event("answer", &answered)) else {
            panic!("an answer is shown");
        };
        let preview = question.answer.expect("answer lines");
        assert!(preview.ends_with('…') && preview.chars().count() <= ANSWER_PREVIEW_CHARS + 1, "{preview}");
        assert_eq!(question.specialist.map(|s| s.credentials), Some("MD".into()));
    }

    #[test]
    fn off_air_clears_only_the_question_shown() {
        let shown = OverlayQuestion::of(&question(QuestionState::OnAir));
        let other = OverlayBody::OffAir { question_id: QuestionId(1) };
        assert_eq!(other.apply(Some(shown.clone())), Some(shown.clone()));
        assert_eq!(OverlayBody::OffAir { question_id: QuestionId(9) }.apply(Some(shown)), None);
    }

    #[test]
    fn asked_by_lines_read_naturally() {
        assert_eq!(asked_by_line(1, &[Platform::Instagram]), "A viewer on Instagram asks");
        assert_eq!(asked_by_line(1, &[]), "A viewer asks");
        assert_eq!(preview("Short.", 10), "Short.");
    }
}
