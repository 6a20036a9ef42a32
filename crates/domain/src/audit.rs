//! The audit trail: who did what to which session or question, and when. Append-only; each
//! entry is written in the same transaction as the action it records.

use crate::{QuestionId, SessionId, UnixMillis, UserId};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct AuditEntry {
    pub id: i64,
    pub at: UnixMillis,
    /// `None` for the system itself (a platform change, a connector).
    pub actor_id: Option<UserId>,
    pub actor_name: String,
    /// What happened, e.g. `question.approve`, `session.status`, `comment.removed_at_source`.
    pub action: String,
    pub session_id: Option<SessionId>,
    pub question_id: Option<QuestionId>,
    /// The action's data: from/to states, the reworded text, the merge target.
    #[schema(value_type = Object)]
    pub detail: serde_json::Value,
}
