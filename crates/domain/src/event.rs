//! The event log's records. Every change to a session appends one event; staff see the full
//! record, the public channel sees only the de-identified projection (if the event has one).

use crate::{Offset, Platform, Question, Session, SessionId, SessionStatus, Slug, UnixMillis};
use serde::{Deserialize, Serialize};

/// Who may read an event's payload.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum EventAudience {
    Staff,
    Public,
}

/// What staff receive: the changed entity in full, so a console applies it by id.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum EventBody {
    /// A question was created or changed; `change` names what happened.
    Question { change: QuestionChange, question: Box<Question> },
    /// The session itself changed (status, title, sources, settings).
    Session { change: SessionChange, session: Box<Session> },
    /// A platform action was queued or its delivery status changed.
    Outbox { item: Box<crate::OutboxItem> },
    /// A backstage note was sent (`change` `sent`) or acknowledged (`read`).
    Note { change: String, note: Box<crate::BackstageNote> },
}

/// What happened to a question, as its event names it. The serialized names are part of the
/// staff protocol (docs/protocol.md).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum QuestionChange {
    Created,
    Approve,
    /// Approved although its public wording still holds detected private information, with
    /// the moderator's recorded reason (audited).
    ApproveOverride,
    Reject,
    Merge,
    /// The target of a merge (its count grew).
    MergedInto,
    PutOnAir,
    TakeOffAir,
    Answer,
    Correct,
    CommentEdited,
    RemovedAtSource,
    HiddenAtSource,
    UnhiddenAtSource,
    /// A staff member recorded the outcome of an emergency (it leaves the follow-up list).
    OutcomeRecorded,
    /// A moderator's own approval, rejection or merge taken back within the undo window.
    UndoApprove,
    UndoReject,
    UndoMerge,
    /// The target of an undone merge (its count shrank).
    UnmergedFrom,
    /// A commenter's data was erased or purged (staff only).
    Redacted,
    /// A moderator assigned the question to a specialist, or cleared the assignment.
    Assign,
}

impl QuestionChange {
    pub fn as_str(self) -> &'static str {
        match self {
            QuestionChange::Created => "created",
            QuestionChange::Approve => "approve",
            QuestionChange::ApproveOverride => "approve_override",
            QuestionChange::Reject => "reject",
            QuestionChange::Merge => "merge",
            QuestionChange::MergedInto => "merged_into",
            QuestionChange::PutOnAir => "put_on_air",
            QuestionChange::TakeOffAir => "take_off_air",
            QuestionChange::Answer => "answer",
            QuestionChange::Correct => "correct",
            QuestionChange::CommentEdited => "comment_edited",
            QuestionChange::RemovedAtSource => "removed_at_source",
            QuestionChange::HiddenAtSource => "hidden_at_source",
            QuestionChange::UnhiddenAtSource => "unhidden_at_source",
            QuestionChange::OutcomeRecorded => "outcome_recorded",
            QuestionChange::UndoApprove => "undo_approve",
            QuestionChange::UndoReject => "undo_reject",
            QuestionChange::UndoMerge => "undo_merge",
            QuestionChange::UnmergedFrom => "unmerged_from",
            QuestionChange::Redacted => "redacted",
            QuestionChange::Assign => "assign",
        }
    }
}

impl From<crate::ActionKind> for QuestionChange {
    fn from(kind: crate::ActionKind) -> Self {
        use crate::ActionKind as A;
        match kind {
            A::Approve => QuestionChange::Approve,
            A::Reject => QuestionChange::Reject,
            A::Merge => QuestionChange::Merge,
            A::PutOnAir => QuestionChange::PutOnAir,
            A::TakeOffAir => QuestionChange::TakeOffAir,
            A::Answer => QuestionChange::Answer,
            A::Correct => QuestionChange::Correct,
            A::UndoApprove => QuestionChange::UndoApprove,
            A::UndoReject => QuestionChange::UndoReject,
            A::UndoMerge => QuestionChange::UndoMerge,
        }
    }
}

/// What happened to a session, as its event names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SessionChange {
    Created,
    Status,
    SourceHealth,
    /// Specialists were assigned or unassigned (staff only).
    Specialists,
    /// A source's access token was replaced (staff only; never the token).
    SourceToken,
    /// The overlay key was rotated (staff only; the session JSON never carries the key).
    OverlayKey,
    /// The title, slug, disclaimer, scheduled start or recording link changed.
    Details,
    /// A source was added or removed (staff only; never a token).
    Sources,
    /// The session's automatic handling (spam, exact duplicates) changed (staff only).
    AutoHandling,
}

impl SessionChange {
    pub fn as_str(self) -> &'static str {
        match self {
            SessionChange::Created => "created",
            SessionChange::Status => "status",
            SessionChange::SourceHealth => "source_health",
            SessionChange::Specialists => "specialists",
            SessionChange::SourceToken => "source_token",
            SessionChange::OverlayKey => "overlay_key",
            SessionChange::Details => "details",
            SessionChange::Sources => "sources",
            SessionChange::AutoHandling => "auto_handling",
        }
    }
}

/// The session as the public sees it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct PublicSession {
    pub slug: Slug,
    pub title: String,
    pub status: SessionStatus,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub started_at: Option<UnixMillis>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ended_at: Option<UnixMillis>,
}

impl From<&Session> for PublicSession {
    fn from(s: &Session) -> Self {
        PublicSession {
            slug: s.slug.clone(),
            title: s.title.clone(),
            status: s.status,
            started_at: s.started_at,
            ended_at: s.ended_at,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct PublicAnsweredBy {
    pub name: String,
    pub credentials: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct PublicAnswer {
    pub text: String,
    pub answered_by: PublicAnsweredBy,
    pub answered_at: UnixMillis,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub corrected_at: Option<UnixMillis>,
}

/// One transcript entry: the approved wording and the answer, nothing about who asked.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct PublicEntry {
    /// The question's id; the same in `transcript.json` and on the live stream.
    pub id: crate::QuestionId,
    pub question: String,
    pub asked_by_count: i64,
    pub platforms: Vec<Platform>,
    pub answer: PublicAnswer,
    /// Seconds from the start of the broadcast to when the question went on air, when both are
    /// known (the transcript reader fills it in; live events do not carry it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub video_offset_seconds: Option<i64>,
    /// The question repeated a common health myth (from the myth list), so this answer
    /// addressed it: the myth's topic and where its correction can be read. Never raw text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub myth_addressed: Option<MythAddressed>,
}

/// "Myth addressed" on a transcript entry: the topic as the myth list names it, and the
/// correction's source when the list gives one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct MythAddressed {
    pub topic: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<crate::MythSource>,
}

impl MythAddressed {
    /// What a question's screening says about a myth, for its public entry.
    pub fn of(screening: &crate::Screening) -> Option<MythAddressed> {
        let topic = screening.myth_topic.clone()?;
        Some(MythAddressed { topic, source: screening.myth_source.clone() })
    }
}

impl PublicEntry {
    /// The public projection of an answered question, or `None` if it has no answer.
    /// Only `public_text`, counts, platform names and the answer cross over.
    pub fn of(q: &Question) -> Option<PublicEntry> {
        let a = q.answer.as_ref()?;
        let mut platforms: Vec<Platform> = Vec::new();
        for s in &q.sources {
            if !platforms.contains(&s.platform) {
                platforms.push(s.platform);
            }
        }
        Some(PublicEntry {
            id: q.id,
            question: q.public_text.clone(),
            asked_by_count: q.asked_by_count,
            platforms,
            answer: PublicAnswer {
                text: a.text.clone(),
                answered_by: PublicAnsweredBy {
                    name: a.answered_by.name.clone(),
                    credentials: a.answered_by.credentials.clone(),
                },
                answered_at: a.answered_at,
                corrected_at: a.corrected_at,
            },
            video_offset_seconds: None,
            myth_addressed: MythAddressed::of(&q.screening),
        })
    }
}

/// What the public channel receives.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum PublicBody {
    /// An answer was published (or corrected): the transcript entry in full.
    Entry {
        entry: PublicEntry,
    },
    Session {
        session: PublicSession,
    },
}

/// An event as stored: offset, time and both payloads already serialised, so the hub sends the
/// same bytes to every subscriber and replay reads them back without re-encoding.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredEvent {
    pub session_id: SessionId,
    pub offset: Offset,
    pub at: UnixMillis,
    /// The staff payload: a serialised [`EventBody`].
    pub staff_json: String,
    /// The public payload, a serialised [`PublicBody`], for events the public may see.
    pub public_json: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Answer, AnsweredBy, QuestionId, QuestionSource, QuestionState, UserId};
    use std::collections::BTreeSet;

    fn answered_question() -> Question {
        let src = |platform, name: &str| QuestionSource {
            comment_id: format!("c-{name}"),
            platform,
            author_name: Some(name.to_owned()),
            text: format!("{name}'s private words"),
            created_at: 1,
            stored_id: None,
        };
        Question {
            id: QuestionId(7),
            session_id: SessionId(1),
            state: QuestionState::Answered,
            version: 4,
            public_text: "What lowers cholesterol?".into(),
            original_text: "Rowan here, what lowers my cholesterol?".into(),
            flags: BTreeSet::new(),
            asked_by_count: 3,
            merged_into: None,
            assigned_to: None,
            reject_reason: None,
            sources: vec![
                src(Platform::Facebook, "Rowan Thistlewood"),
                src(Platform::Instagram, "rowan.t"),
                src(Platform::Facebook, "Ann"),
            ],
            answer: Some(Answer {
                text: "Soluble fibre helps.".into(),
                answered_by: AnsweredBy {
                    user_id: UserId(2),
                    name: "Dr Lee".into(),
                    credentials: "MD".into(),
                },
                answered_at: 10,
                corrected_at: None,
                history: vec![],
            }),
            created_at: 1,
            updated_at: 10,
            last_actor: Some("Dr Lee".into()),
            screening: Default::default(),
        }
    }

    #[test]
    fn public_entry_carries_no_commenter_data() {
        let q = answered_question();
        let entry = PublicEntry::of(&q).unwrap();
        let json = serde_json::to_string(&PublicBody::Entry { entry }).unwrap();
        for needle in ["Rowan", "rowan.t", "Ann", "private words", "c-"] {
            assert!(!json.contains(needle), "{needle} leaked into {json}");
        }
        assert!(json.contains("\"platforms\":[\"facebook\",\"instagram\"]"), "{json}");
        assert!(json.starts_with("{\"type\":\"entry\""), "{json}");
    }

    #[test]
    fn change_names_serialize_as_the_protocol_says() {
        use crate::ActionKind;
        for (kind, name) in [
            (ActionKind::Approve, "approve"),
            (ActionKind::PutOnAir, "put_on_air"),
            (ActionKind::TakeOffAir, "take_off_air"),
            (ActionKind::Correct, "correct"),
        ] {
            let change = QuestionChange::from(kind);
            assert_eq!(change.as_str(), name);
            assert_eq!(kind.as_str(), name);
            assert_eq!(serde_json::to_value(change).unwrap(), name);
        }
        for c in
            [QuestionChange::MergedInto, QuestionChange::UnhiddenAtSource, QuestionChange::ApproveOverride]
        {
            assert_eq!(serde_json::to_value(c).unwrap(), c.as_str());
        }
        for c in [SessionChange::Created, SessionChange::Status, SessionChange::SourceHealth] {
            assert_eq!(serde_json::to_value(c).unwrap(), c.as_str());
        }
    }

    #[test]
    fn unanswered_questions_have_no_public_entry() {
        let mut q = answered_question();
        q.answer = None;
        assert!(PublicEntry::of(&q).is_none());
    }
}
