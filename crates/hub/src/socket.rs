//! The WebSocket connection driver: client frames in, subscriptions' frames out, heartbeats,
//! idle and slow-client policing. The server calls [`serve_socket`] after auth and upgrade.
//!
//! One task per connection reads the client's frames, answers them, and writes the
//! subscriptions' frames, polling the subscriptions directly; while it waits on an unwritable
//! socket it polls nothing, so the subscriptions' receivers fall behind and are later resynced
//! from the log.
//! Memory per connection is therefore bounded by the shared broadcast buffers, and a socket that
//! stays unwritable past `send_timeout` is closed with 4008 without holding anyone else up.

use crate::frame::ControlFrame;
use crate::hub::{Budget, ConnectionPermit, Hub, HubError};
use crate::metrics::ConnectionKind;
use crate::subscription::{Item, Subscription};
use axum::extract::ws::{CloseFrame, Message, Utf8Bytes, WebSocket};
use bytes::Bytes;
use curbside_domain::{EventAudience, Offset, Permission, Role, SessionId, UserId};
use futures_util::{SinkExt, Stream, StreamExt};
use serde::Deserialize;
use std::future::Future;
use std::pin::Pin;
use std::task::Poll;
use std::time::Duration;
use tokio::time::{interval_at, sleep, timeout, Instant, MissedTickBehavior};
use tokio_stream::StreamMap;
use tokio_util::sync::CancellationToken;

/// Close codes the hub sends. Standard ones where one fits, the 4000 range for the rest.
pub mod close_code {
    /// The server is shutting down; reconnect (to another node) and resume.
    pub const GOING_AWAY: u16 = 1001;
    /// The client sent a frame larger than the protocol ever needs (4 KiB).
    pub const MESSAGE_TOO_BIG: u16 = 1009;
    /// The connection limit is reached; retry later with backoff.
    pub const TRY_AGAIN_LATER: u16 = 1013;
    /// Nothing (not even a Pong) was received within the idle timeout.
    pub const IDLE_TIMEOUT: u16 = 4000;
    /// The client did not read its socket for `send_timeout`.
    pub const TOO_SLOW: u16 = 4008;
}

/// Who is on the other end, once the server has checked their token. `None` is an anonymous
/// viewer, who may follow only the public audience.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StaffPrincipal {
    pub user_id: UserId,
    pub role: Role,
}

/// Client frames larger than this are refused: the protocol's requests are a few dozen bytes.
const MAX_CLIENT_FRAME: usize = 4096;
/// Events written with one flush at most.
const MAX_BATCH: usize = 32;
/// How long a closing handshake may take before the connection is simply dropped.
const CLOSE_GRACE: Duration = Duration::from_secs(1);

/// Serves one upgraded WebSocket until the client leaves, misbehaves or `shutdown` fires.
/// Takes a connection place first (staff from the staff budget, anonymous clients from the
/// public one); at the limit the socket is closed at once with 1013.
pub async fn serve_socket(
    hub: Hub,
    socket: WebSocket,
    principal: Option<StaffPrincipal>,
    shutdown: CancellationToken,
) {
    let budget = if principal.is_some() { Budget::Staff } else { Budget::Public };
    match hub.admit(budget) {
        Some(permit) => serve_admitted_socket(hub, socket, permit, principal, shutdown).await,
        None => refuse_socket(socket).await,
    }
}

/// Closes a socket that got no connection place with 1013 "connection limit reached".
pub async fn refuse_socket(mut socket: WebSocket) {
    let close = close_message(close_code::TRY_AGAIN_LATER, "connection limit reached");
    let _ = timeout(CLOSE_GRACE, socket.send(close)).await;
}

/// [`serve_socket`] for a server that took the connection place itself (e.g. to answer 503
/// before upgrading).
pub async fn serve_admitted_socket(
    hub: Hub,
    socket: WebSocket,
    permit: ConnectionPermit,
    principal: Option<StaffPrincipal>,
    shutdown: CancellationToken,
) {
    let _permit = permit;
    let _gauge = hub.metrics().open_connection(ConnectionKind::WebSocket);
    let config = hub.config();
    let (max_subscriptions, ping_interval, idle_timeout) =
        (config.max_subscriptions_per_connection, config.ping_interval, config.idle_timeout);
    let mut out = Outbox { socket, send_timeout: config.send_timeout };
    let mut subs: StreamMap<(SessionId, EventAudience), SubscriptionStream> = StreamMap::new();
    let mut ping = interval_at(Instant::now() + ping_interval, ping_interval);
    ping.set_missed_tick_behavior(MissedTickBehavior::Delay);
    let idle = sleep(idle_timeout);
    tokio::pin!(idle);
    // A token of the connection's own: the server-wide token's one lock, taken on every poll,
    // would be shared by every connection on every event.
    let cancelled = shutdown.child_token().cancelled_owned();
    tokio::pin!(cancelled);
    // The client's request being answered (a subscribe may read the log); no further client
    // frame is read until it is done.
    let mut request: Option<Pin<Box<dyn Future<Output = Control> + Send>>> = None;
    let mut batch: Vec<Message> = Vec::new();

    // One task per connection, and the loop runs once per delivery: it polls the socket's read
    // half too (a quick "not readable" from the cached readiness), which costs about what a
    // second task and the channel between them did on every event, with one task and its
    // buffers less per viewer.
    let ending = loop {
        let step = tokio::select! {
            biased;
            _ = &mut cancelled => Step::End(Ending::Close(close_code::GOING_AWAY, "server shutting down")),
            reply = async {
                match request.as_mut() {
                    Some(answer) => answer.await,
                    None => std::future::pending().await,
                }
            }, if request.is_some() => {
                request = None;
                Step::Control(reply)
            }
            read = out.socket.next(), if request.is_none() => {
                idle.as_mut().reset(Instant::now() + idle_timeout);
                match read {
                    None => Step::End(Ending::ClientGone),
                    // Past the socket's hard limit tungstenite stops reading; say why before closing.
                    Some(Err(e)) if is_too_large(&e) => Step::Control(Control::Close(Closing::FrameTooLarge)),
                    Some(Err(_)) => Step::End(Ending::Broken),
                    Some(Ok(Message::Text(text))) if text.len() > MAX_CLIENT_FRAME => {
                        Step::Control(Control::Close(Closing::FrameTooLarge))
                    }
                    Some(Ok(Message::Text(text))) => {
                        let (hub, principal) = (hub.clone(), principal);
                        request = Some(Box::pin(async move {
                            handle_client_frame(&hub, principal.as_ref(), text.as_str()).await
                        }));
                        Step::Continue
                    }
                    Some(Ok(Message::Binary(_))) => Step::Control(error_control(
                        "bad_request",
                        "binary frames are not supported; send JSON text frames",
                        None,
                    )),
                    // Any frame shows the client is alive; tungstenite answers Pings itself.
                    Some(Ok(Message::Ping(_) | Message::Pong(_))) => Step::Continue,
                    Some(Ok(Message::Close(_))) => Step::End(Ending::ClientGone),
                }
            }
            _ = &mut idle => Step::Control(Control::Close(Closing::Idle)),
            // Before the events: under a steady stream of events the Ping must still go out,
            // or the client, which only answers Pings, would look idle.
            _ = ping.tick() => Step::Sent(out.send(Message::Ping(Bytes::new())).await),
            Some(((session_id, audience), item)) = subs.next(), if !subs.is_empty() => {
                batch.push(item_message(session_id, audience, item));
                // Whatever else is ready goes out with it, polled with this task's own waker so
                // that the subscription that has nothing more is registered for the next event.
                while batch.len() < MAX_BATCH {
                    let more = std::future::poll_fn(|cx| Poll::Ready(subs.poll_next_unpin(cx))).await;
                    match more {
                        Poll::Ready(Some(((session_id, audience), item))) => {
                            batch.push(item_message(session_id, audience, item));
                        }
                        Poll::Ready(None) | Poll::Pending => break,
                    }
                }
                Step::Sent(out.send_all(batch.drain(..)).await)
            }
        };
        let sent = match step {
            Step::Continue => Ok(()),
            Step::End(ending) => break ending,
            Step::Sent(sent) => sent,
            Step::Control(Control::Close(why)) => break Ending::Close(why.code(), why.reason()),
            Step::Control(Control::Send(text)) => out.send(Message::Text(*text)).await,
            Step::Control(Control::Subscribe(sub)) => {
                let key = (sub.session_id(), sub.audience());
                if !subs.contains_key(&key) && subs.len() >= max_subscriptions {
                    let message = format!(
                        "at most {} subscriptions per connection; unsubscribe from one first",
                        max_subscriptions
                    );
                    out.send(error_message("too_many_subscriptions", &message, Some(key.0))).await
                } else {
                    let subscribed = ControlFrame::Subscribed {
                        session_id: key.0,
                        audience: key.1,
                        since: sub.since(),
                        head: sub.head(),
                    };
                    // Announce first: the subscription's events follow this frame.
                    let sent = out.send(Message::Text(subscribed.to_text())).await;
                    subs.insert(key, Box::pin(sub.into_stream()));
                    sent
                }
            }
            Step::Control(Control::Unsubscribe { session_id, audience }) => {
                for a in [EventAudience::Staff, EventAudience::Public] {
                    if audience.is_none_or(|x| x == a) {
                        subs.remove(&(session_id, a));
                    }
                }
                out.send(Message::Text(ControlFrame::Unsubscribed { session_id, audience }.to_text())).await
            }
        };
        if let Err(stop) = sent {
            break stop;
        }
    };
    drop(subs);
    drop(request);

    match ending {
        Ending::Close(code, reason) => {
            if code == close_code::TOO_SLOW {
                hub.metrics().slow_disconnects.inc();
                tracing::debug!("closing a WebSocket that stopped reading");
            }
            // An unwritable socket will not take the close frame either: do not wait long.
            let grace = if code == close_code::TOO_SLOW { Duration::from_millis(100) } else { CLOSE_GRACE };
            let _ = timeout(grace, out.socket.send(close_message(code, reason))).await;
            // Read until the client's closing reply, so the TCP close is clean.
            let _ = timeout(grace, async { while let Some(Ok(_)) = out.socket.next().await {} }).await;
        }
        Ending::ClientGone => {
            let _ = timeout(CLOSE_GRACE, out.socket.close()).await;
        }
        Ending::Broken => {}
    }
}

type SubscriptionStream = Pin<Box<dyn Stream<Item = Item> + Send>>;

/// What one turn of the connection loop came to.
enum Step {
    Continue,
    Control(Control),
    Sent(Result<(), Ending>),
    End(Ending),
}

/// What a client frame asks of the connection.
enum Control {
    Send(Box<Utf8Bytes>),
    Subscribe(Box<Subscription>),
    Unsubscribe { session_id: SessionId, audience: Option<EventAudience> },
    Close(Closing),
}

/// Why the connection closes itself.
#[derive(Debug, Clone, Copy)]
enum Closing {
    Idle,
    FrameTooLarge,
}

impl Closing {
    fn code(self) -> u16 {
        match self {
            Closing::Idle => close_code::IDLE_TIMEOUT,
            Closing::FrameTooLarge => close_code::MESSAGE_TOO_BIG,
        }
    }

    fn reason(self) -> &'static str {
        match self {
            Closing::Idle => "idle timeout",
            Closing::FrameTooLarge => "client frame too large: the limit is 4 KiB",
        }
    }
}

enum Ending {
    Close(u16, &'static str),
    /// The client closed or its connection broke while reading.
    ClientGone,
    /// Writing failed: the connection is already gone.
    Broken,
}

struct Outbox {
    socket: WebSocket,
    send_timeout: Duration,
}

impl Outbox {
    async fn send(&mut self, message: Message) -> Result<(), Ending> {
        // The timer is only armed if the write does not complete at once, so the common case
        // costs no timer registration.
        match timeout(self.send_timeout, self.socket.send(message)).await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(_)) => Err(Ending::Broken),
            Err(_) => Err(Ending::Close(close_code::TOO_SLOW, "too slow")),
        }
    }

    /// Writes `messages` with one flush at the end (one system call for a burst of events).
    async fn send_all(&mut self, messages: impl Iterator<Item = Message>) -> Result<(), Ending> {
        let write = async {
            for message in messages {
                self.socket.feed(message).await?;
            }
            self.socket.flush().await
        };
        match timeout(self.send_timeout, write).await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(_)) => Err(Ending::Broken),
            Err(_) => Err(Ending::Close(close_code::TOO_SLOW, "too slow")),
        }
    }
}

fn close_message(code: u16, reason: &'static str) -> Message {
    Message::Close(Some(CloseFrame { code, reason: Utf8Bytes::from_static(reason) }))
}

fn error_message(code: &'static str, message: &str, session_id: Option<SessionId>) -> Message {
    Message::Text(ControlFrame::Error { code, message, session_id }.to_text())
}

fn item_message(session_id: SessionId, audience: EventAudience, item: Item) -> Message {
    let text = match item {
        Item::Frame(frame) => return Message::Text(frame.ws_text()),
        Item::Replayed { through } => {
            ControlFrame::Replayed { session_id, audience, offset: through }.to_text()
        }
        Item::Resync { after } => ControlFrame::Resync { session_id, audience, after }.to_text(),
        Item::Reload { reason } => {
            ControlFrame::Reload { session_id, audience, reason: reason.code(), message: reason.message() }
                .to_text()
        }
    };
    Message::Text(text)
}

/// Whether a read failed because the client's frame or message exceeded the socket's limit.
fn is_too_large(e: &axum::Error) -> bool {
    let source: Option<&(dyn std::error::Error + 'static)> = std::error::Error::source(e);
    matches!(
        source.and_then(|s| s.downcast_ref::<tungstenite::Error>()),
        Some(tungstenite::Error::Capacity(_))
    )
}

#[derive(Debug, Deserialize)]
struct SubscribeRequest {
    session_id: Option<SessionId>,
    slug: Option<String>,
    audience: EventAudience,
    since: Option<i64>,
}

#[derive(Debug, Deserialize)]
struct UnsubscribeRequest {
    session_id: SessionId,
    audience: Option<EventAudience>,
}

fn error_control(code: &'static str, message: &str, session_id: Option<SessionId>) -> Control {
    Control::Send(Box::new(ControlFrame::Error { code, message, session_id }.to_text()))
}

async fn handle_client_frame(hub: &Hub, principal: Option<&StaffPrincipal>, text: &str) -> Control {
    let value: serde_json::Value = match serde_json::from_str(text) {
        Ok(v) => v,
        Err(e) => return error_control("bad_request", &format!("the frame is not valid JSON: {e}"), None),
    };
    let kind = value.get("type").and_then(serde_json::Value::as_str).map(str::to_owned);
    match kind.as_deref() {
        Some("ping") => Control::Send(Box::new(ControlFrame::Pong.to_text())),
        Some("subscribe") => match serde_json::from_value::<SubscribeRequest>(value) {
            Ok(req) => subscribe(hub, principal, req).await,
            Err(e) => error_control("bad_request", &format!("invalid subscribe frame: {e}"), None),
        },
        Some("unsubscribe") => match serde_json::from_value::<UnsubscribeRequest>(value) {
            Ok(req) => Control::Unsubscribe { session_id: req.session_id, audience: req.audience },
            Err(e) => error_control("bad_request", &format!("invalid unsubscribe frame: {e}"), None),
        },
        Some(other) => {
            let other: String = other.chars().take(40).collect();
            error_control(
                "unknown_type",
                &format!("unknown frame type {other:?}: expected \"subscribe\", \"unsubscribe\" or \"ping\""),
                None,
            )
        }
        None => error_control("bad_request", "a client frame is a JSON object with a string \"type\"", None),
    }
}

async fn subscribe(hub: &Hub, principal: Option<&StaffPrincipal>, req: SubscribeRequest) -> Control {
    if req.audience == EventAudience::Staff {
        match principal {
            None => {
                return error_control(
                    "forbidden",
                    "the staff audience needs a signed-in staff account; anonymous clients may subscribe to \"public\"",
                    req.session_id,
                );
            }
            Some(p) if !p.role.may(Permission::FollowStaffStream) => {
                return error_control(
                    "forbidden",
                    &format!("a {} may not follow the staff stream", p.role),
                    req.session_id,
                );
            }
            Some(_) => {}
        }
    }
    let since = match req.since {
        Some(n) if n < 0 => {
            return error_control("bad_request", "\"since\" is an offset: 0 or more", req.session_id);
        }
        Some(n) => Some(Offset(n)),
        None => None,
    };
    let session = match (req.session_id, req.slug.as_deref()) {
        (Some(id), _) => id,
        (None, Some(slug)) => match hub.session_by_slug(slug).await {
            Ok(Some(id)) => id,
            Ok(None) => return error_control("unknown_session", "no session has this slug", None),
            Err(e) => {
                tracing::warn!(error = %e, "session lookup by slug failed");
                return error_control("unavailable", "the session could not be looked up; try again", None);
            }
        },
        (None, None) => {
            return error_control("bad_request", "subscribe needs a \"session_id\" or a \"slug\"", None);
        }
    };
    let result = match since {
        Some(since) => hub.subscribe(session, req.audience, since).await,
        None => hub.subscribe_from_head(session, req.audience).await,
    };
    match result {
        Ok(sub) => Control::Subscribe(Box::new(sub)),
        Err(HubError::UnknownSession(id)) => {
            error_control("unknown_session", &format!("session {id} does not exist"), Some(id))
        }
        Err(HubError::Store(e)) => {
            tracing::warn!(%session, error = %e, "subscribe failed");
            error_control("unavailable", "the event log could not be read; try again", Some(session))
        }
    }
}
