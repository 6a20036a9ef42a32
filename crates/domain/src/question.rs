//! A question is the triage item: it gathers one or more platform comments, carries the wording
//! that may air (`public_text`) and moves through one lifecycle, decided by [`QuestionState::apply`].

use crate::{text::TextLimit, CommentId, Platform, QuestionId, SessionId, TextError, UnixMillis, UserId};
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;
use std::fmt;
use thiserror::Error;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum QuestionState {
    /// Arrived, waiting for a moderator.
    New,
    /// A moderator cleared it, with its public wording; waiting for a specialist.
    Approved,
    /// Will not be answered. Final.
    Rejected,
    /// Folded into another question, which now counts its askers. Final.
    Merged,
    /// On the broadcast now.
    OnAir,
    /// Answered and published.
    Answered,
    /// Answered, then the answer was corrected; the history is kept and shown.
    Corrected,
}

impl QuestionState {
    pub const ALL: [QuestionState; 7] = [
        QuestionState::New,
        QuestionState::Approved,
        QuestionState::Rejected,
        QuestionState::Merged,
        QuestionState::OnAir,
        QuestionState::Answered,
        QuestionState::Corrected,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            QuestionState::New => "new",
            QuestionState::Approved => "approved",
            QuestionState::Rejected => "rejected",
            QuestionState::Merged => "merged",
            QuestionState::OnAir => "on_air",
            QuestionState::Answered => "answered",
            QuestionState::Corrected => "corrected",
        }
    }

    pub fn parse(s: &str) -> Option<QuestionState> {
        QuestionState::ALL.into_iter().find(|st| st.as_str() == s)
    }

    /// Whether the question has a published answer.
    pub fn is_answered(self) -> bool {
        matches!(self, QuestionState::Answered | QuestionState::Corrected)
    }

    /// The one transition function. Every path that changes a question's state (API, WebSocket,
    /// connectors, tests) goes through here; an illegal move is an error saying what was tried
    /// and why it is refused.
    ///
    /// ```text
    /// new ──approve──▶ approved ──on_air──▶ on_air ──answer──▶ answered ──correct──▶ corrected
    ///  │                 │  ▲                 │                                      │  ▲
    ///  │                 │  └────off_air──────┘                                      └──┘ correct
    ///  │                 └──────────────answer──────────────▶ answered
    ///  └─reject/merge─▶ rejected / merged  ◀─reject/merge─ approved
    /// ```
    ///
    /// A moderator's triage of a new question (approve, reject, merge) can be undone for
    /// [`UNDO_WINDOW_MS`]: a reverse transition back to `new`, recorded like any other.
    pub fn apply(self, action: ActionKind) -> Result<QuestionState, TransitionError> {
        use ActionKind as A;
        use QuestionState as S;
        let next = match (self, action) {
            (S::New, A::Approve) => S::Approved,
            (S::New | S::Approved, A::Reject) => S::Rejected,
            (S::New | S::Approved, A::Merge) => S::Merged,
            (S::Approved, A::PutOnAir) => S::OnAir,
            (S::OnAir, A::TakeOffAir) => S::Approved,
            // An answered question stays on the broadcast until the specialist takes it off.
            (S::Answered, A::TakeOffAir) => S::Answered,
            (S::Corrected, A::TakeOffAir) => S::Corrected,
            (S::Approved | S::OnAir, A::Answer) => S::Answered,
            (S::Answered | S::Corrected, A::Correct) => S::Corrected,
            (S::Approved, A::UndoApprove) | (S::Rejected, A::UndoReject) | (S::Merged, A::UndoMerge) => {
                S::New
            }
            (from, action) => return Err(TransitionError { from, action, reason: refusal(from, action) }),
        };
        Ok(next)
    }
}

/// Why `action` is refused from `from`, in words a moderator understands.
fn refusal(from: QuestionState, action: ActionKind) -> &'static str {
    use ActionKind as A;
    use QuestionState as S;
    match (from, action) {
        (_, A::UndoApprove | A::UndoReject | A::UndoMerge) => "there is no such decision to undo",
        (S::Rejected, _) => "rejected questions are final",
        (S::Merged, _) => "it was merged into another question; act on that one instead",
        (S::Approved, A::Approve) => "it is already approved",
        (S::OnAir, A::Approve) => "it is already on air",
        (S::OnAir, A::PutOnAir) => "it is already on air",
        (S::OnAir, A::Reject | A::Merge) => "it is on air; take it off air first",
        (S::Answered | S::Corrected, A::Answer) => "it is already answered; correct the answer instead",
        (S::Answered | S::Corrected, _) => "answered questions can only have their answer corrected",
        (S::New, A::PutOnAir | A::Answer) => "a moderator must approve it first",
        (_, A::TakeOffAir) => "it is not on air",
        (_, A::Correct) => "there is no answer to correct yet",
        _ => "that step does not follow from this state",
    }
}

impl fmt::Display for QuestionState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What a person (or a connector) asks to do to a question, without its data.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ActionKind {
    Approve,
    Reject,
    Merge,
    PutOnAir,
    TakeOffAir,
    Answer,
    Correct,
    /// Reverse transitions: a moderator's triage taken back within the undo window.
    UndoApprove,
    UndoReject,
    UndoMerge,
}

/// How long a moderator may undo their last triage decision.
pub const UNDO_WINDOW_MS: i64 = 10_000;

impl ActionKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ActionKind::Approve => "approve",
            ActionKind::Reject => "reject",
            ActionKind::Merge => "merge",
            ActionKind::PutOnAir => "put_on_air",
            ActionKind::TakeOffAir => "take_off_air",
            ActionKind::Answer => "answer",
            ActionKind::Correct => "correct",
            ActionKind::UndoApprove => "undo_approve",
            ActionKind::UndoReject => "undo_reject",
            ActionKind::UndoMerge => "undo_merge",
        }
    }

    /// The reverse of a triage decision, if it can be undone.
    pub fn undo(self) -> Option<ActionKind> {
        match self {
            ActionKind::Approve => Some(ActionKind::UndoApprove),
            ActionKind::Reject => Some(ActionKind::UndoReject),
            ActionKind::Merge => Some(ActionKind::UndoMerge),
            _ => None,
        }
    }

    /// The verb as a moderator reads it in an error message.
    fn verb(self) -> &'static str {
        match self {
            ActionKind::Approve => "approve",
            ActionKind::Reject => "reject",
            ActionKind::Merge => "merge",
            ActionKind::PutOnAir => "put on air",
            ActionKind::TakeOffAir => "take off air",
            ActionKind::Answer => "answer",
            ActionKind::Correct => "correct the answer of",
            ActionKind::UndoApprove => "undo the approval of",
            ActionKind::UndoReject => "undo the rejection of",
            ActionKind::UndoMerge => "undo the merge of",
        }
    }
}

/// An action with its data, validated: constructing one checks the text limits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// `override_reason`: approve although the wording still holds detected private
    /// information, for this recorded reason (audited). Without it such an approval is refused.
    Approve {
        public_text: Option<String>,
        override_reason: Option<String>,
    },
    Reject {
        reason: Option<String>,
    },
    Merge {
        into: QuestionId,
    },
    PutOnAir,
    TakeOffAir,
    Answer {
        text: String,
    },
    Correct {
        text: String,
    },
    /// Back to `new` with the wording it had before the approval.
    UndoApprove {
        public_text: String,
    },
    UndoReject,
    /// Back to `new`: the comments the merge moved to `into` come back.
    UndoMerge {
        into: QuestionId,
        comments: Vec<CommentId>,
    },
}

impl Action {
    pub fn approve(public_text: Option<&str>) -> Result<Action, TextError> {
        Action::approve_overriding(public_text, None)
    }

    /// An approval that may override the private-information guard with a reason.
    pub fn approve_overriding(
        public_text: Option<&str>,
        override_reason: Option<&str>,
    ) -> Result<Action, TextError> {
        Ok(Action::Approve {
            public_text: TextLimit::PUBLIC_TEXT.optional(public_text)?,
            override_reason: TextLimit::REASON.optional(override_reason)?,
        })
    }

    pub fn reject(reason: Option<&str>) -> Result<Action, TextError> {
        Ok(Action::Reject { reason: TextLimit::REASON.optional(reason)? })
    }

    pub fn answer(text: &str) -> Result<Action, TextError> {
        Ok(Action::Answer { text: TextLimit::ANSWER.required(text)? })
    }

    pub fn correct(text: &str) -> Result<Action, TextError> {
        Ok(Action::Correct { text: TextLimit::ANSWER.required(text)? })
    }

    pub fn kind(&self) -> ActionKind {
        match self {
            Action::Approve { .. } => ActionKind::Approve,
            Action::Reject { .. } => ActionKind::Reject,
            Action::Merge { .. } => ActionKind::Merge,
            Action::PutOnAir => ActionKind::PutOnAir,
            Action::TakeOffAir => ActionKind::TakeOffAir,
            Action::Answer { .. } => ActionKind::Answer,
            Action::Correct { .. } => ActionKind::Correct,
            Action::UndoApprove { .. } => ActionKind::UndoApprove,
            Action::UndoReject => ActionKind::UndoReject,
            Action::UndoMerge { .. } => ActionKind::UndoMerge,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("cannot {} a question that is {from}: {reason}", action.verb())]
pub struct TransitionError {
    pub from: QuestionState,
    pub action: ActionKind,
    pub reason: &'static str,
}

/// Labels on a question. Screening sets the clinical ones (with reasons in `screening.findings`); the platform sets `removed`
/// and `hidden` when the comment was taken down at its source.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Flag {
    Phi,
    Emergency,
    PersonalAdvice,
    Spam,
    DuplicateCandidate,
    /// Repeats a common health myth (advisory: a topic for the specialist, never a reason to hide).
    Myth,
    /// The comment was deleted on the platform.
    Removed,
    /// The comment was hidden on the platform.
    Hidden,
}

impl Flag {
    /// Flags that take a question out of the moderators' active queue.
    pub fn leaves_active_queue(self) -> bool {
        matches!(self, Flag::Removed | Flag::Hidden)
    }
}

/// One comment behind a question, as staff see it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct QuestionSource {
    pub comment_id: String,
    pub platform: Platform,
    /// Staff only. Never on a public surface.
    pub author_name: Option<String>,
    pub text: String,
    pub created_at: UnixMillis,
    #[serde(skip)]
    pub stored_id: Option<CommentId>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct AnsweredBy {
    pub user_id: UserId,
    pub name: String,
    pub credentials: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct AnswerRevision {
    pub text: String,
    pub by: AnsweredBy,
    pub at: UnixMillis,
}

/// The answer a question carries: its current text and every earlier version, oldest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Answer {
    pub text: String,
    pub answered_by: AnsweredBy,
    pub answered_at: UnixMillis,
    /// Set when the answer was corrected after publication.
    pub corrected_at: Option<UnixMillis>,
    /// Earlier versions, oldest first; empty until a correction.
    pub history: Vec<AnswerRevision>,
}

/// The question as staff see it (`original_text` and `sources` are staff-only data).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Question {
    pub id: QuestionId,
    pub session_id: SessionId,
    pub state: QuestionState,
    /// Bumped by every change; clients send it back to refuse acting on a stale view.
    pub version: i64,
    /// The wording that may air: the moderator's, or the comment's until approval.
    pub public_text: String,
    /// The first comment's text as written. Staff only.
    pub original_text: String,
    pub flags: BTreeSet<Flag>,
    pub asked_by_count: i64,
    pub merged_into: Option<QuestionId>,
    pub reject_reason: Option<String>,
    pub sources: Vec<QuestionSource>,
    pub answer: Option<Answer>,
    pub created_at: UnixMillis,
    pub updated_at: UnixMillis,
    /// The staff member who made the last change, for "already approved by …".
    pub last_actor: Option<String>,
    /// What screening found in `original_text` (staff only: spans point at private details).
    #[serde(default)]
    pub screening: crate::Screening,
    /// The specialist a moderator assigned the question to (one of the session's specialists).
    #[serde(default)]
    pub assigned_to: Option<crate::UserId>,
}

impl Question {
    /// Whether the question is in the moderators' active queue.
    pub fn is_active(&self) -> bool {
        matches!(self.state, QuestionState::New | QuestionState::Approved)
            && !self.flags.iter().any(|f| f.leaves_active_queue())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ActionKind as A;
    use QuestionState as S;

    /// The whole table: every (state, action) pair and what it must give.
    const LEGAL: &[(QuestionState, ActionKind, QuestionState)] = &[
        (S::New, A::Approve, S::Approved),
        (S::New, A::Reject, S::Rejected),
        (S::New, A::Merge, S::Merged),
        (S::Approved, A::Reject, S::Rejected),
        (S::Approved, A::Merge, S::Merged),
        (S::Approved, A::PutOnAir, S::OnAir),
        (S::Approved, A::Answer, S::Answered),
        (S::OnAir, A::TakeOffAir, S::Approved),
        (S::Answered, A::TakeOffAir, S::Answered),
        (S::Corrected, A::TakeOffAir, S::Corrected),
        (S::OnAir, A::Answer, S::Answered),
        (S::Answered, A::Correct, S::Corrected),
        (S::Corrected, A::Correct, S::Corrected),
        (S::Approved, A::UndoApprove, S::New),
        (S::Rejected, A::UndoReject, S::New),
        (S::Merged, A::UndoMerge, S::New),
    ];

    const ACTIONS: [ActionKind; 10] = [
        A::Approve,
        A::Reject,
        A::Merge,
        A::PutOnAir,
        A::TakeOffAir,
        A::Answer,
        A::Correct,
        A::UndoApprove,
        A::UndoReject,
        A::UndoMerge,
    ];

    #[test]
    fn every_undoable_decision_on_a_new_question_reverses_to_new() {
        for action in ACTIONS {
            let Some(undo) = action.undo() else { continue };
            let after = S::New.apply(action).expect("triage of a new question");
            assert_eq!(after.apply(undo), Ok(S::New), "{action:?}");
        }
        assert_eq!(A::PutOnAir.undo(), None);
        assert!(S::OnAir.apply(A::UndoApprove).is_err());
    }

    #[test]
    fn every_legal_transition_gives_its_state() {
        for &(from, action, to) in LEGAL {
            assert_eq!(from.apply(action), Ok(to), "{from} --{action:?}-->");
        }
    }

    #[test]
    fn every_other_transition_is_refused_with_a_reason() {
        for from in QuestionState::ALL {
            for action in ACTIONS {
                if LEGAL.iter().any(|&(f, a, _)| f == from && a == action) {
                    continue;
                }
                let err = from.apply(action).expect_err("must be refused");
                assert_eq!((err.from, err.action), (from, action));
                let msg = err.to_string();
                assert!(msg.starts_with("cannot "), "{msg}");
                assert!(msg.contains(from.as_str()), "{msg}");
            }
        }
    }

    #[test]
    fn refusals_read_as_sentences() {
        assert_eq!(
            S::Rejected.apply(A::Approve).unwrap_err().to_string(),
            "cannot approve a question that is rejected: rejected questions are final"
        );
        assert_eq!(
            S::New.apply(A::PutOnAir).unwrap_err().to_string(),
            "cannot put on air a question that is new: a moderator must approve it first"
        );
        assert_eq!(
            S::Approved.apply(A::Approve).unwrap_err().to_string(),
            "cannot approve a question that is approved: it is already approved"
        );
    }

    #[test]
    fn state_names_round_trip() {
        for s in QuestionState::ALL {
            assert_eq!(QuestionState::parse(s.as_str()), Some(s));
            assert_eq!(serde_json::to_value(s).unwrap(), s.as_str());
        }
        assert_eq!(QuestionState::parse("pending"), None);
    }

    #[test]
    fn actions_validate_their_text() {
        assert!(Action::answer("").is_err());
        assert_eq!(
            Action::approve(Some("  ")).unwrap(),
            Action::Approve { public_text: None, override_reason: None }
        );
        assert_eq!(Action::answer(" Yes. ").unwrap(), Action::Answer { text: "Yes.".into() });
    }

    #[test]
    fn removed_or_hidden_questions_leave_the_active_queue() {
        let mut q = Question {
            id: QuestionId(1),
            session_id: SessionId(1),
            state: S::New,
            version: 1,
            public_text: "q".into(),
            original_text: "q".into(),
            flags: BTreeSet::new(),
            asked_by_count: 1,
            merged_into: None,
            assigned_to: None,
            reject_reason: None,
            sources: vec![],
            answer: None,
            created_at: 0,
            updated_at: 0,
            last_actor: None,
            screening: Default::default(),
        };
        assert!(q.is_active());
        q.flags.insert(Flag::Phi);
        assert!(q.is_active());
        q.flags.insert(Flag::Hidden);
        assert!(!q.is_active());
    }
}
