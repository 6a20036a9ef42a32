//! The pure half of Curbside's Meta connector: everything about Facebook and Instagram wire formats
//! that needs no network, clock or database, so every rule is tested on recorded bytes.
//!
//! - [`signature`]: `X-Hub-Signature-256` verification and `appsecret_proof`.
//! - [`webhook`]: webhook bodies to comments, live-video status changes and ignored changes.
//! - [`rest`]: polling responses (`GET …/comments` pages and single comments).
//! - [`graph_error`]: the Graph error envelope, its classes, and the usage headers.
//! - [`time`]: Graph timestamps (`…+0000`) to Unix milliseconds.

mod lenient;

pub mod graph_error;
pub mod rest;
pub mod signature;
pub mod time;
pub mod webhook;

pub use graph_error::{
    classify, parse_app_usage, parse_business_use_case_usage, parse_graph_error, redact_secrets, ErrorClass,
    GraphError, NotAGraphError, Usage,
};
pub use lenient::{JsonError, JsonErrorKind, JsonKind};
pub use rest::{
    parse_rest_fb_comment, parse_rest_fb_comment_page, parse_rest_ig_comment, parse_rest_ig_comment_page,
    CommentPage, FbRestComment, IgRestComment, RestError,
};
pub use signature::{appsecret_proof, sign_body, verify_signature, SignatureError, SIGNATURE_HEADER};
pub use time::{parse_graph_timestamp, TimestampError};
pub use webhook::{
    parse_notification, Change, CommentVerb, FacebookComment, IgField, IndexedChange, InstagramComment,
    LiveStatus, LiveVideoStatus, Notification, WebhookError, WebhookObject,
};
