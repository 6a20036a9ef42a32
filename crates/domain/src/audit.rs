//! The audit trail: who (and in which role, from where) did what to which session, question or
//! account, when, with the state before and after. Append-only (database triggers refuse UPDATE
//! and DELETE); each entry is written in the same transaction as the action it records.

use crate::{QuestionId, SessionId, UnixMillis, UserId};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct AuditEntry {
    pub id: i64,
    pub at: UnixMillis,
    /// `None` for the system itself (a platform change, a connector).
    pub actor_id: Option<UserId>,
    pub actor_name: String,
    /// The actor's role at the time (`None` for the system).
    pub actor_role: Option<crate::Role>,
    /// The client address the action came from (`None` for the system and the CLI).
    pub client_addr: Option<String>,
    /// What happened, e.g. `question.approve`, `session.status`, `comment.removed_at_source`.
    pub action: String,
    pub session_id: Option<SessionId>,
    pub question_id: Option<QuestionId>,
    /// What was changed, as it was before the action and after it (`null` when not applicable):
    /// a question's state and wording, a session's status, an account's role.
    #[schema(value_type = Option<Object>)]
    pub before: serde_json::Value,
    #[schema(value_type = Option<Object>)]
    pub after: serde_json::Value,
    /// The action's data: from/to states, the reworded text, the merge target.
    #[schema(value_type = Object)]
    pub detail: serde_json::Value,
}
