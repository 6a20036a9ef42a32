//! The write endpoints: public Facebook replies and Page comments, private replies (one per comment,
//! Instagram only while live), hide/unhide, the Page editing its own comment, and delete.

use super::{Answer, Comment, State, Success};
use crate::graph::wire::GraphFailure;
use crate::graph::{FbReply, GraphAction, HideAction, PrivateReply};
use crate::webhook::{CommentVerb, FeedComment, WebhookBody, WebhookChange};
use axum::http::StatusCode;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use curbside_domain::Platform;
use serde_json::{json, Value};
use std::collections::{BTreeMap, BTreeSet};
use std::time::Instant;

/// Facebook comments are capped at 8000 characters; private replies at 2000 (Messenger) and
/// 1000 bytes (Instagram, reference §5.3 [?]).
const FB_MESSAGE_MAX_CHARS: usize = 8000;
const FB_PRIVATE_REPLY_MAX_CHARS: usize = 2000;
const IG_PRIVATE_REPLY_MAX_BYTES: usize = 1000;
/// Facebook private replies are allowed for 7 days after the comment.
const FB_PRIVATE_REPLY_WINDOW_SECONDS: i64 = 7 * 86_400;

impl State {
    fn message_param(params: &BTreeMap<String, String>) -> Result<String, GraphFailure> {
        let message = params
            .get("message")
            .map(|m| m.trim())
            .filter(|m| !m.is_empty())
            .ok_or_else(|| GraphFailure::invalid_parameter("(#100) Missing message or attachment"))?;
        if message.chars().count() > FB_MESSAGE_MAX_CHARS {
            return Err(GraphFailure::invalid_parameter(format!(
                "(#100) Param message must be at most {FB_MESSAGE_MAX_CHARS} characters long"
            )));
        }
        Ok(message.to_owned())
    }

    /// `POST /{comment-id}/comments`: the Page replies in public. Facebook threads are one level
    /// deep, so a reply to a reply joins the top-level comment's thread.
    pub(super) fn fb_reply(&mut self, target: usize, params: &BTreeMap<String, String>, now: i64) -> Answer {
        let message = State::message_param(params)?;
        let target_comment = self.comments[target].clone();
        let thread = target_comment.parent_id.clone().unwrap_or_else(|| target_comment.id.clone());
        let reply_id =
            self.insert_page_comment(&target_comment.object_id, Some(thread.clone()), &message, now);
        self.actions.push(GraphAction::FbReply(FbReply {
            reply_id: reply_id.clone(),
            comment_id: target_comment.id,
            message: message.clone(),
            at: Instant::now(),
        }));
        let echo = self.feed_echo(&reply_id, CommentVerb::Add, now);
        Ok(Success { body: json!({ "id": reply_id }), echo })
    }

    /// `POST /{video-id}/comments` (or the post id): a top-level comment by the Page.
    pub(super) fn page_comment(&mut self, live: &str, params: &BTreeMap<String, String>, now: i64) -> Answer {
        let message = State::message_param(params)?;
        let comment_id = self.insert_page_comment(live, None, &message, now);
        self.actions.push(GraphAction::PageComment {
            comment_id: comment_id.clone(),
            object_id: live.to_owned(),
            message,
        });
        let echo = self.feed_echo(&comment_id, CommentVerb::Add, now);
        Ok(Success { body: json!({ "id": comment_id }), echo })
    }

    fn insert_page_comment(
        &mut self,
        object_id: &str,
        parent: Option<String>,
        message: &str,
        now: i64,
    ) -> String {
        let (page_id, page_name) = self
            .live_videos
            .get(object_id)
            .map(|l| {
                (l.page_id.clone(), self.pages.get(&l.page_id).map(|p| p.name.clone()).unwrap_or_default())
            })
            .unwrap_or_default();
        let id = self.new_comment_id(Platform::Facebook, object_id);
        self.insert_comment(Comment {
            id: id.clone(),
            platform: Platform::Facebook,
            object_id: object_id.to_owned(),
            author_id: page_id,
            author_name: page_name,
            text: message.to_owned(),
            created_time: now,
            parent_id: parent,
            hidden: false,
            deleted: false,
            by_page: true,
            visible_to_polling: true,
            seq: 0,
        });
        id
    }

    /// The `feed` webhook Meta sends for a change to a Facebook comment (only when an echo target
    /// is configured).
    fn feed_echo(&self, comment_id: &str, verb: CommentVerb, now: i64) -> Option<WebhookBody> {
        self.echo.as_ref()?;
        let c = self.by_id.get(comment_id).map(|&i| &self.comments[i])?;
        let live = self.live_videos.get(&c.object_id)?;
        let post_id = format!("{}_{}", live.page_id, live.video_id);
        let mut change =
            FeedComment::add(&post_id, &c.id, &c.author_id, &c.author_name, &c.text, c.created_time);
        if let Some(parent) = &c.parent_id {
            change = change.reply_to(parent);
        }
        let change = change.with_verb(verb);
        Some(WebhookBody::page().with_entry(&live.page_id, now, vec![WebhookChange::Feed(change)]))
    }

    /// `POST /{ig-user-id}/messages` or `/{page-id}/messages` with `recipient.comment_id`.
    pub(super) fn private_reply(
        &mut self,
        via: &str,
        owners: &BTreeSet<String>,
        params: &BTreeMap<String, String>,
        now: i64,
    ) -> Answer {
        let via_ig = self.ig_users.contains_key(via);
        let error_type = if via_ig { "IGApiException" } else { "OAuthException" };
        let recipient: Value = params
            .get("recipient")
            .and_then(|r| serde_json::from_str(r).ok())
            .filter(Value::is_object)
            .ok_or_else(|| {
                GraphFailure::invalid_parameter("(#100) param recipient must be non-empty.")
                    .of_type(error_type)
            })?;
        let Some(comment_id) = recipient.get("comment_id").and_then(Value::as_str).map(str::to_owned) else {
            // A plain DM to someone who never wrote to the account is outside every window.
            return Err(outside_window(error_type));
        };
        let text = params
            .get("message")
            .and_then(|m| serde_json::from_str::<Value>(m).ok())
            .and_then(|m| m.get("text").and_then(Value::as_str).map(str::to_owned))
            .filter(|t| !t.trim().is_empty())
            .ok_or_else(|| {
                GraphFailure::invalid_parameter("(#100) param message must be non-empty.").of_type(error_type)
            })?;

        let no_comment = || {
            GraphFailure::invalid_parameter(
                "(#100) The comment does not exist or cannot receive a private reply",
            )
            .of_type(error_type)
        };
        let i = self
            .by_id
            .get(&comment_id)
            .copied()
            .filter(|&i| !self.comments[i].deleted)
            .ok_or_else(no_comment)?;
        let comment = self.comments[i].clone();
        let comment_owner = self.owner_of_object(&comment.object_id).ok_or_else(no_comment)?;
        // Through a Page, Instagram comments of an account the same token manages are reachable.
        let reachable = comment_owner == via || (!via_ig && owners.contains(&comment_owner));
        if !reachable {
            return Err(no_comment());
        }
        match comment.platform {
            Platform::Instagram => {
                let live = self.ig_media.get(&comment.object_id).is_some_and(|m| m.live);
                if !live {
                    return Err(outside_window(error_type));
                }
                if comment.hidden {
                    return Err(GraphFailure::invalid_parameter(
                        "(#100) Cannot send a private reply to a hidden comment",
                    )
                    .of_type(error_type));
                }
                if text.len() > IG_PRIVATE_REPLY_MAX_BYTES {
                    return Err(GraphFailure::invalid_parameter(format!(
                        "(#100) Length of param message[text] must be less than or equal to {IG_PRIVATE_REPLY_MAX_BYTES}"
                    ))
                    .of_type(error_type));
                }
            }
            _ => {
                if now - comment.created_time > FB_PRIVATE_REPLY_WINDOW_SECONDS {
                    return Err(outside_window(error_type));
                }
                if text.chars().count() > FB_PRIVATE_REPLY_MAX_CHARS {
                    return Err(GraphFailure::invalid_parameter(format!(
                        "(#100) Length of param message[text] must be less than or equal to {FB_PRIVATE_REPLY_MAX_CHARS}"
                    ))
                    .of_type(error_type));
                }
            }
        }
        if self.private_replies.contains_key(&comment_id) {
            // Reference §5.3 reports subcode 2534014; the code is the old private_replies edge's.
            return Err(GraphFailure::new(
                StatusCode::BAD_REQUEST,
                10900,
                "(#10900) Activity already replied to",
            )
            .of_type(error_type)
            .subcode(2534014));
        }
        let n = self.private_replies.len() + 1;
        let (message_id, recipient_id) = match comment.platform {
            Platform::Instagram => (
                URL_SAFE_NO_PAD.encode(format!("ig_message_item:1:IGMessageThread:{via}:{n:019}")),
                comment.author_id.clone(),
            ),
            _ => (
                format!("m_{}", URL_SAFE_NO_PAD.encode(format!("sim-page-message-{n:012}"))),
                // A page-scoped id for the commenter: digits, stable per commenter.
                format!("7{}", comment.author_id.chars().filter(char::is_ascii_digit).collect::<String>()),
            ),
        };
        self.private_replies.insert(comment_id.clone(), message_id.clone());
        self.actions.push(GraphAction::PrivateReply(PrivateReply {
            platform: comment.platform,
            comment_id,
            text,
            message_id: message_id.clone(),
            recipient_id: recipient_id.clone(),
            via: via.to_owned(),
            at: Instant::now(),
        }));
        Ok(Success::body(json!({ "recipient_id": recipient_id, "message_id": message_id })))
    }

    /// `POST /{comment-id}`: `is_hidden` (Facebook), `hide` (Instagram), or `message` to edit the
    /// Page's own Facebook comment.
    pub(super) fn update_comment(&mut self, i: usize, params: &BTreeMap<String, String>) -> Answer {
        let comment = self.comments[i].clone();
        let (hide_param, platform) = match comment.platform {
            Platform::Instagram => ("hide", Platform::Instagram),
            _ => ("is_hidden", Platform::Facebook),
        };
        if let Some(raw) = params.get(hide_param) {
            let hidden = parse_bool(raw).ok_or_else(|| {
                GraphFailure::invalid_parameter(format!("(#100) Param {hide_param} must be a boolean"))
            })?;
            self.comments[i].hidden = hidden;
            self.actions.push(GraphAction::Hide(HideAction {
                comment_id: comment.id.clone(),
                platform,
                hidden,
                at: Instant::now(),
            }));
            let verb = if hidden { CommentVerb::Hide } else { CommentVerb::Unhide };
            let echo = match platform {
                Platform::Facebook => self.feed_echo(&comment.id, verb, crate::time::now_unix()),
                _ => None,
            };
            return Ok(Success { body: json!({ "success": true }), echo });
        }
        if platform == Platform::Facebook && params.contains_key("message") {
            if !comment.by_page {
                return Err(GraphFailure::permission_denied(200));
            }
            let message = State::message_param(params)?;
            self.comments[i].text = message.clone();
            self.actions.push(GraphAction::Edit { comment_id: comment.id.clone(), message });
            let echo = self.feed_echo(&comment.id, CommentVerb::Edited, crate::time::now_unix());
            return Ok(Success { body: json!({ "success": true }), echo });
        }
        Err(GraphFailure::invalid_parameter(format!("(#100) The parameter {hide_param} is required")))
    }

    pub(super) fn delete_comment(&mut self, i: usize) -> Success {
        let echo = match self.comments[i].platform {
            Platform::Facebook => {
                self.feed_echo(&self.comments[i].id.clone(), CommentVerb::Remove, crate::time::now_unix())
            }
            _ => None,
        };
        let comment = &mut self.comments[i];
        comment.deleted = true;
        self.actions.push(GraphAction::Delete { comment_id: comment.id.clone(), platform: comment.platform });
        Success { body: json!({ "success": true }), echo }
    }
}

fn parse_bool(raw: &str) -> Option<bool> {
    match raw.trim().to_ascii_lowercase().as_str() {
        "true" | "1" => Some(true),
        "false" | "0" => Some(false),
        _ => None,
    }
}

/// Meta's answer to a message outside the allowed window (seen for Instagram DMs: code 10,
/// subcode 2534022, HTTP 403). Used for private replies after an IG broadcast ends.
fn outside_window(error_type: &'static str) -> GraphFailure {
    GraphFailure::new(StatusCode::FORBIDDEN, 10, "This message is sent outside of allowed window.")
        .subcode(2534022)
        .of_type(error_type)
}
