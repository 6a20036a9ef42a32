//! One session's channels: a broadcast per audience fed by a sequencer that delivers the
//! session's events strictly in offset order, filling holes from the store.
//!
//! A channel exists only while someone listens. Events for a session without a channel are
//! dropped on arrival: a later subscriber replays them from the log, which is the source of truth.

use crate::frame::Frame;
use crate::hub::{HubError, HubInner};
use crate::metrics::HubMetrics;
use crate::sequencer::Sequencer;
use curbside_domain::{EventAudience, Offset, SessionId, StoredEvent};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, Weak};
use std::time::Duration;
use tokio::sync::{broadcast, Notify, OnceCell};

/// The longest pause between attempts to read a hole from a failing store.
const MAX_GAP_FILL_BACKOFF: Duration = Duration::from_secs(5);

pub(crate) struct SessionChannels {
    session: SessionId,
    staff: broadcast::Sender<Arc<Frame>>,
    public: broadcast::Sender<Arc<Frame>>,
    /// Changed only under the registry's shard lock (see [`ChannelLease`]), so a channel is never
    /// removed while a new subscriber is joining it.
    subscribers: AtomicUsize,
    /// The log's head when the channel started; every subscriber waits for it before replaying,
    /// so the sequencer never starts after the end of anyone's replay.
    started: OnceCell<Offset>,
    state: Mutex<SequencerState>,
    /// Wakes a waiting gap filler early: a head announced by the log's notification is known to
    /// be committed, so its events can be read at once.
    hurry: Notify,
}

struct SequencerState {
    seq: Sequencer,
    /// A gap filler task is running for this channel.
    filling: bool,
}

impl SessionChannels {
    fn new(session: SessionId, capacity: usize) -> SessionChannels {
        let capacity = capacity.max(1);
        SessionChannels {
            session,
            staff: broadcast::channel(capacity).0,
            public: broadcast::channel(capacity).0,
            subscribers: AtomicUsize::new(0),
            started: OnceCell::new(),
            // Holding back more than a buffer's worth would only delay everyone further; beyond
            // that the gap filler reads the rest from the log.
            state: Mutex::new(SequencerState { seq: Sequencer::new(capacity.max(256)), filling: false }),
            hurry: Notify::new(),
        }
    }

    pub fn session(&self) -> SessionId {
        self.session
    }

    pub fn sender(&self, audience: EventAudience) -> &broadcast::Sender<Arc<Frame>> {
        match audience {
            EventAudience::Staff => &self.staff,
            EventAudience::Public => &self.public,
        }
    }

    fn lock(&self) -> MutexGuard<'_, SequencerState> {
        // The state stays consistent even if a holder panicked mid-delivery: at worst an
        // event was not sent, which the sequencer treats like any other hole.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Builds each audience's frame once and sends it to that audience's subscribers.
    /// Called with the state locked, which keeps sends in offset order across writers.
    fn fan_out(&self, event: &StoredEvent, metrics: &HubMetrics) {
        for audience in [EventAudience::Staff, EventAudience::Public] {
            let tx = self.sender(audience);
            // Nobody listening: skip the serialisation. A subscriber joining right now reads
            // this event from the log, since it was committed before the subscriber's head read.
            if tx.receiver_count() == 0 {
                continue;
            }
            if let Some(frame) = Frame::build(event, audience) {
                let _ = tx.send(Arc::new(frame));
                metrics.published_by.get(audience).inc();
            }
        }
    }

    /// Takes committed events of this session; returns whether a gap filler must be started.
    fn accept(&self, events: &[StoredEvent], metrics: &HubMetrics) -> bool {
        let mut st = self.lock();
        for event in events {
            st.seq.accept(event, &mut |e| self.fan_out(e, metrics));
        }
        claim_filler(&mut st)
    }

    /// See [`Sequencer::delivered_through`].
    pub fn delivered_through(&self) -> Option<Offset> {
        self.lock().seq.delivered_through()
    }

    fn observe_head(&self, head: Offset) -> bool {
        let mut st = self.lock();
        st.seq.observe_head(head);
        claim_filler(&mut st)
    }

    /// Starts the sequencer from the log's head (once per channel) and returns that head and
    /// whether this call did it.
    async fn start(self: &Arc<Self>, hub: &Arc<HubInner>) -> Result<(Offset, bool), HubError> {
        let mut ran = false;
        let head = *self
            .started
            .get_or_try_init(|| async {
                ran = true;
                let head = hub
                    .store
                    .last_offset(self.session)
                    .await?
                    .ok_or(HubError::UnknownSession(self.session))?;
                let spawn = {
                    let mut st = self.lock();
                    st.seq.start_after(head, &mut |e| self.fan_out(e, &hub.metrics));
                    claim_filler(&mut st)
                };
                if spawn {
                    spawn_gap_filler(hub, self.clone());
                }
                Ok::<_, HubError>(head)
            })
            .await?;
        Ok((head, ran))
    }
}

fn claim_filler(st: &mut SequencerState) -> bool {
    if !st.filling && st.seq.missing().is_some() {
        st.filling = true;
        true
    } else {
        false
    }
}

/// Routes committed events to their sessions' channels.
pub(crate) fn route(hub: &Arc<HubInner>, events: &[StoredEvent]) {
    // The store hands each session's events in offset order, possibly several sessions per call.
    for run in events.chunk_by(|a, b| a.session_id == b.session_id) {
        let Some(channel) = hub.channels.get(&run[0].session_id).map(|c| Arc::clone(c.value())) else {
            continue;
        };
        if channel.accept(run, &hub.metrics) {
            spawn_gap_filler(hub, channel);
        }
    }
}

/// Notes that `session`'s log has reached `head`; missing events are then read from the store.
pub(crate) fn observe_head(hub: &Arc<HubInner>, session: SessionId, head: Offset) {
    let Some(channel) = hub.channels.get(&session).map(|c| Arc::clone(c.value())) else {
        return;
    };
    if channel.observe_head(head) {
        spawn_gap_filler(hub, channel.clone());
    }
    channel.hurry.notify_one();
}

fn spawn_gap_filler(hub: &Arc<HubInner>, channel: Arc<SessionChannels>) {
    let task = fill_gaps(Arc::downgrade(hub), channel.clone(), hub.config.gap_fill_after);
    match tokio::runtime::Handle::try_current().ok().or_else(|| hub.runtime.clone()) {
        Some(rt) => {
            rt.spawn(task);
        }
        None => {
            tracing::error!(session = %channel.session, "no tokio runtime to fill a gap in the event sequence");
            channel.lock().filling = false;
        }
    }
}

/// Waits `delay` (the missing events are usually just late), then reads the hole from the store
/// and feeds it through the sequencer, until no hole is left or nobody listens any more.
async fn fill_gaps(hub: Weak<HubInner>, channel: Arc<SessionChannels>, delay: Duration) {
    let mut wait = delay;
    loop {
        tokio::select! {
            _ = tokio::time::sleep(wait) => {}
            _ = channel.hurry.notified() => {}
        }
        let Some(hub) = hub.upgrade() else { return };
        let registered = hub.channels.get(&channel.session).is_some_and(|c| Arc::ptr_eq(c.value(), &channel));
        let missing = {
            let mut st = channel.lock();
            match st.seq.missing() {
                Some(m) if registered => m,
                _ => {
                    st.filling = false;
                    return;
                }
            }
        };
        let limit = missing.count.min(hub.config.replay_page as i64).max(1);
        match hub.store.events_after(channel.session, EventAudience::Staff, missing.after, limit).await {
            Ok(events) if events.is_empty() => {
                // Only an announced head can point past the log; a held-back event proves its
                // predecessors were committed, so then keep trying.
                channel.lock().seq.forget_unconfirmed_head();
                wait = (wait * 2).clamp(delay, MAX_GAP_FILL_BACKOFF);
            }
            Ok(events) => {
                tracing::debug!(session = %channel.session, after = %missing.after, read = events.len(), "filled a gap from the log");
                hub.metrics.gap_filled.inc_by(events.len() as u64);
                let full_page = events.len() as i64 == limit;
                {
                    let mut st = channel.lock();
                    for event in &events {
                        st.seq.accept(event, &mut |e| channel.fan_out(e, &hub.metrics));
                    }
                }
                wait = if full_page { Duration::ZERO } else { delay };
            }
            Err(e) => {
                tracing::warn!(session = %channel.session, error = %e, "could not read a gap from the log; retrying");
                wait = (wait * 2).clamp(delay, MAX_GAP_FILL_BACKOFF);
            }
        }
    }
}

/// A subscriber's hold on its session's channel: joining creates the channel if needed,
/// dropping the last lease removes it from the registry.
pub(crate) struct ChannelLease {
    pub hub: Arc<HubInner>,
    pub channel: Arc<SessionChannels>,
}

impl ChannelLease {
    pub fn join(hub: &Arc<HubInner>, session: SessionId) -> ChannelLease {
        let mut created = false;
        let channel = {
            let entry = hub.channels.entry(session).or_insert_with(|| {
                created = true;
                Arc::new(SessionChannels::new(session, hub.config.broadcast_capacity))
            });
            // Counted under the shard lock: `leave` removes only under the same lock after
            // seeing zero, so a joining subscriber never lands on a removed channel.
            entry.subscribers.fetch_add(1, Ordering::AcqRel);
            Arc::clone(entry.value())
        };
        if created {
            hub.metrics.channels.inc();
        }
        ChannelLease { hub: hub.clone(), channel }
    }

    /// Waits until the channel's sequencer has started; returns the head it started from and
    /// whether this call read it.
    pub async fn start(&self) -> Result<(Offset, bool), HubError> {
        self.channel.start(&self.hub).await
    }
}

impl Drop for ChannelLease {
    fn drop(&mut self) {
        if self.channel.subscribers.fetch_sub(1, Ordering::AcqRel) == 1 {
            let ch = &self.channel;
            let removed = self.hub.channels.remove_if(&ch.session, |_, c| {
                Arc::ptr_eq(c, ch) && c.subscribers.load(Ordering::Acquire) == 0
            });
            if removed.is_some() {
                self.hub.metrics.channels.dec();
            }
        }
    }
}
