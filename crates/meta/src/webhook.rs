//! Meta webhook bodies (`object: page` and `object: instagram`) to domain-facing changes.
//! Strict only about what makes a body unusable; anything else odd becomes `Change::Ignored`.
//!
//! One pass of serde_json over the body fills borrowed, never-failing raw structs (see
//! `lenient`), then each change is converted on its own. A wrong type in one change ignores that
//! change with a reason; it does not cost the rest of a batch of up to 1000. Reasons, notes and
//! errors name fields and JSON types, never comment text, so they can be logged as they are.

use crate::lenient::{ident, utf8, Array, JsonError, JsonKind, Object, Scalar};
use curbside_domain::{Platform, UnixMillis};
use serde::Deserialize;
use thiserror::Error;

/// Why a body cannot be used at all. Worth a 4xx: Meta cannot fix it by retrying.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum WebhookError {
    #[error("body is not valid UTF-8 (first bad byte at offset {valid_up_to})")]
    InvalidUtf8 { valid_up_to: usize },
    #[error("body is not a webhook: {0}")]
    Json(JsonError),
    #[error("body is {found}, expected a JSON object")]
    NotAnObject { found: JsonKind },
    #[error("body has no `{field}`")]
    MissingField { field: &'static str },
    #[error("body field `{field}` is {found}, expected {expected}")]
    WrongType { field: &'static str, expected: &'static str, found: JsonKind },
}

/// One webhook delivery, in body order.
#[derive(Debug, Clone, PartialEq)]
pub struct Notification {
    pub object: WebhookObject,
    /// Every change of every entry, flattened, each with its position. Ignored ones included, so
    /// counts and logs account for the whole body.
    pub changes: Vec<IndexedChange>,
    /// Oddities above the change level (an entry that is not an object, an unknown `object`).
    pub notes: Vec<String>,
}

impl Notification {
    pub fn platform(&self) -> Option<Platform> {
        self.object.platform()
    }

    pub fn ignored_count(&self) -> usize {
        self.changes.iter().filter(|c| matches!(c.change, Change::Ignored { .. })).count()
    }
}

/// The `object` a body is about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WebhookObject {
    Page,
    Instagram,
    /// `user`, `permissions`, … Curbside subscribes to none of them; the name is kept only when it
    /// looks like an identifier.
    Other(String),
}

impl WebhookObject {
    fn parse(s: &str) -> WebhookObject {
        match s {
            "page" => WebhookObject::Page,
            "instagram" => WebhookObject::Instagram,
            other => WebhookObject::Other(ident(other).into_owned()),
        }
    }

    pub fn platform(&self) -> Option<Platform> {
        match self {
            WebhookObject::Page => Some(Platform::Facebook),
            WebhookObject::Instagram => Some(Platform::Instagram),
            WebhookObject::Other(_) => None,
        }
    }
}

/// A change and where it sat in the body.
#[derive(Debug, Clone, PartialEq)]
pub struct IndexedChange {
    /// Position among all changes of the body, from 0.
    pub index: usize,
    /// Position of the enclosing `entry`, from 0.
    pub entry_index: usize,
    pub change: Change,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Change {
    FacebookComment(FacebookComment),
    LiveVideoStatus(LiveVideoStatus),
    InstagramComment(InstagramComment),
    /// Not something Curbside acts on, or not readable. `reason` names fields and types only.
    Ignored {
        reason: String,
    },
}

/// A Page `feed` change with `item: comment`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FacebookComment {
    /// `entry.id`: the Page the webhook is for.
    pub page_id: String,
    pub verb: CommentVerb,
    /// `{object-id}_{comment-id}`; the same string as the REST `id`, so it is the dedupe key.
    pub comment_id: String,
    /// `{page-id}_{post-id}`; for a live video, `{page-id}_{video-id}`.
    pub post_id: String,
    /// Equal to `post_id` for a top-level comment, a comment id for a reply.
    pub parent_id: Option<String>,
    /// `from.id`, else the older `sender_id` (sent as a number).
    pub author_id: Option<String>,
    /// `from.name`, else `sender_name`.
    pub author_name: Option<String>,
    /// Absent on `remove`.
    pub message: Option<String>,
    /// Unix seconds when the comment was written; absent on `remove`.
    pub created_time: Option<i64>,
    /// Unix seconds when Meta sent the notification (`entry.time`).
    pub entry_time: i64,
    /// A `photo` or `video` came with the comment.
    pub has_attachment: bool,
}

impl FacebookComment {
    pub fn is_top_level(&self) -> bool {
        self.parent_id.as_deref().is_none_or(|parent| parent == self.post_id)
    }

    /// The part of `post_id` after the first `_`: the video id when the post is a live video.
    pub fn video_id(&self) -> Option<&str> {
        self.post_id.split_once('_').map(|(_, video)| video).filter(|v| !v.is_empty())
    }

    /// Written by the Page itself, e.g. one of Curbside's own replies: never a question, and
    /// replying to it would start a loop.
    pub fn is_from_page(&self) -> bool {
        self.author_id.as_deref() == Some(self.page_id.as_str())
    }

    /// When the comment was written, else when the notification was sent.
    pub fn created_at_millis(&self) -> UnixMillis {
        self.created_time.unwrap_or(self.entry_time).saturating_mul(1_000)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CommentVerb {
    Add,
    /// `edited`, or `edit` from the reference enum.
    Edited,
    /// `remove`, or `delete` from the reference enum.
    Remove,
    Hide,
    Unhide,
}

impl CommentVerb {
    pub fn parse(verb: &str) -> Option<CommentVerb> {
        match verb {
            "add" => Some(CommentVerb::Add),
            "edited" | "edit" => Some(CommentVerb::Edited),
            "remove" | "delete" => Some(CommentVerb::Remove),
            "hide" => Some(CommentVerb::Hide),
            "unhide" => Some(CommentVerb::Unhide),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            CommentVerb::Add => "add",
            CommentVerb::Edited => "edited",
            CommentVerb::Remove => "remove",
            CommentVerb::Hide => "hide",
            CommentVerb::Unhide => "unhide",
        }
    }
}

/// A Page `live_videos` change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LiveVideoStatus {
    pub page_id: String,
    pub live_video_id: String,
    pub status: LiveStatus,
}

/// Broadcast status. Webhooks send it lowercase, REST uppercase; both parse here.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LiveStatus {
    Live,
    LiveStopped,
    Vod,
    /// Anything else, lowercased (`processing`, `scheduled_live`, …): log it, change nothing.
    Other(String),
}

impl LiveStatus {
    pub fn parse(status: &str) -> LiveStatus {
        let lower = status.trim().to_ascii_lowercase();
        match lower.as_str() {
            "live" => LiveStatus::Live,
            "live_stopped" => LiveStatus::LiveStopped,
            "vod" => LiveStatus::Vod,
            _ => LiveStatus::Other(ident(&lower).into_owned()),
        }
    }

    /// The broadcast has ended: time for a last backfill and to stop polling.
    pub fn has_ended(&self) -> bool {
        matches!(self, LiveStatus::LiveStopped | LiveStatus::Vod)
    }
}

/// An Instagram `comments` or `live_comments` change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InstagramComment {
    /// `entry.id`: the professional account (`"0"` in dashboard test samples).
    pub account_id: String,
    pub field: IgField,
    /// `value.id`, else `value.comment_id` (one Meta page shows that key).
    pub comment_id: String,
    pub author_id: Option<String>,
    pub username: Option<String>,
    pub text: String,
    pub media_id: Option<String>,
    pub parent_id: Option<String>,
    /// Unix seconds when Meta sent the notification; the value carries no timestamp of its own.
    pub entry_time: i64,
}

impl InstagramComment {
    pub fn is_from_account(&self) -> bool {
        self.author_id.as_deref() == Some(self.account_id.as_str())
    }

    pub fn created_at_millis(&self) -> UnixMillis {
        self.entry_time.saturating_mul(1_000)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IgField {
    LiveComments,
    Comments,
}

/// Parses one webhook body. See the module docs for what is an error and what is ignored.
pub fn parse_notification(body: &[u8]) -> Result<Notification, WebhookError> {
    let text = utf8(body).map_err(|e| WebhookError::InvalidUtf8 { valid_up_to: e.valid_up_to() })?;
    let raw: Object<RawEnvelope<'_>> =
        serde_json::from_str(text).map_err(|e| WebhookError::Json(JsonError::from_serde(&e)))?;
    let raw = match raw {
        Object::Present(raw) => raw,
        Object::Null => return Err(WebhookError::NotAnObject { found: JsonKind::Null }),
        Object::Wrong(found) => return Err(WebhookError::NotAnObject { found }),
        // serde_json refuses an empty document before we get here.
        Object::Absent => return Err(WebhookError::MissingField { field: "object" }),
    };
    let object = match &raw.object {
        Scalar::Str(s) => WebhookObject::parse(s),
        Scalar::Absent | Scalar::Null => return Err(WebhookError::MissingField { field: "object" }),
        other => {
            return Err(WebhookError::WrongType {
                field: "object",
                expected: "a string",
                found: other.kind(),
            })
        }
    };
    let entries = match raw.entry {
        Array::Present(entries) => entries,
        Array::Absent | Array::Null => return Err(WebhookError::MissingField { field: "entry" }),
        Array::Wrong(found) => {
            return Err(WebhookError::WrongType { field: "entry", expected: "an array", found })
        }
    };

    let mut notification = Notification { object, changes: Vec::new(), notes: Vec::new() };
    if let WebhookObject::Other(name) = &notification.object {
        notification.notes.push(format!("object `{name}` is not handled; {} entries ignored", entries.len()));
        return Ok(notification);
    }

    for (entry_index, entry) in entries.into_iter().enumerate() {
        let entry = match entry {
            Object::Present(entry) => entry,
            Object::Absent | Object::Null => {
                notification.notes.push(format!("entry {entry_index} is null; skipped"));
                continue;
            }
            Object::Wrong(kind) => {
                notification.notes.push(format!("entry {entry_index} is {kind}, not an object; skipped"));
                continue;
            }
        };
        let context = EntryContext::read(&entry);
        match entry.changes {
            Array::Present(changes) => {
                for change in changes {
                    let change = match &context {
                        Ok(context) => convert(&notification.object, context, change),
                        Err(reason) => Err(reason.clone()),
                    };
                    notification
                        .push(entry_index, change.unwrap_or_else(|reason| Change::Ignored { reason }));
                }
            }
            Array::Wrong(kind) => notification
                .notes
                .push(format!("entry {entry_index}: `changes` is {kind}, not an array; skipped")),
            Array::Absent | Array::Null => match entry.changed_fields {
                // Include Values is off: Meta says which field changed but not how.
                Array::Present(fields) if !fields.is_empty() => {
                    for field in fields {
                        let name = match &field {
                            Scalar::Str(s) => ident(s).into_owned(),
                            other => other.kind().to_string(),
                        };
                        let reason = format!(
                            "field `{name}` arrived without a value: turn on Include Values for this \
                             webhook subscription in the App Dashboard"
                        );
                        notification.push(entry_index, Change::Ignored { reason });
                    }
                }
                _ => notification.notes.push(format!("entry {entry_index} has no changes")),
            },
        }
    }
    Ok(notification)
}

impl Notification {
    fn push(&mut self, entry_index: usize, change: Change) {
        let index = self.changes.len();
        self.changes.push(IndexedChange { index, entry_index, change });
    }
}

struct EntryContext {
    id: String,
    time: i64,
}

impl EntryContext {
    /// Every change of an entry needs its id and time; if they are unusable, so are its changes.
    fn read(entry: &RawEntry<'_>) -> Result<EntryContext, String> {
        let id = entry.id.id("entry.id")?.ok_or_else(|| "`entry.id` is missing".to_owned())?;
        let time = entry.time.int("entry.time")?.ok_or_else(|| "`entry.time` is missing".to_owned())?;
        Ok(EntryContext { id, time })
    }
}

fn convert(
    object: &WebhookObject,
    entry: &EntryContext,
    change: Object<RawChange<'_>>,
) -> Result<Change, String> {
    let change = change.required("change")?;
    let field = change.field.required_text("field")?;
    match (object, field) {
        (WebhookObject::Page, "feed") => feed_change(entry, change.value.required("value")?),
        (WebhookObject::Page, "live_videos") => live_video_change(entry, change.value.required("value")?),
        (WebhookObject::Instagram, "comments") => {
            instagram_comment(entry, IgField::Comments, change.value.required("value")?)
        }
        (WebhookObject::Instagram, "live_comments") => {
            instagram_comment(entry, IgField::LiveComments, change.value.required("value")?)
        }
        (WebhookObject::Page, other) => Err(format!("page field `{}` is not handled", ident(other))),
        (_, other) => Err(format!("instagram field `{}` is not handled", ident(other))),
    }
}

fn feed_change(entry: &EntryContext, v: RawValue<'_>) -> Result<Change, String> {
    let item = v.item.required_text("item")?;
    if item != "comment" {
        return Err(format!("feed item `{}` is not a comment", ident(item)));
    }
    let verb_text = v.verb.required_text("verb")?;
    let verb = CommentVerb::parse(verb_text)
        .ok_or_else(|| format!("comment verb `{}` is not handled", ident(verb_text)))?;
    let comment_id = v.comment_id.required_text("comment_id")?.to_owned();
    let post_id = v.post_id.required_text("post_id")?.to_owned();
    let parent_id = v.parent_id.text("parent_id")?.filter(|p| !p.is_empty()).map(str::to_owned);

    // Newer payloads carry `from{id,name}`; v2.5-era ones `sender_id` (a number) and `sender_name`.
    let from = v.from.optional("from")?.unwrap_or_default();
    let author_id = match from.id.id("from.id")? {
        Some(id) => Some(id),
        None => v.sender_id.id("sender_id")?,
    };
    let author_name = match from.name.text("from.name")? {
        Some(name) => Some(name.to_owned()),
        None => v.sender_name.text("sender_name")?.map(str::to_owned),
    };

    Ok(Change::FacebookComment(FacebookComment {
        page_id: entry.id.clone(),
        verb,
        comment_id,
        post_id,
        parent_id,
        author_id,
        author_name,
        message: v.message.text("message")?.map(str::to_owned),
        created_time: v.created_time.int("created_time")?,
        entry_time: entry.time,
        has_attachment: !v.photo.is_missing() || !v.video.is_missing(),
    }))
}

fn live_video_change(entry: &EntryContext, v: RawValue<'_>) -> Result<Change, String> {
    let live_video_id = v.id.id("id")?.ok_or_else(|| "`id` is missing".to_owned())?;
    let status = v.status.required_text("status")?;
    Ok(Change::LiveVideoStatus(LiveVideoStatus {
        page_id: entry.id.clone(),
        live_video_id,
        status: LiveStatus::parse(status),
    }))
}

fn instagram_comment(entry: &EntryContext, field: IgField, v: RawValue<'_>) -> Result<Change, String> {
    // The reference and the dashboard sample use `id`; one Meta examples page uses `comment_id`.
    let comment_id =
        if v.id.is_missing() { v.comment_id.required_text("comment_id")? } else { v.id.required_text("id")? }
            .to_owned();
    let text = match v.text.text("text")? {
        Some(text) => text.to_owned(),
        None => return Err("`text` is missing".to_owned()),
    };
    let from = v.from.optional("from")?.unwrap_or_default();
    let media = v.media.optional("media")?.unwrap_or_default();
    Ok(Change::InstagramComment(InstagramComment {
        account_id: entry.id.clone(),
        field,
        comment_id,
        author_id: from.id.id("from.id")?,
        username: from.username.text("from.username")?.map(str::to_owned),
        text,
        media_id: media.id.id("media.id")?,
        parent_id: v.parent_id.text("parent_id")?.filter(|p| !p.is_empty()).map(str::to_owned),
        entry_time: entry.time,
    }))
}

// Raw shapes: every field we read, typed leniently and borrowed from the body where possible.
// Unknown fields are skipped by serde without being decoded.

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct RawEnvelope<'a> {
    #[serde(borrow)]
    object: Scalar<'a>,
    #[serde(borrow)]
    entry: Array<Object<RawEntry<'a>>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct RawEntry<'a> {
    #[serde(borrow)]
    id: Scalar<'a>,
    #[serde(borrow)]
    time: Scalar<'a>,
    #[serde(borrow)]
    changes: Array<Object<RawChange<'a>>>,
    #[serde(borrow)]
    changed_fields: Array<Scalar<'a>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct RawChange<'a> {
    #[serde(borrow)]
    field: Scalar<'a>,
    #[serde(borrow)]
    value: Object<RawValue<'a>>,
}

/// The union of the `value` shapes we read: Page `feed`, Page `live_videos`, Instagram comments.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct RawValue<'a> {
    #[serde(borrow)]
    item: Scalar<'a>,
    #[serde(borrow)]
    verb: Scalar<'a>,
    #[serde(borrow)]
    comment_id: Scalar<'a>,
    #[serde(borrow)]
    post_id: Scalar<'a>,
    #[serde(borrow)]
    parent_id: Scalar<'a>,
    #[serde(borrow)]
    from: Object<RawActor<'a>>,
    #[serde(borrow)]
    sender_id: Scalar<'a>,
    #[serde(borrow)]
    sender_name: Scalar<'a>,
    #[serde(borrow)]
    message: Scalar<'a>,
    #[serde(borrow)]
    created_time: Scalar<'a>,
    #[serde(borrow)]
    photo: Scalar<'a>,
    #[serde(borrow)]
    video: Scalar<'a>,
    #[serde(borrow)]
    id: Scalar<'a>,
    #[serde(borrow)]
    status: Scalar<'a>,
    #[serde(borrow)]
    text: Scalar<'a>,
    #[serde(borrow)]
    media: Object<RawRef<'a>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct RawActor<'a> {
    #[serde(borrow)]
    id: Scalar<'a>,
    #[serde(borrow)]
    name: Scalar<'a>,
    #[serde(borrow)]
    username: Scalar<'a>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct RawRef<'a> {
    #[serde(borrow)]
    id: Scalar<'a>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(body: &str) -> Notification {
        match parse_notification(body.as_bytes()) {
            Ok(n) => n,
            Err(e) => panic!("body refused: {e}"),
        }
    }

    /// A Page body with one `feed` change whose value is `value` (a JSON object's inside).
    fn feed(value: &str) -> String {
        format!(
            r#"{{"object":"page","entry":[{{"id":"111","time":1700000000,"changes":[{{"field":"feed","value":{{{value}}}}}]}}]}}"#
        )
    }

    fn only_change(n: &Notification) -> &Change {
        assert_eq!(n.changes.len(), 1, "{n:?}");
        &n.changes[0].change
    }

    fn ignored_reason(n: &Notification) -> &str {
        match only_change(n) {
            Change::Ignored { reason } => reason,
            other => panic!("expected Ignored, got {other:?}"),
        }
    }

    fn fb_comment(n: &Notification) -> &FacebookComment {
        match only_change(n) {
            Change::FacebookComment(c) => c,
            other => panic!("expected a Facebook comment, got {other:?}"),
        }
    }

    const COMMENT: &str = r#""item":"comment","verb":"add","comment_id":"222_333","post_id":"111_222","parent_id":"111_222","from":{"id":"9","name":"Ann"},"created_time":1700000000,"message":"Is it safe?""#;

    #[test]
    fn a_top_level_comment_on_a_live_video_maps_every_field() {
        let n = parse(&feed(COMMENT));
        assert_eq!(n.object, WebhookObject::Page);
        assert_eq!(n.platform(), Some(Platform::Facebook));
        let c = fb_comment(&n);
        assert_eq!(
            c,
            &FacebookComment {
                page_id: "111".into(),
                verb: CommentVerb::Add,
                comment_id: "222_333".into(),
                post_id: "111_222".into(),
                parent_id: Some("111_222".into()),
                author_id: Some("9".into()),
                author_name: Some("Ann".into()),
                message: Some("Is it safe?".into()),
                created_time: Some(1_700_000_000),
                entry_time: 1_700_000_000,
                has_attachment: false,
            }
        );
        assert!(c.is_top_level());
        assert_eq!(c.video_id(), Some("222"));
        assert!(!c.is_from_page());
        assert_eq!(c.created_at_millis(), 1_700_000_000_000);
    }

    #[test]
    fn a_reply_has_a_comment_as_its_parent_and_is_not_top_level() {
        let n = parse(&feed(&COMMENT.replace(r#""parent_id":"111_222""#, r#""parent_id":"222_300""#)));
        assert!(!fb_comment(&n).is_top_level());
    }

    #[test]
    fn a_comment_without_parent_id_is_top_level() {
        let n = parse(&feed(&COMMENT.replace(r#""parent_id":"111_222","#, "")));
        assert!(fb_comment(&n).is_top_level());
    }

    #[test]
    fn a_comment_by_the_page_itself_is_recognised() {
        let n = parse(&feed(&COMMENT.replace(r#""id":"9""#, r#""id":"111""#)));
        assert!(fb_comment(&n).is_from_page());
    }

    #[test]
    fn reference_enum_verbs_edit_and_delete_are_accepted() {
        for (verb, want) in [
            ("add", CommentVerb::Add),
            ("edited", CommentVerb::Edited),
            ("edit", CommentVerb::Edited),
            ("remove", CommentVerb::Remove),
            ("delete", CommentVerb::Remove),
            ("hide", CommentVerb::Hide),
            ("unhide", CommentVerb::Unhide),
        ] {
            let n = parse(&feed(&COMMENT.replace(r#""verb":"add""#, &format!(r#""verb":"{verb}""#))));
            assert_eq!(fb_comment(&n).verb, want, "{verb}");
        }
    }

    #[test]
    fn other_comment_verbs_are_ignored_by_name() {
        let n = parse(&feed(&COMMENT.replace(r#""verb":"add""#, r#""verb":"block""#)));
        assert_eq!(ignored_reason(&n), "comment verb `block` is not handled");
    }

    #[test]
    fn a_sender_id_as_a_number_or_a_string_becomes_the_author() {
        for sender in [r#""sender_id":1234567890321"#, r#""sender_id":"1234567890321""#] {
            let value = COMMENT
                .replace(r#""from":{"id":"9","name":"Ann"}"#, &format!(r#"{sender},"sender_name":"Old""#));
            let n = parse(&feed(&value));
            let c = fb_comment(&n);
            assert_eq!(c.author_id.as_deref(), Some("1234567890321"));
            assert_eq!(c.author_name.as_deref(), Some("Old"));
        }
    }

    #[test]
    fn live_video_status_is_read_case_insensitively() {
        for (status, want) in [
            ("live", LiveStatus::Live),
            ("LIVE", LiveStatus::Live),
            ("live_stopped", LiveStatus::LiveStopped),
            ("Live_Stopped", LiveStatus::LiveStopped),
            ("vod", LiveStatus::Vod),
            ("PROCESSING", LiveStatus::Other("processing".into())),
        ] {
            let body = format!(
                r#"{{"object":"page","entry":[{{"id":"25604775729","time":1592224440,"changes":[{{"value":{{"id":"10159659015335730","status":"{status}"}},"field":"live_videos"}}]}}]}}"#
            );
            let n = parse(&body);
            assert_eq!(
                only_change(&n),
                &Change::LiveVideoStatus(LiveVideoStatus {
                    page_id: "25604775729".into(),
                    live_video_id: "10159659015335730".into(),
                    status: want,
                }),
                "{status}"
            );
        }
        assert!(LiveStatus::Vod.has_ended() && LiveStatus::LiveStopped.has_ended());
        assert!(!LiveStatus::Live.has_ended());
    }

    #[test]
    fn an_unknown_object_gives_no_changes_and_a_note() {
        // Meta's documented envelope example.
        let n = parse(
            r#"{"entry":[{"time":1520383571,"changes":[{"field":"photos","value":{"verb":"update","object_id":"10211885744794461"}}],"id":"10210299214172187","uid":"10210299214172187"}],"object":"user"}"#,
        );
        assert_eq!(n.object, WebhookObject::Other("user".into()));
        assert_eq!(n.platform(), None);
        assert!(n.changes.is_empty());
        assert_eq!(n.notes, vec!["object `user` is not handled; 1 entries ignored".to_owned()]);
    }

    #[test]
    fn changed_fields_without_values_ask_for_include_values() {
        let n = parse(
            r#"{"object":"page","entry":[{"id":"1","time":2,"changed_fields":["feed","live_videos"]}]}"#,
        );
        assert_eq!(n.changes.len(), 2);
        assert_eq!(n.ignored_count(), 2);
        for c in &n.changes {
            let Change::Ignored { reason } = &c.change else { panic!("{c:?}") };
            assert!(reason.contains("Include Values"), "{reason}");
        }
    }

    #[test]
    fn changes_are_indexed_across_entries_in_body_order() {
        let body = r#"{"object":"page","entry":[
            {"id":"1","time":2,"changes":[{"field":"feed","value":{"item":"like"}},{"field":"x"}]},
            {"id":"1","time":3,"changes":[{"field":"y"}]}]}"#;
        let n = parse(body);
        let positions: Vec<_> = n.changes.iter().map(|c| (c.index, c.entry_index)).collect();
        assert_eq!(positions, vec![(0, 0), (1, 0), (2, 1)]);
    }

    #[test]
    fn an_entry_that_is_not_an_object_is_noted_and_the_others_kept() {
        let body = feed(COMMENT).replace(r#""entry":["#, r#""entry":[42,null,"#);
        let n = parse(&body);
        assert_eq!(n.changes.len(), 1);
        assert!(matches!(n.changes[0].change, Change::FacebookComment(_)));
        assert_eq!(n.changes[0].entry_index, 2);
        assert_eq!(
            n.notes,
            vec![
                "entry 0 is a number, not an object; skipped".to_owned(),
                "entry 1 is null; skipped".to_owned()
            ]
        );
    }

    #[test]
    fn an_entry_without_a_usable_time_ignores_its_changes() {
        let n = parse(&feed(COMMENT).replace(r#""time":1700000000"#, r#""time":"soon""#));
        assert_eq!(ignored_reason(&n), "`entry.time` is a string, expected a whole number");
    }

    #[test]
    fn wrong_types_inside_a_change_ignore_that_change_only() {
        let cases = [
            (
                r#""comment_id":"222_333""#,
                r#""comment_id":222333"#,
                "`comment_id` is a number, expected a string",
            ),
            (r#""comment_id":"222_333""#, r#""comment_id":"""#, "`comment_id` is empty"),
            (r#""post_id":"111_222","#, "", "`post_id` is missing"),
            (
                r#""from":{"id":"9","name":"Ann"}"#,
                r#""from":"Ann""#,
                "`from` is a string, expected an object",
            ),
            (
                r#""from":{"id":"9","name":"Ann"}"#,
                r#""from":{"id":true}"#,
                "`from.id` is a boolean, expected an id",
            ),
            (
                r#""message":"Is it safe?""#,
                r#""message":["Is it safe?"]"#,
                "`message` is an array, expected a string",
            ),
            (
                r#""created_time":1700000000"#,
                r#""created_time":99999999999999999999999"#,
                "`created_time` is a fractional or out-of-range number",
            ),
            (
                r#""created_time":1700000000"#,
                r#""created_time":18446744073709551615"#,
                "`created_time` is a number out of range",
            ),
            (
                r#""created_time":1700000000"#,
                r#""created_time":1.5"#,
                "`created_time` is a fractional or out-of-range number",
            ),
        ];
        for (from, to, want) in cases {
            let value = COMMENT.replace(from, to);
            assert_ne!(value, COMMENT, "replacement {from} did not apply");
            let body = format!(
                r#"{{"object":"page","entry":[{{"id":"111","time":1,"changes":[{{"field":"feed","value":{{{value}}}}},{{"field":"feed","value":{{{COMMENT}}}}}]}}]}}"#
            );
            let n = parse(&body);
            assert_eq!(n.changes.len(), 2);
            assert_eq!(n.changes[0].change, Change::Ignored { reason: want.to_owned() }, "{to}");
            assert!(matches!(n.changes[1].change, Change::FacebookComment(_)));
        }
    }

    #[test]
    fn an_id_too_large_for_64_bits_is_refused_not_rounded() {
        let value = COMMENT
            .replace(r#""from":{"id":"9","name":"Ann"}"#, r#""sender_id":123456789012345678901234567890"#);
        let n = parse(&feed(&value));
        assert_eq!(ignored_reason(&n), "`sender_id` is a negative, fractional or out-of-range number");
    }

    #[test]
    fn free_text_in_a_verb_never_reaches_a_reason() {
        let n = parse(&feed(&COMMENT.replace(r#""verb":"add""#, r#""verb":"my chest hurts""#)));
        let reason = ignored_reason(&n);
        assert!(!reason.contains("chest"), "{reason}");
    }

    #[test]
    fn instagram_comment_id_falls_back_to_comment_id() {
        let body = r#"{"object":"instagram","entry":[{"id":"17841400000000000","time":1767225600,"changes":[{"field":"comments","value":{"comment_id":"17865799348089039","text":"hi"}}]}]}"#;
        let n = parse(body);
        let Change::InstagramComment(c) = only_change(&n) else { panic!("{n:?}") };
        assert_eq!(c.comment_id, "17865799348089039");
        assert_eq!(c.created_at_millis(), 1_767_225_600_000);
    }

    #[test]
    fn instagram_comment_without_text_or_id_is_ignored() {
        let no_text = r#"{"object":"instagram","entry":[{"id":"1","time":1,"changes":[{"field":"live_comments","value":{"id":"5"}}]}]}"#;
        assert_eq!(ignored_reason(&parse(no_text)), "`text` is missing");
        let no_id = r#"{"object":"instagram","entry":[{"id":"1","time":1,"changes":[{"field":"live_comments","value":{"text":"x"}}]}]}"#;
        assert_eq!(ignored_reason(&parse(no_id)), "`comment_id` is missing");
        let numeric_id = r#"{"object":"instagram","entry":[{"id":"1","time":1,"changes":[{"field":"live_comments","value":{"id":5,"text":"x"}}]}]}"#;
        assert_eq!(ignored_reason(&parse(numeric_id)), "`id` is a number, expected a string");
    }

    #[test]
    fn a_page_field_sent_for_instagram_is_ignored() {
        let body = r#"{"object":"instagram","entry":[{"id":"1","time":1,"changes":[{"field":"feed","value":{"item":"comment"}}]}]}"#;
        assert_eq!(ignored_reason(&parse(body)), "instagram field `feed` is not handled");
    }

    fn refused(body: &[u8]) -> WebhookError {
        match parse_notification(body) {
            Ok(n) => panic!("accepted: {n:?}"),
            Err(e) => e,
        }
    }

    #[test]
    fn unusable_bodies_are_errors() {
        assert_eq!(
            refused(b"{\"object\":\"page\",\"entry\":[\xff]}"),
            WebhookError::InvalidUtf8 { valid_up_to: 26 }
        );
        assert!(matches!(
            refused(b""),
            WebhookError::Json(JsonError { kind: crate::JsonErrorKind::Truncated, .. })
        ));
        assert!(matches!(refused(br#"{"object":"page","entry":[{"id":"1""#), WebhookError::Json(_)));
        assert!(matches!(refused(br#"{"object":"page","entry":[]} trailing"#), WebhookError::Json(_)));
        assert!(matches!(refused(br#"{"object":"page","entry":[],}"#), WebhookError::Json(_)));
        assert_eq!(refused(b"[]"), WebhookError::NotAnObject { found: JsonKind::Array });
        assert_eq!(refused(b"null"), WebhookError::NotAnObject { found: JsonKind::Null });
        assert_eq!(refused(br#""page""#), WebhookError::NotAnObject { found: JsonKind::String });
        assert_eq!(refused(br#"{"entry":[]}"#), WebhookError::MissingField { field: "object" });
        assert_eq!(refused(br#"{"object":"page"}"#), WebhookError::MissingField { field: "entry" });
        assert_eq!(
            refused(br#"{"object":7,"entry":[]}"#),
            WebhookError::WrongType { field: "object", expected: "a string", found: JsonKind::Number }
        );
        assert_eq!(
            refused(br#"{"object":"page","entry":{"id":"1"}}"#),
            WebhookError::WrongType { field: "entry", expected: "an array", found: JsonKind::Object }
        );
    }

    #[test]
    fn a_number_beyond_f64_range_is_a_json_error_not_a_panic() {
        let body = feed(COMMENT).replace("1700000000,\"message\"", "1e400,\"message\"");
        assert!(matches!(refused(body.as_bytes()), WebhookError::Json(_)));
    }

    #[test]
    fn deep_nesting_neither_overflows_the_stack_nor_costs_the_change() {
        // serde_json skips unmodelled values iteratively, so depth there is harmless; it is the
        // recursion limit on modelled values that keeps a hostile body from blowing the stack.
        let nested = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
        let n = parse(&feed(&format!(r#"{COMMENT},"post":{nested}"#)));
        assert!(matches!(only_change(&n), Change::FacebookComment(_)));
        let n = parse(&feed(&COMMENT.replace(r#""Is it safe?""#, &nested)));
        assert_eq!(ignored_reason(&n), "`message` is an array, expected a string");
        assert_eq!(refused(nested.as_bytes()), WebhookError::NotAnObject { found: JsonKind::Array });
    }

    #[test]
    fn error_messages_never_quote_the_body() {
        let duplicate = feed(&format!(r#"{COMMENT},"message":"my diagnosis""#));
        let err = refused(duplicate.as_bytes());
        assert!(
            matches!(err, WebhookError::Json(JsonError { kind: crate::JsonErrorKind::Shape, .. })),
            "{err:?}"
        );
        assert!(!err.to_string().contains("diagnosis"), "{err}");
        let truncated = refused(&duplicate.as_bytes()[..duplicate.len() - 20]);
        assert!(!truncated.to_string().contains("diagnosis"), "{truncated}");
    }

    #[test]
    fn a_batch_of_a_thousand_changes_keeps_every_one() {
        let change = format!(r#"{{"field":"feed","value":{{{COMMENT}}}}}"#);
        let changes = vec![change.as_str(); 1000].join(",");
        let body = format!(r#"{{"object":"page","entry":[{{"id":"111","time":1,"changes":[{changes}]}}]}}"#);
        let n = parse(&body);
        assert_eq!(n.changes.len(), 1000);
        assert_eq!(n.ignored_count(), 0);
        assert_eq!(n.changes[999].index, 999);
    }
}
