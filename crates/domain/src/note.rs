//! Backstage notes: a short message from a moderator to the specialist during the broadcast
//! ("she asked this twice", "keep it short, we are over time"), with a read receipt. Staff only.

use crate::{text::TextLimit, QuestionId, SessionId, TextError, UnixMillis};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct BackstageNote {
    pub id: i64,
    pub session_id: SessionId,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub question_id: Option<QuestionId>,
    pub author_name: String,
    pub text: String,
    pub created_at: UnixMillis,
    /// When the specialist acknowledged it; `None` until then.
    pub read_at: Option<UnixMillis>,
    pub read_by: Option<String>,
}

/// The note's text, trimmed and within its limit.
pub fn note_text(text: &str) -> Result<String, TextError> {
    TextLimit::NOTE.required(text)
}
