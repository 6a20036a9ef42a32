//! Platform actions Curbside owes: public replies, Instagram private replies, hides at source.
//! Each is delivered at most once per target comment; its status is visible to staff.

use crate::{Platform, QuestionId, SessionId, UnixMillis};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum OutboxKind {
    /// A public reply comment (Facebook).
    Reply,
    /// A private reply (Instagram live comments allow no public reply), only while live.
    PrivateReply,
    /// Hide the comment on the platform (it exposes private information).
    Hide,
}

impl OutboxKind {
    pub fn as_str(self) -> &'static str {
        match self {
            OutboxKind::Reply => "reply",
            OutboxKind::PrivateReply => "private_reply",
            OutboxKind::Hide => "hide",
        }
    }

    pub fn parse(s: &str) -> Option<OutboxKind> {
        Some(match s {
            "reply" => OutboxKind::Reply,
            "private_reply" => OutboxKind::PrivateReply,
            "hide" => OutboxKind::Hide,
            _ => return None,
        })
    }

    /// The reply kind a platform allows for a live comment.
    pub fn reply_for(platform: Platform) -> Option<OutboxKind> {
        match platform {
            Platform::Facebook => Some(OutboxKind::Reply),
            Platform::Instagram => Some(OutboxKind::PrivateReply),
            Platform::Web => None,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum OutboxStatus {
    Pending,
    /// An attempt is under way (or was, when the process stopped: reconciled at start).
    Sending,
    Sent,
    /// Gave up: the platform refused for good (the Graph error is in `last_error`).
    Failed,
    /// No longer allowed (e.g. an Instagram private reply after the broadcast ended).
    Expired,
}

impl OutboxStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            OutboxStatus::Pending => "pending",
            OutboxStatus::Sending => "sending",
            OutboxStatus::Sent => "sent",
            OutboxStatus::Failed => "failed",
            OutboxStatus::Expired => "expired",
        }
    }

    pub fn parse(s: &str) -> Option<OutboxStatus> {
        Some(match s {
            "pending" => OutboxStatus::Pending,
            "sending" => OutboxStatus::Sending,
            "sent" => OutboxStatus::Sent,
            "failed" => OutboxStatus::Failed,
            "expired" => OutboxStatus::Expired,
            _ => return None,
        })
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct OutboxItem {
    pub id: i64,
    pub session_id: SessionId,
    pub question_id: Option<QuestionId>,
    pub platform: Platform,
    pub kind: OutboxKind,
    /// The platform comment the action targets.
    pub target_id: String,
    /// The answer text a reply carries (the disclaimer and link are added when sending).
    pub text: Option<String>,
    pub status: OutboxStatus,
    pub attempts: i64,
    pub last_error: Option<String>,
    /// The platform's id for what was created (reply comment id, message id).
    pub result_id: Option<String>,
    pub created_at: UnixMillis,
    pub updated_at: UnixMillis,
}
