//! A Q&A session: its public slug, lifecycle status and the platform sources it listens to.
//! Sources name the platform objects whose comments become this session's questions.

use crate::{SessionId, SourceId, UnixMillis, UserId};
use serde::{Deserialize, Serialize};
use std::fmt;
use thiserror::Error;

/// Where a comment came from. `Web` is reserved for the patient "ask a question" form.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Platform {
    Facebook,
    Instagram,
    Web,
}

impl Platform {
    pub fn as_str(self) -> &'static str {
        match self {
            Platform::Facebook => "facebook",
            Platform::Instagram => "instagram",
            Platform::Web => "web",
        }
    }

    pub fn parse(s: &str) -> Option<Platform> {
        match s {
            "facebook" => Some(Platform::Facebook),
            "instagram" => Some(Platform::Instagram),
            "web" => Some(Platform::Web),
            _ => None,
        }
    }
}

impl fmt::Display for Platform {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A session's lifecycle. Comments become questions whatever the status; the status drives
/// polling, Instagram private replies and the public page's "live" badge.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum SessionStatus {
    Scheduled,
    Live,
    Ended,
}

impl SessionStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            SessionStatus::Scheduled => "scheduled",
            SessionStatus::Live => "live",
            SessionStatus::Ended => "ended",
        }
    }

    pub fn parse(s: &str) -> Option<SessionStatus> {
        match s {
            "scheduled" => Some(SessionStatus::Scheduled),
            "live" => Some(SessionStatus::Live),
            "ended" => Some(SessionStatus::Ended),
            _ => None,
        }
    }

    /// The one rule for status changes. A session may go live and end, may be ended without going
    /// live (cancelled), and may go live again after ending (a broadcast restarted after a drop);
    /// it never returns to `scheduled`, because its events and answers already exist.
    pub fn change_to(self, to: SessionStatus) -> Result<SessionStatus, SessionStatusError> {
        if to == SessionStatus::Scheduled && self != SessionStatus::Scheduled {
            return Err(SessionStatusError { from: self, to });
        }
        Ok(to)
    }
}

impl fmt::Display for SessionStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("a {from} session cannot go back to {to}: it already has a history")]
pub struct SessionStatusError {
    pub from: SessionStatus,
    pub to: SessionStatus,
}

/// The public name of a session in URLs (`/s/{slug}`): 1–64 of `a-z`, `0-9` and single dashes.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(try_from = "String", into = "String")]
#[schema(value_type = String, example = "heart-health-q-and-a")]
pub struct Slug(String);

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum SlugError {
    #[error("slug must not be empty")]
    Empty,
    #[error("slug is {0} characters long; at most 64 are allowed")]
    TooLong(usize),
    #[error(
        "slug may contain only lowercase letters, digits and single dashes, \
         and must start and end with a letter or digit"
    )]
    BadCharacters,
}

impl Slug {
    pub const MAX_LEN: usize = 64;

    pub fn parse(raw: &str) -> Result<Slug, SlugError> {
        if raw.is_empty() {
            return Err(SlugError::Empty);
        }
        if raw.len() > Self::MAX_LEN {
            return Err(SlugError::TooLong(raw.chars().count()));
        }
        let ok_chars = raw.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
        if !ok_chars || raw.starts_with('-') || raw.ends_with('-') || raw.contains("--") {
            return Err(SlugError::BadCharacters);
        }
        Ok(Slug(raw.to_owned()))
    }

    /// Derives a slug from a title: ASCII letters and digits kept, everything else folded into
    /// single dashes. Falls back to `session` for titles with no usable characters.
    pub fn from_title(title: &str) -> Slug {
        let mut out = String::with_capacity(title.len());
        for c in title.chars() {
            if c.is_ascii_alphanumeric() {
                out.push(c.to_ascii_lowercase());
            } else if !out.is_empty() && !out.ends_with('-') {
                out.push('-');
            }
            if out.len() >= 48 {
                break;
            }
        }
        let trimmed = out.trim_end_matches('-');
        if trimmed.is_empty() {
            Slug("session".to_owned())
        } else {
            Slug(trimmed.to_owned())
        }
    }

    /// The same slug with a numeric suffix, used when the plain one is taken.
    pub fn with_suffix(&self, n: u32) -> Slug {
        let suffix = format!("-{n}");
        let keep = Self::MAX_LEN - suffix.len();
        let base = if self.0.len() > keep { self.0[..keep].trim_end_matches('-') } else { &self.0 };
        Slug(format!("{base}{suffix}"))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for Slug {
    type Error = SlugError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Slug::parse(&value)
    }
}

impl From<Slug> for String {
    fn from(value: Slug) -> Self {
        value.0
    }
}

impl fmt::Display for Slug {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The platform object a source listens to. The access token is kept apart from this (it is
/// write-only: stored, used for Graph calls, never returned), so this type is safe to show staff.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(tag = "platform", rename_all = "lowercase")]
pub enum SourceSpec {
    Facebook {
        page_id: String,
        live_video_id: String,
        /// The video behind the live video; webhooks name it in `post_id = {page_id}_{video_id}`.
        /// Resolved from the Graph API when missing.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        video_id: Option<String>,
    },
    Instagram {
        ig_user_id: String,
        media_id: String,
    },
}

impl SourceSpec {
    pub fn platform(&self) -> Platform {
        match self {
            SourceSpec::Facebook { .. } => Platform::Facebook,
            SourceSpec::Instagram { .. } => Platform::Instagram,
        }
    }

    /// Checks that every id is present and looks like a Graph id (digits, optionally joined by `_`).
    pub fn validate(&self) -> Result<(), String> {
        fn graph_id(field: &str, v: &str) -> Result<(), String> {
            let ok = !v.is_empty()
                && v.len() <= 64
                && v.bytes().all(|b| b.is_ascii_digit() || b == b'_')
                && !v.starts_with('_');
            if ok {
                Ok(())
            } else {
                Err(format!("`{field}` must be a Graph API id (digits), got {v:?}"))
            }
        }
        match self {
            SourceSpec::Facebook { page_id, live_video_id, video_id } => {
                graph_id("page_id", page_id)?;
                graph_id("live_video_id", live_video_id)?;
                if let Some(v) = video_id {
                    graph_id("video_id", v)?;
                }
                Ok(())
            }
            SourceSpec::Instagram { ig_user_id, media_id } => {
                graph_id("ig_user_id", ig_user_id)?;
                graph_id("media_id", media_id)
            }
        }
    }
}

/// How a source's connection to its platform is doing, as staff see it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SourceState {
    /// Configured, nothing heard yet.
    Idle,
    Healthy,
    /// Throttled or failing transiently; retrying with backoff.
    Degraded,
    /// The token is invalid or expired: a person must re-authorise.
    NeedsReauth,
    /// The token lacks a permission or the app lacks review: fix scopes, then re-enable.
    PermissionDenied,
    Stopped,
}

impl SourceState {
    pub fn as_str(self) -> &'static str {
        match self {
            SourceState::Idle => "idle",
            SourceState::Healthy => "healthy",
            SourceState::Degraded => "degraded",
            SourceState::NeedsReauth => "needs_reauth",
            SourceState::PermissionDenied => "permission_denied",
            SourceState::Stopped => "stopped",
        }
    }

    pub fn parse(s: &str) -> Option<SourceState> {
        Some(match s {
            "idle" => SourceState::Idle,
            "healthy" => SourceState::Healthy,
            "degraded" => SourceState::Degraded,
            "needs_reauth" => SourceState::NeedsReauth,
            "permission_denied" => SourceState::PermissionDenied,
            "stopped" => SourceState::Stopped,
            _ => return None,
        })
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct SourceHealth {
    pub state: SourceState,
    pub last_comment_at: Option<UnixMillis>,
    pub last_error: Option<String>,
    /// The highest usage percentage the platform reported for this source's token (0–100).
    pub usage_percent: Option<f64>,
}

/// A source as staff see it: never with its access token.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct SourceView {
    pub id: SourceId,
    #[serde(flatten)]
    pub spec: SourceSpec,
    pub health: SourceHealth,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Session {
    pub id: SessionId,
    pub slug: Slug,
    pub title: String,
    pub status: SessionStatus,
    /// Shown with every public answer: on the transcript, the overlay and each platform reply.
    pub disclaimer: String,
    pub sources: Vec<SourceView>,
    pub specialists: Vec<UserId>,
    pub created_at: UnixMillis,
    pub started_at: Option<UnixMillis>,
    pub ended_at: Option<UnixMillis>,
    /// When the broadcast is scheduled to start, shown on the public page while it is upcoming.
    #[serde(default)]
    pub starts_at: Option<UnixMillis>,
    /// The recording of the broadcast (http or https). With `started_at` and each question's
    /// on-air time, the transcript links every answer to its moment in the recording.
    #[serde(default)]
    pub recording_url: Option<String>,
    /// The offset of the newest event in this session's log.
    pub last_offset: crate::Offset,
    /// What screening does by itself in this session (both off unless the producer turns it on).
    #[serde(default)]
    pub auto_handling: AutoHandling,
    /// The secret in the overlay URL (`/overlay/{slug}?key=…`). Never in events or public JSON;
    /// the staff API shows it only inside `overlay_url`.
    #[serde(skip)]
    pub overlay_key: String,
}

/// What screening does by itself in a session, as its producer sets it; both off by default,
/// so a person decides unless asked otherwise. Each automatic decision is made in the ingest
/// transaction, audited as the system actor `screening`, and can be undone by a moderator.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct AutoHandling {
    /// Questions flagged `spam` arrive rejected (visible under the console's rejected filter).
    #[serde(default)]
    pub reject_spam: bool,
    /// A question with exactly the text of an open question (after folding case, accents and
    /// punctuation) is merged into the first one: its asker adds to that question's count.
    #[serde(default)]
    pub merge_exact_duplicates: bool,
}

impl Session {
    /// The disclaimer used when a session is created without one.
    pub const DEFAULT_DISCLAIMER: &'static str = "This answer is general health information, not \
        medical advice for any individual. For advice about your own care, contact your clinician. \
        In an emergency call 911; in a mental-health crisis call or text 988.";
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slug_from_title_folds_punctuation() {
        assert_eq!(Slug::from_title("Heart Health: Q&A!").as_str(), "heart-health-q-a");
        assert_eq!(Slug::from_title("¿¿??").as_str(), "session");
    }

    #[test]
    fn slug_parse_refuses_bad_shapes() {
        assert!(Slug::parse("ok-slug-1").is_ok());
        assert_eq!(Slug::parse(""), Err(SlugError::Empty));
        assert_eq!(Slug::parse("Upper"), Err(SlugError::BadCharacters));
        assert_eq!(Slug::parse("-lead"), Err(SlugError::BadCharacters));
        assert_eq!(Slug::parse("a--b"), Err(SlugError::BadCharacters));
        assert_eq!(Slug::parse(&"a".repeat(65)), Err(SlugError::TooLong(65)));
    }

    #[test]
    fn slug_suffix_stays_within_the_limit() {
        let long = Slug::parse(&"a".repeat(64)).unwrap();
        let s = long.with_suffix(12);
        assert_eq!(s.as_str().len(), 64);
        assert!(s.as_str().ends_with("-12"));
        assert!(Slug::parse(s.as_str()).is_ok());
    }

    #[test]
    fn session_never_returns_to_scheduled() {
        use SessionStatus::*;
        assert_eq!(Scheduled.change_to(Live), Ok(Live));
        assert_eq!(Live.change_to(Ended), Ok(Ended));
        assert_eq!(Scheduled.change_to(Ended), Ok(Ended));
        assert_eq!(Ended.change_to(Live), Ok(Live));
        assert_eq!(Live.change_to(Live), Ok(Live));
        let err = Live.change_to(Scheduled).unwrap_err();
        assert_eq!(err.to_string(), "a live session cannot go back to scheduled: it already has a history");
    }

    #[test]
    fn source_spec_reads_the_contract_shape() {
        let fb: SourceSpec = serde_json::from_str(
            r#"{"platform":"facebook","page_id":"1","live_video_id":"3","video_id":"2"}"#,
        )
        .unwrap();
        assert_eq!(fb.platform(), Platform::Facebook);
        assert!(fb.validate().is_ok());
        let ig: SourceSpec =
            serde_json::from_str(r#"{"platform":"instagram","ig_user_id":"17","media_id":"x"}"#).unwrap();
        assert_eq!(ig.validate().unwrap_err(), "`media_id` must be a Graph API id (digits), got \"x\"");
    }
}
