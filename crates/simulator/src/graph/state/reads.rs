//! The read endpoints: Page, LiveVideo, IG user and media nodes, and the Facebook and Instagram
//! comment listings with `fields=` selection, `filter`/`order`/`live_filter`/`since` and cursor paging.

use super::{Answer, Comment, Incoming, LiveVideo, State, Success};
use crate::graph::wire::{Cursor, Field, GraphFailure};
use crate::graph::{BroadcastStatus, GRAPH_VERSION};
use crate::time::graph_timestamp;
use curbside_domain::Platform;
use serde_json::{json, Map, Value};
use std::collections::{BTreeMap, BTreeSet};
use url::Url;

/// Fields Graph accepts on a Facebook Comment (reference §3.1). Those without data here are
/// accepted and left out, as Graph leaves out empty fields.
const FB_COMMENT_FIELDS: &[&str] = &[
    "admin_creator",
    "application",
    "attachment",
    "can_comment",
    "can_hide",
    "can_like",
    "can_remove",
    "can_reply_privately",
    "comment_count",
    "created_time",
    "from",
    "id",
    "is_hidden",
    "is_private",
    "like_count",
    "live_broadcast_timestamp",
    "message",
    "message_tags",
    "object",
    "parent",
    "permalink_url",
    "private_reply_conversation",
    "user_likes",
];
const IG_COMMENT_FIELDS: &[&str] = &[
    "from",
    "hidden",
    "id",
    "legacy_instagram_comment_id",
    "like_count",
    "media",
    "parent_id",
    "replies",
    "text",
    "timestamp",
    "user",
    "username",
];
const LIVE_VIDEO_FIELDS: &[&str] = &[
    "id",
    "status",
    "video",
    "permalink_url",
    "title",
    "description",
    "creation_time",
    "broadcast_start_time",
    "live_views",
    "embed_html",
    "from",
];
const IG_MEDIA_FIELDS: &[&str] = &[
    "id",
    "media_product_type",
    "media_type",
    "timestamp",
    "username",
    "owner",
    "caption",
    "permalink",
    "shortcode",
    "like_count",
    "comments_count",
];

impl State {
    pub(super) fn page_json(&self, page: &str, fields: &[Field]) -> Answer {
        check_fields(fields, &["id", "name"], "Page")?;
        let name = self.pages.get(page).map(|p| p.name.clone()).unwrap_or_default();
        let mut out = Map::new();
        out.insert("id".into(), json!(page));
        if fields.is_empty() || has(fields, "name") {
            out.insert("name".into(), json!(name));
        }
        Ok(Success::body(Value::Object(out)))
    }

    pub(super) fn page_live_videos(
        &self,
        page: &str,
        params: &BTreeMap<String, String>,
        fields: &[Field],
    ) -> Answer {
        let wanted = match params.get("broadcast_status") {
            None => None,
            Some(raw) => Some(parse_status_list(raw)?),
        };
        let mut lives: Vec<&LiveVideo> = self
            .live_videos
            .values()
            .filter(|l| l.page_id == page && wanted.as_ref().is_none_or(|w| w.contains(&l.status)))
            .collect();
        lives.sort_by(|a, b| b.created_time.cmp(&a.created_time).then_with(|| b.id.cmp(&a.id)));
        let data =
            lives.iter().map(|l| self.live_video_json(&l.id, fields)).collect::<Result<Vec<_>, _>>()?;
        Ok(Success::body(json!({ "data": data })))
    }

    pub(super) fn live_video_json(&self, live: &str, fields: &[Field]) -> Result<Value, GraphFailure> {
        check_fields(fields, LIVE_VIDEO_FIELDS, "LiveVideo")?;
        let Some(l) = self.live_videos.get(live) else {
            return Err(GraphFailure::unsupported("GET", live));
        };
        let default = [field("id"), field("status")];
        let fields = if fields.is_empty() { &default[..] } else { fields };
        let viewers: BTreeSet<&str> = self
            .comments
            .iter()
            .filter(|c| c.object_id == l.id && !c.by_page)
            .map(|c| c.author_id.as_str())
            .collect();
        let mut out = Map::new();
        out.insert("id".into(), json!(l.id));
        for f in fields {
            let value = match f.name.as_str() {
                "status" => json!(l.status.as_str()),
                "video" => json!({ "id": l.video_id }),
                "permalink_url" => json!(format!("/{}/videos/{}/", l.page_id, l.video_id)),
                "title" => json!(l.title),
                "description" => json!(l.title),
                "creation_time" | "broadcast_start_time" => json!(graph_timestamp(l.created_time)),
                "live_views" => json!(if l.status == BroadcastStatus::Live { viewers.len() * 7 } else { 0 }),
                "embed_html" => json!(format!(
                    "<iframe src=\"https://www.facebook.com/plugins/video.php?href=https%3A%2F%2Fwww.facebook.com%2F{}%2Fvideos%2F{}%2F\" width=\"1280\" height=\"720\"></iframe>",
                    l.page_id, l.video_id
                )),
                "from" => {
                    json!({ "id": l.page_id, "name": self.pages.get(&l.page_id).map(|p| p.name.as_str()).unwrap_or("") })
                }
                _ => continue,
            };
            out.insert(f.name.clone(), value);
        }
        Ok(Value::Object(out))
    }

    pub(super) fn ig_user_json(&self, user: &str, fields: &[Field]) -> Answer {
        check_fields(fields, &["id", "username", "name"], "IGUser")?;
        let username = self.ig_users.get(user).map(|u| u.username.clone()).unwrap_or_default();
        let mut out = Map::new();
        out.insert("id".into(), json!(user));
        if has(fields, "username") {
            out.insert("username".into(), json!(username));
        }
        if has(fields, "name") {
            out.insert("name".into(), json!(username));
        }
        Ok(Success::body(Value::Object(out)))
    }

    pub(super) fn ig_live_media(&self, user: &str, fields: &[Field]) -> Answer {
        // Only media being broadcast right now, as `live_media` documents.
        let data = self
            .ig_media
            .values()
            .filter(|m| m.owner == user && m.live)
            .map(|m| self.ig_media_json(&m.id, fields))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Success::body(json!({ "data": data })))
    }

    pub(super) fn ig_media_json(&self, media: &str, fields: &[Field]) -> Result<Value, GraphFailure> {
        check_fields(fields, IG_MEDIA_FIELDS, "IGMedia")?;
        let Some(m) = self.ig_media.get(media) else {
            return Err(GraphFailure::unsupported("GET", media));
        };
        let mut out = Map::new();
        out.insert("id".into(), json!(m.id));
        for f in fields {
            let value = match f.name.as_str() {
                "media_product_type" => json!("LIVE"),
                "media_type" => json!("BROADCAST"),
                "timestamp" => json!(graph_timestamp(m.created_time)),
                "username" => json!(self.ig_users.get(&m.owner).map(|u| u.username.as_str()).unwrap_or("")),
                "owner" => json!({ "id": m.owner }),
                "like_count" => json!(0),
                "comments_count" => {
                    json!(self.comments.iter().filter(|c| c.object_id == m.id && !c.deleted).count())
                }
                _ => continue,
            };
            out.insert(f.name.clone(), value);
        }
        Ok(Value::Object(out))
    }

    pub(super) fn comment_json(&self, i: usize, fields: &[Field]) -> Result<Value, GraphFailure> {
        match self.comments[i].platform {
            Platform::Instagram => {
                check_fields(fields, IG_COMMENT_FIELDS, "IGComment")?;
                Ok(self.ig_comment_json(&self.comments[i], fields))
            }
            _ => {
                check_fields(fields, FB_COMMENT_FIELDS, "Comment")?;
                Ok(self.fb_comment_json(&self.comments[i], fields))
            }
        }
    }

    pub(super) fn list_fb_comments(
        &self,
        live: &str,
        request: &Incoming,
        params: &BTreeMap<String, String>,
        fields: &[Field],
        base: &Url,
    ) -> Answer {
        check_fields(fields, FB_COMMENT_FIELDS, "Comment")?;
        let filter = params.get("filter").map(String::as_str).unwrap_or("toplevel");
        if !matches!(filter, "toplevel" | "stream") {
            return Err(GraphFailure::invalid_parameter(
                "(#100) filter must be one of the following values: toplevel, stream",
            ));
        }
        let order = params.get("order").map(String::as_str).unwrap_or("chronological");
        if !matches!(order, "chronological" | "reverse_chronological") {
            return Err(GraphFailure::invalid_parameter(
                "(#100) order must be one of the following values: chronological, reverse_chronological",
            ));
        }
        let live_filter = params.get("live_filter").map(String::as_str).unwrap_or("filter_low_quality");
        if !matches!(live_filter, "filter_low_quality" | "no_filter") {
            return Err(GraphFailure::invalid_parameter(
                "(#100) live_filter must be one of the following values: filter_low_quality, no_filter",
            ));
        }
        // Graph also takes strtotime strings; the fake takes only what Curbside sends, seconds.
        let since = match params.get("since") {
            None => None,
            Some(s) => Some(s.trim().parse::<i64>().map_err(|_| {
                GraphFailure::invalid_parameter("(#100) The parameter since must be a valid unix timestamp")
            })?),
        };
        let mut items: Vec<&Comment> = self
            .comments
            .iter()
            .filter(|c| {
                c.object_id == live
                    && c.visible_to_polling
                    && !c.deleted
                    && (filter == "stream" || c.parent_id.is_none())
                    // `since` is exclusive here: Meta does not say, and exclusive is the case that
                    // loses comments when a poller forgets the reference's "minus 1 s".
                    && since.is_none_or(|s| c.created_time > s)
            })
            .collect();
        items.sort_by_key(|c| c.key());
        let reverse = order == "reverse_chronological";
        if reverse {
            items.reverse();
        }
        let default = [field("created_time"), field("from"), field("message"), field("id")];
        let fields = if fields.is_empty() { &default[..] } else { fields };
        self.paginate(&items, reverse, request, params, base, |c| self.fb_comment_json(c, fields))
    }

    /// `GET /{comment-id}/comments`: the replies under one Facebook comment, oldest first.
    pub(super) fn list_comment_replies(
        &self,
        i: usize,
        request: &Incoming,
        params: &BTreeMap<String, String>,
        fields: &[Field],
        base: &Url,
    ) -> Answer {
        check_fields(fields, FB_COMMENT_FIELDS, "Comment")?;
        let parent = &self.comments[i].id;
        let mut items: Vec<&Comment> =
            self.comments.iter().filter(|c| c.parent_id.as_ref() == Some(parent) && !c.deleted).collect();
        items.sort_by_key(|c| c.key());
        let default = [field("created_time"), field("from"), field("message"), field("id")];
        let fields = if fields.is_empty() { &default[..] } else { fields };
        self.paginate(&items, false, request, params, base, |c| self.fb_comment_json(c, fields))
    }

    pub(super) fn list_ig_comments(
        &self,
        media: &str,
        request: &Incoming,
        params: &BTreeMap<String, String>,
        fields: &[Field],
        base: &Url,
    ) -> Answer {
        check_fields(fields, IG_COMMENT_FIELDS, "IGComment")?;
        let live = self.ig_media.get(media).is_some_and(|m| m.live);
        if !live && self.paging.ig_comments_only_while_live {
            return Ok(Success::body(json!({ "data": [] })));
        }
        let mut items: Vec<&Comment> = self
            .comments
            .iter()
            .filter(|c| c.object_id == media && c.visible_to_polling && !c.deleted && c.parent_id.is_none())
            .collect();
        items.sort_by_key(|c| c.key());
        let reverse = self.paging.ig_newest_first;
        if reverse {
            items.reverse();
        }
        let default = [field("timestamp"), field("text"), field("id")];
        let fields = if fields.is_empty() { &default[..] } else { fields };
        self.paginate(&items, reverse, request, params, base, |c| self.ig_comment_json(c, fields))
    }

    /// Cursor paging over an ordered list, with the configured empty pages.
    fn paginate(
        &self,
        items: &[&Comment],
        reverse: bool,
        request: &Incoming,
        params: &BTreeMap<String, String>,
        base: &Url,
        render: impl Fn(&Comment) -> Value,
    ) -> Answer {
        let limit = match params.get("limit") {
            None => self.paging.default_limit,
            Some(l) => l
                .trim()
                .parse::<usize>()
                .map_err(|_| GraphFailure::invalid_parameter("(#100) Param limit must be a number"))?
                .clamp(1, self.paging.max_limit),
        };
        let after = match params.get("after") {
            None => None,
            Some(text) => Some(
                Cursor::decode(text)
                    .ok_or_else(|| GraphFailure::invalid_parameter("(#100) The after cursor is not valid"))?,
            ),
        };
        let start_position = if reverse { (i64::MAX, u64::MAX) } else { (i64::MIN, 0) };
        let cursor = after.unwrap_or(Cursor {
            created_time: start_position.0,
            seq: start_position.1,
            pages: 0,
            last_was_empty: false,
        });
        let position = (cursor.created_time, cursor.seq);
        let start = items
            .iter()
            .position(|c| if reverse { c.key() < position } else { c.key() > position })
            .unwrap_or(items.len());

        let every = self.paging.empty_page_every;
        if every > 0 && cursor.pages % every == 0 && !cursor.last_was_empty {
            let next = Cursor { last_was_empty: true, ..cursor }.encode();
            return Ok(Success::body(json!({
                "data": [],
                "paging": {
                    "cursors": { "before": next, "after": next },
                    "next": next_link(base, request, &next),
                },
            })));
        }

        let page: Vec<&&Comment> = items[start..].iter().take(limit).collect();
        let (Some(first), Some(last)) = (page.first(), page.last()) else {
            return Ok(Success::body(json!({ "data": [] })));
        };
        let key_cursor = |c: &Comment| {
            Cursor {
                created_time: c.created_time,
                seq: c.seq,
                pages: cursor.pages + 1,
                last_was_empty: false,
            }
            .encode()
        };
        let before = key_cursor(first);
        let after = key_cursor(last);
        let data: Vec<Value> = page.iter().map(|c| render(c)).collect();
        let mut paging = json!({ "cursors": { "before": before, "after": after } });
        if start + page.len() < items.len() {
            paging["next"] = json!(next_link(base, request, &after));
        }
        Ok(Success::body(json!({ "data": data, "paging": paging })))
    }

    fn fb_comment_json(&self, c: &Comment, fields: &[Field]) -> Value {
        let live = self.live_videos.get(&c.object_id);
        let mut out = Map::new();
        out.insert("id".into(), json!(c.id));
        for f in fields {
            let value = match f.name.as_str() {
                "from" => json!({ "id": c.author_id, "name": c.author_name }),
                "message" => json!(c.text),
                "created_time" => json!(graph_timestamp(c.created_time)),
                "parent" => match &c.parent_id {
                    Some(parent) => json!({ "id": parent }),
                    None => continue,
                },
                "is_hidden" => json!(c.hidden),
                "live_broadcast_timestamp" => {
                    json!((c.created_time - live.map_or(c.created_time, |l| l.created_time)).max(0))
                }
                "can_hide" => json!(!c.by_page),
                "can_remove" | "can_like" => json!(true),
                "can_comment" => json!(c.parent_id.is_none()),
                "can_reply_privately" => json!(!c.by_page && !self.private_replies.contains_key(&c.id)),
                "comment_count" => json!(self.replies_of(&c.id).count()),
                "like_count" => json!(0),
                "user_likes" | "is_private" => json!(false),
                "permalink_url" => match live {
                    Some(l) => json!(format!(
                        "https://www.facebook.com/{}/videos/{}/?comment_id={}",
                        l.page_id,
                        l.video_id,
                        c.id.rsplit('_').next().unwrap_or(&c.id)
                    )),
                    None => continue,
                },
                "object" => match live {
                    Some(l) => json!({ "id": l.video_id }),
                    None => continue,
                },
                _ => continue,
            };
            out.insert(f.name.clone(), value);
        }
        Value::Object(out)
    }

    fn ig_comment_json(&self, c: &Comment, fields: &[Field]) -> Value {
        let mut out = Map::new();
        out.insert("id".into(), json!(c.id));
        for f in fields {
            let value = match f.name.as_str() {
                "text" => json!(c.text),
                "timestamp" => json!(graph_timestamp(c.created_time)),
                "username" => json!(c.author_name),
                "from" => json!({ "id": c.author_id, "username": c.author_name }),
                "user" => json!({ "id": c.author_id }),
                "hidden" => json!(c.hidden),
                "like_count" => json!(0),
                "media" => json!({ "id": c.object_id }),
                "parent_id" => match &c.parent_id {
                    Some(parent) => json!(parent),
                    None => continue,
                },
                "replies" => {
                    let default = [field("timestamp"), field("text"), field("id")];
                    let sub = if f.sub.is_empty() { &default[..] } else { &f.sub[..] };
                    let mut replies: Vec<&Comment> =
                        self.replies_of(&c.id).filter(|r| r.visible_to_polling && !r.deleted).collect();
                    replies.sort_by_key(|r| r.key());
                    let data: Vec<Value> = replies.iter().map(|r| self.ig_comment_json(r, sub)).collect();
                    json!({ "data": data })
                }
                _ => continue,
            };
            out.insert(f.name.clone(), value);
        }
        Value::Object(out)
    }

    fn replies_of<'a>(&'a self, id: &'a str) -> impl Iterator<Item = &'a Comment> + 'a {
        self.comments.iter().filter(move |c| c.parent_id.as_deref() == Some(id))
    }
}

fn field(name: &str) -> Field {
    Field { name: name.to_owned(), sub: Vec::new() }
}

fn has(fields: &[Field], name: &str) -> bool {
    fields.iter().any(|f| f.name == name)
}

/// Graph refuses a field a node type does not have.
fn check_fields(fields: &[Field], allowed: &[&str], node_type: &str) -> Result<(), GraphFailure> {
    match fields.iter().find(|f| !allowed.contains(&f.name.as_str())) {
        None => Ok(()),
        Some(f) => Err(GraphFailure::invalid_parameter(format!(
            "(#100) Tried accessing nonexisting field ({}) on node type ({node_type})",
            f.name
        ))),
    }
}

/// `["LIVE","VOD"]` (what Meta documents) or `LIVE,VOD`.
fn parse_status_list(raw: &str) -> Result<Vec<BroadcastStatus>, GraphFailure> {
    let names: Vec<String> = match serde_json::from_str::<Vec<String>>(raw) {
        Ok(names) => names,
        Err(_) => {
            raw.split(',').map(|s| s.trim().trim_matches('"').to_owned()).filter(|s| !s.is_empty()).collect()
        }
    };
    names
        .iter()
        .map(|name| {
            BroadcastStatus::parse(name).ok_or_else(|| {
                let all: Vec<&str> = BroadcastStatus::ALL.iter().map(|s| s.as_str()).collect();
                GraphFailure::invalid_parameter(format!(
                    "(#100) broadcast_status must be an array of the following values: {}",
                    all.join(", ")
                ))
            })
        })
        .collect()
}

/// The next page's URL: this fake, the same version and path, the same query with `after`.
fn next_link(base: &Url, request: &Incoming, after: &str) -> String {
    let version = request.version.as_deref().unwrap_or(GRAPH_VERSION);
    let mut url = base.clone();
    url.set_path(&format!("/{version}{}", request.path));
    {
        let mut query = url.query_pairs_mut();
        query.clear();
        for (key, value) in request.query.iter().filter(|(k, _)| k != "after" && k != "before") {
            query.append_pair(key, value);
        }
        query.append_pair("after", after);
    }
    url.to_string()
}
