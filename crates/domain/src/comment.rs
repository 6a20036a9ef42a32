//! A platform comment as a connector hands it over: who wrote what, where and when. Comments are
//! staff-only data; one comment per platform comment id, however often it is delivered.

use crate::{Platform, SessionId, SourceId, UnixMillis};

/// A comment matched to its session, before it is stored (the store adds its received time).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewComment {
    pub session_id: SessionId,
    pub source_id: Option<SourceId>,
    pub platform: Platform,
    /// The platform's id: the dedupe key, unique per platform.
    pub platform_comment_id: String,
    /// The platform's id for the author. Staff only; never on a public surface.
    pub author_id: Option<String>,
    /// The author's display name (Facebook name, Instagram username). Staff only.
    pub author_name: Option<String>,
    pub text: String,
    /// The comment this one replies to, if it is a reply.
    pub parent_id: Option<String>,
    /// When the comment was written, as the platform says.
    pub platform_time: UnixMillis,
    /// How it arrived: `webhook`, `poll`, `web`.
    pub via: String,
}
