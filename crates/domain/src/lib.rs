//! Curbside's domain: the nouns of a live patient Q&A and the rules that bind them.
//! Pure data and pure functions, no I/O, so every rule here is unit-tested in isolation.

pub mod audit;
pub mod comment;
pub mod event;
pub mod ids;
pub mod note;
pub mod outbox;
pub mod overlay;
pub mod question;
pub mod report;
pub mod retention;
pub mod screening;
pub mod session;
pub mod staff;
pub mod text;

pub use audit::AuditEntry;
pub use comment::NewComment;
pub use event::{
    EventAudience, EventBody, MythAddressed, PublicAnswer, PublicAnsweredBy, PublicBody, PublicEntry,
    PublicSession, QuestionChange, SessionChange, StoredEvent,
};
pub use ids::{CommentId, Offset, QuestionId, SessionId, SourceId, UserId};
pub use note::BackstageNote;
pub use outbox::{OutboxItem, OutboxKind, OutboxStatus, OutboxStep, OutboxTransitionError};
pub use overlay::{OverlayBody, OverlayQuestion, OverlaySpecialist};
pub use question::{
    Action, ActionKind, Answer, AnswerRevision, AnsweredBy, Flag, Question, QuestionSource, QuestionState,
    TransitionError,
};
pub use report::{AnswerTimes, MinuteCount, NamedCount, SessionReport, UnansweredQuestion};
pub use retention::{Redaction, ERASED_TEXT, PURGED_TEXT};
pub use screening::{Finding, MythSource, Screening, Span, SpanKind};
pub use session::{
    AutoHandling, Platform, Session, SessionStatus, SessionStatusError, Slug, SlugError, SourceHealth,
    SourceSpec, SourceState, SourceView,
};
pub use staff::{can, Access, Needs, Permission, Role, RoleParseError, StaffUser};
pub use text::{TextError, TextLimit, NON_SPACE};

/// Milliseconds since the Unix epoch, UTC. Every stored time uses this one representation so that
/// SQLite and PostgreSQL store, compare and sort it identically.
pub type UnixMillis = i64;
