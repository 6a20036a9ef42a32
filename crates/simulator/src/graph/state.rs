//! The fake's world and its request logic: pages, live videos, IG accounts and media, comments,
//! tokens, faults, and the Graph semantics of each call, all synchronous under one lock.
//!
//! `process` takes a parsed request and returns everything the HTTP layer needs (status, body,
//! usage headers, an optional hold and an optional echo webhook) and records the request. Nothing
//! here awaits, so the lock is never held across I/O. The endpoints themselves live in `reads`
//! (GET: nodes, comment pages) and `writes` (replies, private replies, hide, delete).

mod reads;
mod writes;

use super::fault::{ArmedFault, Fault, FaultId, FaultRule};
use super::wire::{merge_params, parse_fields, GraphFailure};
use super::{
    BroadcastStatus, CommentView, GraphAction, GraphConfig, NewComment, RecordedRequest, SetupError,
    UsageConfig,
};
use crate::webhook::{WebhookBody, WebhookSender};
use axum::http::{Method, StatusCode};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use curbside_domain::Platform;
use curbside_meta::appsecret_proof;
use serde_json::{json, Value};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::time::{Duration, Instant};
use url::Url;

#[derive(Debug)]
struct TokenGrant {
    owners: BTreeSet<String>,
    expired: bool,
}

#[derive(Debug)]
struct Page {
    name: String,
}

#[derive(Debug)]
struct LiveVideo {
    id: String,
    video_id: String,
    page_id: String,
    title: String,
    status: BroadcastStatus,
    created_time: i64,
}

#[derive(Debug)]
struct IgUser {
    username: String,
}

#[derive(Debug)]
struct IgMedia {
    id: String,
    owner: String,
    live: bool,
    created_time: i64,
}

#[derive(Debug, Clone)]
struct Comment {
    id: String,
    platform: Platform,
    /// Canonical object: the live video id or the IG media id.
    object_id: String,
    author_id: String,
    author_name: String,
    text: String,
    created_time: i64,
    parent_id: Option<String>,
    hidden: bool,
    deleted: bool,
    by_page: bool,
    visible_to_polling: bool,
    seq: u64,
}

impl Comment {
    fn key(&self) -> (i64, u64) {
        (self.created_time, self.seq)
    }

    fn view(&self) -> CommentView {
        CommentView {
            id: self.id.clone(),
            platform: self.platform,
            object_id: self.object_id.clone(),
            author_id: self.author_id.clone(),
            author_name: self.author_name.clone(),
            text: self.text.clone(),
            created_time: self.created_time,
            parent_id: self.parent_id.clone(),
            hidden: self.hidden,
            deleted: self.deleted,
            by_page: self.by_page,
            visible_to_polling: self.visible_to_polling,
        }
    }
}

/// What a path's first segment names.
#[derive(Debug, Clone)]
enum Node {
    Page(String),
    LiveVideo(String),
    /// The Video (or its `{page}_{video}` post) behind a live video; holds the live video id.
    Video(String),
    IgUser(String),
    IgMedia(String),
    Comment(usize),
}

#[derive(Debug, Clone, Copy)]
pub(crate) struct Paging {
    pub(crate) empty_page_every: u64,
    default_limit: usize,
    max_limit: usize,
    ig_newest_first: bool,
    ig_comments_only_while_live: bool,
}

/// A request as the HTTP layer hands it over.
#[derive(Debug)]
pub(crate) struct Incoming {
    pub(crate) method: Method,
    /// `v25.0` when the path had a version prefix.
    pub(crate) version: Option<String>,
    /// Without the version: `/123/comments`.
    pub(crate) path: String,
    pub(crate) segments: Vec<String>,
    /// The raw query pairs, for `next` links.
    pub(crate) query: Vec<(String, String)>,
    pub(crate) params: Result<BTreeMap<String, String>, GraphFailure>,
}

impl Incoming {
    pub(crate) fn read(
        method: Method,
        path: &str,
        query: Option<&str>,
        content_type: Option<&str>,
        body: &[u8],
    ) -> Incoming {
        let mut segments: Vec<String> =
            path.split('/').filter(|s| !s.is_empty()).map(str::to_owned).collect();
        let version = match segments.first() {
            Some(first) if is_version(first) => Some(segments.remove(0)),
            _ => None,
        };
        Incoming {
            method,
            version,
            path: format!("/{}", segments.join("/")),
            segments,
            query: query
                .map(|q| url::form_urlencoded::parse(q.as_bytes()).into_owned().collect())
                .unwrap_or_default(),
            params: merge_params(query, content_type, body),
        }
    }
}

/// `v25.0`, `v3`: a `v` then digits and dots, starting with a digit.
fn is_version(segment: &str) -> bool {
    segment.strip_prefix('v').is_some_and(|rest| {
        rest.starts_with(|c: char| c.is_ascii_digit()) && rest.chars().all(|c| c.is_ascii_digit() || c == '.')
    })
}

/// What the HTTP layer sends back.
#[derive(Debug)]
pub(crate) struct Outcome {
    pub(crate) status: StatusCode,
    pub(crate) body: OutBody,
    pub(crate) trace_id: String,
    pub(crate) app_usage: Option<String>,
    pub(crate) business_usage: Option<String>,
    /// Hold the response this long first (a timeout fault).
    pub(crate) hold: Option<Duration>,
    /// A token problem: Graph adds `WWW-Authenticate: OAuth "Facebook Platform" …`.
    pub(crate) www_authenticate: bool,
    /// A webhook Meta would send because of this call, and who to send it with.
    pub(crate) echo: Option<(WebhookSender, WebhookBody)>,
}

#[derive(Debug)]
pub(crate) enum OutBody {
    Json(Value),
    Html(String),
}

/// A successful call's body and the echo webhook it causes.
struct Success {
    body: Value,
    echo: Option<WebhookBody>,
}

impl Success {
    fn body(body: Value) -> Success {
        Success { body, echo: None }
    }
}

type Answer = Result<Success, GraphFailure>;

#[derive(Debug)]
pub(crate) struct State {
    pub(crate) app_secret: Vec<u8>,
    tokens: HashMap<String, TokenGrant>,
    pages: BTreeMap<String, Page>,
    live_videos: BTreeMap<String, LiveVideo>,
    ig_users: BTreeMap<String, IgUser>,
    ig_media: BTreeMap<String, IgMedia>,
    comments: Vec<Comment>,
    by_id: HashMap<String, usize>,
    next_seq: u64,
    /// Comment id → message id of its private reply: one per comment.
    private_replies: HashMap<String, String>,
    pub(crate) actions: Vec<GraphAction>,
    pub(crate) requests: Vec<RecordedRequest>,
    faults: Vec<ArmedFault>,
    next_fault: u64,
    pub(crate) usage: UsageConfig,
    pub(crate) paging: Paging,
    pub(crate) echo: Option<WebhookSender>,
    max_hold: Duration,
    traces: u64,
}

impl State {
    pub(crate) fn new(config: &GraphConfig) -> State {
        let ids = &config.ids;
        let app_secret = ids.app_secret.as_bytes().to_vec();
        let now = crate::time::now_unix();
        let mut state = State {
            echo: config.echo_webhooks_to.clone().map(|url| WebhookSender::new(url, &app_secret)),
            app_secret,
            tokens: HashMap::new(),
            pages: BTreeMap::new(),
            live_videos: BTreeMap::new(),
            ig_users: BTreeMap::new(),
            ig_media: BTreeMap::new(),
            comments: Vec::new(),
            by_id: HashMap::new(),
            next_seq: 1,
            private_replies: HashMap::new(),
            actions: Vec::new(),
            requests: Vec::new(),
            faults: Vec::new(),
            next_fault: 1,
            usage: config.usage,
            paging: Paging {
                empty_page_every: config.empty_page_every,
                default_limit: config.default_limit.max(1),
                max_limit: config.max_limit.max(1),
                ig_newest_first: config.ig_newest_first,
                ig_comments_only_while_live: config.ig_comments_only_while_live,
            },
            max_hold: config.max_hold,
            traces: 0,
        };
        state.add_page(ids.page_id.clone(), ids.page_name.clone());
        state.live_videos.insert(
            ids.live_video_id.clone(),
            LiveVideo {
                id: ids.live_video_id.clone(),
                video_id: ids.video_id.clone(),
                page_id: ids.page_id.clone(),
                title: ids.title.clone(),
                status: BroadcastStatus::Live,
                created_time: now,
            },
        );
        state.add_ig_user(ids.ig_user_id.clone(), ids.ig_username.clone());
        state.ig_media.insert(
            ids.ig_media_id.clone(),
            IgMedia {
                id: ids.ig_media_id.clone(),
                owner: ids.ig_user_id.clone(),
                live: true,
                created_time: now,
            },
        );
        state.add_token(ids.page_token.clone(), ids.page_id.clone());
        state.add_token(ids.ig_token.clone(), ids.ig_user_id.clone());
        state
    }

    // Setup, used by `GraphHandle`.

    pub(crate) fn add_token(&mut self, token: String, owner: String) {
        self.tokens
            .entry(token)
            .or_insert_with(|| TokenGrant { owners: BTreeSet::new(), expired: false })
            .owners
            .insert(owner);
    }

    pub(crate) fn expire_token(&mut self, token: &str) {
        if let Some(grant) = self.tokens.get_mut(token) {
            grant.expired = true;
        }
    }

    pub(crate) fn add_page(&mut self, id: String, name: String) {
        self.pages.insert(id, Page { name });
    }

    pub(crate) fn add_live_video(
        &mut self,
        page_id: &str,
        id: String,
        video_id: String,
        title: String,
        status: BroadcastStatus,
    ) -> Result<(), SetupError> {
        if !self.pages.contains_key(page_id) {
            return Err(SetupError::UnknownObject(page_id.to_owned()));
        }
        let created_time = crate::time::now_unix();
        self.live_videos.insert(
            id.clone(),
            LiveVideo { id, video_id, page_id: page_id.to_owned(), title, status, created_time },
        );
        Ok(())
    }

    pub(crate) fn add_ig_user(&mut self, id: String, username: String) {
        self.ig_users.insert(id, IgUser { username });
    }

    pub(crate) fn add_ig_media(&mut self, owner: &str, id: String) -> Result<(), SetupError> {
        if !self.ig_users.contains_key(owner) {
            return Err(SetupError::UnknownObject(owner.to_owned()));
        }
        let created_time = crate::time::now_unix();
        self.ig_media.insert(id.clone(), IgMedia { id, owner: owner.to_owned(), live: true, created_time });
        Ok(())
    }

    fn live_id_for(&self, id: &str) -> Option<String> {
        if self.live_videos.contains_key(id) {
            return Some(id.to_owned());
        }
        self.live_videos
            .values()
            .find(|l| l.video_id == id || format!("{}_{}", l.page_id, l.video_id) == id)
            .map(|l| l.id.clone())
    }

    pub(crate) fn set_live_status(&mut self, id: &str, status: BroadcastStatus) -> bool {
        match self.live_id_for(id).and_then(|live| self.live_videos.get_mut(&live)) {
            Some(live) => {
                live.status = status;
                true
            }
            None => false,
        }
    }

    pub(crate) fn live_status(&self, id: &str) -> Option<BroadcastStatus> {
        self.live_id_for(id).and_then(|live| self.live_videos.get(&live)).map(|l| l.status)
    }

    pub(crate) fn set_ig_media_live(&mut self, id: &str, live: bool) -> bool {
        match self.ig_media.get_mut(id) {
            Some(media) => {
                media.live = live;
                true
            }
            None => false,
        }
    }

    pub(crate) fn add_comment(&mut self, new: NewComment, now: i64) -> Result<String, SetupError> {
        let (platform, object_id) = if let Some(live) = self.live_id_for(&new.object_id) {
            (Platform::Facebook, live)
        } else if self.ig_media.contains_key(&new.object_id) {
            (Platform::Instagram, new.object_id.clone())
        } else {
            return Err(SetupError::UnknownObject(new.object_id));
        };
        if let Some(parent) = &new.parent_id {
            if !self.by_id.contains_key(parent) {
                return Err(SetupError::UnknownComment(parent.clone()));
            }
        }
        let id = match new.id {
            Some(id) => id,
            None => self.new_comment_id(platform, &object_id),
        };
        if self.by_id.contains_key(&id) {
            return Err(SetupError::DuplicateId(id));
        }
        self.insert_comment(Comment {
            id: id.clone(),
            platform,
            object_id,
            author_id: new.author_id,
            author_name: new.author_name,
            text: new.text,
            created_time: new.created_time.unwrap_or(now),
            parent_id: new.parent_id,
            hidden: false,
            deleted: false,
            by_page: false,
            visible_to_polling: new.visible_to_polling,
            seq: 0,
        });
        Ok(id)
    }

    fn insert_comment(&mut self, mut comment: Comment) {
        comment.seq = self.next_seq;
        self.next_seq += 1;
        self.by_id.insert(comment.id.clone(), self.comments.len());
        self.comments.push(comment);
    }

    /// Facebook: `{video_id}_{16 digits}`; Instagram: 18 digits. Distinct from the player's ids.
    fn new_comment_id(&self, platform: Platform, object_id: &str) -> String {
        match platform {
            Platform::Instagram => format!("{}", 180_000_000_000_000_000u64 + self.next_seq),
            _ => {
                let video = self.live_videos.get(object_id).map(|l| l.video_id.as_str()).unwrap_or(object_id);
                format!("{video}_{}", 1_100_000_000_000_000u64 + self.next_seq)
            }
        }
    }

    fn comment_mut(&mut self, id: &str) -> Result<&mut Comment, SetupError> {
        match self.by_id.get(id) {
            Some(&i) => Ok(&mut self.comments[i]),
            None => Err(SetupError::UnknownComment(id.to_owned())),
        }
    }

    pub(crate) fn edit_comment(&mut self, id: &str, text: String) -> Result<(), SetupError> {
        self.comment_mut(id)?.text = text;
        Ok(())
    }

    pub(crate) fn remove_comment(&mut self, id: &str) -> Result<(), SetupError> {
        self.comment_mut(id)?.deleted = true;
        Ok(())
    }

    pub(crate) fn set_comment_hidden(&mut self, id: &str, hidden: bool) -> Result<(), SetupError> {
        self.comment_mut(id)?.hidden = hidden;
        Ok(())
    }

    pub(crate) fn comment_view(&self, id: &str) -> Option<CommentView> {
        self.by_id.get(id).map(|&i| self.comments[i].view())
    }

    pub(crate) fn comments_on(&self, object_id: &str) -> Vec<CommentView> {
        let object = self.live_id_for(object_id).unwrap_or_else(|| object_id.to_owned());
        let mut found: Vec<&Comment> = self.comments.iter().filter(|c| c.object_id == object).collect();
        found.sort_by_key(|c| c.key());
        found.into_iter().map(Comment::view).collect()
    }

    pub(crate) fn inject(&mut self, rule: FaultRule) -> FaultId {
        let id = FaultId(self.next_fault);
        self.next_fault += 1;
        self.faults.push(ArmedFault { id, rule, fired: 0 });
        id
    }

    pub(crate) fn fault_hits(&self, id: FaultId) -> usize {
        self.faults.iter().find(|f| f.id == id).map_or(0, |f| f.fired)
    }

    pub(crate) fn clear_faults(&mut self) {
        self.faults.clear();
    }

    /// The first armed, unspent rule matching the request fires.
    fn take_fault(&mut self, method: &Method, path: &str) -> Option<Fault> {
        let armed = self.faults.iter_mut().find(|f| !f.is_spent() && f.rule.matcher.matches(method, path))?;
        armed.fired += 1;
        Some(armed.rule.fault.clone())
    }

    fn next_trace_id(&mut self) -> String {
        self.traces += 1;
        // Looks like Meta's 11-character trace ids; unique per response.
        let mixed = self.traces.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ 0x5DEE_CE66;
        format!("A{}", &URL_SAFE_NO_PAD.encode(mixed.to_be_bytes())[..10])
    }

    // Requests.

    pub(crate) fn process(&mut self, request: Incoming, base: &Url, now: i64) -> Outcome {
        let trace_id = self.next_trace_id();
        let params = request.params.clone().unwrap_or_default();
        let mut fired = None;
        let mut hold = None;
        let mut usage = self.usage;
        let mut html = None;
        let mut accepted_echo = None;

        let token = params.get("access_token").cloned().unwrap_or_default();
        let answer = match request.params.as_ref().map_err(Clone::clone).and_then(|p| self.authenticate(p)) {
            Err(failure) => Err(failure),
            Ok(owners) => match self.take_fault(&request.method, &request.path) {
                None => self.route(&request, &params, &owners, base, now),
                Some(fault) => {
                    fired = Some(fault.clone());
                    match fault {
                        Fault::ServerError(500) => Err(GraphFailure::unknown_error()),
                        Fault::ServerError(503) => Err(GraphFailure::service_unavailable()),
                        Fault::ServerError(status) => {
                            html = Some(StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_GATEWAY));
                            Err(GraphFailure::unknown_error())
                        }
                        Fault::Throttle { code, regain_minutes, usage_percent } => {
                            usage = UsageConfig {
                                app_percent: Some(usage_percent),
                                business_percent: Some(usage_percent),
                                regain_minutes,
                            };
                            Err(GraphFailure::throttled(code))
                        }
                        Fault::ExpiredToken => Err(GraphFailure::expired_token()),
                        Fault::PermissionDenied(code) => Err(GraphFailure::permission_denied(code)),
                        Fault::InvalidParameter => {
                            Err(GraphFailure::invalid_parameter("(#100) Invalid parameter"))
                        }
                        Fault::Timeout(duration) => {
                            hold = Some(duration.min(self.max_hold));
                            html = Some(StatusCode::GATEWAY_TIMEOUT);
                            Err(GraphFailure::unknown_error())
                        }
                        Fault::AcceptThenDrop => match self.route(&request, &params, &owners, base, now) {
                            // The side effect (and Meta's echo of it) happens; the caller only
                            // learns that something failed.
                            Ok(success) => {
                                accepted_echo = success.echo;
                                Err(GraphFailure::unknown_error())
                            }
                            Err(failure) => Err(failure),
                        },
                        Fault::AcceptThenHold(duration) => {
                            match self.route(&request, &params, &owners, base, now) {
                                Ok(success) => {
                                    accepted_echo = success.echo;
                                    hold = Some(duration.min(self.max_hold));
                                    html = Some(StatusCode::GATEWAY_TIMEOUT);
                                    Err(GraphFailure::unknown_error())
                                }
                                Err(failure) => Err(failure),
                            }
                        }
                    }
                }
            },
        };

        let mut www_authenticate = false;
        let (status, body, echo) = match (answer, html) {
            (_, Some(status)) => (status, OutBody::Html(proxy_page(status)), None),
            (Ok(success), None) => (StatusCode::OK, OutBody::Json(success.body), success.echo),
            (Err(failure), None) => {
                www_authenticate = matches!(failure.code, 104 | 190);
                (failure.status, OutBody::Json(failure.body(&trace_id)), accepted_echo)
            }
        };
        let business_owner = self.usage_owner(&request, &token);
        let outcome = Outcome {
            status,
            body,
            trace_id,
            app_usage: usage.app_percent.map(|p| {
                json!({"call_count": p, "total_cputime": p * 3 / 4, "total_time": p * 3 / 4}).to_string()
            }),
            business_usage: usage.business_percent.zip(business_owner).map(|(p, (owner, kind))| {
                json!({ owner: [{
                    "type": kind,
                    "call_count": p,
                    "total_cputime": p * 3 / 4,
                    "total_time": p * 3 / 4,
                    "estimated_time_to_regain_access": usage.regain_minutes,
                    "ads_api_access_tier": "development_access",
                }]})
                .to_string()
            }),
            hold,
            www_authenticate,
            echo: echo.and_then(|body| self.echo.clone().map(|sender| (sender, body))),
        };
        self.requests.push(RecordedRequest {
            method: request.method,
            path: request.path,
            params,
            at: Instant::now(),
            status: status.as_u16(),
            fault: fired,
        });
        outcome
    }

    /// Checks the token and its proof; returns what the token may act on.
    fn authenticate(&self, params: &BTreeMap<String, String>) -> Result<BTreeSet<String>, GraphFailure> {
        let token =
            params.get("access_token").filter(|t| !t.is_empty()).ok_or_else(GraphFailure::missing_token)?;
        let proof = params
            .get("appsecret_proof")
            .filter(|p| !p.is_empty())
            .ok_or_else(GraphFailure::missing_proof)?;
        if *proof != appsecret_proof(&self.app_secret, token) {
            return Err(GraphFailure::wrong_proof());
        }
        let grant = self.tokens.get(token).ok_or_else(GraphFailure::unknown_token)?;
        if grant.expired {
            return Err(GraphFailure::expired_token());
        }
        Ok(grant.owners.clone())
    }

    /// The business object the usage header is keyed by: the Page or IG account the call is
    /// about, else the token's first owner.
    fn usage_owner(&self, request: &Incoming, token: &str) -> Option<(String, &'static str)> {
        let owner = request
            .segments
            .first()
            .and_then(|id| self.resolve(id))
            .and_then(|node| self.owner_of(&node))
            .or_else(|| self.tokens.get(token).and_then(|g| g.owners.iter().next().cloned()))?;
        let kind = if self.ig_users.contains_key(&owner) { "instagram" } else { "pages" };
        Some((owner, kind))
    }

    fn resolve(&self, id: &str) -> Option<Node> {
        if self.pages.contains_key(id) {
            Some(Node::Page(id.to_owned()))
        } else if self.live_videos.contains_key(id) {
            Some(Node::LiveVideo(id.to_owned()))
        } else if let Some(live) = self.live_id_for(id) {
            Some(Node::Video(live))
        } else if self.ig_users.contains_key(id) {
            Some(Node::IgUser(id.to_owned()))
        } else if self.ig_media.contains_key(id) {
            Some(Node::IgMedia(id.to_owned()))
        } else {
            // A removed comment is gone for Graph too.
            self.by_id.get(id).copied().filter(|&i| !self.comments[i].deleted).map(Node::Comment)
        }
    }

    fn owner_of(&self, node: &Node) -> Option<String> {
        match node {
            Node::Page(id) | Node::IgUser(id) => Some(id.clone()),
            Node::LiveVideo(live) | Node::Video(live) => {
                self.live_videos.get(live).map(|l| l.page_id.clone())
            }
            Node::IgMedia(media) => self.ig_media.get(media).map(|m| m.owner.clone()),
            Node::Comment(i) => self.owner_of_object(&self.comments[*i].object_id),
        }
    }

    fn owner_of_object(&self, object_id: &str) -> Option<String> {
        self.live_videos
            .get(object_id)
            .map(|l| l.page_id.clone())
            .or_else(|| self.ig_media.get(object_id).map(|m| m.owner.clone()))
    }

    fn route(
        &mut self,
        request: &Incoming,
        params: &BTreeMap<String, String>,
        owners: &BTreeSet<String>,
        base: &Url,
        now: i64,
    ) -> Answer {
        let method = request.method.as_str();
        let id = request.segments.first().map(String::as_str).unwrap_or("");
        let unsupported = || GraphFailure::unsupported(method, id);
        if request.segments.len() > 2 {
            return Err(unsupported());
        }
        // An object this token may not see is reported exactly like one that does not exist.
        let node = self
            .resolve(id)
            .filter(|node| self.owner_of(node).is_some_and(|owner| owners.contains(&owner)))
            .ok_or_else(unsupported)?;
        let edge = request.segments.get(1).map(String::as_str);
        let fields = params.get("fields").map(|f| parse_fields(f)).unwrap_or_default();

        match (&request.method, &node, edge) {
            (m, Node::Page(page), None) if m == Method::GET => self.page_json(page, &fields),
            (m, Node::Page(page), Some("live_videos")) if m == Method::GET => {
                self.page_live_videos(page, params, &fields)
            }
            (m, Node::LiveVideo(live), None) if m == Method::GET => {
                self.live_video_json(live, &fields).map(Success::body)
            }
            (m, Node::LiveVideo(live) | Node::Video(live), Some("comments")) if m == Method::GET => {
                self.list_fb_comments(live, request, params, &fields, base)
            }
            (m, Node::IgUser(user), None) if m == Method::GET => self.ig_user_json(user, &fields),
            (m, Node::IgUser(user), Some("live_media")) if m == Method::GET => {
                self.ig_live_media(user, &fields)
            }
            (m, Node::IgMedia(media), None) if m == Method::GET => {
                self.ig_media_json(media, &fields).map(Success::body)
            }
            (m, Node::IgMedia(media), Some("comments")) if m == Method::GET => {
                self.list_ig_comments(media, request, params, &fields, base)
            }
            (m, Node::Comment(i), None) if m == Method::GET => {
                self.comment_json(*i, &fields).map(Success::body)
            }
            (m, Node::Comment(i), Some("comments"))
                if m == Method::GET && self.comments[*i].platform == Platform::Facebook =>
            {
                self.list_comment_replies(*i, request, params, &fields, base)
            }
            (m, Node::Comment(i), Some("comments")) if m == Method::POST => {
                if self.comments[*i].platform == Platform::Facebook {
                    self.fb_reply(*i, params, now)
                } else {
                    Err(unsupported())
                }
            }
            (m, Node::Video(live), Some("comments")) if m == Method::POST => {
                self.page_comment(live, params, now)
            }
            (m, Node::Comment(i), Some("replies")) if m == Method::POST => {
                if self.comments[*i].platform == Platform::Instagram {
                    // Reference §5.3: live comments take no public reply, only a private one.
                    Err(GraphFailure::invalid_parameter(
                        "(#100) Replies to comments on live media are not supported. Send a private reply instead.",
                    ))
                } else {
                    Err(unsupported())
                }
            }
            (m, Node::IgUser(via) | Node::Page(via), Some("messages")) if m == Method::POST => {
                self.private_reply(via, owners, params, now)
            }
            (m, Node::Comment(i), None) if m == Method::POST => self.update_comment(*i, params),
            (m, Node::Comment(i), None) if m == Method::DELETE => Ok(self.delete_comment(*i)),
            _ => Err(unsupported()),
        }
    }
}

/// What a proxy in front of Graph answers with: HTML, not the error envelope.
fn proxy_page(status: StatusCode) -> String {
    let reason = status.canonical_reason().unwrap_or("Error");
    format!(
        "<!DOCTYPE html><html><head><title>{code} {reason}</title></head><body><h1>{code} {reason}</h1>\
         <p>Sorry, something went wrong.</p></body></html>",
        code = status.as_u16()
    )
}
