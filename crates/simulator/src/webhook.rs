//! Meta webhook bodies in their exact delivered shapes, and a sender that signs and posts them
//! to Curbside's `POST /webhooks/meta` the way Meta does.
//!
//! Shapes follow `../shared/reference/meta-graph-api.md` §2.5, §2.6 and §4.3: Facebook `feed`
//! comments in the modern `from{id,name}` form, the 2025 form with an embedded `post`, and the
//! v2.5-era `sender_id` (a number) / `sender_name` form; `live_videos` statuses in lowercase;
//! Instagram `live_comments` / `comments` with `id` (or the `comment_id` variant). Bodies are
//! serialised with Meta's escaping (`\u00e9`, `\/`) and signed over exactly those bytes.

use crate::json::to_meta_bytes;
use crate::time::graph_timestamp;
use bytes::Bytes;
use curbside_meta::{sign_body, SIGNATURE_HEADER};
use reqwest::StatusCode;
use serde::Serialize;
use std::time::{Duration, Instant};
use url::Url;

pub use curbside_meta::{CommentVerb, IgField, WebhookObject};

/// Meta batches at most this many changes into one delivery.
pub const MAX_BATCH: usize = 1000;

/// How a `feed` comment names its author.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum AuthorForm {
    /// `from{id,name}`, the current form.
    #[default]
    From,
    /// `from{id,name}` plus the embedded `post{…}` object of 2025 deliveries.
    FromWithPost,
    /// v2.5-era `sender_id` (a JSON number) and `sender_name`.
    SenderId,
}

/// A Page `feed` change with `item: comment`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeedComment {
    pub verb: CommentVerb,
    /// `{object-id}_{comment-id}`, the same string as the REST `id`.
    pub comment_id: String,
    /// `{page-id}_{video-id}` for a live video.
    pub post_id: String,
    /// `post_id` for a top-level comment, the parent comment's id for a reply.
    pub parent_id: String,
    pub author_id: String,
    pub author_name: String,
    /// Absent on `remove`.
    pub message: Option<String>,
    /// Unix seconds; absent on `remove`.
    pub created_time: Option<i64>,
    pub form: AuthorForm,
}

impl FeedComment {
    /// A new top-level comment (`verb: add`).
    pub fn add(
        post_id: impl Into<String>,
        comment_id: impl Into<String>,
        author_id: impl Into<String>,
        author_name: impl Into<String>,
        message: impl Into<String>,
        created_time: i64,
    ) -> FeedComment {
        let post_id = post_id.into();
        FeedComment {
            verb: CommentVerb::Add,
            comment_id: comment_id.into(),
            parent_id: post_id.clone(),
            post_id,
            author_id: author_id.into(),
            author_name: author_name.into(),
            message: Some(message.into()),
            created_time: Some(created_time),
            form: AuthorForm::From,
        }
    }

    /// Makes this a reply to the comment `parent_comment_id`.
    pub fn reply_to(mut self, parent_comment_id: impl Into<String>) -> FeedComment {
        self.parent_id = parent_comment_id.into();
        self
    }

    /// The same comment under another verb. `remove` drops `message` and `created_time`, as Meta's
    /// remove deliveries carry neither; `edited` keeps them (pass the new text with `with_message`).
    pub fn with_verb(mut self, verb: CommentVerb) -> FeedComment {
        self.verb = verb;
        if verb == CommentVerb::Remove {
            self.message = None;
            self.created_time = None;
        }
        self
    }

    pub fn with_message(mut self, message: impl Into<String>) -> FeedComment {
        self.message = Some(message.into());
        self
    }

    pub fn with_form(mut self, form: AuthorForm) -> FeedComment {
        self.form = form;
        self
    }
}

/// Which key carries an Instagram comment's id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum IgIdKey {
    /// `id`: the reference, the dashboard sample and restfb.
    #[default]
    Id,
    /// `comment_id`: Meta's Facebook-Login examples page.
    CommentId,
}

/// An Instagram `live_comments` or `comments` change value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IgComment {
    pub field: IgField,
    pub id: String,
    pub text: String,
    pub from_id: String,
    pub username: String,
    /// Defaults to `from_id`, as in Meta's sample.
    pub self_ig_scoped_id: Option<String>,
    pub media_id: String,
    /// `LIVE` for live media, `FEED` for posts.
    pub media_product_type: String,
    pub parent_id: Option<String>,
    pub id_key: IgIdKey,
}

impl IgComment {
    /// A comment on live media (`field: live_comments`, `media_product_type: LIVE`).
    pub fn live(
        media_id: impl Into<String>,
        id: impl Into<String>,
        from_id: impl Into<String>,
        username: impl Into<String>,
        text: impl Into<String>,
    ) -> IgComment {
        let from_id = from_id.into();
        IgComment {
            field: IgField::LiveComments,
            id: id.into(),
            text: text.into(),
            self_ig_scoped_id: Some(from_id.clone()),
            from_id,
            username: username.into(),
            media_id: media_id.into(),
            media_product_type: "LIVE".into(),
            parent_id: None,
            id_key: IgIdKey::Id,
        }
    }

    /// The same comment delivered under the `comments` field (feed media uses `FEED`).
    pub fn as_feed_comment(mut self) -> IgComment {
        self.field = IgField::Comments;
        self.media_product_type = "FEED".into();
        self
    }

    pub fn reply_to(mut self, parent_id: impl Into<String>) -> IgComment {
        self.parent_id = Some(parent_id.into());
        self
    }

    pub fn with_id_key(mut self, key: IgIdKey) -> IgComment {
        self.id_key = key;
        self
    }
}

/// One `changes[]` item.
#[derive(Debug, Clone, PartialEq)]
pub enum WebhookChange {
    Feed(FeedComment),
    /// `live_videos`: `value.id` is the live video id, `status` lowercase (`live`, `live_stopped`, `vod`).
    LiveVideo {
        live_video_id: String,
        status: String,
    },
    Instagram(IgComment),
    /// Any other field and value, sent as given (`feed` items other than comments, unknown fields).
    Raw {
        field: String,
        value: serde_json::Value,
    },
}

impl WebhookChange {
    pub fn live_video_status(live_video_id: impl Into<String>, status: impl Into<String>) -> WebhookChange {
        WebhookChange::LiveVideo { live_video_id: live_video_id.into(), status: status.into() }
    }
}

/// One `entry[]` item: the Page or Instagram account, Meta's send time, its changes.
#[derive(Debug, Clone, PartialEq)]
pub struct WebhookEntry {
    pub id: String,
    /// Unix seconds when the notification was sent.
    pub time: i64,
    pub changes: Vec<WebhookChange>,
}

/// A whole delivery.
#[derive(Debug, Clone, PartialEq)]
pub struct WebhookBody {
    pub object: WebhookObject,
    pub entries: Vec<WebhookEntry>,
}

impl WebhookBody {
    pub fn new(object: WebhookObject) -> WebhookBody {
        WebhookBody { object, entries: Vec::new() }
    }

    /// `object: page`.
    pub fn page() -> WebhookBody {
        WebhookBody::new(WebhookObject::Page)
    }

    /// `object: instagram`.
    pub fn instagram() -> WebhookBody {
        WebhookBody::new(WebhookObject::Instagram)
    }

    /// Adds a whole entry.
    pub fn with_entry(
        mut self,
        id: impl Into<String>,
        time: i64,
        changes: Vec<WebhookChange>,
    ) -> WebhookBody {
        self.entries.push(WebhookEntry { id: id.into(), time, changes });
        self
    }

    /// Adds a change to the last entry when it has the same id and time, else to a new entry.
    pub fn push(&mut self, entry_id: &str, time: i64, change: WebhookChange) {
        match self.entries.last_mut() {
            Some(last) if last.id == entry_id && last.time == time => last.changes.push(change),
            _ => self.entries.push(WebhookEntry { id: entry_id.to_owned(), time, changes: vec![change] }),
        }
    }

    pub fn change_count(&self) -> usize {
        self.entries.iter().map(|e| e.changes.len()).sum()
    }

    pub fn is_empty(&self) -> bool {
        self.change_count() == 0
    }

    /// Splits into deliveries of at most `max_changes` changes (at least 1), entries cut where
    /// needed, order kept. Meta never sends more than [`MAX_BATCH`].
    pub fn split(self, max_changes: usize) -> Vec<WebhookBody> {
        let max = max_changes.max(1);
        let mut bodies = Vec::new();
        let mut current = WebhookBody::new(self.object.clone());
        let mut count = 0;
        for entry in self.entries {
            let mut part = WebhookEntry { id: entry.id.clone(), time: entry.time, changes: Vec::new() };
            for change in entry.changes {
                if count == max {
                    if !part.changes.is_empty() {
                        let next = WebhookEntry { id: part.id.clone(), time: part.time, changes: Vec::new() };
                        current.entries.push(std::mem::replace(&mut part, next));
                    }
                    bodies.push(std::mem::replace(&mut current, WebhookBody::new(self.object.clone())));
                    count = 0;
                }
                part.changes.push(change);
                count += 1;
            }
            if !part.changes.is_empty() {
                current.entries.push(part);
            }
        }
        if !current.entries.is_empty() {
            bodies.push(current);
        }
        bodies
    }

    /// The body as Meta would send it (escaped non-ASCII and slashes). Sign these exact bytes.
    pub fn to_bytes(&self) -> Vec<u8> {
        to_meta_bytes(&BodyOut::from(self))
    }
}

// Wire shapes, in the key order of the documented captures.

#[derive(Serialize)]
struct BodyOut<'a> {
    object: &'a str,
    entry: Vec<EntryOut<'a>>,
}

#[derive(Serialize)]
struct EntryOut<'a> {
    id: &'a str,
    time: i64,
    changes: Vec<ChangeOut<'a>>,
}

#[derive(Serialize)]
struct ChangeOut<'a> {
    value: ValueOut<'a>,
    field: &'a str,
}

#[derive(Serialize)]
#[serde(untagged)]
enum ValueOut<'a> {
    Feed(FeedOut<'a>),
    Live(LiveOut<'a>),
    Ig(IgOut<'a>),
    Raw(&'a serde_json::Value),
}

#[derive(Serialize)]
struct FeedOut<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    from: Option<NameRef<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    post: Option<PostOut<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    message: Option<&'a str>,
    post_id: &'a str,
    comment_id: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    created_time: Option<i64>,
    item: &'static str,
    parent_id: &'a str,
    verb: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    sender_id: Option<NumericId<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    sender_name: Option<&'a str>,
}

#[derive(Serialize)]
struct NameRef<'a> {
    id: &'a str,
    name: &'a str,
}

#[derive(Serialize)]
struct PostOut<'a> {
    status_type: &'static str,
    is_published: bool,
    updated_time: String,
    promotion_status: &'static str,
    id: &'a str,
}

/// Old payloads send `sender_id` as a JSON number; an id that is not all digits stays a string.
#[derive(Serialize)]
#[serde(untagged)]
enum NumericId<'a> {
    Number(u64),
    Text(&'a str),
}

#[derive(Serialize)]
struct LiveOut<'a> {
    id: &'a str,
    status: &'a str,
}

#[derive(Serialize)]
struct IgOut<'a> {
    from: IgFromOut<'a>,
    media: IgMediaOut<'a>,
    #[serde(skip_serializing_if = "Option::is_none")]
    id: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    comment_id: Option<&'a str>,
    text: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    parent_id: Option<&'a str>,
}

#[derive(Serialize)]
struct IgFromOut<'a> {
    id: &'a str,
    username: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    self_ig_scoped_id: Option<&'a str>,
}

#[derive(Serialize)]
struct IgMediaOut<'a> {
    id: &'a str,
    media_product_type: &'a str,
}

impl<'a> From<&'a WebhookBody> for BodyOut<'a> {
    fn from(body: &'a WebhookBody) -> BodyOut<'a> {
        let object = match &body.object {
            WebhookObject::Page => "page",
            WebhookObject::Instagram => "instagram",
            WebhookObject::Other(name) => name.as_str(),
        };
        BodyOut {
            object,
            entry: body
                .entries
                .iter()
                .map(|e| EntryOut {
                    id: &e.id,
                    time: e.time,
                    changes: e.changes.iter().map(change_out).collect(),
                })
                .collect(),
        }
    }
}

fn change_out(change: &WebhookChange) -> ChangeOut<'_> {
    match change {
        WebhookChange::Feed(c) => ChangeOut { value: ValueOut::Feed(feed_out(c)), field: "feed" },
        WebhookChange::LiveVideo { live_video_id, status } => {
            ChangeOut { value: ValueOut::Live(LiveOut { id: live_video_id, status }), field: "live_videos" }
        }
        WebhookChange::Instagram(c) => {
            let field = match c.field {
                IgField::LiveComments => "live_comments",
                IgField::Comments => "comments",
            };
            let (id, comment_id) = match c.id_key {
                IgIdKey::Id => (Some(c.id.as_str()), None),
                IgIdKey::CommentId => (None, Some(c.id.as_str())),
            };
            let value = IgOut {
                from: IgFromOut {
                    id: &c.from_id,
                    username: &c.username,
                    self_ig_scoped_id: c.self_ig_scoped_id.as_deref(),
                },
                media: IgMediaOut { id: &c.media_id, media_product_type: &c.media_product_type },
                id,
                comment_id,
                text: &c.text,
                parent_id: c.parent_id.as_deref(),
            };
            ChangeOut { value: ValueOut::Ig(value), field }
        }
        WebhookChange::Raw { field, value } => ChangeOut { value: ValueOut::Raw(value), field },
    }
}

fn feed_out(c: &FeedComment) -> FeedOut<'_> {
    let legacy = c.form == AuthorForm::SenderId;
    let post = (c.form == AuthorForm::FromWithPost).then(|| PostOut {
        status_type: "added_video",
        is_published: true,
        updated_time: graph_timestamp(c.created_time.unwrap_or(0)),
        promotion_status: "inactive",
        id: &c.post_id,
    });
    FeedOut {
        from: (!legacy).then_some(NameRef { id: &c.author_id, name: &c.author_name }),
        post,
        message: c.message.as_deref(),
        post_id: &c.post_id,
        comment_id: &c.comment_id,
        created_time: c.created_time,
        item: "comment",
        parent_id: &c.parent_id,
        verb: c.verb.as_str(),
        sender_id: legacy.then(|| match c.author_id.parse::<u64>() {
            Ok(n) => NumericId::Number(n),
            Err(_) => NumericId::Text(&c.author_id),
        }),
        sender_name: legacy.then_some(c.author_name.as_str()),
    }
}

/// What came back from one delivery.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SendOutcome {
    pub status: StatusCode,
    /// From just before sending to the end of the response body.
    pub latency: Duration,
    pub body: String,
}

impl SendOutcome {
    pub fn is_success(&self) -> bool {
        self.status.is_success()
    }
}

/// Posts webhook bodies to one target, signed with one app secret.
#[derive(Debug, Clone)]
pub struct WebhookSender {
    client: reqwest::Client,
    target: Url,
    app_secret: Vec<u8>,
}

impl WebhookSender {
    /// `target` is the full endpoint URL, e.g. `http://127.0.0.1:8080/webhooks/meta`.
    pub fn new(target: Url, app_secret: impl AsRef<[u8]>) -> WebhookSender {
        // Building a client only fails when no TLS backend can start; a plain default client is
        // then the best that is left, and it is only used for loopback HTTP anyway.
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(30))
            .user_agent("facebookexternalua")
            .build()
            .unwrap_or_default();
        WebhookSender { client, target, app_secret: app_secret.as_ref().to_vec() }
    }

    pub fn target(&self) -> &Url {
        &self.target
    }

    /// Serialises, signs and posts a body.
    pub async fn send(&self, body: &WebhookBody) -> Result<SendOutcome, reqwest::Error> {
        self.send_bytes(body.to_bytes()).await
    }

    /// Posts raw bytes with a correct signature (fixtures, malformed bodies).
    pub async fn send_bytes(&self, bytes: impl Into<Bytes>) -> Result<SendOutcome, reqwest::Error> {
        let bytes = bytes.into();
        let signature = sign_body(&self.app_secret, &bytes);
        self.send_with_signature(bytes, Some(&signature)).await
    }

    /// Posts raw bytes with any signature header value, or none: for the negative cases.
    pub async fn send_with_signature(
        &self,
        bytes: impl Into<Bytes>,
        signature: Option<&str>,
    ) -> Result<SendOutcome, reqwest::Error> {
        let mut request = self
            .client
            .post(self.target.clone())
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .body(bytes.into());
        if let Some(signature) = signature {
            request = request.header(SIGNATURE_HEADER, signature);
        }
        let started = Instant::now();
        let response = request.send().await?;
        let status = response.status();
        let body = response.text().await?;
        Ok(SendOutcome { status, latency: started.elapsed(), body })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use curbside_meta::{parse_notification, Change, LiveStatus};

    fn parse(body: &WebhookBody) -> curbside_meta::Notification {
        parse_notification(&body.to_bytes()).expect("our own body parses")
    }

    #[test]
    fn the_modern_add_matches_the_documented_capture_field_for_field() {
        let body = WebhookBody::page().with_entry(
            "1234567890321",
            1449135003,
            vec![WebhookChange::Feed(FeedComment::add(
                "1234567890321_901097836652708",
                "901097836652708_903438993085259",
                "1234567890321",
                "Tester",
                "and the next one",
                1449135003,
            ))],
        );
        let ours: serde_json::Value = serde_json::from_slice(&body.to_bytes()).expect("test input is valid");
        let documented: serde_json::Value = serde_json::from_str(
            r#"{"object":"page","entry":[{"id":"1234567890321","time":1449135003,"changes":[{"field":"feed","value":{
  "item":"comment","verb":"add","comment_id":"901097836652708_903438993085259",
  "post_id":"1234567890321_901097836652708","parent_id":"1234567890321_901097836652708",
  "from":{"id":"1234567890321","name":"Tester"},"created_time":1449135003,"message":"and the next one"}}]}]}"#,
        )
        .expect("test input is valid");
        assert_eq!(ours, documented);
    }

    #[test]
    fn the_legacy_form_sends_sender_id_as_a_number() {
        let c = FeedComment::add("1_2", "2_3", "1234567890321", "Tester", "hi", 10)
            .with_form(AuthorForm::SenderId);
        let body = WebhookBody::page().with_entry("1", 10, vec![WebhookChange::Feed(c)]);
        let json: serde_json::Value = serde_json::from_slice(&body.to_bytes()).expect("test input is valid");
        let value = &json["entry"][0]["changes"][0]["value"];
        assert_eq!(value["sender_id"], serde_json::json!(1234567890321u64));
        assert_eq!(value["sender_name"], "Tester");
        assert!(value.get("from").is_none());
        match &parse(&body).changes[0].change {
            Change::FacebookComment(c) => assert_eq!(c.author_id.as_deref(), Some("1234567890321")),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_remove_carries_neither_message_nor_created_time() {
        let c = FeedComment::add("1_2", "2_3", "9", "A", "gone", 10).with_verb(CommentVerb::Remove);
        let json: serde_json::Value = serde_json::from_slice(
            &WebhookBody::page().with_entry("1", 10, vec![WebhookChange::Feed(c)]).to_bytes(),
        )
        .expect("test input is valid");
        let value = &json["entry"][0]["changes"][0]["value"];
        assert!(value.get("message").is_none() && value.get("created_time").is_none());
        assert_eq!(value["verb"], "remove");
    }

    #[test]
    fn live_status_and_instagram_changes_parse_back() {
        let page = WebhookBody::page().with_entry(
            "25604775729",
            1592224440,
            vec![WebhookChange::live_video_status("10159659015335730", "live_stopped")],
        );
        match &parse(&page).changes[0].change {
            Change::LiveVideoStatus(s) => assert_eq!(s.status, LiveStatus::LiveStopped),
            other => panic!("{other:?}"),
        }
        let ig = WebhookBody::instagram().with_entry(
            "17841400000000000",
            1767225600,
            vec![
                WebhookChange::Instagram(IgComment::live("179", "1786", "1234536447", "viewer1", "¿hola?")),
                WebhookChange::Instagram(
                    IgComment::live("179", "1787", "1234536447", "viewer1", "re")
                        .with_id_key(IgIdKey::CommentId),
                ),
            ],
        );
        let n = parse(&ig);
        match (&n.changes[0].change, &n.changes[1].change) {
            (Change::InstagramComment(a), Change::InstagramComment(b)) => {
                assert_eq!((a.comment_id.as_str(), a.text.as_str()), ("1786", "¿hola?"));
                assert_eq!(b.comment_id, "1787");
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn split_keeps_order_and_never_exceeds_the_limit() {
        let mut body = WebhookBody::page();
        for i in 0..7 {
            let entry = if i < 4 { "a" } else { "b" };
            body.push(entry, 1, WebhookChange::live_video_status(i.to_string(), "live"));
        }
        assert_eq!(body.entries.len(), 2);
        let parts = body.clone().split(3);
        assert_eq!(parts.iter().map(WebhookBody::change_count).collect::<Vec<_>>(), vec![3, 3, 1]);
        let ids: Vec<String> = parts
            .iter()
            .flat_map(|b| b.entries.iter().flat_map(|e| e.changes.iter()))
            .map(|c| match c {
                WebhookChange::LiveVideo { live_video_id, .. } => live_video_id.clone(),
                _ => String::new(),
            })
            .collect();
        assert_eq!(ids, ["0", "1", "2", "3", "4", "5", "6"]);
        assert_eq!(parts[1].entries.iter().map(|e| e.id.as_str()).collect::<Vec<_>>(), ["a", "b"]);
    }
}
