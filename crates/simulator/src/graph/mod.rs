//! A fake Meta Graph API: a real HTTP server on loopback that serves comments, live-video status,
//! replies, private replies, hide and delete the way Graph v25 does, and records every call.
//!
//! Requests may use any `/v{N}` prefix or none. Every call must carry `access_token` and
//! `appsecret_proof` (query, form or JSON body), checked like Graph does; responses carry
//! `X-App-Usage` and `X-Business-Use-Case-Usage`. Tests arm [`FaultRule`]s to make calls fail the
//! ways Meta's do, change broadcast status, add comments, and read back what the product did
//! through [`GraphHandle::requests`], [`GraphHandle::fb_replies`], [`GraphHandle::ig_private_replies`]
//! and [`GraphHandle::hidden`].
//!
//! Where Meta's behaviour is undocumented the fake makes one plausible choice and says so where it
//! is made: e.g. `since` is exclusive, Instagram comments list newest first and vanish from the
//! API once the broadcast ends, a second private reply is refused with 10900/2534014.

mod fault;
mod http;
mod state;
mod wire;

pub use fault::{Fault, FaultId, FaultRule, Matcher};

use crate::ids::SimIds;
use crate::time::now_unix;
use crate::webhook::WebhookSender;
use axum::http::Method;
use curbside_domain::Platform;
use state::State;
use std::collections::BTreeMap;
use std::ops::Deref;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};
use thiserror::Error;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;
use url::Url;

/// The version the fake advertises (`facebook-api-version`) and the one `next` links use when the
/// request had none. Any `/v{N}` prefix is accepted.
pub const GRAPH_VERSION: &str = "v25.0";

/// How the fake starts. [`GraphConfig::new`] seeds the broadcast of a [`SimIds`]: its Page with a
/// LIVE live video, its Instagram account with live media, and their two tokens.
#[derive(Debug, Clone)]
pub struct GraphConfig {
    pub ids: SimIds,
    /// 0: never. n: before the first page of every paging sequence and after every n pages with
    /// data, answer one page with no data that still carries `next` (Meta does this).
    pub empty_page_every: u64,
    /// Page size when the request has no `limit`.
    pub default_limit: usize,
    /// Larger `limit`s are cut to this, as Graph does.
    pub max_limit: usize,
    /// Instagram `GET /{ig-media-id}/comments` order. Meta does not document it; newest first is
    /// what integrators report, and it is the harder case for a poller.
    pub ig_newest_first: bool,
    /// "Through the API, Instagram live comments exist only while the broadcast is on air": once
    /// the media has ended its comment listing is empty.
    pub ig_comments_only_while_live: bool,
    pub usage: UsageConfig,
    /// Upper bound for [`Fault::Timeout`] holds, so a test can never hang.
    pub max_hold: Duration,
    /// When set, the fake sends the `feed` webhooks Meta sends for the Page's own actions (its
    /// replies, hides, deletes) to this URL, signed with the app secret: the reply-loop case.
    pub echo_webhooks_to: Option<Url>,
}

impl GraphConfig {
    pub fn new(ids: SimIds) -> GraphConfig {
        GraphConfig {
            ids,
            empty_page_every: 0,
            default_limit: 25,
            max_limit: 100,
            ig_newest_first: true,
            ig_comments_only_while_live: true,
            usage: UsageConfig::default(),
            max_hold: Duration::from_secs(30),
            echo_webhooks_to: None,
        }
    }

    pub fn with_empty_pages_every(mut self, n: u64) -> GraphConfig {
        self.empty_page_every = n;
        self
    }

    pub fn with_echo_webhooks_to(mut self, target: Url) -> GraphConfig {
        self.echo_webhooks_to = Some(target);
        self
    }
}

impl Default for GraphConfig {
    fn default() -> GraphConfig {
        GraphConfig::new(SimIds::default())
    }
}

/// The usage headers on every response, as percentages of the budget. `None` leaves a header out
/// (Meta sends them only once enough calls were made).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UsageConfig {
    /// `X-App-Usage` `call_count` (CPU and total time are reported a little lower).
    pub app_percent: Option<u32>,
    /// `X-Business-Use-Case-Usage`, keyed by the Page or Instagram account the call was about.
    pub business_percent: Option<u32>,
    /// `estimated_time_to_regain_access`, minutes.
    pub regain_minutes: u32,
}

impl Default for UsageConfig {
    fn default() -> UsageConfig {
        UsageConfig { app_percent: Some(2), business_percent: Some(1), regain_minutes: 0 }
    }
}

/// REST `status` / `broadcast_status` of a live video (UPPERCASE on the wire).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BroadcastStatus {
    Unpublished,
    ScheduledUnpublished,
    ScheduledLive,
    ScheduledCanceled,
    ScheduledExpired,
    Live,
    LiveStopped,
    Processing,
    Vod,
}

impl BroadcastStatus {
    pub const ALL: [BroadcastStatus; 9] = [
        BroadcastStatus::Unpublished,
        BroadcastStatus::ScheduledUnpublished,
        BroadcastStatus::ScheduledLive,
        BroadcastStatus::ScheduledCanceled,
        BroadcastStatus::ScheduledExpired,
        BroadcastStatus::Live,
        BroadcastStatus::LiveStopped,
        BroadcastStatus::Processing,
        BroadcastStatus::Vod,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            BroadcastStatus::Unpublished => "UNPUBLISHED",
            BroadcastStatus::ScheduledUnpublished => "SCHEDULED_UNPUBLISHED",
            BroadcastStatus::ScheduledLive => "SCHEDULED_LIVE",
            BroadcastStatus::ScheduledCanceled => "SCHEDULED_CANCELED",
            BroadcastStatus::ScheduledExpired => "SCHEDULED_EXPIRED",
            BroadcastStatus::Live => "LIVE",
            BroadcastStatus::LiveStopped => "LIVE_STOPPED",
            BroadcastStatus::Processing => "PROCESSING",
            BroadcastStatus::Vod => "VOD",
        }
    }

    /// The lowercase form `live_videos` webhooks carry.
    pub fn webhook_str(self) -> String {
        self.as_str().to_ascii_lowercase()
    }

    pub fn parse(text: &str) -> Option<BroadcastStatus> {
        BroadcastStatus::ALL.into_iter().find(|s| s.as_str().eq_ignore_ascii_case(text.trim()))
    }
}

/// A comment to put on a live video or IG media directly (not through HTTP), as a viewer would.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewComment {
    /// The live video id (its video id and `{page}_{video}` post id work too) or the IG media id.
    pub object_id: String,
    /// `None`: the fake makes one (`{video_id}_{n}` on Facebook, 18 digits on Instagram).
    pub id: Option<String>,
    pub author_id: String,
    /// The Facebook name or the Instagram username.
    pub author_name: String,
    pub text: String,
    /// Unix seconds; `None` is now.
    pub created_time: Option<i64>,
    pub parent_id: Option<String>,
    /// False for a comment Meta pushed by webhook but the comments edge does not return.
    pub visible_to_polling: bool,
}

impl NewComment {
    pub fn new(
        object_id: impl Into<String>,
        author_id: impl Into<String>,
        author_name: impl Into<String>,
        text: impl Into<String>,
    ) -> NewComment {
        NewComment {
            object_id: object_id.into(),
            id: None,
            author_id: author_id.into(),
            author_name: author_name.into(),
            text: text.into(),
            created_time: None,
            parent_id: None,
            visible_to_polling: true,
        }
    }

    pub fn with_id(mut self, id: impl Into<String>) -> NewComment {
        self.id = Some(id.into());
        self
    }

    pub fn at(mut self, unix_seconds: i64) -> NewComment {
        self.created_time = Some(unix_seconds);
        self
    }

    pub fn reply_to(mut self, parent_id: impl Into<String>) -> NewComment {
        self.parent_id = Some(parent_id.into());
        self
    }

    /// Delivered by webhook only: the comments edge never returns it.
    pub fn webhook_only(mut self) -> NewComment {
        self.visible_to_polling = false;
        self
    }
}

/// Why a direct state change was refused.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum SetupError {
    #[error("no live video or IG media has id `{0}`")]
    UnknownObject(String),
    #[error("a comment with id `{0}` already exists")]
    DuplicateId(String),
    #[error("no comment has id `{0}`")]
    UnknownComment(String),
}

/// A comment as the fake holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommentView {
    pub id: String,
    pub platform: Platform,
    /// The live video id or the IG media id.
    pub object_id: String,
    pub author_id: String,
    pub author_name: String,
    pub text: String,
    pub created_time: i64,
    pub parent_id: Option<String>,
    pub hidden: bool,
    pub deleted: bool,
    /// Written by the Page (a reply through the API).
    pub by_page: bool,
    pub visible_to_polling: bool,
}

/// One HTTP request the fake received, whatever the outcome.
#[derive(Debug, Clone, PartialEq)]
pub struct RecordedRequest {
    pub method: Method,
    /// Without the version prefix: `/1203994857723411/comments`.
    pub path: String,
    /// Query, form and JSON body parameters merged (nested JSON kept as text).
    pub params: BTreeMap<String, String>,
    pub at: Instant,
    pub status: u16,
    /// The injected fault that answered it, if any.
    pub fault: Option<Fault>,
}

impl RecordedRequest {
    pub fn param(&self, name: &str) -> Option<&str> {
        self.params.get(name).map(String::as_str)
    }
}

/// A public Facebook reply the Page posted through `POST /{comment-id}/comments`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FbReply {
    /// The new comment's id, as returned to the caller.
    pub reply_id: String,
    /// The comment the call replied to.
    pub comment_id: String,
    pub message: String,
    pub at: Instant,
}

/// A private reply sent through `POST /{ig-user-id}/messages` (or `/{page-id}/messages`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PrivateReply {
    pub platform: Platform,
    pub comment_id: String,
    pub text: String,
    pub message_id: String,
    pub recipient_id: String,
    /// The node the call was made on (the IG user or the Page).
    pub via: String,
    pub at: Instant,
}

/// A hide or unhide (`is_hidden` on Facebook, `hide` on Instagram).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HideAction {
    pub comment_id: String,
    pub platform: Platform,
    pub hidden: bool,
    pub at: Instant,
}

/// Every side effect a caller caused, in order. A side effect done under
/// [`Fault::AcceptThenDrop`] is here even though the caller saw a 500.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GraphAction {
    FbReply(FbReply),
    /// A top-level comment by the Page on the video or post.
    PageComment {
        comment_id: String,
        object_id: String,
        message: String,
    },
    PrivateReply(PrivateReply),
    Hide(HideAction),
    /// The Page edited its own comment.
    Edit {
        comment_id: String,
        message: String,
    },
    Delete {
        comment_id: String,
        platform: Platform,
    },
}

/// A cheap, cloneable handle on a running fake: state, faults and the record.
#[derive(Clone)]
pub struct GraphHandle {
    shared: Arc<Shared>,
}

impl std::fmt::Debug for GraphHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GraphHandle").field("url", &self.url()).finish_non_exhaustive()
    }
}

pub(crate) struct Shared {
    state: Mutex<State>,
    base: Url,
    shutdown: CancellationToken,
}

impl Shared {
    /// The state lock. Held only for short, synchronous work, never across `.await`; a panic
    /// while holding it (a bug) must not wedge every later request, so poisoning is ignored.
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// The running server. Stops on [`FakeGraph::stop`] or when dropped; derefs to its
/// [`GraphHandle`] for everything else.
pub struct FakeGraph {
    handle: GraphHandle,
    task: Option<JoinHandle<()>>,
}

impl std::fmt::Debug for FakeGraph {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FakeGraph").field("url", &self.handle.url()).finish_non_exhaustive()
    }
}

impl FakeGraph {
    /// Binds `127.0.0.1:0` and serves until stopped.
    pub async fn start(config: GraphConfig) -> std::io::Result<FakeGraph> {
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", 0)).await?;
        let addr = listener.local_addr()?;
        let base = Url::parse(&format!("http://{addr}")).map_err(std::io::Error::other)?;
        let shutdown = CancellationToken::new();
        let shared =
            Arc::new(Shared { state: Mutex::new(State::new(&config)), base, shutdown: shutdown.clone() });
        let router = http::router(shared.clone());
        let task = tokio::spawn(async move {
            let served =
                axum::serve(listener, router).with_graceful_shutdown(shutdown.cancelled_owned()).await;
            if let Err(error) = served {
                tracing::warn!(%error, "fake Graph API server stopped with an error");
            }
        });
        Ok(FakeGraph { handle: GraphHandle { shared }, task: Some(task) })
    }

    /// A handle that outlives this borrow (for a [`crate::Player`] or a spawned task).
    pub fn handle(&self) -> GraphHandle {
        self.handle.clone()
    }

    /// Stops accepting, lets in-flight requests finish (held ones are released), and waits up to
    /// five seconds for the server task.
    pub async fn stop(mut self) {
        self.handle.shared.shutdown.cancel();
        if let Some(task) = self.task.take() {
            let _ = tokio::time::timeout(Duration::from_secs(5), task).await;
        }
    }
}

impl Deref for FakeGraph {
    type Target = GraphHandle;

    fn deref(&self) -> &GraphHandle {
        &self.handle
    }
}

impl Drop for FakeGraph {
    fn drop(&mut self) {
        self.handle.shared.shutdown.cancel();
    }
}

impl GraphHandle {
    /// The base URL, `http://127.0.0.1:PORT` (no trailing slash, no version): what
    /// `CURBSIDE_GRAPH_URL` is set to.
    pub fn url(&self) -> String {
        self.shared.base.as_str().trim_end_matches('/').to_owned()
    }

    /// `http://127.0.0.1:PORT/v25.0`.
    pub fn versioned_url(&self) -> String {
        format!("{}/{GRAPH_VERSION}", self.url())
    }

    pub fn app_secret(&self) -> Vec<u8> {
        self.shared.lock().app_secret.clone()
    }

    // The record.

    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.shared.lock().requests.clone()
    }

    pub fn clear_requests(&self) {
        self.shared.lock().requests.clear();
    }

    pub fn actions(&self) -> Vec<GraphAction> {
        self.shared.lock().actions.clone()
    }

    pub fn fb_replies(&self) -> Vec<FbReply> {
        self.filter_actions(|a| match a {
            GraphAction::FbReply(r) => Some(r.clone()),
            _ => None,
        })
    }

    /// Private replies on every platform.
    pub fn private_replies(&self) -> Vec<PrivateReply> {
        self.filter_actions(|a| match a {
            GraphAction::PrivateReply(r) => Some(r.clone()),
            _ => None,
        })
    }

    pub fn ig_private_replies(&self) -> Vec<PrivateReply> {
        self.filter_actions(|a| match a {
            GraphAction::PrivateReply(r) if r.platform == Platform::Instagram => Some(r.clone()),
            _ => None,
        })
    }

    /// Hide and unhide calls, in order.
    pub fn hidden(&self) -> Vec<HideAction> {
        self.filter_actions(|a| match a {
            GraphAction::Hide(h) => Some(h.clone()),
            _ => None,
        })
    }

    /// Ids of comments deleted through the API.
    pub fn deleted(&self) -> Vec<String> {
        self.filter_actions(|a| match a {
            GraphAction::Delete { comment_id, .. } => Some(comment_id.clone()),
            _ => None,
        })
    }

    fn filter_actions<T>(&self, f: impl FnMut(&GraphAction) -> Option<T>) -> Vec<T> {
        self.shared.lock().actions.iter().filter_map(f).collect()
    }

    // Faults.

    pub fn inject(&self, rule: FaultRule) -> FaultId {
        self.shared.lock().inject(rule)
    }

    /// How many times the rule has fired so far.
    pub fn fault_hits(&self, id: FaultId) -> usize {
        self.shared.lock().fault_hits(id)
    }

    pub fn clear_faults(&self) {
        self.shared.lock().clear_faults();
    }

    pub fn set_usage(&self, usage: UsageConfig) {
        self.shared.lock().usage = usage;
    }

    pub fn set_empty_pages_every(&self, n: u64) {
        self.shared.lock().paging.empty_page_every = n;
    }

    /// Sends the Page's own `feed` echoes to `target` (or stops, with `None`).
    pub fn set_echo_target(&self, target: Option<Url>) {
        let mut state = self.shared.lock();
        state.echo = target.map(|url| WebhookSender::new(url, &state.app_secret));
    }

    // Tokens.

    /// Grants `token` access to everything `owner_id` (a Page or IG user) owns.
    pub fn add_token(&self, token: impl Into<String>, owner_id: impl Into<String>) {
        self.shared.lock().add_token(token.into(), owner_id.into());
    }

    /// From now on the token answers 190/463 "Session has expired".
    pub fn expire_token(&self, token: &str) {
        self.shared.lock().expire_token(token);
    }

    // The broadcast.

    pub fn add_page(&self, page_id: impl Into<String>, name: impl Into<String>) {
        self.shared.lock().add_page(page_id.into(), name.into());
    }

    /// A live video on a known Page, created now with this status.
    pub fn add_live_video(
        &self,
        page_id: &str,
        live_video_id: impl Into<String>,
        video_id: impl Into<String>,
        title: impl Into<String>,
        status: BroadcastStatus,
    ) -> Result<(), SetupError> {
        self.shared.lock().add_live_video(
            page_id,
            live_video_id.into(),
            video_id.into(),
            title.into(),
            status,
        )
    }

    pub fn add_ig_user(&self, ig_user_id: impl Into<String>, username: impl Into<String>) {
        self.shared.lock().add_ig_user(ig_user_id.into(), username.into());
    }

    /// Live media owned by a known IG user, on air.
    pub fn add_ig_live_media(&self, ig_user_id: &str, media_id: impl Into<String>) -> Result<(), SetupError> {
        self.shared.lock().add_ig_media(ig_user_id, media_id.into())
    }

    /// Changes a live video's status (accepts the live video id or its video id). False if unknown.
    pub fn set_live_status(&self, live_video_id: &str, status: BroadcastStatus) -> bool {
        self.shared.lock().set_live_status(live_video_id, status)
    }

    pub fn live_status(&self, live_video_id: &str) -> Option<BroadcastStatus> {
        self.shared.lock().live_status(live_video_id)
    }

    /// Puts IG media on or off air. False if unknown.
    pub fn set_ig_media_live(&self, media_id: &str, live: bool) -> bool {
        self.shared.lock().set_ig_media_live(media_id, live)
    }

    // Comments.

    /// Adds a viewer's comment; returns its id.
    pub fn add_comment(&self, comment: NewComment) -> Result<String, SetupError> {
        self.shared.lock().add_comment(comment, now_unix())
    }

    /// The viewer edited the text.
    pub fn edit_comment(&self, comment_id: &str, text: impl Into<String>) -> Result<(), SetupError> {
        self.shared.lock().edit_comment(comment_id, text.into())
    }

    /// The viewer (or a moderator in Meta's own tools) removed it: the API stops returning it.
    pub fn remove_comment(&self, comment_id: &str) -> Result<(), SetupError> {
        self.shared.lock().remove_comment(comment_id)
    }

    /// Hidden or shown in Meta's own tools (not through the API, so no [`HideAction`]).
    pub fn set_comment_hidden(&self, comment_id: &str, hidden: bool) -> Result<(), SetupError> {
        self.shared.lock().set_comment_hidden(comment_id, hidden)
    }

    pub fn comment(&self, comment_id: &str) -> Option<CommentView> {
        self.shared.lock().comment_view(comment_id)
    }

    /// Every comment on a live video or IG media, removed ones included, oldest first.
    pub fn comments_on(&self, object_id: &str) -> Vec<CommentView> {
        self.shared.lock().comments_on(object_id)
    }
}
