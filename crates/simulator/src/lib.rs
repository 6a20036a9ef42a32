//! A stand-in for Meta: a fake Graph API server, a webhook sender that signs like Meta, and a
//! scripted live cardiology Q&A that drives both, so Curbside runs end to end with no internet.
//!
//! - [`graph`]: [`FakeGraph`], a real HTTP server speaking Graph API v25 (comments, live videos,
//!   replies, private replies, hide, delete), with fault injection and a record of every call.
//! - [`webhook`]: exact Meta webhook bodies (`feed`, `live_videos`, `live_comments`, `comments`) and
//!   [`WebhookSender`], which posts them signed with `X-Hub-Signature-256`.
//! - [`script`]: [`Script::cardiology`], a deterministic ~20-minute session of a few hundred comments.
//! - [`player`]: [`Player`] plays a script in (scaled) real time through the fake and the sender.
//! - [`ids`]: [`SimIds`], the page, video, Instagram and token identities everything agrees on.
//!
//! Everything listens on and talks to loopback only; nothing here reaches Meta.

mod json;
mod rng;
mod time;

pub mod graph;
pub mod ids;
pub mod player;
pub mod script;
pub mod webhook;

pub use graph::{
    BroadcastStatus, CommentView, FakeGraph, Fault, FaultId, FaultRule, FbReply, GraphAction, GraphConfig,
    GraphHandle, HideAction, Matcher, NewComment, PrivateReply, RecordedRequest, SetupError, UsageConfig,
    GRAPH_VERSION,
};
pub use ids::SimIds;
pub use player::{scripted_comment_id, Player, ProgressHandle, ProgressSnapshot, TimeBase};
pub use script::{
    CommentKey, CommentKind, Delivery, Script, ScriptComment, ScriptEvent, ScriptItem, ScriptSummary, Viewer,
    WebhookStyle,
};
pub use webhook::{
    AuthorForm, FeedComment, IgComment, IgIdKey, SendOutcome, WebhookBody, WebhookChange, WebhookEntry,
    WebhookSender, MAX_BATCH,
};
