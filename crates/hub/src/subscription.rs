//! A subscriber's view of one session and audience: replay from the log, then live frames,
//! resynced from the log whenever the subscriber falls behind the live buffer.
//!
//! The one rule: a subscriber never skips an event. Every frame is compared with the last
//! offset actually handed out, so replay, live delivery and resyncs can overlap freely.

use crate::channel::ChannelLease;
use crate::frame::Frame;
use crate::hub::{ConnectionPermit, HubConfig};
use crate::metrics::HubMetrics;
use curbside_domain::{EventAudience, Offset, SessionId};
use futures_util::Stream;
use prometheus_client::metrics::counter::Counter;
use std::collections::VecDeque;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::broadcast::{self, error::RecvError};
use tokio::time::Instant;

/// Store reads a replay retries before the subscriber is told to reload.
const REPLAY_READ_ATTEMPTS: u32 = 3;
const RESYNC_WINDOW: Duration = Duration::from_secs(60);

/// What a subscription produces next.
#[derive(Debug, Clone)]
pub enum Item {
    /// An event, in offset order, never twice.
    Frame(Arc<Frame>),
    /// The replay of the log is done (up to `through`, the last offset sent); live from here.
    Replayed { through: Offset },
    /// The subscriber fell behind the live buffer; what it missed after `after` follows from the log.
    Resync { after: Offset },
    /// The subscriber cannot be brought up to date in order and must reload its state.
    /// The subscription ends here.
    Reload { reason: ReloadReason },
}

/// Why a subscriber must reload.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReloadReason {
    /// It fell behind more than `max_resyncs_per_minute` times in a minute.
    TooSlow,
    /// It asked to resume after an offset the session's log does not have.
    UnknownOffset,
    /// The log could not be read to replay what it missed.
    LogUnavailable,
}

impl ReloadReason {
    /// A stable machine-readable code (also the metrics label).
    pub fn code(self) -> &'static str {
        match self {
            ReloadReason::TooSlow => "too_slow",
            ReloadReason::UnknownOffset => "unknown_offset",
            ReloadReason::LogUnavailable => "log_unavailable",
        }
    }

    /// A sentence for the person behind the client.
    pub fn message(self) -> &'static str {
        match self {
            ReloadReason::TooSlow => {
                "this connection keeps falling behind the live events; reload the session's state, then subscribe again"
            }
            ReloadReason::UnknownOffset => {
                "the offset you resumed from is not in this session's log; reload the session's state, then subscribe again"
            }
            ReloadReason::LogUnavailable => {
                "the missed events could not be read; reload the session's state, then subscribe again"
            }
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    /// Reading the log after `last_sent`, a page at a time.
    Replaying,
    Live,
    Finished(ReloadReason),
}

/// One subscriber's position in a session's event stream. Use [`Subscription::next`] (or
/// [`Subscription::into_stream`]); both a WebSocket connection and an SSE stream drive it.
pub struct Subscription {
    lease: ChannelLease,
    audience: EventAudience,
    rx: broadcast::Receiver<Arc<Frame>>,
    since: Offset,
    head: Offset,
    /// The newest offset handed out; nothing at or below it is handed out again.
    last_sent: Offset,
    phase: Phase,
    /// Replayed frames not yet handed out.
    backlog: VecDeque<Arc<Frame>>,
    announce_replayed: bool,
    /// When recent resyncs happened, to tell a chronically slow subscriber to reload.
    resyncs: VecDeque<Instant>,
    failed_reads: u32,
    delivered: Counter,
    _permit: Option<ConnectionPermit>,
}

impl std::fmt::Debug for Subscription {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Subscription")
            .field("session", &self.session_id())
            .field("audience", &self.audience)
            .field("last_sent", &self.last_sent)
            .field("phase", &self.phase)
            .finish_non_exhaustive()
    }
}

impl Subscription {
    pub(crate) fn new(
        lease: ChannelLease,
        audience: EventAudience,
        rx: broadcast::Receiver<Arc<Frame>>,
        since: Offset,
        head: Offset,
    ) -> Subscription {
        let since = since.max(Offset::START);
        let phase = if since > head {
            Phase::Finished(ReloadReason::UnknownOffset)
        } else if since == head {
            // Nothing to replay: everything after `head` reaches the receiver, which was
            // subscribed before `head` was read.
            Phase::Live
        } else {
            Phase::Replaying
        };
        if let Phase::Finished(reason) = phase {
            lease.hub.metrics.reload(reason.code());
        }
        let metrics = &lease.hub.metrics;
        metrics.subscriptions.inc();
        let delivered = metrics.delivered_by.get(audience).clone();
        Subscription {
            lease,
            audience,
            rx,
            since,
            head,
            last_sent: since,
            phase,
            backlog: VecDeque::new(),
            announce_replayed: true,
            resyncs: VecDeque::new(),
            failed_reads: 0,
            delivered,
            _permit: None,
        }
    }

    pub fn session_id(&self) -> SessionId {
        self.lease.channel.session()
    }

    pub fn audience(&self) -> EventAudience {
        self.audience
    }

    /// The offset the subscriber resumes after.
    pub fn since(&self) -> Offset {
        self.since
    }

    /// The session log's newest offset when the subscription started.
    pub fn head(&self) -> Offset {
        self.head
    }

    /// The newest offset handed out so far (or `since`).
    pub fn last_sent(&self) -> Offset {
        self.last_sent
    }

    pub fn config(&self) -> &HubConfig {
        &self.lease.hub.config
    }

    pub(crate) fn metrics(&self) -> &HubMetrics {
        &self.lease.hub.metrics
    }

    /// Keeps `permit` (a connection place) for as long as the subscription lives: for an SSE
    /// stream, whose connection is the subscription.
    pub fn hold_permit(mut self, permit: ConnectionPermit) -> Subscription {
        self._permit = Some(permit);
        self
    }

    /// The next item. Cancel-safe: if the future is dropped before it completes, nothing is
    /// lost and the next call picks up where this one was.
    pub async fn next(&mut self) -> Item {
        loop {
            if let Some(frame) = self.backlog.pop_front() {
                if let Some(item) = self.hand_out(frame) {
                    return item;
                }
                continue;
            }
            match self.phase {
                Phase::Finished(reason) => return Item::Reload { reason },
                Phase::Replaying => {
                    if let Err(reason) = self.replay_page().await {
                        return self.finish(reason);
                    }
                }
                Phase::Live => {
                    if self.announce_replayed {
                        self.announce_replayed = false;
                        return Item::Replayed { through: self.last_sent };
                    }
                    match self.rx.recv().await {
                        Ok(frame) => {
                            if let Some(item) = self.hand_out(frame) {
                                return item;
                            }
                        }
                        Err(RecvError::Lagged(_)) => return self.lagged(),
                        // The sender lives in the channel this subscription holds; closing
                        // cannot happen, but if it did the subscriber could not go on in order.
                        Err(RecvError::Closed) => return self.finish(ReloadReason::LogUnavailable),
                    }
                }
            }
        }
    }

    /// The items as a stream that ends after a `Reload`.
    pub fn into_stream(self) -> impl Stream<Item = Item> + Send + 'static {
        futures_util::stream::unfold(Some(self), |state| async move {
            let mut sub = state?;
            let item = sub.next().await;
            let keep = if matches!(item, Item::Reload { .. }) { None } else { Some(sub) };
            Some((item, keep))
        })
    }

    fn hand_out(&mut self, frame: Arc<Frame>) -> Option<Item> {
        if frame.offset() <= self.last_sent {
            return None;
        }
        self.last_sent = frame.offset();
        self.delivered.inc();
        Some(Item::Frame(frame))
    }

    /// Reads the next page of the log into the backlog; switches to live after a short page.
    async fn replay_page(&mut self) -> Result<(), ReloadReason> {
        let hub = &self.lease.hub;
        let page = hub.config.replay_page.max(1);
        let session = self.lease.channel.session();
        let mut backoff = Duration::from_millis(100);
        let events = loop {
            match hub.store.events_after(session, self.audience, self.last_sent, page as i64).await {
                Ok(events) => break events,
                Err(e) => {
                    self.failed_reads += 1;
                    tracing::warn!(%session, error = %e, attempt = self.failed_reads, "replay read failed");
                    if self.failed_reads >= REPLAY_READ_ATTEMPTS {
                        return Err(ReloadReason::LogUnavailable);
                    }
                    tokio::time::sleep(backoff).await;
                    backoff *= 4;
                }
            }
        };
        // Nothing above changed state before the last await, which keeps `next` cancel-safe.
        self.failed_reads = 0;
        if events.len() < page {
            self.phase = Phase::Live;
            self.announce_replayed = true;
        }
        hub.metrics.replayed_by.get(self.audience).inc_by(events.len() as u64);
        self.backlog.extend(events.iter().filter_map(|e| Frame::build(e, self.audience)).map(Arc::new));
        Ok(())
    }

    /// The receiver was overrun: the frames it lost are in the log, so replay from there, unless
    /// this keeps happening, in which case replaying only feeds a client that cannot keep up.
    fn lagged(&mut self) -> Item {
        let now = Instant::now();
        while self.resyncs.front().is_some_and(|t| now.duration_since(*t) >= RESYNC_WINDOW) {
            self.resyncs.pop_front();
        }
        if self.resyncs.len() >= self.lease.hub.config.max_resyncs_per_minute {
            return self.finish(ReloadReason::TooSlow);
        }
        self.resyncs.push_back(now);
        self.lease.hub.metrics.resyncs.inc();
        // Start receiving afresh from the tail: the frames still buffered are older than what
        // the replay reads, and keeping the old position would count them against the next
        // lag. As on subscribe, receive first, then read the log.
        self.rx = self.rx.resubscribe();
        self.phase = Phase::Replaying;
        Item::Resync { after: self.last_sent }
    }

    fn finish(&mut self, reason: ReloadReason) -> Item {
        self.phase = Phase::Finished(reason);
        self.backlog.clear();
        self.lease.hub.metrics.reload(reason.code());
        Item::Reload { reason }
    }
}

impl Drop for Subscription {
    fn drop(&mut self) {
        self.lease.hub.metrics.subscriptions.dec();
    }
}
