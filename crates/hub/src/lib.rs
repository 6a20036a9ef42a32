//! Curbside's realtime hub: a channel per session and audience, fed in offset order from the
//! store's commits, replayed from the event log on (re)connect, fanned out to WebSocket and SSE.
//!
//! The event log in the database is the source of truth; the hub only keeps what is in flight.
//! So a subscriber that resumes with `since=N` (or `Last-Event-ID: N`) gets exactly the events
//! after N, in order, without duplicates, after a reconnect, a lag or a server restart alike,
//! or is told plainly to reload. `docs/protocol.md` describes the wire protocol.
//!
//! - [`Hub`]: the registry; [`Hub::subscribe`] gives a [`Subscription`], the store's commits
//!   arrive through [`Hub::committed`].
//! - [`serve_socket`]: drives one WebSocket connection; [`sse_stream`]: one SSE stream.

mod channel;
mod follower;
mod frame;
mod hub;
mod metrics;
mod sequencer;
mod socket;
mod sse;
mod subscription;

pub use follower::spawn_log_follower;
pub use frame::Frame;
pub use hub::{Budget, ConnectionPermit, Hub, HubConfig, HubError};
pub use metrics::{ConnectionKind, HubMetrics};
pub use socket::{close_code, refuse_socket, serve_admitted_socket, serve_socket, StaffPrincipal};
pub use sse::{sse_reload_chunk, sse_stream};
pub use subscription::{Item, ReloadReason, Subscription};
