//! Retention: which parts of a question are a commenter's data, and how they are removed from a
//! question (and from the question snapshots in the event log) while the public wording and the
//! answer — the transcript — stay.

use crate::{Platform, Question, QuestionId, QuestionState};
use std::collections::HashSet;

/// What purged raw text reads as, for staff.
pub const PURGED_TEXT: &str = "[removed after the retention period]";
/// What erased raw text reads as, for staff.
pub const ERASED_TEXT: &str = "[erased at the commenter's request]";

/// The commenter data to remove: these comments' text and author, and the raw wording of the
/// questions these comments created.
#[derive(Debug, Clone, Default)]
pub struct Redaction {
    pub comments: HashSet<(Platform, String)>,
    pub origin_questions: HashSet<QuestionId>,
    pub placeholder: &'static str,
}

impl Redaction {
    pub fn is_empty(&self) -> bool {
        self.comments.is_empty() && self.origin_questions.is_empty()
    }

    /// Whether a question's `public_text` is still the commenter's own wording rather than a
    /// moderator-approved one (never approved: new, rejected or merged).
    pub fn public_text_is_raw(state: QuestionState) -> bool {
        matches!(state, QuestionState::New | QuestionState::Rejected | QuestionState::Merged)
    }

    /// Removes the commenter data from `q`; returns whether anything changed. Approved wording
    /// and answers are kept: they are what the public transcript shows.
    pub fn apply(&self, q: &mut Question) -> bool {
        let mut changed = false;
        for s in &mut q.sources {
            if self.comments.contains(&(s.platform, s.comment_id.clone()))
                && (s.author_name.is_some() || s.text != self.placeholder)
            {
                s.author_name = None;
                s.text = self.placeholder.to_owned();
                changed = true;
            }
        }
        if self.origin_questions.contains(&q.id) {
            if q.original_text != self.placeholder {
                q.original_text = self.placeholder.to_owned();
                // The spans pointed into the purged text; a suggestion may quote it.
                q.screening = Default::default();
                changed = true;
            }
            if Self::public_text_is_raw(q.state) && q.public_text != self.placeholder {
                q.public_text = self.placeholder.to_owned();
                changed = true;
            }
        }
        changed
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{QuestionSource, SessionId};
    use std::collections::BTreeSet;

    fn question(id: i64, state: QuestionState) -> Question {
        Question {
            id: QuestionId(id),
            session_id: SessionId(1),
            state,
            version: 1,
            public_text: "My son Jake (555-0100) has chest pain".into(),
            original_text: "My son Jake (555-0100) has chest pain".into(),
            flags: BTreeSet::new(),
            asked_by_count: 2,
            merged_into: None,
            assigned_to: None,
            reject_reason: None,
            sources: vec![
                QuestionSource {
                    comment_id: "c1".into(),
                    platform: Platform::Facebook,
                    author_name: Some("Ann Doe".into()),
                    text: "My son Jake (555-0100) has chest pain".into(),
                    created_at: 0,
                    stored_id: None,
                },
                QuestionSource {
                    comment_id: "c2".into(),
                    platform: Platform::Instagram,
                    author_name: Some("bob".into()),
                    text: "same question".into(),
                    created_at: 0,
                    stored_id: None,
                },
            ],
            answer: None,
            created_at: 0,
            updated_at: 0,
            last_actor: None,
            screening: Default::default(),
        }
    }

    fn redaction() -> Redaction {
        Redaction {
            comments: [(Platform::Facebook, "c1".to_owned())].into_iter().collect(),
            origin_questions: [QuestionId(7)].into_iter().collect(),
            placeholder: PURGED_TEXT,
        }
    }

    #[test]
    fn a_new_question_loses_its_raw_wording_and_the_purged_author() {
        let mut q = question(7, QuestionState::New);
        assert!(redaction().apply(&mut q));
        assert_eq!((q.original_text.as_str(), q.public_text.as_str()), (PURGED_TEXT, PURGED_TEXT));
        assert_eq!((q.sources[0].author_name.as_deref(), q.sources[0].text.as_str()), (None, PURGED_TEXT));
        assert_eq!(q.sources[1].author_name.as_deref(), Some("bob"), "other commenters are kept");
        assert!(!redaction().apply(&mut q), "applying twice changes nothing");
    }

    #[test]
    fn approved_wording_stays_for_the_transcript() {
        let mut q = question(7, QuestionState::Answered);
        q.public_text = "What are warning signs of heart problems in children?".into();
        redaction().apply(&mut q);
        assert_eq!(q.public_text, "What are warning signs of heart problems in children?");
        assert_eq!(q.original_text, PURGED_TEXT);
        let mut other = question(8, QuestionState::New);
        redaction().apply(&mut other);
        assert_eq!(
            other.original_text, "My son Jake (555-0100) has chest pain",
            "not this comment's question"
        );
    }
}
