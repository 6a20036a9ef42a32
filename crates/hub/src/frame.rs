//! The bytes subscribers receive: one [`Frame`] per event and audience, serialised once and
//! shared by reference count, plus the small control frames of the WebSocket protocol.
//!
//! Fan-out cost is dominated by per-subscriber work, so nothing here is built per subscriber:
//! the WebSocket text is built when the event is delivered and the SSE chunk the first time an
//! SSE subscriber asks for it, then every connection clones a pointer to the same bytes.

use axum::extract::ws::Utf8Bytes;
use bytes::Bytes;
use curbside_domain::{EventAudience, Offset, SessionId, StoredEvent};
use serde::Serialize;
use std::fmt::Write as _;
use std::sync::OnceLock;

/// One event as one audience sees it, ready to write to any number of sockets.
#[derive(Debug)]
pub struct Frame {
    session_id: SessionId,
    offset: Offset,
    audience: EventAudience,
    /// `{"type":"event","session_id":N,"offset":N,"event":<payload>}`
    text: Utf8Bytes,
    /// Where `<payload>` starts in `text` (it ends one byte before the end).
    payload_start: usize,
    /// `id: N\ndata: <payload>\n\n`, built on first use.
    sse: OnceLock<Bytes>,
}

impl Frame {
    /// The frame `audience` gets for `event`, or `None` if that audience may not see it.
    pub fn build(event: &StoredEvent, audience: EventAudience) -> Option<Frame> {
        let payload = match audience {
            EventAudience::Staff => event.staff_json.as_str(),
            EventAudience::Public => event.public_json.as_deref()?,
        };
        // One allocation, sized for the envelope (under 80 bytes) plus the payload.
        let mut text = String::with_capacity(80 + payload.len());
        let _ = write!(
            text,
            "{{\"type\":\"event\",\"session_id\":{},\"offset\":{},\"event\":",
            event.session_id, event.offset
        );
        let payload_start = text.len();
        text.push_str(payload);
        text.push('}');
        Some(Frame {
            session_id: event.session_id,
            offset: event.offset,
            audience,
            text: Utf8Bytes::from(text),
            payload_start,
            sse: OnceLock::new(),
        })
    }

    pub fn session_id(&self) -> SessionId {
        self.session_id
    }

    pub fn offset(&self) -> Offset {
        self.offset
    }

    pub fn audience(&self) -> EventAudience {
        self.audience
    }

    /// The WebSocket text frame; cloning it copies a pointer, not the bytes.
    pub fn ws_text(&self) -> Utf8Bytes {
        self.text.clone()
    }

    /// The event's payload as stored (the staff or public JSON).
    pub fn payload(&self) -> &str {
        let text = self.text.as_str();
        &text[self.payload_start..text.len() - 1]
    }

    /// The Server-Sent Events message: `id:` is the offset, `data:` the payload.
    pub fn sse_chunk(&self) -> Bytes {
        self.sse
            .get_or_init(|| {
                // Stored payloads are compact JSON, which never contains a raw newline, so a
                // single `data:` line carries it whole.
                Bytes::from(format!("id: {}\ndata: {}\n\n", self.offset, self.payload()))
            })
            .clone()
    }
}

/// Frames the server sends besides events. Serialised with serde: they are rare and small.
#[derive(Debug, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub(crate) enum ControlFrame<'a> {
    Subscribed {
        session_id: SessionId,
        audience: EventAudience,
        since: Offset,
        head: Offset,
    },
    Replayed {
        session_id: SessionId,
        audience: EventAudience,
        offset: Offset,
    },
    Resync {
        session_id: SessionId,
        audience: EventAudience,
        after: Offset,
    },
    Reload {
        session_id: SessionId,
        audience: EventAudience,
        reason: &'static str,
        message: &'static str,
    },
    Unsubscribed {
        session_id: SessionId,
        #[serde(skip_serializing_if = "Option::is_none")]
        audience: Option<EventAudience>,
    },
    Error {
        code: &'static str,
        message: &'a str,
        #[serde(skip_serializing_if = "Option::is_none")]
        session_id: Option<SessionId>,
    },
    Pong,
}

impl ControlFrame<'_> {
    pub(crate) fn to_text(&self) -> Utf8Bytes {
        // Serialising these plain structs cannot fail; the fallback keeps that an invariant
        // rather than a panic.
        match serde_json::to_string(self) {
            Ok(s) => Utf8Bytes::from(s),
            Err(_) => {
                Utf8Bytes::from_static(r#"{"type":"error","code":"internal","message":"internal error"}"#)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(public: Option<&str>) -> StoredEvent {
        StoredEvent {
            session_id: SessionId(3),
            offset: Offset(42),
            at: 0,
            staff_json: r#"{"type":"question","change":"created"}"#.into(),
            public_json: public.map(str::to_owned),
        }
    }

    #[test]
    fn staff_frame_wraps_the_staff_payload_verbatim() {
        let f = Frame::build(&event(None), EventAudience::Staff).expect("staff sees every event");
        assert_eq!(
            f.ws_text().as_str(),
            r#"{"type":"event","session_id":3,"offset":42,"event":{"type":"question","change":"created"}}"#
        );
        assert_eq!(f.payload(), r#"{"type":"question","change":"created"}"#);
    }

    #[test]
    fn public_frames_exist_only_for_public_events() {
        assert!(Frame::build(&event(None), EventAudience::Public).is_none());
        let f = Frame::build(&event(Some(r#"{"type":"entry","entry":{"id":7}}"#)), EventAudience::Public)
            .expect("public event");
        assert_eq!(
            f.ws_text().as_str(),
            r#"{"type":"event","session_id":3,"offset":42,"event":{"type":"entry","entry":{"id":7}}}"#
        );
        assert_eq!(&f.sse_chunk()[..], b"id: 42\ndata: {\"type\":\"entry\",\"entry\":{\"id\":7}}\n\n");
    }

    #[test]
    fn control_frames_are_tagged_by_type() {
        let t = ControlFrame::Error { code: "forbidden", message: "no", session_id: Some(SessionId(1)) }
            .to_text();
        assert_eq!(t.as_str(), r#"{"type":"error","code":"forbidden","message":"no","session_id":1}"#);
        assert_eq!(ControlFrame::Pong.to_text().as_str(), r#"{"type":"pong"}"#);
    }
}
