//! Graph REST comment objects and pages, as the poller reads them: Facebook
//! `GET /{live-video-id}/comments` and Instagram `GET /{ig-media-id}/comments`.
//!
//! Same policy as the webhook parser: a body that is not a page is an error; one unreadable comment
//! is skipped with a reason (fields and types only) and the rest of the page is kept. A `{"error":…}`
//! body is returned as the `GraphError` it is, so the poller can act on its class.

use crate::graph_error::{self, GraphError, RawGraphError};
use crate::lenient::{utf8, Array, JsonError, JsonKind, Object, Scalar};
use crate::time::parse_graph_timestamp;
use curbside_domain::UnixMillis;
use serde::Deserialize;
use thiserror::Error;

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum RestError {
    #[error("response is not valid UTF-8 (first bad byte at offset {valid_up_to})")]
    InvalidUtf8 { valid_up_to: usize },
    #[error("response is not usable: {0}")]
    Json(JsonError),
    #[error("response is {found}, expected a JSON object")]
    NotAnObject { found: JsonKind },
    /// Boxed: a `GraphError` is large and this is the rare path.
    #[error("{0}")]
    Graph(Box<GraphError>),
    #[error("response has no `{field}`")]
    MissingField { field: &'static str },
    #[error("response field `{field}` is {found}, expected {expected}")]
    WrongType { field: &'static str, expected: &'static str, found: JsonKind },
    #[error("comment is not usable: {reason}")]
    Comment { reason: String },
}

/// One page of a cursor-paged comment listing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommentPage<T> {
    pub comments: Vec<T>,
    /// Why each unreadable comment was left out (fields and types, never text).
    pub skipped: Vec<String>,
    pub cursor_before: Option<String>,
    pub cursor_after: Option<String>,
    /// The URL of the next page. A page can be empty and still have one, so stop only when absent.
    pub next: Option<String>,
}

impl<T> CommentPage<T> {
    pub fn has_next(&self) -> bool {
        self.next.is_some()
    }
}

/// A Facebook comment from `GET /{live-video-id}/comments` (or an SSE `data:` line).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FbRestComment {
    /// `{object-id}_{comment-id}`, the same string as the webhook's `comment_id`.
    pub comment_id: String,
    /// Missing unless read with a Page access token.
    pub author_id: Option<String>,
    pub author_name: Option<String>,
    pub message: Option<String>,
    pub created_at: Option<UnixMillis>,
    /// `parent.id`: set for replies.
    pub parent_id: Option<String>,
    pub has_attachment: bool,
    pub is_hidden: Option<bool>,
    /// Seconds into the broadcast at which the comment was made.
    pub live_broadcast_timestamp: Option<i64>,
}

/// An Instagram comment from `GET /{ig-media-id}/comments` or `GET /{ig-comment-id}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IgRestComment {
    pub comment_id: String,
    pub text: String,
    pub created_at: Option<UnixMillis>,
    /// `username`, else `from.username`.
    pub username: Option<String>,
    /// `from.id`, else `user.id`.
    pub author_id: Option<String>,
    pub media_id: Option<String>,
    pub parent_id: Option<String>,
    pub hidden: Option<bool>,
    /// `replies.data` when requested; each with `parent_id` set to this comment.
    pub replies: Vec<IgRestComment>,
}

pub fn parse_rest_fb_comment_page(body: &[u8]) -> Result<CommentPage<FbRestComment>, RestError> {
    parse_page(body, |raw, _| fb_comment(raw))
}

pub fn parse_rest_ig_comment_page(body: &[u8]) -> Result<CommentPage<IgRestComment>, RestError> {
    parse_page(body, ig_comment)
}

pub fn parse_rest_fb_comment(body: &[u8]) -> Result<FbRestComment, RestError> {
    let raw = parse_object::<RawComment<'_>>(body)?;
    graph_error_in(&raw.error)?;
    fb_comment(raw).map_err(|reason| RestError::Comment { reason })
}

/// A single IG comment; replies that cannot be read are left out.
pub fn parse_rest_ig_comment(body: &[u8]) -> Result<IgRestComment, RestError> {
    let raw = parse_object::<RawComment<'_>>(body)?;
    graph_error_in(&raw.error)?;
    ig_comment(raw, &mut Vec::new()).map_err(|reason| RestError::Comment { reason })
}

fn parse_object<'a, T: Deserialize<'a>>(body: &'a [u8]) -> Result<T, RestError> {
    let text = utf8(body).map_err(|e| RestError::InvalidUtf8 { valid_up_to: e.valid_up_to() })?;
    match serde_json::from_str::<Object<T>>(text) {
        Ok(Object::Present(raw)) => Ok(raw),
        Ok(Object::Wrong(found)) => Err(RestError::NotAnObject { found }),
        Ok(Object::Absent | Object::Null) => Err(RestError::NotAnObject { found: JsonKind::Null }),
        Err(e) => Err(RestError::Json(JsonError::from_serde(&e))),
    }
}

fn graph_error_in(error: &Object<RawGraphError<'_>>) -> Result<(), RestError> {
    // An `error` without a usable code is not acted on; the rest of the body decides.
    match error {
        Object::Present(raw) => match graph_error::from_raw(raw) {
            Ok(e) => Err(RestError::Graph(Box::new(e))),
            Err(_) => Ok(()),
        },
        _ => Ok(()),
    }
}

fn parse_page<T>(
    body: &[u8],
    mut convert: impl FnMut(RawComment<'_>, &mut Vec<String>) -> Result<T, String>,
) -> Result<CommentPage<T>, RestError> {
    let raw = parse_object::<RawPage<'_>>(body)?;
    graph_error_in(&raw.error)?;
    let data = match raw.data {
        Array::Present(data) => data,
        Array::Absent | Array::Null => return Err(RestError::MissingField { field: "data" }),
        Array::Wrong(found) => {
            return Err(RestError::WrongType { field: "data", expected: "an array", found })
        }
    };
    let mut skipped = Vec::new();
    let mut comments = Vec::with_capacity(data.len());
    for (i, item) in data.into_iter().enumerate() {
        match item.required("comment").and_then(|raw| convert(raw, &mut skipped)) {
            Ok(comment) => comments.push(comment),
            Err(reason) => skipped.push(format!("data[{i}]: {reason}")),
        }
    }
    // Paging is advisory: if it is unreadable, treat this as the last page rather than fail.
    let paging = raw.paging.optional("paging").ok().flatten().unwrap_or_default();
    let cursors = paging.cursors.optional("paging.cursors").ok().flatten().unwrap_or_default();
    let text = |s: &Scalar<'_>| s.text("paging").ok().flatten().filter(|s| !s.is_empty()).map(str::to_owned);
    Ok(CommentPage {
        comments,
        skipped,
        cursor_before: text(&cursors.before),
        cursor_after: text(&cursors.after),
        next: text(&paging.next),
    })
}

fn fb_comment(raw: RawComment<'_>) -> Result<FbRestComment, String> {
    let from = raw.from.optional("from")?.unwrap_or_default();
    let parent = raw.parent.optional("parent")?.unwrap_or_default();
    Ok(FbRestComment {
        comment_id: raw.id.required_text("id")?.to_owned(),
        author_id: from.id.id("from.id")?,
        author_name: from.name.text("from.name")?.map(str::to_owned),
        message: raw.message.text("message")?.map(str::to_owned),
        created_at: timestamp(&raw.created_time, "created_time")?,
        parent_id: parent.id.text("parent.id")?.filter(|p| !p.is_empty()).map(str::to_owned),
        has_attachment: !raw.attachment.is_missing(),
        is_hidden: raw.is_hidden.bool("is_hidden")?,
        live_broadcast_timestamp: raw.live_broadcast_timestamp.int("live_broadcast_timestamp")?,
    })
}

fn ig_comment(raw: RawComment<'_>, skipped: &mut Vec<String>) -> Result<IgRestComment, String> {
    let comment_id = raw.id.required_text("id")?.to_owned();
    let from = raw.from.optional("from")?.unwrap_or_default();
    let user = raw.user.optional("user")?.unwrap_or_default();
    let media = raw.media.optional("media")?.unwrap_or_default();
    let username = match raw.username.text("username")? {
        Some(name) => Some(name.to_owned()),
        None => from.username.text("from.username")?.map(str::to_owned),
    };
    let author_id = match from.id.id("from.id")? {
        Some(id) => Some(id),
        None => user.id.id("user.id")?,
    };
    let text = raw.text.text("text")?.ok_or_else(|| "`text` is missing".to_owned())?.to_owned();

    let mut replies = Vec::new();
    // Replies are a bonus; an unreadable `replies` must not lose the comment itself.
    if let Ok(Some(RawReplies { data: Array::Present(data) })) = raw.replies.optional("replies") {
        for (i, reply) in data.into_iter().enumerate() {
            match reply.required("reply").and_then(|r| ig_comment(r, skipped)) {
                Ok(mut reply) => {
                    reply.parent_id.get_or_insert_with(|| comment_id.clone());
                    replies.push(reply);
                }
                Err(reason) => skipped.push(format!("replies of a comment, data[{i}]: {reason}")),
            }
        }
    }

    Ok(IgRestComment {
        text,
        created_at: timestamp(&raw.timestamp, "timestamp")?,
        username,
        author_id,
        media_id: media.id.id("media.id")?,
        parent_id: raw.parent_id.text("parent_id")?.filter(|p| !p.is_empty()).map(str::to_owned),
        hidden: raw.hidden.bool("hidden")?,
        replies,
        comment_id,
    })
}

/// REST times are strings like `2018-08-30T18:47:02+0000`; a number is taken as unix seconds.
/// A string in an unknown format leaves the time unknown rather than losing the comment.
fn timestamp(value: &Scalar<'_>, field: &str) -> Result<Option<UnixMillis>, String> {
    match value {
        Scalar::Str(s) => Ok(parse_graph_timestamp(s).ok()),
        other => Ok(other.int(field)?.map(|seconds| seconds.saturating_mul(1_000))),
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct RawPage<'a> {
    #[serde(borrow)]
    data: Array<Object<RawComment<'a>>>,
    #[serde(borrow)]
    paging: Object<RawPaging<'a>>,
    #[serde(borrow)]
    error: Object<RawGraphError<'a>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct RawPaging<'a> {
    #[serde(borrow)]
    cursors: Object<RawCursors<'a>>,
    #[serde(borrow)]
    next: Scalar<'a>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct RawCursors<'a> {
    #[serde(borrow)]
    before: Scalar<'a>,
    #[serde(borrow)]
    after: Scalar<'a>,
}

/// The union of the FB and IG comment fields we read.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct RawComment<'a> {
    #[serde(borrow)]
    id: Scalar<'a>,
    #[serde(borrow)]
    from: Object<RawActor<'a>>,
    #[serde(borrow)]
    user: Object<RawActor<'a>>,
    #[serde(borrow)]
    username: Scalar<'a>,
    #[serde(borrow)]
    message: Scalar<'a>,
    #[serde(borrow)]
    text: Scalar<'a>,
    #[serde(borrow)]
    created_time: Scalar<'a>,
    #[serde(borrow)]
    timestamp: Scalar<'a>,
    #[serde(borrow)]
    parent: Object<RawActor<'a>>,
    #[serde(borrow)]
    parent_id: Scalar<'a>,
    #[serde(borrow)]
    media: Object<RawActor<'a>>,
    #[serde(borrow)]
    attachment: Scalar<'a>,
    #[serde(borrow)]
    is_hidden: Scalar<'a>,
    #[serde(borrow)]
    hidden: Scalar<'a>,
    #[serde(borrow)]
    live_broadcast_timestamp: Scalar<'a>,
    #[serde(borrow)]
    replies: Object<RawReplies<'a>>,
    #[serde(borrow)]
    error: Object<RawGraphError<'a>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct RawReplies<'a> {
    #[serde(borrow)]
    data: Array<Object<RawComment<'a>>>,
}

/// `from`, `user`, `parent` and `media` are all `{id, …}` objects.
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

#[cfg(test)]
mod tests {
    use super::*;

    /// Meta's "Interacting with Viewers" sample response.
    const DOC_PAGE: &[u8] = br#"{"data":[{"created_time":"2018-08-30T18:47:02+0000",
          "from":{"name":"Steph C.","id":"552524095105158"},
          "message":"This is such a great live stream.",
          "id":"911936075671494_911936769004758"}],
 "paging":{"cursors":{"before":"WTI5d","after":"QVFI"}}}"#;

    fn fb_page(body: &[u8]) -> CommentPage<FbRestComment> {
        match parse_rest_fb_comment_page(body) {
            Ok(page) => page,
            Err(e) => panic!("page not parsed: {e}"),
        }
    }

    #[test]
    fn the_documented_facebook_page_is_read() {
        let page = fb_page(DOC_PAGE);
        assert_eq!(
            page.comments,
            vec![FbRestComment {
                comment_id: "911936075671494_911936769004758".into(),
                author_id: Some("552524095105158".into()),
                author_name: Some("Steph C.".into()),
                message: Some("This is such a great live stream.".into()),
                created_at: Some(1_535_654_822_000),
                parent_id: None,
                has_attachment: false,
                is_hidden: None,
                live_broadcast_timestamp: None,
            }]
        );
        assert_eq!(page.cursor_before.as_deref(), Some("WTI5d"));
        assert_eq!(page.cursor_after.as_deref(), Some("QVFI"));
        assert!(!page.has_next(), "no `next` means the last page");
    }

    #[test]
    fn an_empty_page_with_next_still_has_a_next_page() {
        let page = fb_page(br#"{"data":[],"paging":{"cursors":{"after":"A"},"next":"https://graph.facebook.com/v25.0/1/comments?after=A"}}"#);
        assert!(page.comments.is_empty());
        assert!(page.has_next());
    }

    #[test]
    fn a_reply_keeps_its_parent_and_a_missing_from_is_allowed() {
        let page = fb_page(
            br#"{"data":[{"id":"1_3","message":"re","created_time":"2026-01-01T12:00:00+0000","parent":{"id":"1_2"},"attachment":{"type":"sticker"},"live_broadcast_timestamp":42}]}"#,
        );
        let c = &page.comments[0];
        assert_eq!(c.parent_id.as_deref(), Some("1_2"));
        assert_eq!(c.author_id, None);
        assert!(c.has_attachment);
        assert_eq!(c.live_broadcast_timestamp, Some(42));
    }

    #[test]
    fn one_unreadable_comment_is_skipped_and_the_rest_kept() {
        let page = fb_page(
            br#"{"data":[{"id":5,"message":"private words"},"x",{"id":"1_2","message":"ok","created_time":"bad"}]}"#,
        );
        assert_eq!(page.comments.len(), 1);
        assert_eq!(page.comments[0].created_at, None);
        assert_eq!(page.skipped.len(), 2);
        assert!(page.skipped.iter().all(|r| !r.contains("private")));
    }

    #[test]
    fn an_error_envelope_comes_back_as_a_graph_error() {
        let body = br#"{"error":{"message":"Application request limit reached","type":"OAuthException","code":4,"fbtrace_id":"X"}}"#;
        match parse_rest_fb_comment_page(body) {
            Err(RestError::Graph(e)) => assert_eq!(e.class(), graph_error::ErrorClass::Throttled),
            other => panic!("expected a Graph error, got {other:?}"),
        }
    }

    #[test]
    fn an_error_object_without_a_code_does_not_hide_the_data() {
        let page = fb_page(br#"{"error":{"message":"odd"},"data":[{"id":"1_2","message":"ok"}]}"#);
        assert_eq!(page.comments.len(), 1);
    }

    #[test]
    fn bodies_that_are_not_pages_are_errors() {
        assert!(matches!(parse_rest_fb_comment_page(b"[]"), Err(RestError::NotAnObject { .. })));
        assert!(matches!(parse_rest_fb_comment_page(b"{}"), Err(RestError::MissingField { field: "data" })));
        assert!(matches!(parse_rest_fb_comment_page(br#"{"data":{}}"#), Err(RestError::WrongType { .. })));
        assert!(matches!(parse_rest_fb_comment_page(br#"{"data":["#), Err(RestError::Json(_))));
        assert!(matches!(parse_rest_fb_comment_page(b"\xc3("), Err(RestError::InvalidUtf8 { .. })));
    }

    #[test]
    fn junk_paging_is_treated_as_the_last_page() {
        let page = fb_page(br#"{"data":[],"paging":"x"}"#);
        assert!(!page.has_next());
        let page = fb_page(br#"{"data":[],"paging":{"cursors":[],"next":7}}"#);
        assert!(!page.has_next());
    }

    #[test]
    fn an_sse_comment_event_parses_as_a_single_facebook_comment() {
        // The delivered SSE comment from the reference (sns-sdks/python-facebook test data).
        let data = br#"{"id":"610800597327576_364546219223792","created_time":"2022-08-31T09:09:39+0000","from":{"id":"413140042878187","name":"Kun Liu"},"message":"wow","object":{"description":"section 1, 1","updated_time":"2022-08-31T09:09:20+0000","id":"610800597327576"}}"#;
        match parse_rest_fb_comment(data) {
            Ok(c) => {
                assert_eq!(c.comment_id, "610800597327576_364546219223792");
                assert_eq!(c.author_name.as_deref(), Some("Kun Liu"));
                assert_eq!(c.created_at, Some(1_661_936_979_000));
            }
            Err(e) => panic!("{e}"),
        }
    }

    #[test]
    fn an_instagram_page_reads_username_from_either_place() {
        let body = br#"{"data":[
            {"id":"1","text":"a","timestamp":"2018-02-23T21:32:16+0000","username":"top"},
            {"id":"2","text":"b","timestamp":"2018-02-23T21:32:16+0000","from":{"id":"9","username":"nested"}}
        ],"paging":{"cursors":{"before":"B","after":"A"}}}"#;
        let page = match parse_rest_ig_comment_page(body) {
            Ok(page) => page,
            Err(e) => panic!("{e}"),
        };
        assert_eq!(page.comments[0].username.as_deref(), Some("top"));
        assert_eq!(page.comments[1].username.as_deref(), Some("nested"));
        assert_eq!(page.comments[1].author_id.as_deref(), Some("9"));
        assert_eq!(page.comments[0].created_at, Some(1_519_421_536_000));
    }
}
